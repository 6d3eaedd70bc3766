#!/usr/bin/env bash
# budget.sh - Recall@20 after a fixed wall budget (issue 14's scaling table):
# on each given store, LightGCN and MF with configs/lightgcn-large.yaml's
# settings, each stopped by `train --time-limit SECONDS` (the epoch that ends
# past the budget is the last, evaluated and saved), and popularity, all
# evaluated on the same seeded sample of test users (--eval-users) at every
# epoch. Prints one TSV row per model: the best Recall@20 / NDCG@20 seen
# within the budget and its epoch, the final model's figures, the epochs run,
# and the wall seconds of the whole command (load, evaluation, save).
# Usage: bench/budget.sh GNNREC STORE SECONDS EPOCHS [STORE SECONDS EPOCHS ...]
#        (EPOCHS: what the run plans for, so the cosine schedule ends near the
#        budget, as a user would set it; --time-limit stops it if slower)
#        env: EVAL_USERS (10000), THREADS (2), OUT (work dir, default temp)
set -u
GNNREC=${1:?usage: budget.sh GNNREC STORE SECONDS EPOCHS [...]}
shift
HERE=$(cd "$(dirname "$0")" && pwd)
CONF=$HERE/../configs/lightgcn-large.yaml
EVAL_USERS=${EVAL_USERS:-10000}
THREADS=${THREADS:-2}
if [ -n "${OUT:-}" ]; then T=$OUT; mkdir -p "$T"; else
    T=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-budget-XXXXXX") || exit 1
    trap 'rm -rf "$T"' EXIT
fi
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ), gnnrec $("$GNNREC" --version 2>/dev/null)"
printf 'store\tbudget_s\tmodel\tepochs\tbest_recall20\tbest_ndcg20\tbest_epoch\tfinal_recall20\tfinal_ndcg20\twall_s\tload_after\n'

# summary NAME: the metrics log lines ("epoch N ... recall@20 X ndcg@20 Y")
# the run printed on stderr, reduced to best and final
summary() {
    awk '
        /recall@20/ {
            e = ""; r = ""; n = ""
            for (i = 1; i <= NF; i++) {
                if ($i == "epoch") { e = $(i + 1); sub(/\/.*/, "", e) }
                if ($i ~ /^recall@20/) { r = $(i + 1); if (r == "") r = $i }
                if ($i ~ /^ndcg@20/) n = $(i + 1)
            }
            gsub(/[^0-9.]/, "", r); gsub(/[^0-9.]/, "", n); gsub(/[^0-9]/, "", e)
            if (r == "") next
            last_r = r; last_n = n; last_e = e; cnt++
            if (r + 0 > best_r + 0) { best_r = r; best_n = n; best_e = e }
        }
        END {
            if (!cnt) { print "-\t-\t-\t-\t-\t-"; exit }
            printf "%s\t%s\t%s\t%s\t%s\t%s\n", last_e == "" ? "-" : last_e, best_r, best_n, best_e == "" ? "-" : best_e, last_r, last_n
        }' "$T/$1.err" "$T/$1.out"
}

while [ $# -ge 3 ]; do
    S=$1 B=$2 E=$3; shift 3
    tag=$(basename "$S")
    for arch in lightgcn mf pop; do
        name=$tag.$arch
        if [ "$arch" = pop ]; then
            args=(--arch pop --model "budget-$arch")
        else
            args=(--config "$CONF" --arch "$arch" --model "budget-$arch" --epochs "$E" --eval-every 1
                  --time-limit "$B")
        fi
        start=$(date +%s.%N)
        if ! "$GNNREC" train --store "$S" "${args[@]}" --eval-users "$EVAL_USERS" --threads "$THREADS" \
                >"$T/$name.out" 2>"$T/$name.err"; then
            echo "FAILED: train $name" >&2; tail -5 "$T/$name.err" >&2; continue
        fi
        wall=$(echo "$(date +%s.%N) - $start" | bc)
        printf '%s\t%s\t%s\t%s\t%.1f\t%s\n' "$tag" "$B" "$arch" "$(summary "$name")" "$wall" \
            "$(cut -d' ' -f1 /proc/loadavg)"
    done
done
