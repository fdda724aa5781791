#!/usr/bin/env bash
# Installs what building, running and testing SCIM Desk needs and is missing on this machine.
# Safe to run again: it only installs what is not there. Debian/Ubuntu packages through apt-get
# (as root, or with sudo); Rust components through rustup. With --fuzz (scripts/test.sh), also
# cargo-fuzz for the fuzz targets; with --package (scripts/package.sh), also `rpm`, which the
# package test reads the .rpm with.
set -euo pipefail

# Pinned, so every machine fuzzes with the same libFuzzer driver.
CARGO_FUZZ_VERSION=0.13.2

# Build: pkg-config and libdbus for the keychain (Secret Service over D-Bus); WebKitGTK, GTK,
# the tray indicator and librsvg for the Tauri window; Node.js and npm build the UI.
# Tests: a private D-Bus session with GNOME Keyring (the real Secret Service), a virtual display
# (Xvfb) and WebKit's WebDriver for the end-to-end tests, ImageMagick for window screenshots,
# xwininfo (x11-utils) to tell whether the app's window is shown; dbus-daemon (dbus) also serves
# the stand-in logind's private bus. PostgreSQL (with pg_trgm, from contrib) is the second
# storage engine: scripts/with-postgres.sh runs a throwaway cluster of it for the tests.
APT_PACKAGES=(pkg-config libdbus-1-dev dbus dbus-x11 gnome-keyring libsecret-tools
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libssl-dev
  xvfb xauth webkit2gtk-driver imagemagick xclip x11-utils postgresql postgresql-contrib)
if [ "${1:-}" = "--package" ]; then
  APT_PACKAGES+=(rpm)
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "error: these packages are missing and I cannot install them without root: ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo is missing; install Rust from https://rustup.rs first" >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "error: Node.js and npm are missing; install Node.js 20 or newer (https://nodejs.org)" >&2
  exit 1
fi
if command -v rustup >/dev/null 2>&1; then
  for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
      rustup component add "$component"
    fi
  done
fi

# tauri-driver bridges WebDriver to the app's webview for the end-to-end tests. It is a small
# crate built from crates.io (it downloads nothing else); pinned so every machine runs the same.
TAURI_DRIVER_VERSION=2.1.0
if ! tauri-driver --version 2>/dev/null | grep -q "$TAURI_DRIVER_VERSION"; then
  cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked --quiet
fi

if [ "${1:-}" = "--fuzz" ]; then
  if ! cargo fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $CARGO_FUZZ_VERSION"; then
    echo "Installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
  fi
fi
