#!/usr/bin/env bash
# train_gowalla.sh - the accuracy runs of docs/training.md, through the real
# gnnrec command: build the store, train in phases (a phase = a learning
# rate; later phases continue the checkpoint with --resume, which keeps the
# Adam state and the epoch count), then evaluate. Wall time is read back from
# the metrics log (training seconds + evaluation seconds of every epoch).
#
# Usage: bench/train_gowalla.sh GNNREC [OUT_DIR] [DATA_DIR]
# Environment (defaults = the schedule reported in docs/training.md):
#   PHASES="EPOCHS:LR ..."  cumulative epoch count and learning rate per phase
#   BATCH, NEG, EVAL_EVERY, THREADS, CONFIG
set -eu

GNNREC=${1:?usage: train_gowalla.sh GNNREC [OUT_DIR] [DATA_DIR]}
OUT=${2:-/tmp/gnnrec-gowalla}
DATA=${3:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}
HERE=$(cd "$(dirname "$0")/.." && pwd)
PHASES=${PHASES:-"20:0.02 30:0.005"}
BATCH=${BATCH:-8192}
NEG=${NEG:-2}
EVAL_EVERY=${EVAL_EVERY:-5}
THREADS=${THREADS:-2}
CONFIG=${CONFIG:-$HERE/configs/lightgcn-gowalla.yaml}
LOG=$OUT/metrics.jsonl

if [ ! -f "$DATA/gowalla/train.txt" ]; then echo "SKIP: no gowalla at $DATA"; exit 77; fi
mkdir -p "$OUT"
if [ ! -d "$OUT/store" ]; then
    "$GNNREC" build-graph --store "$OUT/store" --format adj \
        --interactions "$DATA/gowalla/train.txt" --test "$DATA/gowalla/test.txt" >/dev/null
fi
rm -f "$LOG"
resume=
for phase in $PHASES; do
    epochs=${phase%%:*}
    lr=${phase##*:}
    echo "# phase: up to epoch $epochs at lr $lr (batch $BATCH, negatives $NEG)"
    /usr/bin/time -v "$GNNREC" train --store "$OUT/store" --config "$CONFIG" $resume \
        --epochs "$epochs" --batch-size "$BATCH" --lr "$lr" --negatives "$NEG" \
        --eval-every "$EVAL_EVERY" --threads "$THREADS" --metrics-log "$LOG" \
        2> >(grep -E "recall|Maximum resident|Elapsed" >&2)
    resume=--resume
done
# wall time at each evaluation, from the log: cumulative training + evaluation seconds
awk -F'[,:{}]' '{
    for (i = 1; i < NF; i++) {
        if ($i == "\"epoch\"") ep = $(i + 1)
        if ($i == "\"seconds\"" || $i == "\"eval_seconds\"") wall += $(i + 1)
        if ($i ~ /recall@20"$/) rec = $(i + 1)
        if ($i ~ /ndcg@20"$/) ndcg = $(i + 1)
    }
    if (rec != "") printf "epoch %4d  recall@20 %.4f  ndcg@20 %.4f  wall %7.1f s\n", ep, rec, ndcg, wall
    rec = ""
}' "$LOG"
for i in 1 2 3; do
    /usr/bin/time -f "eval wall %e s, max RSS %M KB" "$GNNREC" eval --store "$OUT/store" --threads "$THREADS" \
        >"$OUT/eval.$i.txt"
done
cat "$OUT/eval.1.txt"
