/* idlist.h - the id lists a query names: `--users` / `--similar-items`
 * values (all, a file, or ids on the command line) and new-user item files
 * (`user item item ...`). External ids stay strings here; resolving them to
 * the store's dense ids is the caller's (gnn/scorer.h).
 *
 * The rule for a value (docs/infer.md), unambiguous whatever files exist:
 *   "all"                 every id
 *   "@PATH"               the file PATH
 *   a value with a '/'    a file (./users.txt, /data/u.txt)
 *   anything else         comma-separated ids: `--users 2` is user 2 even
 *                         when the working directory holds a file named 2
 * A file of ids: the first blank-separated field of each line; blank lines
 * are skipped. Lines longer than 64 KiB or holding a NUL byte are ERR_INPUT
 * "FILE:LINE: ..." (io/lines.h).
 */
#ifndef GNNREC_IO_IDLIST_H
#define GNNREC_IO_IDLIST_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

enum io_idspec { IO_IDS_ALL, IO_IDS_FILE, IO_IDS_LIST };

/* Which of the three a value is; *path: the file (for IO_IDS_FILE). */
int io_idspec_kind(const char *spec, const char **path);

/* n strings back to back: id j is text[off[j] .. off[j + 1]), from line[j]
 * of its file (0 on a command line). */
typedef struct io_idlist {
    char *text;       /* [off[n]] */
    uint64_t *off;    /* [n + 1] */
    long *line;       /* [n] */
    size_t n, cap, tcap;
} io_idlist_t;

void io_idlist_init(io_idlist_t *l);
void io_idlist_destroy(io_idlist_t *l);
int io_idlist_push(io_idlist_t *l, const char *s, size_t len, long line, err_t *e);
static inline const char *io_idlist_at(const io_idlist_t *l, size_t j, size_t *len)
{
    *len = (size_t)(l->off[j + 1] - l->off[j]);
    return l->text + l->off[j];
}

/* The ids of a file (first field per line), appended to l. */
int io_idlist_read_file(io_idlist_t *l, const char *path, err_t *e);
/* Comma-separated ids (empty ones skipped), appended to l. */
int io_idlist_parse_list(io_idlist_t *l, const char *csv, err_t *e);
/* The ids of a non-"all" value by the rule above. */
int io_idlist_read_spec(io_idlist_t *l, const char *spec, err_t *e);

/* `--shard I/N` (0 <= I < N <= 2^20) into *i, *n; spec NULL: 0 of 1.
 * ERR_USAGE naming the value otherwise. */
int io_shard_parse(const char *spec, uint32_t *i, uint32_t *n, err_t *e);

/* A new-user file: one user per non-blank line, `user item item ...`
 * (blank-separated, lines up to 64 MiB). users[u]'s items are
 * items[start[u] .. start[u + 1]). A user id longer than max_user bytes is
 * ERR_INPUT "FILE:LINE: user id longer than N bytes". An empty file is no
 * user (not an error). */
typedef struct io_user_items {
    io_idlist_t users, items;
    uint32_t *start;   /* [users.n + 1] */
} io_user_items_t;

int io_user_items_read(io_user_items_t *u, const char *path, size_t max_user, err_t *e);
void io_user_items_destroy(io_user_items_t *u);

#endif
