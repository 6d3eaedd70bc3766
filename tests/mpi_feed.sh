#!/usr/bin/env bash
# mpi_feed.sh - `mpirun -np P gnnrec rank-feed` against one process, and a
# rank killed mid-job:
#   * -np 2 and 3, --out FILE and stdout, tsv and jsonl, a grouped file, a
#     shuffled one (the external sort on every rank), one where a single
#     viewer comes back (one rank sorts, so all do), unknown viewers and a
#     bad line skipped: the output is one process's, byte for byte; the
#     evaluation (--labels --json) prints the same numbers;
#   * errors (--candidates -, --shard, an --out in a missing directory, a
#     bad line with no --max-bad-lines) exit 2 with one message, FILE
#     untouched, no rank's file left in TMPDIR;
#   * kill -9 of rank 1 mid-job: every rank gone, non-zero, within 10 s,
#     FILE as it was, and a rerun succeeds.
# usage: mpi_feed.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"
mpi_setup

$g generate --out "$tmp/data" --users 200 --items 150 --communities 4 --min-items 5 --max-items 20 >/dev/null 2>&1
s=$tmp/store
$g build-graph --store "$s" --interactions "$tmp/data/interactions.tsv" --columns user,item,rating,time \
  --split temporal:0.2 --social "$tmp/data/social.tsv" >/dev/null
$g train --store "$s" --arch mf --epochs 2 --dim 8 --eval-every 0 --model m >/dev/null 2>&1
# 40 viewers (two unknown) x 30 posts, grouped; labels for some posts
awk 'BEGIN { srand(5); p = 0
  for (v = 0; v < 40; v++) for (k = 0; k < 30; k++) {
    c = "i" int(rand() * 150); if (rand() < 0.5) c = c "|i" int(rand() * 150)
    printf "%s\tp%d\tu%d\t%s\t%d\n", v < 38 ? "u" v : "nobody" v, p++, int(rand() * 200), c, 1600000000 + int(rand() * 604800) } }' \
  >"$tmp/c.tsv"
awk -F'\t' 'NR % 7 == 0 { print $1 "\t" $2 }' "$tmp/c.tsv" >"$tmp/labels.tsv"

$g rank-feed --store "$s" --model m --threads 1 --candidates "$tmp/c.tsv" --out "$tmp/one.tsv" 2>/dev/null
check "one process: 40 viewers' rows" test "$(cut -f1 "$tmp/one.tsv" | uniq | wc -l)" = 40
for np in 2 3; do
  run $np rank-feed --store "$s" --model m --threads 1 --candidates "$tmp/c.tsv" --out "$tmp/np$np.tsv" 2>"$tmp/err"
  check "-np $np rank-feed --out: exit 0" test $? -eq 0
  check "-np $np: one process's output, byte for byte" cmp -s "$tmp/one.tsv" "$tmp/np$np.tsv"
  check "... one report, counting every candidate" test "$(grep -c '1200 candidates of 40 viewers' "$tmp/err")" = 1
  check "... the 2 unknown viewers counted once" grep -q '2 unknown viewers (60 candidates' "$tmp/err"
  run $np rank-feed --store "$s" --model m --threads 1 --candidates "$tmp/c.tsv" --out - >"$tmp/np$np.out" 2>/dev/null
  check "-np $np to stdout: the same" cmp -s "$tmp/one.tsv" "$tmp/np$np.out"
  check "-np $np: no file left in TMPDIR" test -z "$(ls -A "$TMPDIR")"
done
$g rank-feed --store "$s" --model m --candidates "$tmp/c.tsv" --out "$tmp/one.jsonl" --format jsonl --top 5 2>/dev/null
run 2 rank-feed --store "$s" --model m --candidates "$tmp/c.tsv" --out "$tmp/two.jsonl" --format jsonl --top 5 2>/dev/null
check "-np 2 jsonl: the same bytes" cmp -s "$tmp/one.jsonl" "$tmp/two.jsonl"

$g rank-feed --store "$s" --model m --candidates "$tmp/c.tsv" --out "$tmp/l1.tsv" --labels "$tmp/labels.tsv" --json \
  >"$tmp/eval1.json" 2>/dev/null
run 3 rank-feed --store "$s" --model m --candidates "$tmp/c.tsv" --out "$tmp/l3.tsv" --labels "$tmp/labels.tsv" --json \
  >"$tmp/eval3.json" 2>/dev/null
check "-np 3 --labels: the same evaluation" cmp -s "$tmp/eval1.json" "$tmp/eval3.json"
check "... with viewers in it" grep -q '"viewers_ndcg":[1-9]' "$tmp/eval3.json"

# not grouped: every rank sorts; one viewer coming back (in one shard only): all ranks sort
awk 'BEGIN { srand(9) } { print rand() "\t" $0 }' "$tmp/c.tsv" | sort -k1,1 | cut -f2- >"$tmp/shuf.tsv"
$g rank-feed --store "$s" --model m --candidates "$tmp/shuf.tsv" --out "$tmp/s1.tsv" 2>/dev/null
run 2 rank-feed --store "$s" --model m --candidates "$tmp/shuf.tsv" --out "$tmp/s2.tsv" --sort-memory 8192 --chunk-bytes 4096 2>"$tmp/err"
check "-np 2 shuffled: exit 0" test $? -eq 0
check "... one process's output" cmp -s "$tmp/s1.tsv" "$tmp/s2.tsv"
check "... sorted with spills" grep -q 'sorted ([1-9][0-9]* runs spilled)' "$tmp/err"
{ cat "$tmp/c.tsv"; printf 'u3\tpback\tu7\ti4\t1600000000\n'; } >"$tmp/back.tsv"
$g rank-feed --store "$s" --model m --candidates "$tmp/back.tsv" --out "$tmp/b1.tsv" 2>/dev/null
for np in 2 3; do
  run $np rank-feed --store "$s" --model m --candidates "$tmp/back.tsv" --out "$tmp/b$np.tsv" 2>/dev/null
  check "-np $np, one viewer back at the end: one process's (sorted) output" cmp -s "$tmp/b1.tsv" "$tmp/b$np.tsv"
done
awk 'NR == 100 { print "u3\tpx\tu1\ti1\tnoon"; next } 1' "$tmp/c.tsv" >"$tmp/bad.tsv"
$g rank-feed --store "$s" --model m --candidates "$tmp/bad.tsv" --out "$tmp/x1.tsv" --max-bad-lines 5 2>/dev/null
run 2 rank-feed --store "$s" --model m --candidates "$tmp/bad.tsv" --out "$tmp/x2.tsv" --max-bad-lines 5 2>"$tmp/err"
check "-np 2, a bad line skipped: one process's output" cmp -s "$tmp/x1.tsv" "$tmp/x2.tsv"
check "... the line reported once" test "$(grep -c 'skipped .*bad.tsv:100:' "$tmp/err")" = 1

echo keep >"$tmp/out.tsv"
run 2 rank-feed --store "$s" --model m --candidates "$tmp/bad.tsv" --out "$tmp/out.tsv" 2>"$tmp/err"
check "a bad line under -np 2: exit 2" test $? -eq 2
check "... one message naming the line" test "$(grep -c 'gnnrec rank-feed: .*bad.tsv:100:' "$tmp/err")" = 1
check "... FILE untouched" test "$(cat "$tmp/out.tsv")" = keep
check "... nothing beside it or in TMPDIR" test -z "$(ls "$tmp"/out.tsv.tmp.* 2>/dev/null)$(ls -A "$TMPDIR")"
run 2 rank-feed --store "$s" --model m --candidates "$tmp/c.tsv" --out "$tmp/no/such/dir/x.tsv" 2>"$tmp/err"
check "an --out in a missing directory: exit 2, one message" test $? -eq 2 -a "$(grep -c "gnnrec rank-feed:" "$tmp/err")" = 1
run 2 rank-feed --store "$s" --model m --candidates - --out "$tmp/out.tsv" <"$tmp/c.tsv" 2>"$tmp/err"
check "--candidates - under -np 2: exit 2, saying why" test $? -eq 2 -a "$(grep -c "must name a file" "$tmp/err")" = 1
run 2 rank-feed --store "$s" --model m --candidates "$tmp/c.tsv" --shard 0/2 --out "$tmp/out.tsv" 2>"$tmp/err"
check "--shard under -np 2: exit 2" test $? -eq 2 -a "$(grep -c "shard" "$tmp/err")" = 1
check "... FILE still untouched" test "$(cat "$tmp/out.tsv")" = keep

# a rank killed mid-job: a shuffled job big enough to be still running
awk 'BEGIN { srand(11); for (n = 0; n < 4000000; n++)
  printf "u%d\tp%d\tu%d\ti%d|i%d\t%d\n", int(rand() * 200), n, int(rand() * 200), int(rand() * 150), int(rand() * 150),
    1600000000 + n }' >"$tmp/big.tsv"
mpirun --oversubscribe -np 2 "$g" rank-feed --store "$s" --model m --threads 1 --candidates "$tmp/big.tsv" \
  --out "$tmp/out.tsv" --sort-memory 4000000 >/dev/null 2>"$tmp/kill.err" &
if mpi_kill_test $! "$tmp/kill.err"; then
  check "... FILE as it was" test "$(cat "$tmp/out.tsv")" = keep
  check "... nothing beside it" test -z "$(ls "$tmp"/out.tsv.tmp.* 2>/dev/null)"
  run 2 rank-feed --store "$s" --model m --candidates "$tmp/c.tsv" --out "$tmp/out.tsv" 2>/dev/null
  check "... and a rerun succeeds" cmp -s "$tmp/one.tsv" "$tmp/out.tsv"
fi
report
