#!/usr/bin/env bash
# mpi_train.sh - `mpirun -np P gnnrec train` (dist/train.h) against one
# process, and a rank killed mid-run:
#   * lightgcn (float16 tables, 2 layers) at -np 2 with the recorded METIS
#     partition and at -np 3 with one made on the fly, mf at -np 2 with a
#     recorded hash partition: the same per-epoch losses (6 decimals), the
#     same test metrics, and the same saved embeddings byte for byte
#     (export), which eval, infer and a one-process --resume then read as
#     a one-process model;
#   * the same in blocks of 7 rows (GNNREC_DIST_BLOCK_ROWS) with a save
#     whose transaction is rerun (a map that must grow);
#   * the "dist {...}" line: every rank's nodes, halo and bytes, the
#     partition used;
#   * refused under mpirun (exit 2, one message, store unchanged): gcn,
#     kglightgcn, --init-from (the joint graph and --resume: mpi_joint.sh);
#   * kill -9 of rank 1 mid-run: every rank gone, non-zero, within 10 s,
#     the store's models unchanged (no half-saved model), a rerun succeeds.
# usage: mpi_train.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"
command -v mpirun >/dev/null || { echo "SKIP: no mpirun (apt-get install openmpi-bin)"; exit 77; }
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
run() { local np=$1; shift; mpirun --oversubscribe -np "$np" "$g" "$@"; }

$g generate --out "$tmp/data" --users 600 --items 350 --communities 4 --min-items 6 --max-items 25 2>/dev/null
$g build-graph --store "$tmp/s1" --interactions "$tmp/data/interactions.tsv" --columns user,item,rating,time \
  --split random:0.2 --social "$tmp/data/social.tsv" >/dev/null
for c in s2 s3 s4; do cp -r "$tmp/s1" "$tmp/$c"; done
$g partition --store "$tmp/s2" --parts 2 --method metis >/dev/null 2>&1 ||
  $g partition --store "$tmp/s2" --parts 2 --method hash >/dev/null
$g partition --store "$tmp/s4" --parts 2 --method hash >/dev/null

LG="--model lg --epochs 3 --dim 16 --layers 2 --batch-size 256 --negatives 2 --eval-every 1 --threads 1"
MF="--model m --arch mf --epochs 2 --dim 8 --batch-size 512 --eval-every 0 --threads 1"
losses() { grep -o 'loss [0-9.]*' "$1" | paste -sd' '; }
metrics() { grep -o 'recall@20 [0-9.]*  ndcg@20 [0-9.]*' "$1"; }
# same_model STORE_A STORE_B NAME: the exported embeddings are byte for byte equal
same_model() {
  rm -rf "$tmp/xa" "$tmp/xb"
  $g export --store "$1" --model "$3" --out "$tmp/xa" >/dev/null && $g export --store "$2" --model "$3" --out "$tmp/xb" >/dev/null &&
    cmp -s "$tmp/xa/users.npy" "$tmp/xb/users.npy" && cmp -s "$tmp/xa/items.npy" "$tmp/xb/items.npy"
}

# shellcheck disable=SC2086
$g train --store "$tmp/s1" $LG >"$tmp/one.out" 2>"$tmp/one.err"
check "one process: trained" test $? -eq 0
# shellcheck disable=SC2086
$g train --store "$tmp/s1" $MF >"$tmp/one_mf.out" 2>"$tmp/one_mf.err"
for np in 2 3; do
  s=$tmp/s$np
  # shellcheck disable=SC2086
  run $np train --store "$s" $LG >"$tmp/np$np.out" 2>"$tmp/np$np.err"
  check "lightgcn -np $np: exit 0" test $? -eq 0
  check "... the losses of one process ($(losses "$tmp/np$np.err"))" test "$(losses "$tmp/one.err")" = "$(losses "$tmp/np$np.err")"
  check "... its test metrics ($(metrics "$tmp/np$np.out"))" test "$(metrics "$tmp/one.out")" = "$(metrics "$tmp/np$np.out")"
  check "... its saved embeddings, byte for byte" same_model "$tmp/s1" "$s" lg
  check "... one dist line with $np ranks" test "$(grep -c "^dist {\"ranks\":$np," "$tmp/np$np.err")" = 1
  check "... the stdout of one process only (rank 0)" test "$(wc -l <"$tmp/np$np.out")" = 1
  e1=$($g eval --store "$tmp/s1" --model lg --json | sed 's/,"seconds".*//')
  check "... eval reads it as one process's model" test "$e1" = "$($g eval --store "$s" --model lg --json | sed 's/,"seconds".*//')"
done
# rank 0 reads the evaluation's and the save's rows in blocks of 7 (dist/rows.h),
# the halo and batch rows move in rounds of 7 per rank, a step's 512 triples
# run in 11 pieces of at most 50 (GNNREC_DIST_PIECE_TRIPLES: each piece
# fetches its own rows, the gradient keeps the whole batch's 1/T), and the store's map
# starts at twice its file (GNNREC_MAPSIZE_MB=1), less than this dim-128
# model's 1.9 MB, so the save's transaction fills it, grows it and runs
# again (the rows streamed a second time): the same model, byte for byte
BIG="--model big --epochs 2 --dim 128 --layers 2 --batch-size 256 --negatives 2 --eval-every 1 --threads 1"
cp -r "$tmp/s1" "$tmp/s5"
# shellcheck disable=SC2086
$g train --store "$tmp/s1" $BIG >"$tmp/big1.out" 2>"$tmp/big1.err"
# shellcheck disable=SC2086
GNNREC_DIST_BLOCK_ROWS=7 GNNREC_DIST_PIECE_TRIPLES=50 GNNREC_MAPSIZE_MB=1 run 2 train --store "$tmp/s5" $BIG >"$tmp/big2.out" 2>"$tmp/big2.err"
check "lightgcn dim 128 -np 2 in blocks of 7 rows, pieces of 50 triples, a map that must grow: exit 0" test $? -eq 0
check "... the losses of one process" test "$(losses "$tmp/big1.err")" = "$(losses "$tmp/big2.err")"
check "... its test metrics" test "$(metrics "$tmp/big1.out")" = "$(metrics "$tmp/big2.out")" -a -s "$tmp/big1.out"
check "... its saved embeddings, byte for byte" same_model "$tmp/s1" "$tmp/s5" big
check "... every blob's checksum holds" "$g" check --store "$tmp/s5"
# shellcheck disable=SC2086
$g train --store "$tmp/s1" $LG --epochs 4 --resume >"$tmp/r1.out" 2>/dev/null
# shellcheck disable=SC2086
$g train --store "$tmp/s2" $LG --epochs 4 --resume >"$tmp/r2.out" 2>/dev/null
check "one process resumes the -np 2 model as its own ($(metrics "$tmp/r2.out"))" \
  test "$(metrics "$tmp/r1.out")" = "$(metrics "$tmp/r2.out")" -a -s "$tmp/r2.out"
check "-np 2 used the recorded partition" grep -q '"partition":"recorded' "$tmp/np2.err"
check "-np 3 made one (none recorded for 3 parts)" grep -q '"partition":"[a-z]* (made now' "$tmp/np3.err"
dist=$(grep '^dist ' "$tmp/np2.err")
check "-np 2: halo bytes counted on both ranks" \
  test -n "$(sed -n 's/.*"halo_bytes_per_epoch":\[\([1-9][0-9]*\),\([1-9][0-9]*\)\].*/\1/p' <<<"$dist")"
arr() { sed -n "s/.*\"$1\":\[\([0-9,]*\)\].*/\1/p" <<<"$dist" | tr ',' ' '; }
read -r -a pk <<<"$(arr peak_rss_kb)"; read -r -a tk <<<"$(arr train_peak_rss_kb)"
check "-np 2: peak RSS before the save (${tk[*]} kB) at most the whole run's (${pk[*]} kB), both non-zero" \
  test "${#tk[@]}" = 2 -a "${tk[0]:-0}" -gt 0 -a "${tk[0]:-0}" -le "${pk[0]:-0}" -a "${tk[1]:-0}" -gt 0 -a "${tk[1]:-0}" -le "${pk[1]:-0}"
check "... nodes owned add up to users + items (950)" \
  test "$(( $(sed -n 's/.*"own_nodes":\[\([0-9]*\),\([0-9]*\)\].*/\1 + \2/p' <<<"$dist") ))" = 950
# shellcheck disable=SC2086
run 2 train --store "$tmp/s4" $MF >"$tmp/mf.out" 2>"$tmp/mf.err"
check "mf -np 2 (recorded hash partition): exit 0" test $? -eq 0
check "... the losses of one process" test "$(losses "$tmp/one_mf.err")" = "$(losses "$tmp/mf.err")"
check "... its saved embeddings, byte for byte" same_model "$tmp/s1" "$tmp/s4" m
check "... with the hash partition" grep -q '"partition":"recorded hash"' "$tmp/mf.err"
check "... infer reads it" test "$($g infer --store "$tmp/s4" --model m --users u1 --k 3 | wc -l)" = 3
# a relabelled run (--node-order community, what large graphs get by
# default): rank 0's evaluations rebuild R in store ids from the training
# ids (dist/evalsave.c) for the exclusion, every epoch here
cp -r "$tmp/s1" "$tmp/s6"
# shellcheck disable=SC2086
$g train --store "$tmp/s1" $LG --model ord --node-order community >"$tmp/ord1.out" 2>"$tmp/ord1.err"
# shellcheck disable=SC2086
run 2 train --store "$tmp/s6" $LG --model ord --node-order community >"$tmp/ord2.out" 2>"$tmp/ord2.err"
check "lightgcn --node-order community -np 2: exit 0" test $? -eq 0
check "... the losses of one process ($(losses "$tmp/ord2.err"))" test "$(losses "$tmp/ord1.err")" = "$(losses "$tmp/ord2.err")"
epochs() { grep -o 'recall@20 [0-9.]* ndcg@20 [0-9.]*' "$1" | paste -sd' '; }
check "... the metrics of every epoch ($(epochs "$tmp/ord2.err"))" \
  test "$(epochs "$tmp/ord1.err")" = "$(epochs "$tmp/ord2.err")" -a -n "$(epochs "$tmp/ord2.err")"
check "... and the final ones" test "$(metrics "$tmp/ord1.out")" = "$(metrics "$tmp/ord2.out")" -a -s "$tmp/ord2.out"
check "... its saved embeddings, byte for byte" same_model "$tmp/s1" "$tmp/s6" ord

# rank 0's metrics log (gnn/mlog.h): one line an epoch; a write that fails
# (/dev/full) fails the job, naming the file
# shellcheck disable=SC2086
run 2 train --store "$tmp/s6" $LG --model ml --metrics-log "$tmp/ml.jsonl" >/dev/null 2>&1
check "-np 2 --metrics-log: one line an epoch (3)" test "$(grep -c '^{"epoch":[1-3],' "$tmp/ml.jsonl")" = 3
# shellcheck disable=SC2086
run 2 train --store "$tmp/s6" $LG --model ml2 --metrics-log /dev/full >/dev/null 2>"$tmp/full.err"
check "-np 2 --metrics-log /dev/full: exit 1, naming it" test $? -eq 1 -a "$(grep -c 'metrics-log /dev/full' "$tmp/full.err")" -ge 1

before=$(sha256sum "$tmp/s2/data.mdb")
for bad in "--arch gcn" "--arch kglightgcn --edges interaction,knowledge" "--init-from lg"; do
  # shellcheck disable=SC2086
  run 2 train --store "$tmp/s2" $LG $bad >"$tmp/bad.out" 2>"$tmp/bad.err"; rc=$?
  check "train $bad under -np 2: exit 2 ($rc)" test $rc -eq 2
  check "... one message saying to run it as one process" test "$(grep -c "run it as one process" "$tmp/bad.err")" = 1
done
check "... the store as it was" test "$(sha256sum "$tmp/s2/data.mdb")" = "$before"

# a rank killed mid-run: a job long enough to be still running
$g generate --out "$tmp/big" --users 20000 --items 8000 --communities 8 --min-items 5 --max-items 20 2>/dev/null
b=$tmp/b
$g build-graph --store "$b" --interactions "$tmp/big/interactions.tsv" --columns user,item,rating,time \
  --split random:0.2 >/dev/null
$g train --store "$b" --model m --arch mf --epochs 1 --dim 8 --eval-every 0 --eval-users 100 --threads 1 >/dev/null 2>&1
models_before=$($g models --store "$b" 2>/dev/null | md5sum)
before=$(sha256sum "$b/data.mdb")
mpirun --oversubscribe -np 2 "$g" train --store "$b" --model m --epochs 200 --dim 32 --layers 2 --eval-every 0 \
  --eval-users 100 --threads 1 >/dev/null 2>"$tmp/kill.err" &
mp=$!
if ! mpi_kill_rank $mp 1 2; then
  echo "SKIP (kill): the job finished before rank 1 could be killed"
else
  mpi_kill_checks $mp "$tmp/kill.err"
  check "... the store's models unchanged" test "$($g models --store "$b" 2>/dev/null | md5sum)" = "$models_before"
  check "... the store file unchanged" test "$(sha256sum "$b/data.mdb")" = "$before"
  run 2 train --store "$b" --model m --arch mf --epochs 1 --dim 8 --eval-every 0 --eval-users 100 --threads 1 \
    >/dev/null 2>&1
  check "... and a rerun succeeds" test $? -eq 0
fi
report
