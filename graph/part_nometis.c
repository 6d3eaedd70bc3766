/* part_nometis.c - graph_partition_metis in a build without METIS: says so
 * (the partition command exits 2 and names the package). */
#include "graph/partition.h"

int graph_partition_metis_built(void) { return 0; }

int graph_partition_metis(const graph_csr_t *adj, uint32_t parts, uint64_t seed, int balance, uint32_t *part,
                          err_t *e)
{
    (void)balance;
    (void)adj;
    (void)parts;
    (void)seed;
    (void)part;
    return err_set(e, ERR_USAGE, "--method metis: this gnnrec was built without METIS "
                                 "(install libmetis-dev and rebuild; or use --method hash)");
}
