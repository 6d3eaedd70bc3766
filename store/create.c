/* create.c - making a new store so that, killed at any moment, it leaves
 * either no store or the whole one (see store.h, store_create_begin).
 *
 * DIR absent: the store is written in DIR.partial-PID beside it and that
 * directory is renamed to DIR (without replacing anything that appeared
 * meanwhile). DIR an existing empty directory (or a symlink to one, or a
 * mount point): DIR itself is never replaced - its mode, owner, group and
 * setgid bit are the administrator's - so the store is written in
 * DIR/.partial-PID and its data.mdb is linked into DIR, the one step that
 * makes DIR a store. A process killed before that step leaves only a
 * *.partial-PID directory, which the next store_create_check removes once
 * that process is gone.
 *
 * Assumes PIDs are not reused while a partial directory is fresh (a reused
 * PID only keeps a stale directory longer) and one host per store.
 */
#define _GNU_SOURCE   /* renameat2 */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PARTIAL ".partial-"

/* The PID in NAME = PREFIX.partial-PID (prefix "" for the ones inside a
 * directory), or 0 if the name is not that. */
static long partial_pid(const char *name, const char *prefix, size_t plen)
{
    if (strncmp(name, prefix, plen) != 0 || strncmp(name + plen, PARTIAL, sizeof PARTIAL - 1) != 0) return 0;
    const char *d = name + plen + sizeof PARTIAL - 1;
    if (!*d) return 0;
    long pid = 0;
    for (; *d; d++) {
        if (*d < '0' || *d > '9' || pid > 1000000000L) return 0;
        pid = pid * 10 + (*d - '0');
    }
    return pid;
}

static int pid_alive(long pid)
{
    return pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

/* Remove a partial directory of a dead process: only the files a store
 * has, then the directory (left alone if anything else is in it). */
static void remove_partial(const char *path)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/data.mdb", path);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", path);
    unlink(p);
    rmdir(path);
}

/* Remove the stale partial directories in dir whose names are
 * prefix.partial-PID (their process is gone). */
static void clean_in(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d) return;
    size_t plen = strlen(prefix);
    struct dirent *de;
    while ((de = readdir(d))) {
        long pid = partial_pid(de->d_name, prefix, plen);
        if (!pid) continue;
        if (pid_alive(pid)) continue;
        char p[4200];
        if (snprintf(p, sizeof p, "%s/%s", dir, de->d_name) < (int)sizeof p) remove_partial(p);
    }
    closedir(d);
}

/* dir without trailing slashes, split into its parent and its name. */
static int split_path(const char *dir, char *parent, char *base, size_t n)
{
    size_t l = strlen(dir);
    while (l > 1 && dir[l - 1] == '/') l--;
    if (l == 0 || l >= n) return -1;
    const char *slash = NULL;
    for (size_t i = 0; i < l; i++)
        if (dir[i] == '/') slash = dir + i;
    if (!slash) {
        snprintf(parent, n, ".");
        snprintf(base, n, "%.*s", (int)l, dir);
    } else {
        size_t pl = (size_t)(slash - dir);
        snprintf(parent, n, "%.*s", pl ? (int)pl : 1, pl ? dir : "/");
        snprintf(base, n, "%.*s", (int)(l - pl - 1), slash + 1);
    }
    return 0;
}

int store_create_check(const char *dir, err_t *e)
{
    char parent[4096], base[4096];
    if (split_path(dir, parent, base, sizeof parent) != 0) return err_set(e, ERR_USAGE, "%s: bad store path", dir);
    long live = 0;
    clean_in(parent, base);   /* DIR.partial-PID beside DIR */
    struct stat st, lst;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT) return err_set(e, ERR_USAGE, "%s: %s", dir, strerror(errno));
        if (lstat(dir, &lst) == 0)   /* renaming onto it would replace the link, not make its target */
            return err_set(e, ERR_USAGE, "%s: a symlink to nothing; create its target directory or remove the link", dir);
        return ERR_OK;
    }
    if (!S_ISDIR(st.st_mode)) return err_set(e, ERR_USAGE, "%s: not a directory", dir);
    clean_in(dir, "");        /* DIR/.partial-PID */
    DIR *d = opendir(dir);
    if (!d) return err_set(e, ERR_USAGE, "%s: cannot read the directory: %s", dir, strerror(errno));
    struct dirent *de;
    int other = 0;
    while (!other && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        long pid = partial_pid(de->d_name, "", 0);
        if (pid && pid_alive(pid)) live = pid;
        else other = 1;   /* a file, or a dead partial that held more than a store */
    }
    closedir(d);
    if (other) return err_set(e, ERR_USAGE, "%s: not a gnnrec store (a directory with other files)", dir);
    if (live) return err_set(e, ERR_USAGE, "%s: another process (PID %ld) is creating a store here", dir, live);
    if (access(dir, W_OK) != 0)
        return err_set(e, ERR_USAGE, "%s: store directory is not writable: %s", dir, strerror(errno));
    return ERR_OK;
}

int store_create_begin(store_t *s, const char *dir, err_t *e)
{
    memset(s, 0, sizeof *s);
    int rc = store_create_check(dir, e);
    if (rc) return rc;
    if (strlen(dir) >= sizeof s->final_dir - 32) return err_set(e, ERR_USAGE, "store path too long");
    struct stat st;
    int inside = stat(dir, &st) == 0;
    char staging[4200];
    if (inside) {
        snprintf(staging, sizeof staging, "%s/" PARTIAL "%ld", dir, (long)getpid());
    } else {
        size_t l = strlen(dir);
        while (l > 1 && dir[l - 1] == '/') l--;   /* "x/": the partial is "x.partial-N", not inside x */
        snprintf(staging, sizeof staging, "%.*s" PARTIAL "%ld", (int)l, dir, (long)getpid());
    }
    if ((rc = store_open(s, staging, STORE_CREATE, e))) return rc;
    s->staged = inside ? 2 : 1;
    snprintf(s->final_dir, sizeof s->final_dir, "%s", dir);
    return ERR_OK;
}

/* Make a rename or link durable (a power cut after the command said "done"
 * must not lose the store). Best effort: not every file system can. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int store_create_commit(store_t *s, err_t *e)
{
    if (!s->staged) return err_set(e, ERR_INTERNAL, "store_create_commit without store_create_begin");
    const char *dir = s->final_dir;
    store_close(s);
    int err = 0;
    if (s->staged == 1) {
        /* never replace what appeared at DIR meanwhile (plain rename would
         * replace an empty directory) */
        if (renameat2(AT_FDCWD, s->dir, AT_FDCWD, dir, RENAME_NOREPLACE) != 0) {
            err = errno;
            if (err == EINVAL || err == ENOSYS) {   /* a file system without it */
                struct stat st;
                err = stat(dir, &st) == 0 ? EEXIST : rename(s->dir, dir) == 0 ? 0 : errno;
            }
        }
        if (!err) {
            char parent[4096], base[4096];
            if (split_path(dir, parent, base, sizeof parent) == 0) sync_dir(parent);
        }
    } else {
        char from[4200], to[4200];
        snprintf(from, sizeof from, "%s/data.mdb", s->dir);
        snprintf(to, sizeof to, "%s/data.mdb", dir);
        /* link, not rename: it fails if a data.mdb appeared meanwhile */
        if (link(from, to) != 0) {
            err = errno;
            if (err == EPERM || err == ENOTSUP || err == EOPNOTSUPP)   /* no hard links here */
                err = renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0 ? 0 : errno;
        }
        if (!err) {
            sync_dir(dir);
            unlink(from);
            s->created = 1;   /* what is left of the staging directory goes */
            s->created_dir = 1;
            store_close_discard(s);
        }
    }
    if (err) {
        s->created = s->created_dir = 1;
        store_close_discard(s);
        s->staged = 0;
        if (err == EEXIST || err == ENOTEMPTY)
            return err_set(e, ERR_USAGE, "%s: a store or other files appeared there while this one was made; "
                           "nothing written", dir);
        return err_set(e, ERR_USAGE, "%s: cannot put the new store in place: %s", dir, strerror(err));
    }
    s->staged = 0;
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    return ERR_OK;
}
