/* store.h - the gnnrec store: one LMDB environment per store directory.
 *
 * Everything a command knows persists here: id maps, edges with their
 * train/test role, trained models and their embeddings. A command's writes
 * are one LMDB transaction, so on any error nothing is written; readers see
 * one consistent snapshot while a writer works.
 *
 * Named databases (keys big-endian, so a cursor scan reads in id order):
 *   meta             "schema_version" -> u32, and other store-wide records, e.g.
 *                    "item_entity" (STORE_META_ITEM_ENTITY) -> (item u32 LE, entity
 *                    u32 LE) pairs sorted by item: which kg entity is which item
 *                    (build-graph --item-entities; graph/typed.h reads it)
 *   id:<node>        external id string -> u32 BE dense id  (node: user, item,
 *   name:<node>      u32 BE dense id -> external id string    entity, relation)
 *   edges:train      user BE . item BE           -> attr   (training interactions)
 *   edges:test       user BE . item BE           -> attr   (held-out interactions)
 *   edges:social     min(u,v) BE . max(u,v) BE   -> attr   (undirected, weight in rating)
 *   edges:kg         head BE . relation BE . tail BE -> attr (entity ids)
 *   models           model name "\0" blob key    -> bytes  (config, params, ...)
 *   meta "item_names" (STORE_META_ITEM_NAMES) -> display names of items
 *                    (build-graph --item-names; infer --names): u32 LE count,
 *                    then per item in id order u32 LE item, u32 LE length, bytes
 *   meta "partition" (STORE_META_PARTITION) -> the node partition of `gnnrec
 *                    partition` (store_partition_*, below; store/partition.c)
 * Counts are the databases' entry counts (mdb_stat), so they cannot drift.
 *
 * attr encoding: one flag byte (STORE_HAS_RATING, STORE_HAS_TIME) then the
 * present fields, rating float32 then time int64, little-endian.
 *
 * Writes go through store_write(), which runs a callback inside one write
 * transaction, commits if it returns ERR_OK and aborts otherwise. Before
 * each commit it checks that lock.mdb is still the file store_open saw: if
 * someone removed it, a process opening the store since has a lock of its
 * own and the two would write over each other, so the commit is refused.
 * Files: data.mdb and lock.mdb must be regular files (a symlink is refused:
 * LMDB would write through it). Up to 1024 processes may read at once. When the
 * memory map is full (MDB_MAP_FULL) the map is doubled and the callback is run
 * again from the start, so callbacks must not keep state across runs except
 * through their own ctx, which they should treat as read-only input.
 *
 * Blobs returned by store_blob_get point into the memory map (zero copy) and
 * are valid until the read transaction ends. Blobs larger than a page start
 * on an overflow page and are 16-byte aligned; small ones may not be, so
 * store_blob_get_floats() hands out an aligned copy of those instead (owned
 * by the transaction, freed when it ends) rather than a misaligned pointer.
 */
#ifndef GNNREC_STORE_STORE_H
#define GNNREC_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <lmdb.h>

#include "base/err.h"
#include "base/strmap.h"
#include "io/idlist.h"

#define STORE_SCHEMA_VERSION 1u
#define STORE_MAX_ID_LEN 256   /* bytes of an external id */
#define STORE_META_ITEM_ENTITY "item_entity"   /* meta key of the item-entity alignment */
#define STORE_META_PARTITION "partition"       /* meta key of the recorded node partition */
#define STORE_META_ITEM_NAMES "item_names"     /* meta key of the item names (store/names.c) */

enum store_node { STORE_USER, STORE_ITEM, STORE_ENTITY, STORE_RELATION, STORE_N_NODE };
enum store_edges { STORE_TRAIN, STORE_TEST, STORE_SOCIAL, STORE_KG, STORE_N_EDGES };

/* store_open flags */
#define STORE_CREATE 1   /* create the directory and environment if absent */
#define STORE_RDONLY 2

typedef struct store {
    MDB_env *env;
    MDB_dbi meta, models;
    MDB_dbi ids[STORE_N_NODE], names[STORE_N_NODE];
    MDB_dbi edges[STORE_N_EDGES];
    int rdonly;
    int created;         /* store_open created the environment */
    int created_dir;     /* ... and its directory */
    int lock_known;      /* lock.mdb's identity at open (checked before each commit) */
    dev_t lock_dev;
    ino_t lock_ino;
    int staged;          /* store_create_begin: 1 DIR absent, 2 DIR an empty directory */
    char dir[4096];      /* where the environment is (the staging directory while staged) */
    char final_dir[4096];/* store_create_begin: where the store goes */
} store_t;

typedef struct store_txn {
    store_t *s;
    MDB_txn *txn;
    int full;            /* set when LMDB said MDB_MAP_FULL: store_write grows and retries */
    void *copies;        /* aligned copies made by store_blob_get_floats, freed when the txn ends */
} store_txn_t;

#define STORE_HAS_RATING 1u
#define STORE_HAS_TIME 2u

typedef struct store_attr {
    uint8_t has;         /* STORE_HAS_* bits */
    float rating;        /* rating, or a social tie's weight */
    int64_t time;
} store_attr_t;

/* Edges of one type loaded into arrays (one allocation per array).
 *   a [n]  user / head          b [n]  item / user / relation
 *   c [n]  tail (kg only, else NULL)
 *   attr [n] (only when asked for, else NULL) */
typedef struct store_edge_list {
    uint64_t n;
    uint32_t *a, *b, *c;
    store_attr_t *attr;
} store_edge_list_t;

const char *store_node_name(int node);    /* "user", "item", ... */
const char *store_edges_name(int edges);  /* "train", "test", "social", "kg" */

/* Open (or with STORE_CREATE make) the store in dir. Errors: ERR_NOTFOUND (no
 * store there), ERR_USAGE (not a gnnrec store, newer schema, not writable),
 * ERR_STORE. */
int store_open(store_t *s, const char *dir, int flags, err_t *e);
void store_close(store_t *s);
/* Close, and if this store_open created the store, remove it again: a
 * command that failed leaves no half-made store behind. */
void store_close_discard(store_t *s);

/* A new store, made so that a process killed at any moment leaves either no
 * store at dir or the whole one (create.c):
 *   store_create_check(dir)   can a store be made there? dir absent, or an
 *                             empty directory (a symlink to one, a mount
 *                             point); first removes the *.partial-PID
 *                             directories of dead processes beside and in
 *                             dir. ERR_USAGE with the reason otherwise.
 *   store_create_begin(s, dir) the check, then store_open(STORE_CREATE) of a
 *                             staging directory: dir.partial-PID when dir
 *                             is absent, dir/.partial-PID when it is an
 *                             existing directory (which is never replaced,
 *                             so its mode, group and setgid bit stay);
 *                             write with store_write as usual;
 *   store_create_commit(s)    close and put the store in place (rename the
 *                             staging directory to dir, or link its
 *                             data.mdb into dir); never replaces what
 *                             appeared at dir meanwhile (ERR_USAGE then,
 *                             nothing left behind). s is closed after it.
 * On any failure after begin, store_close_discard(s) removes the staging. */
int store_create_check(const char *dir, err_t *e);
int store_create_begin(store_t *s, const char *dir, err_t *e);
int store_create_commit(store_t *s, err_t *e);

int store_read_begin(store_t *s, store_txn_t *t, err_t *e);
void store_read_end(store_txn_t *t);
/* The version of the store a transaction sees: LMDB's id of the last
 * transaction committed before it began (mdb_txn_id of a read). Two copies
 * of one store (rsync of the directory) see the same version until one of
 * them is written; what distributed jobs compare across ranks. */
uint64_t store_txn_version(const store_txn_t *t);

typedef int (*store_write_fn)(store_txn_t *t, void *ctx, err_t *e);
int store_write(store_t *s, store_write_fn fn, void *ctx, err_t *e);

/* Counts. */
int store_count_nodes(store_txn_t *t, int node, uint64_t *n, err_t *e);
int store_count_edges(store_txn_t *t, int edges, uint64_t *n, err_t *e);

/* Id maps. Dense ids are 0..n-1 in order of creation. */
int store_id_lookup(store_txn_t *t, int node, const char *name, size_t len,
                    uint32_t *id, err_t *e);                    /* ERR_NOTFOUND */
int store_id_name(store_txn_t *t, int node, uint32_t id, const char **name,
                  size_t *len, err_t *e);                       /* zero copy */
int store_id_load(store_txn_t *t, int node, strmap_t *m, err_t *e);
/* name[id], len[id] for every id < n, zero copy, by one cursor scan of
 * name:<node> (cheaper than n store_id_name calls). */
int store_id_names(store_txn_t *t, int node, uint32_t n, const char **name, uint32_t *len,
                   err_t *e);
/* Add name with id == current count (the next dense id). */
int store_id_add(store_txn_t *t, int node, uint32_t id, const char *name, size_t len,
                 err_t *e);

/* Edges. ids: 2 (interactions, social) or 3 (kg) dense ids; social pairs
 * must already be ordered (a < b). With append != 0 the caller promises keys
 * arrive in ascending order past every stored key (fast bulk load).
 * *existed = 1 when the key was already stored (nothing is overwritten). */
int store_edge_put(store_txn_t *t, int edges, const uint32_t *ids, const store_attr_t *attr,
                   int append, int *existed, err_t *e);
int store_edge_exists(store_txn_t *t, int edges, const uint32_t *ids, int *exists, err_t *e);
int store_edges_load(store_txn_t *t, int edges, int want_attr, store_edge_list_t *out,
                     err_t *e);
void store_edge_list_destroy(store_edge_list_t *l);
/* The second ids of the edges whose first id is a (the items of user a for
 * STORE_TRAIN / STORE_TEST), ascending, by one cursor range scan over the
 * keys a BE . *: reads only that row, not the table. Interactions and social
 * ties only (a social tie is stored once under min(u,v), so this gives only
 * the partners above a). *b is malloc'd (the caller frees it; non-NULL even
 * when *n == 0). */
int store_edges_of(store_txn_t *t, int edges, uint32_t a, uint32_t **b, uint64_t *n, err_t *e);

/* Store-wide records. */
int store_meta_put(store_txn_t *t, const char *key, const void *data, size_t len, err_t *e);
int store_meta_get(store_txn_t *t, const char *key, const void **data, size_t *len,
                   err_t *e);                                   /* ERR_NOTFOUND */

/* Model blobs: (model name, blob key) -> bytes. */
int store_blob_put(store_txn_t *t, const char *model, const char *key, const void *data,
                   size_t len, err_t *e);
/* The space of a blob of len bytes, put in t and handed back in *data for
 * the caller to fill before its next write in t (LMDB's MDB_RESERVE): a
 * large blob written without a second copy of it in memory (the
 * distributed save streams the ranks' rows into it). */
int store_blob_reserve(store_txn_t *t, const char *model, const char *key, size_t len, void **data,
                       err_t *e);
int store_blob_get(store_txn_t *t, const char *model, const char *key, const void **data,
                   size_t *len, err_t *e);                      /* ERR_NOTFOUND */
int store_blob_get_floats(store_txn_t *t, const char *model, const char *key,
                          const float **data, size_t *n, err_t *e);
int store_model_delete(store_txn_t *t, const char *model, err_t *e);
/* Calls fn(name, ctx) once per model that has a "meta" blob, in name order. */
int store_model_list(store_txn_t *t, void (*fn)(const char *name, void *ctx), void *ctx,
                     err_t *e);

/* Before a large store_write: grow the memory map so that `bytes` more fit
 * past the pages in use, rather than letting the write fill the map, fail
 * with MDB_MAP_FULL and run again from the start (a whole second pass of a
 * big build-graph). Only a hint: store_write still grows the map when the
 * guess is short. The map is address space; the file grows only as pages
 * are written. Ignored when GNNREC_MAPSIZE_MB is set (the test hook that
 * exercises the growth path). No transaction may be open in this process. */
int store_reserve(store_t *s, uint64_t bytes, err_t *e);

/* Give back the memory-map pages this process has touched so far (loading
 * the graph reads every edge record once): they stay in the page cache,
 * but no longer count in the process's resident set, which is what a large
 * training run is budgeted in (docs/scale.md's memory plan). Pages read
 * later fault in again. Advice only: nothing can fail. Call it with no
 * transaction open whose views are still in use. */
void store_drop_pages(store_t *s);

/* Bytes used by the environment's data file. */
int store_disk_size(const store_t *s, uint64_t *bytes, err_t *e);

/* Merge n_new (item a[k], entity b[k]) pairs of file path (source lines
 * line[k]; a and b are parse ids, mapped to dense ids by item_map and
 * entity_map) with the stored alignment record and write it back; an item
 * with two entities or an entity with two items is ERR_INPUT "PATH:LINE: ..."
 * (an item is one kg node). *stored: the record's pairs afterwards. */
int store_align_merge(store_txn_t *t, const uint32_t *a, const uint32_t *b, const uint32_t *line, uint64_t n_new,
                      const uint32_t *item_map, const uint32_t *entity_map, uint32_t n_entities, const char *path,
                      uint64_t *stored, err_t *e);

/* The recorded node partition (one per store; a new one replaces it):
 * which part of `parts` each node of the joint graph (users 0..U-1, items
 * U.., entities U+I..; graph/load.h's layout) belongs to, how it was made,
 * and the store's counts when it was made, so that a reader can tell a
 * partition of an older graph (build-graph --append since) from a current
 * one. Record, little-endian: u32 version (1), parts, method, balance; u64 seed;
 * u32 n_users, n_items, n_entities, 0; u64 n_train, n_social, n_kg,
 * edge_cut; then u32 part [n_users + n_items + n_entities]. */
#define STORE_PARTITION_VERSION 1u
typedef struct store_partition {
    uint32_t parts, method;               /* method: the caller's code (graph/partition.h) */
    uint32_t balance;                     /* the caller's code (0: nodes) */
    uint64_t seed;
    uint32_t n_users, n_items, n_entities;
    uint64_t n_train, n_social, n_kg;     /* edge counts of the store it was made for */
    uint64_t edge_cut;
    uint32_t *part;                       /* [n_users + n_items + n_entities], owned */
} store_partition_t;

/* Write p as the store's partition (inside a store_write callback). Every
 * part[v] < parts is checked first (ERR_INTERNAL otherwise). */
int store_partition_put(store_txn_t *t, const store_partition_t *p, err_t *e);
/* Read it: ERR_NOTFOUND when none is recorded; a record of the wrong size,
 * version or with a part out of range is ERR_STORE (corrupt store). p->part
 * is malloc'd: store_partition_destroy. */
int store_partition_get(store_txn_t *t, store_partition_t *p, err_t *e);
/* 1 when p was made for the graph the store holds now (node and edge
 * counts equal). */
int store_partition_current(store_txn_t *t, const store_partition_t *p, int *current, err_t *e);
void store_partition_destroy(store_partition_t *p);

/* Item names (build-graph --item-names, store/names.c): n names sorted by
 * item; item[j]'s is text[off[j] .. off[j + 1]). Owned copies. */
typedef struct store_names {
    uint32_t n;
    uint32_t *item;   /* [n] ascending */
    uint64_t *off;    /* [n + 1] */
    char *text;
} store_names_t;
/* The store's names (none: n = 0). ERR_STORE for a damaged record. */
int store_names_load(store_txn_t *t, store_names_t *nm, err_t *e);
void store_names_destroy(store_names_t *nm);
/* item's name and its length, or NULL. */
const char *store_names_find(const store_names_t *nm, uint32_t item, size_t *len);
/* In a write transaction: names->text[j] becomes the name of dense item
 * item[j] (distinct items), over any stored name; *stored = names after. */
int store_names_merge(store_txn_t *t, const uint32_t *item, const io_idlist_t *names, uint64_t *stored, err_t *e);

#endif
