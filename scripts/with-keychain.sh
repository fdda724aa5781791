#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME Keyring: a real Secret
# Service, as on an admin's desktop, that forgets everything when the command ends.
#   scripts/with-keychain.sh cargo test --workspace
set -euo pipefail

if [ "${SCIMDESK_IN_KEYCHAIN_SESSION:-}" = 1 ]; then
  exec "$@"
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool is missing; run scripts/install-deps.sh (Debian: apt-get install dbus gnome-keyring)" >&2
    exit 1
  fi
done

session_home=$(mktemp -d)
trap 'rm -rf "$session_home"' EXIT
export SCIMDESK_IN_KEYCHAIN_SESSION=1
export SCIMDESK_KEYCHAIN_HOME="$session_home"
exec dbus-run-session -- bash -c '
  set -euo pipefail
  real_home=$HOME
  export XDG_DATA_HOME="$SCIMDESK_KEYCHAIN_HOME/data" XDG_RUNTIME_DIR="$SCIMDESK_KEYCHAIN_HOME/run"
  mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
  # The keyring lives in the private data dir; cargo and rustup keep using the real HOME.
  HOME="$SCIMDESK_KEYCHAIN_HOME" sh -c "printf %s scimdesk-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null"
  exec "$@"
' bash "$@"
