#!/usr/bin/env bash
# cli_warm.sh - `train --init-from MODEL` (issue 19, warm start) on a small
# generated graph split in two days: day 1 (users < 1600, items < 640)
# trains mf model m1; day 2's interactions are appended (400 new users, 160
# new items). A warm start copies m1's 1600 + 640 rows and places the new
# nodes at their neighbours' mean (the line says so); after one epoch it is
# far ahead of a run from scratch; refused: another arch, another dim, a
# model that does not exist, a graph filter, --resume with --init-from;
# the refusals leave the store as it was. Then the rating loop's warm start
# (--loss mse: biased MF, svdpp, the mlp head; the head with bpr) on made-up ratings split in
# two days the same way: one epoch from the day-1 model ends at a lower
# training loss than one from scratch; refused: another arch, dim, loss,
# head or head widths.
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

# ratings: 80 users x 60 items with a user and an item effect; day 1 users < 60, items < 45
awk 'BEGIN { for (u = 0; u < 80; u++) for (i = 0; i < 60; i++) if ((u * 7 + i * 3) % 4 < 2) {
    r = 1 + int((u % 5 + i % 3 + (u * i) % 2) * 4 / 7); printf "%d\t%d\t%d\n", u, i, r } }' >"$tmp/r.tsv"
rday1='$1 < 60 && $2 < 45'
awk -F'\t' "NR % 10 && $rday1" "$tmp/r.tsv" >"$tmp/r1"; awk -F'\t' "NR % 10 && !($rday1)" "$tmp/r.tsv" >"$tmp/r2"
awk -F'\t' "!(NR % 10) && $rday1" "$tmp/r.tsv" >"$tmp/q1"; awk -F'\t' "!(NR % 10) && !($rday1)" "$tmp/r.tsv" >"$tmp/q2"
rs="$tmp/rs"
$g build-graph --store "$rs" --delim tab --columns user,item,rating --interactions "$tmp/r1" --test "$tmp/q1" >/dev/null
mse="--loss mse --dim 8 --batch-size 64 --lr 0.01 --reg 0.05 --threads 1 --eval-every 0"
# shellcheck disable=SC2086
{ $g train --store "$rs" --model rm --arch mf $mse --epochs 20
  $g train --store "$rs" --model rs --arch svdpp $mse --epochs 20
  $g train --store "$rs" --model rh --arch mf $mse --head mlp --mlp-layers 16,8 --epochs 20
  $g train --store "$rs" --model rb --arch mf ${mse#--loss mse } --head mlp --mlp-layers 16,8 --epochs 20; } >/dev/null 2>&1
$g build-graph --store "$rs" --append --delim tab --columns user,item,rating --interactions "$tmp/r2" --test "$tmp/q2" >/dev/null
n_of() { cut -f"$1" "${@:2}" | sort -u | wc -l; }   # distinct users (1) or items (2) of files
u1=$(n_of 1 "$tmp/r1" "$tmp/q1"); i1=$(n_of 2 "$tmp/r1" "$tmp/q1")
u2=$(($(n_of 1 "$tmp/r1" "$tmp/q1" "$tmp/r2" "$tmp/q2") - u1)); i2=$(($(n_of 2 "$tmp/r1" "$tmp/q1" "$tmp/r2" "$tmp/q2") - i1))
# placed: a new item some day-1 user rated in training, a new user with a training rating
ip=$(awk -F'\t' '$1 < 60 && $2 >= 45' "$tmp/r2" | n_of 2); up=$(awk -F'\t' '$1 >= 60' "$tmp/r2" | n_of 1)
loss1() { sed -n 's/^epoch *1\/1 *loss \([0-9.]*\) .*/\1/p' "$1"; }
for v in "rm --arch mf --loss mse" "rs --arch svdpp --loss mse" "rh --arch mf --loss mse --head mlp --mlp-layers 16,8" \
  "rb --arch mf --loss bpr --head mlp --mlp-layers 16,8"; do
  set -- $v; from=$1; shift
  # shellcheck disable=SC2086
  $g train --store "$rs" --model "w$from" "$@" ${mse#--loss mse } --epochs 1 --init-from "$from" >/dev/null 2>"$tmp/warm"
  check "$*: warm start exit 0" test $? -eq 0
  check "$*: $from's $u1 users and $i1 items copied, $up + $ip new ones placed" grep -q "warm start from '$from': \
$u1 users, $i1 items copied; new: $up users, $ip items at their neighbours' mean, $((u2 - up)), $((i2 - ip)) random" "$tmp/warm"
  # shellcheck disable=SC2086
  $g train --store "$rs" --model "c$from" "$@" ${mse#--loss mse } --epochs 1 >/dev/null 2>"$tmp/cold"
  check "$*: epoch 1's loss from $from ($(loss1 "$tmp/warm")) < from scratch ($(loss1 "$tmp/cold"))" \
    awk -v w="$(loss1 "$tmp/warm")" -v c="$(loss1 "$tmp/cold")" 'BEGIN { exit !(w != "" && w < c) }'
done
check "mse: a model of another arch: exit 2" status 2 $g train --store "$rs" --model x --arch svdpp $mse --epochs 1 --init-from rm
check "... naming both" grep -q "the model is --arch mf, this run --arch svdpp" "$tmp/err"
check "mse: another dim: exit 2" status 2 $g train --store "$rs" --model x --arch mf --loss mse --dim 4 --epochs 1 --init-from rm
check "... naming both" grep -q "the model has dim 8, this run dim 4" "$tmp/err"
check "mse: the model has no head, the run one: exit 2" status 2 $g train --store "$rs" --model x --arch mf $mse --head mlp \
  --epochs 1 --init-from rm
check "... naming both" grep -q "the model has --head dot, this run --head mlp 64,32" "$tmp/err"
check "mse: other head widths: exit 2" status 2 $g train --store "$rs" --model x --arch mf $mse --head mlp --mlp-layers 16 \
  --epochs 1 --init-from rh
check "... naming both" grep -q "the model has --head mlp 16,8, this run --head mlp 16" "$tmp/err"
check "bpr from an mse model: exit 2" status 2 $g train --store "$rs" --model x --arch mf --dim 8 --epochs 1 --init-from rm
check "... naming both" grep -q "the model was trained with --loss mse, this run --loss bpr" "$tmp/err"
report
