/* strmap.h - string -> dense uint32 id map (open addressing, one arena).
 *
 * The in-memory twin of the store's id maps: build-graph interns every
 * external id it parses here, in order of first appearance, so the dense ids
 * are 0..n-1 and strmap_name(m, id) gives the string back. The same map is
 * rank-feed's hot path (a few lookups per candidate, tens of millions of
 * candidates), so it is laid out for lookups that touch one cache line: a
 * 32-byte slot holds the hash, the id and the name itself when it has at
 * most STRMAP_INLINE bytes (longer names are compared in the arena). Load
 * <= 1/2 and a strong hash keep probe runs short. A caller with a batch of
 * ids hashes them (strmap_hash), prefetches their slots (strmap_prefetch)
 * and then looks them up (strmap_get_hashed), so the misses overlap.
 * Large slot tables live on huge pages (base/mem.h).
 */
#ifndef GNNREC_BASE_STRMAP_H
#define GNNREC_BASE_STRMAP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define STRMAP_NONE UINT32_MAX
#define STRMAP_INLINE 16

typedef struct strmap_slot {
    uint64_t hash;
    uint32_t id1;                     /* id + 1, 0 = empty */
    uint32_t len;
    union {
        char name[STRMAP_INLINE];     /* len <= STRMAP_INLINE */
        uint64_t off;                 /* else: the name at arena + off */
    } u;
} strmap_slot_t;

typedef struct strmap {
    strmap_slot_t *slot;  /* [mask + 1], 64-byte aligned */
    size_t mask;
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
/* strmap_intern of s whose strmap_hash is h: a caller interning a batch
 * hashes and prefetches them all first (build-graph's adj lines). */
uint32_t strmap_intern_hashed(strmap_t *m, uint64_t h, const char *s, size_t len, int *added);
static inline const char *strmap_name(const strmap_t *m, uint32_t id) { return m->arena + m->off[id]; }
static inline uint32_t strmap_len(const strmap_t *m, uint32_t id) { return m->len[id]; }

/* 64-bit hash of a name (inline: the hot path runs it per id). */
static inline uint64_t strmap_hash(const char *s, size_t len)
{
    const uint64_t k = 0x9E3779B97F4A7C15ULL;
    uint64_t h = (uint64_t)len * k, w;
    for (; len >= 8; s += 8, len -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    if (len) {
        w = 0;
        memcpy(&w, s, len);
        h = (h ^ w) * k;
    }
    h ^= h >> 32;                    /* murmur-style finaliser: every input */
    h *= 0xd6e8feb86659fd93ULL;      /* bit reaches the low (slot) bits */
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    return h ^ (h >> 32);
}

static inline void strmap_prefetch(const strmap_t *m, uint64_t h)
{
    __builtin_prefetch(&m->slot[h & m->mask]);
}

/* a[0..len) == b[0..len): ids are short, and a call to memcmp costs more
 * than comparing them inline. */
static inline int strmap_same(const char *a, const char *b, size_t len)
{
    uint64_t x, y;
    for (; len >= 8; a += 8, b += 8, len -= 8) {
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) return 0;
    }
    for (; len; len--)
        if (*a++ != *b++) return 0;
    return 1;
}

/* The id of s (whose strmap_hash is h), or STRMAP_NONE. */
static inline uint32_t strmap_get_hashed(const strmap_t *m, uint64_t h, const char *s, size_t len)
{
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        const strmap_slot_t *sl = &m->slot[i];
        if (!sl->id1) return STRMAP_NONE;
        if (sl->hash == h && sl->len == len &&
            strmap_same(len <= STRMAP_INLINE ? sl->u.name : m->arena + sl->u.off, s, len))
            return sl->id1 - 1;
    }
}

#endif
