#!/usr/bin/env bash
# head_compare.sh - the MLP scoring head (`--head mlp`, gnn/head.h) against
# the dot product at the same budget (same dim, epochs, batch, lr, reg,
# seed), in one run so the machine's load is shared by both:
#   ml-100k, ratings >= 4, temporal split 0.2: MF-BPR vs MF-BPR + head
#   ml-100k u1.base/u1.test, mse: biased MF vs biased MF + head (RMSE)
#   lastfm (LightGCN-PyTorch's split): MF-BPR vs MF-BPR + head
# Each row: train (eval only at the end), then `gnnrec eval --json`: its
# Recall@20 / NDCG@20 (and RMSE), the train and eval seconds, and the cost
# per scored pair = eval seconds / (users evaluated x items).
# Usage: bench/head_compare.sh PATH/TO/gnnrec [DATA_DIR]   (default ../shared/data)
#   THREADS=2, EPOCHS_ML=200, EPOCHS_LASTFM=200, MLP=64,32, PARTS="ml mse lastfm"
set -u
GNNREC=${1:?usage: head_compare.sh PATH/TO/gnnrec [DATA_DIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${2:-${GNNREC_DATA:-$HERE/../../shared/data}}
THREADS=${THREADS:-2}
EPOCHS_ML=${EPOCHS_ML:-200}
EPOCHS_LASTFM=${EPOCHS_LASTFM:-200}
MLP=${MLP:-64,32}
PARTS=${PARTS:-ml mse lastfm}
T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-head-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
jget() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" <<<"$1"; }
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); threads $THREADS; mlp $MLP"
printf '%-8s %-10s %9s %9s %8s %9s %8s %12s %10s\n' data head recall@20 ndcg@20 rmse train_s eval_s pairs ns/pair
row() {   # row DATA_NAME HEAD STORE ITEMS TRAIN_FLAGS...
    local name=$1 head=$2 store=$3 items=$4; shift 4
    local t0 t1 j secs
    t0=$(now)
    # shellcheck disable=SC2068
    "$GNNREC" train --store "$store" --model "m-$head" --threads "$THREADS" --eval-every 0 $@ >/dev/null 2>"$T/log" ||
        { cat "$T/log" >&2; echo "$name $head: train failed" >&2; exit 1; }
    t1=$(now)
    j=$("$GNNREC" eval --store "$store" --model "m-$head" --threads "$THREADS" --json) || exit 1
    secs=$(jget "$j" seconds)
    local pairs=$(( $(jget "$j" users_evaluated) * items ))
    printf '%-8s %-10s %9.4f %9.4f %8s %9.1f %8.3f %12d %10.1f\n' "$name" "$head" "$(jget "$j" 'recall@20')" \
        "$(jget "$j" 'ndcg@20')" "$(jget "$j" rmse | grep . || echo -)" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" \
        "$secs" "$pairs" "$(awk -v s="$secs" -v p="$pairs" 'BEGIN{printf "%.1f", s * 1e9 / p}')"
}
items_of() { "$GNNREC" stats --store "$1" --json | sed -n 's/.*"items":\([0-9]*\).*/\1/p' | head -1; }
pair() {   # pair DATA_NAME STORE FLAGS...: the dot product, then the head, same flags
    local name=$1 store=$2; shift 2
    local items; items=$(items_of "$store")
    row "$name" dot "$store" "$items" "$@"
    row "$name" "mlp:$MLP" "$store" "$items" "$@" --head mlp --mlp-layers "$MLP"
}
ML=$DATA/ml-100k
for p in $PARTS; do
    case $p in
    ml)
        [ -f "$ML/u.data" ] || { echo "no $ML/u.data" >&2; continue; }
        "$GNNREC" build-graph --store "$T/ml" --format edges --delim tab --columns user,item,rating,time \
            --interactions "$ML/u.data" --split temporal:0.2 --min-rating 4 >/dev/null || exit 1
        pair ml-temp "$T/ml" --config "$HERE/../configs/mf-ml100k.yaml" --epochs "$EPOCHS_ML" --k 20 ;;
    mse)
        [ -f "$ML/u1.base" ] || { echo "no $ML/u1.base" >&2; continue; }
        "$GNNREC" build-graph --store "$T/u1" --format edges --delim tab --columns user,item,rating,time \
            --interactions "$ML/u1.base" --test "$ML/u1.test" >/dev/null || exit 1
        pair ml-u1 "$T/u1" --config "$HERE/../configs/mf-ml100k-mse.yaml" --k 20 ;;
    lastfm)
        [ -f "$DATA/lastfm/data1.txt" ] || { echo "no $DATA/lastfm" >&2; continue; }
        "$GNNREC" build-graph --store "$T/lastfm" --format edges --delim tab --columns user,item,rating \
            --interactions "$DATA/lastfm/data1.txt" --test "$DATA/lastfm/test1.txt" >/dev/null || exit 1
        pair lastfm "$T/lastfm" --arch mf --dim 64 --epochs "$EPOCHS_LASTFM" --batch-size 2048 --lr 0.001 \
            --reg 0.0001 --seed 2020 --k 20 ;;
    esac
done
