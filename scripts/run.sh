#!/usr/bin/env bash
# The launch command: installs what is missing, builds the UI and the app, and starts SCIM Desk.
# Arguments go to the app, e.g. `scripts/run.sh --data-dir /path/to/data`.
# For the headless endpoint (a server with no display), run `scimdesk serve` instead: see README.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build-ui.sh
cargo build --release --locked -p scimdesk-app -p scimdesk
exec target/release/scimdesk-app "$@"
