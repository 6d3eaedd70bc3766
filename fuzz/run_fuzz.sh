#!/usr/bin/env bash
# run_fuzz.sh - run one libFuzzer harness for a bounded time, as a meson test.
#   run_fuzz.sh HARNESS SEEDS_DIR REGRESS_DIR WORK_DIR
# First replays every regression input (tests/regress/NAME/: past findings
# must stay fixed), then fuzzes for $GNNREC_FUZZ_SECONDS (default 30) from the
# seed corpus. New corpus entries and crash artifacts go to WORK_DIR (in the
# build tree), never into the source tree; a crash prints its file and a hex
# dump so the CI log alone is enough to add it to tests/regress/.
set -u
exe=$1 seeds=$2 regress=$3 work=$4
secs=${GNNREC_FUZZ_SECONDS:-30}
mkdir -p "$work/corpus" "$work/artifacts"
if [ -d "$regress" ] && [ -n "$(ls -A "$regress" 2>/dev/null)" ]; then
  "$exe" -runs=1 "$regress"/* >"$work/regress.log" 2>&1 || {
    cat "$work/regress.log"; echo "FAIL: a regression input of $regress crashes again"; exit 1; }
  echo "replayed $(ls "$regress" | wc -l) regression inputs"
fi
"$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" >"$work/fuzz.log" 2>&1
rc=$?
grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ *DONE' "$work/fuzz.log"
if [ $rc -ne 0 ]; then
  tail -n 60 "$work/fuzz.log"
  for f in "$work"/artifacts/*; do
    [ -f "$f" ] || continue
    echo "== artifact $f"; od -A d -c "$f" | head -n 40
  done
  exit 1
fi
echo "fuzzed $(basename "$exe") for ${secs}s: no crash"
