/* strmap.c - see strmap.h. Linear probing, load <= 1/2; the slot table
 * doubles and is rebuilt from the stored hashes when it fills. */
#include "base/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

int strmap_init(strmap_t *m)
{
    memset(m, 0, sizeof *m);
    m->mask = 1023;
    m->slot = mem_alloc_hot((m->mask + 1) * sizeof *m->slot);
    return m->slot ? 0 : -1;
}

void strmap_destroy(strmap_t *m)
{
    free(m->slot); free(m->off); free(m->len); free(m->arena);
    memset(m, 0, sizeof *m);
}

/* The slot holding s, or the empty one where it would go. */
static size_t find(const strmap_t *m, uint64_t h, const char *s, size_t len)
{
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        const strmap_slot_t *sl = &m->slot[i];
        if (!sl->id1 || (sl->hash == h && sl->len == len &&
                         strmap_same(len <= STRMAP_INLINE ? sl->u.name : m->arena + sl->u.off, s, len)))
            return i;
    }
}

uint32_t strmap_get(const strmap_t *m, const char *s, size_t len)
{
    return strmap_get_hashed(m, strmap_hash(s, len), s, len);
}

static int grow(strmap_t *m)
{
    size_t cap = 2 * (m->mask + 1);
    strmap_slot_t *slot = mem_alloc_hot(cap * sizeof *slot);
    if (!slot) return -1;
    for (size_t i = 0; i <= m->mask; i++) {
        if (!m->slot[i].id1) continue;
        size_t j = m->slot[i].hash & (cap - 1);
        while (slot[j].id1) j = (j + 1) & (cap - 1);
        slot[j] = m->slot[i];
    }
    free(m->slot);
    m->slot = slot;
    m->mask = cap - 1;
    return 0;
}

uint32_t strmap_intern(strmap_t *m, const char *s, size_t len, int *added)
{
    return strmap_intern_hashed(m, strmap_hash(s, len), s, len, added);
}

uint32_t strmap_intern_hashed(strmap_t *m, uint64_t h, const char *s, size_t len, int *added)
{
    if (added) *added = 0;
    size_t i = find(m, h, s, len);
    if (m->slot[i].id1) return m->slot[i].id1 - 1;
    if (m->n == STRMAP_NONE - 1 || len > UINT32_MAX) return STRMAP_NONE;
    if (m->n == m->off_cap) {
        size_t c = m->off_cap ? m->off_cap * 2 : 1024;
        uint64_t *off = realloc(m->off, c * sizeof *off);
        if (!off) return STRMAP_NONE;
        m->off = off;
        uint32_t *ln = realloc(m->len, c * sizeof *ln);
        if (!ln) return STRMAP_NONE;
        m->len = ln;
        m->off_cap = c;
    }
    if (m->arena_len + len + 1 > m->arena_cap) {
        size_t c = m->arena_cap ? m->arena_cap * 2 : 16384;
        while (c < m->arena_len + len + 1) c *= 2;
        char *a = realloc(m->arena, c);
        if (!a) return STRMAP_NONE;
        m->arena = a; m->arena_cap = c;
    }
    uint32_t id = m->n++;
    m->off[id] = m->arena_len;
    m->len[id] = (uint32_t)len;
    memcpy(m->arena + m->arena_len, s, len);
    m->arena[m->arena_len + len] = 0;
    m->arena_len += len + 1;
    strmap_slot_t *sl = &m->slot[i];
    sl->hash = h;
    sl->id1 = id + 1;
    sl->len = (uint32_t)len;
    if (len <= STRMAP_INLINE) memcpy(sl->u.name, s, len);
    else sl->u.off = m->off[id];
    if (added) *added = 1;
    if ((size_t)m->n * 2 > m->mask + 1 && grow(m)) return STRMAP_NONE;
    return id;
}
