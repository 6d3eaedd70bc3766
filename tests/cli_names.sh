#!/usr/bin/env bash
# cli_names.sh - item names (issue 19): build-graph --item-names stores
# them, infer --names prints them (TSV column, JSON "name"), --append adds
# and replaces names, a bad names file is FILE:LINE exit 2 and leaves the
# store as it was (or no store); MovieLens u.item titles when the data is
# there (../shared/data/ml-100k).
# usage: cli_names.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"
DATA=$(cd "$(dirname "$0")/../.." && pwd)/shared/data
$g generate --out "$tmp/data" --users 100 --items 60 --communities 3 --min-items 5 --max-items 15 >/dev/null 2>&1
cut -f2 "$tmp/data/interactions.tsv" | sort -u > "$tmp/items"
awk '{ printf "%s\tTitle %s (%d)\n", $1, toupper($1), 1990 + NR % 30 }' "$tmp/items" > "$tmp/names.tsv"
s="$tmp/store"
$g build-graph --store "$s" --interactions "$tmp/data/interactions.tsv" --columns user,item,rating,time \
  --item-names "$tmp/names.tsv" > "$tmp/out" 2>&1
check "build-graph --item-names: exit 0, the count reported" \
  sh -c "test $? -eq 0 && grep -q \"named items *$(wc -l <"$tmp/names.tsv")\" '$tmp/out'"
$g train --store "$s" --arch mf --dim 8 --epochs 2 --eval-every 0 --model m >/dev/null 2>&1
$g infer --store "$s" --model m --k 5 --names > "$tmp/r.tsv"
check "infer --names: 5 columns" awk -F'\t' 'NF != 5 { exit 1 }' "$tmp/r.tsv"
check "... each item's name is the one given" awk -F'\t' 'NR == FNR { n[$1] = $2; next } n[$3] != $5 { exit 1 }' \
  "$tmp/names.tsv" "$tmp/r.tsv"
$g infer --store "$s" --model m --k 5 > "$tmp/plain.tsv"
check "... the first 4 columns are infer's without --names" cmp -s <(cut -f1-4 "$tmp/r.tsv") "$tmp/plain.tsv"
$g infer --store "$s" --model m --k 2 --users u1 --names --format jsonl > "$tmp/r.jsonl"
i1=$(sed -n 's/^{"user":"u1","items":\[{"item":"\([^"]*\)".*/\1/p' "$tmp/r.jsonl")
want=$(awk -F'\t' -v i="$i1" '$1 == i { print $2 }' "$tmp/names.tsv")
check "jsonl: a \"name\" key after the score ($i1: $want)" grep -q "{\"item\":\"$i1\",\"score\":[-0-9.e]*,\"name\":\"$want\"}" "$tmp/r.jsonl"
$g infer --store "$s" --model m --similar-items "$i1" --k 3 --names > "$tmp/sim.tsv"
check "--similar-items --names: names of the similar items" \
  awk -F'\t' 'NR == FNR { n[$1] = $2; next } n[$3] != $5 || NF != 5 { exit 1 }' "$tmp/names.tsv" "$tmp/sim.tsv"
$g infer --store "$s" --model m --friends --users u1 --names > /dev/null 2>"$tmp/err"
check "--names with --friends: exit 2" sh -c "test $? -eq 2 && grep -q -- '--names' '$tmp/err'"

# --append: names of new items, one name replaced, the others kept
printf 'u1\tnewitem\t5\t1700000000\n' > "$tmp/more.tsv"
printf 'newitem\tA New Item\n%s\tRenamed\n' "$i1" > "$tmp/more_names.tsv"
$g build-graph --store "$s" --append --interactions "$tmp/more.tsv" --columns user,item,rating,time \
  --item-names "$tmp/more_names.tsv" > "$tmp/out" 2>&1
check "--append --item-names: exit 0, one more named item" \
  sh -c "test $? -eq 0 && grep -q \"named items *$(( $(wc -l <"$tmp/names.tsv") + 1 ))\" '$tmp/out'"
$g train --store "$s" --arch mf --dim 8 --epochs 2 --eval-every 0 --model m2 >/dev/null 2>&1
$g infer --store "$s" --model m2 --k 70 --include-seen --users u1 --names > "$tmp/r2.tsv"
check "... the new item has its name" grep -q "	newitem	[-0-9.e]*	A New Item$" "$tmp/r2.tsv"
check "... the renamed one its new name" grep -q "	$i1	[-0-9.e]*	Renamed$" "$tmp/r2.tsv"
other=$(awk -F'\t' -v i="$i1" '$3 != i && $3 != "newitem" { print $3; exit }' "$tmp/r2.tsv")
check "... another keeps its name ($other)" \
  grep -q "	$other	[-0-9.e]*	$(awk -F'\t' -v i="$other" '$1 == i { print $2 }' "$tmp/names.tsv")$" "$tmp/r2.tsv"

# bad names files: FILE:LINE, exit 2, the store unchanged
sum0=$(md5sum <"$s/data.mdb")
bad() {   # bad WHAT CONTENT EXPECTED-MESSAGE
  printf "$2" > "$tmp/bad.tsv"
  $g build-graph --store "$s" --append --interactions "$tmp/more.tsv" --columns user,item,rating,time \
    --item-names "$tmp/bad.tsv" > /dev/null 2>"$tmp/err"
  local rc=$?
  check "$1: exit 2, $3" test "$rc" -eq 2 -a "$(grep -cF -- "$3" "$tmp/err")" -ge 1
}
bad "an unknown item" "$i1\tok\nnosuchitem\tX\n" "bad.tsv:2: item 'nosuchitem' is not in the store"
bad "an item named twice" "$i1\ta\n\n$i1\tb\n" "bad.tsv:3: item '$i1' already named at line 1"
bad "one field" "$i1\n" "bad.tsv:1: expected"
bad "an empty name" "$i1\t\n" "bad.tsv:1: empty name"
bad "a control byte" "$i1\tbell\a\n" "bad.tsv:1: control byte"
check "... and the store's file is byte for byte as it was" test "$(md5sum <"$s/data.mdb")" = "$sum0"
$g build-graph --store "$tmp/new" --interactions "$tmp/data/interactions.tsv" --columns user,item,rating,time \
  --item-names "$tmp/bad.tsv" > /dev/null 2>&1
check "a new store with a bad names file: exit 2, no store" sh -c "test $? -eq 2 && ! test -e '$tmp/new'"

# MovieLens titles (u.item is |-separated, Latin-1): the documented one-liner
if [ -f "$DATA/ml-100k/u.item" ] && command -v iconv >/dev/null; then
  D=$DATA/ml-100k
  iconv -f latin1 -t utf-8 "$D/u.item" | cut -d'|' -f1,2 | tr '|' '\t' > "$tmp/ml_names.tsv"
  $g build-graph --store "$tmp/ml" --interactions "$D/u1.base" --test "$D/u1.test" --columns user,item,rating,time \
    --item-names "$tmp/ml_names.tsv" > /dev/null
  $g train --store "$tmp/ml" --arch mf --dim 8 --epochs 1 --eval-every 0 --model m >/dev/null 2>&1
  $g infer --store "$tmp/ml" --model m --similar-items 1 --k 10 --names > "$tmp/ml.tsv"
  check "ml-100k: 10 similar items to item 1, each with its u.item title" \
    awk -F'\t' 'NR == FNR { n[$1] = $2; next } { c++ } n[$3] != $5 || $5 == "" { exit 1 } END { exit c != 10 }' \
    "$tmp/ml_names.tsv" "$tmp/ml.tsv"
else
  echo "skip ml-100k titles: no $DATA/ml-100k/u.item or no iconv"
fi
report
