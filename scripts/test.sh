#!/usr/bin/env bash
# The test command: installs what is missing, then checks formatting and lints and runs every
# test — the UI's unit tests, the core's unit and integration tests, whole Okta conversations
# against the built binary, and the desktop app end to end in its real webview under Xvfb —
# inside a private Secret Service session and beside a throwaway PostgreSQL (the second storage
# engine), then fuzzes each parser briefly.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --fuzz

# A CI machine builds once: incremental state would only take disk space (over a GB).
if [ -n "${CI:-}" ]; then
  export CARGO_INCREMENTAL=0
fi

echo "== UI: build and unit tests"
scripts/build-ui.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "== UI: eslint (the rules of hooks among them)"
(cd ui && npx eslint .)
(cd ui && NO_COLOR=1 FORCE_COLOR=0 npx vitest run --reporter=dot) 2>&1 | tee -a "$log"

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test (in a private keychain session, beside a throwaway PostgreSQL)"
# One build of every target with the features `cargo test` uses, so the tests reuse it (and
# the binaries they run, the desktop app's among them) instead of compiling Tauri twice.
cargo build --workspace --all-targets --locked
export SCIMDESK_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/scimdesk"
scripts/with-postgres.sh scripts/with-keychain.sh cargo test --workspace --all-targets --locked --no-fail-fast "$@" 2>&1 | tee -a "$log"

echo "== the conversation suites again, on PostgreSQL (each test on a database of its own)"
# Okta's and Entra's conversations, groups, paging, filters, bad input and concurrency, the
# import walk, the activity log and history (with their pruning), the attribute mapping,
# providers, rate limits and reachability windows, against the second engine: every data
# directory the tests make names a fresh PostgreSQL database. (The kill -9 test of the history
# reads the SQLite file itself; servers.rs kills a server under load on PostgreSQL.)
# Where PostgreSQL cannot be had, with-postgres.sh says why, and this pass is skipped aloud.
if scripts/with-postgres.sh sh -c 'test -n "${SCIMDESK_TEST_POSTGRES_URL:-}"'; then
  SCIMDESK_TEST_ENGINE=postgres scripts/with-postgres.sh scripts/with-keychain.sh \
    cargo test -p scimdesk-tests --test it --locked --no-fail-fast -- \
    conversations:: okta_spec:: entra_users:: entra_groups:: groups:: filters:: bad_input:: \
    protocol:: patch_lifecycle:: concurrency:: import:: activity:: history:: mapping:: \
    providers:: rate_limit:: reachability:: \
    --skip history::a_kill_9_keeps_the_history_of_every_answered_write 2>&1 | tee -a "$log"
else
  echo "skipped: the conversation suites on PostgreSQL (no PostgreSQL here: see the reason above)"
fi

echo "== fuzz (a short bounded run of every target; see README for long runs)"
scripts/fuzz.sh 15

# One closing line for the whole run, summed over every test binary and the UI's tests.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
     /^ *Tests +[0-9]/ { for (i = 1; i <= NF; i++) { if ($(i) == "passed") p += $(i-1); if ($(i) == "failed") f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
