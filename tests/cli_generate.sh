#!/usr/bin/env bash
# cli_generate.sh - `gnnrec generate`: the small SBM mode is unchanged; the
# large-graph mode (--interactions / --mean-degree) writes exactly N
# interactions with ids in range and no pair twice, is deterministic per
# seed, has heavy-tailed item degrees and a community structure that mf
# learns better than popularity, splits train/test, refuses bad flags
# (exit 2), fails cleanly on a full disk or a file-size limit (exit 1, no
# half file), and says "out of memory" (exit 1) instead of aborting.
# usage: cli_generate.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"
quiet() { "$@" >/dev/null 2>&1; }
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
code() { "$@" >/dev/null 2>"$tmp/err"; echo $?; }

# --- the small mode: the bytes of the demo's dataset, as written before the
# large mode existed (commit 8f13371; depends on libigraph's RNG, 0.10.2)
$g generate --out "$tmp/small" 2>/dev/null
check "small mode: default dataset unchanged (interactions)" \
  test "$(md5sum <"$tmp/small/interactions.tsv" | cut -c1-32)" = 38cfa0a4a8a5f0d7b024fa159c12162a
check "small mode: default dataset unchanged (social)" \
  test "$(md5sum <"$tmp/small/social.tsv" | cut -c1-32)" = 69483962aa5a18d6a67014dc6088f365

# --- counts. Tolerance: none. Degrees are solved so that they sum to N (to
# within 0.01) and the rounding carries from user to user, so the files hold
# exactly N interactions, train and test together.
d="$tmp/g1"
$g generate --out "$d" --interactions 50000 --users 3000 --items 2000 --communities 8 --test-fraction 0.2 \
  --seed 3 2>"$tmp/summary"
check "large mode exits 0" test $? -eq 0
check "summary on stderr names the counts" grep -q "3000 users, 2000 items" "$tmp/summary"
cat "$d/train.txt" "$d/test.txt" | awk '{ for (i = 2; i <= NF; i++) print $1, $i }' >"$tmp/pairs"
check "exactly N = 50000 interactions (train + test)" test "$(wc -l <"$tmp/pairs")" -eq 50000
check "user ids are 0..2999, item ids 0..1999" awk '$1 !~ /^[0-9]+$/ || $2 !~ /^[0-9]+$/ || $1 >= 3000 || $2 >= 2000 { exit 1 }' "$tmp/pairs"
check "every user has one train line, in order" awk '$1 != NR - 1 || NF < 2 { exit 1 } END { exit NR != 3000 }' "$d/train.txt"
check "no user-item pair twice (train and test together)" test -z "$(sort "$tmp/pairs" | uniq -d | head -1)"
nt=$(awk '{ n += NF - 1 } END { print n }' "$d/test.txt")
check "test fraction 0.2: $nt of 50000 held out (within 0.19..0.21)" awk -v n="$nt" 'BEGIN { exit !(n > 9500 && n < 10500) }'
check "no .partial file left" test -z "$(ls "$d" | grep partial)"

# --- determinism
$g generate --out "$tmp/g2" --interactions 50000 --users 3000 --items 2000 --communities 8 --test-fraction 0.2 \
  --seed 3 2>/dev/null
check "same seed: byte-identical train.txt" cmp -s "$d/train.txt" "$tmp/g2/train.txt"
check "same seed: byte-identical test.txt" cmp -s "$d/test.txt" "$tmp/g2/test.txt"
$g generate --out "$tmp/g3" --interactions 50000 --users 3000 --items 2000 --communities 8 --test-fraction 0.2 \
  --seed 4 2>/dev/null
check "another seed: different train.txt" quiet sh -c "! cmp -s '$d/train.txt' '$tmp/g3/train.txt'"
$g generate --out "$tmp/g4" --interactions 50000 --users 3000 --items 2000 --communities 8 --test-fraction 0.2 \
  --seed 3 --format edges 2>/dev/null
check "--format edges: user<TAB>item lines" awk -F'\t' 'NF != 2 { exit 1 }' "$tmp/g4/train.txt"
check "--format edges: the same pairs as adj" \
  test "$(cat "$tmp/g4/train.txt" "$tmp/g4/test.txt" | tr '\t' ' ' | sort | md5sum)" = "$(sort "$tmp/pairs" | md5sum)"
$g generate --out "$tmp/g5" --mean-degree 12.5 --users 4000 2>/dev/null
check "--mean-degree 12.5 x 4000 users = 50000 interactions" \
  test "$(awk '{ n += NF - 1 } END { print n }' "$tmp/g5/train.txt")" -eq 50000
check "no test fraction: no test.txt" test ! -e "$tmp/g5/test.txt"

# --- structure, on 200k interactions: heavy-tailed items, learnable communities
d="$tmp/big"
$g generate --out "$d" --interactions 200000 --users 10000 --items 5000 --communities 10 --test-fraction 0.2 \
  --seed 7 2>/dev/null
share=$(cat "$d/train.txt" "$d/test.txt" | awk '{ for (i = 2; i <= NF; i++) c[$i]++ } END { for (k in c) print c[k] }' |
  sort -rn | awk '{ a[NR] = $1; t += $1 } END { for (i = 1; i <= int(NR / 100); i++) s += a[i]; print s / t }')
check "top 1% of items hold > 10% of interactions ($share)" gt "$share" 0.10
umax=$(awk '{ if (NF - 1 > m) m = NF - 1 } END { print m }' "$d/train.txt")
check "user degrees heavy-tailed: max train degree $umax > 10 x mean 16" test "$umax" -gt 160
s="$tmp/store"
$g build-graph --store "$s" --format adj --interactions "$d/train.txt" --test "$d/test.txt" >"$tmp/bg" 2>&1
check "build-graph --format adj --test loads it" test $? -eq 0
check "build-graph dropped no duplicate" test "$(awk '/duplicate training|duplicate test|already in training/ { n += $NF } END { print n + 0 }' "$tmp/bg")" -eq 0
$g train --store "$s" --arch pop --model pop >/dev/null 2>&1
$g train --store "$s" --arch mf --model mf --epochs 5 --dim 32 --lr 0.01 --eval-every 0 >/dev/null 2>&1
ep=$($g eval --store "$s" --model pop --json)
em=$($g eval --store "$s" --model mf --json)
echo "pop: $ep"; echo "mf:  $em"
check "mf beats popularity on the communities (recall@20)" gt "$(jget "$em" 'recall@20')" "$(jget "$ep" 'recall@20')"
# the control: the same graph without communities (--affinity 0) has nothing
# for mf to learn beyond popularity, so there it must not win
$g generate --out "$tmp/flat" --interactions 200000 --users 10000 --items 5000 --communities 10 --test-fraction 0.2 \
  --seed 7 --affinity 0 2>/dev/null
$g build-graph --store "$tmp/flat.store" --format adj --interactions "$tmp/flat/train.txt" --test "$tmp/flat/test.txt" \
  >/dev/null 2>&1
$g train --store "$tmp/flat.store" --arch pop --model pop >/dev/null 2>&1
$g train --store "$tmp/flat.store" --arch mf --model mf --epochs 5 --dim 32 --lr 0.01 --eval-every 0 >/dev/null 2>&1
fp=$(jget "$($g eval --store "$tmp/flat.store" --model pop --json)" 'recall@20')
fm=$(jget "$($g eval --store "$tmp/flat.store" --model mf --json)" 'recall@20')
check "control, --affinity 0: mf ($fm) does not beat popularity ($fp)" quiet sh -c "! awk -v a=$fm -v b=$fp 'BEGIN { exit !(a > b) }'"

# --- bad flags: exit 2 with a message
for bad in "--interactions abc" "--interactions 0" "--interactions 100 --users 1000" \
  "--interactions 1000 --format json" "--interactions 1000 --affinity 2" "--interactions 1000 --min-items 3" \
  "--user-alpha 2" "--interactions 1000 --mean-degree 3" "--interactions 1000 --items 10 --communities 20" \
  "--interactions 1000 --test-fraction 1" "--interactions 100000 --users 10 --items 100" "--interactions 1000 --bogus 1"; do
  rc=$(code $g generate --out "$tmp/bad" $bad)
  check "bad: $bad -> exit 2 with a message" test "$rc" -eq 2 -a -s "$tmp/err"
done
check "no file written by a bad command" test ! -e "$tmp/bad/train.txt"
rc=$(code $g generate --interactions 1000)
check "missing --out -> exit 2" test "$rc" -eq 2

# --- write failures: exit 1, no half file under the final name
d="$tmp/full"; mkdir -p "$d"; echo keep >"$d/train.txt"
ln -s /dev/full "$d/train.txt.partial"
rc=$(code $g generate --out "$d" --interactions 200000)
check "disk full (/dev/full) -> exit 1, 'write error'" test "$rc" -eq 1 -a -n "$(grep 'write error' "$tmp/err")"
check "disk full: the old train.txt is untouched, the partial file removed" \
  sh -c "test \"\$(cat '$d/train.txt')\" = keep && test ! -e '$d/train.txt.partial'"
rc=$( (ulimit -f 64; trap '' XFSZ; $g generate --out "$tmp/lim" --interactions 200000 --test-fraction 0.2 >/dev/null 2>"$tmp/err"; echo $?) )
check "file-size limit -> exit 1" test "$rc" -eq 1
check "file-size limit: no train.txt, test.txt or partial file" test -z "$(ls "$tmp/lim")"
rc=$(code $g generate --out /proc/gnnrec-gen --interactions 1000)
check "an --out that cannot be created -> exit 2" test "$rc" -eq 2

# --- out of memory: exit 1 with "out of memory", never abort. A sanitizer
# build cannot start under ulimit -v (its shadow memory), so these are
# skipped there.
if ldd "$g" 2>/dev/null | grep -q 'libasan\|libtsan\|libubsan'; then
  echo "skip out-of-memory checks: a sanitizer build cannot run under ulimit -v"
else
  rc=$( (ulimit -v 1000000; $g generate --out "$tmp/oom" --interactions 100000000 --users 1000000 --items 100000000 \
    >/dev/null 2>"$tmp/err"; echo $?) )
  check "large mode, 10^8 items (4.5 GiB of tables) under ulimit -v 1 GB -> exit 1 'out of memory'" \
    test "$rc" -eq 1 -a -n "$(grep 'out of memory' "$tmp/err")"
  check "large mode out of memory: no file left" test -z "$(ls "$tmp/oom" 2>/dev/null)"
  rc=$( (ulimit -v 1000000; $g generate --out "$tmp/oom2" --users 2000000 >/dev/null 2>"$tmp/err"; echo $?) )
  check "small mode, --users 2000000 under ulimit -v 1 GB -> exit 1 'out of memory' (issue 20 #10)" \
    test "$rc" -eq 1 -a -n "$(grep 'out of memory' "$tmp/err")"
  check "small mode out of memory: no half dataset left" test -z "$(ls "$tmp/oom2" 2>/dev/null)"
fi

# --- progress on request
$g generate --out "$tmp/pr" --interactions 100000 --progress 2>"$tmp/err"
check "--progress: a line with the rate and the ETA" grep -q "generate: .*/s, ETA" "$tmp/err"
$g generate --out "$tmp/pr" --interactions 100000 2>"$tmp/err"
check "no progress line when stderr is a file" quiet sh -c "! grep -q ETA '$tmp/err'"
report
