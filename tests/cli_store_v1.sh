#!/usr/bin/env bash
# cli_store_v1.sh - a store written by the previous release (meta version 1,
# tests/data/store-v1: gnnrec 9cbe985, `generate` data of 120 users and 90
# items with social ties; models lightgcn (4 epochs), mf, social (lightgcn on
# interaction + social edges), pop and gf-cf) still opens, evaluates and
# infers exactly as that release did (its outputs are recorded beside the
# store), and its lightgcn model resumes as if it had never stopped.
# usage: cli_store_v1.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"
fx="$(cd "$(dirname "$0")" && pwd)/data/store-v1"
s="$tmp/store"
mkdir -p "$s" && cp "$fx/data.mdb" "$s/"
noseconds() { sed 's/,"seconds":[0-9.e+-]*//'; }   # eval's timing is not a result

for m in lightgcn mf social pop gf-cf; do
  got=$($g eval --store "$s" --model "$m" --json | noseconds)
  check "v1 model $m: eval --json as the old release" test "$got" = "$(noseconds <"$fx/eval-$m.json")"
  $g infer --store "$s" --model "$m" --users u0,u1,u10,u109 --k 10 >"$tmp/infer-$m.tsv"
  check "v1 model $m: infer --users --k 10 as the old release (scores to float rounding)" \
    same_rows "$tmp/infer-$m.tsv" "$fx/infer-$m.tsv"
done
$g infer --store "$s" --model lightgcn --new-user-items "$fx/new.txt" --k 10 >"$tmp/new.tsv"
check "v1 lightgcn: a new user folds in as with the old release" cmp -s "$tmp/new.tsv" "$fx/newuser-lightgcn.tsv"
$g infer --store "$s" --model social --new-user-items "$fx/new.txt" --k 10 >/dev/null 2>"$tmp/err"
check "v1 social (joint graph): fold-in still refused (exit 2)" test $? -eq 2
check "... because it was trained on a joint graph" grep -q "on a joint graph" "$tmp/err"

# resume: the old model's 4 epochs + 2 more = 6 epochs at once (the same
# settings as the fixture's: --seed 5 --dim 8 --layers 2 --lr 0.01 --batch-size 128)
common=(--store "$s" --dim 8 --layers 2 --lr 0.01 --batch-size 128 --eval-every 2 --threads 1 --seed 5)
$g train "${common[@]}" --model lightgcn --epochs 6 --resume >/dev/null 2>"$tmp/err"
check "v1 lightgcn resumes (exit 0)" test $? -eq 0
check "... from its epoch 4" grep -q "resuming model 'lightgcn' at epoch 4" "$tmp/err"
$g train "${common[@]}" --model ref --epochs 6 >/dev/null 2>&1
er=$($g eval --store "$s" --model lightgcn --json); ef=$($g eval --store "$s" --model ref --json)
check "resumed v1 model equals an uninterrupted 6-epoch run ($(jget "$er" 'ndcg@20') vs $(jget "$ef" 'ndcg@20'))" \
  test "$(jget "$er" 'ndcg@20')" = "$(jget "$ef" 'ndcg@20')"
check "... and is not the old 4-epoch model" test "$(jget "$er" 'ndcg@20')" != "$(jget "$(cat "$fx/eval-lightgcn.json")" 'ndcg@20')"
$g train "${common[@]}" --model social --epochs 6 --resume >/dev/null 2>"$tmp/err"
check "v1 social resumed without its social edges is refused (exit 2)" test $? -eq 2
check "... naming the edge types (the v1 config's)" grep -q "was trained with edges: \[interaction, social\]" "$tmp/err"
$g train "${common[@]}" --model social --edges interaction,social --epochs 4 --resume >/dev/null 2>&1
check "v1 social resumes on its joint graph (exit 0)" test $? -eq 0
report
