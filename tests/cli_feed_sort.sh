#!/usr/bin/env bash
# cli_feed_sort.sh - rank-feed on candidates in any order (issue 19): a
# shuffled file gives the output of the file grouped by `LC_ALL=C sort -s`
# byte for byte, in memory and through spilled runs, from a file, a pipe
# and to stdout; --shard I/N pieces together are the whole; spill files are
# gone after a job (also a killed one) and the next job removes leftovers
# of dead processes; bad lines keep their line numbers through the sort.
# usage: cli_feed_sort.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"
TAB=$(printf '\t')

$g generate --out "$tmp/data" --users 300 --items 200 --communities 4 --min-items 5 --max-items 20 >/dev/null 2>&1
s="$tmp/store"
$g build-graph --store "$s" --interactions "$tmp/data/interactions.tsv" --columns user,item,rating,time \
  --split temporal:0.2 --social "$tmp/data/social.tsv" >/dev/null
$g train --store "$s" --arch mf --epochs 2 --dim 8 --eval-every 0 --model m >/dev/null 2>&1
rf() { $g rank-feed --store "$s" --model m "$@"; }

# 60 viewers (two unknown to the store, one sorting among the known ones) x 50 posts, grouped in byte order
awk 'BEGIN { srand(7); p = 0
  for (v = 0; v < 60; v++) for (k = 0; k < 50; k++) {
    c = "i" int(rand() * 200); if (rand() < 0.5) c = c "|i" int(rand() * 200)
    printf "%s\tp%d\tu%d\t%s\t%d\n", v < 58 ? "u" v : v == 58 ? "new" v : "u1x", p++, (v + 1 + k % 7) % 300, c, 1600000000 + int(rand() * 604800) } }' |
  LC_ALL=C sort -s -t"$TAB" -k1,1 > "$tmp/grouped.tsv"
LC_ALL=C awk 'BEGIN { srand(1); for (i = 0; i < 1048576; i++) printf "%c", 1 + int(rand() * 255) }' > "$tmp/seed"
shuf --random-source="$tmp/seed" "$tmp/grouped.tsv" > "$tmp/shuf.tsv"
check "the shuffled file is not grouped" sh -c "test \$(cut -f1 '$tmp/shuf.tsv' | uniq | wc -l) -gt 1000"

rf --candidates "$tmp/grouped.tsv" --out "$tmp/g.tsv" 2>"$tmp/err"
check "grouped job: exit 0, no sort" sh -c "test $? -eq 0 && ! grep -q sorted '$tmp/err'"
rf --candidates "$tmp/shuf.tsv" --out "$tmp/s.tsv" 2>"$tmp/err"
check "shuffled job: exit 0, sorted in memory" sh -c "test $? -eq 0 && grep -q 'sorted (0 runs spilled)' '$tmp/err'"
check "shuffled = grouped, byte for byte" cmp -s "$tmp/g.tsv" "$tmp/s.tsv"
check "... 60 viewers, 50 rows each at most" test "$(cut -f1 "$tmp/s.tsv" | uniq | wc -l)" -eq 60
rf --candidates "$tmp/shuf.tsv" --out "$tmp/s2.tsv" --sort-memory 16384 --chunk-bytes 4096 2>"$tmp/err"
runs=$(sed -n 's/.*sorted (\([0-9]*\) runs spilled).*/\1/p' "$tmp/err")
check "--sort-memory 16384: several runs spilled ($runs)" test "${runs:-0}" -gt 3
check "... the same bytes" cmp -s "$tmp/g.tsv" "$tmp/s2.tsv"
rf --candidates "$tmp/shuf.tsv" --out "$tmp/s3.tsv" --sort-memory 65536 --threads 1 --chunk-bytes 4096 2>/dev/null
check "... with 1 thread and 4 KiB reads too" cmp -s "$tmp/g.tsv" "$tmp/s3.tsv"
# spill files are O_DIRECT where the file system takes it (here, beside --out);
# tmpfs does not: a spill in /dev/shm goes through the page cache, same bytes
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  shm=$(mktemp -d /dev/shm/gnnrec-feed-sort.XXXXXX)
  TMPDIR=$shm rf --candidates "$tmp/shuf.tsv" --out - --sort-memory 16384 --chunk-bytes 4096 2>"$tmp/err" >"$tmp/s4.tsv"
  check "spilled on tmpfs (no O_DIRECT): the same bytes" \
    sh -c "cmp -s '$tmp/g.tsv' '$tmp/s4.tsv' && grep -q 'runs spilled' '$tmp/err'"
  rm -rf "$shm"
fi
rf --candidates "$tmp/grouped.tsv" --out "$tmp/g.jsonl" --format jsonl 2>/dev/null
rf --candidates "$tmp/shuf.tsv" --out "$tmp/s.jsonl" --format jsonl --sort-memory 65536 2>/dev/null
check "jsonl: shuffled = grouped" cmp -s "$tmp/g.jsonl" "$tmp/s.jsonl"

# standard input and output
cat "$tmp/shuf.tsv" | rf --candidates - --out - 2>/dev/null > "$tmp/p.tsv"
check "a pipe to stdout (in memory): the same bytes" cmp -s "$tmp/g.tsv" "$tmp/p.tsv"
mkdir "$tmp/tt"
cat "$tmp/shuf.tsv" | TMPDIR="$tmp/tt" rf --candidates - --out - --sort-memory 65536 2>"$tmp/err" > "$tmp/p2.tsv"
check "a pipe to stdout, spilled in \$TMPDIR: the same bytes" \
  sh -c "cmp -s '$tmp/g.tsv' '$tmp/p2.tsv' && grep -q 'runs spilled' '$tmp/err'"
check "... nothing left in \$TMPDIR" test -z "$(ls -A "$tmp/tt")"
cat "$tmp/grouped.tsv" | rf --candidates - --out - 2>"$tmp/err" > "$tmp/p3.tsv"
check "a grouped pipe streams (no sort), same bytes" sh -c "cmp -s '$tmp/g.tsv' '$tmp/p3.tsv' && ! grep -q sorted '$tmp/err'"

# --shard I/N
for i in 0 1 2; do rf --candidates "$tmp/shuf.tsv" --out "$tmp/sh$i.tsv" --shard $i/3 2>/dev/null; done
check "3 shards: each has viewers" sh -c "test -s '$tmp/sh0.tsv' && test -s '$tmp/sh1.tsv' && test -s '$tmp/sh2.tsv'"
check "... no viewer in two shards" sh -c "test \$(cut -f1 '$tmp/sh0.tsv' '$tmp/sh1.tsv' '$tmp/sh2.tsv' | sort -u | wc -l) -eq \$(for i in 0 1 2; do cut -f1 '$tmp/sh'\$i.tsv | sort -u; done | wc -l)"
check "... concatenated and sorted by viewer: the whole output" \
  sh -c "cat '$tmp/sh0.tsv' '$tmp/sh1.tsv' '$tmp/sh2.tsv' | LC_ALL=C sort -s -t'$TAB' -k1,1 | cmp -s - '$tmp/g.tsv'"
rf --candidates "$tmp/grouped.tsv" --out "$tmp/gs1.tsv" --shard 1/3 2>/dev/null
check "... a shard of the grouped file = the shard of the shuffled one" cmp -s "$tmp/gs1.tsv" "$tmp/sh1.tsv"
rf --candidates "$tmp/grouped.tsv" --out "$tmp/x" --shard 3/3 2>"$tmp/err"
check "--shard 3/3 exits 2" sh -c "test $? -eq 2 && grep -q -- '--shard' '$tmp/err'"

# bad lines keep their own line numbers through the sort
awk 'NR == 777 { print "u3\tpbad\tu1\ti1\tnoon"; next } 1' "$tmp/shuf.tsv" > "$tmp/bad.tsv"
rf --candidates "$tmp/bad.tsv" --out "$tmp/x" --sort-memory 65536 2>"$tmp/err"
check "a bad line in a shuffled file: exit 2, bad.tsv:777" sh -c "test $? -eq 2 && grep -q 'bad.tsv:777: time' '$tmp/err'"
rf --candidates "$tmp/bad.tsv" --out "$tmp/b.tsv" --sort-memory 65536 --max-bad-lines 1 2>"$tmp/err"
check "... skipped with --max-bad-lines 1" sh -c "test $? -eq 0 && grep -q 'skipped .*bad.tsv:777: time' '$tmp/err'"

# spill files: none visible during or after a job, none after a kill; the
# names a job without O_TMPFILE would leave are removed when dead
mkdir "$tmp/k"
dead=$(sh -c 'echo $$')
: > "$tmp/k/o.tsv.tmp.$dead.sortAbC123"
: > "$tmp/k/o.tsv.tmp.$$.sortAbC123"   # this shell is alive: kept
mkfifo "$tmp/k/fifo"
# the job sorts what the FIFO gave it so far, then waits for more: killed there
$g rank-feed --store "$s" --model m --candidates "$tmp/k/fifo" --out "$tmp/k/o.tsv" --sort-memory 65536 \
  --chunk-bytes 4096 2>/dev/null &
pid=$!
exec 3>"$tmp/k/fifo"
cat "$tmp/shuf.tsv" >&3
sleep 1
spills=$(ls -l /proc/$pid/fd 2>/dev/null | grep -c "$tmp/k/.*(deleted)")
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
st=$?
exec 3>&-
check "the job was killed while its spill files were open ($spills)" sh -c "test $st -eq 137 && test $spills -gt 1"
check "... and left no spill file" test -z "$(ls "$tmp/k" | grep "\.tmp\.$pid\.sort")"
check "... the dead process's leftover was removed when it started" test ! -e "$tmp/k/o.tsv.tmp.$dead.sortAbC123"
: > "$tmp/k/o.tsv.tmp.$dead.sortDeF456"
rf --candidates "$tmp/shuf.tsv" --out "$tmp/k/o.tsv" --sort-memory 65536 2>"$tmp/err"
check "after the next job no spill file of a dead process is left" test -z "$(ls "$tmp/k" | grep "\.tmp\.$dead\.sort")"
check "... a live process's is kept" test -f "$tmp/k/o.tsv.tmp.$$.sortAbC123"
check "... and the next job's output is right" cmp -s "$tmp/g.tsv" "$tmp/k/o.tsv"
report
