/* out.c - see out.h. The signal handler may only do async-signal-safe
 * work, so it unlinks a path copied into static storage before the handler
 * is installed: the one piece of process-wide state in the feed layer (a
 * handler gets no argument to find a job by), guarded by `armed`. */
#include "feed/out.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void feed_buf_put(feed_buf_t *b, const char *s, size_t l)
{
    if (b->n + l > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->n + l) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) { b->oom = 1; return; }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, l);
    b->n += l;
}

void feed_buf_u64(feed_buf_t *b, uint64_t v)
{
    char t[24];
    int i = sizeof t;
    do { t[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    feed_buf_put(b, t + i, sizeof t - (size_t)i);
}

void feed_buf_num(feed_buf_t *b, double x)
{
    if (!(fabs(x) < 1e12)) {
        char t[40];
        int l = snprintf(t, sizeof t, "%.6g", x);
        feed_buf_put(b, t, (size_t)l);
        return;
    }
    int64_t v = llround(x * 1e6);
    if (v < 0) { FEED_BUF_LIT(b, "-"); v = -v; }
    feed_buf_u64(b, (uint64_t)(v / 1000000));
    int f = (int)(v % 1000000), d = 6;
    if (!f) return;
    while (f % 10 == 0) { f /= 10; d--; }
    char t[8];
    t[0] = '.';
    for (int i = d; i > 0; i--) { t[i] = (char)('0' + f % 10); f /= 10; }
    feed_buf_put(b, t, (size_t)d + 1);
}

void feed_buf_json_str(feed_buf_t *b, const char *s, uint32_t l)
{
    FEED_BUF_LIT(b, "\"");
    for (uint32_t i = 0; i < l; i++) {
        unsigned char ch = (unsigned char)s[i];
        char t[8];
        if (ch == '"' || ch == '\\') { t[0] = '\\'; t[1] = (char)ch; feed_buf_put(b, t, 2); }
        else if (ch < 0x20) { snprintf(t, sizeof t, "\\u%04x", ch); feed_buf_put(b, t, 6); }
        else feed_buf_put(b, (const char *)&s[i], 1);
    }
    FEED_BUF_LIT(b, "\"");
}

/* ---- removing the temporary file on SIGINT / SIGTERM ------------------- */

static char guard_path[4096];
static volatile sig_atomic_t armed;
static struct sigaction old_int, old_term;

static void on_signal(int sig)
{
    if (armed) unlink(guard_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* A signal ignored when the job started (a background job of a shell)
 * stays ignored. */
static void guard(int sig, struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, NULL, old) == 0 && old->sa_handler != SIG_IGN) sigaction(sig, &sa, NULL);
}

static void guard_on(const char *tmp)
{
    snprintf(guard_path, sizeof guard_path, "%s", tmp);
    armed = 1;
    guard(SIGINT, &old_int);
    guard(SIGTERM, &old_term);
}

static void guard_off(void)
{
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    armed = 0;
}

/* ---- the output file --------------------------------------------------- */

int feed_out_open(feed_out_t *o, const char *path, err_t *e)
{
    o->path = path;
    o->f = NULL;
    o->tmp[0] = '\0';
    if (!strcmp(path, "-")) {
        o->f = stdout;
    } else {
        if ((size_t)snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof o->tmp) {
            o->tmp[0] = '\0';
            return err_set(e, ERR_USAGE, "--out: path too long");
        }
        guard_on(o->tmp);   /* before the file exists: no window without the guard */
        int fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0) {
            int bad = errno == ENOENT || errno == ENOTDIR || errno == EACCES;
            int rc = err_set(e, bad ? ERR_USAGE : ERR_IO, "--out %s: cannot create %s: %s", path, o->tmp,
                             strerror(errno));
            guard_off();
            o->tmp[0] = '\0';
            return rc;
        }
        if (!(o->f = fdopen(fd, "w"))) {
            int err = errno;
            close(fd);
            feed_out_abort(o);
            return err_set(e, ERR_IO, "--out %s: %s", path, strerror(err));
        }
    }
    setvbuf(o->f, NULL, _IOFBF, 1 << 20);
    return ERR_OK;
}

int feed_out_write(feed_out_t *o, const void *p, size_t n, err_t *e)
{
    if (n && fwrite(p, 1, n, o->f) != n) return err_set(e, ERR_IO, "cannot write the output: %s", strerror(errno));
    return ERR_OK;
}

int feed_out_commit(feed_out_t *o, err_t *e)
{
    if (fflush(o->f) || ferror(o->f) || (o->tmp[0] && fsync(fileno(o->f))))
        return err_set(e, ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
    if (!o->tmp[0]) return ERR_OK;
    int c = fclose(o->f);
    o->f = NULL;
    if (c || rename(o->tmp, o->path)) return err_set(e, ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
    guard_off();
    o->tmp[0] = '\0';
    return ERR_OK;
}

void feed_out_abort(feed_out_t *o)
{
    if (o->f && o->f != stdout) fclose(o->f);
    o->f = NULL;
    if (o->tmp[0]) {
        unlink(o->tmp);
        guard_off();
        o->tmp[0] = '\0';
    }
}

void feed_out_leftovers(const char *path, char (*names)[4096], int max, uint32_t *n)
{
    *n = 0;
    if (!strcmp(path, "-")) return;
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path + 1) : 1, slash ? path : ".");
    size_t bl = strlen(base);
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *de; (de = readdir(d));) {
        const char *s = de->d_name;
        if (strncmp(s, base, bl) || strncmp(s + bl, ".tmp.", 5)) continue;
        char *end;
        errno = 0;
        long pid = strtol(s + bl + 5, &end, 10);
        if (*end || end == s + bl + 5 || errno || pid <= 0 || pid > 0x7fffffffL || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        if ((int)*n < max) snprintf(names[*n], 4096, "%.3800s%.255s", slash ? dir : "", s);
        (*n)++;
    }
    closedir(d);
}
