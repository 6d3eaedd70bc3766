#!/usr/bin/env bash
# cli_head.sh - the MLP scoring head end to end (`train --head mlp`,
# gnn/head.h): trained with mse on a rated store and with bpr on an
# implicit one; eval's RMSE and ranking metrics equal what train printed
# (eval ranks through the head's scorer, train through the same); the same
# numbers on 1 and 2 threads; infer's top item of a user has the score
# `infer --pairs` predicts for that pair (the ranking kernel and the pair
# path agree); rank-feed's content term is the head's score (the mean of
# --pairs over a post's items), sorted or not; the model's config names the head; a head model is not a dot
# model (different metrics); refusals (gcn, bad --mlp-layers, fold-in of
# new users) exit 2 with a reason.
# usage: cli_head.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"
quiet() { "$@" >/dev/null 2>&1; }
status() { local want=$1; shift; "$@" >/dev/null 2>"$tmp/err"; [ $? -eq "$want" ]; }
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d < 2e-4 && d > -2e-4) }'; }

rated_stores   # $s (ratings) and $im (the same pairs, implicit); $tmp/train.tsv, test.tsv
common="--dim 8 --epochs 10 --batch-size 64 --lr 0.01 --reg 0.05 --eval-every 0"

out=$($g train --store "$s" --arch mf --loss mse --head mlp --mlp-layers 16,8 $common --threads 1 --model h1 2>/dev/null)
check "train --head mlp --loss mse prints test rmse" grep -q "test rmse [0-9.]*  mae [0-9.]*" <<<"$out"
e1=$($g eval --store "$s" --model h1 --json --threads 1)
check "eval's rmse is train's" test "$(printf '%.4f' "$(jget "$e1" rmse)")" = "$(sed -n 's/.*test rmse \([0-9.]*\).*/\1/p' <<<"$out")"
check "eval's recall@20 is train's" test "$(printf '%.4f' "$(jget "$e1" 'recall@20')")" = "$(sed -n 's/.*recall@20 \([0-9.]*\).*/\1/p' <<<"$out")"
quiet $g train --store "$s" --arch mf --loss mse --head mlp --mlp-layers 16,8 $common --threads 2 --model h2
e2=$($g eval --store "$s" --model h2 --json --threads 2)
check "the same numbers on 2 threads" test "$(jget "$e1" rmse) $(jget "$e1" 'ndcg@20')" = "$(jget "$e2" rmse) $(jget "$e2" 'ndcg@20')"
quiet $g train --store "$s" --arch mf --loss mse $common --threads 1 --model dot
e3=$($g eval --store "$s" --model dot --json --threads 1)
check "the head is not the dot product ($(jget "$e1" rmse) vs $(jget "$e3" rmse))" test "$(jget "$e1" rmse)" != "$(jget "$e3" rmse)"
check "the saved config names the head" grep -q "mlp_layers: 16,8" <<<"$($g models show --store "$s" h1)"

# the ranking kernel against the pair path: user u3's top item and its score
top=$($g infer --store "$s" --model h1 --users u3 --k 1)
item=$(cut -f3 <<<"$top"); score=$(cut -f4 <<<"$top")
echo "u3 $item" >"$tmp/pair"
pred=$($g infer --store "$s" --model h1 --pairs "$tmp/pair" | cut -f3)
mu=$(awk -F'\t' '{ s += $3 } END { printf "%.6f", s / NR }' "$tmp/train.tsv")
check "infer's top score + mean is --pairs' prediction ($score + $mu vs $pred)" \
  close "$(awk -v a="$score" -v b="$mu" 'BEGIN { v = a + b; print (v > 5 ? 5 : v < 1 ? 1 : v) }')" "$pred"

# bpr through the head on the implicit store
out=$($g train --store "$im" --arch mf --head mlp $common --threads 1 --model hb 2>/dev/null)
eb=$($g eval --store "$im" --model hb --json --threads 1)
check "bpr --head mlp: eval's recall@20 is train's" test "$(printf '%.4f' "$(jget "$eb" 'recall@20')")" = "$(sed -n 's/.*recall@20 \([0-9.]*\).*/\1/p' <<<"$out")"
check "bpr --head mlp: no rmse" bash -c "! grep -q rmse <<<'$eb'"
top=$($g infer --store "$im" --model hb --users u5 --k 3)
check "bpr --head mlp: infer ranks 3 unseen items" test "$(cut -f3 <<<"$top" | sort -u | wc -l)" -eq 3
cut -f3 <<<"$top" >"$tmp/top"
check "... none of them u5's training items" awk -F'\t' 'NR == FNR { if ($1 == "u5") seen[$2] = 1; next } seen[$1] { exit 1 }' "$tmp/train.tsv" "$tmp/top"
quiet $g train --store "$im" --arch lightgcn --layers 2 --head mlp $common --threads 1 --model hl
check "lightgcn --head mlp trains and evaluates" bash -c "$g eval --store $im --model hl --json | grep -q 'recall@20'"

# rank-feed's content term through the head (not the dot product of the rows):
# each post's term is the mean of `infer --pairs` over its items (bpr: the
# pair's score itself); the ranking follows it; a shuffled file (the external
# sort) and 1 or 2 threads give the same bytes
awk 'BEGIN { for (v = 0; v < 6; v++) for (p = 0; p < 8; p++) {
    printf "u%d\tp%d_%d\tu%d\ti%d%s\t\n", v * 3, v, p, (v + p) % 60, (v * 7 + p * 5) % 50, p % 3 ? "" : "|i" (p * 3) % 50 } }' |
  LC_ALL=C sort -s -t"$(printf '\t')" -k1,1 >"$tmp/cands"   # viewers in byte order, as the sort puts them
only_content="--weights.author 0 --weights.tie 0 --weights.recency 0 --top 8 --author-cap 0"
$g rank-feed --store "$im" --model hb --candidates "$tmp/cands" --out "$tmp/feed1" $only_content --threads 1 2>/dev/null
awk -F'\t' '{ n = split($4, it, "|"); for (k = 1; k <= n; k++) print $1, it[k] }' "$tmp/cands" | sort -u >"$tmp/fpairs"
$g infer --store "$im" --model hb --pairs "$tmp/fpairs" >"$tmp/fpred"
awk -F'\t' 'NR == FNR { pr[$1 " " $2] = $3; next }
  FILENAME ~ /cands$/ { n = split($4, it, "|"); s = 0; for (k = 1; k <= n; k++) s += pr[$1 " " it[k]]; want[$2] = s / n; next }
  { d = $6 - want[$3]; if (d < 0) d = -d; if (d > 2e-4 * (1 + (want[$3] < 0 ? -want[$3] : want[$3]))) bad++; rows++ }
  END { exit !(rows == 48 && bad == 0) }' "$tmp/fpred" "$tmp/cands" "$tmp/feed1"
check "rank-feed's content term with a head is the mean of infer --pairs over the post's items (48 rows)" test $? -eq 0
check "... and each viewer's ranking follows it" awk -F'\t' '$1 == pv && $5 > ps + 1e-9 { exit 1 } { pv = $1; ps = $5 }' "$tmp/feed1"
shuf --random-source="$tmp/cands" "$tmp/cands" >"$tmp/cands_shuf"
$g rank-feed --store "$im" --model hb --candidates "$tmp/cands_shuf" --out "$tmp/feed2" $only_content --threads 2 2>/dev/null
check "... the same bytes shuffled (the sort) on 2 threads" cmp -s "$tmp/feed1" "$tmp/feed2"
echo "u3 i1" >"$tmp/pair1"; printf 'u3\tq1\tu4\ti1\t\n' >"$tmp/cand1"
pm=$($g infer --store "$s" --model h1 --pairs "$tmp/pair1" | cut -f3)
fm=$($g rank-feed --store "$s" --model h1 --candidates "$tmp/cand1" --out - $only_content 2>/dev/null | cut -f6)
check "mse head: content term + mean is --pairs' prediction ($fm + $mu vs $pm)" \
  close "$(awk -v a="$fm" -v b="$mu" 'BEGIN { v = a + b; print (v > 5 ? 5 : v < 1 ? 1 : v) }')" "$pm"

check "--head mlp with gcn: exit 2" status 2 $g train --store "$im" --arch gcn --head mlp --epochs 1
check "... naming mf and lightgcn" grep -q "head mlp: --arch mf .* and lightgcn" "$tmp/err"
check "--mlp-layers 0: exit 2" status 2 $g train --store "$im" --arch mf --head mlp --mlp-layers 0 --epochs 1
check "... naming the option" grep -q "mlp-layers '0'" "$tmp/err"
printf 'new1 i0 i1\n' >"$tmp/new"
check "fold-in with a head: exit 2" status 2 $g infer --store "$im" --model hb --new-user-items "$tmp/new"
check "... saying why" grep -q "mlp head" "$tmp/err"
report
