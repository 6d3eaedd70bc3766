/* strmap.h - string -> dense uint32 id map (open addressing, one arena).
 *
 * The in-memory twin of the store's id maps: build-graph interns every
 * external id it parses here, in order of first appearance, so the dense ids
 * are 0..n-1 and strmap_name(m, id) gives the string back.
 */
#ifndef GNNREC_BASE_STRMAP_H
#define GNNREC_BASE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#define STRMAP_NONE UINT32_MAX

typedef struct strmap {
    uint32_t *slots;      /* [cap] id+1, 0 = empty */
    uint64_t *hashes;     /* [cap] */
    size_t cap;
    uint32_t n;           /* ids 0..n-1 */
    uint64_t *off;        /* [n] offset of name id in arena */
    uint32_t *len;        /* [n] */
    char *arena;          /* names, NUL-terminated */
    size_t arena_len, arena_cap;
    size_t off_cap;
} strmap_t;

int strmap_init(strmap_t *m);        /* 0 or -1 (out of memory) */
void strmap_destroy(strmap_t *m);
/* id of s, or STRMAP_NONE. */
uint32_t strmap_get(const strmap_t *m, const char *s, size_t len);
/* id of s, adding it (next dense id) if absent; *added = 1 if new.
 * Returns STRMAP_NONE on out of memory. */
uint32_t strmap_intern(strmap_t *m, const char *s, size_t len, int *added);
static inline const char *strmap_name(const strmap_t *m, uint32_t id) { return m->arena + m->off[id]; }
static inline uint32_t strmap_len(const strmap_t *m, uint32_t id) { return m->len[id]; }

#endif
