#!/usr/bin/env bash
# filmtrust_mse.sh - explicit ratings with and without social edges (issue
# 17) on FilmTrust (../shared/data/filmtrust: QRec's split, 33,750 train /
# 1,747 test ratings of 0.5-4 stars, 1,853 directed trust rows). One store
# with the trust edges; then, with the same settings and seed, biased MF
# (--arch mf --loss mse), LightGCN on ratings over the rated interactions
# (--arch lightgcn --loss mse) and the same over interactions + trust
# (--edges interaction,social). Prints one row per model: test RMSE and MAE
# as `gnnrec eval --json` reports them, and the train seconds; plus the
# global mean's RMSE (every test pair predicted by the training mean) as the
# baseline of the same run.
# Usage: bench/filmtrust_mse.sh PATH/TO/gnnrec [DATA_DIR]   (default ../shared/data)
#   FLAGS="--dim 32 --epochs 30 --batch-size 256 --lr 0.005 --lr-decay cosine --reg 0.1", THREADS=1
set -u
GNNREC=${1:?usage: filmtrust_mse.sh PATH/TO/gnnrec [DATA_DIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${2:-${GNNREC_DATA:-$HERE/../../shared/data}}/filmtrust
FLAGS=${FLAGS:---dim 32 --epochs 30 --batch-size 256 --lr 0.005 --lr-decay cosine --reg 0.1}
THREADS=${THREADS:-1}
[ -f "$DATA/trainset.txt" ] || { echo "no $DATA/trainset.txt" >&2; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-filmtrust-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
S=$T/store
"$GNNREC" build-graph --store "$S" --delim space --columns user,item,rating --interactions "$DATA/trainset.txt" \
    --test "$DATA/testset.txt" --social "$DATA/trust.txt" >/dev/null || exit 1
base=$(awk 'NR==FNR { s += $3; n++; next } { d = $3 - s / n; e += d * d; k++ } END { printf "%.4f", sqrt(e / k) }' \
    "$DATA/trainset.txt" "$DATA/testset.txt")
echo "FilmTrust ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)); train flags: $FLAGS --threads $THREADS"
printf 'model\tedges\ttest_rmse\ttest_mae\ttrain_s\n'
printf 'global mean\t-\t%s\t-\t-\n' "$base"
run() {   # run NAME EDGES ARCH...
    local name=$1 edges=$2; shift 2
    local t0; t0=$(date +%s.%N)
    "$GNNREC" train --store "$S" --model "$name" "$@" --loss mse --edges "$edges" $FLAGS --seed 2020 --eval-every 0 \
        --threads "$THREADS" >/dev/null 2>&1 || { echo "$name: train failed" >&2; return 1; }
    local secs; secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
    local j; j=$("$GNNREC" eval --store "$S" --model "$name" --json --threads "$THREADS")
    printf '%s\t%s\t%.4f\t%.4f\t%.1f\n' "$name" "$edges" "$(sed 's/.*"rmse":\([0-9.]*\).*/\1/' <<<"$j")" \
        "$(sed 's/.*"mae":\([0-9.]*\).*/\1/' <<<"$j")" "$secs"
}
run mf-mse interaction --arch mf
run lightgcn-mse interaction --arch lightgcn --layers 2
run lightgcn-mse-social interaction,social --arch lightgcn --layers 2
