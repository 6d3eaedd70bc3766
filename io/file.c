/* file.c - see file.h. Assumes POSIX realpath (PATH_MAX buffers). */
#include "io/file.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int io_file_read(const char *path, size_t max, const char *what, char **buf, size_t *len, err_t *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(e, ERR_IO, "%s: cannot open %s: %s", path, what, strerror(errno));
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    int rc = b ? ERR_OK : err_set(e, ERR_NOMEM, "out of memory reading %s", path);
    while (!rc) {
        if (n == cap) {
            char *t = cap >= max ? NULL : realloc(b, cap * 2);
            if (cap >= max)
                rc = err_input(e, path, 0, "too large for a %s (over %zu MiB); is this a data file?", what, max >> 20);
            else if (!t) rc = err_set(e, ERR_NOMEM, "out of memory reading %s", path);
            if (rc) break;
            b = t;
            cap *= 2;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int saved = errno;
    if (!rc && ferror(f)) rc = err_set(e, ERR_IO, "%s: cannot read %s: %s", path, what, strerror(saved));
    fclose(f);
    if (rc) {
        free(b);
        return rc;
    }
    *buf = b;
    *len = n;
    return ERR_OK;
}

/* 1 if real (an absolute path without symlinks) is root or below it. */
static int below(const char *root, const char *real)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/') return 1;
    return !strncmp(real, root, n) && (real[n] == '/' || real[n] == '\0');
}

int io_path_inside(const char *dir, const char *path)
{
    char root[PATH_MAX], real[PATH_MAX];
    if (!realpath(dir, root)) return -1;
    if (realpath(path, real)) return below(root, real);
    struct stat st;
    if (lstat(path, &st) == 0) return 0;
    char *parent = strdup(path);
    if (!parent) return -1;
    char *slash = strrchr(parent, '/');
    int ok;
    if (!slash) ok = realpath(".", real) != NULL;
    else {
        if (slash == parent) slash[1] = '\0';
        else *slash = '\0';
        ok = realpath(parent, real) != NULL;
    }
    free(parent);
    return ok ? below(root, real) : -1;
}
