#!/usr/bin/env bash
# generate.sh - benchmark `gnnrec generate`'s large-graph mode: wall and CPU
# seconds and peak RSS (/usr/bin/time -v) for 1M and 16M interactions
# (16M: 1M users x 200k items), each against a baseline measured in the
# same run: `cp` of the file just written, the cost of writing those bytes
# at all on this disk. Median of RUNS runs; the files go to a temporary
# directory that is removed at the end.
# Usage: bench/generate.sh PATH/TO/gnnrec [RUNS]   (default 3)
set -u
GNNREC=${1:?usage: generate.sh PATH/TO/gnnrec [RUNS]}
RUNS=${2:-3}
T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-bench-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, load $(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }
now() { date +%s.%N; }
one() {   # one NAME ARGS...: RUNS runs of generate and of cp, medians
    local name=$1; shift
    : >"$T/gen"; : >"$T/cp"
    for r in $(seq 1 "$RUNS"); do
        rm -rf "$T/out" "$T/copy"
        /usr/bin/time -v "$GNNREC" generate --out "$T/out" "$@" 2>"$T/tv" || { cat "$T/tv" >&2; exit 1; }
        wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$T/tv" | awk -F: '{ print $(NF-1) * 60 + $NF }')
        cpu_s=$(awk '/User time|System time/ { s += $NF } END { print s }' "$T/tv")
        rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/tv")
        echo "$wall $cpu_s $rss" >>"$T/gen"
        t0=$(now); cp "$T/out/train.txt" "$T/copy"; sync -f "$T/copy" 2>/dev/null; t1=$(now)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >>"$T/cp"
    done
    local bytes n gw gc gr cw
    bytes=$(wc -c <"$T/out/train.txt")
    n=$(awk '{ n += NF - 1 } END { print n }' "$T/out/train.txt")
    gw=$(cut -d' ' -f1 "$T/gen" | median); gc=$(cut -d' ' -f2 "$T/gen" | median)
    gr=$(cut -d' ' -f3 "$T/gen" | median); cw=$(median <"$T/cp")
    rate=$(awk -v n="$n" -v s="$gw" 'BEGIN { printf "%.1f", n / s / 1e6 }')
    crate=$(awk -v n="$n" -v s="$gc" 'BEGIN { printf "%.1f", n / s / 1e6 }')
    ratio=$(awk -v a="$gw" -v b="$cw" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
    echo "$name: $n interactions, $bytes B; generate wall $gw s ($rate M/s), CPU $gc s ($crate M/s)," \
        "peak RSS $gr KiB; cp of the file $cw s; generate / cp $ratio"
}
one "1M " --interactions 1000000 --users 50000 --items 25000
one "16M" --interactions 16000000 --users 1000000 --items 200000
