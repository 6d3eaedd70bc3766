#!/usr/bin/env bash
# train_gowalla.sh - the gowalla accuracy run of docs/training.md, through
# the real gnnrec command: build the store, train with a config (default:
# configs/lightgcn-gowalla-fast.yaml, lr warm-up + cosine decay), report
# metrics and wall time at every evaluation (training + evaluation seconds
# summed from the metrics log), peak RSS, then time `gnnrec eval` 3 times.
#
# Usage: bench/train_gowalla.sh GNNREC [OUT_DIR] [DATA_DIR]
# Environment:
#   CONFIG   the job config (configs/lightgcn-gowalla-fast.yaml)
#   EXTRA    further train flags, e.g. "--epochs 60 --lr-decay-epochs 60"
#   PHASES="EPOCHS:LR ..."  instead of one run: phases with a constant lr
#            each, later ones continuing with --resume (the older recipe)
#   THREADS  (2)
set -eu

GNNREC=${1:?usage: train_gowalla.sh GNNREC [OUT_DIR] [DATA_DIR]}
OUT=${2:-/tmp/gnnrec-gowalla}
DATA=${3:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}
HERE=$(cd "$(dirname "$0")/.." && pwd)
PHASES=${PHASES:-}
EXTRA=${EXTRA:-}
THREADS=${THREADS:-2}
CONFIG=${CONFIG:-$HERE/configs/lightgcn-gowalla-fast.yaml}
LOG=$OUT/metrics.jsonl

if [ ! -f "$DATA/gowalla/train.txt" ]; then echo "SKIP: no gowalla at $DATA"; exit 77; fi
mkdir -p "$OUT"
if [ ! -d "$OUT/store" ]; then
    "$GNNREC" build-graph --store "$OUT/store" --format adj \
        --interactions "$DATA/gowalla/train.txt" --test "$DATA/gowalla/test.txt" >/dev/null
fi
rm -f "$LOG"
run() {
    # shellcheck disable=SC2086
    /usr/bin/time -v "$GNNREC" train --store "$OUT/store" --config "$CONFIG" --threads "$THREADS" \
        --metrics-log "$LOG" $EXTRA "$@" 2> >(grep -E "recall|Maximum resident|Elapsed" >&2)
}
if [ -z "$PHASES" ]; then
    echo "# one run: $CONFIG $EXTRA"
    run
else
    resume=
    for phase in $PHASES; do
        echo "# phase: up to epoch ${phase%%:*} at lr ${phase##*:}"
        run $resume --epochs "${phase%%:*}" --lr "${phase##*:}"
        resume=--resume
    done
fi
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
