#!/usr/bin/env bash
# cli_gfcf.sh - `gnnrec train --arch gf-cf|bspm` + `gnnrec eval` end to end on
# the built-in synthetic data: both beat popularity, eval reproduces train's
# test metrics, the fit is deterministic, eval --json names the arch, bad
# settings exit 2, a model fitted before ids were appended asks to retrain.
# usage: cli_gfcf.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"
quiet() { "$@" >/dev/null 2>&1; }
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

$g generate --out "$tmp/data" --users 400 --items 300 --communities 4 --min-items 8 --max-items 30 2>/dev/null
s="$tmp/store"
$g build-graph --store "$s" --interactions "$tmp/data/interactions.tsv" --columns user,item,rating,time \
  --split random:0.2 --seed 3 >/dev/null 2>&1
check "build-graph of the generated data" test -f "$s/data.mdb"

$g train --store "$s" --arch pop --model pop >/dev/null 2>&1
$g train --store "$s" --arch gf-cf --model gf --svd-k 32 --alpha 0.3 >"$tmp/train.out" 2>/dev/null
check "train gf-cf" test $? -eq 0
check "train bspm" quiet $g train --store "$s" --arch bspm --model bs --svd-k 32 --bspm-t-s 0.5
ep=$($g eval --store "$s" --model pop --json)
eg=$($g eval --store "$s" --model gf --json)
eb=$($g eval --store "$s" --model bs --json)
echo "pop:   $ep"; echo "gf-cf: $eg"; echo "bspm:  $eb"
check "gf-cf beats popularity (ndcg@20)" gt "$(jget "$eg" 'ndcg@20')" "$(jget "$ep" 'ndcg@20')"
check "gf-cf beats popularity (recall@20)" gt "$(jget "$eg" 'recall@20')" "$(jget "$ep" 'recall@20')"
check "bspm beats popularity (ndcg@20)" gt "$(jget "$eb" 'ndcg@20')" "$(jget "$ep" 'ndcg@20')"
check "eval --json names the arch" grep -q '"arch":"gf-cf"' <<<"$eg"
tr=$(sed -n 's/.*recall@20 \([0-9.]*\).*/\1/p' "$tmp/train.out")
ev=$(awk -v x="$(jget "$eg" 'recall@20')" 'BEGIN { printf "%.4f", x }')
check "eval reproduces train's test recall ($tr)" test "$tr" = "$ev"
# infer ranks gf-cf through the same scorer: every user gets 20 distinct items
$g infer --store "$s" --model gf --k 20 > "$tmp/gf.tsv"
check "infer on gf-cf: 20 rows per user, ranks 1..20" awk -F'\t' '$2 != (prev == $1 ? r + 1 : 1) { exit 1 }
  { prev = $1; r = $2; n++ } END { exit !(n == 20 * u) }' u="$(cut -f1 "$tmp/gf.tsv" | sort -u | wc -l)" "$tmp/gf.tsv"
check "infer on gf-cf: items are the store's ids" awk -F'\t' '$3 !~ /^i[0-9]+$/ { exit 1 }' "$tmp/gf.tsv"
# new users need no fold-in: their scores come from their items
items_u1=$(awk -F'\t' '$1 == "u1" { printf " %s", $2 }' "$tmp/data/interactions.tsv")
printf 'twin%s\nnobody\n' "$items_u1" > "$tmp/new.txt"
$g infer --store "$s" --model gf --k 10 --include-seen --new-user-items "$tmp/new.txt" 2>"$tmp/err" > "$tmp/new.tsv"
check "gf-cf: new users from a file are ranked (exit 0, 10 rows each)" sh -c "test $? -eq 0 && test \$(wc -l < '$tmp/new.tsv') -eq 20"
check "gf-cf: an empty new user gets the popularity ranking, said on stderr" grep -q popularity "$tmp/err"
$g infer --store "$s" --model gf --friends >/dev/null 2>&1
check "infer --friends on gf-cf is refused (exit 2)" test $? -eq 2
# chebycf, itemknn and ease (docs/frontier.md): same path; eval reproduces train, they beat popularity,
# new users are ranked from their items, `check` accepts their blobs, bad settings exit 2
for a in chebycf itemknn ease; do
    $g train --store "$s" --arch $a --model $a --svd-k 32 >"$tmp/$a.out" 2>/dev/null
    check "train $a" test $? -eq 0
    ea=$($g eval --store "$s" --model $a --json)
    check "$a beats popularity (ndcg@20)" gt "$(jget "$ea" 'ndcg@20')" "$(jget "$ep" 'ndcg@20')"
    check "$a: eval reproduces train's test recall" test "$(sed -n 's/.*recall@20 \([0-9.]*\).*/\1/p' "$tmp/$a.out")" = \
        "$(awk -v x="$(jget "$ea" 'recall@20')" 'BEGIN { printf "%.4f", x }')"
    $g infer --store "$s" --model $a --k 10 --include-seen --new-user-items "$tmp/new.txt" >"$tmp/$a.tsv" 2>/dev/null
    check "$a: new users ranked (10 rows each)" test "$(wc -l <"$tmp/$a.tsv")" -eq 20
done
check "check accepts the chebycf, itemknn and ease models" quiet $g check --store "$s"
$g train --store "$s" --arch chebycf --model x --cheby-order 0 >/dev/null 2>&1
check "--cheby-order 0 exits 2" test $? -eq 2
$g train --store "$s" --arch itemknn --model x --knn-shrink -1 >/dev/null 2>&1
check "--knn-shrink -1 exits 2" test $? -eq 2
$g train --store "$s" --arch ease --model x --ease-lambda -1 >/dev/null 2>&1
check "--ease-lambda -1 exits 2" test $? -eq 2
$g train --store "$s" --arch gf-cf --model gf2 --svd-k 32 --alpha 0.3 >/dev/null 2>&1
check "same seed, same metrics" test "$(jget "$eg" 'ndcg@20')" = "$(jget "$($g eval --store "$s" --model gf2 --json)" 'ndcg@20')"
check "eval with several cut-offs" quiet $g eval --store "$s" --model bs --k 5,10,20
$g train --store "$s" --arch gf-cf --model x --svd-k nope >/dev/null 2>&1
check "bad --svd-k exits 2" test $? -eq 2
$g train --store "$s" --arch bspm --model x --bspm-solver heun >/dev/null 2>&1
check "unknown --bspm-solver exits 2" test $? -eq 2
# svd_k larger than the matrix: clipped, still works
check "svd-k above min(users, items)" quiet $g train --store "$s" --arch gf-cf --model big --svd-k 4000
# appended interactions: the degrees changed, the model must be refitted
printf 'newuser\tnewitem\t5\t1\n' >"$tmp/more.tsv"
$g build-graph --store "$s" --append --interactions "$tmp/more.tsv" --columns user,item,rating,time >/dev/null 2>&1
$g eval --store "$s" --model gf >/dev/null 2>"$tmp/err"
rc=$?
check "stale gf-cf model: exit 2 and 'retrain'" test $rc -eq 2 -a -n "$(grep retrain "$tmp/err")"

report
