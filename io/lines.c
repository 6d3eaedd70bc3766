/* lines.c - see lines.h. */
#include "io/lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int io_lines_open(io_lines_t *r, const char *path, size_t max_len, err_t *e)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->max_len = max_len;
    struct stat st;
    if (stat(path, &st) != 0)
        return err_input(e, path, 0, "cannot open: %s", strerror(errno));
    if (S_ISDIR(st.st_mode))
        return err_input(e, path, 0, "is a directory, expected a file");
    r->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    r->f = fopen(path, "rb");
    if (!r->f) return err_input(e, path, 0, "cannot open: %s", strerror(errno));
    /* start at 1 MiB and grow up to max_len + 2 only when a line needs it:
     * a small file with a 64 MiB line limit (adj) must not cost 64 MiB */
    r->cap = (size_t)1 << 20;
    r->buf = malloc(r->cap + 1);
    if (!r->buf) {
        fclose(r->f);
        r->f = NULL;
        return err_set(e, ERR_NOMEM, "out of memory reading %s", path);
    }
    return ERR_OK;
}

void io_lines_close(io_lines_t *r)
{
    if (r->f) fclose(r->f);
    free(r->buf);
    r->f = NULL;
    r->buf = NULL;
}

/* Move the unread tail to the front and fill the rest of the buffer. */
static int refill(io_lines_t *r, err_t *e)
{
    size_t n = r->end - r->start;
    memmove(r->buf, r->buf + r->start, n);
    r->start = 0;
    r->end = n;
    if (n == r->cap) {   /* a line longer than the buffer, still within max_len */
        size_t cap = r->cap * 2 < r->max_len + 2 ? r->cap * 2 : r->max_len + 2;
        char *p = cap > r->cap ? realloc(r->buf, cap + 1) : NULL;
        if (!p) return err_set(e, ERR_NOMEM, "out of memory reading %s", r->path);
        r->buf = p;
        r->cap = cap;
    }
    size_t got = fread(r->buf + n, 1, r->cap - n, r->f);
    if (got == 0) {
        if (ferror(r->f))   /* the file is fine, the system is not: exit 1, not 2 */
            return err_set(e, ERR_IO, "%s:%ld: read error: %s", r->path, r->line + 1, strerror(errno));
        r->eof = 1;
    }
    r->end += got;
    return ERR_OK;
}

int io_lines_next(io_lines_t *r, char **line, size_t *len, err_t *e)
{
    *line = NULL;
    *len = 0;
    for (;;) {
        char *s = r->buf + r->start;
        size_t avail = r->end - r->start;
        char *nl = memchr(s, '\n', avail);
        if (nl || (r->eof && avail > 0)) {
            size_t n = nl ? (size_t)(nl - s) : avail;
            r->line++;
            if (n > r->max_len)
                return err_input(e, r->path, r->line, "line longer than %zu bytes", r->max_len);
            if (memchr(s, '\0', n))
                return err_input(e, r->path, r->line, "binary data (NUL byte); expected a text file");
            r->start += n + (nl != NULL);
            r->offset += n + (nl != NULL);
            if (n > 0 && s[n - 1] == '\r') n--;
            /* a UTF-8 byte-order mark (editors on Windows write one) is
             * not part of the first field */
            if (r->line == 1 && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) { s += 3; n -= 3; }
            s[n] = '\0';
            *line = s;
            *len = n;
            return ERR_OK;
        }
        if (r->eof) return ERR_OK;
        if (avail > r->max_len)
            return err_input(e, r->path, r->line + 1, "line longer than %zu bytes", r->max_len);
        int rc = refill(r, e);
        if (rc) return rc;
    }
}

int io_split_fields(char *line, char delim, char **fields, size_t *lens, int max)
{
    int n = 0;
    char *p = line;
    if (delim == ' ') {
        for (;;) {
            while (*p == ' ' || *p == '\t') p++;
            if (!*p) break;
            char *q = p;
            while (*q && *q != ' ' && *q != '\t') q++;
            if (n < max) { fields[n] = p; lens[n] = (size_t)(q - p); }
            n++;
            if (!*q) break;
            *q = '\0';
            p = q + 1;
        }
        return n;
    }
    for (;;) {
        char *q = strchr(p, delim);
        size_t l = q ? (size_t)(q - p) : strlen(p);
        /* trim blanks around a field so "a, b" reads as "a","b" */
        while (l && (*p == ' ' || *p == '\t')) { p++; l--; }
        while (l && (p[l - 1] == ' ' || p[l - 1] == '\t')) l--;
        if (n < max) { fields[n] = p; lens[n] = l; p[l] = '\0'; }
        n++;
        if (!q) break;
        p = q + 1;
    }
    return n;
}
