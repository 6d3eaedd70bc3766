#!/usr/bin/env bash
# compare_torch.sh - seconds per gowalla LightGCN epoch at batch 2048 (dim 64,
# 3 layers, 2 threads): `gnnrec train` against the PyTorch baseline
# (bench/torch_lightgcn.py, the reference implementation's step), measured
# in alternation, so that each ratio compares the two on the same machine
# state (this shared machine's memory-bound speed drifts by 2x over hours).
#
# Usage: bench/compare_torch.sh GNNREC [ROUNDS] [OUT_DIR] [DATA_DIR]
# Needs Debian's python3-torch (/usr/bin/python3); exits 77 without it or
# without the data. Environment: STEPS (PyTorch steps timed per round, 40),
# THREADS (2).
set -eu

GNNREC=${1:?usage: compare_torch.sh GNNREC [ROUNDS] [OUT_DIR] [DATA_DIR]}
ROUNDS=${2:-3}
OUT=${3:-/tmp/gnnrec-compare-torch}
DATA=${4:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}
HERE=$(cd "$(dirname "$0")" && pwd)
STEPS=${STEPS:-40}
THREADS=${THREADS:-2}

if [ ! -f "$DATA/gowalla/train.txt" ]; then echo "SKIP: no gowalla at $DATA"; exit 77; fi
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 has no torch (apt-get install python3-torch)"; exit 77
fi
mkdir -p "$OUT"
if [ ! -d "$OUT/store" ]; then
    "$GNNREC" build-graph --store "$OUT/store" --format adj \
        --interactions "$DATA/gowalla/train.txt" --test "$DATA/gowalla/test.txt" >/dev/null
fi

echo "# round  torch_epoch_s  gnnrec_epoch_s  ratio   (batch 2048, $THREADS threads, torch: $STEPS steps x 396)"
ratios=() ours=() theirs=()
for r in $(seq 1 "$ROUNDS"); do
    t=$(/usr/bin/python3 "$HERE/torch_lightgcn.py" "$DATA/gowalla" --steps "$STEPS" --threads "$THREADS" \
        | awk '{print $5}')
    "$GNNREC" train --store "$OUT/store" --model "speed$r" --epochs 1 --eval-every 0 --batch-size 2048 \
        --threads "$THREADS" --metrics-log "$OUT/speed$r.jsonl" >/dev/null 2>&1
    g=$(sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p' "$OUT/speed$r.jsonl" | head -1)
    q=$(awk -v a="$t" -v b="$g" 'BEGIN { printf "%.2f", a / b }')
    printf '%7d  %13.1f  %14.2f  %6s\n' "$r" "$t" "$g" "$q"
    ratios+=("$q"); ours+=("$g"); theirs+=("$t")
done
med() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo "median: torch $(med "${theirs[@]}") s, gnnrec $(med "${ours[@]}") s per epoch; ratio x$(med "${ratios[@]}")"
