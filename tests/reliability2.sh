#!/usr/bin/env bash
# reliability2.sh - the second adversarial pass (issue 20), one block per
# case of the issue, each checking what a user would see:
#   1  stdout that cannot be written (> /dev/full) is an error (exit 1,
#      "writing standard output: No space left on device"), for every
#      command that prints;
#   3  two `build-graph --append` runs adding new ids at the same time both
#      succeed and the final counts are the sum;
#   5  a config's output path (train's metrics_log) that escapes the
#      config's directory through a symlink is refused;
#   6  build-graph into an existing empty directory keeps its mode and
#      setgid bit; a symlink to an empty directory is accepted; an empty
#      mount point can hold a store (root with tmpfs only);
#   7  a UTF-8 byte-order mark is not part of the first id; an id with a TAB
#      or another control byte is refused with FILE:LINE; control bytes in
#      error messages are escaped;
#   8  a lock.mdb that is a symlink is refused and its target unchanged; a
#      lock.mdb removed and recreated under an open writer makes that writer
#      refuse to commit;
#   9  a config of 200,000 keys gets its first-line error in under 5 CPU s;
#   10 docs/config.md's example config runs with `gnnrec train --config`;
#   11 stale DIR.partial-PID directories of killed first builds are removed;
#      more than 126 concurrent readers work; a full disk says "No space left
#      on device" (root with tmpfs only).
# Assumes the synthetic generator; the mount cases need root and tmpfs and
# are skipped (with a message) otherwise.
# usage: reliability2.sh PATH/TO/gnnrec [PATH/TO/docs/config.md]
set -u
g=${1:?usage: reliability2.sh GNNREC [CONFIG_MD]}
g=$(cd "$(dirname "$g")" && pwd)/$(basename "$g")
config_md=${2:-$(dirname "$0")/../docs/config.md}
config_md=$(cd "$(dirname "$config_md")" && pwd)/$(basename "$config_md")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-rel2-XXXXXX") || exit 1
mounts=()
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
n=0; failed=0
ok() { n=$((n + 1)); echo "ok   $*"; }
bad() { n=$((n + 1)); failed=$((failed + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# expect CODE PATTERN WHAT -- command...: exit CODE and stderr matching PATTERN
expect() {
  local code=$1 pat=$2 what=$3; shift 4
  "$@" >out 2>err; local rc=$?
  if [ $rc -eq "$code" ] && { [ -z "$pat" ] || grep -Eq -- "$pat" err; }; then ok "$what"
  else bad "$what: exit $rc (want $code), stderr: $(head -c 300 err)"; fi
}
jget() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" <<<"$1"; }
users_of() { jget "$("$g" stats --store "$1" --json 2>/dev/null)" users; }
can_mount=0
if [ "$(id -u)" = 0 ] && mkdir mtest && mount -t tmpfs -o size=1m tmpfs mtest 2>/dev/null; then
  umount mtest; can_mount=1
fi
rmdir mtest 2>/dev/null

"$g" generate --out data --users 100 --items 150 --communities 2 --seed 1 >/dev/null 2>&1
cols=(--columns user,item,rating,time)
"$g" build-graph --store s --interactions data/interactions.tsv "${cols[@]}" --split random:0.2 >/dev/null 2>&1
"$g" train --store s --arch mf --model m --epochs 1 --dim 4 --eval-every 0 --threads 1 >/dev/null 2>&1
[ -f s/data.mdb ] && ok "setup: a store with a model" || bad "setup failed"

# ---- 1: every write checked, stdout included
full_out() {   # full_out WHAT -- command...: > /dev/full must fail plainly
  local what=$1; shift 2
  "$@" >/dev/full 2>err; local rc=$?
  if [ $rc -eq 1 ] && grep -Eq "(writing standard output|cannot write output): No space left on device" err; then ok "$what > /dev/full"
  else bad "$what > /dev/full: exit $rc, stderr: $(head -c 300 err)"; fi
}
full_out "stats" -- "$g" stats --store s
full_out "stats --json" -- "$g" stats --store s --json
full_out "eval --json" -- "$g" eval --store s --json --threads 1
full_out "eval" -- "$g" eval --store s --threads 1
full_out "infer" -- "$g" infer --store s --users u1,u2 --k 5 --threads 1
full_out "build-graph (new store)" -- "$g" build-graph --store full1 --interactions data/interactions.tsv "${cols[@]}"
full_out "build-graph --help" -- "$g" build-graph --help
full_out "gnnrec --help" -- "$g" --help
full_out "gnnrec --version" -- "$g" --version
"$g" stats --store s >/dev/null 2>err
check "stats to a good stdout still exits 0" test $? -eq 0

# ---- 3: two concurrent appends adding new ids
for r in 1 2 3; do
  "$g" build-graph --store c$r --interactions data/interactions.tsv "${cols[@]}" >/dev/null 2>&1
  base=$(users_of c$r)
  # two files of 300 new users each (sharing no ids), started together
  for w in a b; do
    awk -v w=$w -v r=$r 'BEGIN { for (i = 0; i < 3000; i++) printf "new-%s%d-u%d\ti%d\t3\t%d\n", w, r, i % 300, i % 150, i }' > app-$w.tsv
  done
  "$g" build-graph --store c$r --append --interactions app-a.tsv "${cols[@]}" >/dev/null 2>erra &
  pa=$!
  "$g" build-graph --store c$r --append --interactions app-b.tsv "${cols[@]}" >/dev/null 2>errb &
  pb=$!
  wait $pa; ra=$?; wait $pb; rb=$?
  check "round $r: both concurrent appends exit 0 (exit $ra, $rb: $(head -c 200 erra; head -c 200 errb))" \
    test $ra -eq 0 -a $rb -eq 0
  got=$(users_of c$r)
  check "round $r: users = $base + 300 + 300 (got $got)" test "$got" = $((base + 600))
  # every new user id maps to exactly one dense id: a re-append of both files adds nothing
  "$g" build-graph --store c$r --append --interactions app-a.tsv "${cols[@]}" >/dev/null 2>&1
  "$g" build-graph --store c$r --append --interactions app-b.tsv "${cols[@]}" >/dev/null 2>&1
  check "round $r: appending the same files again adds no user" test "$(users_of c$r)" = $((base + 600))
done

# ---- 5: a config's output path through a symlink out of its directory
mkdir -p cfg outside
ln -s "$tmp/outside" cfg/link
printf 'metrics_log: link/metrics.tsv\nepochs: 1\ndim: 4\neval_every: 0\n' > cfg/escape.yaml
expect 2 "metrics_log.*(outside|below)" "metrics_log through a symlink out of the config's directory is refused" -- \
  "$g" train --store s --arch mf --model m5 --config cfg/escape.yaml --threads 1
check "... and nothing was written outside" test ! -e outside/metrics.tsv
echo secret > outside/victim
ln -s "$tmp/outside/victim" cfg/victim.tsv
printf 'metrics_log: victim.tsv\nepochs: 1\ndim: 4\neval_every: 0\n' > cfg/victim.yaml
expect 2 "metrics_log" "metrics_log naming a symlink to a file outside is refused" -- \
  "$g" train --store s --arch mf --model m5 --config cfg/victim.yaml --threads 1
check "... and the link's target is unchanged" test "$(cat outside/victim)" = secret
mkdir -p cfg/logs
printf 'metrics_log: logs/metrics.tsv\nepochs: 1\ndim: 4\neval_every: 0\n' > cfg/inside.yaml
expect 0 "" "metrics_log in a real subdirectory of the config's directory works" -- \
  "$g" train --store s --arch mf --model m5 --config cfg/inside.yaml --threads 1
check "... and the log is there" test -s cfg/logs/metrics.tsv

# ---- 6: store directories
mkdir shared
chmod 2750 shared
mode_before=$(stat -c %a shared)
expect 0 "" "build-graph into an existing empty directory (mode $mode_before)" -- \
  "$g" build-graph --store shared --interactions data/interactions.tsv "${cols[@]}"
check "... keeps its mode and setgid bit (now $(stat -c %a shared))" test "$(stat -c %a shared)" = "$mode_before"
check "... and is a store" test "$(users_of shared)" = 100
mkdir empty-target
ln -s empty-target linked
expect 0 "" "build-graph --store SYMLINK-TO-EMPTY-DIR" -- \
  "$g" build-graph --store linked --interactions data/interactions.tsv "${cols[@]}"
check "... the link is still a link to a store" test -L linked -a -f empty-target/data.mdb
check "... which opens through the link" test "$(users_of linked)" = 100
check "... and nothing is left beside it or inside" test -z "$(ls -d linked.partial-* empty-target.partial-* empty-target/.partial-* 2>/dev/null)"
mkdir notempty; echo x > notempty/keep
expect 2 "not a gnnrec store" "a directory with other files is still refused" -- \
  "$g" build-graph --store notempty --interactions data/interactions.tsv "${cols[@]}"
check "... and left as it was" test "$(ls -A notempty)" = keep
if [ $can_mount = 1 ]; then
  mkdir mnt && mount -t tmpfs -o size=64m tmpfs mnt && mounts+=("$tmp/mnt")
  expect 0 "" "build-graph --store EMPTY-MOUNT-POINT" -- \
    "$g" build-graph --store mnt --interactions data/interactions.tsv "${cols[@]}"
  check "... which is a store" test "$(users_of mnt)" = 100
else
  echo "skip mount point cases (need root and tmpfs)"
fi

# ---- 7: ids
printf '\xef\xbb\xbfu1\ti1\t3\t1\nu2\ti2\t4\t2\n' > bom.tsv
printf 'u1\ti3\t5\t3\n' > bom-more.tsv
"$g" build-graph --store bom --interactions bom.tsv "${cols[@]}" >/dev/null 2>&1
"$g" build-graph --store bom --append --interactions bom-more.tsv "${cols[@]}" >/dev/null 2>&1
check "a UTF-8 BOM is not part of the first id (users after appending u1: $(users_of bom))" test "$(users_of bom)" = 2
printf 'u1,i1\nu\t2,i2\n' > tab.csv
expect 2 "tab.csv:2: user id contains a control byte" "an id with a TAB (comma-delimited file) is refused with FILE:LINE" -- \
  "$g" build-graph --store tab --interactions tab.csv --delim comma
check "... and no store was made" test ! -e tab
printf 'u1\ti1\nu2\ti\x1b[31m2\n' > esc.tsv
expect 2 "esc.tsv:2: item id contains a control byte" "an id with an ESC byte is refused with FILE:LINE" -- \
  "$g" build-graph --store esc --interactions esc.tsv
printf 'u1 u2\nu2 u\x013\n' > ctl.social
expect 2 "ctl.social:2: user id contains a control byte" "a social id with a control byte is refused" -- \
  "$g" build-graph --store esc2 --interactions bom-more.tsv --social ctl.social
"$g" stats --store "$(printf 'no\x1b[2Jstore\nfake')" 2>err >/dev/null
check "control bytes in an error message are escaped ($(head -c 120 err | od -c | head -2 | tr -s ' ' | tr '\n' ' '))" \
  test "$(tr -d '\n' < err | tr -d '[:print:]' | wc -c)" = 0
check "... and shown as \\x1b" grep -q 'no\\x1b\[2Jstore' err

# ---- 8: the lock file
"$g" build-graph --store lk --interactions data/interactions.tsv "${cols[@]}" >/dev/null 2>&1
rm -f lk/lock.mdb
echo precious > precious.txt
ln -s "$tmp/precious.txt" lk/lock.mdb
expect 2 "lock.mdb" "a lock.mdb that is a symlink is refused (stats)" -- "$g" stats --store lk
check "... and its target is unchanged" test "$(cat precious.txt)" = precious
expect 2 "lock.mdb" "a lock.mdb that is a symlink is refused (--append)" -- \
  "$g" build-graph --store lk --append --interactions bom-more.tsv "${cols[@]}"
check "... and its target is still unchanged" test "$(cat precious.txt)" = precious
rm -f lk/lock.mdb
# a writer holds the store open (blocked reading a fifo); lock.mdb is removed
# and a second append makes a new one and commits; the first must then refuse
base=$(users_of lk)
mkfifo lkfifo
"$g" build-graph --store lk --append --interactions lkfifo "${cols[@]}" >/dev/null 2>lkerr &
pl=$!; pids+=($pl)
sleep 0.5
check "a writer holds the store open" kill -0 $pl
rm -f lk/lock.mdb
printf 'lock-b\ti1\t3\t1\n' > lock-b.tsv
"$g" build-graph --store lk --append --interactions lock-b.tsv "${cols[@]}" >/dev/null 2>&1
check "a second append after removing lock.mdb works" test "$(users_of lk)" = $((base + 1))
printf 'lock-a\ti1\t3\t1\n' > lkfifo
wait $pl; rl=$?
check "the first writer refuses to commit on a replaced lock.mdb (exit $rl: $(head -c 200 lkerr))" \
  test $rl -eq 1 && grep -q "lock.mdb" lkerr
check "... and the store holds one new user" test "$(users_of lk)" = $((base + 1))
"$g" build-graph --store lk --append --interactions lock-b.tsv "${cols[@]}" >/dev/null 2>&1
check "... the second append's (appending it again adds no user)" test "$(users_of lk)" = $((base + 1))

# ---- 9: a config of 200,000 keys
awk 'BEGIN { print "bogus_first: 1"; for (i = 0; i < 200000; i++) printf "key%d: %d\n", i, i }' > big.yaml
# CPU seconds (user + system), not wall time: the machine is shared
TIMEFORMAT='%U %S'
{ time expect 2 "big.yaml:1: unknown key bogus_first" "a 200,000-key config: the first line's error" -- \
    timeout 20 "$g" build-graph --config big.yaml --store big; } 2>cpu
secs=$(awk '{ printf "%.2f", $1 + $2 }' cpu)
check "... in under 5 CPU seconds (took $secs s)" awk -v s=$secs 'BEGIN { exit !(s < 5) }'
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "key%d: %d\n", i, i; print "key5: 1" }' > dup.yaml
expect 2 "dup.yaml:100001: duplicate key key5 \(first at line 6\)" "a duplicate key after 100,000 keys is found" -- \
  timeout 20 "$g" build-graph --config dup.yaml --store big

# ---- 10: docs/config.md's example config runs
if [ -f "$config_md" ]; then
  awk '/^```yaml/ { on = 1; next } /^```/ { if (on) exit } on' "$config_md" > example.yaml
  check "docs/config.md has an example config" test -s example.yaml
  # a store with social ties, as the example trains on them
  "$g" build-graph --store sx --interactions data/interactions.tsv "${cols[@]}" --split random:0.2 \
    --social data/social.tsv >/dev/null 2>&1
  expect 0 "" "docs/config.md's example config trains (epochs 1)" -- \
    "$g" train --store sx --config example.yaml --model ex --epochs 1 --dim 4 --threads 1
else
  bad "docs/config.md not found at $config_md"
fi

# ---- 11: smaller ones
# stale partial directories of killed first builds
sh -c 'exit 0' & dead=$!; wait $dead
mkdir -p "st.partial-$dead" && : > "st.partial-$dead/data.mdb" && : > "st.partial-$dead/lock.mdb"
mkdir -p st2/".partial-$dead" && : > st2/".partial-$dead/data.mdb"
sleep 100 & live=$!; pids+=($live)
mkdir -p "st.partial-$live"
expect 0 "" "build-graph next to a stale DIR.partial-PID" -- \
  "$g" build-graph --store st --interactions data/interactions.tsv "${cols[@]}"
check "... removes the stale partial (PID $dead not alive)" test ! -e "st.partial-$dead"
check "... keeps the one of a live process (PID $live)" test -d "st.partial-$live"
expect 0 "" "build-graph into a directory holding only a stale .partial-PID" -- \
  "$g" build-graph --store st2 --interactions data/interactions.tsv "${cols[@]}"
check "... removes it" test ! -e st2/".partial-$dead"
kill $live 2>/dev/null

# more concurrent readers than LMDB's default 126 slots: 140 infer jobs
# blocked inside their read transaction (writing to a pipe nobody reads)
"$g" build-graph --store rd --interactions data/interactions.tsv "${cols[@]}" --split random:0.2 >/dev/null 2>&1
"$g" train --store rd --arch mf --model m --epochs 1 --dim 4 --eval-every 0 --threads 1 >/dev/null 2>&1
mkfifo sink
exec 3<>sink
rpids=()
for ((i = 0; i < 140; i++)); do
  "$g" infer --store rd --model m --users all --k 100 --threads 1 >sink 2>/dev/null &
  rpids+=($!)
done
pids+=("${rpids[@]}")
sleep 3
alive=0; for p in "${rpids[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
expect 0 "" "an eval while $alive readers hold the store works" -- "$g" eval --store rd --model m --json --threads 1
exec 4>&2 2>/dev/null   # no "Killed" line per reader
for p in "${rpids[@]}"; do kill -9 "$p"; done
wait "${rpids[@]}"
exec 2>&4 4>&- 3>&-
check "... and $alive (> 126) readers were really holding it" test $alive -gt 126

# a full disk
if [ $can_mount = 1 ]; then
  mkdir small && mount -t tmpfs -o size=300k tmpfs small && mounts+=("$tmp/small")
  awk 'BEGIN { for (i = 0; i < 40000; i++) printf "user-%d\titem-%d\t3\t%d\n", i, i % 977, i }' > many.tsv
  expect 1 "[Nn]o space left on device" "a store on a full disk says no space left" -- \
    "$g" build-graph --store small/st --interactions many.tsv "${cols[@]}"
  check "... and leaves no store" test ! -e small/st -a -z "$(ls -A small)"
else
  echo "skip full disk case (needs root and tmpfs)"
fi

echo "$n checks, $failed failed"
[ "$failed" -eq 0 ]
