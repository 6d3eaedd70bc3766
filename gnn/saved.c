/* saved.c - the saved-model format (saved.h): meta versions, writers of
 * embedding models, checkpoints, pop and gf-cf/bspm, and the readers.
 * Assumes store_blob_* keys are (model name, key) and that a write
 * transaction is all-or-nothing (store_write). */
#include "gnn/saved.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/crc.h"

_Static_assert(sizeof(gnn_saved_meta_t) == 176, "meta version 2 is a fixed 176-byte record");

/* Meta version 1: the prefix of version 2 (the first 104 bytes). */
#define META_V1_BYTES 104u

/* ---- per-blob checksums: the blob GNN_SAVED_KEY_CRC (saved.h) ----
 * Layout: u32 version (1), u32 n, n entries {char key[16] NUL-padded;
 * u64 bytes; u32 crc32c; u32 zero}, then u32 crc32c of everything before
 * it. A model without the blob (saved before checksums) reads unchecked. */
#define CRC_VERSION 1u
#define CRC_MAX 16

typedef struct crc_entry {
    char key[16];
    uint64_t bytes;
    uint32_t crc, zero;
} crc_entry_t;

typedef struct crc_table {
    uint32_t n;
    crc_entry_t e[CRC_MAX];
} crc_table_t;

_Static_assert(sizeof(crc_entry_t) == 32, "a checksum entry is 32 bytes");

/* Record (or replace) key's checksum in tab. */
static void crc_add(crc_table_t *tab, const char *key, const void *p, size_t len)
{
    uint32_t i = 0;
    while (i < tab->n && strncmp(tab->e[i].key, key, sizeof tab->e[i].key)) i++;
    if (i == CRC_MAX) return;   /* more blob keys than the format has: cannot happen (GNN_SAVED_KEY_*) */
    if (i == tab->n) tab->n++;
    memset(&tab->e[i], 0, sizeof tab->e[i]);
    snprintf(tab->e[i].key, sizeof tab->e[i].key, "%s", key);
    tab->e[i].bytes = len;
    tab->e[i].crc = crc_32c(0, p, len);
}

static int crc_write(store_txn_t *t, const char *as, const crc_table_t *tab, err_t *e)
{
    unsigned char b[8 + sizeof tab->e + 4];
    const uint32_t v = CRC_VERSION, n = tab->n;
    memcpy(b, &v, 4);
    memcpy(b + 4, &n, 4);
    memcpy(b + 8, tab->e, n * sizeof tab->e[0]);
    const size_t len = 8 + n * sizeof tab->e[0];
    const uint32_t c = crc_32c(0, b, len);
    memcpy(b + len, &c, 4);
    return store_blob_put(t, as, GNN_SAVED_KEY_CRC, b, len + 4, e);
}

/* as's checksum table: ERR_NOTFOUND when it has none (saved before
 * checksums were recorded), ERR_STORE when the table itself is damaged. */
static int crc_read(store_txn_t *t, const char *as, crc_table_t *tab, err_t *e)
{
    const void *p;
    size_t len;
    err_t miss;
    memset(tab, 0, sizeof *tab);
    int rc = store_blob_get(t, as, GNN_SAVED_KEY_CRC, &p, &len, &miss);
    if (rc == ERR_NOTFOUND) return rc;   /* e untouched: not an error for the callers */
    if (rc) return err_set(e, rc, "%s", miss.msg);
    const unsigned char *b = p;
    uint32_t v = 0, n = 0, c = 0;
    if (len >= 12) {
        memcpy(&v, b, 4);
        memcpy(&n, b + 4, 4);
        memcpy(&c, b + len - 4, 4);
    }
    if (len < 12 || v != CRC_VERSION || n > CRC_MAX || len != 12 + (size_t)n * sizeof tab->e[0] ||
        crc_32c(0, b, len - 4) != c)
        return err_set(e, ERR_STORE, "model '%s': corrupt model blob %s (its checksum table is damaged): restore "
                       "the store from a copy or retrain the model", as, GNN_SAVED_KEY_CRC);
    tab->n = n;
    memcpy(tab->e, b + 8, (size_t)n * sizeof tab->e[0]);
    for (uint32_t i = 0; i < n; i++) tab->e[i].key[sizeof tab->e[i].key - 1] = 0;
    return ERR_OK;
}

static const crc_entry_t *crc_find(const crc_table_t *tab, const char *key)
{
    for (uint32_t i = 0; i < tab->n; i++)
        if (!strcmp(tab->e[i].key, key)) return &tab->e[i];
    return NULL;
}

/* ERR_STORE "corrupt model blob KEY" when p[len] is not what was saved. */
static int crc_verify(const char *as, const crc_entry_t *en, const void *p, size_t len, err_t *e)
{
    if (en->bytes != len)
        return err_set(e, ERR_STORE, "model '%s': corrupt model blob %s (%zu bytes, saved with %llu): restore the "
                       "store from a copy or retrain the model", as, en->key, len, (unsigned long long)en->bytes);
    const uint32_t c = crc_32c(0, p, len);
    if (c != en->crc)
        return err_set(e, ERR_STORE, "model '%s': corrupt model blob %s (CRC-32C 0x%08x, saved with 0x%08x): "
                       "restore the store from a copy or retrain the model", as, en->key, c, en->crc);
    return ERR_OK;
}

int gnn_saved_blob(store_txn_t *t, const char *name, const char *key, const void **p, size_t *len, err_t *e)
{
    int rc = store_blob_get(t, name, key, p, len, e);
    if (rc) return rc;
    crc_table_t tab;
    if ((rc = crc_read(t, name, &tab, e)) == ERR_NOTFOUND) return ERR_OK;   /* saved before checksums */
    if (rc) return rc;
    const crc_entry_t *en = crc_find(&tab, key);
    return en ? crc_verify(name, en, *p, *len, e) : ERR_OK;
}

int gnn_saved_floats(store_txn_t *t, const char *name, const char *key, const float **p, size_t *n, err_t *e)
{
    const void *raw;
    size_t len;
    int rc = gnn_saved_blob(t, name, key, &raw, &len, e);
    if (rc) return rc;
    return store_blob_get_floats(t, name, key, p, n, e);   /* the aligned view of the bytes just checked */
}

/* The value of `key:` in YAML-ish text written by an old gnnrec (one
 * `key: value` per line), or 0. Only version-1 records need it. */
static int v1_config_value(const char *cfg, size_t len, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);
    for (const char *q = cfg, *end = cfg + len; q < end;) {
        const char *eol = memchr(q, '\n', (size_t)(end - q));
        size_t ll = eol ? (size_t)(eol - q) : (size_t)(end - q);
        if (ll > kl && !memcmp(q, key, kl) && q[kl] == ':') {
            const char *v = q + kl + 1;
            size_t vl = ll - kl - 1;
            while (vl && *v == ' ') v++, vl--;
            snprintf(out, n, "%.*s", (int)vl, v);
            return 1;
        }
        q += ll + 1;
    }
    return 0;
}

/* The version-2 fields of a version-1 record, from its config text (absent
 * keys keep the defaults of the gnnrec that wrote it). */
static void v1_upgrade(store_txn_t *t, const char *name, gnn_saved_meta_t *m)
{
    const gnn_arch_t *a = gnn_arch_find(m->arch);
    m->arch_id = a ? (uint32_t)a->id : GNN_ARCH_N;
    m->w_social = m->w_knowledge = 1.0f;
    m->lr_min = 0.01f;
    const void *p;
    size_t len;
    err_t ignore;
    if (store_blob_get(t, name, GNN_SAVED_KEY_CONFIG, &p, &len, &ignore)) return;
    char v[256];
    if (v1_config_value(p, len, "edges", v, sizeof v))
        m->edges = GNN_SAVED_EDGE_INTERACTION | (strstr(v, "social") ? GNN_SAVED_EDGE_SOCIAL : 0u) |
                   (strstr(v, "knowledge") ? GNN_SAVED_EDGE_KNOWLEDGE : 0u);
    if (v1_config_value(p, len, "weight_social", v, sizeof v)) m->w_social = strtof(v, NULL);
    if (v1_config_value(p, len, "weight_knowledge", v, sizeof v)) m->w_knowledge = strtof(v, NULL);
    if (v1_config_value(p, len, "edge_norm", v, sizeof v)) m->edge_norm = !strcmp(v, "per-type");
    if (v1_config_value(p, len, "steps_per_epoch", v, sizeof v)) m->steps_per_epoch = (uint32_t)strtoul(v, NULL, 10);
    if (v1_config_value(p, len, "lr_warmup", v, sizeof v)) m->lr_warmup = strtof(v, NULL);
    if (v1_config_value(p, len, "lr_min", v, sizeof v)) m->lr_min = strtof(v, NULL);
    if (v1_config_value(p, len, "lr_decay_epochs", v, sizeof v)) m->lr_epochs = (uint32_t)strtoul(v, NULL, 10);
    if (v1_config_value(p, len, "valid_fraction", v, sizeof v)) m->valid_fraction = strtof(v, NULL);
    if (v1_config_value(p, len, "lr_decay", v, sizeof v))
        m->lr_decay = !strcmp(v, "cosine") ? GNN_LR_COSINE : !strcmp(v, "linear") ? GNN_LR_LINEAR : GNN_LR_CONSTANT;
}

/* Decode the meta record p[len] of model name (read through t). */
static int meta_decode(store_txn_t *t, const char *name, const void *p, size_t len, gnn_saved_meta_t *meta,
                       err_t *e)
{
    uint32_t version;
    if (len < sizeof version) return err_set(e, ERR_STORE, "model '%s': unreadable meta record", name);
    memcpy(&version, p, sizeof version);
    memset(meta, 0, sizeof *meta);
    if (version == 1 && len == META_V1_BYTES) {
        memcpy(meta, p, META_V1_BYTES);
        v1_upgrade(t, name, meta);
        return ERR_OK;
    }
    if (version == GNN_SAVED_VERSION && len == sizeof *meta) {
        memcpy(meta, p, sizeof *meta);
        meta->arch[sizeof meta->arch - 1] = 0;
        return ERR_OK;
    }
    if (version == 1 || version == GNN_SAVED_VERSION)
        return err_set(e, ERR_STORE, "model '%s': unreadable meta record", name);
    return err_set(e, ERR_USAGE, "model '%s' was saved by another gnnrec version (%u); retrain it", name, version);
}

static int not_found(const char *name, err_t *e)
{
    return err_set(e, ERR_NOTFOUND, "no model named '%s' in this store (train one: gnnrec train --model %s)",
                   name, name);
}

int gnn_saved_meta(store_txn_t *t, const char *name, gnn_saved_meta_t *meta, err_t *e)
{
    const void *p;
    size_t len;
    int rc = gnn_saved_blob(t, name, GNN_SAVED_KEY_META, &p, &len, e);
    if (rc == ERR_NOTFOUND) return not_found(name, e);
    if (rc) return rc;
    return meta_decode(t, name, p, len, meta, e);
}

int gnn_saved_joint(const gnn_saved_meta_t *meta)
{
    return (meta->edges & (GNN_SAVED_EDGE_SOCIAL | GNN_SAVED_EDGE_KNOWLEDGE)) != 0;
}

int gnn_saved_embeddings(store_txn_t *t, const char *name, gnn_saved_meta_t *meta,
                         const float **emb, err_t *e)
{
    int rc = gnn_saved_meta(t, name, meta, e);
    if (rc) return rc;
    uint64_t nu, ni;
    if ((rc = store_count_nodes(t, STORE_USER, &nu, e)) || (rc = store_count_nodes(t, STORE_ITEM, &ni, e)))
        return rc;
    if (nu != meta->n_users || ni != meta->n_items)
        return err_set(e, ERR_USAGE,
                       "model '%s' was trained on %u users and %u items; the store now has %llu and %llu: retrain it",
                       name, meta->n_users, meta->n_items, (unsigned long long)nu, (unsigned long long)ni);
    size_t n;
    if ((rc = gnn_saved_floats(t, name, GNN_SAVED_KEY_EMB, emb, &n, e))) return rc;
    if (n != ((size_t)meta->n_users + meta->n_items) * meta->dim)
        return err_set(e, ERR_STORE, "model '%s': embeddings have %zu floats, expected %zu", name, n,
                       ((size_t)meta->n_users + meta->n_items) * meta->dim);
    return ERR_OK;
}

int gnn_saved_head(store_txn_t *t, const char *name, const gnn_saved_meta_t *meta, gnn_head_t *h, const float **w,
                   err_t *e)
{
    const float *p;
    size_t n;
    memset(h, 0, sizeof *h);
    *w = NULL;
    err_t le = {0};
    int rc = gnn_saved_floats(t, name, GNN_SAVED_KEY_HEAD, &p, &n, &le);
    if (rc == ERR_NOTFOUND) return rc;   /* no head: the dot product, not an error to report */
    if (rc && e) *e = le;
    return rc ? rc : gnn_head_blob_read(p, n, name, meta->dim, h, w, e);
}

/* ---- writers ---- */

/* The staging name of model name; ERR_NOTFOUND when name is too long to
 * have one (store keys hold names of at most GNN_SAVED_NAME_MAX bytes). */
static int stage_name(const char *name, char *out, size_t n, err_t *e)
{
    if (strlen(name) + sizeof GNN_SAVED_STAGE_SUFFIX - 1 > GNN_SAVED_NAME_MAX ||
        strlen(name) + sizeof GNN_SAVED_STAGE_SUFFIX > n)
        return err_set(e, ERR_NOTFOUND, "model name '%.40s...' is too long to checkpoint (at most %u bytes)", name,
                       (unsigned)(GNN_SAVED_NAME_MAX - sizeof GNN_SAVED_STAGE_SUFFIX + 1));
    snprintf(out, n, "%s%s", name, GNN_SAVED_STAGE_SUFFIX);
    return ERR_OK;
}

/* Put one blob and record its checksum in tab (written by crc_write). */
static int put(store_txn_t *t, const char *as, const char *key, const void *p, size_t len, crc_table_t *tab,
               err_t *e)
{
    int rc = store_blob_put(t, as, key, p, len, e);
    if (!rc) crc_add(tab, key, p, len);
    return rc;
}

/* One table blob: put from src, or (f) reserved and filled by f->fn. */
static int put_table(store_txn_t *t, const char *as, const char *key, int which, const float *src, size_t len,
                     const gnn_saved_fill_t *f, crc_table_t *tab, err_t *e)
{
    if (!f) return put(t, as, key, src, len, tab, e);
    void *p = NULL;
    int rc = store_blob_reserve(t, as, key, len, &p, e);
    if (!rc) rc = f->fn(f->ctx, which, p, len / sizeof(float), e);
    if (!rc) crc_add(tab, key, p, len);
    return rc;
}

/* The blobs of m under `as` (meta under meta_key), with their checksums;
 * f: the tables come from f instead of m's pointers (no entity rows). */
static int put_blobs(store_txn_t *t, const char *as, const char *meta_key, const gnn_saved_model_t *m,
                     const gnn_saved_fill_t *f, err_t *e)
{
    gnn_saved_meta_t meta = m->meta;
    meta.version = GNN_SAVED_VERSION;
    meta.saved_at = (uint32_t)time(NULL);
    const size_t emb_bytes = ((size_t)meta.n_users + meta.n_items) * meta.dim * sizeof(float);
    const size_t ent_bytes = (size_t)meta.n_entities * meta.dim * sizeof(float);
    const char *cfg = m->config ? m->config : "";
    crc_table_t tab = {0};
    int rc;
    if ((rc = put(t, as, meta_key, &meta, sizeof meta, &tab, e)) ||
        (rc = put(t, as, GNN_SAVED_KEY_CONFIG, cfg, strlen(cfg), &tab, e)) ||
        (rc = put(t, as, GNN_SAVED_KEY_METRICS, m->metrics ? m->metrics : "", m->metrics_len, &tab, e)))
        return rc;
    const int with_emb = f ? !f->no_emb : m->emb != NULL;
    if (with_emb && (rc = put_table(t, as, GNN_SAVED_KEY_EMB, GNN_SAVED_TABLE_EMB, m->emb, emb_bytes, f, &tab, e)))
        return rc;
    if (with_emb && ent_bytes &&
        (rc = put_table(t, as, GNN_SAVED_KEY_EMB_ENTITIES, GNN_SAVED_TABLE_EMB_ENTITIES,
                        m->emb ? (const float *)((const char *)m->emb + emb_bytes) : NULL, ent_bytes, f, &tab, e)))
        return rc;
    if (m->emb && m->copied) m->copied(m->copied_ctx, m->emb);
    if (m->params || (f && m->n_params)) {
        const size_t par_bytes = m->n_params * sizeof(float);
        static const char *const keys[3] = {GNN_SAVED_KEY_PARAMS, GNN_SAVED_KEY_ADAM_M, GNN_SAVED_KEY_ADAM_V};
        static const int ids[3] = {GNN_SAVED_TABLE_PARAMS, GNN_SAVED_TABLE_ADAM_M, GNN_SAVED_TABLE_ADAM_V};
        const float *tabs[3] = {m->params, m->adam_m, m->adam_v};
        for (int k = 0; k < 3; k++) {
            if ((rc = put_table(t, as, keys[k], ids[k], tabs[k], par_bytes, f, &tab, e))) return rc;
            if (m->copied && tabs[k]) m->copied(m->copied_ctx, tabs[k]);
        }
    }
    if (m->head) {
        void *hb = malloc(gnn_head_blob_bytes(m->head));
        if (!hb) return err_set(e, ERR_NOMEM, "out of memory");
        gnn_head_blob_write(m->head, m->head_w, hb);
        rc = put(t, as, GNN_SAVED_KEY_HEAD, hb, gnn_head_blob_bytes(m->head), &tab, e);
        free(hb);
        if (rc) return rc;
    }
    return crc_write(t, as, &tab, e);
}

int gnn_saved_unstage(store_txn_t *t, const char *name, err_t *e)
{
    char st[256];
    err_t ignore;
    /* a name too long for a staging has none to drop */
    return stage_name(name, st, sizeof st, &ignore) ? ERR_OK : store_model_delete(t, st, e);
}

static int write_model(store_txn_t *t, const char *name, const gnn_saved_model_t *m, const gnn_saved_fill_t *f,
                       err_t *e)
{
    int rc;
    /* a model saved again under the same name replaces the old one whole */
    if ((rc = store_model_delete(t, name, e)) || (rc = gnn_saved_unstage(t, name, e))) return rc;
    return put_blobs(t, name, GNN_SAVED_KEY_META, m, f, e);
}

int gnn_saved_write(store_txn_t *t, const char *name, const gnn_saved_model_t *m, err_t *e)
{
    return write_model(t, name, m, NULL, e);
}

static int stage_model(store_txn_t *t, const char *name, const gnn_saved_model_t *m, const gnn_saved_fill_t *f,
                       err_t *e)
{
    char st[256];
    int rc;
    if ((rc = stage_name(name, st, sizeof st, e))) return ERR_USAGE;
    if ((rc = store_model_delete(t, st, e))) return rc;
    return put_blobs(t, st, GNN_SAVED_KEY_RUN_META, m, f, e);
}

int gnn_saved_stage(store_txn_t *t, const char *name, const gnn_saved_model_t *m, err_t *e)
{
    return stage_model(t, name, m, NULL, e);
}

int gnn_saved_write_pop(store_txn_t *t, const char *name, uint32_t n_users, uint32_t n_items, uint64_t seed,
                        const float *emb, const char *config, err_t *e)
{
    gnn_saved_model_t m = {.meta = {.n_users = n_users, .n_items = n_items, .dim = 1, .seed = seed,
                                    .best_metric = -1.0, .arch_id = GNN_ARCH_POP,
                                    .edges = GNN_SAVED_EDGE_INTERACTION},
                           .config = config, .emb = emb};
    snprintf(m.meta.arch, sizeof m.meta.arch, "%s", gnn_arch_get(GNN_ARCH_POP)->name);
    return gnn_saved_write(t, name, &m, e);
}

/* V [I x k], or ease's B in its chunks of rows (gfcf.h) */
static int put_gfcf_v(store_txn_t *t, const char *name, const gnn_gfcf_t *m, crc_table_t *tab, err_t *e)
{
    const size_t ni = m->n_items;
    if (m->p.variant != GNN_GFCF_EASE) return put(t, name, GNN_SAVED_KEY_GFCF_V, m->v, ni * m->k * sizeof(float), tab, e);
    char key[24];
    int rc = ERR_OK;
    for (uint32_t c = 0; c < m->ease_chunks && !rc; c++) {
        const size_t len = gnn_ease_chunk_len(m->n_items, c);
        rc = put(t, name, gnn_ease_chunk_key(c, key), m->ease_b[c], len * ni * sizeof(float), tab, e);
    }
    return rc;
}

int gnn_gfcf_save(store_txn_t *t, const char *name, const gnn_gfcf_t *m, const char *config,
                  double fit_seconds, err_t *e)
{
    const gnn_arch_t *a = gnn_arch_find(gnn_gfcf_variant_name(m->p.variant));
    const gnn_arch_id_t id = a ? a->id : GNN_ARCH_GFCF;
    gnn_saved_meta_t meta = {.version = GNN_SAVED_VERSION, .n_users = m->n_users, .n_items = m->n_items,
                             .dim = m->k, .seed = m->p.seed, .best_metric = -1.0,
                             .train_seconds = fit_seconds, .arch_id = id, .edges = GNN_SAVED_EDGE_INTERACTION,
                             .saved_at = (uint32_t)time(NULL)};
    snprintf(meta.arch, sizeof meta.arch, "%s", gnn_arch_get(id)->name);
    gnn_gfcf_params_t p = m->p;
    p.svd_k = m->k;   /* what was kept (clipped to min(U, I)) */
    crc_table_t tab = {0};
    int rc;
    if ((rc = store_model_delete(t, name, e)) || (rc = gnn_saved_unstage(t, name, e)) ||
        (rc = put(t, name, GNN_SAVED_KEY_META, &meta, sizeof meta, &tab, e)) ||
        (rc = put(t, name, GNN_SAVED_KEY_CONFIG, config, strlen(config), &tab, e)) ||
        (rc = put(t, name, GNN_SAVED_KEY_GFCF, &p, sizeof p, &tab, e)) ||
        (rc = put_gfcf_v(t, name, m, &tab, e)) ||
        (rc = put(t, name, GNN_SAVED_KEY_GFCF_S, m->s_own, (size_t)m->k * sizeof(float), &tab, e)) ||
        (m->idx && (rc = put(t, name, GNN_SAVED_KEY_KNN_IDX, m->idx, (size_t)m->n_items * m->k * 4, &tab, e))) ||
        (rc = put(t, name, GNN_SAVED_KEY_METRICS, "", 0, &tab, e)))
        return rc;
    return crc_write(t, name, &tab, e);
}

/* ---- the checkpoint --resume reads ---- */

static int get_floats_opt(store_txn_t *t, const char *as, const char *key, const float **p, size_t *n, err_t *e)
{
    *p = NULL;
    *n = 0;
    int rc = gnn_saved_floats(t, as, key, p, n, e);
    if (rc == ERR_NOTFOUND) {
        *p = NULL;
        *n = 0;
        return ERR_OK;
    }
    return rc;
}

int gnn_saved_staged(store_txn_t *t, const char *name)
{
    char st[256];
    const void *p;
    size_t len;
    err_t ignore;
    return stage_name(name, st, sizeof st, &ignore) == ERR_OK &&
           store_blob_get(t, st, GNN_SAVED_KEY_RUN_META, &p, &len, &ignore) == ERR_OK;
}

static int unstage_txn(store_txn_t *t, void *ctx, err_t *e) { return gnn_saved_unstage(t, ctx, e); }

int gnn_saved_abandon(store_t *s, const char *name, err_t *e)
{
    store_txn_t t;
    int rc = store_read_begin(s, &t, e);
    if (rc) return rc;
    const int staged = gnn_saved_staged(&t, name);
    store_read_end(&t);
    return staged ? store_write(s, unstage_txn, (void *)name, e) : ERR_OK;
}

int gnn_saved_check_stage_name(const char *name, uint32_t every, err_t *e)
{
    const size_t most = (size_t)GNN_SAVED_NAME_MAX - strlen(GNN_SAVED_STAGE_SUFFIX);
    if (every && strlen(name) > most)
        return err_set(e, ERR_USAGE, "model name of %zu bytes: checkpoints need at most %zu (or --checkpoint-every 0)",
                       strlen(name), most);
    return ERR_OK;
}

int gnn_saved_stage_meta(store_txn_t *t, const char *name, gnn_saved_meta_t *meta, err_t *e)
{
    char st[256];
    const void *p;
    size_t len;
    int rc = stage_name(name, st, sizeof st, e);
    if (!rc) rc = gnn_saved_blob(t, st, GNN_SAVED_KEY_RUN_META, &p, &len, e);
    return rc ? rc : meta_decode(t, st, p, len, meta, e);
}

int gnn_saved_checkpoint(store_txn_t *t, const char *name, gnn_saved_checkpoint_t *c, err_t *e)
{
    char st[256];
    const void *p;
    size_t len;
    memset(c, 0, sizeof *c);
    int rc = stage_name(name, st, sizeof st, e);
    const char *as = st;
    if (!rc) rc = gnn_saved_blob(t, st, GNN_SAVED_KEY_RUN_META, &p, &len, e);
    if (rc == ERR_NOTFOUND) {
        as = name;
        rc = gnn_saved_blob(t, name, GNN_SAVED_KEY_META, &p, &len, e);
        if (rc == ERR_NOTFOUND) return not_found(name, e);
    } else c->staged = 1;
    if (rc || (rc = meta_decode(t, as, p, len, &c->meta, e))) return rc;
    const float *v[3];
    size_t n[3];
    static const char *const keys[3] = {GNN_SAVED_KEY_PARAMS, GNN_SAVED_KEY_ADAM_M, GNN_SAVED_KEY_ADAM_V};
    for (int k = 0; k < 3; k++) {
        if ((rc = gnn_saved_floats(t, as, keys[k], &v[k], &n[k], e))) return rc;
        if (n[k] != n[0]) return err_set(e, ERR_STORE, "model '%s': checkpoint blobs of different sizes", name);
    }
    c->params = v[0];
    c->adam_m = v[1];
    c->adam_v = v[2];
    c->n_params = n[0];
    if ((rc = get_floats_opt(t, as, GNN_SAVED_KEY_EMB, &c->emb, &c->n_emb, e)) ||
        (rc = get_floats_opt(t, as, GNN_SAVED_KEY_EMB_ENTITIES, &c->emb_entities, &c->n_emb_entities, e)) ||
        (rc = get_floats_opt(t, as, GNN_SAVED_KEY_HEAD, &c->head, &c->n_head, e)))
        return rc;
    rc = gnn_saved_blob(t, as, GNN_SAVED_KEY_METRICS, &p, &len, e);
    if (rc == ERR_NOTFOUND) return ERR_OK;
    if (rc) return rc;
    c->metrics = p;
    c->metrics_len = len;
    return ERR_OK;
}

/* ---- the IVF index (gnn/ivf.h) ---- */

int gnn_saved_ivf_put(store_txn_t *t, const char *name, const gnn_ivf_t *ix, err_t *e)
{
    const size_t nl = ix->nlist, d = ix->dim, ni = ix->n_items;
    const size_t words = 4 + nl * d + (nl + 1) + ni + ni * d;
    uint32_t *blob = malloc(words * sizeof *blob);
    if (!blob) return err_set(e, ERR_NOMEM, "out of memory for the index of model '%s'", name);
    uint32_t *w = blob;
    w[0] = 1; w[1] = ix->nlist; w[2] = ix->dim; w[3] = ix->n_items;
    w += 4;
    memcpy(w, ix->centroids, nl * d * sizeof(float)); w += nl * d;
    memcpy(w, ix->list_ptr, (nl + 1) * sizeof *w); w += nl + 1;
    memcpy(w, ix->list_item, ni * sizeof *w); w += ni;
    memcpy(w, ix->list_emb, ni * d * sizeof(float));
    /* the index joins the model's checksum table; a model saved before
     * checksums gets a table holding only the index's (the rest stay
     * unchecked, as before) */
    crc_table_t tab;
    int rc = crc_read(t, name, &tab, e);
    if (rc == ERR_OK || rc == ERR_NOTFOUND) rc = put(t, name, GNN_SAVED_KEY_IVF, blob, words * sizeof *blob, &tab, e);
    if (!rc) rc = crc_write(t, name, &tab, e);
    free(blob);
    return rc;
}

int gnn_saved_ivf_get(store_txn_t *t, const char *name, const gnn_saved_meta_t *meta, gnn_ivf_t *ix, err_t *e)
{
    const float *f;
    size_t n;
    int rc = gnn_saved_floats(t, name, GNN_SAVED_KEY_IVF, &f, &n, e);
    if (rc == ERR_NOTFOUND)
        return err_set(e, ERR_NOTFOUND, "model '%s' has no index: run gnnrec index --model %s", name, name);
    if (rc) return rc;
    /* the blob is 32-bit words: the header and the id arrays are read as
     * such (the memory map's bytes have no declared type) */
    const uint32_t *w = (const uint32_t *)(const void *)f;
    if (n < 4 || w[0] != 1) return err_set(e, ERR_STORE, "model '%s': index of an unknown layout", name);
    const uint64_t nl = w[1], d = w[2], ni = w[3];
    if (d != meta->dim || ni != meta->n_items || nl == 0 || 4 + nl * d + (nl + 1) + ni + ni * d != n)
        return err_set(e, ERR_STORE, "model '%s': its index (%llu items x %llu dims) does not match the model "
                       "(%u x %u): run gnnrec index again", name, (unsigned long long)ni, (unsigned long long)d,
                       meta->n_items, meta->dim);
    const float *cent = f + 4;
    const uint32_t *ptr = w + 4 + nl * d, *items = ptr + nl + 1;
    const float *lemb = f + 4 + nl * d + (nl + 1) + ni;
    return gnn_ivf_view(ix, (uint32_t)ni, (uint32_t)d, (uint32_t)nl, cent, ptr, items, lemb, e);
}

/* the model must still be the one indexed: a train that replaced it while
 * the index was built would leave an index of other rows */
typedef struct ivf_put {
    const char *name;
    const gnn_ivf_t *ix;
    const gnn_saved_meta_t *built;
} ivf_put_t;

static int write_ivf(store_txn_t *t, void *ctx, err_t *e)
{
    const ivf_put_t *p = ctx;
    gnn_saved_meta_t now;
    int rc = gnn_saved_meta(t, p->name, &now, e);
    if (rc) return rc;
    if (now.step != p->built->step || now.epoch != p->built->epoch || now.train_seconds != p->built->train_seconds)
        return err_set(e, ERR_USAGE, "model '%s' was retrained while its index was built: run gnnrec index again",
                       p->name);
    return gnn_saved_ivf_put(t, p->name, p->ix, e);
}

int gnn_saved_ivf_build(store_t *s, const char *name, uint32_t nlist, uint32_t iters, uint64_t seed, int threads,
                        gnn_ivf_t *out, err_t *e)
{
    store_txn_t t;
    gnn_saved_meta_t meta;
    const float *emb;
    memset(out, 0, sizeof *out);
    int rc = store_read_begin(s, &t, e);
    if (rc) return rc;
    if (!(rc = gnn_saved_meta(&t, name, &meta, e))) {
        const gnn_arch_t *a = gnn_arch_find(meta.arch);
        if (!a || a->kind != GNN_KIND_EMBED)
            rc = err_set(e, ERR_USAGE, "model '%s' (%s) is not an embedding model: nothing to index", name, meta.arch);
    }
    if (!rc && !(rc = gnn_saved_embeddings(&t, name, &meta, &emb, e)))
        rc = gnn_ivf_build(out, emb + (size_t)meta.n_users * meta.dim, meta.n_items, meta.dim, nlist, iters, seed,
                           threads, e);
    store_read_end(&t);
    if (rc) return rc;
    ivf_put_t p = {name, out, &meta};
    if ((rc = store_write(s, write_ivf, &p, e))) gnn_ivf_destroy(out);
    return rc;
}

/* ---- `gnnrec check` of one model (saved.h) ---- */

typedef struct blob_seen {
    store_check_t *c;
    const char *name;
    const crc_table_t *tab;   /* NULL: the model has no checksum table */
    int have_crc;
    uint64_t unchecked;
    uint32_t found;           /* bit i: tab->e[i] has its blob */
    struct { char key[16]; size_t len; } sz[CRC_MAX];   /* the sizes of the known blobs */
    uint32_t n_sz;
} blob_seen_t;

static void check_blob(const char *key, const void *p, size_t len, void *ctx)
{
    blob_seen_t *b = ctx;
    if (!strcmp(key, GNN_SAVED_KEY_CRC)) return;
    b->c->blobs++;
    if (b->n_sz < CRC_MAX && strlen(key) < sizeof b->sz[0].key) {
        snprintf(b->sz[b->n_sz].key, sizeof b->sz[0].key, "%s", key);
        b->sz[b->n_sz++].len = len;
    }
    const crc_entry_t *en = b->tab ? crc_find(b->tab, key) : NULL;
    if (!en) {
        b->unchecked++;
        b->c->blobs_unchecked++;
        return;
    }
    b->found |= 1u << (en - b->tab->e);
    err_t why;
    if (crc_verify(b->name, en, p, len, &why)) store_check_problem(b->c, "%s", why.msg);
    else b->c->blobs_checked++;
}

/* The size of blob key (SIZE_MAX: absent). */
static size_t seen_len(const blob_seen_t *b, const char *key)
{
    for (uint32_t i = 0; i < b->n_sz; i++)
        if (!strcmp(b->sz[i].key, key)) return b->sz[i].len;
    return SIZE_MAX;
}

/* A blob's size against what the meta implies; absent is fine when optional. */
static void want_len(const blob_seen_t *b, const char *key, size_t want, int optional)
{
    const size_t got = seen_len(b, key);
    if (got == SIZE_MAX) {
        if (!optional) store_check_problem(b->c, "model '%s': blob %s is missing", b->name, key);
        return;
    }
    if (got != want)
        store_check_problem(b->c, "model '%s': blob %s has %zu bytes, its meta implies %zu", b->name, key, got, want);
}

int gnn_saved_check(store_txn_t *t, const char *name, store_check_t *c, err_t *e)
{
    crc_table_t tab;
    blob_seen_t b = {.c = c, .name = name};
    err_t why;
    int rc = crc_read(t, name, &tab, &why);
    if (rc == ERR_OK) b.tab = &tab;
    else if (rc != ERR_NOTFOUND) store_check_problem(c, "%s", why.msg);
    if ((rc = store_blob_each(t, name, check_blob, &b, e))) return rc;
    for (uint32_t i = 0; b.tab && i < tab.n; i++)
        if (!(b.found >> i & 1u))
            store_check_problem(c, "model '%s': blob %s has a checksum but is missing", name, tab.e[i].key);
    if (b.unchecked)
        store_check_remark(c, "model '%s': no checksum for %llu blob%s (saved before gnnrec recorded them): %s", name,
                           (unsigned long long)b.unchecked, b.unchecked == 1 ? "" : "s",
                           "checked against its meta only");
    c->models++;

    /* the meta record, under "meta" or, for a staging, "run_meta" */
    const size_t sl = strlen(name), xl = sizeof GNN_SAVED_STAGE_SUFFIX - 1;
    const int staging = sl > xl && !strcmp(name + sl - xl, GNN_SAVED_STAGE_SUFFIX) &&
                        seen_len(&b, GNN_SAVED_KEY_RUN_META) != SIZE_MAX;
    const char *mk = staging ? GNN_SAVED_KEY_RUN_META : GNN_SAVED_KEY_META;
    const void *p;
    size_t len;
    gnn_saved_meta_t m;
    if (store_blob_get(t, name, mk, &p, &len, &why) == ERR_NOTFOUND) {
        store_check_problem(c, "model '%s': blobs without a meta record (%s)", name, mk);
        return ERR_OK;
    }
    if (meta_decode(t, name, p, len, &m, &why)) {
        store_check_problem(c, "model '%s': %s", name, why.msg);
        return ERR_OK;
    }
    uint64_t nu = 0, ni = 0;
    if ((rc = store_count_nodes(t, STORE_USER, &nu, e)) || (rc = store_count_nodes(t, STORE_ITEM, &ni, e))) return rc;
    if (m.n_users > nu || m.n_items > ni)
        store_check_problem(c, "model '%s': its meta names %u users and %u items, more than the store's %llu and %llu",
                            name, m.n_users, m.n_items, (unsigned long long)nu, (unsigned long long)ni);
    else if (m.n_users < nu || m.n_items < ni)
        store_check_remark(c, "model '%s' was trained on %u users and %u items; the store now has %llu and %llu "
                           "(appended since): retrain it to serve them", name, m.n_users, m.n_items,
                           (unsigned long long)nu, (unsigned long long)ni);

    const gnn_arch_t *a = gnn_arch_find(m.arch);
    const size_t f = sizeof(float);
    if (!a) {
        store_check_problem(c, "model '%s': unknown architecture '%s' in its meta", name, m.arch);
    } else if (a->kind == GNN_KIND_FILTER) {
        const size_t gl = seen_len(&b, GNN_SAVED_KEY_GFCF);
        if (gl != GNN_GFCF_V1_SIZE && gl != GNN_GFCF_V2_SIZE)   /* version 1 and 2 records stay readable */
            want_len(&b, GNN_SAVED_KEY_GFCF, sizeof(gnn_gfcf_params_t), 0);
        if (a->id == GNN_ARCH_EASE) {   /* B [I x I] in chunks of rows */
            char key[24];
            for (uint32_t ch = 0; ch < gnn_ease_chunks(m.n_items); ch++) {
                want_len(&b, gnn_ease_chunk_key(ch, key), (size_t)gnn_ease_chunk_len(m.n_items, ch) * m.n_items * f, 0);
            }
        } else {
            want_len(&b, GNN_SAVED_KEY_GFCF_V, (size_t)m.n_items * m.dim * f, 0);
        }
        want_len(&b, GNN_SAVED_KEY_GFCF_S, (size_t)m.dim * f, 0);
        if (a->id == GNN_ARCH_ITEMKNN) want_len(&b, GNN_SAVED_KEY_KNN_IDX, (size_t)m.n_items * m.dim * 4, 0);
    } else {
        /* a staging has no embeddings until its first evaluation */
        want_len(&b, GNN_SAVED_KEY_EMB, ((size_t)m.n_users + m.n_items) * m.dim * f, staging);
        if (m.n_entities) want_len(&b, GNN_SAVED_KEY_EMB_ENTITIES, (size_t)m.n_entities * m.dim * f, 1);
        const size_t np = seen_len(&b, GNN_SAVED_KEY_PARAMS);
        if (np != SIZE_MAX && np % f)
            store_check_problem(c, "model '%s': blob %s is not a float array (%zu bytes)", name, GNN_SAVED_KEY_PARAMS,
                                np);
        if (np != SIZE_MAX || a->kind == GNN_KIND_EMBED) {
            want_len(&b, GNN_SAVED_KEY_PARAMS, np, 0);
            want_len(&b, GNN_SAVED_KEY_ADAM_M, np, 0);
            want_len(&b, GNN_SAVED_KEY_ADAM_V, np, 0);
        }
    }
    if (seen_len(&b, GNN_SAVED_KEY_IVF) != SIZE_MAX) {
        gnn_ivf_t ix;
        memset(&ix, 0, sizeof ix);
        if (gnn_saved_ivf_get(t, name, &m, &ix, &why) && why.code != ERR_NOTFOUND)
            store_check_problem(c, "%s", why.msg);
        gnn_ivf_destroy(&ix);
    }
    gnn_head_t h;
    const float *hw;
    if (seen_len(&b, GNN_SAVED_KEY_HEAD) != SIZE_MAX && gnn_saved_head(t, name, &m, &h, &hw, &why))
        store_check_problem(c, "%s", why.msg);
    return ERR_OK;
}

/* ---- gnn_saved_put: one model, one write transaction ---- */

typedef struct put_ctx {
    const char *name;
    const gnn_saved_model_t *m;
    const gnn_saved_fill_t *f;
} put_ctx_t;

static int put_model(store_txn_t *t, void *ctx, err_t *e)
{
    const put_ctx_t *p = ctx;
    return write_model(t, p->name, p->m, p->f, e);
}

static int put_stage(store_txn_t *t, void *ctx, err_t *e)
{
    const put_ctx_t *p = ctx;
    return stage_model(t, p->name, p->m, p->f, e);
}

int gnn_saved_put(store_t *s, const char *name, const gnn_saved_model_t *m, err_t *e)
{
    put_ctx_t p = {name, m, NULL};
    return store_write(s, put_model, &p, e);
}

int gnn_saved_put_filled(store_t *s, const char *name, const gnn_saved_model_t *m, const gnn_saved_fill_t *f,
                         err_t *e)
{
    put_ctx_t p = {name, m, f};
    return store_write(s, put_model, &p, e);
}

int gnn_saved_stage_filled(store_t *s, const char *name, const gnn_saved_model_t *m, const gnn_saved_fill_t *f,
                           err_t *e)
{
    put_ctx_t p = {name, m, f};
    return store_write(s, put_stage, &p, e);
}
