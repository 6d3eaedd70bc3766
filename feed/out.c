/* out.c - see out.h. The signal handler may only do async-signal-safe
 * work, so it unlinks a path copied into static storage before the handler
 * is installed: the one piece of process-wide state in the feed layer (a
 * handler gets no argument to find a job by), guarded by `armed`. The
 * temporary file exists a few instructions before the guard does (its name
 * is the writer's to choose); a signal in that window leaves it, and
 * io_writer_leftovers (io/writer.h) removes it on the next run. */
#include "feed/out.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* path's directory is missing, not a directory or not writable. */
static int bad_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
    struct stat st;
    return stat(dir, &st) || !S_ISDIR(st.st_mode) || access(dir, W_OK);
}

int feed_out_open(io_writer_t *w, const char *path, err_t *e)
{
    int rc = io_writer_open(w, path, 0, e);
    if (rc == ERR_IO && bad_dir(path)) {   /* the user's path, not the machine, is wrong */
        char msg[sizeof e->msg];
        snprintf(msg, sizeof msg, "%s", e ? e->msg : "");
        return err_set(e, ERR_USAGE, "--out %s: %s", path, msg);
    }
    if (!rc && w->tmp) guard_on(w->tmp);
    return rc;
}

int feed_out_close(io_writer_t *w, err_t *e)
{
    int guarded = w->tmp != NULL;
    int rc = io_writer_close(w, e);
    if (guarded) guard_off();
    return rc;
}

void feed_out_abort(io_writer_t *w)
{
    int guarded = w->tmp != NULL;
    io_writer_abort(w);
    if (guarded) guard_off();
}

void feed_out_spill_leftovers(const char *path, uint32_t *n)
{
    char spill[4096];
    const char *tmp = getenv("TMPDIR");
    if (!strcmp(path, "-")) snprintf(spill, sizeof spill, "%s/%s", tmp && *tmp ? tmp : "/tmp", FEED_SPILL_BASE);
    io_leftovers_remove(strcmp(path, "-") ? path : spill, ".sort", NULL, 0, n);
}
