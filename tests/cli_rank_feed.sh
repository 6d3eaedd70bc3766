#!/usr/bin/env bash
# cli_rank_feed.sh - end-to-end tests of `gnnrec rank-feed` on a small
# generated store: the output format and its invariants (ranks, top N, the
# per-author cap, score = sum of the terms), determinism across threads,
# configs, bad lines reported as FILE:LINE, an empty file, unknown ids, a
# viewer that is not grouped (sorted, or refused from stdin), the labelled evaluation, and the atomic output
# (a failed or killed job leaves the old file or none).
# usage: cli_rank_feed.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"

$g generate --out "$tmp/data" --users 200 --items 150 --communities 4 --min-items 5 --max-items 20 >/dev/null 2>&1
s="$tmp/store"
$g build-graph --store "$s" --interactions "$tmp/data/interactions.tsv" --columns user,item,rating,time \
  --split temporal:0.2 --social "$tmp/data/social.tsv" >/dev/null
$g train --store "$s" --arch mf --epochs 2 --dim 8 --eval-every 0 --model m >/dev/null 2>&1
check "store with a model" test -f "$s/data.mdb"

# candidates: 30 viewers x 40 posts by 6 authors each (so the cap matters),
# 1-2 items each, times over a week; viewer u0's friends as some authors
awk 'BEGIN { srand(3); p = 0
  for (v = 0; v < 30; v++) for (k = 0; k < 40; k++) {
    c = "i" int(rand() * 150); if (rand() < 0.5) c = c "|i" int(rand() * 150)
    printf "u%d\tp%d\tu%d\t%s\t%d\n", v, p++, (v + 1 + k % 6) % 200, c, 1600000000 + int(rand() * 604800) } }' > "$tmp/c.tsv"
rf() { $g rank-feed --store "$s" --model m "$@"; }

rf --candidates "$tmp/c.tsv" --out "$tmp/o.tsv" --top 10 --author-cap 2 2>"$tmp/err"
check "rank-feed exits 0" test $? -eq 0
check "tsv has 9 columns" awk -F'\t' 'NF != 9 { exit 1 }' "$tmp/o.tsv"
check "10 rows for each of the 30 viewers" test "$(wc -l <"$tmp/o.tsv")" -eq 300
check "ranks run 1..N per viewer" awk -F'\t' '$2 != (prev == $1 ? r + 1 : 1) { exit 1 } { prev = $1; r = $2 }' "$tmp/o.tsv"
check "viewers come out in input order" cmp -s <(cut -f1 "$tmp/o.tsv" | uniq) <(cut -f1 "$tmp/c.tsv" | uniq)
check "at most 2 posts of one author per viewer" awk -F'\t' '{ if (++k[$1 "\t" $4] > 2) exit 1 }' "$tmp/o.tsv"
check "scores descend within a viewer" awk -F'\t' 'prev == $1 && $5 > sc + 1e-9 { exit 1 } { prev = $1; sc = $5 }' "$tmp/o.tsv"
check "score = sum of the terms" awk -F'\t' '{ d = $5 - ($6 + $7 + $8 + $9); if (d > 1e-5 || d < -1e-5) exit 1 }' "$tmp/o.tsv"
check "posts are the viewer's candidates" awk -F'\t' 'NR == FNR { c[$1 "\t" $2] = 1; next } !(($1 "\t" $3) in c) { exit 1 }' \
  "$tmp/c.tsv" "$tmp/o.tsv"
check "tie term only for socially tied authors" awk -F'\t' 'NR == FNR { t[$1 "\t" $2] = t[$2 "\t" $1] = 1; next }
  ($8 != 0) != (($1 "\t" $4) in t) { exit 1 }' "$tmp/data/social.tsv" "$tmp/o.tsv"
rf --candidates "$tmp/c.tsv" --out "$tmp/nocap.tsv" --top 10 --author-cap 0 2>/dev/null
check "without the cap some viewer gets 3+ posts of one author" \
  awk -F'\t' '{ if (++k[$1 "\t" $4] > 2) found = 1 } END { exit !found }' "$tmp/nocap.tsv"
rf --candidates "$tmp/c.tsv" --out "$tmp/o1.tsv" --top 10 --author-cap 2 --threads 1 2>/dev/null
check "1 thread gives the same output" cmp -s "$tmp/o.tsv" "$tmp/o1.tsv"
rf --candidates - --out - --top 10 --author-cap 2 <"$tmp/c.tsv" >"$tmp/o2.tsv" 2>/dev/null
check "stdin to stdout gives the same output" cmp -s "$tmp/o.tsv" "$tmp/o2.tsv"
rf --candidates "$tmp/c.tsv" --out - --top 3 --format jsonl >"$tmp/o.jsonl" 2>/dev/null
check "jsonl: one object per viewer" test "$(grep -c '^{"viewer":"u[0-9]*","posts":\[{"rank":1,"post":"p[0-9]*","author":"u[0-9]*","score":[-0-9.e]*,"terms":{"content":[-0-9.e]*,"author":[-0-9.e]*,"tie":[-0-9.e]*,"recency":[-0-9.e]*}},{"rank":2,.*{"rank":3,.*}\]}$' "$tmp/o.jsonl")" -eq 30

# streaming: with a 4 KiB read size groups straddle reads, one viewer
# outgrows the buffer, and line numbers still count from the file's start
rf --candidates "$tmp/c.tsv" --out "$tmp/small.tsv" --top 10 --author-cap 2 --chunk-bytes 4096 2>/dev/null
check "4 KiB reads give the same output" cmp -s "$tmp/o.tsv" "$tmp/small.tsv"
awk -F'\t' -v OFS='\t' '{ $1 = "u5"; print }' "$tmp/c.tsv" > "$tmp/one.tsv"
rf --candidates "$tmp/one.tsv" --out "$tmp/one4k.tsv" --top 10 --chunk-bytes 4096 2>/dev/null
rf --candidates "$tmp/one.tsv" --out "$tmp/one.out" --top 10 2>/dev/null
check "one viewer of 1200 lines with 4 KiB reads: same 10 rows" \
  sh -c "test \$(wc -l <'$tmp/one4k.tsv') -eq 10 && cmp -s '$tmp/one4k.tsv' '$tmp/one.out'"
awk 'NR == 1000 { print "u24\tpx\tu1\ti1\tnoon"; next } 1' "$tmp/c.tsv" > "$tmp/bad1000.tsv"
rf --candidates "$tmp/bad1000.tsv" --out "$tmp/x" --chunk-bytes 4096 2>"$tmp/err"
check "4 KiB reads: a bad line is still bad1000.tsv:1000" grep -q 'bad1000.tsv:1000: time' "$tmp/err"
{ cat "$tmp/c.tsv"; head -1 "$tmp/c.tsv"; } > "$tmp/late.tsv"
cat "$tmp/late.tsv" | rf --candidates - --out "$tmp/x" --chunk-bytes 4096 2>"$tmp/err"
check "4 KiB reads from a pipe: a viewer back at line 1201 cannot be sorted (exit 2)" \
  sh -c "test ${PIPESTATUS[1]} -eq 2 && grep -q \"stdin:1201: viewer 'u0' already had its candidates at line 1; the input is not grouped by viewer and standard input cannot be read again\" '$tmp/err'"
rf --candidates "$tmp/late.tsv" --out - --chunk-bytes 4096 2>"$tmp/err" >/dev/null
check "... nor a file whose rows went to stdout already (exit 2)" \
  sh -c "test $? -eq 2 && grep -q \"late.tsv:1201: viewer 'u0' already had .*rows already went to stdout\" '$tmp/err'"
rf --candidates "$tmp/late.tsv" --out "$tmp/late.out" --chunk-bytes 4096 --top 10 --author-cap 2 2>"$tmp/err"
check "... but a file to --out FILE is sorted (exit 0, said on stderr)" \
  sh -c "test $? -eq 0 && grep -q 'not grouped by viewer: sorted' '$tmp/err'"
check "... u0's rows: those of its 41 candidates, in one group" \
  sh -c "test \$(grep -c '^u0	' '$tmp/late.out') -eq 10 && test \$(cut -f1 '$tmp/late.out' | uniq | wc -l) -eq 30"

# weights and the clock: recency alone is reverse-chronological order
rf --candidates "$tmp/c.tsv" --out "$tmp/rec.tsv" --top 40 --author-cap 0 --weights.content 0 --weights.author 0 \
  --weights.tie 0 --weights.recency 1 2>/dev/null
check "recency alone orders by time (ties: input order)" cmp -s <(cut -f1,3 "$tmp/rec.tsv") \
  <(awk -F'\t' '{ if (!($1 in vo)) vo[$1] = ++nv; print vo[$1] "\t" $5 "\t" NR "\t" $1 "\t" $2 }' "$tmp/c.tsv" |
    sort -t$'\t' -k1,1n -k2,2nr -k3,3n | cut -f4,5)
check "the newest post of each viewer has recency 1 (--now auto)" \
  awk -F'\t' '$2 == 1 && $9 != 1 { exit 1 }' "$tmp/rec.tsv"
printf 'u0\tw1\tu1\ti1\t1000000\nu0\tw2\tu1\ti1\t395200\nu0\tw3\tu1\ti1\t-209600\n' > "$tmp/week.tsv"
rf --candidates "$tmp/week.tsv" --out "$tmp/now.tsv" --now 1604800 --half-life 604800 --weights.content 0 \
  --weights.author 0 --weights.tie 0 --weights.recency 1 2>/dev/null
check "--now and --half-life: 1, 2, 3 half-lives old score 1/2, 1/4, 1/8" \
  test "$(cut -f3,9 "$tmp/now.tsv" | tr '\t\n' ' ')" = "w1 0.5 w2 0.25 w3 0.125 "

# configs: the command line wins; a config's out: is relative to its own
# directory (issue 20 #5, train's metrics_log rule)
cat >"$tmp/feed.yaml" <<EOF
store: $s
model: m
candidates: $tmp/c.tsv
out: $tmp/cfg.tsv
top: 2
author_cap: 1
weights:
  tie: 0
EOF
$g rank-feed --config "$tmp/feed.yaml" 2>/dev/null
check "config: top 2 from the file" test "$(wc -l <"$tmp/cfg.tsv")" -eq 60
check "config: weights.tie 0 from the file" awk -F'\t' '$8 != 0 { exit 1 }' "$tmp/cfg.tsv"
$g rank-feed --config "$tmp/feed.yaml" --top 4 2>/dev/null
check "config: --top 4 wins" test "$(wc -l <"$tmp/cfg.tsv")" -eq 120
$g rank-feed --config "$tmp/feed.yaml" --model nope >/dev/null 2>"$tmp/err"
check "config: --model wins over the file's model: (nope is not there: exit 2)" \
  sh -c "test $? -eq 2 && grep -q \"no model named 'nope'\" '$tmp/err'"
$g rank-feed --config "$tmp/feed.yaml" --arch mf >/dev/null 2>&1
check "--arch is refused (exit 2)" test $? -eq 2
$g rank-feed --config "$tmp/feed.yaml" --weights.bogus 1 >/dev/null 2>&1
check "unknown key exits 2" test $? -eq 2

# column mapping, delimiters, header, CRLF
awk -F'\t' 'BEGIN { print "time,author,x,viewer,post" } { print $5 "," $3 ",junk," $1 "," $2 }' "$tmp/c.tsv" > "$tmp/c.csv"
rf --candidates "$tmp/c.csv" --delim comma --header --columns time,author,_,viewer,post --out "$tmp/csv.tsv" --top 10 2>/dev/null
check "--columns/--delim/--header: no content column reads" test "$(wc -l <"$tmp/csv.tsv")" -eq 300
sed 's/$/\r/' "$tmp/c.tsv" > "$tmp/crlf.tsv"
rf --candidates "$tmp/crlf.tsv" --out "$tmp/crlf.out" --top 10 --author-cap 2 2>/dev/null
check "CRLF input reads like LF" cmp -s "$tmp/o.tsv" "$tmp/crlf.out"

# bad input: FILE:LINE, exit 2, nothing written
echo "old" > "$tmp/keep.tsv"
{ head -5 "$tmp/c.tsv"; printf 'u1\tp9\n'; tail -n +6 "$tmp/c.tsv"; } > "$tmp/bad.tsv"
rf --candidates "$tmp/bad.tsv" --out "$tmp/keep.tsv" 2>"$tmp/err"
check "a short line exits 2" test $? -eq 2
check "... and names bad.tsv:6" grep -q "bad.tsv:6: expected 5 columns" "$tmp/err"
check "... and leaves the old output" test "$(cat "$tmp/keep.tsv")" = old
check "... and no temporary file" test -z "$(ls "$tmp" | grep 'keep.tsv.tmp')"
{ head -3 "$tmp/c.tsv"; printf 'u0\tp9\tu1\ti1\tyesterday\n'; printf 'u0\t\tu1\ti1\t5\n'; tail -n +4 "$tmp/c.tsv"; } > "$tmp/bad2.tsv"
rf --candidates "$tmp/bad2.tsv" --out "$tmp/b2.tsv" 2>"$tmp/err"
check "a bad time is bad2.tsv:4" sh -c "grep -q 'bad2.tsv:4: time: expected an integer' '$tmp/err' && test ! -e '$tmp/b2.tsv'"
rf --candidates "$tmp/bad2.tsv" --out "$tmp/b2.tsv" --max-bad-lines 2 2>"$tmp/err"
check "--max-bad-lines 2 skips them (exit 0)" test $? -eq 0
check "... reporting both lines" sh -c "grep -q 'bad2.tsv:4:' '$tmp/err' && grep -q 'bad2.tsv:5: empty post id' '$tmp/err'"
rf --candidates "$tmp/bad2.tsv" --out "$tmp/b2.tsv" --max-bad-lines 1 >/dev/null 2>&1
check "--max-bad-lines 1 with 2 bad lines exits 2" test $? -eq 2
{ head -50 "$tmp/c.tsv"; head -1 "$tmp/c.tsv"; } > "$tmp/ungrouped.tsv"
{ head -50 "$tmp/c.tsv"; head -1 "$tmp/c.tsv"; } | LC_ALL=C sort -s -t"$(printf '\t')" -k1,1 > "$tmp/regrouped.tsv"
rf --candidates "$tmp/ungrouped.tsv" --out "$tmp/u.tsv" 2>"$tmp/err"
rf --candidates "$tmp/regrouped.tsv" --out "$tmp/u2.tsv" 2>/dev/null
check "a viewer coming back: the output of the file grouped by sort -s" \
  sh -c "test $? -eq 0 && cmp -s '$tmp/u.tsv' '$tmp/u2.tsv'"
printf 'u0\tp1\tu1\ti1\t1\n\0\n' > "$tmp/bin.tsv"
rf --candidates "$tmp/bin.tsv" --out "$tmp/bin.out" 2>"$tmp/err"
check "a NUL byte is bin.tsv:2" sh -c "test $? -eq 2 && grep -q 'bin.tsv:2: binary data' '$tmp/err'"

# empty input, unknown ids
: > "$tmp/empty.tsv"
rf --candidates "$tmp/empty.tsv" --out "$tmp/empty.out" 2>/dev/null
check "an empty file: exit 0 and an empty output" sh -c "test $? -eq 0 && test -f '$tmp/empty.out' && test ! -s '$tmp/empty.out'"
printf '\n\n' > "$tmp/blank.tsv"
rf --candidates "$tmp/blank.tsv" --out "$tmp/blank.out" 2>/dev/null
check "blank lines only: exit 0, empty output" test ! -s "$tmp/blank.out"
{ printf 'stranger\tq1\tu1\ti1\t100\nstranger\tq2\tu2\ti2\t200\n'; printf 'u3\tq3\tghost\ti1|nothing\t5\n';
  printf 'u3\tq4\tghost2\t\t6\n'; } > "$tmp/unk.tsv"
rf --candidates "$tmp/unk.tsv" --out "$tmp/unk.out" 2>"$tmp/err"
check "unknown viewer and authors: exit 0" test $? -eq 0
check "... every viewer still ranked" test "$(wc -l <"$tmp/unk.out")" -eq 4
check "... the unknown viewer by recency: newest first" test "$(head -1 "$tmp/unk.out" | cut -f3)" = q2
check "... counted and named on stderr" sh -c "grep -q '1 unknown viewers (2 candidates.*stranger' '$tmp/err' &&
  grep -q '2 candidates by unknown authors.*ghost' '$tmp/err' && grep -q '1 content ids not in the store' '$tmp/err'"
check "... a post with neither content nor author has no content term" \
  awk -F'\t' '$3 == "q4" && ($6 != 0 || $7 != 0 || $8 != 0) { exit 1 }' "$tmp/unk.out"

# labelled evaluation: recency-only gnnrec equals the reverse-chronological baseline
awk -F'\t' 'NR % 7 == 0 { print $1 "\t" $2 }' "$tmp/c.tsv" > "$tmp/labels.tsv"
ev=$(rf --candidates "$tmp/c.tsv" --out "$tmp/ev.tsv" --labels "$tmp/labels.tsv" --json --weights.content 0 \
  --weights.author 0 --weights.tie 0 --weights.recency 1 2>/dev/null)
jget() { sed -n "s/.*\"$2\":{\"ndcg@10\":\([0-9.]*\),\"auc\":\([0-9.]*\)}.*/\1 \2/p" <<<"$1"; }
check "eval: $(wc -l <"$tmp/labels.tsv") labels, all found" grep -q "\"labels\":171,\"labels_matched\":171" <<<"$ev"
check "eval: recency-only gnnrec = reverse-chronological ($(jget "$ev" gnnrec))" \
  test "$(jget "$ev" gnnrec)" = "$(jget "$ev" reverse_chronological)"
check "eval: author popularity is reported" test -n "$(jget "$ev" author_popularity)"
ev=$(rf --candidates "$tmp/c.tsv" --out "$tmp/ev.tsv" --labels "$tmp/labels.tsv" 2>/dev/null)
check "eval: the text table lists three methods" test "$(grep -cE '^(gnnrec|reverse_chronological|author_popularity) ' <<<"$ev")" -eq 3

# atomic output: a job killed mid-way leaves no file (and keeps an old one)
mkfifo "$tmp/fifo"
killed_job() {   # killed_job OUT: a job fed 600 lines and then nothing, SIGKILLed after 1 s
  ( head -600 "$tmp/c.tsv"; sleep 30 ) > "$tmp/fifo" &
  local feeder=$!
  $g rank-feed --store "$s" --candidates "$tmp/fifo" --out "$1" 2>/dev/null &
  local job=$!
  sleep 1
  kill -9 $job 2>/dev/null; wait $job 2>/dev/null
  kill $feeder 2>/dev/null; wait $feeder 2>/dev/null
}
killed_job "$tmp/killed.tsv"
check "a killed job leaves no output file" test ! -e "$tmp/killed.tsv"
check "... (it was running: its temporary file is there)" test -n "$(ls "$tmp" | grep 'killed.tsv.tmp')"
echo "old" > "$tmp/killed2.tsv"
killed_job "$tmp/killed2.tsv"
check "... and keeps the previous one whole" test "$(cat "$tmp/killed2.tsv")" = old

# issue 20 #5: a config may not name an output outside its directory
mkdir -p "$tmp/cfgdir" "$tmp/victim"
echo "precious" > "$tmp/victim/file.tsv"
for bad in "$tmp/victim/file.tsv" "../victim/file.tsv"; do
  printf 'store: %s\nmodel: m\ncandidates: %s\nout: %s\n' "$s" "$tmp/c.tsv" "$bad" > "$tmp/cfgdir/evil.yaml"
  $g rank-feed --config "$tmp/cfgdir/evil.yaml" >/dev/null 2>"$tmp/err"
  check "#5: config out: $bad is refused (exit 2)" sh -c "test $? -eq 2 && grep -q 'out' '$tmp/err'"
  check "#5: ... and the file outside is untouched" test "$(cat "$tmp/victim/file.tsv")" = precious
done
printf 'store: %s\nmodel: m\ncandidates: %s\nout: sub.tsv\ntop: 1\n' "$s" "$tmp/c.tsv" > "$tmp/cfgdir/ok.yaml"
gabs=$(cd "$(dirname "$g")" && pwd)/$(basename "$g")
( cd "$tmp" && "$gabs" rank-feed --config cfgdir/ok.yaml 2>/dev/null )
check "#5: a relative out: lands beside the config, not in the working directory" \
  sh -c "test \$(wc -l <'$tmp/cfgdir/sub.tsv') -eq 30 && test ! -e '$tmp/sub.tsv'"
$g rank-feed --config "$tmp/cfgdir/evil.yaml" --out "$tmp/cmdline.tsv" --top 1 2>/dev/null
check "#5: --out on the command line may go anywhere" test "$(wc -l <"$tmp/cmdline.tsv")" -eq 30

# issue 20 #11: SIGINT/SIGTERM remove the temporary output; a SIGKILLed
# job's leftover is named on the next run of the same output
for sig in TERM INT; do
  rm -f "$tmp"/sig.tsv*
  ( head -600 "$tmp/c.tsv"; sleep 30 ) > "$tmp/fifo" &
  feeder=$!
  env --default-signal=INT $g rank-feed --store "$s" --candidates "$tmp/fifo" --out "$tmp/sig.tsv" 2>/dev/null &
  job=$!
  for i in 1 2 3 4 5 6 7 8 9 10; do ls "$tmp" | grep -q 'sig.tsv.tmp' && break; sleep 0.2; done
  had=$(ls "$tmp" | grep -c 'sig.tsv.tmp')
  kill -$sig $job 2>/dev/null; wait $job; st=$?
  kill $feeder 2>/dev/null; wait $feeder 2>/dev/null
  check "#11: SIG$sig while running ($had temporary file): no temporary file left" \
    sh -c "test $had -eq 1 && test -z \"\$(ls '$tmp' | grep 'sig.tsv')\""
  check "#11: ... and the job died of the signal (status $st)" test $st -eq $((128 + $(kill -l $sig)))
done
touch "$tmp/left.tsv.tmp.2147483646"
rf --candidates "$tmp/c.tsv" --out "$tmp/left.tsv" --top 1 2>"$tmp/err"
check "#11: a dead job's left.tsv.tmp.PID is named on stderr" grep -q 'left.tsv.tmp.2147483646 is left over.*removed' "$tmp/err"
check "#11: ... and removed" test ! -e "$tmp/left.tsv.tmp.2147483646"
sleep 30 & live=$!
touch "$tmp/left.tsv.tmp.$live"
rf --candidates "$tmp/c.tsv" --out "$tmp/left.tsv" --top 1 2>"$tmp/err"
check "#11: a running process's left.tsv.tmp.PID is kept" test -e "$tmp/left.tsv.tmp.$live"
kill $live; wait $live 2>/dev/null; rm -f "$tmp/left.tsv.tmp.$live"

# usage errors
$g rank-feed --help >/dev/null; check "--help exits 0" test $? -eq 0
rf --out "$tmp/x" >/dev/null 2>&1; check "missing --candidates exits 2" test $? -eq 2
rf --candidates "$tmp/none.tsv" --out "$tmp/x" >/dev/null 2>&1; check "missing candidates file exits 2" test $? -eq 2
rf --candidates "$tmp/c.tsv" --out "$tmp/no/dir/x" >/dev/null 2>&1; check "--out in a missing directory exits 2" test $? -eq 2
rf --candidates "$tmp/c.tsv" --out "$tmp/x" --top 0 >/dev/null 2>&1; check "--top 0 exits 2" test $? -eq 2
rf --candidates "$tmp/c.tsv" --out "$tmp/x" --now soon >/dev/null 2>&1; check "--now soon exits 2" test $? -eq 2
rf --candidates "$tmp/c.tsv" --out "$tmp/x" --columns viewer,post >/dev/null 2>&1; check "--columns without author exits 2" test $? -eq 2
$g rank-feed --store "$tmp/nostore" --candidates "$tmp/c.tsv" --out "$tmp/x" >/dev/null 2>&1
check "a missing store exits 2" test $? -eq 2
rf --candidates "$tmp/c.tsv" --out "$tmp/x" --model nope >/dev/null 2>&1; check "a missing model exits 2" test $? -eq 2

report
