#!/usr/bin/env bash
# dist_comm.sh - issue 15's "communication": bytes sent per rank per epoch
# by `mpirun -np P gnnrec train` at each P of PARTS (2 4 8), with a METIS
# and with a hash partition recorded by `gnnrec partition` (one store,
# re-partitioned before each run), one epoch of TRAIN_ARGS (the gowalla fast
# config), and the job's own count (its `dist` line) checked against the
# counting MPI profile bench/pmpi_count.so (LD_PRELOAD on every rank):
#   alltoallv + gatherv bytes of the profile == epochs x (halo + batch bytes
#   per epoch) + eval_save_bytes of the dist line, rank by rank, and the
#   profile's 264-byte rows (dim 64: float32 row + its norm) == the batch bytes.
# Prints one line per (P, method): edge cut, max halo, per-rank halo and
# batch MB per epoch, wall seconds, load, the check.
# usage: bench/dist_comm.sh GNNREC PMPI_SO STORE [WORKDIR]
#   env: PARTS (2 4 8), METHODS (metis hash), TRAIN_ARGS (the fast config,
#   --epochs 1 --eval-every 0 --eval-users 1000 --threads 1), MPIRUN_FLAGS
#   (--bind-to none --mca mpi_yield_when_idle 1), ROW (264: batch row bytes)
# STORE is partitioned in place (its recorded partition replaced) and gets a
# model "comm": pass a copy. Exits 1 when a run fails or a count disagrees.
set -u
G=${1:?usage: dist_comm.sh GNNREC PMPI_SO STORE [WORKDIR]}; SO=${2:?}; S=${3:?}
HERE=$(cd "$(dirname "$0")" && pwd)
W=${4:-$(mktemp -d)}
PARTS=${PARTS:-2 4 8}; METHODS=${METHODS:-metis hash}; ROW=${ROW:-264}
read -r -a TA <<<"${TRAIN_ARGS:---config $HERE/../configs/lightgcn-gowalla-fast.yaml --epochs 1 --eval-every 0 --eval-users 1000 --threads 1}"
read -r -a MF <<<"${MPIRUN_FLAGS:---bind-to none --mca mpi_yield_when_idle 1}"
command -v mpirun >/dev/null || { echo "SKIP: no mpirun"; exit 77; }
[ -f "$SO" ] || { echo "SKIP: no $SO (built with MPI only)"; exit 77; }
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
SO=$(cd "$(dirname "$SO")" && pwd)/$(basename "$SO")
mkdir -p "$W"
load() { cut -d' ' -f1-3 /proc/loadavg; }
mb() { awk -v l="$1" 'BEGIN { n = split(l, a, ","); for (k = 1; k <= n; k++) printf "%s%.0f", (k > 1 ? "/" : ""), a[k] / 1e6 }'; }
arr() { grep -o "\"$2\":\[[0-9,]*\]" "$1" | sed 's/.*\[//; s/\]//'; }   # arr FILE KEY: a dist-line array
bad=0
printf '%-2s %-6s %9s %9s %-36s %-28s %6s  %-17s %s\n' P method edge_cut max_halo "halo MB/epoch per rank" \
    "batch MB/epoch per rank" wall load check
for p in $PARTS; do
    for m in $METHODS; do
        tag=$p.$m
        "$G" partition --store "$S" --parts "$p" --method "$m" --json >"$W/part.$tag.json" || { bad=1; continue; }
        rm -f "$W/pmpi.$tag".*
        l0=$(load); t0=$(date +%s.%N)
        mpirun "${MF[@]}" --oversubscribe -np "$p" -x LD_PRELOAD="$SO" -x PMPI_COUNT_OUT="$W/pmpi.$tag" \
            "$G" train --store "$S" "${TA[@]}" --model comm >"$W/train.$tag.out" 2>"$W/train.$tag.err"
        rc=$?; wall=$(echo "$(date +%s.%N) - $t0" | bc)
        [ "$rc" = 0 ] || { echo "P=$p $m: exit $rc (see $W/train.$tag.err)"; bad=1; continue; }
        d=$W/train.$tag.err
        ep=$(grep -o '"epochs":[0-9]*' "$d" | cut -d: -f2)
        IFS=, read -r -a H <<<"$(arr "$d" halo_bytes_per_epoch)"
        IFS=, read -r -a B <<<"$(arr "$d" batch_bytes_per_epoch)"
        IFS=, read -r -a X <<<"$(arr "$d" eval_save_bytes)"
        ok=ok
        for ((r = 0; r < p; r++)); do
            f=$W/pmpi.$tag.$r
            [ -s "$f" ] || { ok="FAIL(no profile of rank $r)"; break; }
            prof=$(jq -r '"\(.alltoallv_bytes + .gatherv_bytes) \(.alltoallv_bytes_by_row["'"$ROW"'"] // 0)"' "$f")
            read -r sent rows <<<"$prof"
            job=$((ep * (H[r] + B[r]) + X[r]))
            [ "$sent" = "$job" ] || ok="FAIL(rank $r: profile $sent, job $job)"
            [ "$rows" = "$((ep * B[r]))" ] || ok="FAIL(rank $r: profile batch $rows, job $((ep * B[r])))"
        done
        [ "$ok" = ok ] || bad=1
        printf '%-2s %-6s %9s %9s %-36s %-28s %6.0f  %-17s %s\n' "$p" "$m" "$(jq .edge_cut "$W/part.$tag.json")" \
            "$(jq .max_halo_nodes "$W/part.$tag.json")" "$(mb "$(arr "$d" halo_bytes_per_epoch)")" \
            "$(mb "$(arr "$d" batch_bytes_per_epoch)")" "$wall" "$l0" "$ok"
        grep -h '^dist ' "$d" >>"$W/dist.lines"
    done
done
echo "dist lines: $W/dist.lines; profiles: $W/pmpi.*"
exit $bad
