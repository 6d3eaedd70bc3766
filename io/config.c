/* config.c - see config.h. libyaml's event API over the whole file held in
 * memory; every leaf goes to the caller's callback as soon as it is read.
 *
 * Assumes a small file (the caller's size cap): lines for messages are
 * found by counting newlines from the start.
 */
#include "io/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "io/file.h"

#define IO_CONFIG_MAX_DEPTH 32

typedef struct yread {
    yaml_parser_t p;
    const char *file;  /* the path, for messages */
    const char *buf;   /* file contents, for lines of reader errors */
    size_t len;
    io_config_fn fn;
    void *ctx;
    err_t *e;
} yread_t;

static long line_at(const yread_t *y, size_t off)
{
    long line = 1;
    for (size_t i = 0; i < off && i < y->len; i++)
        if (y->buf[i] == '\n') line++;
    return line;
}

static int line_has_tab(const yread_t *y, long line)
{
    const char *s = y->buf, *end = y->buf + y->len;
    for (long l = 1; l < line && s < end; s++)
        if (*s == '\n') l++;
    for (; s < end && *s != '\n'; s++)
        if (*s == '\t') return 1;
    return 0;
}

static int parser_error(yread_t *y)
{
    yaml_parser_t *p = &y->p;
    if (p->error == YAML_MEMORY_ERROR)
        return err_set(y->e, ERR_NOMEM, "out of memory reading %s", y->file);
    if (p->error == YAML_READER_ERROR)
        return err_input(y->e, y->file, line_at(y, p->problem_offset),
                         "not a YAML text file (%s)", p->problem ? p->problem : "bad bytes");
    long line = (long)p->problem_mark.line + 1;
    const char *problem = p->problem ? p->problem : "error";
    const char *tab = line_has_tab(y, line) && !strstr(problem, "tab")
                      ? "; tabs cannot indent YAML" : "";
    unsigned long col = (unsigned long)p->problem_mark.column + 1;
    /* An unclosed bracket or quote is found at the end of the file; the
     * context mark says where it was opened, which is what the user needs. */
    long cline = (long)p->context_mark.line + 1;
    if (p->context && cline != line)
        return err_input(y->e, y->file, line, "malformed YAML: %s (column %lu; %s "
                         "that starts at line %ld)%s", problem, col, p->context, cline, tab);
    if (p->context)
        return err_input(y->e, y->file, line, "malformed YAML: %s (column %lu; %s)%s",
                         problem, col, p->context, tab);
    return err_input(y->e, y->file, line, "malformed YAML: %s (column %lu)%s",
                     problem, col, tab);
}

static int next(yread_t *y, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&y->p, ev)) return parser_error(y);
    return 0;
}

static long ev_line(const yaml_event_t *ev)
{
    return (long)ev->start_mark.line + 1;
}

static int is_null(const yaml_event_t *ev)
{
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    const char *s = (const char *)ev->data.scalar.value;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null")
           || !strcmp(s, "NULL");
}

/* Join a sequence of scalars into "a,b,c". The SEQUENCE_START is consumed. */
static int read_list(yread_t *y, const char *name, char **out)
{
    size_t len = 0, cap = 64;
    char *s = malloc(cap);
    if (!s) return err_set(y->e, ERR_NOMEM, "out of memory reading %s", y->file);
    s[0] = '\0';
    for (;;) {
        yaml_event_t ev;
        int rc = next(y, &ev);
        if (rc) {
            free(s);
            return rc;
        }
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        long line = ev_line(&ev);
        if (ev.type != YAML_SCALAR_EVENT) {
            const char *what = ev.type == YAML_ALIAS_EVENT ? "an alias (*name)"
                             : ev.type == YAML_SEQUENCE_START_EVENT ? "a list"
                             : "a mapping";
            yaml_event_delete(&ev);
            free(s);
            return err_input(y->e, y->file, line, "%s: a list may hold only plain "
                             "values, not %s", name, what);
        }
        const char *v = (const char *)ev.data.scalar.value;
        size_t vl = ev.data.scalar.length;
        const char *bad = is_null(&ev) || !vl ? "an empty item"
                        : memchr(v, ',', vl) ? "an item with a comma"
                        : memchr(v, '\0', vl) ? "an item with a NUL byte" : NULL;
        if (bad) {
            yaml_event_delete(&ev);
            free(s);
            return err_input(y->e, y->file, line, "%s: %s in a list (lists are "
                             "stored comma-separated)", name, bad);
        }
        if (len + vl + 2 > cap) {
            while (len + vl + 2 > cap) cap *= 2;
            char *t = realloc(s, cap);
            if (!t) {
                yaml_event_delete(&ev);
                free(s);
                return err_set(y->e, ERR_NOMEM, "out of memory reading %s", y->file);
            }
            s = t;
        }
        if (len) s[len++] = ',';
        memcpy(s + len, v, vl);
        len += vl;
        s[len] = '\0';
        yaml_event_delete(&ev);
    }
    *out = s;
    return 0;
}

static int emit(yread_t *y, const char *name, const char *val, long line)
{
    io_config_entry_t en = { name, val, line };
    return y->fn(y->ctx, &en, y->e);
}

/* Read a mapping's pairs; MAPPING_START is consumed. prefix is "" at the top
 * level or "parent." below. */
static int read_mapping(yread_t *y, const char *prefix, int depth)
{
    if (depth > IO_CONFIG_MAX_DEPTH)
        return err_input(y->e, y->file, line_at(y, y->p.mark.index), "mappings nested "
                         "too deeply");
    for (;;) {
        yaml_event_t kev, vev;
        int rc = next(y, &kev);
        if (rc) return rc;
        if (kev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&kev);
            return 0;
        }
        long line = ev_line(&kev);
        if (kev.type != YAML_SCALAR_EVENT || !kev.data.scalar.length
            || memchr(kev.data.scalar.value, '\0', kev.data.scalar.length)) {
            yaml_event_delete(&kev);
            return err_input(y->e, y->file, line, "keys must be plain non-empty names");
        }
        const char *k = (const char *)kev.data.scalar.value;
        size_t nl = strlen(prefix) + strlen(k) + 1;
        char *name = malloc(nl);
        if (!name) {
            yaml_event_delete(&kev);
            return err_set(y->e, ERR_NOMEM, "out of memory reading %s", y->file);
        }
        snprintf(name, nl, "%s%s", prefix, k);
        yaml_event_delete(&kev);

        if ((rc = next(y, &vev))) {
            free(name);
            return rc;
        }
        switch (vev.type) {
        case YAML_SCALAR_EVENT:
            if (is_null(&vev)) {
                rc = emit(y, name, NULL, line);
            } else if (memchr(vev.data.scalar.value, '\0', vev.data.scalar.length)) {
                rc = err_input(y->e, y->file, line, "%s: value contains a NUL byte", name);
            } else {
                rc = emit(y, name, (const char *)vev.data.scalar.value, line);
            }
            break;
        case YAML_SEQUENCE_START_EVENT: {
            char *v = NULL;
            rc = read_list(y, name, &v);
            if (!rc) rc = emit(y, name, v, line);
            free(v);
            break;
        }
        case YAML_MAPPING_START_EVENT: {
            size_t pl = strlen(name) + 2;
            char *sub = malloc(pl);
            if (!sub) {
                rc = err_set(y->e, ERR_NOMEM, "out of memory reading %s", y->file);
                break;
            }
            snprintf(sub, pl, "%s.", name);
            rc = read_mapping(y, sub, depth + 1);
            free(sub);
            break;
        }
        default:
            rc = err_input(y->e, y->file, line, "%s: aliases (*name) are not supported",
                           name);
            break;
        }
        yaml_event_delete(&vev);
        free(name);
        if (rc) return rc;
    }
}

static int read_stream(yread_t *y)
{
    yaml_event_t ev;
    int rc;
    if ((rc = next(y, &ev))) return rc; /* STREAM_START */
    yaml_event_delete(&ev);
    if ((rc = next(y, &ev))) return rc;
    if (ev.type == YAML_STREAM_END_EVENT) { /* empty or comments only */
        yaml_event_delete(&ev);
        return 0;
    }
    yaml_event_delete(&ev); /* DOCUMENT_START */
    if ((rc = next(y, &ev))) return rc;
    if (ev.type == YAML_MAPPING_START_EVENT) {
        yaml_event_delete(&ev);
        if ((rc = read_mapping(y, "", 0))) return rc;
    } else if (ev.type == YAML_SCALAR_EVENT && is_null(&ev)) {
        yaml_event_delete(&ev); /* a bare `---` */
    } else {
        long line = ev_line(&ev);
        yaml_event_delete(&ev);
        return err_input(y->e, y->file, line, "a config must be a mapping of "
                         "`key: value` lines at the top level");
    }
    if ((rc = next(y, &ev))) return rc; /* DOCUMENT_END */
    yaml_event_delete(&ev);
    if ((rc = next(y, &ev))) return rc;
    int more = ev.type != YAML_STREAM_END_EVENT;
    long line = ev_line(&ev);
    yaml_event_delete(&ev);
    if (more)
        return err_input(y->e, y->file, line, "a config holds one YAML document, "
                         "found a second");
    return 0;
}

int io_config_read(const char *path, size_t max_bytes, io_config_fn fn, void *ctx, err_t *e)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = io_file_read(path, max_bytes, "config", &buf, &len, e);
    if (rc) return rc;

    /* libyaml accepts UTF-16 with a BOM; anything else with NUL bytes is a
     * binary file, better said so than "control characters not allowed". */
    int utf16 = len >= 2 && (((unsigned char)buf[0] == 0xff && (unsigned char)buf[1] == 0xfe)
                             || ((unsigned char)buf[0] == 0xfe && (unsigned char)buf[1] == 0xff));
    const char *nul = utf16 ? NULL : memchr(buf, '\0', len);
    if (nul) {
        long line = 1;
        for (const char *s = buf; s < nul; s++) line += *s == '\n';
        free(buf);
        return err_input(e, path, line, "binary data (a NUL byte); a config is YAML text");
    }
    yread_t y = { .file = path, .buf = buf, .len = len, .fn = fn, .ctx = ctx, .e = e };
    if (!yaml_parser_initialize(&y.p)) {
        free(buf);
        return err_set(e, ERR_NOMEM, "out of memory reading %s", path);
    }
    yaml_parser_set_input_string(&y.p, (const unsigned char *)buf, len);
    rc = read_stream(&y);
    yaml_parser_delete(&y.p);
    free(buf);
    return rc;
}
