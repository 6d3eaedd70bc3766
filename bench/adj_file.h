/* adj_file.h - what the benchmarks share: the loader of LightGCN split
 * files (`user item item ...` per line, 0-based ids, as in
 * ../shared/data/gowalla), and the plain SpMM they measure against.
 * Benchmarks read the files directly rather than through a store, so that
 * what they time is the kernel, not LMDB.
 */
#ifndef GNNREC_BENCH_ADJ_FILE_H
#define GNNREC_BENCH_ADJ_FILE_H

#include "graph/csr.h"

/* DIR/train.txt -> train, and DIR/test.txt -> test unless test is NULL;
 * both [users x items] with users and items counted over the files read.
 * Returns 0, or -1 if a file cannot be read (or memory runs out). */
int bench_load_split(const char *dir, graph_csr_t *train, graph_csr_t *test);

/* y = a x with the plainest OpenMP loop (rows, static schedule, no
 * prefetch), frozen here as a yardstick that our optimizations do not
 * move. (performance.md's "plain CSR SpMM" of 16 ms is a similar loop; this
 * one takes 28-38 ms on gowalla here.) x, y [a->n_rows x dim]. */
void bench_spmm_plain(const graph_csr_t *a, const float *x, float *y, uint32_t dim);

#endif
