/* part_metis.c - graph_partition_metis with METIS 5.1 (libmetis-dev):
 * METIS_PartGraphKway on the symmetric adjacency, copied into METIS's idx_t
 * arrays (32-bit in Debian's build). Unit edge weights, node weights 1 (or
 * (1, degree) to balance work too), the edge-cut objective, the seed given
 * to METIS_OPTION_SEED, so a seed gives the same parts. */
#include "graph/partition.h"

#include <stdint.h>
#include <stdlib.h>

#include <metis.h>

int graph_partition_metis_built(void) { return 1; }

int graph_partition_metis(const graph_csr_t *adj, uint32_t parts, uint64_t seed, int balance, uint32_t *part,
                          err_t *e)
{
    uint32_t n = adj->n_rows;
    if (parts == 0 || parts > n) return err_set(e, ERR_USAGE, "--parts: %u parts for %u nodes", parts, n);
    if (parts == 1) {   /* METIS is not asked for the trivial partition */
        for (uint32_t v = 0; v < n; v++) part[v] = 0;
        return ERR_OK;
    }
    uint64_t idx_max = sizeof(idx_t) == 4 ? INT32_MAX : INT64_MAX;
    if (adj->nnz > idx_max || n > idx_max)
        return err_set(e, ERR_USAGE, "--method metis: %llu adjacency entries, more than METIS's %zu-bit idx_t holds "
                                     "(use --method hash)", (unsigned long long)adj->nnz, 8 * sizeof(idx_t));
    idx_t *xadj = malloc(((size_t)n + 1) * sizeof *xadj);
    idx_t *adjncy = malloc((size_t)(adj->nnz ? adj->nnz : 1) * sizeof *adjncy);
    idx_t *where = malloc((size_t)(n ? n : 1) * sizeof *where);
    idx_t ncon = balance == GRAPH_PART_BY_WORK ? 2 : 1;
    idx_t *vwgt = ncon == 2 ? malloc((size_t)(n ? n : 1) * 2 * sizeof *vwgt) : NULL;   /* [n x 2] */
    int rc = ERR_OK;
    if (!xadj || !adjncy || !where || (ncon == 2 && !vwgt)) {
        rc = err_set(e, ERR_NOMEM, "--method metis: out of memory for %llu entries", (unsigned long long)adj->nnz);
        goto out;
    }
    for (uint32_t v = 0; v <= n; v++) xadj[v] = (idx_t)adj->ptr[v];
    for (uint64_t k = 0; k < adj->nnz; k++) adjncy[k] = (idx_t)adj->col[k];
    for (uint32_t v = 0; vwgt && v < n; v++) {   /* memory (a row) and work (its entries) */
        vwgt[2 * (size_t)v] = 1;
        vwgt[2 * (size_t)v + 1] = (idx_t)(adj->ptr[v + 1] - adj->ptr[v]);
    }
    idx_t nvtxs = (idx_t)n, nparts = (idx_t)parts, objval = 0;
    idx_t options[METIS_NOPTIONS];
    METIS_SetDefaultOptions(options);
    options[METIS_OPTION_OBJTYPE] = METIS_OBJTYPE_CUT;
    options[METIS_OPTION_NUMBERING] = 0;
    options[METIS_OPTION_SEED] = (idx_t)(seed % 2147483647u);
    int m = METIS_PartGraphKway(&nvtxs, &ncon, xadj, adjncy, vwgt, NULL, NULL, &nparts, NULL, NULL, options,
                                &objval, where);
    if (m != METIS_OK) {
        rc = err_set(e, m == METIS_ERROR_MEMORY ? ERR_NOMEM : ERR_INTERNAL, "METIS_PartGraphKway failed (%s)",
                     m == METIS_ERROR_MEMORY ? "out of memory" : m == METIS_ERROR_INPUT ? "bad input" : "error");
        goto out;
    }
    for (uint32_t v = 0; v < n; v++) {
        if (where[v] < 0 || (uint64_t)where[v] >= parts) {
            rc = err_set(e, ERR_INTERNAL, "METIS put node %u in part %lld of %u", v, (long long)where[v], parts);
            goto out;
        }
        part[v] = (uint32_t)where[v];
    }
out:
    free(xadj);
    free(adjncy);
    free(where);
    free(vwgt);
    return rc;
}
