/* strmap.c - see strmap.h. FNV-1a hashing, linear probing, load <= 1/2. */
#include "base/strmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ULL; }
    return h ^ (h >> 29);
}

int strmap_init(strmap_t *m)
{
    memset(m, 0, sizeof *m);
    m->cap = 1024;
    m->slots = calloc(m->cap, sizeof *m->slots);
    m->hashes = calloc(m->cap, sizeof *m->hashes);
    return m->slots && m->hashes ? 0 : -1;
}

void strmap_destroy(strmap_t *m)
{
    free(m->slots); free(m->hashes); free(m->off); free(m->len); free(m->arena);
    memset(m, 0, sizeof *m);
}

static int eq(const strmap_t *m, uint32_t id, const char *s, size_t len)
{
    return m->len[id] == len && memcmp(m->arena + m->off[id], s, len) == 0;
}

uint32_t strmap_get(const strmap_t *m, const char *s, size_t len)
{
    uint64_t h = hash(s, len);
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        uint32_t v = m->slots[i];
        if (!v) return STRMAP_NONE;
        if (m->hashes[i] == h && eq(m, v - 1, s, len)) return v - 1;
    }
}

static int grow(strmap_t *m)
{
    size_t cap = m->cap * 2;
    uint32_t *slots = calloc(cap, sizeof *slots);
    uint64_t *hashes = calloc(cap, sizeof *hashes);
    if (!slots || !hashes) { free(slots); free(hashes); return -1; }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i]) continue;
        size_t j = m->hashes[i] & (cap - 1);
        while (slots[j]) j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
        hashes[j] = m->hashes[i];
    }
    free(m->slots); free(m->hashes);
    m->slots = slots; m->hashes = hashes; m->cap = cap;
    return 0;
}

uint32_t strmap_intern(strmap_t *m, const char *s, size_t len, int *added)
{
    if (added) *added = 0;
    uint64_t h = hash(s, len);
    size_t i = h & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        uint32_t v = m->slots[i];
        if (!v) break;
        if (m->hashes[i] == h && eq(m, v - 1, s, len)) return v - 1;
    }
    if (m->n == STRMAP_NONE - 1) return STRMAP_NONE;
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
    m->slots[i] = id + 1;
    m->hashes[i] = h;
    if (added) *added = 1;
    if ((size_t)m->n * 2 > m->cap && grow(m)) return STRMAP_NONE;
    return id;
}
