#!/usr/bin/env bash
# foldin_lastfm.sh - how well `infer --new-user-items` folds in users the
# model never saw (docs/infer.md). On lastfm (LightGCN-PyTorch's split),
# 10% of the users (seeded) are taken out of the store entirely: their
# training rows are not loaded, their test rows are not either. A LightGCN
# is trained on the rest; then the held-out users are folded in from their
# training rows and their Recall@20 on their test rows is computed from
# infer's output. Printed next to the trained users' Recall@20 (eval) and
# popularity's for both groups, for the two layer-0 rules (mean of the
# items' rows, zero) and for an mf model folded in the same way.
# usage: bench/foldin_lastfm.sh GNNREC [DATA_DIR] [EPOCHS]   (defaults: ../shared/data/lastfm, 100)
set -eu
g=${1:?usage: foldin_lastfm.sh GNNREC [DATA_DIR] [EPOCHS]}
d=${2:-$(dirname "$0")/../../shared/data/lastfm}
epochs=${3:-100}
[ -f "$d/data1.txt" ] || { echo "no lastfm data in $d" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 10% of the users with a training row, chosen by a seeded shuffle
cut -f1 "$d/data1.txt" | sort -un | awk 'BEGIN { srand(2020) } { print rand() "\t" $1 }' | sort -k1,1 |
  awk -v n="$(cut -f1 "$d/data1.txt" | sort -u | wc -l)" 'NR <= int(n / 10 + 0.5) { print $2 }' > "$tmp/held"
awk -F'\t' 'NR == FNR { h[$1] = 1; next } !($1 in h)' "$tmp/held" "$d/data1.txt" > "$tmp/train.tsv"
awk -F'\t' 'NR == FNR { h[$1] = 1; next } !($1 in h)' "$tmp/held" "$d/test1.txt" > "$tmp/test.tsv"
awk -F'\t' 'NR == FNR { h[$1] = 1; next } ($1 in h)' "$tmp/held" "$d/test1.txt" > "$tmp/held_test.tsv"
# the new users' lines: `user item item ...` from their training rows
awk -F'\t' 'NR == FNR { h[$1] = 1; next } ($1 in h) { it[$1] = it[$1] " " $2 }
  END { for (u in it) print u it[u] }' "$tmp/held" "$d/data1.txt" | sort -n > "$tmp/new_users.txt"

s="$tmp/store"
$g build-graph --store "$s" --format edges --delim tab --columns user,item,rating \
  --interactions "$tmp/train.tsv" --test "$tmp/test.tsv" >/dev/null
t0=$(date +%s.%N)
$g train --store "$s" --model lg --epochs "$epochs" --lr 0.005 --eval-every 0 --seed 2020 >/dev/null 2>&1
$g train --store "$s" --model mf --arch mf --epochs "$epochs" --lr 0.005 --eval-every 0 --seed 2020 >/dev/null 2>&1
$g train --store "$s" --model pop --arch pop >/dev/null 2>&1
t1=$(date +%s.%N)

jget() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" <<<"$1"; }
# Recall@20 of infer TSV output (stdin) against a test file: mean over the
# test file's users of hits / |test items|; a user with no output line counts 0
recall() {
  awk -F'\t' 'NR == FNR { t[$1 "\t" $2] = 1; nt[$1]++; next } (($1 "\t" $3) in t) { hit[$1]++ }
    END { for (u in nt) { s += hit[u] / nt[u]; n++ } printf "%.4f", s / n }' "$1" -
}
held_users=$(wc -l < "$tmp/held"); held_eval=$(cut -f1 "$tmp/held_test.tsv" | sort -u | wc -l)
echo "lastfm fold-in: $held_users of $(cut -f1 "$d/data1.txt" | sort -u | wc -l) users held out of training" \
     "($held_eval with test rows); $epochs epochs, lr 0.005; train $(printf '%.0f' "$(echo "$t1 - $t0" | bc)") s"
printf '%-28s %18s %18s\n' "Recall@20" "trained users" "folded-in users"
for m in lg mf pop; do
  tr=$(jget "$($g eval --store "$s" --model "$m" --k 20 --json)" 'recall@20')
  fo=$($g infer --store "$s" --model "$m" --new-user-items "$tmp/new_users.txt" --skip-unknown --k 20 2>/dev/null |
       recall "$tmp/held_test.tsv")
  case $m in lg) name="lightgcn (layer 0 = item mean)";; mf) name="mf (mean of item vectors)";; pop) name="popularity";; esac
  printf '%-28s %18s %18s\n' "$name" "$tr" "$fo"
  if [ "$m" = lg ]; then
    fz=$(GNNREC_FOLDIN_RULE=zero $g infer --store "$s" --model lg --new-user-items "$tmp/new_users.txt" --skip-unknown \
         --k 20 2>/dev/null | recall "$tmp/held_test.tsv")
    printf '%-28s %18s %18s\n' "lightgcn (layer 0 = 0)" "" "$fz"
  fi
done
t2=$(date +%s.%N)
$g infer --store "$s" --model lg --new-user-items "$tmp/new_users.txt" --skip-unknown --k 20 >/dev/null 2>&1
t3=$(date +%s.%N)
echo "fold-in + top-20 of $held_users new users: $(echo "$t3 - $t2" | bc) s wall; load: $(uptime | sed 's/.*load/load/')"
