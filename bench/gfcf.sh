#!/usr/bin/env bash
# gfcf.sh - benchmark the training-free graph filters (docs/gfcf.md) through
# the gnnrec command: popularity, GF-CF and BSPM on gowalla and lastfm, each
# `gnnrec train` = fit + all-user test evaluation, under /usr/bin/time -v.
# Prints per run: wall seconds, peak RSS, user CPU seconds, Recall/NDCG@20,
# the load average before and after; then the median wall per model.
# Usage: bench/gfcf.sh PATH/TO/gnnrec [DATA_DIR]      (default ../shared/data)
#   RUNS=3 (runs per model), DATASETS="lastfm gowalla", ARCHS="pop gf-cf bspm",
#   GFCF_ARGS="" and BSPM_ARGS="" (extra train flags, e.g. "--svd-iters 8").
set -u
GNNREC=${1:?usage: gfcf.sh PATH/TO/gnnrec [DATA_DIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${2:-${GNNREC_DATA:-$HERE/../../shared/data}}
RUNS=${RUNS:-3}
DATASETS=${DATASETS:-lastfm gowalla}
ARCHS=${ARCHS:-pop gf-cf bspm}
if [ ! -f "$DATA/gowalla/train.txt" ] || [ ! -f "$DATA/lastfm/data1.txt" ]; then
    echo "no gowalla/lastfm data under $DATA" >&2
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-gfcf-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
"$GNNREC" build-graph --store "$T/gowalla" --format adj --interactions "$DATA/gowalla/train.txt" \
    --test "$DATA/gowalla/test.txt" >/dev/null 2>&1 || { echo "build-graph gowalla failed" >&2; exit 1; }
"$GNNREC" build-graph --store "$T/lastfm" --format edges --delim tab --columns user,item,rating \
    --interactions "$DATA/lastfm/data1.txt" --test "$DATA/lastfm/test1.txt" >/dev/null 2>&1 ||
    { echo "build-graph lastfm failed" >&2; exit 1; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
printf '%-8s %-6s %3s %8s %9s %8s %8s %8s  %s\n' dataset model run wall_s rss_MiB user_s recall20 ndcg20 "load before -> after"
for ds in $DATASETS; do
    for arch in $ARCHS; do
        extra=""
        [ "$arch" = gf-cf ] && extra=${GFCF_ARGS:-}
        [ "$arch" = bspm ] && extra=${BSPM_ARGS:-}
        walls=()
        for r in $(seq 1 "$RUNS"); do
            l0=$(load)
            # shellcheck disable=SC2086
            /usr/bin/time -v "$GNNREC" train --store "$T/$ds" --arch "$arch" --model "$arch" --k 20 $extra \
                >"$T/out" 2>"$T/err" || { echo "train $arch on $ds failed: $(tail -3 "$T/err")" >&2; exit 1; }
            l1=$(load)
            wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
                   for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$T/err")
            rss=$(awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }' "$T/err")
            usr=$(awk -F': ' '/User time/ { print $2 }' "$T/err")
            rec=$(sed -n 's/.*recall@20 \([0-9.]*\).*/\1/p' "$T/out")
            ndcg=$(sed -n 's/.*ndcg@20 \([0-9.]*\).*/\1/p' "$T/out")
            printf '%-8s %-6s %3d %8.2f %9s %8s %8s %8s  %s -> %s\n' "$ds" "$arch" "$r" "$wall" "$rss" "$usr" \
                "$rec" "$ndcg" "$l0" "$l1"
            walls+=("$wall")
        done
        med=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
        echo "$ds $arch: median wall ${med} s over $RUNS runs"
    done
done
