/* store.c - see store.h. Assumes writers and readers in any number of
 * processes on one host (LMDB serializes writers through lock.mdb, so every
 * process must share the same lock.mdb: a replaced one is detected before
 * each commit), and a local file system. Making a new store is in
 * create.c. */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define MAX_DBS 16
#define MIN_MAPSIZE ((size_t)256 << 20)
#define MAX_READERS 1024   /* LMDB's default 126 stops the 127th concurrent job */

static const char *node_names[STORE_N_NODE] = {"user", "item", "entity", "relation"};
static const char *edges_names[STORE_N_EDGES] = {"train", "test", "social", "kg"};

const char *store_node_name(int node)
{
    return node >= 0 && node < STORE_N_NODE ? node_names[node] : "?";
}

const char *store_edges_name(int edges)
{
    return edges >= 0 && edges < STORE_N_EDGES ? edges_names[edges] : "?";
}

static void be32_put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

static uint32_t be32_get(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* An LMDB or system error code in words a user can act on. LMDB reports a
 * short write (what a full disk gives) as EIO, so EIO on a disk with
 * (almost) no room left is called what it most likely is. dir may be NULL. */
static const char *explain(const char *dir, int rc, char *buf, size_t n)
{
    struct statvfs vs;
    switch (rc) {
    case MDB_READERS_FULL:
        snprintf(buf, n, "too many processes are reading the store at once (all %d reader slots are taken); "
                 "wait for some to finish", MAX_READERS);
        return buf;
    case ENOSPC:
    case EDQUOT:
        snprintf(buf, n, "no space left on device (%s)", strerror(rc));
        return buf;
    case EIO:
        if (dir && statvfs(dir, &vs) == 0 && (unsigned long long)vs.f_bavail * vs.f_frsize < (4ull << 20)) {
            snprintf(buf, n, "no space left on device (a write came up short with %llu KiB free on the disk "
                     "of the store)", (unsigned long long)vs.f_bavail * vs.f_frsize >> 10);
            return buf;
        }
        return mdb_strerror(rc);
    default:
        return mdb_strerror(rc);
    }
}

/* Map an LMDB failure to our error path; MDB_MAP_FULL marks the txn so that
 * store_write grows the map and retries. */
static int mdb_fail(store_txn_t *t, int rc, err_t *e, const char *what)
{
    char b[256];
    if (rc == MDB_MAP_FULL && t) t->full = 1;
    return err_set(e, ERR_STORE, "store: %s: %s", what, explain(t ? t->s->dir : NULL, rc, b, sizeof b));
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A directory we may turn into a store: empty but for "." and "..". */
static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *ent;
    int empty = 1;
    while (empty && (ent = readdir(d)))
        if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, "..")) empty = 0;
    closedir(d);
    return empty;
}

static int open_dbis(store_t *s, MDB_txn *txn, unsigned flags, err_t *e)
{
    char name[64];
    int rc;
    if ((rc = mdb_dbi_open(txn, "meta", flags, &s->meta)) ||
        (rc = mdb_dbi_open(txn, "models", flags, &s->models)))
        goto fail;
    for (int i = 0; i < STORE_N_NODE; i++) {
        snprintf(name, sizeof name, "id:%s", node_names[i]);
        if ((rc = mdb_dbi_open(txn, name, flags, &s->ids[i]))) goto fail;
        snprintf(name, sizeof name, "name:%s", node_names[i]);
        if ((rc = mdb_dbi_open(txn, name, flags, &s->names[i]))) goto fail;
    }
    for (int i = 0; i < STORE_N_EDGES; i++) {
        snprintf(name, sizeof name, "edges:%s", edges_names[i]);
        if ((rc = mdb_dbi_open(txn, name, flags, &s->edges[i]))) goto fail;
    }
    return ERR_OK;
fail:
    if (rc == MDB_NOTFOUND)
        return err_set(e, ERR_USAGE, "%s: not a gnnrec store (a database is missing)", s->dir);
    return err_set(e, ERR_STORE, "%s: cannot open databases: %s", s->dir, mdb_strerror(rc));
}

static size_t initial_mapsize(const char *dir)
{
    size_t size = MIN_MAPSIZE;
    const char *env = getenv("GNNREC_MAPSIZE_MB");   /* test hook: exercise map growth */
    if (env && atol(env) > 0) size = (size_t)atol(env) << 20;
    char p[4200];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    struct stat st;
    if (stat(p, &st) == 0 && (size_t)st.st_size * 2 > size) size = (size_t)st.st_size * 2;
    return size;
}

int store_open(store_t *s, const char *dir, int flags, err_t *e)
{
    memset(s, 0, sizeof *s);
    if (strlen(dir) >= sizeof s->dir - 16)
        return err_set(e, ERR_USAGE, "store path too long");
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->rdonly = (flags & STORE_RDONLY) != 0;

    struct stat st;
    int exists = stat(dir, &st) == 0;
    if (exists && !S_ISDIR(st.st_mode))
        return err_set(e, ERR_USAGE, "%s: not a directory", dir);
    /* LMDB opens data.mdb and lock.mdb by name, following symlinks, and
     * writes lock.mdb even for a read-only open: a link there would make
     * any command (stats too) overwrite the file it points to */
    static const char *const own[] = {"data.mdb", "lock.mdb"};
    for (int i = 0; i < 2; i++) {
        char p[4200];
        struct stat ls;
        snprintf(p, sizeof p, "%s/%s", dir, own[i]);
        if (lstat(p, &ls) == 0 && !S_ISREG(ls.st_mode))
            return err_set(e, ERR_USAGE, "%s: not a gnnrec store (%s is %s; a store's files are never links)", dir,
                           own[i], S_ISLNK(ls.st_mode) ? "a symlink" : "not a regular file");
    }
    char data[4200];
    snprintf(data, sizeof data, "%s/data.mdb", dir);
    int have_data = file_exists(data);
    struct stat ds;
    if (have_data && stat(data, &ds) == 0 && (!S_ISREG(ds.st_mode) || ds.st_size == 0))
        /* what a first build-graph killed while creating the store leaves;
         * opening it would turn it into an empty LMDB file */
        return err_set(e, ERR_USAGE, "%s: not a gnnrec store (data.mdb is %s; if an earlier build-graph was "
                       "interrupted, remove the directory and build again)", dir,
                       S_ISREG(ds.st_mode) ? "empty" : "not a file");
    if (!have_data) {
        if (!(flags & STORE_CREATE))
            return err_set(e, ERR_NOTFOUND, "%s: no gnnrec store here (create one with gnnrec build-graph)", dir);
        if (!exists && mkdir(dir, 0700) != 0)
            return err_set(e, ERR_USAGE, "%s: cannot create store directory: %s", dir, strerror(errno));
        s->created_dir = !exists;
        if (exists && access(dir, W_OK) != 0)
            return err_set(e, ERR_USAGE, "%s: store directory is not writable: %s", dir, strerror(errno));
        if (exists && !dir_is_empty(dir))
            return err_set(e, ERR_USAGE, "%s: not a gnnrec store", dir);
        s->created = 1;
    } else if (!s->rdonly && access(data, W_OK) != 0) {
        return err_set(e, ERR_USAGE, "%s: store is not writable: %s", dir, strerror(errno));
    }

    int rc = mdb_env_create(&s->env);
    if (rc) { s->env = NULL; goto fail_mdb; }
    mdb_env_set_maxdbs(s->env, MAX_DBS);
    mdb_env_set_maxreaders(s->env, MAX_READERS);
    mdb_env_set_mapsize(s->env, initial_mapsize(dir));
    unsigned eflags = MDB_NOTLS | (s->rdonly ? MDB_RDONLY : 0);
    rc = mdb_env_open(s->env, dir, eflags, 0600);
    if (rc) {
        if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
            /* a data.mdb that is not an LMDB file (of this format): not ours */
            err_set(e, ERR_USAGE, "%s: not a gnnrec store (%s)", dir, mdb_strerror(rc));
            goto fail;
        }
        int code = rc == EACCES || rc == EROFS ? ERR_USAGE : ERR_STORE;
        err_set(e, code, "%s: cannot open store: %s", dir, mdb_strerror(rc));
        goto fail;
    }
    /* free the reader slots of processes that died inside a read transaction
     * (SIGKILL, OOM): left alone they fill LMDB's reader table while any
     * other process keeps the store open, and pin old pages */
    int dead = 0;
    mdb_reader_check(s->env, &dead);
    /* the lock file this environment uses, to notice before each commit
     * that someone removed it (a writer opening the store after that makes
     * a new one, with its own write lock, and the two writers no longer
     * exclude each other) */
    char lock[4200];
    snprintf(lock, sizeof lock, "%s/lock.mdb", dir);
    struct stat lst;
    if (stat(lock, &lst) == 0) {
        s->lock_known = 1;
        s->lock_dev = lst.st_dev;
        s->lock_ino = lst.st_ino;
    }
    /* a data.mdb shorter than the pages its meta page names (truncated by a
     * copy or a full disk) would fault (SIGBUS) on the first read past its end */
    MDB_envinfo info;
    MDB_stat est;
    if (mdb_env_info(s->env, &info) == 0 && mdb_env_stat(s->env, &est) == 0 && stat(data, &ds) == 0 &&
        ((uint64_t)info.me_last_pgno + 1) * est.ms_psize > (uint64_t)ds.st_size) {
        err_set(e, ERR_STORE, "%s: corrupt store: data.mdb has %llu bytes, its pages need %llu (truncated?)", dir,
                (unsigned long long)ds.st_size, ((unsigned long long)info.me_last_pgno + 1) * est.ms_psize);
        goto fail;
    }

    MDB_txn *txn;
    if (s->created) {
        if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn))) goto fail_mdb;
        if (open_dbis(s, txn, MDB_CREATE, e)) { mdb_txn_abort(txn); goto fail; }
        uint32_t v = STORE_SCHEMA_VERSION;
        MDB_val k = {14, "schema_version"}, d = {sizeof v, &v};
        if ((rc = mdb_put(txn, s->meta, &k, &d, 0)) || (rc = mdb_txn_commit(txn))) {
            if (rc && txn) mdb_txn_abort(txn);
            goto fail_mdb;
        }
        return ERR_OK;
    }
    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) goto fail_mdb;
    if (open_dbis(s, txn, 0, e)) { mdb_txn_abort(txn); goto fail; }
    MDB_val k = {14, "schema_version"}, d;
    rc = mdb_get(txn, s->meta, &k, &d);
    uint32_t v = 0;
    if (rc == 0 && d.mv_size == sizeof v) memcpy(&v, d.mv_data, sizeof v);
    mdb_txn_commit(txn);
    if (v == 0) { err_set(e, ERR_USAGE, "%s: not a gnnrec store (no schema version)", dir); goto fail; }
    if (v > STORE_SCHEMA_VERSION) {
        err_set(e, ERR_USAGE, "%s: store schema version %u is newer than this gnnrec (%u); upgrade gnnrec",
                dir, v, STORE_SCHEMA_VERSION);
        goto fail;
    }
    return ERR_OK;
fail_mdb:;
    char why[256];
    err_set(e, ERR_STORE, "%s: %s", dir, explain(dir, rc, why, sizeof why));
fail:
    /* a store this call began to create is removed again (store_close_discard
     * closes the env too) */
    store_close_discard(s);
    return e ? e->code : ERR_STORE;
}

void store_close(store_t *s)
{
    if (s && s->env) mdb_env_close(s->env);
    if (s) s->env = NULL;
}

void store_close_discard(store_t *s)
{
    int created = s->created;
    store_close(s);
    if (!created) return;
    char p[4200];
    snprintf(p, sizeof p, "%s/data.mdb", s->dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", s->dir);
    unlink(p);
    if (s->created_dir) rmdir(s->dir);
}

/* The aligned copies of a transaction: a list of malloc'ed blocks, each a
 * 16-byte header (the next pointer) then the floats. */
static void free_copies(store_txn_t *t)
{
    while (t->copies) {
        void *next;
        memcpy(&next, t->copies, sizeof next);
        free(t->copies);
        t->copies = next;
    }
}

/* The store's name in messages: where it goes while it is being made. */
static const char *sname(const store_t *s)
{
    return s->staged && s->final_dir[0] ? s->final_dir : s->dir;
}

int store_read_begin(store_t *s, store_txn_t *t, err_t *e)
{
    t->s = s;
    t->full = 0;
    t->copies = NULL;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t->txn);
    if (rc == MDB_MAP_RESIZED) {   /* a writer grew the map: adopt its size */
        mdb_env_set_mapsize(s->env, 0);
        rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t->txn);
    }
    if (rc == MDB_READERS_FULL) {  /* readers died since store_open: free their slots */
        int dead = 0;
        if (mdb_reader_check(s->env, &dead) == 0 && dead > 0)
            rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t->txn);
    }
    if (rc) {
        char why[256];
        t->txn = NULL;
        return err_set(e, ERR_STORE, "%s: cannot read: %s", sname(s), explain(s->dir, rc, why, sizeof why));
    }
    return ERR_OK;
}

uint64_t store_txn_version(const store_txn_t *t)
{
    return t->txn ? (uint64_t)mdb_txn_id(t->txn) : 0;
}

void store_read_end(store_txn_t *t)
{
    if (t->txn) mdb_txn_abort(t->txn);
    t->txn = NULL;
    free_copies(t);
}

/* ERR_STORE if lock.mdb is no longer the file store_open saw. */
static int lock_check(const store_t *s, err_t *e)
{
    if (!s->lock_known) return ERR_OK;
    char lock[4200];
    snprintf(lock, sizeof lock, "%s/lock.mdb", s->dir);
    struct stat st;
    if (stat(lock, &st) == 0 && st.st_dev == s->lock_dev && st.st_ino == s->lock_ino) return ERR_OK;
    return err_set(e, ERR_STORE, "%s: lock.mdb was removed or replaced while this command had the store open, "
                   "so another process may be writing without seeing this one; nothing written (run the "
                   "command again; never delete lock.mdb of a store in use)", sname(s));
}

int store_write(store_t *s, store_write_fn fn, void *ctx, err_t *e)
{
    char why[256];
    if (s->rdonly) return err_set(e, ERR_INTERNAL, "store opened read-only");
    for (int attempt = 0; attempt < 40; attempt++) {
        store_txn_t t = {s, NULL, 0, NULL};
        int rc = lock_check(s, e);
        if (rc) return rc;
        rc = mdb_txn_begin(s->env, NULL, 0, &t.txn);
        if (rc == MDB_MAP_RESIZED) { mdb_env_set_mapsize(s->env, 0); continue; }
        if (rc) return err_set(e, ERR_STORE, "%s: cannot write: %s", sname(s), explain(s->dir, rc, why, sizeof why));
        int r = fn(&t, ctx, e);
        free_copies(&t);
        if (r == ERR_OK && (r = lock_check(s, e))) t.full = 0;   /* abort below, no retry */
        if (r == ERR_OK) {
            rc = mdb_txn_commit(t.txn);
            if (rc == 0) {
                /* drop the MDB_MAP_FULL message of an earlier attempt */
                if (e && attempt > 0) { e->code = ERR_OK; e->msg[0] = '\0'; }
                return ERR_OK;
            }
            if (rc != MDB_MAP_FULL)
                return err_set(e, ERR_STORE, "%s: commit failed: %s", sname(s), explain(s->dir, rc, why, sizeof why));
            t.full = 1;
        } else {
            mdb_txn_abort(t.txn);
            if (!t.full) return r;
        }
        MDB_envinfo info;
        mdb_env_info(s->env, &info);
        rc = mdb_env_set_mapsize(s->env, info.me_mapsize * 2);
        if (rc) return err_set(e, ERR_STORE, "%s: cannot grow the map: %s", sname(s), mdb_strerror(rc));
    }
    return err_set(e, ERR_STORE, "%s: the map kept filling up", sname(s));
}

static int count_dbi(store_txn_t *t, MDB_dbi dbi, uint64_t *n, err_t *e)
{
    MDB_stat st;
    int rc = mdb_stat(t->txn, dbi, &st);
    if (rc) return mdb_fail(t, rc, e, "stat");
    *n = st.ms_entries;
    return ERR_OK;
}

int store_count_nodes(store_txn_t *t, int node, uint64_t *n, err_t *e)
{
    return count_dbi(t, t->s->names[node], n, e);
}

int store_count_edges(store_txn_t *t, int edges, uint64_t *n, err_t *e)
{
    return count_dbi(t, t->s->edges[edges], n, e);
}

int store_id_lookup(store_txn_t *t, int node, const char *name, size_t len, uint32_t *id,
                    err_t *e)
{
    if (len == 0 || len > STORE_MAX_ID_LEN) return err_set(e, ERR_NOTFOUND, "bad %s id", node_names[node]);
    MDB_val k = {len, (void *)name}, d;
    int rc = mdb_get(t->txn, t->s->ids[node], &k, &d);
    if (rc == MDB_NOTFOUND)
        return err_set(e, ERR_NOTFOUND, "unknown %s id '%.*s'", node_names[node], (int)len, name);
    if (rc) return mdb_fail(t, rc, e, "id lookup");
    if (d.mv_size != 4) return err_set(e, ERR_STORE, "store: corrupt id record");
    *id = be32_get(d.mv_data);
    return ERR_OK;
}

int store_id_name(store_txn_t *t, int node, uint32_t id, const char **name, size_t *len,
                  err_t *e)
{
    unsigned char kb[4];
    be32_put(kb, id);
    MDB_val k = {4, kb}, d;
    int rc = mdb_get(t->txn, t->s->names[node], &k, &d);
    if (rc == MDB_NOTFOUND) return err_set(e, ERR_NOTFOUND, "no %s with dense id %u", node_names[node], id);
    if (rc) return mdb_fail(t, rc, e, "name lookup");
    *name = d.mv_data;
    *len = d.mv_size;
    return ERR_OK;
}

int store_id_names(store_txn_t *t, int node, uint32_t n, const char **name, uint32_t *len,
                   err_t *e)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->names[node], &c);
    if (rc) return mdb_fail(t, rc, e, "cursor");
    MDB_val k, d;
    uint32_t i = 0;
    for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0 && i < n; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        /* ids are dense, so the i-th key must be i */
        if (k.mv_size != 4 || be32_get(k.mv_data) != i) { rc = -1; break; }
        name[i] = d.mv_data;
        len[i] = (uint32_t)d.mv_size;
        i++;
    }
    mdb_cursor_close(c);
    if (rc == -1 || (rc != 0 && rc != MDB_NOTFOUND) || i != n)
        return err_set(e, ERR_STORE, "store: cannot scan %s names (corrupt store?)", node_names[node]);
    return ERR_OK;
}

int store_id_load(store_txn_t *t, int node, strmap_t *m, err_t *e)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->names[node], &c);
    if (rc) return mdb_fail(t, rc, e, "cursor");
    MDB_val k, d;
    uint32_t expect = m->n;
    for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        if (k.mv_size != 4 || be32_get(k.mv_data) != expect) {
            mdb_cursor_close(c);
            return err_set(e, ERR_STORE, "store: %s ids are not dense (corrupt store?)", node_names[node]);
        }
        if (strmap_intern(m, d.mv_data, d.mv_size, NULL) != expect++) {
            mdb_cursor_close(c);
            return err_set(e, ERR_NOMEM, "out of memory loading %s ids", node_names[node]);
        }
    }
    mdb_cursor_close(c);
    if (rc != MDB_NOTFOUND) return mdb_fail(t, rc, e, "scan ids");
    return ERR_OK;
}

int store_id_add(store_txn_t *t, int node, uint32_t id, const char *name, size_t len, err_t *e)
{
    unsigned char kb[4];
    be32_put(kb, id);
    MDB_val k = {len, (void *)name}, d = {4, kb};
    int rc = mdb_put(t->txn, t->s->ids[node], &k, &d, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) return err_set(e, ERR_INTERNAL, "%s id '%.*s' added twice", node_names[node], (int)len, name);
    if (rc) return mdb_fail(t, rc, e, "add id");
    MDB_val k2 = {4, kb}, d2 = {len, (void *)name};
    /* ids arrive in increasing order, so the name map can append */
    rc = mdb_put(t->txn, t->s->names[node], &k2, &d2, MDB_APPEND);
    if (rc == MDB_KEYEXIST) return err_set(e, ERR_INTERNAL, "%s dense id %u out of order", node_names[node], id);
    if (rc) return mdb_fail(t, rc, e, "add name");
    return ERR_OK;
}

static size_t edge_key(int edges, const uint32_t *ids, unsigned char *kb)
{
    int n = edges == STORE_KG ? 3 : 2;
    for (int i = 0; i < n; i++) be32_put(kb + 4 * i, ids[i]);
    return (size_t)(4 * n);
}

static size_t attr_encode(const store_attr_t *a, unsigned char *b)
{
    size_t n = 0;
    b[n++] = a ? a->has : 0;
    if (a && (a->has & STORE_HAS_RATING)) { memcpy(b + n, &a->rating, 4); n += 4; }
    if (a && (a->has & STORE_HAS_TIME)) { memcpy(b + n, &a->time, 8); n += 8; }
    return n;
}

static void attr_decode(const MDB_val *d, store_attr_t *a)
{
    const unsigned char *b = d->mv_data;
    memset(a, 0, sizeof *a);
    if (d->mv_size < 1) return;
    size_t n = 1;
    a->has = b[0];
    if ((a->has & STORE_HAS_RATING) && n + 4 <= d->mv_size) { memcpy(&a->rating, b + n, 4); n += 4; }
    if ((a->has & STORE_HAS_TIME) && n + 8 <= d->mv_size) memcpy(&a->time, b + n, 8);
}

int store_edge_put(store_txn_t *t, int edges, const uint32_t *ids, const store_attr_t *attr,
                   int append, int *existed, err_t *e)
{
    unsigned char kb[12], vb[16];
    MDB_val k = {edge_key(edges, ids, kb), kb}, d = {attr_encode(attr, vb), vb};
    int rc = mdb_put(t->txn, t->s->edges[edges], &k, &d, append ? MDB_APPEND : MDB_NOOVERWRITE);
    if (existed) *existed = rc == MDB_KEYEXIST;
    if (rc == MDB_KEYEXIST) {
        if (append) return err_set(e, ERR_INTERNAL, "%s edges not in key order", edges_names[edges]);
        return ERR_OK;
    }
    if (rc) return mdb_fail(t, rc, e, "put edge");
    return ERR_OK;
}

int store_edge_exists(store_txn_t *t, int edges, const uint32_t *ids, int *exists, err_t *e)
{
    unsigned char kb[12];
    MDB_val k = {edge_key(edges, ids, kb), kb}, d;
    int rc = mdb_get(t->txn, t->s->edges[edges], &k, &d);
    *exists = rc == 0;
    if (rc && rc != MDB_NOTFOUND) return mdb_fail(t, rc, e, "get edge");
    return ERR_OK;
}

void store_edge_list_destroy(store_edge_list_t *l)
{
    if (!l) return;
    free(l->a); free(l->b); free(l->c); free(l->attr);
    memset(l, 0, sizeof *l);
}

int store_edges_load(store_txn_t *t, int edges, int want_attr, store_edge_list_t *out, err_t *e)
{
    memset(out, 0, sizeof *out);
    uint64_t n;
    int rc = store_count_edges(t, edges, &n, e);
    if (rc) return rc;
    size_t m = n ? n : 1;
    out->a = malloc(m * sizeof *out->a);
    out->b = malloc(m * sizeof *out->b);
    if (edges == STORE_KG) out->c = malloc(m * sizeof *out->c);
    if (want_attr) out->attr = malloc(m * sizeof *out->attr);
    if (!out->a || !out->b || (edges == STORE_KG && !out->c) || (want_attr && !out->attr)) {
        store_edge_list_destroy(out);
        return err_set(e, ERR_NOMEM, "out of memory loading %llu %s edges", (unsigned long long)n, edges_names[edges]);
    }
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(t->txn, t->s->edges[edges], &c))) {
        store_edge_list_destroy(out);
        return mdb_fail(t, rc, e, "cursor");
    }
    size_t klen = edges == STORE_KG ? 12 : 8;
    MDB_val k, d;
    uint64_t i = 0;
    for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0 && i < n; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        if (k.mv_size != klen) { rc = -1; break; }
        const unsigned char *kp = k.mv_data;
        out->a[i] = be32_get(kp);
        out->b[i] = be32_get(kp + 4);
        if (out->c) out->c[i] = be32_get(kp + 8);
        if (out->attr) attr_decode(&d, &out->attr[i]);
        i++;
    }
    /* n is the table's recorded count: the loop's last MDB_NEXT finding an
     * entry past it means the record is damaged, and the arrays sized by it
     * would silently miss edges */
    if (rc == 0 && i == n) rc = -1;
    mdb_cursor_close(c);
    if (rc == -1 || (rc != 0 && rc != MDB_NOTFOUND) || i != n) {
        store_edge_list_destroy(out);
        return err_set(e, ERR_STORE, "store: cannot scan %s edges (corrupt store?)", edges_names[edges]);
    }
    out->n = n;
    return ERR_OK;
}

int store_edges_of(store_txn_t *t, int edges, uint32_t a, uint32_t **b, uint64_t *n, err_t *e)
{
    *n = 0;
    *b = NULL;
    if (edges == STORE_KG) return err_set(e, ERR_INTERNAL, "store_edges_of: kg edges have 3 ids");
    size_t cap = 64;
    uint32_t *out = malloc(cap * sizeof *out);
    if (!out) return err_set(e, ERR_NOMEM, "out of memory");
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->edges[edges], &c);
    if (rc) { free(out); return mdb_fail(t, rc, e, "cursor"); }
    unsigned char kb[8];
    be32_put(kb, a);
    be32_put(kb + 4, 0);
    MDB_val k = {sizeof kb, kb}, d;
    uint64_t i = 0;
    for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        if (k.mv_size != 8) { rc = -1; break; }
        const unsigned char *kp = k.mv_data;
        if (be32_get(kp) != a) break;
        if (i == cap) {
            uint32_t *p = realloc(out, (cap *= 2) * sizeof *p);
            if (!p) { rc = -2; break; }
            out = p;
        }
        out[i++] = be32_get(kp + 4);
    }
    mdb_cursor_close(c);
    if (rc == -2) { free(out); return err_set(e, ERR_NOMEM, "out of memory"); }
    if (rc == -1 || (rc != 0 && rc != MDB_NOTFOUND)) {
        free(out);
        return err_set(e, ERR_STORE, "store: cannot scan %s edges (corrupt store?)", edges_names[edges]);
    }
    *b = out;
    *n = i;
    return ERR_OK;
}

int store_meta_put(store_txn_t *t, const char *key, const void *data, size_t len, err_t *e)
{
    MDB_val k = {strlen(key), (void *)key}, d = {len, (void *)data};
    int rc = mdb_put(t->txn, t->s->meta, &k, &d, 0);
    return rc ? mdb_fail(t, rc, e, "put meta") : ERR_OK;
}

int store_meta_get(store_txn_t *t, const char *key, const void **data, size_t *len, err_t *e)
{
    MDB_val k = {strlen(key), (void *)key}, d;
    int rc = mdb_get(t->txn, t->s->meta, &k, &d);
    if (rc == MDB_NOTFOUND) return err_set(e, ERR_NOTFOUND, "no store record '%s'", key);
    if (rc) return mdb_fail(t, rc, e, "get meta");
    *data = d.mv_data;
    *len = d.mv_size;
    return ERR_OK;
}

/* blob key: model name, NUL, blob key */
static int blob_key(const char *model, const char *key, unsigned char *kb, size_t *klen, err_t *e)
{
    size_t ml = strlen(model), kl = strlen(key);
    if (ml == 0 || ml > 200) return err_set(e, ERR_USAGE, "model name must be 1..200 bytes");
    if (kl > 64) return err_set(e, ERR_INTERNAL, "blob key too long");
    memcpy(kb, model, ml);
    kb[ml] = 0;
    memcpy(kb + ml + 1, key, kl);
    *klen = ml + 1 + kl;
    return ERR_OK;
}

int store_blob_put(store_txn_t *t, const char *model, const char *key, const void *data,
                   size_t len, err_t *e)
{
    unsigned char kb[300];
    size_t kl = 0;
    int rc = blob_key(model, key, kb, &kl, e);
    if (rc) return rc;
    MDB_val k = {kl, kb}, d = {len, (void *)data};
    rc = mdb_put(t->txn, t->s->models, &k, &d, 0);
    return rc ? mdb_fail(t, rc, e, "put model") : ERR_OK;
}

int store_blob_reserve(store_txn_t *t, const char *model, const char *key, size_t len, void **data,
                       err_t *e)
{
    unsigned char kb[300];
    size_t kl = 0;
    int rc = blob_key(model, key, kb, &kl, e);
    if (rc) return rc;
    MDB_val k = {kl, kb}, d = {len, NULL};
    rc = mdb_put(t->txn, t->s->models, &k, &d, MDB_RESERVE);
    if (rc) return mdb_fail(t, rc, e, "put model");
    *data = d.mv_data;
    return ERR_OK;
}

int store_blob_get(store_txn_t *t, const char *model, const char *key, const void **data,
                   size_t *len, err_t *e)
{
    unsigned char kb[300];
    size_t kl = 0;
    int rc = blob_key(model, key, kb, &kl, e);
    if (rc) return rc;
    MDB_val k = {kl, kb}, d;
    rc = mdb_get(t->txn, t->s->models, &k, &d);
    if (rc == MDB_NOTFOUND)
        return err_set(e, ERR_NOTFOUND, "model '%s' has no '%s' (train it first: gnnrec train --model %s)", model, key, model);
    if (rc) return mdb_fail(t, rc, e, "get model");
    *data = d.mv_data;
    *len = d.mv_size;
    return ERR_OK;
}

int store_blob_get_floats(store_txn_t *t, const char *model, const char *key, const float **data,
                          size_t *n, err_t *e)
{
    const void *p;
    size_t len;
    int rc = store_blob_get(t, model, key, &p, &len, e);
    if (rc) return rc;
    if (len % sizeof(float))
        return err_set(e, ERR_STORE, "model '%s': blob '%s' is not a float array", model, key);
    if ((uintptr_t)p % _Alignof(float)) {
        /* a small blob inside a leaf page (2-byte aligned): copy it, the copy
         * lives as long as the transaction */
        unsigned char *c = malloc(16 + (len ? len : 1));
        if (!c) return err_set(e, ERR_NOMEM, "out of memory reading model '%s'", model);
        memcpy(c, &t->copies, sizeof t->copies);
        memcpy(c + 16, p, len);
        t->copies = c;
        p = c + 16;
    }
    *data = p;
    *n = len / sizeof(float);
    return ERR_OK;
}

int store_model_delete(store_txn_t *t, const char *model, err_t *e)
{
    unsigned char kb[300];
    size_t kl = 0;
    int rc = blob_key(model, "", kb, &kl, e);
    if (rc) return rc;
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(t->txn, t->s->models, &c))) return mdb_fail(t, rc, e, "cursor");
    MDB_val k = {kl, kb}, d;
    for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        if (k.mv_size < kl || memcmp(k.mv_data, kb, kl) != 0) break;
        if ((rc = mdb_cursor_del(c, 0))) break;
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND) return mdb_fail(t, rc, e, "delete model");
    return ERR_OK;
}

int store_model_list(store_txn_t *t, void (*fn)(const char *name, void *ctx), void *ctx, err_t *e)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(t->txn, t->s->models, &c);
    if (rc) return mdb_fail(t, rc, e, "cursor");
    MDB_val k, d;
    char name[256];
    for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        const char *kp = k.mv_data;
        const char *nul = memchr(kp, 0, k.mv_size);
        if (!nul) continue;
        size_t ml = (size_t)(nul - kp);
        if (ml >= sizeof name) continue;
        if (k.mv_size - ml - 1 == 4 && memcmp(nul + 1, "meta", 4) == 0) {
            memcpy(name, kp, ml);
            name[ml] = 0;
            fn(name, ctx);
        }
    }
    mdb_cursor_close(c);
    if (rc != MDB_NOTFOUND) return mdb_fail(t, rc, e, "list models");
    return ERR_OK;
}

int store_reserve(store_t *s, uint64_t bytes, err_t *e)
{
    if (getenv("GNNREC_MAPSIZE_MB")) return ERR_OK;
    MDB_envinfo info;
    MDB_stat st;
    int rc = mdb_env_info(s->env, &info);
    if (!rc) rc = mdb_env_stat(s->env, &st);
    if (rc) return err_set(e, ERR_STORE, "%s: %s", sname(s), mdb_strerror(rc));
    uint64_t used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize, want = used + bytes;
    if (want < used || want > ((uint64_t)1 << 46)) want = (uint64_t)1 << 46;   /* 64 TiB: address space */
    if (want <= info.me_mapsize) return ERR_OK;
    want = (want + ((uint64_t)1 << 20) - 1) & ~(((uint64_t)1 << 20) - 1);
    if ((rc = mdb_env_set_mapsize(s->env, (size_t)want)))
        return err_set(e, ERR_STORE, "%s: cannot grow the map: %s", sname(s), mdb_strerror(rc));
    return ERR_OK;
}

void store_drop_pages(store_t *s)
{
    /* LMDB does not say where it mapped the file (MDB_envinfo's me_mapaddr is
     * the address recorded for MDB_FIXEDMAP, not this process's map), so the
     * mapping is found by its file in /proc/self/maps */
    char path[4200], real[PATH_MAX], line[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/data.mdb", s->dir);
    FILE *f = realpath(path, real) ? fopen("/proc/self/maps", "r") : NULL;
    if (!f) return;
    const size_t rl = strlen(real);
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perm[8];
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = '\0';
        /* only the read-only shared map: dropping its pages loses nothing,
         * they are read from the file again */
        if (n < rl || strcmp(line + n - rl, real) || sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 ||
            strcmp(perm, "r--s"))
            continue;
        madvise((void *)lo, hi - lo, MADV_DONTNEED);
    }
    fclose(f);
}

int store_disk_size(const store_t *s, uint64_t *bytes, err_t *e)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/data.mdb", s->dir);
    struct stat st;
    if (stat(p, &st) != 0) return err_set(e, ERR_IO, "%s: %s", p, strerror(errno));
    *bytes = (uint64_t)st.st_size;
    return ERR_OK;
}
