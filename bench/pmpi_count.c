/* pmpi_count.c - a counting MPI profile: LD_PRELOAD=build/bench/pmpi_count.so
 * in front of `mpirun ... gnnrec train` sums, per rank, the bytes each MPI
 * call gnnrec makes hands to other ranks, through the standard PMPI profiling
 * interface (every MPI_X here does its count and calls PMPI_X). It is the
 * independent check of the job's own figures (the `dist` line): the bytes
 * are computed from the counts and datatypes MPI itself receives, not from
 * dist/'s bookkeeping.
 *
 * What "sent to other ranks" means for each call: Alltoallv, the send counts
 * to every rank but this one; Gatherv and Gather, a non-root rank's send
 * count (the root's own share does not leave it); Send, the message. For
 * Bcast (the root's payload) and Allreduce (each rank's payload) the bytes
 * on the wire depend on Open MPI's algorithm: the payload is reported, as
 * such. Alltoallv bytes are also split by the size of its datatype (gnnrec
 * sends rows: 128 B float16 and 256 B float32 halo rows at dim 64, 264 B
 * batch rows).
 *
 * At MPI_Finalize each rank writes one JSON line to PMPI_COUNT_OUT.RANK when
 * that variable is set, else to stderr, prefixed "pmpi ". Assumes Open MPI
 * 4.x's const-qualified C prototypes, and that the program calls MPI from
 * one thread (gnnrec: MPI_THREAD_FUNNELED). No globals would be the house
 * rule; an interposer has no handle to hang state on, so the counters are
 * this file's statics. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { C_ALLTOALLV, C_GATHERV, C_GATHER, C_SEND, C_BCAST, C_ALLREDUCE, C_N };
static const char *const names[C_N] = {"alltoallv", "gatherv", "gather", "send", "bcast", "allreduce"};
static uint64_t calls[C_N], bytes[C_N];
#define SIZES 8
static uint64_t by_size_bytes[SIZES];
static int by_size_size[SIZES], n_sizes;

static uint64_t type_bytes(MPI_Datatype t, int count)
{
    int s = 0;
    PMPI_Type_size(t, &s);
    return (uint64_t)s * (uint64_t)(count > 0 ? count : 0);
}

static int my_rank(MPI_Comm comm)
{
    int r = 0;
    PMPI_Comm_rank(comm, &r);
    return r;
}

static void add(int c, uint64_t b)
{
    calls[c]++;
    bytes[c] += b;
}

int MPI_Alltoallv(const void *sbuf, const int sc[], const int sd[], MPI_Datatype st, void *rbuf, const int rc[],
                  const int rd[], MPI_Datatype rt, MPI_Comm comm)
{
    int me = my_rank(comm), p = 1, s = 0;
    PMPI_Comm_size(comm, &p);
    PMPI_Type_size(st, &s);
    uint64_t b = 0;
    for (int q = 0; q < p; q++)
        if (q != me) b += type_bytes(st, sc[q]);
    add(C_ALLTOALLV, b);
    int k = 0;
    while (k < n_sizes && by_size_size[k] != s) k++;
    if (k == n_sizes && n_sizes < SIZES) by_size_size[n_sizes++] = s;
    if (k < n_sizes) by_size_bytes[k] += b;
    return PMPI_Alltoallv(sbuf, sc, sd, st, rbuf, rc, rd, rt, comm);
}

int MPI_Gatherv(const void *sbuf, int sc, MPI_Datatype st, void *rbuf, const int rc[], const int rd[],
                MPI_Datatype rt, int root, MPI_Comm comm)
{
    add(C_GATHERV, my_rank(comm) == root ? 0 : type_bytes(st, sc));
    return PMPI_Gatherv(sbuf, sc, st, rbuf, rc, rd, rt, root, comm);
}

int MPI_Gather(const void *sbuf, int sc, MPI_Datatype st, void *rbuf, int rc, MPI_Datatype rt, int root,
               MPI_Comm comm)
{
    add(C_GATHER, my_rank(comm) == root ? 0 : type_bytes(st, sc));
    return PMPI_Gather(sbuf, sc, st, rbuf, rc, rt, root, comm);
}

int MPI_Send(const void *buf, int count, MPI_Datatype t, int dest, int tag, MPI_Comm comm)
{
    add(C_SEND, dest == my_rank(comm) ? 0 : type_bytes(t, count));
    return PMPI_Send(buf, count, t, dest, tag, comm);
}

int MPI_Bcast(void *buf, int count, MPI_Datatype t, int root, MPI_Comm comm)
{
    add(C_BCAST, my_rank(comm) == root ? type_bytes(t, count) : 0);
    return PMPI_Bcast(buf, count, t, root, comm);
}

int MPI_Allreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype t, MPI_Op op, MPI_Comm comm)
{
    add(C_ALLREDUCE, type_bytes(t, count));
    return PMPI_Allreduce(sbuf, rbuf, count, t, op, comm);
}

int MPI_Finalize(void)
{
    int me = my_rank(MPI_COMM_WORLD);
    FILE *f = stderr;
    const char *out = getenv("PMPI_COUNT_OUT");
    char path[4096];
    if (out && snprintf(path, sizeof path, "%s.%d", out, me) < (int)sizeof path) {
        f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "pmpi_count: cannot write %s\n", path);
            f = stderr;
        }
    }
    fprintf(f, "%s{\"rank\":%d", f == stderr ? "pmpi " : "", me);
    for (int c = 0; c < C_N; c++)
        fprintf(f, ",\"%s_calls\":%llu,\"%s_bytes\":%llu", names[c], (unsigned long long)calls[c], names[c],
                (unsigned long long)bytes[c]);
    fprintf(f, ",\"alltoallv_bytes_by_row\":{");
    for (int k = 0; k < n_sizes; k++)
        fprintf(f, "%s\"%d\":%llu", k ? "," : "", by_size_size[k], (unsigned long long)by_size_bytes[k]);
    fprintf(f, "}}\n");
    if (f != stderr && fclose(f) == EOF) fprintf(stderr, "pmpi_count: write failed\n");
    return PMPI_Finalize();
}
