#!/usr/bin/env bash
# mpi_joint.sh - `mpirun -np P gnnrec train` on the joint graph, its
# checkpoints and --resume, against one process:
#   * lightgcn with social ties (weight 0.5) at -np 2 (METIS made now) and
#     with social and knowledge edges (entities as nodes) at -np 3: the
#     losses, metrics and exported embeddings of one process, byte for
#     byte, as many blobs, and entity parameters that one process resumes
#     to its own model;
#   * checkpoints every epoch: 2 epochs at -np 2, --resume to 4 at -np 3
#     (another P: the checkpoint is in store ids; the same P below), the model of
#     4 epochs straight in one process, byte for byte; a one-process
#     --resume continues a -np 2 checkpoint as its own;
#   * kill -9 of rank 1 while rank 0 writes a checkpoint (the tests' hook
#     GNNREC_DIST_SAVE_DELAY_MS holds the transaction open): the job ends
#     within 10 s, the store byte for byte as before; killed in the next
#     checkpoint, the staging left is the previous one (epoch 3), which a
#     rerun resumes to one process's model.
# usage: mpi_joint.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"
mpi_setup

$g generate --out "$tmp/data" --users 300 --items 200 --communities 4 --min-items 6 --max-items 20 2>/dev/null
awk -F'\t' '{ print $2 }' "$tmp/data/interactions.tsv" | sort -u | head -150 |
  awk '{ n = substr($1, 2); printf "%s\tgenre\tg%d\n%s\tdecade\td%d\n", $1, n % 4, $1, n % 2 }' >"$tmp/kg.tsv"
$g build-graph --store "$tmp/s" --interactions "$tmp/data/interactions.tsv" --columns user,item,rating,time \
  --split random:0.2 --social "$tmp/data/social.tsv" --kg "$tmp/kg.tsv" >/dev/null
for c in a b c d; do cp -r "$tmp/s" "$tmp/$c"; done

A="--dim 16 --layers 2 --batch-size 256 --negatives 2 --eval-every 1 --threads 1 --checkpoint-every 1"
SOC="--model soc --edges interaction,social --weight-social 0.5"
ALL="--model all --edges interaction,social,knowledge --weight-social 0.5 --weight-knowledge 0.7"
losses() { grep -o 'loss [0-9.]*' "$1" | paste -sd' '; }
metrics() { grep -o 'recall@20 [0-9.]*  ndcg@20 [0-9.]*' "$1"; }
same_model() {   # same_model STORE_A STORE_B NAME: exported embeddings byte for byte
  rm -rf "$tmp/xa" "$tmp/xb"
  $g export --store "$1" --model "$3" --out "$tmp/xa" >/dev/null && $g export --store "$2" --model "$3" --out "$tmp/xb" >/dev/null &&
    cmp -s "$tmp/xa/users.npy" "$tmp/xb/users.npy" && cmp -s "$tmp/xa/items.npy" "$tmp/xb/items.npy"
}
quiet() { "$@" >/dev/null; }
blobs() { $g models --store "$1" --json | grep "\"name\":\"$2\"" | grep -o '"blobs":[0-9]*'; }

# shellcheck disable=SC2086
for m in "$SOC" "$ALL"; do $g train --store "$tmp/s" $A $m --epochs 3 >"$tmp/one.out" 2>"$tmp/one.err"
  # the knowledge run at -np 3 in pieces of 31 triples (dist/step.c): the same bits
  np=2 pc=; [ "$m" = "$ALL" ] && np=3 pc=31
  GNNREC_DIST_PIECE_TRIPLES=$pc run $np train --store "$tmp/a" $A $m --epochs 3 >"$tmp/np.out" 2>"$tmp/np.err"
  check "${m%% --weight*} -np $np${pc:+ in pieces of $pc}: exit 0" test $? -eq 0
  check "... one process's joint graph line" test "$(grep '^joint' "$tmp/one.err")" = "$(grep '^joint' "$tmp/np.err")"
  check "... its losses ($(losses "$tmp/np.err"))" test "$(losses "$tmp/one.err")" = "$(losses "$tmp/np.err")"
  check "... its test metrics ($(metrics "$tmp/np.out"))" test "$(metrics "$tmp/one.out")" = "$(metrics "$tmp/np.out")" -a -s "$tmp/np.out"
  name=${m#--model }; name=${name%% *}
  check "... its saved embeddings, byte for byte" same_model "$tmp/s" "$tmp/a" "$name"
done
check "... as many blobs as one process's (emb_entities too: $(blobs "$tmp/a" all))" test "$(blobs "$tmp/s" all)" = "$(blobs "$tmp/a" all)"
check "every blob's checksum holds" quiet "$g" check --store "$tmp/a"
# shellcheck disable=SC2086
for st in s a; do $g train --store "$tmp/$st" $A $ALL --epochs 4 --resume >/dev/null 2>&1; done
check "... one process resumes both to the same model (entities' parameters too)" same_model "$tmp/s" "$tmp/a" all

# checkpoints and --resume: 2 + 2 epochs against 4 straight
# shellcheck disable=SC2086
$g train --store "$tmp/s" $A $SOC --epochs 4 >/dev/null 2>&1
# shellcheck disable=SC2086
run 2 train --store "$tmp/b" $A $SOC --epochs 2 >/dev/null 2>&1
cp -r "$tmp/b" "$tmp/b2"
# shellcheck disable=SC2086
run 3 train --store "$tmp/b" $A $SOC --epochs 4 --resume >"$tmp/r3.out" 2>"$tmp/r3.err"
check "--resume of a -np 2 run at -np 3: exit 0" test $? -eq 0
check "... from epoch 2" grep -q "resuming model 'soc' at epoch 2" "$tmp/r3.err"
check "... trains epochs 3 and 4 only" test "$(grep -c '^epoch' "$tmp/r3.err")" = 2
check "... the model of 4 epochs straight, byte for byte" same_model "$tmp/s" "$tmp/b" soc
# shellcheck disable=SC2086
$g train --store "$tmp/b2" $A $SOC --epochs 4 --resume >/dev/null 2>&1
check "one process resumes it: the same model" same_model "$tmp/s" "$tmp/b2" soc
# shellcheck disable=SC2086
run 2 train --store "$tmp/b" $A $SOC --epochs 4 --resume >/dev/null 2>"$tmp/nothing.err"
check "--resume of a finished run: nothing to do" grep -q "nothing to do" "$tmp/nothing.err"

# kill -9 of rank 1 inside a checkpoint's transaction (3 tables x 0.8 s)
kill_in() {   # kill_in STORE EPOCH: rank 1 killed 0.5 s after epoch EPOCH's line, in its checkpoint
  GNNREC_DIST_SAVE_DELAY_MS=800 mpirun --oversubscribe -np 2 "$g" train --store "$1" $A $SOC --epochs 6 --resume \
    >/dev/null 2>"$tmp/kill.err" &
  mp=$!
  for _ in $(seq 100); do grep -q "^epoch *$2/6" "$tmp/kill.err" && break; sleep 0.1; done
  mpi_kill_rank $mp 1 0.5
}
# shellcheck disable=SC2086
run 2 train --store "$tmp/c" $A $SOC --epochs 2 >/dev/null 2>&1
before=$(sha256sum <"$tmp/c/data.mdb")
if kill_in "$tmp/c" 3; then
  mpi_kill_checks $mp "$tmp/kill.err"
  check "... the store byte for byte as before (checkpoint 3 not half-written)" test "$(sha256sum <"$tmp/c/data.mdb")" = "$before"
else
  echo "SKIP (kill): the job ended before the checkpoint"
fi
if kill_in "$tmp/c" 4; then
  check "killed in checkpoint 4: the job exits non-zero ($kill_rc)" test "$kill_rc" -ne 0
  check "... the staging left is checkpoint 3" grep -qP '^soc~run\tstaged\tlightgcn\t16\t2\t3\t' <<<"$($g models --store "$tmp/c")"
  check "... every checksum holds" quiet "$g" check --store "$tmp/c"
  # shellcheck disable=SC2086
  run 2 train --store "$tmp/c" $A $SOC --epochs 4 --resume >/dev/null 2>"$tmp/rs.err"
  check "... a rerun resumes it at epoch 3" grep -q "resuming model 'soc' at epoch 3" "$tmp/rs.err"
  check "... to one process's model of 4 epochs, byte for byte" same_model "$tmp/s" "$tmp/c" soc
else
  echo "SKIP (kill): the job ended before the checkpoint"
fi
report
