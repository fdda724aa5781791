#!/usr/bin/env bash
# Builds the UI into ui/dist (the app embeds it at compile time). Installs the npm packages from
# the lock file first when they are missing or stale.
set -euo pipefail
cd "$(dirname "$0")/../ui"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent
