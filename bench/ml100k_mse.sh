#!/usr/bin/env bash
# ml100k_mse.sh - biased MF with --loss mse (issue 17) on MovieLens-100k's
# five GroupLens folds u1..u5 (disjoint 20,000-rating test sets: Surprise's
# 5-fold protocol on the official split). Each fold: build-graph, train with
# configs/mf-ml100k-mse.yaml, eval; prints the fold's RMSE/MAE, the
# baseline of the same run (the training ratings' global mean predicted for
# every test pair), the seconds of the three commands, then the means and
# the total time. The folds are the u?.base/u?.test files when the data
# directory has them, else made from u.data by GroupLens's mku.sh rule
# (fold i tests lines 20000(i-1)+1..20000i, trains on the rest, both sorted
# by user, item), into a temporary directory; fold 1 is checked against
# u1.base/u1.test when those exist.
# SVD++ the same way: EXTRA="--arch svdpp" (docs/ratings.md has both rows).
# Usage: bench/ml100k_mse.sh PATH/TO/gnnrec [DATA_DIR]   (default ../shared/data)
#   CONFIG=configs/mf-ml100k-mse.yaml, THREADS=1, FOLDS="1 2 3 4 5", EXTRA="" (train flags)
set -u
GNNREC=${1:?usage: ml100k_mse.sh PATH/TO/gnnrec [DATA_DIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${2:-${GNNREC_DATA:-$HERE/../../shared/data}}/ml-100k
CONFIG=${CONFIG:-$HERE/../configs/mf-ml100k-mse.yaml}
THREADS=${THREADS:-1}
FOLDS=${FOLDS:-1 2 3 4 5}
EXTRA=${EXTRA:-}
[ -f "$DATA/u.data" ] || { echo "no $DATA/u.data" >&2; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-ml100k-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
srt() { sort -t"$(printf '\t')" -k1,1n -k2,2n; }
fold_files() {   # fold i -> $T/u$i.base, $T/u$i.test
    local i=$1
    if [ -f "$DATA/u$i.base" ] && [ -f "$DATA/u$i.test" ]; then
        cp "$DATA/u$i.base" "$DATA/u$i.test" "$T/"
        return
    fi
    head -n $((i * 20000)) "$DATA/u.data" | tail -n 20000 | srt >"$T/u$i.test"
    { head -n $(((i - 1) * 20000)) "$DATA/u.data"; tail -n $(((5 - i) * 20000)) "$DATA/u.data"; } | srt >"$T/u$i.base"
}
if [ -f "$DATA/u1.base" ]; then   # the mku.sh rule reproduces GroupLens's fold 1
    head -n 20000 "$DATA/u.data" | srt | cmp -s - "$DATA/u1.test" &&
        tail -n 80000 "$DATA/u.data" | srt | cmp -s - "$DATA/u1.base" ||
        { echo "u.data's fold 1 is not u1.base/u1.test: not GroupLens's u.data order" >&2; exit 1; }
fi
now() { date +%s.%N; }
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); config $(basename "$CONFIG") $EXTRA; threads $THREADS"
printf '%-5s %8s %8s %12s %8s\n' fold rmse mae mean_rmse seconds
sum=0; rs=""; ms=""; bs=""
for i in $FOLDS; do
    fold_files "$i"
    t0=$(now)
    "$GNNREC" build-graph --store "$T/s$i" --format edges --delim tab --columns user,item,rating,time \
        --interactions "$T/u$i.base" --test "$T/u$i.test" >/dev/null || { echo "fold $i: build-graph failed" >&2; exit 1; }
    # shellcheck disable=SC2086
    "$GNNREC" train --store "$T/s$i" --config "$CONFIG" --model mf-mse --threads "$THREADS" $EXTRA >/dev/null 2>"$T/log" ||
        { cat "$T/log" >&2; echo "fold $i: train failed" >&2; exit 1; }
    j=$("$GNNREC" eval --store "$T/s$i" --model mf-mse --threads "$THREADS" --json) || { echo "fold $i: eval failed" >&2; exit 1; }
    t1=$(now)
    r=$(printf '%s' "$j" | sed 's/.*"rmse":\([0-9.]*\).*/\1/'); m=$(printf '%s' "$j" | sed 's/.*"mae":\([0-9.]*\).*/\1/')
    b=$(awk -F'\t' 'NR==FNR{s+=$3;n++;next}{d=$3-s/n;e+=d*d;k++}END{printf "%.4f", sqrt(e/k)}' "$T/u$i.base" "$T/u$i.test")
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
    printf '%-5s %8.4f %8.4f %12s %8s\n' "u$i" "$r" "$m" "$b" "$secs"
    rs="$rs $r"; ms="$ms $m"; bs="$bs $b"; sum=$(awk -v a="$sum" -v b="$secs" 'BEGIN{print a+b}')
    rm -rf "$T/s$i"
done
mean() { echo "$1" | awk '{s=0; for (i=1;i<=NF;i++) s+=$i; printf "%.4f", s/NF}'; }
printf '%-5s %8s %8s %12s %8.2f\n' mean "$(mean "$rs")" "$(mean "$ms")" "$(mean "$bs")" "$sum"
echo "(Surprise's published 5-fold: SVD 0.934 / 0.737, SVD++ 0.919 / 0.721; mean_rmse: the global mean's RMSE; seconds: build-graph + train + eval)"
