#!/usr/bin/env bash
# Runs every fuzz target for a bounded time each: `fuzz/run.sh [SECONDS_PER_TARGET]` (default 60).
# With FUZZ_RUNS=N set, each target instead runs N inputs from a fixed seed, so the pass is
# repeatable (CI uses that). Needs the nightly toolchain and cargo-fuzz.
# Exits non-zero if any target found a crash (artifacts under fuzz/artifacts/<target>/).
set -uo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
python3 seed.py
if [ -n "${FUZZ_RUNS:-}" ]; then
  limit=(-runs="$FUZZ_RUNS" -seed=1)
else
  limit=(-max_total_time="$secs")
fi
failed=()
for target in $(cargo +nightly fuzz list); do
  log="$(mktemp)"
  if cargo +nightly fuzz run "$target" "corpus/$target" -- "${limit[@]}" -max_len=65536 >"$log" 2>&1; then
    echo "$target: $(grep -E '^Done [0-9]+ runs' "$log" | tail -1)"
  else
    echo "$target: CRASH"; grep -A4 'panicked' "$log" | head -8
    failed+=("$target")
  fi
  rm -f "$log"
done
if [ ${#failed[@]} -gt 0 ]; then echo "crashes in: ${failed[*]}"; exit 1; fi
