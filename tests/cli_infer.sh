#!/usr/bin/env bash
# cli_infer.sh - end-to-end tests of `gnnrec infer` (docs/infer.md) on the
# built-in synthetic data: top-K equal to what eval scores (recall and NDCG
# recomputed from infer's lists), a sample of users asked by id equal to the
# same users in the all-users run, unknown ids, --k beyond the catalogue,
# empty users, new users folded in (far above popularity, store untouched),
# similar items and people you may know, exit codes.
# usage: cli_infer.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"
# metrics of infer TSV (stdin) against a test file: recall@K and ndcg@K (binary gains)
metrics() {
  awk -F'\t' -v K="$2" 'NR == FNR { t[$1 "\t" $2] = 1; nt[$1]++; next }
    $2 <= K && (($1 "\t" $3) in t) { hit[$1]++; dcg[$1] += log(2) / log($2 + 1) }
    END { for (u in nt) { m = nt[u] < K ? nt[u] : K; idcg = 0; for (r = 1; r <= m; r++) idcg += log(2) / log(r + 1)
            rs += hit[u] / nt[u]; ns += dcg[u] / idcg; c++ }
          printf "%.6f %.6f", rs / c, ns / c }' "$1" -
}

$g generate --out "$tmp/data" --users 400 --items 300 --communities 4 --min-items 8 --max-items 30 2>/dev/null
awk -F'\t' '{ k[$1]++; line[$1, k[$1]] = $0 } END { for (u in k) for (i = 1; i <= k[u]; i++)
  print line[u, i] > ((i > k[u] * 0.8) ? "'"$tmp"'/test.tsv" : "'"$tmp"'/train.tsv") }' "$tmp/data/interactions.tsv"
# a user with test rows only: in the store, no training item (an "empty" user)
printf 'lonely\ti1\t5\t1\n' >> "$tmp/test.tsv"
s="$tmp/store"
$g build-graph --store "$s" --interactions "$tmp/train.tsv" --test "$tmp/test.tsv" \
  --columns user,item,rating,time --social "$tmp/data/social.tsv" >/dev/null
common=(--store "$s" --epochs 30 --dim 32 --lr 0.01 --batch-size 256 --eval-every 0)
$g train "${common[@]}" --model lg >/dev/null 2>&1
$g train "${common[@]}" --model mf --arch mf >/dev/null 2>&1
$g train --store "$s" --model pop --arch pop >/dev/null 2>&1
check "three models trained" test "$($g eval --store "$s" --model lg --json 2>/dev/null | grep -c users_evaluated)" -eq 1
grep -v '^lonely' "$tmp/test.tsv" > "$tmp/test_nolonely.tsv"

# ---- top-K for known users: the same ranking as eval
$g infer --store "$s" --model lg --k 20 > "$tmp/all.tsv"
el=$($g eval --store "$s" --model lg --k 20 --json)
read -r rec ndcg < <(metrics "$tmp/test.tsv" 20 < "$tmp/all.tsv")
check "recall@20 from infer ($rec) equals eval's" test "$rec" = "$(jget "$el" 'recall@20')"
check "ndcg@20 from infer ($ndcg) equals eval's (order too)" test "$ndcg" = "$(jget "$el" 'ndcg@20')"
check "never a training item" awk -F'\t' 'NR == FNR { seen[$1 "\t" $2] = 1; next } ($1 "\t" $3) in seen { exit 1 }' \
  "$tmp/train.tsv" "$tmp/all.tsv"
check "scores non-increasing within a user" awk -F'\t' '$1 == p && $4 > s + 0 { exit 1 } { p = $1; s = $4 }' "$tmp/all.tsv"
# a sample of users by file (the per-user range-scan path) equals the all-users run
cut -f1 "$tmp/train.tsv" | sort -u | awk 'NR % 13 == 5' > "$tmp/sample"
$g infer --store "$s" --model lg --k 20 --users "$tmp/sample" > "$tmp/sample.tsv"
# (scores may differ in the last printed digit: OpenBLAS takes another edge
# path for a block of 31 rows than for 4096, so compare them with a tolerance)
awk -F'\t' 'NR == FNR { w[$1] = NR; next } ($1 in w) { print w[$1] "\t" $0 }' "$tmp/sample" "$tmp/all.tsv" |
  sort -t$'\t' -k1,1n -s | cut -f2- > "$tmp/sample_all.tsv"
check "sample of $(wc -l < "$tmp/sample") users by file: same items, same order as in the all-users run" \
  cmp -s <(cut -f1-3 "$tmp/sample.tsv") <(cut -f1-3 "$tmp/sample_all.tsv")
check "... and the same scores (to 1e-5 relative)" \
  awk -F'\t' 'NR == FNR { s[FNR] = $4; next } { d = $4 - s[FNR]; if (d < 0) d = -d; a = $4 < 0 ? -$4 : $4
    if (d > 1e-5 * (a > 1 ? a : 1)) exit 1 }' "$tmp/sample.tsv" "$tmp/sample_all.tsv"
check "users by list keep the order asked" \
  test "$($g infer --store "$s" --model lg --k 1 --users u7,u3,u5 | cut -f1 | tr '\n' ,)" = "u7,u3,u5,"
$g infer --store "$s" --model lg --users u1,u2 --k 3 --format jsonl > "$tmp/j"
check "jsonl: one object per user with 3 items" \
  test "$(grep -c '^{"user":"u[12]","items":\[{"item":"i[0-9]*","score":[-0-9.e]*},{.*},{.*}\]}$' "$tmp/j")" -eq 2

# ---- unknown ids, --k beyond the catalogue, empty user
$g infer --store "$s" --model lg --users u1,nobody,ghost >/dev/null 2>"$tmp/err"
check "unknown users: exit 2, both named" sh -c "test $? -eq 2 && grep -q nobody '$tmp/err' && grep -q ghost '$tmp/err'"
out=$($g infer --store "$s" --model lg --users u1,nobody --skip-unknown --k 4 2>"$tmp/err")
check "--skip-unknown: u1's 4 rows and a warning with the count" \
  sh -c "test $(wc -l <<<"$out") -eq 4 && grep -q 'skipped 1 unknown user' '$tmp/err'"
nseen=$(awk -F'\t' '$1 == "u1"' "$tmp/train.tsv" | cut -f2 | sort -u | wc -l)
check "--k 1000 > 300 items: every unseen item once ($((300 - nseen)) rows)" \
  test "$($g infer --store "$s" --model lg --users u1 --k 1000 | cut -f3 | sort -u | wc -l)" -eq $((300 - nseen))
check "--k 1000 --include-seen: the whole catalogue" \
  test "$($g infer --store "$s" --model lg --users u1 --k 1000 --include-seen | wc -l)" -eq 300
check "an empty user (no training item) still gets 20 items" \
  test "$($g infer --store "$s" --model lg --users lonely | wc -l)" -eq 20
$g infer --store "$s" --model lg --k 0 >/dev/null 2>&1; check "--k 0 exits 2" test $? -eq 2

# ---- new users folded in
sum0=$(cksum < "$s/data.mdb")
# every trained user again, as a new user "new-<id>" with the same training items
awk -F'\t' '{ it[$1] = it[$1] " " $2 } END { for (u in it) print "new-" u it[u] }' "$tmp/train.tsv" | sort > "$tmp/new.txt"
sed 's/^/new-/' "$tmp/test_nolonely.tsv" > "$tmp/test_new.tsv"
$g infer --store "$s" --model lg --new-user-items "$tmp/new.txt" --k 20 > "$tmp/fold.tsv"
read -r frec _ < <(metrics "$tmp/test_new.tsv" 20 < "$tmp/fold.tsv")
read -r prec _ < <($g infer --store "$s" --model pop --new-user-items "$tmp/new.txt" --k 20 | metrics "$tmp/test_new.tsv" 20)
read -r lrec _ < <(metrics "$tmp/test_nolonely.tsv" 20 < "$tmp/all.tsv")
check "fold-in recall@20 ($frec) > 1.5 x popularity ($prec), trained: $lrec" \
  awk -v a="$frec" -v b="$prec" 'BEGIN { exit !(a > 1.5 * b) }'
check "fold-in never recommends the user's own items" \
  awk -F'\t' 'NR == FNR { seen["new-" $1 "\t" $2] = 1; next } ($1 "\t" $3) in seen { exit 1 }' "$tmp/train.tsv" "$tmp/fold.tsv"
read -r mrec _ < <($g infer --store "$s" --model mf --new-user-items "$tmp/new.txt" --k 20 | metrics "$tmp/test_new.tsv" 20)
check "mf fold-in recall@20 ($mrec) > popularity ($prec)" awk -v a="$mrec" -v b="$prec" 'BEGIN { exit !(a > b) }'
check "the store is not written by fold-in" test "$(cksum < "$s/data.mdb")" = "$sum0"
printf 'fresh\nfresh2 i3 i4\n' > "$tmp/nu2.txt"
$g infer --store "$s" --model lg --new-user-items "$tmp/nu2.txt" --k 5 > "$tmp/nu2.tsv" 2>"$tmp/err"
check "a new user with no item gets the popularity ranking (and a note)" \
  bash -c "cmp -s <(awk -F'\t' '\$1 == \"fresh\"' '$tmp/nu2.tsv' | cut -f3) \
         <($g infer --store '$s' --model pop --users lonely --k 5 | cut -f3) && grep -q popularity '$tmp/err'"
check "new users keep the input order" test "$(cut -f1 "$tmp/nu2.tsv" | uniq | tr '\n' ,)" = "fresh,fresh2,"
printf 'x i1 nosuchitem\n' > "$tmp/nu3.txt"
$g infer --store "$s" --model lg --new-user-items "$tmp/nu3.txt" >/dev/null 2>"$tmp/err"
check "an unknown item: exit 2, named" sh -c "test $? -eq 2 && grep -q nosuchitem '$tmp/err'"
check "an unknown item with --skip-unknown: 20 rows" \
  test "$($g infer --store "$s" --model lg --new-user-items "$tmp/nu3.txt" --skip-unknown 2>/dev/null | wc -l)" -eq 20
$g infer --store "$s" --model lg --new-user-items "$tmp/none.txt" >/dev/null 2>&1
check "a missing new-users file exits 2" test $? -eq 2

# ---- similar items
$g infer --store "$s" --model lg --similar-items i1,i2 --k 10 > "$tmp/sim.tsv"
check "similar items: 10 rows per query, never itself" \
  sh -c "test \$(wc -l < '$tmp/sim.tsv') -eq 20 && awk -F'\t' '\$1 == \$3 { exit 1 }' '$tmp/sim.tsv'"
check "similar items: cosines in [-1, 1], non-increasing" \
  awk -F'\t' '$4 > 1.00001 || $4 < -1.00001 || ($1 == p && $4 > s + 0) { exit 1 } { p = $1; s = $4 }' "$tmp/sim.tsv"
check "similar items --k 1000: all 299 others" \
  test "$($g infer --store "$s" --model lg --similar-items i1 --k 1000 | wc -l)" -eq 299
$g infer --store "$s" --model lg --similar-items i1,zzz >/dev/null 2>"$tmp/err"
check "similar items: unknown item exit 2, named" sh -c "test $? -eq 2 && grep -q zzz '$tmp/err'"
$g infer --store "$s" --model pop --similar-items i1 >/dev/null 2>&1
check "similar items of the popularity model exit 2" test $? -eq 2
check "similar items jsonl" \
  grep -q '^{"item":"i1","items":\[{"item":"i[0-9]*","score":' <($g infer --store "$s" --model lg --similar-items i1 --format jsonl)

# ---- people you may know
$g infer --store "$s" --model lg --friends --k 10 > "$tmp/fr.tsv"
check "friends: never the user itself" awk -F'\t' '$1 == $3 { exit 1 }' "$tmp/fr.tsv"
check "friends: never an existing tie (either direction)" \
  awk -F'\t' 'NR == FNR { tie[$1 "\t" $2] = 1; tie[$2 "\t" $1] = 1; next } ($1 "\t" $3) in tie { exit 1 }' \
  "$tmp/data/social.tsv" "$tmp/fr.tsv"
check "friends: 10 per user" test "$(wc -l < "$tmp/fr.tsv")" -eq $((10 * $(cut -f1 "$tmp/fr.tsv" | sort -u | wc -l)))
check "friends --users u3 = u3's rows of the full run (scores to float rounding)" \
  same_rows <($g infer --store "$s" --model lg --friends --users u3 --k 10) <(awk -F'\t' '$1 == "u3"' "$tmp/fr.tsv")
check "friends jsonl" grep -q '^{"user":"u3","users":\[{"user":"u[0-9]*","score":' \
  <($g infer --store "$s" --model lg --friends --users u3 --format jsonl)

# ---- exit codes
$g infer --help >/dev/null; check "--help exits 0" test $? -eq 0
$g infer --store "$s" --model lg --friends --similar-items i1 >/dev/null 2>&1
check "two modes at once exit 2" test $? -eq 2
$g infer --store "$s" --model lg --similar-items i1 --users u1 >/dev/null 2>&1
check "--users with --similar-items exits 2" test $? -eq 2
$g infer --store "$s" --model nope >/dev/null 2>&1; check "a missing model exits 2" test $? -eq 2

report
