#!/usr/bin/env bash
# warm_start.sh - warm start against training from scratch (issue 19) on a
# temporal split of MovieLens-100k (u.data, ratings as implicit
# interactions): ratings sorted by time, the first 80% are day 1's training
# interactions, the next 10% the day's new ones (appended with
# build-graph --append), the last 10% the held-out future the runs are
# measured on. Day 1 trains model m1 (EPOCHS1 epochs); after the append,
# `train --init-from m1` and a run from scratch with the same settings
# evaluate Recall@20 on the held-out 10% after every epoch. Prints both
# curves and, for each run, the first epoch and the seconds at which it
# reaches 0.95 x the scratch run's best Recall@20.
# Usage: bench/warm_start.sh PATH/TO/gnnrec [DATA_DIR]   (default ../shared/data)
#   FLAGS="--arch mf --dim 64 --lr 0.005 --reg 1e-4 --batch-size 1024", EPOCHS1=15, EPOCHS=20, THREADS=1
set -u
GNNREC=${1:?usage: warm_start.sh PATH/TO/gnnrec [DATA_DIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${2:-${GNNREC_DATA:-$HERE/../../shared/data}}/ml-100k
FLAGS=${FLAGS:---arch mf --dim 64 --lr 0.005 --reg 1e-4 --batch-size 1024}
EPOCHS1=${EPOCHS1:-15} EPOCHS=${EPOCHS:-20} THREADS=${THREADS:-1}
[ -f "$DATA/u.data" ] || { echo "no $DATA/u.data" >&2; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-warm-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
sort -t"$(printf '\t')" -k4,4n -k1,1n -k2,2n "$DATA/u.data" | cut -f1,2 >"$T/all"
n=$(wc -l <"$T/all"); a=$((n * 8 / 10)); b=$((n * 9 / 10))
head -n $a "$T/all" >"$T/day1"; sed -n "$((a + 1)),${b}p" "$T/all" >"$T/day2"; tail -n $((n - b)) "$T/all" >"$T/future"
S=$T/store
"$GNNREC" build-graph --store "$S" --interactions "$T/day1" --test "$T/future" >/dev/null || exit 1
"$GNNREC" train --store "$S" --model m1 $FLAGS --epochs "$EPOCHS1" --eval-every 0 --seed 1 --threads "$THREADS" \
    >/dev/null 2>&1 || exit 1
before=$("$GNNREC" stats --store "$S" --json | sed 's/.*"users":\([0-9]*\),"items":\([0-9]*\).*/\1 users, \2 items/')
"$GNNREC" build-graph --store "$S" --append --interactions "$T/day2" >/dev/null || exit 1
after=$("$GNNREC" stats --store "$S" --json | sed 's/.*"users":\([0-9]*\),"items":\([0-9]*\).*/\1 users, \2 items/')
echo "ml-100k temporal: day 1 $a interactions ($before), day 2 +$((b - a)) ($after), future $((n - b)); $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "flags: $FLAGS, day 1 $EPOCHS1 epochs, then $EPOCHS epochs each, --threads $THREADS"
curve() {   # curve NAME [--init-from m1]: "epoch seconds recall" lines
    local name=$1; shift
    "$GNNREC" train --store "$S" --model "$name" $FLAGS --epochs "$EPOCHS" --eval-every 1 --seed 2 \
        --threads "$THREADS" "$@" 2>&1 >/dev/null |
        awk '/^epoch / { split($2, e, "/"); s += $5 + 0; for (k = 1; k <= NF; k++) if ($k == "recall@20") r = $(k + 1);
                         printf "%d %.2f %s\n", e[1], s, r }'
}
curve warm --init-from m1 >"$T/warm"
curve scratch >"$T/scratch"
best=$(awk '$3 > b { b = $3 } END { print b }' "$T/scratch")
target=$(awk -v b="$best" 'BEGIN { printf "%.4f", 0.95 * b }')
printf 'epoch\twarm_recall@20\tscratch_recall@20\n'
paste -d' ' "$T/warm" "$T/scratch" | awk '{ printf "%d\t%s\t%s\n", $1, $3, $6 }'
for r in warm scratch; do
    awk -v r="$r" -v t="$target" '$3 >= t { printf "%s: reaches %s (0.95 x scratch best) at epoch %d, %.2f s of epochs\n", r, t, $1, $2; f = 1; exit }
        END { if (!f) printf "%s: never reaches %s in the epochs run\n", r, t }' "$T/$r"
done
