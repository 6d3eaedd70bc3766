# lib.sh - what the command-line tests share; sourced, not run.
# Sets g (the gnnrec binary, the test's first argument), tmp (a temporary
# directory removed on exit) and the counters behind check(); each test ends
# with `report`, which prints "N checks, M failed" and sets the exit status.
g=${1:?usage: $(basename "$0") PATH/TO/gnnrec}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0; failed=0
check() {   # check "what" command...
  local what=$1; shift
  n=$((n + 1))
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failed=$((failed + 1)); fi
}
jget() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" <<<"$1"; }   # jget JSON key
# rated_stores: the rating tests' fixture: 60 users x 50 items, ratings 1..5
# with a user and an item effect, a tenth as test, in $tmp/{all,train,test}.tsv;
# store $s keeps the ratings, store $im the same pairs implicit.
rated_stores() {
  awk 'BEGIN { for (u = 0; u < 60; u++) for (i = 0; i < 50; i++) if ((u * 7 + i * 3) % 4 == 0) {
      r = 1 + int((u % 5 + i % 3 + (u * i) % 2) * 4 / 7); printf "u%d\ti%d\t%d\n", u, i, r } }' >"$tmp/all.tsv"
  awk 'NR % 10 == 0' "$tmp/all.tsv" >"$tmp/test.tsv"
  awk 'NR % 10 != 0' "$tmp/all.tsv" >"$tmp/train.tsv"
  s="$tmp/rated"; im="$tmp/implicit"
  "$g" build-graph --store "$s" --delim tab --columns user,item,rating --interactions "$tmp/train.tsv" \
    --test "$tmp/test.tsv" >/dev/null 2>&1
  "$g" build-graph --store "$im" --delim tab --columns user,item --interactions "$tmp/train.tsv" \
    --test "$tmp/test.tsv" >/dev/null 2>&1
}
# same_rows A B: two TSV outputs of ranked rows (id columns, then a score
# last) are the same rows: every column but the last equal, the scores
# within one unit of their 6th printed digit (1.1e-5 relative, or 1e-7
# absolute). OpenBLAS picks its SGEMM kernel by CPU (AVX2, AVX-512), and
# kernels (and the blocking of a user among others) round a dot product
# differently in its last bit, which can turn the 6th printed digit of a
# score; never, in these tests' models, a rank or an item.
same_rows() {
  awk -F'\t' 'NR == FNR { a[FNR] = $0; n = FNR; next }
    { m = FNR; k = split(a[FNR], x, "\t"); if (k != NF) exit 1
      for (c = 1; c < NF; c++) if (x[c] != $c) exit 1
      d = x[NF] - $NF; if (d < 0) d = -d; s = ($NF < 0 ? -$NF : $NF)
      if (d > 1e-7 && d > 1.1e-5 * s) exit 1 }
    END { if (m != n) exit 1 }' "$1" "$2"
}
report() {
  echo "$n checks, $failed failed"
  [ "$failed" -eq 0 ]
}
# mpi_setup: what an MPI suite script needs first: skip without mpirun, Open
# MPI's run-as-root variables, no single-copy transport (containers), a
# TMPDIR of the test's own (so a test sees the ranks' files), and
# `run NP ARGS...` for `mpirun -np NP gnnrec ARGS...`.
mpi_setup() {
  command -v mpirun >/dev/null || { echo "SKIP: no mpirun (apt-get install openmpi-bin)"; exit 77; }
  [ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_btl_vader_single_copy_mechanism=none
  mkdir -p "$tmp/tmpdir"
  export TMPDIR=$tmp/tmpdir
  run() { local np=$1; shift; mpirun --oversubscribe -np "$np" "$g" "$@"; }
}
# mpi_kill_rank MP RANK SETTLE: once rank RANK of the background mpirun MP
# runs, wait SETTLE more seconds and kill -9 it; sets kill_rc (the job's exit
# status) and kill_ms (how long the job took to end after the kill). Returns
# 1, having waited for the job, when it ended before the kill could land.
mpi_kill_rank() {
  local mp=$1 rank=$2 settle=$3 victim= c t0
  for _ in $(seq 50); do
    sleep 0.2
    for c in $(pgrep -P "$mp"); do
      tr '\0' '\n' <"/proc/$c/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank" && victim=$c
    done
    [ -n "$victim" ] && break
  done
  sleep "$settle"
  if [ -z "$victim" ] || ! kill -0 "$victim" 2>/dev/null; then wait "$mp"; return 1; fi
  kill -9 "$victim"
  t0=$(date +%s%N)
  wait "$mp"; kill_rc=$?
  kill_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}
# mpi_kill_checks MP ERRFILE: what every rank-kill test asks of the job's end.
mpi_kill_checks() {
  check "rank 1 killed mid-run: the job exits non-zero ($kill_rc)" test "$kill_rc" -ne 0
  check "... within 10 s (${kill_ms} ms)" test "$kill_ms" -lt 10000
  check "... no rank left running" test -z "$(pgrep -P "$1")"
  check "... mpirun names the rank" grep -q "rank 1" "$2"
}
# mpi_kill_test MP ERRFILE: rank 1 of the background mpirun MP killed after
# 1 s and mpi_kill_checks; returns 1 (saying SKIP) when the job ended first.
mpi_kill_test() {
  mpi_kill_rank "$1" 1 1 || { echo "SKIP (kill): the job finished before rank 1 could be killed"; return 1; }
  mpi_kill_checks "$1" "$2"
}
small_store() {   # small_store STORE [DATA_DIR]: 1,000 users x 500 items in 5 communities (generate seed 3), 20% test
  local d=${2:-$tmp/gen.$$}
  $g generate --out "$d" --interactions 20000 --users 1000 --items 500 --communities 5 \
    --test-fraction 0.2 --seed 3 2>/dev/null &&
  $g build-graph --store "$1" --format adj --interactions "$d/train.txt" --test "$d/test.txt" >/dev/null
}
