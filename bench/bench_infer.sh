#!/usr/bin/env bash
# bench_infer.sh - end-to-end speed of `gnnrec infer` (docs/infer.md): top-K
# for all users written to a file, and the time to the first output line
# for one user, as ratios against (a) a plain per-user dot-product loop and
# (b) the SGEMM alone, both measured in the same run by bench_eval (same
# shape, same tiles, the store's train matrix for exclusion). Medians of
# RUNS runs after a warm-up; wall and CPU seconds and the load average are
# printed, because the machine is shared (the CPU column is the steadier).
# usage: bench/bench_infer.sh GNNREC BENCH_EVAL STORE MODEL [RUNS] [K] [DATA_DIR]
#   e.g. bench/bench_infer.sh build/tools/gnnrec build/bench/bench_eval stores/gowalla lg 5 20 \
#          ../shared/data/gowalla
# STORE holds a model trained on the LightGCN-format DATA_DIR (train.txt, test.txt).
set -eu
g=${1:?usage: bench_infer.sh GNNREC BENCH_EVAL STORE MODEL [RUNS] [K] [DATA_DIR]}
be=${2:?bench_eval}; s=${3:?store}; m=${4:?model}; runs=${5:-5}; k=${6:-20}
data=${7:-$(dirname "$0")/../../shared/data/gowalla}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

first_user=$($g infer --store "$s" --model "$m" --k 1 --users all | head -1 | cut -f1)
echo "store $s, model $m, K=$k, $runs runs (+1 warm-up); load before: $(load)"
$g infer --store "$s" --model "$m" --k "$k" > "$tmp/out.tsv"   # warm-up (page cache)
: > "$tmp/all_wall"; : > "$tmp/all_cpu"; : > "$tmp/one"
for r in $(seq "$runs"); do
  t0=$(now)
  /usr/bin/time -f "%U %S" -o "$tmp/cpu" $g infer --store "$s" --model "$m" --k "$k" > "$tmp/out.tsv"
  t1=$(now)
  echo "$t1 - $t0" | bc >> "$tmp/all_wall"
  awk '{ print $1 + $2 }' "$tmp/cpu" >> "$tmp/all_cpu"
  # time to the first line for one user (the process ends right after its
  # K lines): 10 back-to-back calls, so the clock's own cost is paid once
  t0=$(now)
  for i in 1 2 3 4 5 6 7 8 9 10; do
    $g infer --store "$s" --model "$m" --k "$k" --users "$first_user" | head -1 > /dev/null
  done
  t1=$(now)
  echo "($t1 - $t0) * 100" | bc >> "$tmp/one"
done
lines=$(wc -l < "$tmp/out.tsv"); bytes=$(wc -c < "$tmp/out.tsv")
aw=$(median < "$tmp/all_wall"); ac=$(median < "$tmp/all_cpu"); one=$(median < "$tmp/one")
echo "load after infer runs: $(load)"
# the baselines, same run: bench_eval's SGEMM-only pass and plain loop (gowalla shape, dim 64)
$be --data "$data" --runs "$runs" --k "$k" --ref-users 200 > "$tmp/be.txt" 2>&1
sg_w=$(awk '/^SGEMM only/ { print $5 }' "$tmp/be.txt"); sg_c=$(awk '/^SGEMM only/ { print $6 }' "$tmp/be.txt")
pl_w=$(awk '/^plain loop/ { print $5 }' "$tmp/be.txt")
tk_w=$(awk '/^top-/ && /all users/ { print $4 }' "$tmp/be.txt"); tk_c=$(awk '/^top-/ && /all users/ { print $5 }' "$tmp/be.txt")
printf '%-46s %9s %9s\n' "" "wall s" "CPU s"
printf '%-46s %9.3f %9.3f\n' "infer --users all --k $k > file ($lines lines)" "$aw" "$ac"
printf '%-46s %9.3f %9.3f\n' "  gnn_topk kernel alone (bench_eval)" "$tk_w" "$tk_c"
printf '%-46s %9.3f %9.3f\n' "  SGEMM only, same tiles (bench_eval)" "$sg_w" "$sg_c"
printf '%-46s %9.1f %9s\n' "  plain per-user loop, 1 thread (extrapolated)" "$pl_w" "="
printf '%-46s %9.1f ms\n' "infer --users ONE --k $k, first line" "$one"
awk -v aw="$aw" -v ac="$ac" -v sw="$sg_w" -v sc="$sg_c" -v pw="$pl_w" -v b="$bytes" 'BEGIN {
  printf "ratios: infer/SGEMM-only %.2f wall, %.2f CPU; plain loop/infer %.0fx wall, %.0fx vs CPU; output %.1f MB\n",
         aw / sw, ac / sc, pw / aw, pw / ac, b / 1e6 }'
echo "load at the end: $(load)"
