/* idlist.c - id lists and new-user item files (idlist.h). Assumes ids are
 * opaque byte strings without blanks (the input formats split on blanks). */
#include "io/idlist.h"

#include <stdlib.h>
#include <string.h>

#include "io/lines.h"

int io_idspec_kind(const char *spec, const char **path)
{
    *path = NULL;
    if (!strcmp(spec, "all")) return IO_IDS_ALL;
    if (spec[0] == '@') { *path = spec + 1; return IO_IDS_FILE; }
    if (strchr(spec, '/')) { *path = spec; return IO_IDS_FILE; }
    return IO_IDS_LIST;
}

void io_idlist_init(io_idlist_t *l) { memset(l, 0, sizeof *l); }

void io_idlist_destroy(io_idlist_t *l)
{
    free(l->text);
    free(l->off);
    free(l->line);
    memset(l, 0, sizeof *l);
}

int io_idlist_push(io_idlist_t *l, const char *s, size_t len, long line, err_t *e)
{
    if (l->n + 1 >= l->cap) {
        size_t c = l->cap ? l->cap * 2 : 256;
        uint64_t *o = realloc(l->off, (c + 1) * sizeof *o);
        if (o) l->off = o;
        long *ln = realloc(l->line, c * sizeof *ln);
        if (ln) l->line = ln;
        if (!o || !ln) return err_set(e, ERR_NOMEM, "out of memory for ids");
        if (l->cap == 0) l->off[0] = 0;
        l->cap = c;
    }
    uint64_t used = l->off[l->n];
    if (used + len > l->tcap) {
        size_t c = l->tcap ? l->tcap : 4096;
        while (c < used + len) c *= 2;
        char *t = realloc(l->text, c);
        if (!t) return err_set(e, ERR_NOMEM, "out of memory for ids");
        l->text = t;
        l->tcap = c;
    }
    if (len) memcpy(l->text + used, s, len);
    l->line[l->n] = line;
    l->off[++l->n] = used + len;
    return ERR_OK;
}

int io_idlist_read_file(io_idlist_t *l, const char *path, err_t *e)
{
    io_lines_t in;
    char *line, *f[1];
    size_t len, fl[1];
    int rc = io_lines_open(&in, path, 1 << 16, e);
    if (rc) return rc;
    while (!(rc = io_lines_next(&in, &line, &len, e)) && line)
        if (io_split_fields(line, ' ', f, fl, 1) >= 1 && (rc = io_idlist_push(l, f[0], fl[0], in.line, e))) break;
    io_lines_close(&in);
    return rc;
}

int io_idlist_parse_list(io_idlist_t *l, const char *csv, err_t *e)
{
    const char *p = csv;
    for (;;) {
        const char *q = strchr(p, ',');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        int rc = n ? io_idlist_push(l, p, n, 0, e) : ERR_OK;
        if (rc) return rc;
        if (!q) return ERR_OK;
        p = q + 1;
    }
}

int io_idlist_read_spec(io_idlist_t *l, const char *spec, err_t *e)
{
    const char *path;
    int kind = io_idspec_kind(spec, &path);
    if (kind == IO_IDS_ALL) return err_set(e, ERR_INTERNAL, "io_idlist_read_spec: \"all\" is not a list");
    return kind == IO_IDS_FILE ? io_idlist_read_file(l, path, e) : io_idlist_parse_list(l, spec, e);
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\0' || c == '\r'; }

int io_user_items_read(io_user_items_t *u, const char *path, size_t max_user, err_t *e)
{
    io_lines_t in;
    char *line;
    size_t len, cap = 0;
    memset(u, 0, sizeof *u);
    int rc = io_lines_open(&in, path, (size_t)1 << 26, e);
    if (rc) return rc;
    if (!(u->start = malloc(sizeof *u->start))) rc = err_set(e, ERR_NOMEM, "out of memory");
    else u->start[0] = 0;
    while (!rc && !(rc = io_lines_next(&in, &line, &len, e)) && line) {
        char *f[1], *end = line + len;
        size_t fl[1];
        if (io_split_fields(line, ' ', f, fl, 1) < 1) continue;
        if (fl[0] > max_user) { rc = err_input(e, path, in.line, "user id longer than %zu bytes", max_user); break; }
        if (u->users.n + 1 >= cap) {
            size_t c = cap ? cap * 2 : 256;
            uint32_t *s = realloc(u->start, (c + 1) * sizeof *s);
            if (!s) { rc = err_set(e, ERR_NOMEM, "out of memory"); break; }
            u->start = s;
            cap = c;
        }
        if ((rc = io_idlist_push(&u->users, f[0], fl[0], in.line, e))) break;
        /* the items: the rest of the line, blank-separated (split_fields
         * cut the line after the first field, so walk the rest by hand) */
        for (char *p = f[0] + fl[0]; p < end && !rc;) {
            while (p < end && is_blank(*p)) p++;
            char *s = p;
            while (p < end && !is_blank(*p)) p++;
            if (p > s) rc = io_idlist_push(&u->items, s, (size_t)(p - s), in.line, e);
        }
        u->start[u->users.n] = (uint32_t)u->items.n;
    }
    io_lines_close(&in);
    if (rc) io_user_items_destroy(u);
    return rc;
}

void io_user_items_destroy(io_user_items_t *u)
{
    io_idlist_destroy(&u->users);
    io_idlist_destroy(&u->items);
    free(u->start);
    memset(u, 0, sizeof *u);
}

int io_shard_parse(const char *v, uint32_t *i, uint32_t *n, err_t *e)
{
    char *end = NULL, *end2 = NULL;
    *i = 0, *n = 1;
    if (!v) return ERR_OK;
    unsigned long a = strtoul(v, &end, 10), b = *v >= '0' && *v <= '9' && *end == '/' ? strtoul(end + 1, &end2, 10) : 0;
    if (!end2 || end2 == end + 1 || *end2 || b < 1 || b > (1ul << 20) || a >= b)
        return err_set(e, ERR_USAGE, "--shard: expected I/N with 0 <= I < N <= 1048576, got \"%s\"", v);
    *i = (uint32_t)a, *n = (uint32_t)b;
    return ERR_OK;
}
