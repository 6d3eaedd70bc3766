/* writer.c - the buffered TSV/JSON-lines writer of writer.h.
 *
 * Assumes one writer per output and one thread per io_buf_t. The number
 * formatters are hand-written because printf dominated the time of large
 * outputs; whatever their fast path does not cover goes to snprintf, so the
 * bytes are printf's in every case (tests/test_writer.c compares them).
 */
#include "io/writer.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int io_buf_init(io_buf_t *b, size_t cap, err_t *e)
{
    memset(b, 0, sizeof *b);
    b->cap = cap ? cap : (size_t)64 << 10;
    if (!(b->p = malloc(b->cap))) return err_set(e, ERR_NOMEM, "out of memory for an output buffer");
    return ERR_OK;
}

void io_buf_destroy(io_buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Room for need more bytes; 0 on success, -1 (and b->oom) when it cannot grow. */
static int room(io_buf_t *b, size_t need)
{
    if (b->oom) return -1;
    if (b->n + need <= b->cap) return 0;
    size_t c = b->cap ? b->cap : 4096;
    while (c < b->n + need) c *= 2;
    char *p = realloc(b->p, c);
    if (!p) { b->oom = 1; return -1; }
    b->p = p;
    b->cap = c;
    return 0;
}

void io_buf_put(io_buf_t *b, const void *s, size_t l)
{
    if (room(b, l)) return;
    memcpy(b->p + b->n, s, l);
    b->n += l;
}

void io_buf_str(io_buf_t *b, const char *s) { io_buf_put(b, s, strlen(s)); }

void io_buf_u64(io_buf_t *b, uint64_t v)
{
    char t[24];
    int i = sizeof t;
    do { t[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    io_buf_put(b, t + i, sizeof t - (size_t)i);
}

static void printf_g6(io_buf_t *b, double x)
{
    if (room(b, 32)) return;
    b->n += (size_t)snprintf(b->p + b->n, 32, "%.6g", x);
}

/* %.6g: 6 significant digits, fixed notation for exponents -4..5, trailing
 * zeros dropped. Exponent notation, non-finite values and a rounding edge
 * (the digits carry into a seventh) go to printf. */
void io_buf_g6(io_buf_t *b, double x)
{
    static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    double ax = fabs(x);
    if (isfinite(x) && ax >= 1e-4 && ax < 999999.5) {
        int ex = (int)floor(log10(ax));
        if (ex >= -4 && ex <= 5) {
            int dec = 5 - ex;
            long long s = llrint(ax * p10[dec]);   /* half to even, as printf on exact halves */
            if (s >= 100000 && s < 1000000) {
                long long ip = s / (long long)p10[dec], fp = s % (long long)p10[dec];
                char t[32], *p = t, d[24];
                if (x < 0) *p++ = '-';
                int n = 0;
                do d[n++] = (char)('0' + ip % 10); while (ip /= 10);
                while (n) *p++ = d[--n];
                if (fp) {
                    *p++ = '.';
                    for (int k = dec - 1; k >= 0; k--) d[k] = (char)('0' + fp % 10), fp /= 10;
                    int last = dec;
                    while (last > 0 && d[last - 1] == '0') last--;
                    memcpy(p, d, (size_t)last);
                    p += last;
                }
                io_buf_put(b, t, (size_t)(p - t));
                return;
            }
        }
    }
    printf_g6(b, x);
}

void io_buf_f6(io_buf_t *b, double x)
{
    if (!(fabs(x) < 1e12)) { printf_g6(b, x); return; }
    int64_t v = llround(x * 1e6);
    if (v < 0) { io_buf_put(b, "-", 1); v = -v; }
    io_buf_u64(b, (uint64_t)(v / 1000000));
    int f = (int)(v % 1000000), d = 6;
    if (!f) return;
    while (f % 10 == 0) { f /= 10; d--; }
    char t[8];
    t[0] = '.';
    for (int i = d; i > 0; i--) { t[i] = (char)('0' + f % 10); f /= 10; }
    io_buf_put(b, t, (size_t)d + 1);
}

void io_buf_json_str(io_buf_t *b, const char *s, size_t l)
{
    if (room(b, l * 6 + 2)) return;
    char *p = b->p + b->n;
    *p++ = '"';
    for (size_t i = 0; i < l; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') { *p++ = '\\'; *p++ = (char)c; }
        else if (c < 0x20) p += sprintf(p, "\\u%04x", c);
        else *p++ = (char)c;
    }
    *p++ = '"';
    b->n = (size_t)(p - b->p);
}

int io_buf_tsv(io_buf_t *b, const char *s, size_t l, err_t *e)
{
    for (size_t i = 0; i < l; i++)
        if (s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
            return err_set(e, ERR_INPUT, "the id \"%.*s\" holds a %s: it cannot be a TSV field (use --format jsonl)",
                           (int)(l < 64 ? l : 64), s, s[i] == '\t' ? "TAB" : "line break");
    io_buf_put(b, s, l);
    return ERR_OK;
}

/* ---- the sink ---- */

void io_leftovers_remove(const char *path, const char *suffix, char (*names)[4096], int max, uint32_t *n)
{
    *n = 0;
    if (!strcmp(path, "-")) return;
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path + 1) : 1, slash ? path : ".");
    size_t bl = strlen(base), sl = strlen(suffix);
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *de; (de = readdir(d));) {
        const char *s = de->d_name;
        if (strncmp(s, base, bl) || strncmp(s + bl, ".tmp.", 5)) continue;
        char *end;
        errno = 0;
        long pid = strtol(s + bl + 5, &end, 10);
        if ((sl ? strncmp(end, suffix, sl) != 0 : *end != 0) || end == s + bl + 5 || errno || pid <= 0 ||
            pid > 0x7fffffffL || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char full[4096];
        snprintf(full, sizeof full, "%.3800s%.255s", slash ? dir : "", s);
        if (unlink(full)) continue;
        if ((int)*n < max) memcpy(names[*n], full, sizeof full);
        (*n)++;
    }
    closedir(d);
}

void io_writer_leftovers(const char *path, char (*names)[4096], int max, uint32_t *n)
{
    io_leftovers_remove(path, "", names, max, n);
}

int io_writer_open(io_writer_t *w, const char *path, size_t buf_size, err_t *e)
{
    memset(w, 0, sizeof *w);
    int rc = io_buf_init(&w->buf, buf_size ? buf_size : (size_t)1 << 20, e);
    if (rc) return rc;
    w->flush_at = w->buf.cap;
    if (!(w->path = strdup(path))) { io_writer_abort(w); return err_set(e, ERR_NOMEM, "out of memory"); }
    if (!strcmp(path, "-")) {
        w->f = stdout;
        return ERR_OK;
    }
    size_t n = strlen(path) + 32;
    if (!(w->tmp = malloc(n))) { io_writer_abort(w); return err_set(e, ERR_NOMEM, "out of memory"); }
    snprintf(w->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    io_writer_leftovers(path, NULL, 0, &w->leftovers);
    /* O_EXCL: never write through a file or link someone else put there; a
     * leftover of a killed process that had our pid is ours to replace */
    int fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST && !unlink(w->tmp)) fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 || !(w->f = fdopen(fd, "wb"))) {
        int err = errno, bad = err == ENOENT || err == ENOTDIR || err == EACCES || err == EROFS;
        rc = err_set(e, bad ? ERR_USAGE : ERR_IO, "cannot create %s: %s", w->tmp, strerror(err));
        if (fd >= 0) { close(fd); unlink(w->tmp); }
        free(w->tmp);
        w->tmp = NULL;   /* nothing left to remove */
        io_writer_abort(w);
        return rc;
    }
    return ERR_OK;
}

static int write_fail(io_writer_t *w, err_t *e)
{
    w->failed = 1;
    const char *why = strerror(errno ? errno : EIO);
    /* stdout's failure reads as every command's does (tools/gnnrec.c) */
    if (!strcmp(w->path, "-")) return err_set(e, ERR_IO, "writing standard output: %s", why);
    return err_set(e, ERR_IO, "cannot write %s: %s", w->path, why);
}

int io_writer_write(io_writer_t *w, const void *p, size_t n, err_t *e)
{
    if (w->failed) return err_set(e, ERR_IO, "cannot write %s: an earlier write failed", w->path);
    errno = 0;
    if (n && fwrite(p, 1, n, w->f) != n) return write_fail(w, e);
    return ERR_OK;
}

int io_writer_flush(io_writer_t *w, err_t *e)
{
    if (w->buf.oom) {
        w->failed = 1;
        return err_set(e, ERR_NOMEM, "out of memory formatting the output");
    }
    int rc = io_writer_write(w, w->buf.p, w->buf.n, e);
    w->buf.n = 0;
    return rc;
}

int io_writer_maybe_flush(io_writer_t *w, err_t *e)
{
    return w->buf.n >= w->flush_at || w->buf.oom ? io_writer_flush(w, e) : ERR_OK;
}

int io_writer_rewind(io_writer_t *w, err_t *e)
{
    if (!w->tmp) return err_set(e, ERR_IO, "cannot start %s over: it is standard output", w->path);
    w->buf.n = 0;
    w->buf.oom = 0;
    errno = 0;
    if (fflush(w->f) || ftruncate(fileno(w->f), 0) || fseek(w->f, 0, SEEK_SET)) return write_fail(w, e);
    w->failed = 0;
    return ERR_OK;
}

int io_writer_close(io_writer_t *w, err_t *e)
{
    int rc = io_writer_flush(w, e);
    if (!rc) {
        errno = 0;
        if (fflush(w->f) || ferror(w->f) || (w->tmp && fsync(fileno(w->f)))) rc = write_fail(w, e);
    }
    if (w->tmp) {
        errno = 0;
        int c = fclose(w->f);
        w->f = NULL;
        if (!rc && c) rc = write_fail(w, e);
        if (!rc && rename(w->tmp, w->path)) rc = write_fail(w, e);
        if (!rc) { free(w->tmp); w->tmp = NULL; }
    }
    w->f = NULL;
    io_writer_abort(w);
    return rc;
}

void io_writer_abort(io_writer_t *w)
{
    if (w->f && w->f != stdout) fclose(w->f);
    if (w->tmp) unlink(w->tmp);
    free(w->tmp);
    free(w->path);
    io_buf_destroy(&w->buf);
    memset(w, 0, sizeof *w);
}
