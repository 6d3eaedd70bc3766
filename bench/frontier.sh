#!/usr/bin/env bash
# frontier.sh - the accuracy frontier (issue 18, docs/frontier.md): every
# model that finishes in reasonable time on kgat-amazon-book, lastfm and
# gowalla, each one `gnnrec train` (fit or training + the all-user test
# evaluation) under /usr/bin/time -v, then (EVAL=1) `gnnrec eval` of the
# saved model, the path users run. One run at a time (2 shared cores).
# Prints per run: wall and user-CPU seconds, peak RSS, Recall/NDCG@20 of
# train and of eval, the load average before.
# Usage: bench/frontier.sh PATH/TO/gnnrec [DATA_DIR]      (default ../shared/data)
#   DATASETS="amazon-book lastfm gowalla"
#   MODELS_amazon_book, MODELS_lastfm, MODELS_gowalla: the --arch list of each
#     (defaults below; lightgcn only when LIGHTGCN_ARGS is set)
#   ARGS_<arch> (e.g. ARGS_chebycf="--cheby-order 6"), MF_ARGS, LIGHTGCN_ARGS
#   SWEEP_<arch>="ARGS|ARGS|...": run the arch once per setting (the sweep;
#     with VALID=F it picks settings without reading the test set)
#   VALID=F: tuning. Each user's training items are split (awk, seeded) into
#     a held-out fraction F and the rest; the store is built from the rest
#     with the held-out items as its test set, so every figure printed is a
#     validation figure and the real test set is never read. (lastfm's edge
#     files are split per line the same way.)
set -u
GNNREC=${1:?usage: frontier.sh PATH/TO/gnnrec [DATA_DIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${2:-${GNNREC_DATA:-$HERE/../../shared/data}}
DATASETS=${DATASETS:-amazon-book lastfm gowalla}
EVAL=${EVAL:-0}
VALID=${VALID:-0}
MF_ARGS=${MF_ARGS:---epochs 30 --lr 0.005 --batch-size 2048 --eval-every 0}
LIGHTGCN_ARGS=${LIGHTGCN_ARGS:-}
T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-frontier-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"

# carve TRAIN -> $T/fit.txt + $T/valid.txt: adj lines keep >= 1 item per user
carve_adj() {
    awk -v f="$VALID" -v fo="$T/fit.txt" -v vo="$T/valid.txt" 'BEGIN { srand(2020) } {
        a = $1; b = $1; nb = 0
        for (i = 2; i <= NF; i++) if (i > 2 && rand() < f) { b = b " " $i; nb++ } else a = a " " $i
        print a > fo; if (nb) print b > vo }' "$1"
}
carve_edges() {
    awk -v f="$VALID" -v fo="$T/fit.txt" -v vo="$T/valid.txt" 'BEGIN { srand(2020) } {
        if (seen[$1]++ && rand() < f) print > vo; else print > fo }' "$1"
}

build() {   # dataset -> store $T/$1 (0: built, 77: no data)
    local tr te fmt=(--format adj)
    case $1 in
    amazon-book) tr=$DATA/kgat-amazon-book/train.txt te=$DATA/kgat-amazon-book/test.txt ;;
    gowalla) tr=$DATA/gowalla/train.txt te=$DATA/gowalla/test.txt ;;
    lastfm) tr=$DATA/lastfm/data1.txt te=$DATA/lastfm/test1.txt
        fmt=(--format edges --delim tab --columns user,item,rating) ;;
    *) echo "unknown dataset $1" >&2; return 1 ;;
    esac
    [ -f "$tr" ] || return 77
    if [ "$VALID" != 0 ]; then
        if [ "$1" = lastfm ]; then carve_edges "$tr"; else carve_adj "$tr"; fi
        tr=$T/fit.txt te=$T/valid.txt
    fi
    rm -rf "$T/$1"
    "$GNNREC" build-graph --store "$T/$1" "${fmt[@]}" --interactions "$tr" --test "$te" >/dev/null 2>"$T/build.err"
}

models() {
    local lg=""
    [ -n "$LIGHTGCN_ARGS" ] && lg=" lightgcn"
    case $1 in
    amazon-book) echo "${MODELS_amazon_book:-pop mf gf-cf bspm chebycf itemknn$lg}" ;;
    lastfm) echo "${MODELS_lastfm:-pop mf gf-cf bspm chebycf itemknn$lg}" ;;
    gowalla) echo "${MODELS_gowalla:-pop gf-cf chebycf itemknn}" ;;
    esac
}

metric() { sed -n "s/.*$1@20 \([0-9.]*\).*/\1/p" "$2" | head -1; }
eval_metric() { awk -v c="$1" '$1 == 20 { print $c; exit }' "$2"; }   # eval's table: K recall ndcg ...
load() { cut -d' ' -f1 /proc/loadavg; }
[ "$VALID" != 0 ] && echo "VALID=$VALID: every figure below is on the validation split carved from train"
printf '%-11s %-9s %8s %8s %8s %8s %8s %8s %8s %5s  %s\n' dataset model wall_s user_s rss_MiB recall20 ndcg20 \
    eval_r20 eval_n20 load settings
for ds in $DATASETS; do
    build "$ds"; rc=$?
    [ $rc = 77 ] && { echo "$ds: no data under $DATA (skipped)"; continue; }
    [ $rc != 0 ] && { echo "build-graph $ds failed: $(tail -2 "$T/build.err")" >&2; exit 1; }
    for arch in $(models "$ds"); do
        var="ARGS_${arch//-/_}" svar="SWEEP_${arch//-/_}"
        IFS='|' read -r -a settings <<<"${!svar:-${!var:-}}"
        [ ${#settings[@]} = 0 ] && settings=("")
        for extra in "${settings[@]}"; do
        [ "$arch" = mf ] && extra="$MF_ARGS $extra"
        [ "$arch" = lightgcn ] && extra="$LIGHTGCN_ARGS $extra"
        l0=$(load)
        # shellcheck disable=SC2086
        /usr/bin/time -v "$GNNREC" train --store "$T/$ds" --arch "$arch" --model "$arch" --k 20 $extra \
            >"$T/out" 2>"$T/err" || { echo "train $arch on $ds failed: $(tail -3 "$T/err")" >&2; continue; }
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
               for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$T/err")
        rss=$(awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }' "$T/err")
        usr=$(awk -F': ' '/User time/ { print $2 }' "$T/err")
        er="-" en="-"
        if [ "$EVAL" = 1 ]; then
            "$GNNREC" eval --store "$T/$ds" --model "$arch" --k 20 >"$T/eval" 2>"$T/eval.err" &&
                { er=$(eval_metric 2 "$T/eval"); en=$(eval_metric 3 "$T/eval"); }
        fi
        printf '%-11s %-9s %8.1f %8s %8s %8s %8s %8s %8s %5s  %s\n' "$ds" "$arch" "$wall" "$usr" "$rss" \
            "$(metric recall "$T/out")" "$(metric ndcg "$T/out")" "$er" "$en" "$l0" "$extra"
        done
    done
done
