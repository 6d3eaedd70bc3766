#!/usr/bin/env bash
# cli_train.sh - end-to-end tests of `gnnrec train`, `eval` and `infer` on the
# built-in synthetic data: determinism from the seed, --resume equal to an
# uninterrupted run, early stopping on a validation split only, models far
# above popularity, infer's top-K agreeing with eval's metrics, output
# formats, exit codes.
# usage: cli_train.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"

# data: a small community graph, split by us into train/test files so the
# test pairs are known in external ids
$g generate --out "$tmp/data" --users 400 --items 300 --communities 4 --min-items 8 --max-items 30 2>/dev/null
awk -F'\t' '{ k[$1]++; line[$1, k[$1]] = $0 } END { for (u in k) for (i = 1; i <= k[u]; i++)
  print line[u, i] > ((i > k[u] * 0.8) ? "'"$tmp"'/test.tsv" : "'"$tmp"'/train.tsv") }' "$tmp/data/interactions.tsv"
s="$tmp/store"
$g build-graph --store "$s" --interactions "$tmp/train.tsv" --test "$tmp/test.tsv" \
  --columns user,item,rating,time --social "$tmp/data/social.tsv" >/dev/null
check "build-graph of the generated data" test -f "$s/data.mdb"
$g generate --out "$tmp/bad" --users 100 --items 80 2>"$tmp/err"
check "generate with max-items above items/2 exits 2" test $? -eq 2
check "... naming the values" grep -q "max_items (60) <= items/2 (40)" "$tmp/err"
check "... and leaves no files behind" test ! -e "$tmp/bad/interactions.tsv"
$g generate --out "$tmp/gen2" --users 400 --items 300 --communities 4 --min-items 8 --max-items 30 2>/dev/null
check "generate is reproducible from its seed" cmp -s "$tmp/data/interactions.tsv" "$tmp/gen2/interactions.tsv"

common=(--store "$s" --epochs 6 --dim 16 --layers 2 --lr 0.01 --batch-size 256 --eval-every 0 --threads 2)
$g train "${common[@]}" --model a --seed 7 >/dev/null 2>&1
$g train "${common[@]}" --model b --seed 7 >/dev/null 2>&1
$g train "${common[@]}" --model c --seed 8 >/dev/null 2>&1
ea=$($g eval --store "$s" --model a --json); eb=$($g eval --store "$s" --model b --json)
ec=$($g eval --store "$s" --model c --json)
check "same seed, same metrics" test "$(jget "$ea" 'ndcg@20')" = "$(jget "$eb" 'ndcg@20')"
check "another seed, other metrics" test "$(jget "$ea" 'ndcg@20')" != "$(jget "$ec" 'ndcg@20')"
check "same seed, same recommendations" cmp -s <($g infer --store "$s" --model a --k 10) <($g infer --store "$s" --model b --k 10)

# XSimGCL's contrastive term (gnn/contrast.h): --cl-weight 0 is the plain run whatever the other cl keys
$g train "${common[@]}" --model a0 --seed 7 --cl-weight 0 --cl-temp 0.3 --cl-layer 2 >/dev/null 2>&1
check "--cl-weight 0: the plain run's metrics" test "$(jget "$($g eval --store "$s" --model a0 --json)" 'ndcg@20')" = "$(jget "$ea" 'ndcg@20')"
$g train "${common[@]}" --model cl --seed 7 --cl-weight 0.1 --cl-temp 0.5 >/dev/null 2>&1
check "--cl-weight 0.1: another model" test "$(jget "$($g eval --store "$s" --model cl --json)" 'ndcg@20')" != "$(jget "$ea" 'ndcg@20')"
$g train "${common[@]}" --model clbad --cl-weight 0.1 --cl-layer 3 >/dev/null 2>"$tmp/err"
check "--cl-layer above --layers exits 2" test $? -eq 2
check "... naming the key" grep -q "cl_layer must be in 1..layers (2)" "$tmp/err"

# --resume: 3 epochs, then 3 more, equals 6 at once (model a)
$g train "${common[@]}" --model r --seed 7 --epochs 3 >/dev/null 2>&1
$g train "${common[@]}" --model r --seed 7 --resume >/dev/null 2>&1
er=$($g eval --store "$s" --model r --json)
check "resume equals an uninterrupted run" test "$(jget "$er" 'ndcg@20')" = "$(jget "$ea" 'ndcg@20')"
$g train "${common[@]}" --model r --seed 7 --resume >/dev/null 2>&1
check "resume past --epochs does nothing and succeeds" test $? -eq 0
$g train "${common[@]}" --model r --dim 8 --resume >/dev/null 2>&1
check "resume with another dim is refused (exit 2)" test $? -eq 2

# learning-rate schedule: warm-up then cosine decay, logged per epoch; a run
# stopped early and resumed on the same schedule equals an uninterrupted one
sched=(--lr-warmup 1 --lr-decay cosine --lr-min 0.1)
$g train "${common[@]}" --model s1 --seed 7 "${sched[@]}" --metrics-log "$tmp/s1.jsonl" >/dev/null 2>&1
lrs=$(sed 's/.*"lr":\([^,]*\),.*/\1/' "$tmp/s1.jsonl" | tr '\n' ' ')
check "the schedule's rate per epoch: full after the warm-up, then falling to lr x lr-min ($lrs)" \
  awk -v l="$lrs" 'BEGIN { n = split(l, a, " "); ok = n == 6 && a[1] > 0.0099 && a[1] <= 0.01 && a[6] > 0.00099 && a[6] < 0.00101
    for (i = 2; i <= n; i++) ok = ok && a[i] < a[i - 1]; exit !ok }'
$g train "${common[@]}" --model s2 --seed 7 "${sched[@]}" --epochs 3 --lr-decay-epochs 6 >/dev/null 2>&1
$g train "${common[@]}" --model s2 --seed 7 "${sched[@]}" --resume >/dev/null 2>&1
e1=$($g eval --store "$s" --model s1 --json); e2=$($g eval --store "$s" --model s2 --json)
check "a scheduled run resumed on its schedule equals the uninterrupted one" test "$(jget "$e1" 'ndcg@20')" = "$(jget "$e2" 'ndcg@20')"
check "the schedule differs from a constant rate" test "$(jget "$e1" 'ndcg@20')" != "$(jget "$ea" 'ndcg@20')"
$g train "${common[@]}" --model s3 --lr-decay step >/dev/null 2>&1
check "an unknown --lr-decay is refused (exit 2)" test $? -eq 2

# quality: lightgcn far above popularity on community data
$g train --store "$s" --arch pop --model pop >/dev/null
$g train --store "$s" --model lg --epochs 30 --dim 32 --lr 0.01 --batch-size 256 --eval-every 0 >/dev/null 2>&1
ep=$($g eval --store "$s" --model pop --json); el=$($g eval --store "$s" --model lg --json)
check "lightgcn recall@20 > 1.5 x popularity ($(jget "$el" 'recall@20') vs $(jget "$ep" 'recall@20'))" \
  awk -v a="$(jget "$el" 'recall@20')" -v b="$(jget "$ep" 'recall@20')" 'BEGIN { exit !(a > 1.5 * b) }'

# early stopping watches validation only
out=$($g train --store "$s" --model v --epochs 30 --dim 16 --lr 0.05 --eval-every 1 --valid-fraction 0.2 \
      --patience 2 --batch-size 256 2>&1)
check "valid split: per-epoch lines show valid metrics" grep -q "valid recall@20" <<<"$out"
check "valid split: the test set is only reported at the end" test "$(grep -c 'test recall@20' <<<"$out")" -eq 0
$g train --store "$s" --model v2 --epochs 3 --patience 2 >/dev/null 2>&1
check "patience without a validation split is refused (exit 2)" test $? -eq 2

# --time-limit: the epoch that ends past the limit is the last, evaluated and saved as one
out=$($g train --store "$s" --model tl --epochs 50 --dim 16 --batch-size 256 --eval-every 0 --time-limit 0.000001 2>&1)
check "time limit: one epoch run, then stops with a note" grep -q "epoch    1/50 .*time limit 1e-06s reached: stopping" <<<"$out"
check "time limit: that epoch was evaluated" grep -q "epoch    1/50 .*test recall@20" <<<"$out"
check "time limit: no second epoch" test "$(grep -c '^epoch ' <<<"$out")" -eq 1
check "time limit: the model is saved at epoch 1" grep -q "^tl	model	lightgcn	16	3	1	1	" <<<"$($g models --store "$s")"
# a final save that frees each table once the transaction has copied it (what a
# save of 256 MiB or more does; GNNREC_SAVE_MOVE_MB=0 makes every save do it), in
# a relabelled run (the tables go back to store ids before the save)
mv=(--store "$s" --dim 16 --batch-size 256 --eval-every 0 --node-order community)
$g train "${mv[@]}" --model mvref --epochs 2 >/dev/null 2>&1
GNNREC_SAVE_MOVE_MB=0 $g train "${mv[@]}" --model moved --epochs 2 >/dev/null 2>&1
check "tables freed as they are saved: the same saved model (export)" \
  test "$($g export --store "$s" --model moved --out "$tmp/xm" >/dev/null 2>&1 && cat "$tmp/xm"/* | md5sum)" = \
       "$($g export --store "$s" --model mvref --out "$tmp/xr" >/dev/null 2>&1 && cat "$tmp/xr"/* | md5sum)"
check "... both exports hold the embeddings" test -s "$tmp/xm/users.npy" -a -s "$tmp/xr/users.npy"
GNNREC_SAVE_MOVE_MB=0 $g train "${mv[@]}" --model moved --epochs 3 --resume >/dev/null 2>"$tmp/mv.err"
check "a moved save resumes (--resume from epoch 2 to 3)" grep -q "resuming model 'moved' at epoch 2" "$tmp/mv.err"

# pop (and the filters) evaluate on the --eval-users sample too, the one eval draws
out=$($g train --store "$s" --model pe --arch pop --eval-users 30 2>&1)
check "pop with --eval-users 30 evaluates 30 users" grep -q "test users 30 " <<<"$out"
ev=$($g eval --store "$s" --model pe --eval-users 30 --json)
check "... with eval --eval-users 30's Recall@20" \
  test "$(sed -n 's/.*recall@20 \([0-9.]*\).*/\1/p' <<<"$out")" = "$(printf '%.4f' "$(jget "$ev" 'recall@20')")"
$g train --store "$s" --model tl2 --epochs 3 --time-limit -1 >/dev/null 2>&1
check "a negative time limit is refused (exit 2)" test $? -eq 2

# infer: format, exclusion of training items, agreement with eval
$g infer --store "$s" --model lg --k 20 > "$tmp/recs.tsv"
check "infer tsv has 4 columns" awk -F'\t' 'NF != 4 { exit 1 }' "$tmp/recs.tsv"
check "infer ranks run 1..20 per user" awk -F'\t' '$2 != (prev == $1 ? r + 1 : 1) { exit 1 } { prev = $1; r = $2 }' "$tmp/recs.tsv"
check "infer never recommends a training item" awk -F'\t' 'NR == FNR { seen[$1 "\t" $2] = 1; next } ($1 "\t" $3) in seen { exit 1 }' \
  "$tmp/train.tsv" "$tmp/recs.tsv"
# recall@20 from infer's lists and the test file must equal eval's
rec=$(awk -F'\t' 'NR == FNR { t[$1 "\t" $2] = 1; nt[$1]++; next } (($1 "\t" $3) in t) { hit[$1]++ }
  END { for (u in nt) { s += hit[u] / nt[u]; n++ } printf "%.6f", s / n }' "$tmp/test.tsv" "$tmp/recs.tsv")
check "recall@20 from infer output ($rec) equals eval's ($(jget "$el" 'recall@20'))" test "$rec" = "$(jget "$el" 'recall@20')"
$g infer --store "$s" --model lg --users u1,u2 --k 3 --format jsonl > "$tmp/recs.jsonl"
check "infer jsonl: one object per user with 3 items" \
  test "$(grep -c '^{"user":"u[12]","items":\[{"item":"i[0-9]*","score":[-0-9.e]*},{.*},{.*}\]}$' "$tmp/recs.jsonl")" -eq 2
$g infer --store "$s" --model lg --users u1,nobody >/dev/null 2>"$tmp/err"
check "infer: unknown user is exit 2 and named" sh -c "test $? -eq 2 && grep -q nobody '$tmp/err'"
check "infer --skip-unknown keeps going" test "$($g infer --store "$s" --model lg --users u1,nobody --skip-unknown --k 4 2>/dev/null | wc -l)" -eq 4
check "infer --include-seen may return training items" test "$($g infer --store "$s" --model lg --include-seen --k 20 | \
  awk -F'\t' 'NR == FNR { seen[$1 "\t" $2] = 1; next } ($1 "\t" $3) in seen { n++ } END { print n + 0 }' "$tmp/train.tsv" -)" -gt 0

# a config may not make a job write outside its own directory
mkdir -p "$tmp/cfg"
printf 'epochs: 1\nmetrics_log: %s/outside.jsonl\n' "$tmp" > "$tmp/cfg/abs.yaml"
printf 'epochs: 1\nmetrics_log: ../up.jsonl\n' > "$tmp/cfg/up.yaml"
printf 'epochs: 1\nmetrics_log: log.jsonl\n' > "$tmp/cfg/ok.yaml"
$g train --store "$s" --model m1 --config "$tmp/cfg/abs.yaml" >/dev/null 2>&1
check "config naming an absolute output path is refused (exit 2, no file)" sh -c "test $? -eq 2 && ! test -e '$tmp/outside.jsonl'"
$g train --store "$s" --model m1 --config "$tmp/cfg/up.yaml" >/dev/null 2>&1
check "config naming ../ is refused (exit 2, no file)" sh -c "test $? -eq 2 && ! test -e '$tmp/up.jsonl'"
$g train --store "$s" --model m1 --config "$tmp/cfg/ok.yaml" --dim 8 >/dev/null 2>&1
check "a relative metrics_log lands beside the config, one JSON line per epoch" \
  test "$(grep -c '^{"epoch":1,"loss":' "$tmp/cfg/log.jsonl" 2>/dev/null)" -eq 1

# exit codes and messages
for c in train eval infer; do
  $g $c --help >/dev/null; check "$c --help exits 0" test $? -eq 0
done
$g eval --store "$s" --model nope >/dev/null 2>&1; check "eval of a missing model exits 2" test $? -eq 2
$g eval --store "$s" >/dev/null 2>&1; check "eval with several models and no --model exits 2" test $? -eq 2
$g eval --store "$s" --model lg --k 0 >/dev/null 2>&1; check "eval --k 0 exits 2" test $? -eq 2
$g train --store "$s" --epochs ten >/dev/null 2>&1; check "train --epochs ten exits 2" test $? -eq 2
$g train --store "$s" --bogus 1 >/dev/null 2>&1; check "train with an unknown option exits 2" test $? -eq 2
$g train --store "$tmp/none" >/dev/null 2>&1; check "train on a missing store exits 2" test $? -eq 2
printf 'newuser\ti1\t5\t1\n' > "$tmp/more.tsv"
$g build-graph --store "$s" --append --interactions "$tmp/more.tsv" --columns user,item,rating,time >/dev/null
$g eval --store "$s" --model lg >/dev/null 2>"$tmp/err"
check "eval of a model older than the store's users says retrain (exit 2)" sh -c "test $? -eq 2 && grep -q retrain '$tmp/err'"

report
