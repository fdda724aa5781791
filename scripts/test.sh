#!/usr/bin/env bash
# The test command: installs what is missing, then checks formatting and lints and runs every
# test (unit, integration over loopback HTTP, and whole Okta conversations against the built
# binary) inside a private Secret Service session.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test (in a private keychain session)"
cargo build --workspace --locked --bins
scripts/with-keychain.sh cargo test --workspace --locked "$@"
