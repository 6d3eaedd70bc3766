#!/usr/bin/env bash
# dist_same.sh - issue 15's "same answer": gowalla LightGCN with
# configs/lightgcn-gowalla-fast.yaml (or with SET=lastfm: lastfm LightGCN
# with its social ties, configs/lightgcn-lastfm.yaml and --edges
# interaction,social) for EPOCHS (20) epochs as one process,
# under `mpirun -np 2` and under `mpirun -np 4 --oversubscribe` (--threads 1
# per rank), each on its own copy of one store (the copies for P ranks with
# a METIS partition recorded for P). Prints, for each run, the per-epoch
# losses, the test Recall@20 / NDCG@20 at each evaluation, wall seconds, peak
# RSS per rank and the load average before and after; then whether the
# exported embeddings are byte for byte one process's (cmp).
# usage: bench/dist_same.sh GNNREC [WORKDIR]
#   env: SET (gowalla), DATA (../shared/data beside the checkout), EPOCHS (20), THREADS1
#   (threads of the one-process run: 2), PAR (1: the three runs at the same
#   time; 0: one after the other), MPIRUN_FLAGS (--bind-to none --mca
#   mpi_yield_when_idle 1: ranks that wait give the core to the other
#   ranks and jobs of a shared machine instead of spinning on it)
# Exits 77 when the data or mpirun is missing, 1 when a run fails or the
# answers differ.
set -u
G=${1:?usage: dist_same.sh GNNREC [WORKDIR]}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${DATA:-$HERE/../../shared/data}
W=${2:-$(mktemp -d)}
EPOCHS=${EPOCHS:-20}; THREADS1=${THREADS1:-2}; PAR=${PAR:-1}
SET=${SET:-gowalla}
case $SET in
  gowalla) CONF=$HERE/../configs/lightgcn-gowalla-fast.yaml; EDGES=(); IN=$DATA/gowalla/train.txt
    BUILD=(--format adj --interactions "$IN" --test "$DATA/gowalla/test.txt") ;;
  lastfm) CONF=$HERE/../configs/lightgcn-lastfm.yaml; EDGES=(--edges interaction,social); IN=$DATA/lastfm/data1.txt
    BUILD=(--format edges --delim tab --columns user,item,rating --interactions "$IN" --test "$DATA/lastfm/test1.txt"
           --social "$DATA/lastfm/trustnetwork.txt") ;;
  *) echo "SET=$SET: gowalla or lastfm"; exit 2 ;;
esac
read -r -a MF <<<"${MPIRUN_FLAGS:---bind-to none --mca mpi_yield_when_idle 1}"
[ -f "$IN" ] || { echo "SKIP: no $IN"; exit 77; }
command -v mpirun >/dev/null || { echo "SKIP: no mpirun (apt-get install openmpi-bin)"; exit 77; }
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mkdir -p "$W"
load() { cut -d' ' -f1-3 /proc/loadavg; }

if [ ! -f "$W/s1/data.mdb" ]; then
    "$G" build-graph --store "$W/s1" "${BUILD[@]}" >"$W/build.log" || { echo "build-graph failed"; exit 1; }
fi
for p in 2 4; do
    rm -rf "$W/s$p"; cp -r "$W/s1" "$W/s$p"
    "$G" partition --store "$W/s$p" --parts $p --method metis --json >"$W/part$p.json" || exit 1
done

A=(--config "$CONF" --epochs "$EPOCHS" --model same "${EDGES[@]}")
# run NAME CMD...: one training run, its wall seconds and load into NAME.time
run() {
    local name=$1 t0 l0 rc; shift
    l0=$(load); t0=$(date +%s.%N)
    "$@" >"$W/$name.out" 2>"$W/$name.err"; rc=$?
    echo "$rc $(echo "$(date +%s.%N) - $t0" | bc) load $l0 -> $(load)" >"$W/$name.time"
}
/usr/bin/time -v true 2>/dev/null && TV=(/usr/bin/time -v) || TV=()
run one "${TV[@]}" "$G" train --store "$W/s1" "${A[@]}" --threads "$THREADS1" --metrics-log "$W/one.jsonl" &
[ "$PAR" = 1 ] || wait
run np2 mpirun "${MF[@]}" -np 2 "$G" train --store "$W/s2" "${A[@]}" --threads 1 --metrics-log "$W/np2.jsonl" &
[ "$PAR" = 1 ] || wait
run np4 mpirun "${MF[@]}" --oversubscribe -np 4 "$G" train --store "$W/s4" "${A[@]}" --threads 1 \
    --metrics-log "$W/np4.jsonl" &
wait

bad=0
losses() { jq -r '.loss' "$W/$1.jsonl" | awk '{ printf "%s%.5f", (NR > 1 ? " " : ""), $1 }'; }
evals() { jq -r 'select(.["test_recall@20"] != null) | "epoch \(.epoch): recall@20 \(.["test_recall@20"]) ndcg@20 \(.["test_ndcg@20"])"' "$W/$1.jsonl" | paste -sd';'; }
echo "$SET LightGCN, $(basename "$CONF") ${EDGES[*]}, $EPOCHS epochs; one process --threads $THREADS1, ranks --threads 1; mpirun ${MF[*]}"
for r in one np2 np4; do
    read -r rc secs _ <"$W/$r.time"
    [ "$rc" = 0 ] || { echo "$r: exit $rc (see $W/$r.err)"; bad=1; continue; }
    rss=$(grep -o '"peak_rss_kb":\[[0-9,]*\]' "$W/$r.err" | sed 's/.*\[//; s/\]//')
    [ -n "$rss" ] || rss=$(awk '/Maximum resident set size/ { print $NF }' "$W/$r.err")
    echo "$r: $(cut -d' ' -f2- "$W/$r.time" | sed 's/^/wall /; s/ load/ s, load/'), peak RSS kB $rss"
    echo "  losses $(losses $r)"
    echo "  $(evals $r)"
    echo "  $(tail -n 1 "$W/$r.out")"
done
for r in np2 np4; do
    [ "$(losses one)" = "$(losses $r)" ] || { echo "$r: losses differ from one process"; bad=1; }
    [ "$(evals one)" = "$(evals $r)" ] || { echo "$r: metrics differ from one process"; bad=1; }
done
for s in 1 2 4; do
    rm -rf "$W/x$s"
    "$G" export --store "$W/s$s" --model same --out "$W/x$s" >/dev/null || { echo "export s$s failed"; bad=1; }
done
for s in 2 4; do
    if cmp -s "$W/x1/users.npy" "$W/x$s/users.npy" && cmp -s "$W/x1/items.npy" "$W/x$s/items.npy"; then
        echo "-np $s: exported embeddings byte for byte one process's (cmp)"
    else
        echo "-np $s: exported embeddings DIFFER from one process's"; bad=1
    fi
done
grep -h '^dist ' "$W/np2.err" "$W/np4.err"
exit $bad
