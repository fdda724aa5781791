#!/usr/bin/env bash
# The package command: installs what is missing, builds SCIM Desk in release and bundles it with
# Tauri's bundler into an installable .deb (Debian, Ubuntu) and .rpm (Fedora, openSUSE). Each
# package holds the desktop app (with its menu entry and icons) and the headless `scimdesk`
# command on PATH, so a server gets `scimdesk serve` from the same package.
#
#   scripts/package.sh
#   sudo apt-get install ./target/release/bundle/deb/SCIM\ Desk_*_amd64.deb
#
# The packages are left in target/release/bundle/{deb,rpm}/ (under $CARGO_TARGET_DIR when set),
# where the package test (tests/it/package.rs) finds and checks them.
#
# Both bundles are written by the bundler itself (no dpkg-deb or rpmbuild, nothing downloaded).
# An AppImage is not built: Tauri's AppImage bundler downloads linuxdeploy and its plugins from
# GitHub while it runs, which the machines this project is built and tested on cannot reach.
# macOS and Windows bundles are built on those systems only, and nothing here tests them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --package
# The UI's npm packages carry Tauri's CLI (the bundler) too.
scripts/build-ui.sh

target_dir=${CARGO_TARGET_DIR:-$PWD/target}
case "$target_dir" in
  /*) ;;
  *) target_dir=$PWD/$target_dir ;;
esac

# The headless command first: the packages take it from the release build.
cargo build --release --locked -p scimdesk --bin scimdesk

# The bundler builds the app in release (the UI is already built) and bundles both binaries.
# tauri.conf.json names target/release/scimdesk; a CARGO_TARGET_DIR elsewhere is passed on.
overrides=$(printf '{"build":{"beforeBuildCommand":null},"bundle":{"linux":{"deb":{"files":{"/usr/bin/scimdesk":"%s"}},"rpm":{"files":{"/usr/bin/scimdesk":"%s"}}}}}' \
  "$target_dir/release/scimdesk" "$target_dir/release/scimdesk")
rm -rf "$target_dir/release/bundle"
ui/node_modules/.bin/tauri build --ci --bundles deb,rpm --config "$overrides" -- --locked

echo
echo "Packages:"
find "$target_dir/release/bundle" -maxdepth 2 -type f \( -name '*.deb' -o -name '*.rpm' \) -print
