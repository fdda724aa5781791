#!/usr/bin/env bash
# The launch command: installs what is missing, builds, and starts SCIM Desk.
# Until the desktop window lands, this runs the SCIM endpoint headless (`scimdesk serve`);
# arguments are passed to `scimdesk`, e.g. `scripts/run.sh connection add "Okta"`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cargo build --release --locked -p scimdesk --bin scimdesk
if [ $# -eq 0 ]; then
  set -- serve
fi
exec target/release/scimdesk "$@"
