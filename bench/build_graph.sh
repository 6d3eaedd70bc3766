#!/usr/bin/env bash
# build_graph.sh - benchmark `gnnrec build-graph` on gowalla (LightGCN adj,
# 29,858 users, 40,981 items, 810,128 train + 217,242 test interactions):
# wall time of 5 runs into a fresh store each (median, min, max), the store
# size on disk (data.mdb and du), and `stats --json` time, on this machine
# (nproc, CPU model from /proc/cpuinfo).
# Usage: bench/build_graph.sh PATH/TO/gnnrec [DATA_DIR]   (default ../shared/data)
set -u

GNNREC=${1:?usage: build_graph.sh PATH/TO/gnnrec [DATA_DIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${2:-${GNNREC_DATA:-$HERE/../../shared/data}}
G=$DATA/gowalla
if [ ! -f "$G/train.txt" ]; then
    echo "no gowalla data at $G" >&2
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-bench-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
RUNS=5

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr)"
echo "gnnrec:  $GNNREC"
echo "input:   gowalla train.txt $(wc -c <"$G/train.txt") B + test.txt $(wc -c <"$G/test.txt") B"

now() { date +%s.%N; }
times=()
for r in $(seq 1 $RUNS); do
    rm -rf "$T/s"
    t0=$(now)
    if ! "$GNNREC" build-graph --store "$T/s" --format adj --interactions "$G/train.txt" --test "$G/test.txt" >"$T/out" 2>"$T/err"; then
        echo "build-graph failed: $(cat "$T/err")" >&2
        exit 1
    fi
    t1=$(now)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
    echo "run $r: ${times[-1]} s"
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(echo "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p")
echo "build-graph gowalla: median $median s of $RUNS runs (min $(echo "$sorted" | head -1), max $(echo "$sorted" | tail -1))"
echo "interactions/s (median): $(awk -v s="$median" 'BEGIN { printf "%.0f", (810128 + 217242) / s }')"
echo "store: data.mdb $(wc -c <"$T/s/data.mdb") B, du $(du -sk "$T/s" | cut -f1) KiB"
t0=$(now)
"$GNNREC" stats --store "$T/s" --json >"$T/stats" 2>"$T/err" || { echo "stats failed: $(cat "$T/err")" >&2; exit 1; }
t1=$(now)
echo "stats --json: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') s: $(cut -c1-160 "$T/stats")"
