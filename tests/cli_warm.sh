#!/usr/bin/env bash
# cli_warm.sh - `train --init-from MODEL` (issue 19, warm start) on a small
# generated graph split in two days: day 1 (users < 1600, items < 640)
# trains mf model m1; day 2's interactions are appended (400 new users, 160
# new items). A warm start copies m1's 1600 + 640 rows and places the new
# nodes at their neighbours' mean (the line says so); after one epoch it is
# far ahead of a run from scratch; refused: another arch, another dim, a
# model that does not exist, a graph filter, --resume with --init-from;
# the refusals leave the store as it was.
# usage: cli_warm.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"
status() { local want=$1; shift; "$@" >/dev/null 2>"$tmp/err"; [ $? -eq "$want" ]; }

$g generate --out "$tmp/g" --interactions 40000 --users 2000 --items 800 --communities 5 --test-fraction 0.2 \
  --format edges --seed 3 2>/dev/null
day1='$1 < 1600 && $2 < 640'
awk -F'\t' "$day1" "$tmp/g/train.txt" >"$tmp/tr1"; awk -F'\t' "!($day1)" "$tmp/g/train.txt" >"$tmp/tr2"
awk -F'\t' "$day1" "$tmp/g/test.txt" >"$tmp/te1"; awk -F'\t' "!($day1)" "$tmp/g/test.txt" >"$tmp/te2"
s="$tmp/s"
$g build-graph --store "$s" --interactions "$tmp/tr1" --test "$tmp/te1" >/dev/null
$g train --store "$s" --model m1 --arch mf --dim 16 --epochs 20 --eval-every 0 --lr 0.01 --threads 1 >/dev/null 2>&1
$g train --store "$s" --model gf --arch gf-cf --svd-k 16 >/dev/null 2>&1
$g build-graph --store "$s" --append --interactions "$tmp/tr2" --test "$tmp/te2" >/dev/null

rec() { sed -n 's/^model .* recall@20 \([0-9.]*\) .*/\1/p' <<<"$1"; }
out=$($g train --store "$s" --model w --arch mf --dim 16 --epochs 1 --eval-every 0 --lr 0.01 --threads 1 \
  --init-from m1 2>"$tmp/err")
check "warm start: exit 0" test $? -eq 0
check "warm start: m1's rows copied, the new nodes placed" \
  grep -q "warm start from 'm1': 1600 users, 640 items copied; new: 400 users, 160 items at their neighbours' mean, 0, 0 random" "$tmp/err"
cold=$($g train --store "$s" --model c --arch mf --dim 16 --epochs 1 --eval-every 0 --lr 0.01 --threads 1 2>/dev/null)
check "after one epoch the warm start is far ahead ($(rec "$out") > 3 x $(rec "$cold"))" \
  awk -v w="$(rec "$out")" -v c="$(rec "$cold")" 'BEGIN { exit !(w > 3 * c && w > 0.1) }'
again=$($g train --store "$s" --model w2 --arch mf --dim 16 --epochs 1 --eval-every 0 --lr 0.01 --threads 2 \
  --init-from m1 2>/dev/null)
check "the same numbers on 2 threads" test "$(rec "$out")" = "$(rec "$again")"

sum=$(sha256sum <"$s/data.mdb")
check "another arch: exit 2" status 2 $g train --store "$s" --model x --arch lightgcn --dim 16 --epochs 1 --init-from m1
check "... naming both" grep -q "the model is --arch mf, this run --arch lightgcn" "$tmp/err"
check "another dim: exit 2" status 2 $g train --store "$s" --model x --arch mf --dim 8 --epochs 1 --init-from m1
check "... naming both" grep -q "the model has dim 16, this run dim 8" "$tmp/err"
check "no such model: exit 2" status 2 $g train --store "$s" --model x --arch mf --dim 16 --epochs 1 --init-from nope
check "a graph filter: exit 2" status 2 $g train --store "$s" --model x --arch mf --dim 16 --epochs 1 --init-from gf
check "... saying why" grep -q "a gf-cf model has no node rows" "$tmp/err"
check "--resume with --init-from: exit 2" status 2 $g train --store "$s" --model w --resume --arch mf --dim 16 \
  --epochs 3 --init-from m1
check "... pick one" grep -q "pick one" "$tmp/err"
check "the refusals left the store as it was" test "$(sha256sum <"$s/data.mdb")" = "$sum"
report
