#!/usr/bin/env bash
# spmm_growth.sh - why a training step costs more per edge as the graph
# grows (issue 14): the whole-graph product's cost per stored non-zero, in
# the store's node order and in the community order training uses, over
# stores of growing size. Each point is `bench_train --store S --epochs 0
# --no-profile --node-order O` (the trainer's own order and kernel, the
# half-table product a training step runs forward; median of 5), printed
# with the size of the gathered tables against the L3 this machine reports.
# Usage: bench/spmm_growth.sh BENCH_TRAIN STORE...   env: THREADS (2),
#        ORDERS ("none community")
set -u
BT=${1:?usage: spmm_growth.sh build/bench/bench_train STORE...}
shift
[ $# -gt 0 ] || { echo "spmm_growth.sh: no store given" >&2; exit 2; }
THREADS=${THREADS:-2}
ORDERS=${ORDERS:-none community}
l3=$(lscpu 2>/dev/null | sed -n 's/^L3 cache: *//p')
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, L3 ${l3:-?}, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
printf 'store\torder\tnodes\tnnz\thalf_MiB\tref_ns\topt_ns\thalf_ns\thalf_ms\n'
for s in "$@"; do
    for o in $ORDERS; do
        out=$("$BT" --store "$s" --epochs 0 --no-profile --threads "$THREADS" --node-order "$o" 2>&1) || {
            echo "FAILED: $BT --store $s --node-order $o" >&2; echo "$out" | tail -3 >&2; exit 1; }
        # "SpMM A_hat x [N x D]: ..." then "SpMM per non-zero (NNZ): reference X ns, optimized Y ns,
        # half table Z ns (W ms); tables A MiB float32, B MiB half"
        n=$(echo "$out" | sed -n 's/^SpMM A_hat x \[\([0-9]*\) x.*/\1/p')
        echo "$out" | grep -q '^SpMM per non-zero' || {
            echo "FAILED: no per-non-zero line from $BT --store $s --node-order $o" >&2; exit 1; }
        echo "$out" | sed -n 's/^SpMM per non-zero (\([0-9]*\)): reference \([0-9.]*\) ns, optimized \([0-9.]*\) ns, half table \([0-9.]*\) ns (\([0-9.]*\) ms); tables [0-9]* MiB float32, \([0-9]*\) MiB half$/\1 \2 \3 \4 \5 \6/p' |
            while read -r nnz r op h ms hm; do
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(basename "$s")" "$o" "$n" "$nnz" "$hm" "$r" "$op" "$h" "$ms"
            done
    done
done
echo "end load $(cut -d' ' -f1-3 /proc/loadavg)"
