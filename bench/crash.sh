#!/usr/bin/env bash
# crash.sh - the crash-consistency run of issue 20, in the style of ALICE /
# SQLite's crash tests: SIGKILL at seeded points across the commands that
# write, and a full disk at seeded fill levels, each followed by the checks
# a user would make.
#
#   bench/crash.sh GNNREC [--points N] [--fills N] [--seed S]     (200, 20, 2020)
#
# Commands (point i runs command i mod 4):
#   append  build-graph --append of new users, items, train/test and social edges
#   train   train --model m over the served model m (mf, 6 epochs, evaluation
#           every 2, a checkpoint every epoch: the staging m~run)
#   feed    rank-feed of 1,000 viewers' candidates (100 each) to --out FILE
#   rm      models rm m: the served model with all its blobs, one transaction
# Each kill point: a copy of a small base store, the command in the
# background, kill -9 after a seeded delay in [0, 1.2 x its uninterrupted
# time] ms (every other point of a command in [0.6, 1.2] x: around the
# write and the commit), then:
#   - `gnnrec check` passes (exit 0), which also means the store opens;
#   - the stats --json counts are the counts before or after the command;
#   - train: the served model m evaluates exactly as the old m or as the
#     finished new one (eval --json, "seconds" dropped);
#   - feed: the output is absent or the whole uninterrupted output;
#   - rm: m listed and evaluating exactly as before, or gone (models count
#     one less, eval of m refused);
#   - leftovers: no DIR.partial-* / DIR/.partial-*; a killed rank-feed's
#     OUT.tmp.PID cannot be removed by the process that was killed: it is
#     counted, and the next rank-feed must remove it and say so ("left over
#     by a job that is no longer running (killed?): removed"); a killed
#     train's staging m~run is what
#     --resume continues from, not a leftover (counted);
#   - every 5th point that left the state before: the command run again
#     gives exactly the after state.
# Disk-full points (command j mod 4): the base store copied into a tmpfs of
# a seeded size between the base store and twice its growth by the command (as
# root, when `mount -t tmpfs` works), else under `ulimit -f` (a file size
# limit, SIGXFSZ ignored, so writes fail with EFBIG); the command runs to
# its end; then the same checks, plus: exit 0 only with the whole result,
# and a failure says "no space left on device" (tmpfs) / "File too large".
# Prints one line per failed check and the totals; exits 1 on any failure.
# The delays come from bash's RANDOM seeded with --seed: the same seed gives
# the same points (the machine's speed moves where they land).
set -u
g=${1:?usage: crash.sh GNNREC [--points N] [--fills N] [--seed S]}
shift
points=200 fills=20 seed=2020
while [ $# -gt 0 ]; do
  case $1 in
    --points) points=$2; shift 2 ;;
    --fills) fills=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "crash.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
RANDOM=$seed
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gnnrec-crashrun-XXXXXX") || exit 1
mnt=$tmp/mnt
cleanup() { mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"; rm -rf "$tmp"; }
trap cleanup EXIT
T0=$(date +%s)
now_ms() { date +%s%3N; }
nfail=0
fail() { nfail=$((nfail + 1)); echo "FAIL $*"; }
counts() {
  "$g" stats --store "$1" --json 2>/dev/null |
    grep -o '"\(users\|items\|train_interactions\|test_interactions\|social_edges\|models\)":[0-9]*' | tr '\n' ' '
}
evalj() { "$g" eval --store "$1" --model m --k 20 --json --threads 1 2>&1 | sed 's/,"seconds":[0-9.e+-]*//'; }
rnd() { echo $(( (RANDOM * 32768 + RANDOM) % ($1 + 1) )); }   # 0..N

# ---- data and the base store
"$g" generate --out "$tmp/data" --users 4000 --items 2000 --communities 5 --seed 11 >/dev/null 2>&1
awk -F'\t' 'NR % 2 == 1' "$tmp/data/interactions.tsv" > "$tmp/a.tsv"
awk -F'\t' -v OFS='\t' 'NR % 2 == 0 { u = substr($1, 2); i = substr($2, 2);
  if (u % 7 == 0) $1 = "new" $1; if (i % 9 == 0) $2 = "new" $2; print }' "$tmp/data/interactions.tsv" > "$tmp/b.tsv"
awk -F'\t' -v OFS='\t' '{ print "new" $1, $2 }' "$tmp/data/social.tsv" > "$tmp/b-social.tsv"
awk 'BEGIN { srand(5); p = 0
  for (v = 0; v < 1000; v++) for (k = 0; k < 100; k++)
    printf "u%d\tp%d\tu%d\ti%d\t%d\n", v, p++, int(rand() * 4000), int(rand() * 2000), 1600000000 + int(rand() * 604800) }' \
  > "$tmp/c.tsv"
base=$tmp/base
"$g" build-graph --store "$base" --interactions "$tmp/a.tsv" --columns user,item,rating,time \
  --split temporal:0.2 --social "$tmp/data/social.tsv" >/dev/null 2>&1 &&
  "$g" train --store "$base" --model m --arch mf --dim 16 --epochs 2 --eval-every 0 --threads 1 --seed 5 \
    >/dev/null 2>&1 || { echo "crash.sh: cannot build the base store" >&2; exit 1; }
c_before=$(counts "$base")
m_before=$(evalj "$base")

cmd_args() {   # cmd_args CMD STORE OUT: the command line
  case $1 in
    append) echo build-graph --store "$2" --append --interactions "$tmp/b.tsv" --columns user,item,rating,time \
              --split temporal:0.2 --social "$tmp/b-social.tsv" ;;
    train) echo train --store "$2" --model m --arch mf --dim 16 --epochs 6 --eval-every 2 --checkpoint-every 1 \
             --batch-size 512 --threads 1 --seed 7 ;;
    feed) echo rank-feed --store "$2" --model m --candidates "$tmp/c.tsv" --out "$3" --top 10 --threads 1 ;;
    rm) echo models rm --store "$2" m ;;
  esac
}
cmds=(append train feed rm)
nc=${#cmds[@]}
declare -A t_ms c_after m_after out_ref kb_growth
for c in "${cmds[@]}"; do
  best=
  for r in 1 2; do
    rm -rf "$tmp/ref" "$tmp/ref.out"; cp -a "$base" "$tmp/ref"
    t=$(now_ms)
    "$g" $(cmd_args $c "$tmp/ref" "$tmp/ref.out") >/dev/null 2>&1 || { echo "crash.sh: $c fails uninterrupted" >&2; exit 1; }
    t=$(( $(now_ms) - t ))
    [ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
  done
  t_ms[$c]=$best
  c_after[$c]=$(counts "$tmp/ref")
  [ $c = train ] && m_after[$c]=$(evalj "$tmp/ref")
  [ $c = feed ] && out_ref[$c]=$(sha256sum <"$tmp/ref.out")
  kb_growth[$c]=$(( $(du -sk "$tmp/ref" | cut -f1) + $( [ -f "$tmp/ref.out" ] && du -k "$tmp/ref.out" | cut -f1 || echo 0) \
                    - $(du -sk "$base" | cut -f1) ))
  echo "$c: ${best} ms uninterrupted, +${kb_growth[$c]} KiB; after: ${c_after[$c]}"
done
[ "${m_after[train]}" != "$m_before" ] || { echo "crash.sh: the retrain does not change the model" >&2; exit 1; }
echo "base: $c_before ($(du -sk "$base" | cut -f1) KiB); seed $seed, $points kill points, $fills fill levels"

# ---- the checks after one point; sets state=before|after|bad
verify() {   # verify WHAT CMD STORE OUT RC(-1: killed)
  local what=$1 c=$2 s=$3 out=$4 rc=$5
  state=bad
  if ! "$g" check --store "$s" >"$tmp/check.out" 2>&1; then
    fail "$what: gnnrec check fails: $(grep -v '^note' "$tmp/check.out" | head -3 | tr '\n' ' ')"; return
  fi
  n_check=$((n_check + 1))
  local cn; cn=$(counts "$s")
  if [ "$cn" = "$c_before" ] && { [ $c = train ] || [ $c = feed ] || [ "$cn" != "${c_after[$c]}" ]; }; then state=before
  elif [ "$cn" = "${c_after[$c]}" ]; then state=after
  else fail "$what: counts neither before nor after: $cn"; return; fi
  case $c in
    append) [ $state = after ] || [ "$rc" -ne 0 ] || { fail "$what: exit 0 but the store is as before"; state=bad; } ;;
    train)
      local m; m=$(evalj "$s")
      if [ "$m" = "$m_before" ]; then state=before
      elif [ "$m" = "${m_after[train]}" ]; then state=after
      else fail "$what: the served model is neither the old nor the new one: ${m:0:120}"; state=bad; return; fi
      [ "$rc" -ne 0 ] || [ $state = after ] || { fail "$what: exit 0 but the model is the old one"; state=bad; }
      "$g" stats --store "$s" --json >/dev/null 2>&1   # (the staging m~run is not listed)
      mdb_dump -s models "$s" 2>/dev/null | grep -q '^ 6d7e72756e00' && n_staging=$((n_staging + 1)) ;;
    feed)
      if [ -e "$out" ]; then
        [ "$(sha256sum <"$out")" = "${out_ref[feed]}" ] && state=after ||
          { fail "$what: the output is not the whole uninterrupted output ($(wc -l <"$out") lines)"; state=bad; }
      else state=before; fi
      [ "$rc" -ne 0 ] || [ $state = after ] || { fail "$what: exit 0 without the output"; state=bad; } ;;
    rm)   # before: m whole (its eval as before); after: m gone with every blob (check counted them)
      if [ $state = before ]; then
        [ "$(evalj "$s")" = "$m_before" ] || { fail "$what: m is listed but does not evaluate as before"; state=bad; }
      elif "$g" eval --store "$s" --model m --json >/dev/null 2>&1; then fail "$what: m removed from the count but evaluates"; state=bad
      fi
      [ "$rc" -ne 0 ] || [ $state = after ] || { fail "$what: exit 0 but m is still there"; state=bad; } ;;
  esac
  local left; left=$(ls -d "$s".partial-* "$s"/.partial-* 2>/dev/null | wc -l)
  [ "$left" -eq 0 ] || { fail "$what: $left partial store directories left"; state=bad; }
  local tmpf; tmpf=$(ls "$out".tmp.* 2>/dev/null | wc -l)
  if [ "$tmpf" -gt 0 ]; then
    if [ "$rc" -ge 0 ]; then fail "$what: a failed rank-feed left $(ls "$out".tmp.* | head -1)"; state=bad; return; fi
    n_tmp=$((n_tmp + 1))
    # the next run of the job removes it and says so
    local left1; left1=$(ls "$out".tmp.* | head -1)
    "$g" $(cmd_args feed "$s" "$out") >/dev/null 2>"$tmp/again.err"
    grep -q 'is left over by a job that is no longer running.*removed' "$tmp/again.err" && [ ! -e "$left1" ] &&
      n_tmp_named=$((n_tmp_named + 1)) || fail "$what: the next rank-feed does not remove the killed job's $left1"
  fi
}

# ---- SIGKILL points
n_check=0 n_staging=0 n_tmp=0 n_tmp_named=0 hits=0 n_redo=0
declare -A n_state
for ((i = 0; i < points; i++)); do
  c=${cmds[$((i % nc))]}
  w=$tmp/w; rm -rf "$w"; mkdir -p "$w"; cp -a "$base" "$w/s"
  # every other point late, in [0.6, 1.2] x: around the write and the commit
  lo=0; [ $((i / nc % 2)) -eq 1 ] && lo=$(( t_ms[$c] * 6 / 10 ))
  d=$(( lo + $(rnd $(( t_ms[$c] * 12 / 10 - lo ))) ))
  "$g" $(cmd_args $c "$w/s" "$w/out.tsv") >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((d / 1000)) $((d % 1000)))"
  # a process that has exited but is not reaped yet (Z) accepts the signal too
  st=$(awk '{ print $3 }' /proc/$pid/stat 2>/dev/null)
  hit=0
  kill -9 $pid 2>/dev/null && [ -n "$st" ] && [ "$st" != Z ] && hit=1 && hits=$((hits + 1))
  wait $pid 2>/dev/null
  verify "kill point $i ($c at $d ms)" $c "$w/s" "$w/out.tsv" -1
  n_state[$c,$state]=$(( ${n_state[$c,$state]:-0} + 1 ))
  [ $hit = 1 ] && n_state[$c,hit$state]=$(( ${n_state[$c,hit$state]:-0} + 1 ))
  if [ $state = before ] && [ $((i % 5)) -eq 0 ]; then
    n_redo=$((n_redo + 1))
    rm -f "$w"/out.tsv.tmp.*
    "$g" $(cmd_args $c "$w/s" "$w/out.tsv") >/dev/null 2>&1
    verify "kill point $i ($c at $d ms), run again" $c "$w/s" "$w/out.tsv" 0
    [ $state = after ] || fail "kill point $i: running $c again does not give the after state"
  fi
done

# ---- disk full
if [ "$(id -u)" = 0 ] && mkdir -p "$mnt" && mount -t tmpfs -o size=1m tmpfs "$mnt" 2>/dev/null; then
  umount "$mnt"; how=tmpfs
else how=ulimit; fi
base_kb=$(du -sk "$base" | cut -f1)
base_file_kb=$(( $(stat -c %s "$base/data.mdb") / 1024 ))
n_fill_ok=0 n_fill_fail=0 n_fill_msg=0
for ((j = 0; j < fills; j++)); do
  c=${cmds[$((j % nc))]}
  gr=${kb_growth[$c]}; [ "$gr" -gt 64 ] || gr=64
  extra=$(rnd $(( gr * 2 )))
  if [ $how = tmpfs ]; then
    size=$(( base_kb + 16 + extra ))
    mount -t tmpfs -o size=${size}k tmpfs "$mnt" || { fail "fill $j: mount failed"; continue; }
    w=$mnt
    cp -a "$base" "$w/s" 2>/dev/null || { fail "fill $j: the base store does not fit in ${size} KiB"; umount "$mnt"; continue; }
    "$g" $(cmd_args $c "$w/s" "$w/out.tsv") >/dev/null 2>"$tmp/fill.err"; rc=$?
    level="tmpfs of ${size} KiB"
  else
    w=$tmp/w; rm -rf "$w"; mkdir -p "$w"; cp -a "$base" "$w/s"
    size=$(( base_file_kb + extra ))
    ( ulimit -f $size; trap '' XFSZ; exec "$g" $(cmd_args $c "$w/s" "$w/out.tsv") ) >/dev/null 2>"$tmp/fill.err"; rc=$?
    level="ulimit -f ${size} KiB"
  fi
  if [ $rc -eq 0 ]; then n_fill_ok=$((n_fill_ok + 1))
  else
    n_fill_fail=$((n_fill_fail + 1))
    grep -qi 'no space left on device\|file too large' "$tmp/fill.err" && n_fill_msg=$((n_fill_msg + 1)) ||
      echo "note: fill $j ($c, $level): exit $rc: $(head -c 200 "$tmp/fill.err")"
  fi
  verify "fill $j ($c, $level, exit $rc)" $c "$w/s" "$w/out.tsv" $rc
  n_state[fill$c,$state]=$(( ${n_state[fill$c,$state]:-0} + 1 ))
  [ $how = tmpfs ] && umount "$mnt"
done

# ---- totals
echo
echo "kill points: $points ($hits kills hit a running process); gnnrec check passed $n_check times (kills, reruns, fills)"
for c in "${cmds[@]}"; do
  echo "  $c: ${n_state[$c,before]:-0} before, ${n_state[$c,after]:-0} after, ${n_state[$c,bad]:-0} bad" \
       "(of the kills that hit a running process: ${n_state[$c,hitbefore]:-0} before, ${n_state[$c,hitafter]:-0} after)"
done
echo "  reruns after a 'before' point: $n_redo; stagings left for --resume: $n_staging; rank-feed OUT.tmp.PID after a kill: $n_tmp (removed by the next run: $n_tmp_named)"
echo "disk full ($how): $fills levels, $n_fill_ok ran to the end, $n_fill_fail failed ($n_fill_msg saying no space / file too large)"
for c in "${cmds[@]}"; do
  echo "  $c: ${n_state[fill$c,before]:-0} before, ${n_state[fill$c,after]:-0} after, ${n_state[fill$c,bad]:-0} bad"
done
echo "failed checks: $nfail; $(( $(date +%s) - T0 )) s"
[ $nfail -eq 0 ]
