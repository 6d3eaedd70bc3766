#!/usr/bin/env bash
# infer_ab.sh - all-user `gnnrec infer` of two builds on one store, runs
# alternating (A, B, A, B, ...) so both see the same machine load: wall and
# CPU seconds per run, the medians and the ratio B/A, and whether the two
# outputs are the same bytes. For a change to a kernel's tiling (gnn/topk.c)
# measured against the build before it.
# usage: bench/infer_ab.sh GNNREC_A GNNREC_B STORE MODEL [RUNS] [K]
set -eu
a=${1:?usage: infer_ab.sh GNNREC_A GNNREC_B STORE MODEL [RUNS] [K]}; b=${2:?}; s=${3:?}; m=${4:?}
runs=${5:-3}; k=${6:-20}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
$a infer --store "$s" --model "$m" --k "$k" > /dev/null   # warm-up (page cache)
for r in $(seq "$runs"); do
  for v in A B; do
    bin=$a; [ $v = B ] && bin=$b
    /usr/bin/time -f "%e %U %S" -o "$tmp/t" $bin infer --store "$s" --model "$m" --k "$k" > "$tmp/out$v"
    read -r w u sy < "$tmp/t"
    echo "$w" >> "$tmp/w$v"; echo "$u + $sy" | bc >> "$tmp/c$v"
    echo "run $r $v: $w s wall, $(tail -1 "$tmp/c$v") s CPU, load $(cut -d' ' -f1 /proc/loadavg)"
  done
done
wa=$(median < "$tmp/wA"); wb=$(median < "$tmp/wB"); ca=$(median < "$tmp/cA"); cb=$(median < "$tmp/cB")
echo "medians of $runs: A $wa s wall / $ca s CPU, B $wb s wall / $cb s CPU;" \
     "B/A $(echo "scale=2; $wb / $wa" | bc) wall, $(echo "scale=2; $cb / $ca" | bc) CPU"
cmp -s "$tmp/outA" "$tmp/outB" && echo "outputs: the same bytes" ||
  echo "outputs: $(diff "$tmp/outA" "$tmp/outB" | grep -c '^<') of $(wc -l < "$tmp/outA") rows differ"
