#!/usr/bin/env bash
# crash_safety.sh - SIGKILL at random moments must never leave a store in
# between two states.
#   * `gnnrec build-graph --append` (new users, items, train/test/social
#     edges) is killed after a random delay in [0, 1.1 x its measured run
#     time] (every other trial in [0.6, 1.1] x, around the write and the
#     commit), TRIALS times. Afterwards the store must open (stats exits 0) and
#     its whole content (`mdb_dump -a`, every database, so counts and ids and
#     edges) must equal exactly the state before or the state after an
#     uninterrupted append - never anything in between. Stats counts are
#     compared too (they are what users see).
#   * a first `gnnrec build-graph` (new store) is killed the same way: the
#     store directory is then absent (running the command again works) or
#     holds the whole store, never an empty or partial one (a leftover
#     DIR.partial-PID directory is allowed).
#   * `gnnrec train --resume` of a model (checkpoint every epoch) is killed
#     the same way, TRIALS times. Afterwards the store's counts are unchanged,
#     an untouched second model evaluates exactly as before, and the killed
#     model evaluates to exactly the numbers of an uninterrupted run saved at
#     the epoch its checkpoint names (eval --json without "seconds"). Every
#     4th trial then finishes the run with --resume and must equal the
#     uninterrupted final model.
#   * at least half of the trials must have killed a live process (else the
#     delays are wrong and the test tests nothing).
# Assumes: the synthetic generator, mdb_dump (lmdb-utils; without it the
# content comparison falls back to stats counts), and that `train --resume`
# equals an uninterrupted run (tested in cli_train.sh). Random delays come
# from bash's RANDOM seeded with $GNNREC_CRASH_SEED (default 2020); the seed
# is printed so a failure can be replayed. $GNNREC_CRASH_TRIALS (default 20).
# usage: crash_safety.sh PATH/TO/gnnrec
set -u
g=${1:?usage: crash_safety.sh GNNREC}
seed=${GNNREC_CRASH_SEED:-2020}
trials=${GNNREC_CRASH_TRIALS:-20}
RANDOM=$seed
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-crash-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0; failed=0
ok() { n=$((n + 1)); echo "ok   $*"; }
bad() { n=$((n + 1)); failed=$((failed + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
echo "seed $seed, $trials trials per command"
have_dump=0; command -v mdb_dump >/dev/null && have_dump=1
[ $have_dump = 1 ] || echo "note: no mdb_dump (lmdb-utils): comparing stats counts only"

now_ms() { date +%s%3N; }
counts() {   # the stats --json counts a user sees, one line
  "$g" stats --store "$1" --json 2>/dev/null |
    grep -o '"\(users\|items\|entities\|relations\|train_interactions\|test_interactions\|social_edges\|kg_triples\|models\)":[0-9]*' | tr '\n' ' '
}
state() {    # everything in the store: a digest of the logical dump
  if [ $have_dump = 1 ]; then mdb_dump -a "$1" 2>&1 | sha256sum | cut -c1-16; else counts "$1"; fi
}
evalj() { "$g" eval --store "$1" --model "$2" --k 10,20 --json --threads 1 2>&1 | sed 's/,"seconds":[0-9.]*//'; }
# run "$@" in the background, SIGKILL it after a random delay in [min_ms,
# max_ms]; sets $hit = 1 if the process was still running when killed
kill_after_random() {
  local min_ms=$1 max_ms=$2; shift 2
  local d=$(( min_ms + (RANDOM * 32768 + RANDOM) % (max_ms - min_ms + 1) ))
  "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep "$(printf '%d.%03d' $((d / 1000)) $((d % 1000)))"
  hit=0
  kill -9 "$pid" 2>/dev/null && hit=1
  wait "$pid" 2>/dev/null
  delay=$d
}

# ---- data: a base store and an append that brings new users and items
"$g" generate --out "$tmp/data" --users 3000 --items 1500 --communities 5 --seed 11 >/dev/null 2>&1
awk -F'\t' 'NR % 2 == 1' "$tmp/data/interactions.tsv" > "$tmp/a.tsv"
# the other half, with every 7th user renamed (new users) and every 9th item (new items)
awk -F'\t' -v OFS='\t' 'NR % 2 == 0 { u = substr($1, 2); i = substr($2, 2);
  if (u % 7 == 0) $1 = "new" $1; if (i % 9 == 0) $2 = "new" $2; print }' "$tmp/data/interactions.tsv" > "$tmp/b.tsv"
awk -F'\t' -v OFS='\t' '{ print "new" $1, $2 }' "$tmp/data/social.tsv" > "$tmp/b-social.tsv"
base="$tmp/base"
"$g" build-graph --store "$base" --interactions "$tmp/a.tsv" --columns user,item,rating,time \
  --split temporal:0.2 --social "$tmp/data/social.tsv" >/dev/null 2>&1
check "base store built" test -f "$base/data.mdb"

append=(build-graph --append --interactions "$tmp/b.tsv" --columns user,item,rating,time
        --split temporal:0.2 --social "$tmp/b-social.tsv")
# the kill window comes from the fastest of 3 runs: the first run is the
# slowest (cold caches), and a window sized by it let half the kills land
# after the process had exited (CI: 9 of 20 hits)
t_append=
for r in 1 2 3; do
  rm -rf "$tmp/after"; cp -a "$base" "$tmp/after"
  t0=$(now_ms)
  "$g" "${append[@]}" --store "$tmp/after" >/dev/null 2>&1
  t=$(( $(now_ms) - t0 ))
  [ -z "$t_append" ] || [ "$t" -lt "$t_append" ] && t_append=$t
done
st_before=$(state "$base"); st_after=$(state "$tmp/after")
c_before=$(counts "$base"); c_after=$(counts "$tmp/after")
check "the append changes the store (before: $c_before; after: $c_after)" test "$st_before" != "$st_after"
echo "build-graph --append takes ${t_append} ms; kills in [0, $((t_append * 11 / 10))] ms"

# ---- build-graph --append, killed
hits=0; n_before=0; n_after=0; bad_trials=0
for ((i = 1; i <= trials; i++)); do
  s="$tmp/s-append"
  rm -rf "$s"; cp -a "$base" "$s"
  # odd trials anywhere, even ones late (while writing and committing)
  lo=0; [ $((i % 2)) -eq 0 ] && lo=$((t_append * 6 / 10))
  kill_after_random $lo $((t_append * 11 / 10)) "$g" "${append[@]}" --store "$s"
  hits=$((hits + hit))
  if ! "$g" stats --store "$s" >/dev/null 2>"$tmp/err"; then
    bad "append trial $i (killed at ${delay} ms): the store does not open: $(head -c 300 "$tmp/err")"
    bad_trials=$((bad_trials + 1)); continue
  fi
  st=$(state "$s"); c=$(counts "$s")
  if [ "$st" = "$st_before" ] && [ "$c" = "$c_before" ]; then n_before=$((n_before + 1))
  elif [ "$st" = "$st_after" ] && [ "$c" = "$c_after" ]; then n_after=$((n_after + 1))
  else
    bad "append trial $i (killed at ${delay} ms): store is neither before nor after: $c"
    bad_trials=$((bad_trials + 1)); continue
  fi
  # the interrupted store keeps working: the append (again) gives the after state
  if [ "$st" = "$st_before" ] && [ $((i % 5)) -eq 0 ]; then
    "$g" "${append[@]}" --store "$s" >/dev/null 2>&1
    [ "$(state "$s")" = "$st_after" ] || { bad "append trial $i: re-running the append does not give the after state"; bad_trials=$((bad_trials + 1)); }
  fi
done
echo "append: $n_before trials left the state before, $n_after the state after; $hits kills hit a running process"
check "append: all $trials killed stores open and are exactly before or after" test "$bad_trials" -eq 0
check "append: at least half the kills hit a running process ($hits of $trials)" test $((hits * 2)) -ge "$trials"

# ---- a first build-graph (new store), killed: no store, or the whole one
fresh=(build-graph --interactions "$tmp/a.tsv" --columns user,item,rating,time --split temporal:0.2
       --social "$tmp/data/social.tsv")
t0=$(now_ms); "$g" "${fresh[@]}" --store "$tmp/fresh-ref" >/dev/null 2>&1; t_fresh=$(( $(now_ms) - t0 ))
st_fresh=$(state "$tmp/fresh-ref")
check "the new store equals the base store" test "$st_fresh" = "$st_before"
hits=0; n_none=0; n_whole=0; bad_trials=0
for ((i = 1; i <= trials; i++)); do
  rm -rf "$tmp/fresh" "$tmp"/fresh.partial-*
  lo=0; [ $((i % 2)) -eq 0 ] && lo=$((t_fresh * 6 / 10))
  kill_after_random $lo $((t_fresh * 11 / 10)) "$g" "${fresh[@]}" --store "$tmp/fresh"
  hits=$((hits + hit))
  if [ ! -e "$tmp/fresh" ]; then
    n_none=$((n_none + 1))
    # nothing there: the command can simply be run again
    if [ $((i % 4)) -eq 1 ]; then
      "$g" "${fresh[@]}" --store "$tmp/fresh" >/dev/null 2>&1
      [ "$(state "$tmp/fresh")" = "$st_fresh" ] || { bad "fresh trial $i: running again does not give the store"; bad_trials=$((bad_trials + 1)); }
    fi
  elif [ "$(state "$tmp/fresh")" = "$st_fresh" ] && "$g" stats --store "$tmp/fresh" >/dev/null 2>&1; then
    n_whole=$((n_whole + 1))
  else
    bad "fresh trial $i (killed at ${delay} ms): a store in between: $(ls "$tmp/fresh" 2>&1 | tr '\n' ' ') $(counts "$tmp/fresh")"
    bad_trials=$((bad_trials + 1))
  fi
done
echo "new store: $n_none trials left no store, $n_whole the whole store; $hits kills hit a running process"
check "new store: all $trials kills left no store or the whole one" test "$bad_trials" -eq 0

# ---- train --resume, killed
common=(--epochs 3 --dim 16 --layers 2 --lr 0.01 --batch-size 512 --eval-every 1 --checkpoint-every 1 --threads 1 --seed 5)
# a smaller graph, so that a few epochs take a few seconds
"$g" generate --out "$tmp/small" --users 800 --items 500 --communities 4 --seed 12 >/dev/null 2>&1
tb="$tmp/tbase"
"$g" build-graph --store "$tb" --interactions "$tmp/small/interactions.tsv" --columns user,item,rating,time \
  --split temporal:0.2 >/dev/null 2>&1
"$g" train --store "$tb" "${common[@]}" --model m >/dev/null 2>&1
"$g" train --store "$tb" --arch mf --epochs 2 --dim 8 --batch-size 512 --eval-every 1 --threads 1 --model other >/dev/null 2>&1
final=8
# the uninterrupted references: the model saved at each epoch 3..final
declare -A ref
ref[3]=$(evalj "$tb" m)
other_before=$(evalj "$tb" other)
c_train=$(counts "$tb")
cp -a "$tb" "$tmp/tref"
t_train=0
for ((k = 4; k <= final; k++)); do
  t0=$(now_ms)
  "$g" train --store "$tmp/tref" "${common[@]}" --epochs $k --resume --model m >/dev/null 2>&1
  t_train=$(( t_train + $(now_ms) - t0 ))
  ref[$k]=$(evalj "$tmp/tref" m)
done
check "references: each epoch's model evaluates differently" test "${ref[3]}" != "${ref[$final]}"
check "references: eval names the epoch (${ref[$final]:0:60}...)" grep -q "\"epoch\":$final," <<<"${ref[$final]}"
# the kill window is one uninterrupted process for epochs 4..final: the sum
# of the references above counts five start-ups and saves, which became most
# of it once training got fast (then most kills landed after the exit)
rm -rf "$tmp/ttime"; cp -a "$tb" "$tmp/ttime"
t0=$(now_ms)
"$g" train --store "$tmp/ttime" "${common[@]}" --epochs $final --resume --model m >/dev/null 2>&1
t_train=$(( $(now_ms) - t0 ))
echo "train --resume 3 -> $final takes ${t_train} ms in one process; kills in [0, $t_train] ms"

hits=0; bad_trials=0; declare -A seen
for ((i = 1; i <= trials; i++)); do
  s="$tmp/s-train"
  rm -rf "$s"; cp -a "$tb" "$s"
  kill_after_random 0 "$t_train" "$g" train --store "$s" "${common[@]}" --epochs $final --resume --model m
  hits=$((hits + hit))
  if ! "$g" stats --store "$s" >/dev/null 2>"$tmp/err"; then
    bad "train trial $i (killed at ${delay} ms): the store does not open: $(head -c 300 "$tmp/err")"
    bad_trials=$((bad_trials + 1)); continue
  fi
  c=$(counts "$s")
  [ "$c" = "$c_train" ] || { bad "train trial $i: counts changed: $c vs $c_train"; bad_trials=$((bad_trials + 1)); continue; }
  [ "$(evalj "$s" other)" = "$other_before" ] || { bad "train trial $i: the untouched model evaluates differently"; bad_trials=$((bad_trials + 1)); continue; }
  got=$(evalj "$s" m)
  k=$(sed -n 's/.*"epoch":\([0-9]*\),.*/\1/p' <<<"$got")
  if [ -z "$k" ] || [ -z "${ref[$k]+x}" ] || [ "$got" != "${ref[$k]}" ]; then
    bad "train trial $i (killed at ${delay} ms): model m does not evaluate as the uninterrupted run at its epoch '$k': $got"
    bad_trials=$((bad_trials + 1)); continue
  fi
  seen[$k]=1
  if [ $((i % 4)) -eq 0 ] && [ "$k" -lt $final ]; then
    "$g" train --store "$s" "${common[@]}" --epochs $final --resume --model m >/dev/null 2>&1
    [ "$(evalj "$s" m)" = "${ref[$final]}" ] || { bad "train trial $i: resuming after the kill does not give the uninterrupted model"; bad_trials=$((bad_trials + 1)); }
  fi
done
echo "train: killed models were saved at epochs: ${!seen[*]}; $hits kills hit a running process"
check "train: all $trials killed stores open, counts unchanged, models evaluate as saved" test "$bad_trials" -eq 0
check "train: at least half the kills hit a running process ($hits of $trials)" test $((hits * 2)) -ge "$trials"

echo "$n checks, $failed failed"
[ "$failed" -eq 0 ]
