#!/usr/bin/env bash
# readers_writers.sh - readers during writes on one store.
#   * While a writer runs four `build-graph --append` jobs (new train and test
#     interactions between known users and items) with a `train` of another
#     model after each, readers run `stats --json`, `eval --json` and `infer`
#     of a fixed model in a loop. Every read must succeed (exit 0, no crash)
#     and equal exactly what the same command prints on one of the five
#     states the writer passes through (computed beforehand, sequentially,
#     on a copy): one consistent snapshot, never counts or metrics mixed from
#     two states. `eval` of the model being trained may also say it does not
#     exist yet (exit 2), never crash.
#   * Stale readers: while another process keeps the store open (so LMDB
#     never resets its lock file), 150 `infer` processes are SIGKILLed in the
#     middle of their read transaction (blocked writing to a full pipe) -
#     more than LMDB's 126 reader slots.
#     A new `eval` must still work, and the reader table (`mdb_stat -r`) must
#     not be full of dead processes.
# Assumes the synthetic generator, mkfifo, and mdb_stat (lmdb-utils; the
# reader-table count is skipped without it).
# usage: readers_writers.sh PATH/TO/gnnrec
set -u
g=${1:?usage: readers_writers.sh GNNREC}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-rw-XXXXXX") || exit 1
holder=
cleanup() { [ -n "$holder" ] && kill -9 "$holder" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
n=0; failed=0
ok() { n=$((n + 1)); echo "ok   $*"; }
bad() { n=$((n + 1)); failed=$((failed + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
RANDOM=${GNNREC_RW_SEED:-2020}

counts() { "$g" stats --store "$1" --json 2>&1 | sed 's/,"store_bytes":[0-9]*//; s/,"models":[0-9]*//'; }
evalj() { "$g" eval --store "$1" --model m --k 10,20 --json --threads 1 2>&1 | sed 's/,"seconds":[0-9.]*//'; }
recs() { "$g" infer --store "$1" --model m --users u1,u2,u3,u5,u8,u13 --k 5 --threads 1 2>&1; }

# ---- data: base store, four appends among known ids, a fixed model m
"$g" generate --out "$tmp/data" --users 600 --items 400 --communities 4 --seed 3 >/dev/null 2>&1
awk 'NR % 2 == 1' "$tmp/data/interactions.tsv" > "$tmp/a.tsv"
# the even lines whose user and item the odd lines know, in four parts
awk -F'\t' 'NR == FNR { u[$1] = 1; i[$2] = 1; next } FNR % 2 == 0 && ($1 in u) && ($2 in i) { print > ("'"$tmp"'/b" (FNR % 8) / 2 ".tsv") }' \
  "$tmp/a.tsv" "$tmp/data/interactions.tsv"
base="$tmp/base"
"$g" build-graph --store "$base" --interactions "$tmp/a.tsv" --columns user,item,rating,time --split temporal:0.2 >/dev/null 2>&1
"$g" train --store "$base" --arch mf --model m --epochs 3 --dim 16 --batch-size 512 --eval-every 0 --threads 1 >/dev/null 2>&1
check "base store with model m" test -n "$(evalj "$base" | grep users_evaluated)"
append() { "$g" build-graph --store "$1" --append --interactions "$tmp/b$2.tsv" --columns user,item,rating,time --split temporal:0.3; }

# ---- the states the writer passes through, computed sequentially
cp -a "$base" "$tmp/ref"
for k in 0 1 2 3 4; do
  [ $k -gt 0 ] && { append "$tmp/ref" $((k - 1)) >/dev/null 2>&1 || bad "reference append $k failed"; }
  counts "$tmp/ref" > "$tmp/C$k"; evalj "$tmp/ref" > "$tmp/E$k"; recs "$tmp/ref" > "$tmp/I$k"
done
check "the five states differ (stats)" test "$(cat "$tmp"/C? | sort -u | wc -l)" -eq 5
check "the five states differ (eval)" test "$(cat "$tmp"/E? | sort -u | wc -l)" -eq 5
in_refs() {   # in_refs PREFIX FILE: FILE equals one of PREFIX0..PREFIX4
  local k; for k in 0 1 2 3 4; do cmp -s "$1$k" "$2" && return 0; done; return 1
}

# ---- concurrent run
s="$tmp/store"
cp -a "$base" "$s"
(
  for k in 0 1 2 3; do
    append "$s" $k >/dev/null 2>&1 || echo "append $k failed" >> "$tmp/writer.err"
    "$g" train --store "$s" --arch mf --model t --epochs 25 --dim 16 --batch-size 256 --eval-every 1 \
      --checkpoint-every 1 --threads 1 >/dev/null 2>&1 || echo "train after append $k failed" >> "$tmp/writer.err"
  done
  touch "$tmp/writer.done"
) &
writer=$!
reads=0; read_bad=0
while [ ! -e "$tmp/writer.done" ]; do
  reads=$((reads + 1))
  counts "$s" > "$tmp/c"; rc_c=${PIPESTATUS[0]}
  evalj "$s" > "$tmp/e"
  recs "$s" > "$tmp/i"; rc_i=$?
  "$g" eval --store "$s" --model t --threads 1 >/dev/null 2>"$tmp/te"; rc_t=$?
  in_refs "$tmp/C" "$tmp/c" || { read_bad=$((read_bad + 1)); echo "  read $reads: stats not one snapshot: $(head -c 300 "$tmp/c")"; }
  in_refs "$tmp/E" "$tmp/e" || { read_bad=$((read_bad + 1)); echo "  read $reads: eval not one snapshot: $(head -c 300 "$tmp/e")"; }
  in_refs "$tmp/I" "$tmp/i" || { read_bad=$((read_bad + 1)); echo "  read $reads: infer not one snapshot (exit $rc_i): $(head -c 300 "$tmp/i")"; }
  case $rc_t in
    0) ;;
    2) grep -q "no model named 't'" "$tmp/te" || { read_bad=$((read_bad + 1)); echo "  read $reads: eval of t: $(head -c 300 "$tmp/te")"; } ;;
    *) read_bad=$((read_bad + 1)); echo "  read $reads: eval of t exited $rc_t: $(head -c 300 "$tmp/te")" ;;
  esac
done
wait "$writer"
echo "$reads rounds of reads (stats, eval, infer, eval of the model in training) during the writes"
check "the writer's appends and trains all succeeded" test ! -s "$tmp/writer.err"
check "every read saw one consistent snapshot and none crashed" test "$read_bad" -eq 0
check "at least 3 rounds of reads overlapped the writes ($reads)" test "$reads" -ge 3
counts "$s" > "$tmp/c"
check "the final state equals the sequential one" cmp -s "$tmp/C4" "$tmp/c"

# ---- stale readers: SIGKILL readers inside their read transaction while
# another process keeps the environment open
mkfifo "$tmp/fifo"
"$g" build-graph --store "$s" --append --interactions "$tmp/fifo" >/dev/null 2>&1 &   # blocks opening the fifo
holder=$!
sleep 0.3
check "a process holds the store open (blocked on a fifo)" kill -0 "$holder"
# readers that block writing their output to a pipe nobody reads are
# surely inside their read transaction when killed (infer holds one while
# it prints); 5 batches of 30
mkfifo "$tmp/sink"
exec 3<>"$tmp/sink"
hits=0
for ((b = 0; b < 5; b++)); do
  pids=()
  for ((i = 0; i < 30; i++)); do
    "$g" infer --store "$s" --model m --users all --k 50 --threads 1 >"$tmp/sink" 2>/dev/null &
    pids+=($!)
  done
  sleep 1.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null && hits=$((hits + 1)); done
  wait "${pids[@]}" 2>/dev/null
  # drain what they wrote, so the next batch blocks again
  timeout 1 cat <&3 >/dev/null
done
exec 3>&-
echo "$hits of 150 readers killed while blocked inside a read transaction"
check "more readers killed than LMDB has slots (126): $hits" test "$hits" -gt 126
if command -v mdb_stat >/dev/null; then
  stale_before=$(mdb_stat -r "$s" | awk '$1 ~ /^[0-9]+$/ { n++ } END { print n + 0 }')
  echo "reader table after the kills: $stale_before entries"
fi
out=$(evalj "$s")
check "a new eval still works" cmp -s "$tmp/E4" <(echo "$out")
[ "$out" = "$(cat "$tmp/E4")" ] || echo "  eval says: ${out:0:300}"
if command -v mdb_stat >/dev/null; then
  stale=$(mdb_stat -r "$s" | awk '$1 ~ /^[0-9]+$/ { n++ } END { print n + 0 }')
  check "the reader table holds no stale readers after a gnnrec command ($stale entries)" test "$stale" -le 2
fi
: > "$tmp/fifo" &    # release the holder: it reads an empty file and fails, writing nothing
wait "$holder"; rc=$?
holder=
check "the holder ends with exit 2 (empty input)" test "$rc" -eq 2
counts "$s" > "$tmp/c"
check "the store is unchanged by the killed readers and the failed append" cmp -s "$tmp/C4" "$tmp/c"

echo "$n checks, $failed failed"
[ "$failed" -eq 0 ]
