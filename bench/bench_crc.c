/* bench_crc.c - what checking a model blob's CRC-32C costs at load: the
 * fast path (crc_32c, SSE4.2 when the CPU has it) against its table twin
 * (crc_32c_ref, the baseline) on one buffer of MiB MiB (default 256, about
 * the embeddings of a 1M-node dim-64 model), median of 5 runs each,
 * alternated. usage: bench_crc [MiB] */
#include <stdio.h>
#include <stdlib.h>

#include "base/clock.h"
#include "base/crc.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
    const size_t n = mib << 20;
    unsigned char *b = malloc(n ? n : 1);
    if (!b) { fprintf(stderr, "bench_crc: out of memory\n"); return 1; }
    for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(i * 131u + (i >> 12));
    double tf[5], tr[5];
    uint32_t cf = 0, cr = 0;
    for (int r = 0; r < 5; r++) {
        double t0 = clock_now();
        cf = crc_32c(0, b, n);
        double t1 = clock_now();
        cr = crc_32c_ref(0, b, n);
        tf[r] = t1 - t0;
        tr[r] = clock_now() - t1;
    }
    qsort(tf, 5, sizeof *tf, cmp);
    qsort(tr, 5, sizeof *tr, cmp);
    printf("CRC-32C of %zu MiB: crc_32c %.3f s (%.2f GB/s), crc_32c_ref %.3f s (%.2f GB/s): %.1fx; same value %s\n",
           mib, tf[2], (double)n / tf[2] / 1e9, tr[2], (double)n / tr[2] / 1e9, tr[2] / tf[2], cf == cr ? "yes" : "NO");
    free(b);
    return cf == cr ? 0 : 1;
}
