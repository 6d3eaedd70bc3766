#!/usr/bin/env bash
# hostile_input.sh - limits and hostile input: each case must give a clear
# error (the expected exit code and a message naming what is wrong), never a
# crash (exit >= 126 is a signal), and write nothing (a new store is not
# created; an existing store's data.mdb and logical dump are unchanged).
# Cases: over-long ids (interactions, social, kg, infer --users), an adj
# line past the line limit and one past the reader's first buffer, sizes
# that would overflow (dim, layers, batch, k, seed, epochs), NaN/Inf/huge
# numbers in files, options and YAML, a config that names a directory or a
# huge non-YAML file, model names with path characters (no file appears),
# store directories that are not gnnrec stores (a file, other files, a
# garbage data.mdb, an empty data.mdb, a symlink to a user file, a foreign
# LMDB environment, no schema version, a newer schema version, a truncated
# data.mdb), a model small enough to be stored misaligned, and store file modes (0700 directory, 0600 files, whatever the
# umask).
# Assumes the synthetic generator and lmdb-utils (mdb_dump/mdb_load; the
# cases that craft stores with them are skipped without).
# usage: hostile_input.sh PATH/TO/gnnrec
set -u
g=${1:?usage: hostile_input.sh GNNREC}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-hostile-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
n=0; failed=0
ok() { n=$((n + 1)); echo "ok   $*"; }
bad() { n=$((n + 1)); failed=$((failed + 1)); echo "FAIL $*"; }
have_lmdb=0; command -v mdb_dump >/dev/null && command -v mdb_load >/dev/null && have_lmdb=1

fp() {   # fingerprint of a store directory: data.mdb bytes and logical content
  { sha256sum "$1/data.mdb" 2>&1; [ $have_lmdb = 1 ] && mdb_dump -a "$1" 2>&1 | sha256sum; ls "$1" 2>&1; } | sha256sum
}
# expect CODE PATTERN WHAT -- command...: exit CODE, stderr matches PATTERN
# (grep -E; "" = anything), no crash
expect() {
  local code=$1 pat=$2 what=$3; shift 4
  "$@" >out 2>err; local rc=$?
  if [ $rc -eq "$code" ] && { [ -z "$pat" ] || grep -Eq -- "$pat" err; }; then ok "$what"
  else bad "$what: exit $rc (want $code), stderr: $(head -c 300 err)"; fi
}
# for build-graph into a new store: the same, and the store must not exist after
expect_new() {
  local store=$1; shift
  expect "$@"
  [ ! -e "$store" ] || bad "$3: store $store was created"
}
# for a command on an existing store: the same, and the store is unchanged
expect_same() {
  local store=$1; shift
  local before; before=$(fp "$store")
  expect "$@"
  [ "$(fp "$store")" = "$before" ] || bad "$3: store $store changed"
}

# ---- a good store and model to be hostile to
"$g" generate --out data --users 200 --items 150 --communities 3 --seed 9 >/dev/null 2>&1
s=good
"$g" build-graph --store $s --interactions data/interactions.tsv --columns user,item,rating,time --split temporal:0.2 \
  --social data/social.tsv >/dev/null 2>&1
"$g" train --store $s --arch mf --model m --epochs 2 --dim 8 --eval-every 0 --threads 1 >/dev/null 2>&1
[ -f $s/data.mdb ] && ok "setup: a store with a model" || bad "setup failed"
cols=(--columns user,item,rating,time)

# ---- ids longer than the bound (256 bytes)
long=$(printf 'x%.0s' $(seq 257)); ok256=$(printf 'y%.0s' $(seq 256))
printf 'u1\t%s\t3\t1\n' "$long" > long.tsv
expect_new new 2 'long.tsv:1: item id longer than 256' "interactions: a 257-byte item id" -- \
  "$g" build-graph --store new --interactions long.tsv "${cols[@]}"
printf 'u1\t%s\t3\t1\n' "$ok256" > ok256.tsv
"$g" build-graph --store new256 --interactions ok256.tsv "${cols[@]}" >/dev/null 2>&1
[ $? -eq 0 ] && ok "interactions: a 256-byte id is accepted" || bad "a 256-byte id is refused"
printf 'u1 %s\n' "$long" > long.social
expect_same $s 2 'long.social:1: user id longer than 256' "--append --social: a 257-byte user id" -- \
  "$g" build-graph --store $s --append --interactions ok256.tsv "${cols[@]}" --social long.social
printf 'h r t\nh %s t\n' "$long" > long.kg
expect_same $s 2 'long.kg:2: relation id longer than 256' "--append --kg: a 257-byte relation id" -- \
  "$g" build-graph --store $s --append --interactions ok256.tsv "${cols[@]}" --kg long.kg
expect_same $s 2 "unknown user|bad user id" "infer --users with a 257-byte id" -- \
  "$g" infer --store $s --model m --users "$long"
# one adj line (one user's history) bigger than the reader's first 1 MiB
# buffer is fine; one past the 64 MiB line limit is refused
awk 'BEGIN { printf "u1"; for (i = 0; i < 200000; i++) printf " item%d", i; printf "\n" }' > big.adj
"$g" build-graph --store bigadj --interactions big.adj --format adj >out 2>err
[ $? -eq 0 ] && grep -q "items *200000" out && ok "adj: a 1.5 MB line with 200000 items is read" \
  || bad "adj: a 1.5 MB line: $(head -c 300 err)"
{ printf 'u1 '; head -c $((64 * 1024 * 1024 + 10)) /dev/zero | tr '\0' 'a'; printf '\n'; } > huge.adj
expect_new hugeadj 2 'huge.adj:1: line longer than' "adj: a line past the 64 MiB limit" -- \
  "$g" build-graph --store hugeadj --interactions huge.adj --format adj
rm -f huge.adj

# ---- sizes that would overflow a size computation
for a in "--dim 4294967297" "--dim 0" "--dim 1025" "--layers 4294967295" "--layers 9" "--batch-size 18446744073709551616" \
         "--negatives 65" "--epochs 99999999999" "--k 4294967296" "--seed 18446744073709551616" "--threads 1025"; do
  expect_same $s 2 "${a%% *}" "train $a" -- "$g" train --store $s --model x $a
done
expect_same $s 2 "--k" "eval --k 4294967296" -- "$g" eval --store $s --model m --k 4294967296
expect_same $s 2 "--k" "infer --k 18446744073709551617" -- "$g" infer --store $s --model m --k 18446744073709551617

# ---- NaN, Inf and out-of-range numbers
for v in nan NaN inf -inf 1e999 -1e999 0x1p99999 '3 4'; do
  printf 'u1\ti1\t%s\t5\n' "$v" > num.tsv
  expect_new new 2 'num.tsv:1: rating' "rating '$v' in an interactions file" -- \
    "$g" build-graph --store new --interactions num.tsv "${cols[@]}"
done
printf 'u1\ti1\t4\tnan\n' > t.tsv
expect_new new 2 't.tsv:1: time' "time 'nan'" -- "$g" build-graph --store new --interactions t.tsv "${cols[@]}"
printf 'u1\ti1\t4\t99999999999999999999\n' > t.tsv
expect_new new 2 't.tsv:1: time' "time past int64" -- "$g" build-graph --store new --interactions t.tsv "${cols[@]}"
printf 'u1 u2 inf\n' > w.social
expect_same $s 2 'w.social:1: weight' "social weight 'inf'" -- \
  "$g" build-graph --store $s --append --interactions ok256.tsv "${cols[@]}" --social w.social
for a in "--lr nan" "--lr inf" "--lr -inf" "--lr 1e-999" "--reg nan" "--valid-fraction nan" "--valid-fraction inf"; do
  expect_same $s 2 "${a%% *}" "train $a" -- "$g" train --store $s --model x $a
done
expect_new new 2 "--min-rating" "build-graph --min-rating nan" -- \
  "$g" build-graph --store new --interactions ok256.tsv "${cols[@]}" --min-rating nan
expect_new new 2 "--split" "build-graph --split random:nan" -- \
  "$g" build-graph --store new --interactions ok256.tsv "${cols[@]}" --split random:nan
expect_new new 2 "--split" "build-graph --split random:inf" -- \
  "$g" build-graph --store new --interactions ok256.tsv "${cols[@]}" --split random:inf
for v in .nan .NaN .inf -.Inf 1e999; do
  printf 'lr: %s\n' "$v" > nan.yaml
  expect_same $s 2 'nan.yaml:1: lr' "YAML lr: $v" -- "$g" train --store $s --model x --config nan.yaml
done

# ---- configs that name things they should not
mkdir adir
printf 'interactions: adir\ncolumns: user,item,rating,time\n' > dir.yaml
expect_new new 2 'adir: is a directory' "a config naming a directory as interactions" -- \
  "$g" build-graph --store new --config dir.yaml
head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' 'a' > big.yaml
expect_same $s 2 'big.yaml: too large for a config' "a 17 MB non-YAML config" -- \
  "$g" train --store $s --model x --config big.yaml
rm -f big.yaml
expect_same $s 1 'adir' "a config that is a directory" -- "$g" train --store $s --model x --config adir
printf 'epochs: 1\nstore: elsewhere\n' > store.yaml
expect_new elsewhere 2 'no gnnrec store here' "a config naming a store that does not exist" -- \
  "$g" train --config store.yaml --model x
# model names are keys inside the store, never paths: nothing appears outside
mkdir -p cwd && ( cd cwd && "$g" train --store ../$s --arch pop --model ../../evil >/dev/null 2>&1 )
if [ ! -e evil ] && [ ! -e ../evil ] && [ -z "$(ls cwd)" ]; then ok "a model named ../../evil writes no file"
else bad "a model named ../../evil created a file"; fi
expect_same $s 2 "model name" "a model name of 300 bytes" -- "$g" train --store $s --arch pop --model "$long$long"

# ---- store directories that are not gnnrec stores
touch afile
expect_same_file() { local f=$1; shift; local h; h=$(sha256sum "$f"); expect "$@"; [ "$(sha256sum "$f")" = "$h" ] || bad "$3: $f changed"; }
expect_same_file afile 2 'not a directory' "--store naming a file" -- "$g" stats --store afile
mkdir other && echo hello > other/README
expect_same_file other/README 2 'not a gnnrec store' "build-graph into a directory with other files" -- \
  "$g" build-graph --store other --interactions ok256.tsv "${cols[@]}"
expect 2 'no gnnrec store here' "stats of a directory with other files" -- "$g" stats --store other
mkdir garbage && head -c 100000 data/interactions.tsv > garbage/data.mdb
expect_same_file garbage/data.mdb 2 'not a gnnrec store' "a data.mdb that is text" -- "$g" stats --store garbage
expect_same_file garbage/data.mdb 2 'not a gnnrec store' "--append to a data.mdb that is text" -- \
  "$g" build-graph --store garbage --append --interactions ok256.tsv "${cols[@]}"
mkdir empty && : > empty/data.mdb
expect_same_file empty/data.mdb 2 'not a gnnrec store .data.mdb is empty' "an empty data.mdb (stats)" -- "$g" stats --store empty
expect_same_file empty/data.mdb 2 'not a gnnrec store .data.mdb is empty' "an empty data.mdb (build-graph)" -- \
  "$g" build-graph --store empty --interactions ok256.tsv "${cols[@]}"
mkdir link && cp data/social.tsv precious.txt && ln -s ../precious.txt link/data.mdb
expect_same_file precious.txt 2 'not a gnnrec store' "data.mdb a symlink to a user's file (--append)" -- \
  "$g" build-graph --store link --append --interactions ok256.tsv "${cols[@]}"
if [ $have_lmdb = 1 ]; then
  printf 'VERSION=3\nformat=print\ntype=btree\nmapsize=1048576\nHEADER=END\n hello\n world\nDATA=END\n' > foreign.dump
  mkdir foreign && mdb_load -f foreign.dump foreign
  expect_same foreign 2 'not a gnnrec store' "a foreign LMDB environment (stats)" -- "$g" stats --store foreign
  expect_same foreign 2 'not a gnnrec store' "a foreign LMDB environment (--append)" -- \
    "$g" build-graph --store foreign --append --interactions ok256.tsv "${cols[@]}"
  expect_same foreign 2 'store already exists|not a gnnrec store' "a foreign LMDB environment (new build-graph)" -- \
    "$g" build-graph --store foreign --interactions ok256.tsv "${cols[@]}"
  # schema version: 0 (missing) and 2 (newer than this gnnrec)
  key=$(printf schema_version | od -An -tx1 | tr -d ' \n')
  for v in 0 2; do
    d=schema$v; cp -a $s $d
    mdb_dump -s meta $d | awk -v k=" $key" -v v=$v '{ print } $0 == k { getline; printf " %02x000000\n", v }' > meta.dump
    mdb_load -s meta -f meta.dump $d 2>/dev/null
    if [ $v = 0 ]; then pat='no schema version'; else pat='schema version 2 is newer'; fi
    expect_same $d 2 "$pat" "schema_version $v: stats" -- "$g" stats --store $d
    expect_same $d 2 "$pat" "schema_version $v: --append" -- \
      "$g" build-graph --store $d --append --interactions ok256.tsv "${cols[@]}"
    expect_same $d 2 "$pat" "schema_version $v: train" -- "$g" train --store $d --model x --epochs 1
  done
fi
cp -a $s trunc; truncate -s 8192 trunc/data.mdb
expect_same trunc 1 'corrupt store: data.mdb has 8192 bytes' "a truncated data.mdb (stats, no SIGBUS)" -- "$g" stats --store trunc
expect_same trunc 1 'corrupt store' "a truncated data.mdb (--append)" -- \
  "$g" build-graph --store trunc --append --interactions ok256.tsv "${cols[@]}"
expect_same trunc 1 'corrupt store' "a truncated data.mdb (eval)" -- "$g" eval --store trunc --model m

# ---- a model so small its embeddings sit inside an LMDB leaf page (not
# 4-byte aligned there): eval, infer and rank-feed must still read it
for u in 1 2 3 4 5 6; do for i in 1 2 3 4; do printf 'u%d\ti%d\t%d\n' $u $(( (u + i) % 5 )) $i; done; done > tiny.tsv
"$g" build-graph --store tiny --interactions tiny.tsv --columns user,item,time --split leave-one-out >/dev/null 2>&1
"$g" train --store tiny --arch mf --model t --epochs 1 --dim 2 --eval-every 0 --threads 1 >/dev/null 2>&1
expect_same tiny 0 '' "eval of a 40-byte model" -- "$g" eval --store tiny --model t
expect_same tiny 0 '' "infer of a 40-byte model" -- "$g" infer --store tiny --model t --users u1 --k 2

# ---- file modes: 0700 directory, 0600 files, even under a permissive umask
for um in 000 022 077; do
  ( umask $um; "$g" build-graph --store mode$um --interactions ok256.tsv "${cols[@]}" >/dev/null 2>&1 )
  m=$(stat -c '%a %n' mode$um mode$um/data.mdb mode$um/lock.mdb | awk '{ printf "%s ", $1 }')
  [ "$m" = "700 600 600 " ] && ok "umask $um: store modes are $m" || bad "umask $um: store modes are $m (want 700 600 600)"
done

echo "$n checks, $failed failed"
[ "$failed" -eq 0 ]
