/* mem.c - see mem.h. Huge pages are advice only: a kernel that refuses them
 * still gives aligned, zeroed memory. */
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void *mem_alloc_hot(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    void *p;
    size_t align = bytes < huge / 2 ? 64 : huge;   /* whole cache lines at least */
    bytes = (bytes ? bytes + align - 1 : align) / align * align;
    if (posix_memalign(&p, align, bytes)) return NULL;
    if (align == huge) madvise(p, bytes, MADV_HUGEPAGE);
    memset(p, 0, bytes);
    return p;
}
