#!/usr/bin/env bash
# scale.sh - how the cost of every command grows with the graph (issue 14):
# generated power-law graphs with communities (`gnnrec generate`) of S
# million training interactions for each S given (default 1 4 16), each
# with S x 62,500 users, S x 12,500 items and a 20% test split (at S = 16:
# 1M users, 200k items, 16M train + 4M test, the graph that did not finish
# an epoch in 25 minutes before). For each size, through the command users
# run:
#   build-graph  seconds, peak RSS, store size
#   train        seconds per epoch of configs/lightgcn-large.yaml (a fixed
#                number of steps per epoch, node order auto), peak RSS; up
#                to NONE_MAX million the same epoch in the store's node
#                order (--node-order none: what locality buys); and, up to
#                OLD_MAX million, the old rule (batch 16,384 positives per
#                step) for the same epoch: the quadratic cost this replaces
#   eval         all test users, and a seeded sample (--eval-users 10000)
#   infer        top-20 for every user, exact and with the IVF index
#                (`gnnrec index`, `infer --index ivf`), and the recall of
#                the approximate top-20 against the exact one on a sample
#                of 2,000 users
# then a table, and the linearity ratio: seconds per epoch per million
# interactions at each size over that at the smallest, measured in this run.
# Usage: bench/scale.sh GNNREC [SIZES...]    env: OUT (work dir, default a
#        temp dir, removed), EPOCHS (1), OLD_MAX (4), NONE_MAX (16), THREADS (2),
#        NPROBE (24), TRAIN_ONLY (0; 1: no eval/index/infer), EVAL_USERS (10000: the
#        sampled test users train evaluates its last epoch on), NICE (unset; N:
#        every command under `nice -n N`, e.g. -10 on a shared machine, as root)
set -u

GNNREC=${1:?usage: scale.sh PATH/TO/gnnrec [SIZES...]}
shift
SIZES=${*:-1 4 16}
HERE=$(cd "$(dirname "$0")" && pwd)
CONF=$HERE/../configs/lightgcn-large.yaml
EPOCHS=${EPOCHS:-1}
OLD_MAX=${OLD_MAX:-4}
NONE_MAX=${NONE_MAX:-16}
TRAIN_ONLY=${TRAIN_ONLY:-0}
PRE=()
[ -n "${NICE:-}" ] && PRE=(nice -n "$NICE")
THREADS=${THREADS:-2}
NPROBE=${NPROBE:-24}
EVAL_USERS=${EVAL_USERS:-10000}
if [ -n "${OUT:-}" ]; then T=$OUT; mkdir -p "$T"; else
    T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-scale-XXXXXX") || exit 1
    trap 'rm -rf "$T"' EXIT
fi

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "gnnrec:  $GNNREC ($("$GNNREC" --version 2>/dev/null || echo '?'))"

# run NAME CMD...: time and peak RSS of one command into $T/NAME.{time,out,err}
run() {
    local name=$1; shift
    if ! "${PRE[@]}" /usr/bin/time -f '%e %M' -o "$T/$name.time" "$@" >"$T/$name.out" 2>"$T/$name.err"; then
        echo "FAILED: $*" >&2; tail -5 "$T/$name.err" >&2; return 1
    fi
}
secs() { cut -d' ' -f1 "$T/$1.time"; }
mib() { awk '{ printf "%.0f", $2 / 1024 }' "$T/$1.time"; }
# the mean epoch seconds the train command printed ("epoch    1/1  loss ...  12.34s")
epoch_secs() { tr '\r' '\n' <"$T/$1.err" | awk '$1 == "epoch" && $3 == "loss" { s += $5; n++ }
                    END { if (n) printf "%.2f", s / n; else print "?" }'; }

rows=()
for S in $SIZES; do
    U=$((S * 62500)); I=$((S * 12500)); N=$((S * 1250000))
    d=$T/g$S; s=$T/s$S
    rm -rf "$d" "$s"
    echo "== ${S}M training interactions: $U users, $I items, $N interactions (20% test)"
    run gen$S "$GNNREC" generate --out "$d" --interactions $N --users $U --items $I --test-fraction 0.2 --seed 1 || exit 1
    run build$S "$GNNREC" build-graph --store "$s" --format adj --interactions "$d/train.txt" --test "$d/test.txt" || exit 1
    rm -rf "$d"
    store_mb=$(du -sm "$s" | cut -f1)
    echo "build-graph: $(secs build$S) s, $(mib build$S) MiB peak, store $store_mb MB"
    run train$S "$GNNREC" train --store "$s" --config "$CONF" --epochs "$EPOCHS" --eval-every 0 --threads "$THREADS" \
        --eval-users "$EVAL_USERS" --model large --progress || exit 1
    ep=$(epoch_secs train$S)
    order=$(sed -n 's/^node order: \([a-z]*\).*/\1/p' "$T/train$S.err")
    echo "train (lightgcn-large, node order ${order:-none}): $ep s per epoch, $(mib train$S) MiB peak ($(secs train$S) s for the command)"
    none="-"
    if [ "$S" -le "$NONE_MAX" ] && [ -n "$order" ]; then
        run none$S "$GNNREC" train --store "$s" --config "$CONF" --node-order none --epochs 1 --eval-every 0 \
            --threads "$THREADS" --model none || exit 1
        none=$(epoch_secs none$S)
        echo "train (the same epoch in the store's node order): $none s per epoch"
    fi
    old="-"
    if [ "$S" -le "$OLD_MAX" ]; then
        run old$S "$GNNREC" train --store "$s" --config "$CONF" --steps-per-epoch 0 --batch-size 16384 --epochs 1 \
            --eval-every 0 --threads "$THREADS" --model old || exit 1
        old=$(epoch_secs old$S)
        echo "train (batch 16384 per step, the old rule): $old s per epoch"
    fi
    if [ "$TRAIN_ONLY" = 1 ]; then
        rows+=("$S|$(secs build$S)|$(mib build$S)|$ep|$none|$old|$(mib train$S)|-|-|-|-|-")
        rm -rf "$s"
        continue
    fi
    run evalall$S "$GNNREC" eval --store "$s" --model large --threads "$THREADS" --json || exit 1
    run evals$S "$GNNREC" eval --store "$s" --model large --threads "$THREADS" --eval-users 10000 --json || exit 1
    echo "eval: all users $(secs evalall$S) s, --eval-users 10000 $(secs evals$S) s"
    run index$S "$GNNREC" index --store "$s" --model large --threads "$THREADS" || exit 1
    run inferx$S "$GNNREC" infer --store "$s" --model large --users all --k 20 --threads "$THREADS" || exit 1
    run inferi$S "$GNNREC" infer --store "$s" --model large --users all --k 20 --threads "$THREADS" --index ivf \
        --nprobe "$NPROBE" || exit 1
    # recall of the approximate top-20 on a sample of users: every U/2000-th
    awk -F'\t' -v step=$((U / 2000)) '$2 == 1 { if (c++ % step == 0) print $1 }' "$T/inferx$S.out" >"$T/sample$S"
    rec=$(awk -F'\t' 'FILENAME == ARGV[1] { s[$1] = 1; next }
                      FILENAME == ARGV[2] { if ($1 in s) ex[$1 SUBSEP $3] = 1; next }
                      ($1 in s) { n++; h += (($1 SUBSEP $3) in ex) } END { printf "%.4f", n ? h / n : 0 }' \
              "$T/sample$S" "$T/inferx$S.out" "$T/inferi$S.out")
    echo "infer all users: exact $(secs inferx$S) s, ivf (nprobe $NPROBE) $(secs inferi$S) s (index built in $(secs index$S) s), recall@20 of ivf vs exact $rec"
    rm -f "$T"/infer?$S.out
    rows+=("$S|$(secs build$S)|$(mib build$S)|$ep|$none|$old|$(mib train$S)|$(secs evalall$S)|$(secs evals$S)|$(secs inferx$S)|$(secs inferi$S)|$rec")
    rm -rf "$s"
done

echo
echo "| train interactions | build-graph s | build MiB | epoch s | epoch s, store order | epoch s, old rule | train MiB | eval all s | eval 10k users s | infer exact s | infer ivf s | ivf recall@20 | epoch s per M | vs smallest |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
base=""
for r in "${rows[@]}"; do
    IFS='|' read -r S b bm ep none old tm ea es ix ii rec <<<"$r"
    per=$(awk -v e="$ep" -v s="$S" 'BEGIN { printf "%.2f", e / s }')
    [ -z "$base" ] && base=$per
    ratio=$(awk -v p="$per" -v b="$base" 'BEGIN { printf "%.2f", p / b }')
    echo "| ${S}M | $b | $bm | $ep | $none | $old | $tm | $ea | $es | $ix | $ii | $rec | $per | x$ratio |"
done
