#!/usr/bin/env bash
# cli_index.sh - `gnnrec index` and `infer --index ivf` (issue 14, top-K at
# scale) on a generated graph with communities: probing every list gives
# infer's exact output; a few lists keep most of each user's exact top-20;
# the index is stored with the model in one transaction and dropped when
# the model is retrained; refusals (a filter model, --index with another
# mode, a model without an index) exit 2 and leave the store unchanged.
# usage: cli_index.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"

$g generate --out "$tmp/g" --interactions 60000 --users 3000 --items 1500 --communities 10 --test-fraction 0.2 \
  --seed 3 2>/dev/null
s="$tmp/s"
$g build-graph --store "$s" --format adj --interactions "$tmp/g/train.txt" --test "$tmp/g/test.txt" >/dev/null
$g train --store "$s" --model m --arch mf --epochs 15 --dim 32 --lr 0.01 --batch-size 4096 --eval-every 0 \
  >/dev/null 2>&1
$g infer --store "$s" --model m --users all --k 20 > "$tmp/exact.tsv"

$g infer --store "$s" --model m --index ivf --k 5 >/dev/null 2>"$tmp/err"
check "infer --index ivf before gnnrec index: exit 2, says to run it" \
  sh -c "test $? -eq 2 && grep -q 'run gnnrec index' '$tmp/err'"
$g index --store "$s" --model m --nlist 40 > "$tmp/out" 2>"$tmp/err"
check "index: exit 0, 1500 items in 40 lists" sh -c "test $? -eq 0 && grep -q '1500 items in 40 lists' '$tmp/out'"

$g infer --store "$s" --model m --users all --k 20 --index ivf --nprobe 40 > "$tmp/all.tsv"
# every list probed: the same users, ranks and items as exact ranking (scores to rounding)
check "nprobe = nlist: the exact top-20 (users, ranks, items)" \
  cmp -s <(cut -f1-3 "$tmp/exact.tsv") <(cut -f1-3 "$tmp/all.tsv")
$g infer --store "$s" --model m --users all --k 20 --index ivf --nprobe 6 > "$tmp/few.tsv"
recall=$(awk -F'\t' 'NR == FNR { ex[$1 SUBSEP $3] = 1; next } { n++; h += (($1 SUBSEP $3) in ex) }
  END { printf "%.4f", h / n }' "$tmp/exact.tsv" "$tmp/few.tsv")
echo "recall@20 of 6 of 40 lists against exact: $recall"
check "nprobe 6 of 40: recall@20 against exact in [0.8, 1) ($recall)" \
  awk -v r="$recall" 'BEGIN { exit !(r >= 0.8 && r < 1.0) }'
check "nprobe 6: every user still gets 20 items" \
  test "$(wc -l < "$tmp/few.tsv")" -eq "$(wc -l < "$tmp/exact.tsv")"
$g infer --store "$s" --model m --users all --k 20 --index ivf --nprobe 6 --threads 1 > "$tmp/few1.tsv"
check "the same output on one thread" cmp -s "$tmp/few.tsv" "$tmp/few1.tsv"

# seen items stay out through the index too
check "no training item recommended through the index" \
  sh -c "awk 'NR == FNR { for (i = 2; i <= NF; i++) seen[\$1 SUBSEP \$i] = 1; next }
                 ((\$1 SUBSEP \$3) in seen) { bad++ } END { exit bad > 0 }' '$tmp/g/train.txt' FS='\t' '$tmp/few.tsv'"

# refusals leave the store as it was
$g train --store "$s" --model gf --arch gf-cf --svd-k 16 >/dev/null 2>&1
before=$(md5sum < "$s/data.mdb")
$g index --store "$s" --model gf > /dev/null 2>"$tmp/err"
check "index of a graph filter: exit 2, store unchanged" \
  sh -c "test $? -eq 2 && grep -q 'not an embedding model' '$tmp/err' && test '$(md5sum < "$s/data.mdb")' = '$before'"
$g infer --store "$s" --model m --index ivf --similar-items 1 > /dev/null 2>"$tmp/err"
check "--index with --similar-items: exit 2" test $? -eq 2
$g index --store "$s" --model nope > /dev/null 2>"$tmp/err"
check "index of a model that does not exist: exit 2" test $? -eq 2
$g index --store "$s" --model m --nlist 40 > /dev/full 2>"$tmp/err"
check "index > /dev/full: exit 1" test $? -eq 1

# a retrained model has no index (its rows changed)
$g train --store "$s" --model m --arch mf --epochs 2 --dim 32 --eval-every 0 >/dev/null 2>&1
$g infer --store "$s" --model m --index ivf --k 5 >/dev/null 2>"$tmp/err"
check "after retraining: the old index is gone (exit 2, run gnnrec index)" \
  sh -c "test $? -eq 2 && grep -q 'run gnnrec index' '$tmp/err'"
report
