#!/usr/bin/env bash
# cli_node_order.sh - `gnnrec train --node-order` (graph/order.h, docs/scale.md):
# the run trains in a relabelled numbering and saves in the store's ids, so
#  - auto on a graph whose tables fit in cache changes nothing (bit-identical
#    to none: the same losses and metrics);
#  - community and degree learn as well as none (a wrong permutation at save
#    or evaluation would score near random);
#  - eval of the saved model gives the metrics the run reported;
#  - --resume of a reordered run equals the uninterrupted run (checkpoints
#    are in store ids and go back into training ids).
# usage: cli_node_order.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"

$g generate --out "$tmp/d" --interactions 60000 --users 3000 --items 1500 --communities 8 --test-fraction 0.2 \
  --seed 4 >/dev/null 2>&1
s="$tmp/s"
$g build-graph --store "$s" --format adj --interactions "$tmp/d/train.txt" --test "$tmp/d/test.txt" >/dev/null 2>&1
check "build-graph of a generated graph" test -f "$s/data.mdb"
common=(--store "$s" --dim 16 --layers 2 --lr 0.01 --batch-size 512 --threads 1 --eval-every 0 --seed 5)
recall() { sed -n 's/.*recall@20 \([0-9.]*\).*/\1/p' "$1"; }   # of train's summary line
train() {   # train NAME ORDER EPOCHS [more flags]: stdout to $tmp/NAME.json, stderr to $tmp/NAME.err
  local name=$1 order=$2 ep=$3; shift 3
  $g train "${common[@]}" --model "$name" --node-order "$order" --epochs "$ep" "$@" \
    >"$tmp/$name.json" 2>"$tmp/$name.err"
}
losses() { tr '\r' '\n' <"$1" | awk '$1 == "epoch" && $3 == "loss" { print $4 }'; }

train none none 6
train auto auto 6
check "auto on a small graph: no order note" bash -c "! grep -q '^node order' '$tmp/auto.err'"
check "auto on a small graph: the same losses as none" test "$(losses "$tmp/auto.err")" = "$(losses "$tmp/none.err")"
check "auto on a small graph: the same metrics as none" test "$(recall "$tmp/auto.json")" = "$(recall "$tmp/none.json")"

for o in community degree; do
  train $o $o 6
  check "$o: the run says its order" grep -q "^node order: $o" "$tmp/$o.err"
  r0=$(recall "$tmp/none.json"); r1=$(recall "$tmp/$o.json")
  check "$o learns as well as none (Recall@20 $r1 vs $r0, at least 0.9x)" \
    awk -v a="$r1" -v b="$r0" 'BEGIN { exit !(a >= 0.9 * b && b > 0.02) }'
  ev=$($g eval --store "$s" --model $o --json)
  check "$o: eval of the saved model gives the run's Recall@20 ($r1)" \
    awk -v a="$(sed -n 's/.*"recall@20":\([0-9.]*\).*/\1/p' <<<"$ev")" -v b="$r1" 'BEGIN { exit !(a - b < 5e-5 && b - a < 5e-5) }'
done
check "community differs from none (a relabelled run, not a no-op)" \
  test "$(losses "$tmp/community.err")" != "$(losses "$tmp/none.err")"

# resume: 3 epochs, then --resume to 6, against 6 straight (community above)
train half community 3 --checkpoint-every 1
$g train "${common[@]}" --model half --node-order community --epochs 6 --checkpoint-every 1 --resume \
  >"$tmp/half2.json" 2>"$tmp/half2.err"
check "community: resumed at epoch 3" grep -q "resuming model 'half' at epoch 3" "$tmp/half2.err"
check "community: a resumed run equals the uninterrupted one" \
  test "$(losses "$tmp/half2.err")" = "$(losses "$tmp/community.err" | tail -3)"
check "community: ... to the last digit of the metrics" test "$(recall "$tmp/half2.json")" = "$(recall "$tmp/community.json")"
a=$($g infer --store "$s" --model half --users all --k 5 --format tsv | md5sum)
b=$($g infer --store "$s" --model community --users all --k 5 --format tsv | md5sum)
check "community: the resumed model infers the same lists" test "$a" = "$b"

$g train "${common[@]}" --model bad --node-order sideways --epochs 1 >/dev/null 2>"$tmp/bad.err"
check "an unknown order is a usage error (exit 2)" test $? -eq 2
check "... naming the orders" grep -q "community" "$tmp/bad.err"
report
