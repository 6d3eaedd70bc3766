#!/usr/bin/env bash
# infer_store_checks.sh - infer and eval on a corrupt store and the --users
# rule (issue 20 #4 and #11), and eval --eval-users sampling (issue 14).
#  - an edges:train key whose user id is past the user count (one bit flip
#    away from a real key): eval, infer --users all, infer --users ID,
#    and fold-in stop with a "corrupt store" error (exit 1), never a
#    crash, never silent output;
#  - --users 2 is user 2 even when a file named 2 is in the working
#    directory; @FILE or a path with a '/' is a file, and a bare value is the
#    ids it names when the store has them, else the file of that name.
# usage: infer_store_checks.sh PATH/TO/gnnrec   (needs mdb_dump/mdb_load)
set -u
. "$(dirname "$0")/lib.sh"
if ! command -v mdb_dump >/dev/null 2>&1 || ! command -v mdb_load >/dev/null 2>&1; then
  echo "mdb_dump/mdb_load not found (install lmdb-utils): skipped"; exit 77
fi
cd "$tmp" || exit 1
printf 'u0\ti0\nu0\ti1\nu1\ti1\nu1\ti2\nu2\ti0\nu2\ti2\n1\ti0\n2\ti1\n' > tr.tsv
printf 'u0\ti2\nu1\ti0\nu2\ti1\n' > te.tsv
$g build-graph --store s --interactions tr.tsv --test te.tsv >/dev/null
$g train --store s --model m --arch mf --dim 4 --epochs 2 --eval-every 0 >/dev/null 2>&1
check "a clean store: infer --users all works" test "$($g infer --store s --model m --k 1 | wc -l)" -eq 5

# ---- #11: --users 2 with a file named 2 here
printf 'u0\nu1\n' > 2
check "--users 2 is the user named 2, not the file 2" \
  test "$($g infer --store s --model m --k 1 --users 2 | cut -f1)" = "2"
check "--users @2 reads the file 2" \
  test "$($g infer --store s --model m --k 1 --users @2 | cut -f1 | tr '\n' ,)" = "u0,u1,"
check "--users ./2 reads the file 2" \
  test "$($g infer --store s --model m --k 1 --users ./2 | cut -f1 | tr '\n' ,)" = "u0,u1,"
$g infer --store s --model m --users @missing >/dev/null 2>err
check "--users @missing: exit 2, the file named" sh -c "test $? -eq 2 && grep -q missing err"
printf 'u0\n' > ids.txt
check "--users ids.txt (no store id of that name, a file here): the file (SPEC: all|FILE|ID,...)" \
  test "$($g infer --store s --model m --k 1 --users ids.txt | cut -f1)" = "u0"
$g infer --store s --model m --users nosuch.txt >/dev/null 2>err
check "--users nosuch.txt (neither an id nor a file): exit 2, the unknown id named" \
  sh -c "test $? -eq 2 && grep -q 'nosuch.txt' err"

# ---- #4: a corrupt edges:train key (user 2 -> 2 + 2^16)
cp -r s bad
mdb_dump -s edges:train bad > dump
key=$(grep -m1 '^ 00000002' dump)
check "the dump has user 2's key" test -n "$key"
flipped=" 00010002${key:9}"
awk -v k="$key" -v f="$flipped" '{ print } $0 == k { getline; print; print f; print }' dump > dump2
mdb_load -s edges:train -f dump2 bad 2>/dev/null
check "the corrupt key is in the store" grep -q "^$flipped" <(mdb_dump -s edges:train bad)
expect_corrupt() {   # expect_corrupt WHAT ARGS...
  local what=$1; shift
  "$g" "$@" >out 2>err; local rc=$?
  check "$what: exit 1 (got $rc) with 'corrupt store', no output" \
    sh -c "test $rc -eq 1 && grep -q 'corrupt store' err && test ! -s out"
}
expect_corrupt "eval" eval --store bad --model m
expect_corrupt "infer --users all" infer --store bad --model m
printf 'n1 i0\n' > new.txt
expect_corrupt "infer --new-user-items" infer --store bad --model m --new-user-items new.txt
# an item id past the item count in u1's row: the per-user read checks it
cp -r s bad2
mdb_dump -s edges:train bad2 > dump
key=$(grep -m1 '^ 00000001' dump)
awk -v k="$key" -v f=" 00000001${key:9:4}0100" '{ print } $0 == k { getline; print; print f; print }' dump > dump2
mdb_load -s edges:train -f dump2 bad2 2>/dev/null
expect_corrupt "infer --users u1 (a bad item in u1's row)" infer --store bad2 --model m --users u1
expect_corrupt "infer --users all (a bad item)" infer --store bad2 --model m
# a social tie to a user past the count: friends stops
printf 'u0\tu1\n' > so.tsv
$g build-graph --store s3 --interactions tr.tsv --social so.tsv >/dev/null
$g train --store s3 --model m --arch mf --dim 4 --epochs 2 --eval-every 0 >/dev/null 2>&1
mdb_dump -s edges:social s3 > dump
key=$(grep -m1 '^ 00000000' dump)
awk -v k="$key" -v f=" 00000000${key:9:4}0100" '{ print } $0 == k { getline; print; print f; print }' dump > dump2
mdb_load -s edges:social -f dump2 s3 2>/dev/null
expect_corrupt "infer --friends (a social tie to user 257)" infer --store s3 --model m --friends

# ---- an id holding a TAB (a CSV field) would break a TSV row: refused where it
# enters (build-graph, FILE:LINE), so no store holds one (io/writer.c refuses
# it again for TSV output: tests/test_writer.c)
printf 'user,item\nu\t1,i1\nu2,i2\nu2,i1\n' > tab.csv
$g build-graph --store ts --interactions tab.csv --delim comma --header >/dev/null 2>err
check "an id with a TAB: build-graph exit 2, 'tab.csv:2: ... control byte'" \
  sh -c "test $? -eq 2 && grep -q 'tab.csv:2: .*control byte' err && test ! -e ts"

# ---- every write checked
$g infer --store s --model m > /dev/full 2>err
check "infer > /dev/full: exit 1, 'writing standard output'" sh -c "test $? -eq 1 && grep -q 'writing standard output: No space' err"

# ---- eval --eval-users N --seed S (issue 14)
$g generate --out gen --users 300 --items 200 --communities 4 >/dev/null 2>&1
$g build-graph --store gs --interactions gen/interactions.tsv --columns user,item,rating,time --split random:0.2 >/dev/null
$g train --store gs --model m --arch mf --dim 8 --epochs 3 --eval-every 0 >/dev/null 2>&1
full=$($g eval --store gs --model m --k 5,20 --json | sed 's/,"seconds".*//')
nt=$(sed -n 's/.*"users_evaluated":\([0-9]*\).*/\1/p' <<<"$full")
a=$($g eval --store gs --model m --k 5,20 --json --eval-users 40 --seed 7 | sed 's/,"seconds".*//')
b=$($g eval --store gs --model m --k 5,20 --json --eval-users 40 --seed 7 --threads 1 | sed 's/,"seconds".*//')
c=$($g eval --store gs --model m --k 5,20 --json --eval-users 40 --seed 8 | sed 's/,"seconds".*//')
check "the sample is reproducible (same seed, other thread count)" test "$a" = "$b"
check "the JSON says users_sampled 40 and users_evaluated 40" \
  test "$(jget "$a" users_sampled) $(jget "$a" users_evaluated)" = "40 40"
check "another seed, another sample (other metrics)" test "$(cut -d, -f5- <<<"$a")" != "$(cut -d, -f5- <<<"$c")"
check "a sample of 40 of $nt users: metrics differ from the full run" \
  test "$(sed 's/.*"recall@5"//' <<<"$a")" != "$(sed 's/.*"recall@5"//' <<<"$full")"
all=$($g eval --store gs --model m --k 5,20 --json --eval-users "$nt" | sed 's/,"users_sampled":[0-9]*,"sample_seed":[0-9]*//; s/,"seconds".*//')
check "--eval-users $nt (all test users): exactly the full metrics" test "$all" = "$full"
big=$($g eval --store gs --model m --k 5,20 --json --eval-users 100000 | sed 's/,"users_sampled":[0-9]*,"sample_seed":[0-9]*//; s/,"seconds".*//')
check "--eval-users beyond the test users: exactly the full metrics" test "$big" = "$full"
check "the text output names the sample" grep -q "a sample of 40 users" <($g eval --store gs --model m --eval-users 40)

report
