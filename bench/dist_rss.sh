#!/usr/bin/env bash
# dist_rss.sh - issue 15's "memory falls with ranks": peak RSS per rank of
# `mpirun -np P gnnrec train` against one process's, on one store, the same
# training arguments (one epoch of TRAIN_ARGS), in the same run.
# One process: /usr/bin/time -v's maximum resident set; each rank: the
# peak_rss_kb (VmHWM) of the job's `dist` line. Before each P, the store's
# partition is recorded with `gnnrec partition --parts P --method METHOD`,
# so the run does not partition on the fly. Prints one TSV row per P:
#   P  rank0_kb  max_other_kb  rank0_pct  other_pct  own_rows  halo_rows  wall_s  load
# (pct: of one process's peak; own / halo: the largest part's), and the
# losses, which must be one process's (exit 1 when they differ or a run fails).
# usage: bench/dist_rss.sh GNNREC STORE [WORKDIR]
#   env: PARTS (2 4), METHOD (metis), TRAIN_ARGS ("--model lg --epochs 1
#   --steps-per-epoch 10 --eval-every 0 --eval-users 500 --threads 1"),
#   MPIRUN_FLAGS (--oversubscribe --bind-to none --mca mpi_yield_when_idle 1)
# STORE gets a model (TRAIN_ARGS's --model) and a recorded partition: pass a copy.
set -u
G=${1:?usage: dist_rss.sh GNNREC STORE [WORKDIR]}; S=${2:?}
W=${3:-$(mktemp -d)}
PARTS=${PARTS:-2 4}; METHOD=${METHOD:-metis}
read -r -a TA <<<"${TRAIN_ARGS:---model lg --epochs 1 --steps-per-epoch 10 --eval-every 0 --eval-users 500 --threads 1}"
read -r -a MF <<<"${MPIRUN_FLAGS:---oversubscribe --bind-to none --mca mpi_yield_when_idle 1}"
command -v mpirun >/dev/null || { echo "SKIP: no mpirun"; exit 77; }
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$W"
load() { cut -d' ' -f1 /proc/loadavg; }
losses() { grep -o 'loss [0-9.]*' "$1" | tr '\n' ' '; }
l0=$(load); t0=$(date +%s.%N)
/usr/bin/time -v "$G" train --store "$S" "${TA[@]}" >"$W/p1.out" 2>"$W/p1.err" || { echo "one process failed: $W/p1.err"; exit 1; }
t1=$(date +%s.%N)
one=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$W/p1.err")
printf 'P\trank0_kb\tmax_other_kb\trank0_pct\tother_pct\town_rows\thalo_rows\twall_s\tload\n'
printf '1\t%s\t-\t100\t-\t-\t-\t%.1f\t%s-%s\n' "$one" "$(echo "$t1 - $t0" | bc)" "$l0" "$(load)"
ref=$(losses "$W/p1.err"); bad=0
for P in $PARTS; do
  "$G" partition --store "$S" --parts "$P" --method "$METHOD" >/dev/null || { echo "partition $P failed"; exit 1; }
  l0=$(load); t0=$(date +%s.%N)
  mpirun "${MF[@]}" -np "$P" "$G" train --store "$S" "${TA[@]}" >"$W/p$P.out" 2>"$W/p$P.err" ||
    { echo "-np $P failed: $W/p$P.err"; exit 1; }
  t1=$(date +%s.%N)
  d=$(sed -n 's/^dist //p' "$W/p$P.err")
  arr() { echo "$d" | grep -o "\"$1\":\[[0-9,]*\]" | sed 's/.*\[//; s/\]//'; }
  rss=$(arr peak_rss_kb); own=$(arr own_nodes); halo=$(arr halo_nodes)
  r0=${rss%%,*}; others=$(echo "$rss" | cut -d, -f2- | tr ',' '\n' | sort -n | tail -1)
  mx() { echo "$1" | tr ',' '\n' | sort -n | tail -1; }
  printf '%s\t%s\t%s\t%.0f\t%.0f\t%s\t%s\t%.1f\t%s-%s\n' "$P" "$r0" "$others" "$(echo "100 * $r0 / $one" | bc -l)" \
    "$(echo "100 * $others / $one" | bc -l)" "$(mx "$own")" "$(mx "$halo")" "$(echo "$t1 - $t0" | bc)" "$l0" "$(load)"
  [ "$(losses "$W/p$P.err")" = "$ref" ] || { echo "-np $P: losses $(losses "$W/p$P.err") differ from one process's $ref"; bad=1; }
done
echo "losses: $ref"
exit $bad
