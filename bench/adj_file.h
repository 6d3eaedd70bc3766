/* adj_file.h - the benchmarks' loader of LightGCN split files (`user item
 * item ...` per line, 0-based ids, as in ../shared/data/gowalla). Benchmarks
 * read the files directly rather than through a store, so that what they
 * time is the kernel, not LMDB.
 */
#ifndef GNNREC_BENCH_ADJ_FILE_H
#define GNNREC_BENCH_ADJ_FILE_H

#include "graph/csr.h"

/* DIR/train.txt -> train, and DIR/test.txt -> test unless test is NULL;
 * both [users x items] with users and items counted over the files read.
 * Returns 0, or -1 if a file cannot be read (or memory runs out). */
int bench_load_split(const char *dir, graph_csr_t *train, graph_csr_t *test);

#endif
