#!/usr/bin/env bash
# cli_rating_resume.sh - --resume, checkpoints and early stopping of the
# runs gnn/rating.c trains (`--loss mse`, `--head mlp` with either loss):
# N epochs equal N/2 then --resume to N (the saved embeddings to the last
# bit, the head's predictions for every test pair), for biased MF, the head
# over MF with mse and with bpr, LightGCN with mse and a validation split,
# and SVD++; a run killed with SIGKILL resumes from its staged checkpoint and
# equals an uninterrupted one; --valid-fraction with --patience stops early,
# saves the epoch of the lowest validation RMSE (from the metrics log), and
# eval's test RMSE is that epoch's; --resume on another dim, arch, head or
# data is refused (exit 2).
# usage: cli_rating_resume.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"
quiet() { "$@" >/dev/null 2>&1; }

rated_stores   # $s (ratings) and $im (the same pairs, implicit); $tmp/train.tsv, test.tsv
cut -f1,2 "$tmp/test.tsv" | tr '\t' ' ' >"$tmp/pairs"
common="--dim 8 --batch-size 64 --lr 0.01 --reg 0.05 --threads 1"
# a model's state as far as it is served: the embeddings to the last bit, the predictions of the test pairs
state() {
  local x=$tmp/x_$2   # its own folder: cmp runs two of these at once
  rm -rf "$x"; $g export --store "$1" --model "$2" --out "$x" --format tsv >/dev/null 2>&1 || echo "export failed"
  cat "$x"/*.tsv
  $g infer --store "$1" --model "$2" --pairs "$tmp/pairs"
}

n_case=0
while IFS='|' read -r store what flags; do
  n_case=$((n_case + 1))
  st=$tmp/$store
  quiet $g train --store "$st" $common $flags --epochs 8 --model full$n_case
  quiet $g train --store "$st" $common $flags --epochs 4 --model half$n_case
  differ=1; cmp -s <(state "$st" full$n_case) <(state "$st" half$n_case) && differ=0
  check "$what: 4 epochs are not 8 (the check below can fail)" test $differ = 1
  $g train --store "$st" $common $flags --epochs 8 --model half$n_case --resume >/dev/null 2>"$tmp/err"
  check "$what: --resume continues at epoch 4" grep -q "resuming model 'half$n_case' at epoch 4" "$tmp/err"
  check "$what: 4 epochs + --resume to 8 = 8 epochs, bit for bit" cmp -s <(state "$st" full$n_case) <(state "$st" half$n_case)
done <<'CASES'
rated|biased MF (mse)|--arch mf --loss mse --eval-every 0
rated|the head over MF, mse|--arch mf --loss mse --head mlp --mlp-layers 16,8 --eval-every 2
implicit|the head over MF, bpr|--arch mf --head mlp --mlp-layers 16,8 --eval-every 0
rated|LightGCN mse with a validation split|--arch lightgcn --layers 2 --loss mse --valid-fraction 0.2 --eval-every 1
rated|SVD++ (mse)|--arch svdpp --loss mse --eval-every 0
CASES
check "the five cases ran" test "$n_case" -eq 5

# killed with SIGKILL mid-run: the staged checkpoint (NAME~run) is resumed
$g train --store "$s" $common --arch mf --loss mse --head mlp --mlp-layers 16,8 --eval-every 0 --checkpoint-every 1 \
  --epochs 100000 --model k >/dev/null 2>"$tmp/run.err" &
pid=$! t0=$SECONDS
while ! grep -q "^epoch *5/" "$tmp/run.err" && [ $((SECONDS - t0)) -lt 120 ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
$g train --store "$s" $common --arch mf --loss mse --head mlp --mlp-layers 16,8 --eval-every 0 --checkpoint-every 1 \
  --epochs 1 --model k --resume >/dev/null 2>"$tmp/err"
k=$(sed -n "s/^resuming model 'k' at epoch \([0-9]*\).*/\1/p" "$tmp/err")
check "a killed head run resumes from its checkpoint (epoch '${k:-none}' >= 4)" test "${k:-0}" -ge 4
quiet $g train --store "$s" $common --arch mf --loss mse --head mlp --mlp-layers 16,8 --eval-every 0 --checkpoint-every 1 \
  --epochs $((${k:-4} + 2)) --model k --resume
quiet $g train --store "$s" $common --arch mf --loss mse --head mlp --mlp-layers 16,8 --eval-every 0 \
  --epochs $((${k:-4} + 2)) --model straight
check "... and equals an uninterrupted run of $((${k:-4} + 2)) epochs" cmp -s <(state "$s" k) <(state "$s" straight)
check "... leaving no staged checkpoint" bash -c "! $g models --store $s | grep -q '~run'"

# early stopping on the validation RMSE: a learning rate that overfits
out=$($g train --store "$s" --dim 16 --batch-size 32 --lr 0.05 --reg 0 --threads 1 --arch mf --loss mse \
  --valid-fraction 0.2 --patience 2 --eval-every 1 --epochs 300 --model es --metrics-log "$tmp/es.jsonl" 2>&1)
last=$(wc -l <"$tmp/es.jsonl")
check "--patience 2 stops before epoch 300 (at $last)" test "$last" -lt 300
best=$(awk '{ v = $0; sub(/.*"valid_rmse":/, "", v); sub(/,.*/, "", v); if (NR == 1 || v + 0 < b) { b = v + 0; e = NR } }
  END { print e }' "$tmp/es.jsonl")
check "the log has a validation rmse per epoch" test "$(grep -c valid_rmse "$tmp/es.jsonl")" -eq "$last"
check "the stopped epoch is 2 evaluations after the lowest validation rmse (epoch $best)" test "$last" -eq $((best + 2))
check "the saved model is that epoch's" grep -q "model es (mf, epoch $best of $last" <<<"$out"
want=$(awk -v e="$best" 'NR == e { v = $0; sub(/.*"test_rmse":/, "", v); sub(/,.*/, "", v); print v }' "$tmp/es.jsonl")
got=$(jget "$($g eval --store "$s" --model es --json)" rmse)
check "eval's test rmse is the best epoch's ($got vs $want)" \
  awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'

# refusals
$g train --store "$s" --dim 4 --threads 1 --arch mf --loss mse --epochs 9 --model half1 --resume >/dev/null 2>"$tmp/err"
check "--resume with another dim: exit 2" test $? -eq 2
check "... naming both dims (the BPR trainer's check)" grep -q "model 'half1' is mf dim 8 layers 0 .* this run asks mf dim 4" "$tmp/err"
$g train --store "$s" $common --arch svdpp --loss mse --epochs 9 --model half1 --resume >/dev/null 2>"$tmp/err"
check "--resume of mf as svdpp: exit 2" test $? -eq 2
$g train --store "$s" $common --arch mf --loss mse --head mlp --mlp-layers 8 --epochs 9 --model half2 --resume >/dev/null 2>"$tmp/err"
check "--resume with another head: exit 2" test $? -eq 2
check "... saying what differs" grep -q "resume: model 'half2'" "$tmp/err"
$g train --store "$s" $common --arch mf --loss mse --epochs 9 --valid-fraction 0.1 --model half1 --resume >/dev/null 2>"$tmp/err"
check "--resume with another validation split: exit 2" test $? -eq 2
report
