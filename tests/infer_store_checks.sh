#!/usr/bin/env bash
# infer_store_checks.sh - infer and eval on a corrupt store and the --users
# rule (issue 20 #4 and #11), and eval --eval-users sampling (issue 14).
#  - an edges:train key whose user id is past the user count (one bit flip
#    away from a real key): eval, infer --users all, infer --users ID,
#    and fold-in stop with a "corrupt store" error (exit 1), never a
#    crash, never silent output;
#  - --users 2 is user 2 even when a file named 2 is in the working
#    directory; @FILE or a path with a '/' is a file.
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
$g infer --store s --model m --users ids.txt >/dev/null 2>err
check "--users ids.txt (a file here, no '/'): exit 2 and the hint to write @ids.txt" \
  sh -c "test $? -eq 2 && grep -q '@ids.txt' err"

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

report
