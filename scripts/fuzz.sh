#!/usr/bin/env bash
# Fuzzes what the SCIM endpoint parses from a request (src-tauri/core/fuzz): the filter parser,
# PATCH paths, PATCH bodies and user/group/search bodies, for SECONDS each (default 15).
#
#   scripts/fuzz.sh            # the short run scripts/test.sh does
#   scripts/fuzz.sh 3600       # an hour per target
#   scripts/fuzz.sh 600 patch  # one target
#
# Uses cargo-fuzz (libFuzzer) on the stable toolchain, without a sanitizer: the code under test
# is safe Rust, so what is sought is a panic, an overflow, an assertion or a runaway input,
# which a plain build catches. Seeds (Okta's request shapes) are in fuzz/seeds/<target>; what
# the fuzzer learns goes to fuzz/corpus/<target> (not committed). A crash leaves its input in
# fuzz/artifacts/<target>/ and fails the run: turn it into a regression test, then fix it.
set -euo pipefail
cd "$(dirname "$0")/../src-tauri/core"

seconds=${1:-15}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(filter patch_path patch request_body)
fi
fuzz=$PWD/fuzz
flags=(--sanitizer none --codegen-units 16)

cargo fuzz build "${flags[@]}"

for target in "${targets[@]}"; do
  mkdir -p "$fuzz/corpus/$target"
  extra=()
  case "$target" in
    filter | patch_path) extra+=("-dict=$fuzz/dicts/filter.dict") ;;
  esac
  log=$(mktemp)
  if cargo fuzz run "${flags[@]}" "$target" "$fuzz/corpus/$target" "$fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "${extra[@]}" >"$log" 2>&1; then
    runs=$(grep -o '^stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz $target: ${seconds} s, $runs inputs, no crash"
    rm -f "$log"
  else
    tail -n 60 "$log"
    echo "fuzz $target: FAILED (log: $log; the input is in $fuzz/artifacts/$target/)" >&2
    exit 1
  fi
done
