/* mem.h - memory for tables read at random in hot loops.
 *
 * mem_alloc_hot returns zeroed memory aligned to a cache line, and, when the
 * block is large (>= 1 MiB), aligned to 2 MiB and marked for transparent
 * huge pages: one TLB entry then covers 512 times more, which is what random
 * reads of hash slots or embedding rows miss on. free() releases it.
 */
#ifndef GNNREC_BASE_MEM_H
#define GNNREC_BASE_MEM_H

#include <stddef.h>

/* NULL when out of memory. */
void *mem_alloc_hot(size_t bytes);

#endif
