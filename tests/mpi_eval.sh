#!/usr/bin/env bash
# mpi_eval.sh - `mpirun -np P gnnrec eval` against one process on a small
# generated store: the same output at P = 2 and 3 (text and --json, every
# digit; only the seconds differ), with --k lists, an --eval-users sample
# and a graph filter (gf-cf); an error (an unknown model) is one message
# and exit 2 from every rank; commands that run as one process refuse to
# run as several ranks and leave the store as it was; a build without MPI
# refuses a launch of several ranks. Needs mpirun (openmpi-bin).
# With the test_dist program (tests/test_dist.c) as second argument it runs
# it at -np 2 and 3: the metrics on every rank equal one process's bit for
# bit (memcmp of the doubles), which the printed 4-6 decimals cannot show.
# usage: mpi_eval.sh PATH/TO/gnnrec [PATH/TO/test_dist]
set -u
td=${2:-}
. "$(dirname "$0")/lib.sh"
command -v mpirun >/dev/null || { echo "SKIP: no mpirun (apt-get install openmpi-bin)"; exit 77; }
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none   # containers without CMA
run() { local np=$1; shift; case $1 in /*) ;; *) set -- "$g" "$@" ;; esac; mpirun --oversubscribe -np "$np" "$@"; }

$g generate --out "$tmp/data" --users 500 --items 300 --communities 4 --min-items 6 --max-items 25 2>/dev/null
s=$tmp/s
$g build-graph --store "$s" --interactions "$tmp/data/interactions.tsv" --columns user,item,rating,time \
  --split random:0.2 --social "$tmp/data/social.tsv" >/dev/null
$g train --store "$s" --model lg --epochs 4 --dim 16 --layers 2 --batch-size 256 --eval-every 0 --threads 1 >/dev/null 2>&1
$g train --store "$s" --model gf --arch gf-cf --threads 1 >/dev/null 2>&1
check "the models trained" test "$($g stats --store "$s" --json | sed -n 's/.*"models":\([0-9]*\).*/\1/p')" = 2

strip() { sed -e 's/,"seconds":[0-9.]*//' -e 's/evaluated in [0-9.]*s/evaluated in Xs/'; }
for model in lg gf; do
  for args in "--k 20" "--k 10,20,50 --json" "--k 5,20 --eval-users 77 --seed 3" "--json --eval-users 77 --seed 3"; do
    # shellcheck disable=SC2086
    one=$($g eval --store "$s" --model $model $args --threads 1 | strip)
    for np in 2 3; do
      # shellcheck disable=SC2086
      many=$(run $np eval --store "$s" --model $model $args --threads 1 2>"$tmp/err" | strip)
      check "$model eval $args: -np $np prints what one process prints" test -n "$one" -a "$one" = "$many"
    done
  done
done
echo "$one" | head -3

# the metrics, as doubles, of every rank against one process
if [ -n "$td" ]; then
  for np in 2 3; do
    run $np "$td" >"$tmp/td.out" 2>&1; rc=$?
    check "test_dist -np $np: metrics bit-identical to one process on every rank" \
      test $rc -eq 0 -a "$(grep -c "checks, 0 failed" "$tmp/td.out")" = $np
  done
fi

before=$(sha256sum "$s/data.mdb")
run 2 eval --store "$s" --model nope >"$tmp/out" 2>"$tmp/err"; rc=$?
check "an unknown model under mpirun: exit 2" test $rc -eq 2
check "... one message, from rank 0" test "$(grep -c "gnnrec eval:" "$tmp/err")" = 1
check "... nothing on stdout" test ! -s "$tmp/out"
run 2 eval --store "$tmp/none" >/dev/null 2>"$tmp/err"
check "a missing store under mpirun: exit 2" test $? -eq 2
run 2 stats --store "$s" >/dev/null 2>"$tmp/err"; rc=$?
check "stats under mpirun -np 2 refuses: exit 2" test $rc -eq 2
check "... saying why, once" test "$(grep -c "runs as one process" "$tmp/err")" = 1
run 2 train --store "$s" --model x --arch gcn --epochs 1 >/dev/null 2>"$tmp/err"; rc=$?
check "train --arch gcn under mpirun -np 2 (not distributed): exit 2" test $rc -eq 2
check "... saying why, once" test "$(grep -c "run it as one process" "$tmp/err")" = 1
run 2 partition --store "$s" --parts 2 --method hash >/dev/null 2>&1
check "partition under mpirun -np 2 refuses too" test $? -eq 2
check "... and the store is as it was" test "$(sha256sum "$s/data.mdb")" = "$before"
one=$($g eval --store "$s" --model lg | strip)
check "eval -np 1 under mpirun is the one process" test "$one" = "$(run 1 eval --store "$s" --model lg | strip)"

# every rank's copy of the store must be rank 0's (dist_agree_store): two
# ranks, each on its own copy (Open MPI's MPMD launch A : B); a copy made
# before a write is stale once the original is written (a distributed
# train writes rank 0's copy only)
cp -r "$s" "$tmp/copy"
mpirun --oversubscribe -np 1 "$g" eval --store "$s" --model lg : -np 1 "$g" eval --store "$tmp/copy" --model lg \
  >"$tmp/out" 2>"$tmp/err"
check "two ranks on two equal copies: exit 0, one process's figures" test $? -eq 0 -a "$(strip <"$tmp/out")" = "$one"
$g train --store "$s" --model other --arch mf --epochs 1 --eval-every 0 >/dev/null 2>&1
for cmd in "eval --model lg" "infer --model lg --users all --k 3" "train --model mf2 --arch mf --epochs 1"; do
  # shellcheck disable=SC2086
  mpirun --oversubscribe -np 1 "$g" $cmd --store "$s" : -np 1 "$g" $cmd --store "$tmp/copy" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  check "${cmd%% *} with rank 1's copy older than rank 0's: exit 2 ($rc)" test $rc -eq 2
  check "... saying rank 1's copy is not rank 0's, once" test "$(grep -c "rank 1's copy of the store is not rank 0's" "$tmp/err")" = 1
done
check "... and rank 0's store has no model mf2" test -z "$($g models --store "$s" | grep -w mf2)"
report
