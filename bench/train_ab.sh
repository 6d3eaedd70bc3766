#!/usr/bin/env bash
# train_ab.sh - one epoch of configs/lightgcn-large.yaml through `gnnrec
# train` (the command users run) by two binaries, alternated on the same
# stores, with the load average next to every figure: on a shared machine a
# change is only measured against a baseline run in the same minutes.
# Usage: bench/train_ab.sh OLD_GNNREC NEW_GNNREC STORE... env: REPS (1:
#        OLD NEW per store; 2: OLD NEW NEW OLD), THREADS (2), NICE (unset; N:
#        every run under `nice -n N`, e.g. -20 as root on a loaded machine)
# Prints one line per run: store, binary, epoch seconds, loss, test
# Recall@20 after the epoch (on 1,000 sampled users, so that the final
# evaluation does not take minutes), 1-minute load before and after.
set -u
OLD=${1:?usage: train_ab.sh OLD NEW STORE...}; NEW=${2:?}; shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
CONF=$HERE/../configs/lightgcn-large.yaml
REPS=${REPS:-1}; THREADS=${THREADS:-2}
PRE=()
[ -n "${NICE:-}" ] && PRE=(nice -n "$NICE")
load() { cut -d' ' -f1 /proc/loadavg; }
one() {   # one STORE LABEL BINARY
    local l0 out
    l0=$(load)
    out=$("${PRE[@]}" "$3" train --store "$1" --config "$CONF" --epochs 1 --eval-every 0 --eval-users 1000 \
          --threads "$THREADS" --model ab 2>&1 >/dev/null | tr '\r' '\n' | awk '$1 == "epoch" && $3 == "loss"')
    # "epoch    1/1  loss 0.53977  187.08s  lr 0.02  test recall@20 0.1368 ..."
    echo "$1 $2 $(echo "$out" | awk '{ sub("s$", "", $5); print $5, "loss", $4, "recall@20", $10 }') load $l0 -> $(load)"
}
for s in "$@"; do
    one "$s" old "$OLD"; one "$s" new "$NEW"
    if [ "$REPS" -ge 2 ]; then one "$s" new "$NEW"; one "$s" old "$OLD"; fi
done
