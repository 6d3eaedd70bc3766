#!/usr/bin/env bash
# cli_train_runs.sh - runs of `gnnrec train` that do not end normally
# (issue 20, docs/reliability.md cases #0-#2):
#   #0 a run over an existing model, stopped by SIGTERM after a few
#      checkpoints, leaves the served model as it was; --resume continues the
#      stopped run's checkpoint and equals an uninterrupted run
#   #2 checkpoints follow --checkpoint-every exactly, also before the first
#      evaluation (--eval-every 0): a killed run can be resumed
#   #1 a metrics log that cannot be written (/dev/full) fails the run (exit 1)
# usage: cli_train_runs.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"

$g generate --out "$tmp/data" --users 1500 --items 1000 --communities 4 --seed 3 >/dev/null 2>&1
s="$tmp/store"
$g build-graph --store "$s" --interactions "$tmp/data/interactions.tsv" --columns user,item,rating,time \
  --split temporal:0.2 >/dev/null 2>&1
check "build-graph of the generated data" test -f "$s/data.mdb"
common=(--store "$s" --dim 32 --layers 2 --lr 0.01 --batch-size 256 --threads 1)
evalj() { $g eval --store "$s" --model "$1" --json | sed 's/,"seconds":[0-9.e+-]*//'; }

# start a long run in the background, wait until epoch $1 has been reported
# (so the checkpoint of epoch $1 - 1 is written), then send signal $2
run_until() {
  local want=$1 sig=$2; shift 2
  "$g" train "$@" >/dev/null 2>"$tmp/run.err" &
  local pid=$! t0=$SECONDS
  # a generous bound: on a loaded machine an epoch of this graph can take seconds
  while ! grep -q "^epoch *$want/" "$tmp/run.err" && [ $((SECONDS - t0)) -lt 300 ] && kill -0 $pid 2>/dev/null; do
    sleep 0.01
  done
  grep -q "^epoch *$want/" "$tmp/run.err" || echo "note: epoch $want not reached in $((SECONDS - t0)) s"
  kill -"$sig" $pid 2>/dev/null
  wait $pid 2>/dev/null
}
resumed_at() { sed -n "s/^resuming model '[^']*' at epoch \([0-9]*\).*/\1/p" "$1"; }

# ---- #0: SIGTERM a run over an existing model
$g train "${common[@]}" --model m --epochs 3 --eval-every 1 --seed 1 >/dev/null 2>&1
before=$(evalj m)
check "#0: the first model of m evaluates (epoch 3)" grep -q '"epoch":3,' <<<"$before"
run_until 4 TERM "${common[@]}" --model m --epochs 100000 --eval-every 1 --checkpoint-every 1 --seed 2
check "#0: the run over m was stopped after its third epoch" grep -q "^epoch *3/" "$tmp/run.err"
check "#0: after SIGTERM, m is still the finished model users served" test "$(evalj m)" = "$before"
check "#0: ... and the store lists one model named m" \
  test "$($g stats --store "$s" --json | sed -n 's/.*"models":\([0-9]*\).*/\1/p')" = 1
$g train "${common[@]}" --model m --epochs 1 --eval-every 1 --checkpoint-every 1 --seed 2 --resume >/dev/null 2>"$tmp/res.err"
k=$(resumed_at "$tmp/res.err")
check "#0: --resume finds the stopped run's checkpoint (epoch '$k' >= 3)" test "${k:-0}" -ge 3
check "#0: ... and with --epochs below it has nothing to do" grep -q "nothing to do" "$tmp/res.err"
check "#0: ... leaving m as it was" test "$(evalj m)" = "$before"
$g train "${common[@]}" --model m --epochs $((k + 2)) --eval-every 1 --checkpoint-every 1 --seed 2 --resume \
  >/dev/null 2>"$tmp/res.err"
check "#0: the resumed run continues at epoch $k" test "$(resumed_at "$tmp/res.err")" = "$k"
$g train "${common[@]}" --model u --epochs $((k + 2)) --eval-every 1 --checkpoint-every 1 --seed 2 >/dev/null 2>&1
check "#0: the finished resumed run replaces m and equals an uninterrupted one" \
  test "$(evalj m | sed 's/"model":"m"//')" = "$(evalj u | sed 's/"model":"u"//')"
check "#0: ... at epoch $((k + 2))" grep -q "\"epoch\":$((k + 2))," <<<"$(evalj m)"

# ---- #2: --eval-every 0 --checkpoint-every 1, killed before any evaluation
run_until 4 KILL "${common[@]}" --model n --epochs 100000 --eval-every 0 --checkpoint-every 1 --seed 4
$g eval --store "$s" --model n --json >/dev/null 2>&1
check "#2: a run killed before its end serves no model n (eval fails)" test $? -ne 0
$g train "${common[@]}" --model n --epochs 1 --eval-every 0 --checkpoint-every 1 --seed 4 --resume \
  >/dev/null 2>"$tmp/res.err"
k=$(resumed_at "$tmp/res.err")
check "#2: --resume finds the checkpoint of epoch '$k' >= 3 (no evaluation ran)" test "${k:-0}" -ge 3
$g train "${common[@]}" --model n --epochs $((k + 2)) --eval-every 0 --checkpoint-every 1 --seed 4 --resume \
  >/dev/null 2>&1
$g train "${common[@]}" --model n2 --epochs $((k + 2)) --eval-every 0 --seed 4 >/dev/null 2>&1
check "#2: the resumed run equals an uninterrupted one" \
  test "$(evalj n | sed 's/"model":"n"//')" = "$(evalj n2 | sed 's/"model":"n2"//')"
# the cadence: a run stopped at epoch 5 of --checkpoint-every 2 resumes at 4
run_until 6 KILL "${common[@]}" --model c --epochs 100000 --eval-every 0 --checkpoint-every 2 --seed 4
$g train "${common[@]}" --model c --epochs 1 --eval-every 0 --seed 4 --resume >/dev/null 2>"$tmp/res.err"
k=$(resumed_at "$tmp/res.err")
check "#2: --checkpoint-every 2 checkpoints at even epochs only (resumed at '$k')" test $(( ${k:-1} % 2 )) -eq 0

# ---- a --resume racing a running train of the same name: it reads one
# checkpoint whole (one transaction), so it continues exactly from the epoch
# it names; a mix of two checkpoints (meta of one, parameters or Adam state
# of the next) would not equal the uninterrupted run
race=(--model r --eval-every 0 --checkpoint-every 1 --seed 6)
"$g" train "${common[@]}" "${race[@]}" --epochs 100000 >/dev/null 2>"$tmp/race.err" &
racer=$!
t0=$SECONDS
while ! grep -q "^epoch *3/" "$tmp/race.err" && [ $((SECONDS - t0)) -lt 300 ]; do sleep 0.01; done
bad=0 skipped=0
for trial in 1 2 3; do
  # run to a few epochs past the racer: whatever checkpoint is read, whole it
  # gives the uninterrupted run's model at that epoch
  cur=$(grep -c "^epoch" "$tmp/race.err")
  target=$((cur + 10))
  $g train "${common[@]}" "${race[@]}" --epochs $target --resume >/dev/null 2>"$tmp/res.err"
  [ -n "$(resumed_at "$tmp/res.err")" ] || { bad=$((bad + 1)); continue; }
  # the racer outran the target: nothing was trained, nothing to compare
  if grep -q "nothing to do" "$tmp/res.err"; then skipped=$((skipped + 1)); continue; fi
  $g train "${common[@]}" --model "ref$trial" --eval-every 0 --seed 6 --epochs $target >/dev/null 2>&1
  [ "$(evalj r | sed 's/"model":"r"//')" = "$(evalj "ref$trial" | sed "s/\"model\":\"ref$trial\"//")" ] || bad=$((bad + 1))
done
kill $racer 2>/dev/null; wait $racer 2>/dev/null
check "a --resume racing a running train of the same name continues one whole checkpoint (3 trials, $bad bad, $skipped skipped)" \
  test "$bad" -eq 0 -a "$skipped" -lt 3

# ---- #1: the metrics log on a full disk
$g train "${common[@]}" --model f --epochs 2 --eval-every 1 --metrics-log /dev/full >/dev/null 2>"$tmp/err"
check "#1: --metrics-log /dev/full exits 1" test $? -eq 1
check "#1: ... saying what failed ($(head -c 100 "$tmp/err"))" grep -q "metrics-log /dev/full" "$tmp/err"
$g eval --store "$s" --model f --json >/dev/null 2>&1
check "#1: ... and saves no model" test $? -ne 0
$g train "${common[@]}" --model f --epochs 2 --eval-every 1 --metrics-log "$tmp/ok.jsonl" >/dev/null 2>&1
check "#1: a writable log gets one line per epoch" test "$(wc -l <"$tmp/ok.jsonl")" -eq 2
report
