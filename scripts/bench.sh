#!/usr/bin/env bash
# The benchmark: builds the release binaries, then measures `scimdesk serve` against a bare axum
# server and the disk's fsync rate, for directories of 10,000, 100,000 and 1,000,000 employees.
#   scripts/bench.sh                       # all three sizes (about 10 minutes; 1M needs ~1.5 GB of disk)
#   scripts/bench.sh --quick               # a smoke run on a tiny directory
#   scripts/bench.sh --sizes 100000 --out target/bench-100k
# Writes report.md and report.json to --out (default target/bench/).
# Each size is measured on SQLite and then on PostgreSQL with two servers sharing one database:
# the benchmark runs beside a throwaway cluster (scripts/with-postgres.sh). --postgres ADMIN_URL
# (or SCIMDESK_TEST_POSTGRES_URL) uses a cluster of your own instead; without PostgreSQL the
# column is skipped and the report says why.
#
# The reconcile benchmark: time and peak memory of `scimdesk connection reconcile --json`
# against the stand-in Okta API with 10,000 and 100,000 assigned users (a few minutes).
#   scripts/bench.sh reconcile             # writes to target/bench-reconcile/
#   scripts/bench.sh reconcile --sizes 2000,20000 --out target/rc
#
# The search benchmark: the Employees search's first page (a substring, a prefix, an exact
# email; p50/p99) beside the unfiltered first page, and a CSV export of everyone (time, peak
# memory), at 10,000, 100,000 and 1,000,000 employees (1M needs ~3 GB of disk).
#   scripts/bench.sh search                # writes to target/bench-search/
#   scripts/bench.sh search --sizes 10000 --runs 20 --out target/bs
set -euo pipefail
cd "$(dirname "$0")/.."

release="${CARGO_TARGET_DIR:-target}/release"
if [ "${1:-}" = reconcile ]; then
  shift
  cargo build --release --locked -p scimdesk --bin scimdesk -p scimdesk-tests --bin bench-reconcile
  exec scripts/with-keychain.sh "$release/bench-reconcile" --scimdesk "$release/scimdesk" "$@"
fi
if [ "${1:-}" = search ]; then
  shift
  cargo build --release --locked -p scimdesk --bin scimdesk -p scimdesk-tests --bin bench-search
  exec scripts/with-keychain.sh "$release/bench-search" --scimdesk "$release/scimdesk" "$@"
fi
cargo build --release --locked -p scimdesk --bin scimdesk -p scimdesk-tests --bin bench --bin bench-baseline
exec scripts/with-postgres.sh scripts/with-keychain.sh "$release/bench" --scimdesk "$release/scimdesk" --baseline "$release/bench-baseline" "$@"
