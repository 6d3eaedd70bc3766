#!/usr/bin/env bash
# dist_model.sh - docs/distributed.md's cost model: the epoch time of
# `mpirun -np P gnnrec train` (LightGCN, dim 64, 3 layers, STEPS steps an
# epoch) on P machines, from measured inputs, for each network of NETS.
# usage: bench/dist_model.sh [INPUTS.tsv]   (default bench/dist_model.tsv)
# One input line per (graph, P), tab-separated, '#' lines ignored:
#   graph  P  t1  wb  halo  batch
#   t1     seconds of one step as one process on one thread on that graph
#          (measured, or scaled from a measured graph by adjacency entries)
#   wb     work balance of the partition (largest part's adjacency entries
#          over the average: the slowest rank sets the step)
#   halo   rows the busiest rank receives per halo exchange (gnnrec
#          partition --json's max_halo_nodes)
#   batch  rows a rank sends in a step's batch exchange (the dist line's
#          batch_bytes_per_epoch / STEPS / ROW_BATCH, or bench/dist_batch)
# The model (every term per step, then x STEPS):
#   compute  t1 x wb / P: the products and Adam split by owned rows; the
#            per-triple work every rank repeats (sampling every triple,
#            batch_bpr's pass over them) is not in it (see the doc)
#   bytes    halo x HALO_ROW_BYTES (E0, Z_1, Z_2, Y_1, Y_2 float16 and G
#            float32: 5 x 128 + 256 = 896 B at dim 64) + batch x ROW_BATCH
#            (264 B), at the link's rate, no overlap with compute (the
#            trainer does not overlap)
#   latency  EXCHANGES (7: six halo exchanges and the batch) Alltoallv of
#            (P - 1) messages each, ALPHA seconds a message, plus the loss's
#            Allreduce (log2 P x ALPHA)
# env: STEPS (50), HALO_ROW_BYTES (896), ROW_BATCH (264), EXCHANGES (7),
#      NETS ("10:20e-6 100:2e-6": Gb/s:seconds of latency a message)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
IN=${1:-$HERE/dist_model.tsv}
[ -f "$IN" ] || { echo "dist_model.sh: no $IN" >&2; exit 2; }
awk -F'\t' -v steps="${STEPS:-50}" -v hb="${HALO_ROW_BYTES:-896}" -v bb="${ROW_BATCH:-264}" \
    -v ex="${EXCHANGES:-7}" -v nets="${NETS:-10:20e-6 100:2e-6}" '
BEGIN {
    nn = split(nets, net, " ")
    for (k = 1; k <= nn; k++) { split(net[k], a, ":"); gbps[k] = a[1]; alpha[k] = a[2] }
    printf "| graph | P | network | compute s | halo GB | batch GB | transfer s | latency s | epoch s | network share |\n"
    printf "|---|---|---|---|---|---|---|---|---|---|\n"
}
/^#/ || NF < 6 { next }
{
    g = $1; P = $2; t1 = $3; wb = $4; halo = $5; batch = $6
    comp = steps * t1 * wb / P
    hbytes = steps * halo * hb; bbytes = steps * batch * bb
    for (k = 1; k <= nn; k++) {
        xfer = (hbytes + bbytes) * 8 / (gbps[k] * 1e9)
        lat = steps * (ex * (P - 1) + log(P) / log(2)) * alpha[k]
        ep = comp + xfer + lat
        printf "| %s | %d | %s Gb/s | %.1f | %.2f | %.2f | %.1f | %.3f | %.1f | %.0f%% |\n", \
            g, P, gbps[k], comp, hbytes / 1e9, bbytes / 1e9, xfer, lat, ep, 100 * (xfer + lat) / ep
    }
}' "$IN"
