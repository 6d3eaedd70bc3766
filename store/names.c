/* names.c - see store.h: the item names (build-graph --item-names) kept as
 * one meta record STORE_META_ITEM_NAMES: u32 LE count, then per item in id
 * order u32 LE item, u32 LE length and the name's bytes. A merge rewrites
 * the record in the caller's write transaction (so build-graph's one
 * transaction covers it); a name given again replaces the stored one. The
 * record is read into owned arrays (it may sit unaligned in the map). */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

void store_names_destroy(store_names_t *nm)
{
    free(nm->item); free(nm->off); free(nm->text);
    memset(nm, 0, sizeof *nm);
}

int store_names_load(store_txn_t *t, store_names_t *nm, err_t *e)
{
    const void *data;
    size_t len;
    memset(nm, 0, sizeof *nm);
    int rc = store_meta_get(t, STORE_META_ITEM_NAMES, &data, &len, e);
    if (rc == ERR_NOTFOUND) return ERR_OK;   /* no names: an empty table */
    if (rc) return rc;
    const unsigned char *p = data, *end = p + len;
    if (len < 4) return err_set(e, ERR_STORE, "the store's item names record is cut short");
    uint32_t n = rd32(p);
    p += 4;
    nm->item = malloc((n ? n : 1) * sizeof *nm->item);
    nm->off = malloc(((size_t)n + 1) * sizeof *nm->off);
    nm->text = malloc(len);
    if (!nm->item || !nm->off || !nm->text) {
        store_names_destroy(nm);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    nm->off[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t l = end - p >= 8 ? rd32(p + 4) : 0;
        if (end - p < 8 || (size_t)(end - p - 8) < l || (i && rd32(p) <= nm->item[i - 1])) {
            store_names_destroy(nm);
            return err_set(e, ERR_STORE, "the store's item names record is damaged (entry %u)", i);
        }
        nm->item[i] = rd32(p);
        memcpy(nm->text + nm->off[i], p + 8, l);
        nm->off[i + 1] = nm->off[i] + l;
        p += 8 + l;
    }
    nm->n = n;
    return ERR_OK;
}

const char *store_names_find(const store_names_t *nm, uint32_t item, size_t *len)
{
    size_t lo = 0, hi = nm->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (nm->item[mid] < item) lo = mid + 1;
        else hi = mid;
    }
    if (lo == nm->n || nm->item[lo] != item) return NULL;
    *len = (size_t)(nm->off[lo + 1] - nm->off[lo]);
    return nm->text + nm->off[lo];
}

typedef struct pending { uint32_t item, j; } pending_t;

static int pending_cmp(const void *a, const void *b)
{
    uint32_t x = ((const pending_t *)a)->item, y = ((const pending_t *)b)->item;
    return x < y ? -1 : x > y;
}

int store_names_merge(store_txn_t *t, const uint32_t *item, const io_idlist_t *names, uint64_t *stored, err_t *e)
{
    store_names_t old;
    int rc = store_names_load(t, &old, e);
    if (rc) return rc;
    size_t n = names->n, bytes = 4;
    pending_t *pd = malloc((n ? n : 1) * sizeof *pd);
    if (!pd) {
        store_names_destroy(&old);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    for (size_t j = 0; j < n; j++) pd[j] = (pending_t){item[j], (uint32_t)j};
    qsort(pd, n, sizeof *pd, pending_cmp);   /* items are distinct (io_read_item_names) */
    bytes += (old.n ? (size_t)old.off[old.n] : 0) + 8 * ((size_t)old.n + n) + (size_t)names->off[n];
    unsigned char *rec = malloc(bytes), *p = rec + 4;
    uint32_t count = 0;
    if (!rec) rc = err_set(e, ERR_NOMEM, "out of memory");
    for (size_t a = 0, b = 0; !rc && (a < old.n || b < n); count++) {
        int take_new = b < n && (a == old.n || pd[b].item <= old.item[a]);
        const char *s;
        size_t l;
        uint32_t it;
        if (take_new) {
            it = pd[b].item;
            s = io_idlist_at(names, pd[b++].j, &l);
            if (a < old.n && old.item[a] == it) a++;   /* replaced */
        } else {
            it = old.item[a];
            s = old.text + old.off[a];
            l = (size_t)(old.off[a + 1] - old.off[a]);
            a++;
        }
        wr32(p, it);
        wr32(p + 4, (uint32_t)l);
        memcpy(p + 8, s, l);
        p += 8 + l;
    }
    if (!rc) {
        wr32(rec, count);
        rc = store_meta_put(t, STORE_META_ITEM_NAMES, rec, (size_t)(p - rec), e);
    }
    if (!rc) *stored = count;
    free(rec); free(pd);
    store_names_destroy(&old);
    return rc;
}
