/* mlog.c - gnn/mlog.h: the metrics log's lines in memory and in the
 * --metrics-log file. Assumes one writer (the trainer's thread). */
#include "gnn/mlog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int gnn_mlog_open(gnn_mlog_t *l, const char *path, int append, err_t *e)
{
    l->path = path;
    if (path && !(l->f = fopen(path, append ? "a" : "w")))
        return err_set(e, ERR_USAGE, "--metrics-log %s: cannot write", path);
    return ERR_OK;
}

int gnn_mlog_add(gnn_mlog_t *l, const char *text, size_t n, err_t *e)
{
    if (l->len + n + 1 > l->cap) {
        size_t c = l->cap ? l->cap * 2 : 4096;
        while (c < l->len + n + 1) c *= 2;
        char *p = realloc(l->buf, c);
        if (!p) return err_set(e, ERR_NOMEM, "out of memory");
        l->buf = p;
        l->cap = c;
    }
    memcpy(l->buf + l->len, text, n);
    l->len += n;
    l->buf[l->len] = 0;
    return ERR_OK;
}

int gnn_mlog_line(gnn_mlog_t *l, const char *line, err_t *e)
{
    int rc = gnn_mlog_add(l, line, strlen(line), e);
    if (rc || !l->f) return rc;
    if (fputs(line, l->f) == EOF || fflush(l->f) == EOF)
        return err_set(e, ERR_IO, "--metrics-log %s: %s", l->path, strerror(errno));
    return ERR_OK;
}

int gnn_mlog_close(gnn_mlog_t *l, int rc, err_t *e)
{
    if (l->f && fclose(l->f) == EOF && !rc)
        rc = err_set(e, ERR_IO, "--metrics-log %s: %s", l->path, strerror(errno));
    free(l->buf);
    *l = (gnn_mlog_t){0};
    return rc;
}
