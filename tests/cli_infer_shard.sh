#!/usr/bin/env bash
# cli_infer_shard.sh - infer --shard I/N on a store of 3,000 users (three
# blocks of 1,024): the N shards' rows concatenated are the unsharded rows
# byte for byte (scores included: the SGEMM tiles do not depend on the
# query count, and shares start where tiles do), for TSV and JSON lines;
# the shards hold the documented blocks.
# usage: cli_infer_shard.sh PATH/TO/gnnrec
set -u
. "$(dirname "$0")/lib.sh"
$g generate --out "$tmp/data" --users 3000 --items 2000 --communities 8 >/dev/null 2>&1
s="$tmp/store"
$g build-graph --store "$s" --interactions "$tmp/data/interactions.tsv" --columns user,item,rating,time \
  --split temporal:0.2 >/dev/null
$g train --store "$s" --arch mf --dim 64 --epochs 2 --eval-every 0 --model mf >/dev/null 2>&1
$g infer --store "$s" --model mf > "$tmp/whole.tsv"
check "the whole run: 20 rows for each of 3000 users" test "$(wc -l <"$tmp/whole.tsv")" -eq 60000
for ns in 2 3 5; do
  for i in $(seq 0 $((ns - 1))); do $g infer --store "$s" --model mf --shard $i/$ns > "$tmp/sh$i.tsv"; done
  check "--shard i/$ns concatenated = the whole output, byte for byte" \
    sh -c "for i in \$(seq 0 $((ns - 1))); do cat '$tmp'/sh\$i.tsv; done | cmp -s - '$tmp/whole.tsv'"
  check "... and sorted, = the whole output sorted" \
    bash -c "for i in \$(seq 0 $((ns - 1))); do cat '$tmp'/sh\$i.tsv; done | LC_ALL=C sort | cmp -s - <(LC_ALL=C sort '$tmp/whole.tsv')"
done
for i in 0 1 2; do $g infer --store "$s" --model mf --shard $i/3 > "$tmp/t$i.tsv"; done
check "--shard i/3: 1024, 1024 and 952 users" \
  test "$(for i in 0 1 2; do cut -f1 "$tmp/t$i.tsv" | uniq | wc -l; done | tr '\n' ' ')" = "1024 1024 952 "
$g infer --store "$s" --model mf --format jsonl --k 5 > "$tmp/whole.jsonl"
for i in 0 1 2; do $g infer --store "$s" --model mf --format jsonl --k 5 --shard $i/3; done > "$tmp/sh.jsonl"
check "jsonl: --shard i/3 concatenated = the whole" cmp -s "$tmp/whole.jsonl" "$tmp/sh.jsonl"
$g infer --store "$s" --model mf --threads 1 | cmp -s - "$tmp/whole.tsv"
check "1 thread: the same bytes" test $? -eq 0
report
