/* export.c - `gnnrec export` (export.h): a model's final embeddings and
 * external ids to .npy or TSV files, staged in DIR.tmp.PID and put in place
 * by one rename. Assumes the embeddings gnn_saved_embeddings returns are
 * the scored ones (users then items, [(U + I) x dim]) and Linux's
 * renameat2 for replacing an earlier export. */
#define _GNU_SOURCE   /* renameat2, RENAME_EXCHANGE */
#include "gnn/export.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gnn/arch.h"
#include "gnn/saved.h"
#include "io/writer.h"

static const char *const export_files[] = {"users.npy", "items.npy", "user_ids.txt", "item_ids.txt",
                                           "users.tsv", "items.tsv", NULL};

/* An export's file, or io_writer's temporary of one (FILE.tmp.PID). */
static int export_file(const char *name)
{
    for (int i = 0; export_files[i]; i++) {
        size_t l = strlen(export_files[i]);
        if (!strncmp(name, export_files[i], l) && (!name[l] || !strncmp(name + l, ".tmp.", 5))) return 1;
    }
    return 0;
}

/* What is at dir: 0 nothing, 1 an empty directory, 2 a directory of an
 * export's files only, 3 anything else. With clear, those files are
 * removed (a staging being dropped). */
static int dir_state(const char *dir, int clear)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 0 : 3;
    int mine = 0, other = 0;
    char p[4400];
    for (struct dirent *de; (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (!export_file(de->d_name)) { other = 1; continue; }
        mine = 1;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (clear) unlink(p);
    }
    closedir(d);
    return other ? 3 : mine ? 2 : 1;
}

static void drop_staging(const char *stage)
{
    if (dir_state(stage, 1) <= 2) rmdir(stage);
}

/* Stagings DIR.tmp.PID of exports killed before their rename. */
static void drop_leftovers(const char *dir)
{
    char parent[4096], p[4400];
    const char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : dir;
    snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - dir) + 1 : 1, slash ? dir : ".");
    DIR *d = opendir(parent);
    if (!d) return;
    const size_t bl = strlen(base);
    for (struct dirent *de; (de = readdir(d));) {
        const char *n = de->d_name;
        if (strncmp(n, base, bl) || strncmp(n + bl, ".tmp.", 5)) continue;
        char *end;
        long pid = strtol(n + bl + 5, &end, 10);
        if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        snprintf(p, sizeof p, "%s/%s", parent, n);
        drop_staging(p);
    }
    closedir(d);
}

/* float32 to 4 little-endian bytes, whatever the host's order */
static void put_f32le(io_buf_t *b, float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    const unsigned char c[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                                (unsigned char)(u >> 24)};
    io_buf_put(b, c, 4);
}

/* One file of the export: rows [n x dim] as .npy (names NULL), ids only
 * (emb NULL) or TSV rows (both). */
static int write_file(const char *path, const float *emb, const char *const *names, const uint32_t *lens, uint32_t n,
                      uint32_t dim, uint64_t *bytes, err_t *e)
{
    io_writer_t w;
    int rc = io_writer_open(&w, path, 0, e);
    if (rc) return rc;
    if (!names) {
        char h[128];
        int hl = snprintf(h, sizeof h, "{'descr': '<f4', 'fortran_order': False, 'shape': (%u, %u), }", n, dim);
        const int total = (10 + hl + 1 + 63) / 64 * 64;   /* magic, version, length, text, '\n': 64-aligned */
        const unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)((total - 10) & 0xff),
                                       (unsigned char)((total - 10) >> 8)};
        io_buf_put(&w.buf, pre, 10);
        io_buf_put(&w.buf, h, (size_t)hl);
        for (int i = 10 + hl; i < total - 1; i++) io_buf_put(&w.buf, " ", 1);
        io_buf_put(&w.buf, "\n", 1);
    }
    char num[32];
    for (uint32_t r = 0; r < n && !rc; r++) {
        if (names && (rc = io_buf_tsv(&w.buf, names[r], lens[r], e))) break;
        for (uint32_t j = 0; emb && j < dim; j++) {
            const float x = emb[(size_t)r * dim + j];
            if (!names) { put_f32le(&w.buf, x); continue; }
            io_buf_put(&w.buf, num, (size_t)snprintf(num, sizeof num, "\t%.9g", (double)x));
        }
        if (names) io_buf_put(&w.buf, "\n", 1);
        rc = io_writer_maybe_flush(&w, e);
    }
    struct stat st;
    if (rc) {
        io_writer_abort(&w);
        return rc;
    }
    if (!(rc = io_writer_close(&w, e)) && !stat(path, &st)) *bytes += (uint64_t)st.st_size;
    return rc;
}

/* The model's tables and ids, into the staging directory. */
static int write_all(store_txn_t *t, const char *model, const char *stage, int fmt, gnn_export_report_t *out, err_t *e)
{
    gnn_saved_meta_t meta;
    const float *emb;
    int rc = gnn_saved_meta(t, model, &meta, e);
    if (rc) return rc;
    const gnn_arch_t *a = gnn_arch_find(meta.arch);
    if (!a || a->kind != GNN_KIND_EMBED)
        return err_set(e, ERR_USAGE, "model '%s' (%s) has no embeddings to export: %s", model, meta.arch,
                       a && a->kind == GNN_KIND_FILTER ? "a graph filter scores from the interactions"
                                                       : "popularity scores from item counts");
    if ((rc = gnn_saved_embeddings(t, model, &meta, &emb, e))) return rc;
    const uint32_t n[2] = {meta.n_users, meta.n_items}, d = meta.dim;
    out->n_users = n[0];
    out->n_items = n[1];
    out->dim = d;
    static const char *const fn[2][3] = {{"users.npy", "user_ids.txt", "users.tsv"},
                                         {"items.npy", "item_ids.txt", "items.tsv"}};
    char path[4400];
    for (int k = 0; k < 2 && !rc; k++) {
        const char **names = malloc(((size_t)n[k] + 1) * sizeof *names);
        uint32_t *lens = malloc(((size_t)n[k] + 1) * sizeof *lens);
        const float *rows = emb + (k ? (size_t)n[0] * d : 0);
        if (!names || !lens) rc = err_set(e, ERR_NOMEM, "out of memory for %u ids", n[k]);
        if (!rc) rc = store_id_names(t, k ? STORE_ITEM : STORE_USER, n[k], names, lens, e);
        for (int f = fmt == GNN_EXPORT_TSV ? 2 : 0; !rc && f < (fmt == GNN_EXPORT_TSV ? 3 : 2); f++) {
            snprintf(path, sizeof path, "%s/%s", stage, fn[k][f]);
            rc = write_file(path, f == 1 ? NULL : rows, f == 0 ? NULL : names, lens, n[k], d, &out->bytes, e);
        }
        free(names);
        free(lens);
    }
    return rc;
}

/* fsync the directory holding path (the rename is then on disk). */
static void sync_parent(const char *path)
{
    char parent[4096];
    const char *slash = strrchr(path, '/');
    snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) { fsync(fd); close(fd); }
}

int gnn_export(store_t *s, const char *model, const char *dir, int fmt, gnn_export_report_t *out, err_t *e)
{
    memset(out, 0, sizeof *out);
    const size_t dl = strlen(dir);
    if (!dl || dl > 4000 || dir[dl - 1] == '/')
        return err_set(e, ERR_USAGE, "--out '%s': name a directory without a trailing '/'", dir);
    const int state = dir_state(dir, 0);
    if (state == 3)
        return err_set(e, ERR_USAGE, "--out %s: exists and holds other files than an export's (or is not a "
                       "directory): choose a new or empty directory", dir);
    drop_leftovers(dir);
    char stage[4100];
    snprintf(stage, sizeof stage, "%s.tmp.%ld", dir, (long)getpid());
    drop_staging(stage);   /* a leftover of a dead process that had our pid */
    if (mkdir(stage, 0777))
        return err_set(e, errno == ENOENT || errno == EACCES || errno == EROFS || errno == ENOTDIR ? ERR_USAGE : ERR_IO,
                       "cannot create %s: %s", stage, strerror(errno));
    store_txn_t t;
    int rc = store_read_begin(s, &t, e);
    if (!rc) {
        rc = write_all(&t, model, stage, fmt, out, e);
        store_read_end(&t);
    }
    if (!rc && state == 2) {
        if (renameat2(AT_FDCWD, stage, AT_FDCWD, dir, RENAME_EXCHANGE))
            rc = err_set(e, ERR_IO, "cannot replace %s: %s", dir, strerror(errno));
        else out->replaced = 1;   /* the old export is now at stage, dropped below */
    } else if (!rc && rename(stage, dir)) {
        rc = err_set(e, ERR_IO, "cannot rename %s to %s: %s", stage, dir, strerror(errno));
    }
    if (!rc) sync_parent(dir);
    if (rc || out->replaced) drop_staging(stage);
    return rc;
}
