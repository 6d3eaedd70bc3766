/* cli.c - see cli.h. The option table, the argv parser, the YAML adapter
 * (io/config.h reads the file; here its entries become keys, with the model ->
 * arch rename, precedence and duplicate checks) and the validating getters.
 *
 * Assumes configs are small (a size cap guards against pointing --config at
 * a data file). Getters look keys up linearly (a command reads tens of
 * keys); loading a YAML file checks duplicates through a hash map, so even a
 * file of 200,000 keys loads in linear time.
 */
#include "io/cli.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/strmap.h"
#include "base/text.h"
#include "io/file.h"
#include "io/config.h"

#define CLI_MAX_YAML_BYTES (16u << 20)
#define CLI_MAX_SHOWN 60 /* longest value quoted back in a message */

/* ------------------------------------------------------------------ table */

void cli_opts_init(cli_opts_t *o)
{
    memset(o, 0, sizeof *o);
}

void cli_opts_destroy(cli_opts_t *o)
{
    if (!o) return;
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].key);
        free(o->v[i].name);
        free(o->v[i].val);
    }
    for (size_t i = 0; i < o->nfiles; i++) free(o->files[i]);
    free(o->v);
    free(o->files);
    memset(o, 0, sizeof *o);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *dup_s(const char *s)
{
    return s ? dup_n(s, strlen(s)) : NULL;
}

/* Normalised copy: leading "--" dropped, '-' -> '_'. */
static char *norm_key(const char *s, size_t n)
{
    if (n >= 2 && s[0] == '-' && s[1] == '-') {
        s += 2;
        n -= 2;
    }
    char *k = dup_n(s, n);
    if (k)
        for (char *p = k; *p; p++)
            if (*p == '-') *p = '_';
    return k;
}

/* Compare a normalised key with a name the programmer wrote in either form. */
static int key_eq(const char *key, const char *name)
{
    if (name[0] == '-' && name[1] == '-') name += 2;
    for (; *key && *name; key++, name++) {
        char c = *name == '-' ? '_' : *name;
        if (*key != c) return 0;
    }
    return *key == *name;
}

/* The entry that counts for key: the command line first, then the earliest
 * YAML entry (later files and shadowed entries lose). */
static cli_entry_t *find(const cli_opts_t *o, const char *key)
{
    cli_entry_t *yaml = NULL;
    for (size_t i = 0; i < o->n; i++) {
        if (!key_eq(o->v[i].key, key)) continue;
        if (o->v[i].load == 0) return &o->v[i];
        if (!yaml) yaml = &o->v[i];
    }
    return yaml;
}

/* Append an entry taking ownership of key/name/val (freed on failure). */
static int push(cli_opts_t *o, char *key, char *name, char *val, int has_val,
                const char *file, long line, int load, err_t *e)
{
    if (!key || !name || (has_val && !val)) goto nomem;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        cli_entry_t *v = realloc(o->v, cap * sizeof *v);
        if (!v) goto nomem;
        o->v = v;
        o->cap = cap;
    }
    o->v[o->n++] = (cli_entry_t){ key, name, val, file, line, load, 0 };
    return 0;
nomem:
    free(key);
    free(name);
    free(val);
    return err_set(e, ERR_NOMEM, "out of memory reading options");
}

/* ------------------------------------------------------------- messages */

/* Where an entry came from, as a message prefix. */
static void where(const cli_entry_t *en, const char *key, char *buf, size_t n)
{
    if (!en)
        snprintf(buf, n, "--%s", key[0] == '-' && key[1] == '-' ? key + 2 : key);
    else if (en->file)
        snprintf(buf, n, "%s:%ld: %s", en->file, en->line, en->name);
    else
        snprintf(buf, n, "%s", en->name);
}

static int verror(const cli_opts_t *o, const cli_entry_t *en, const char *key,
                  err_t *e, const char *fmt, va_list ap)
{
    if (!e) return ERR_USAGE;
    if (!en) en = find(o, key);
    char pre[512], msg[sizeof e->msg];
    where(en, key, pre, sizeof pre);
    vsnprintf(msg, sizeof msg, fmt, ap);
    return err_set(e, ERR_USAGE, "%s: %s", pre, msg);
}

int cli_error(const cli_opts_t *o, const char *key, err_t *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verror(o, NULL, key, e, fmt, ap);
    va_end(ap);
    return rc;
}

static int entry_error(const cli_entry_t *en, err_t *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int entry_error(const cli_entry_t *en, err_t *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verror(NULL, en, en->key, e, fmt, ap);
    va_end(ap);
    return rc;
}

/* The value quoted for a message: truncated, control bytes as '?', so a
 * binary argument cannot garble the terminal. */
static const char *shown(const char *v, char *buf, size_t n)
{
    size_t len = strlen(v), i = 0, lim = n - 5;
    if (lim > CLI_MAX_SHOWN) lim = CLI_MAX_SHOWN;
    buf[i++] = '"';
    for (size_t j = 0; j < len && j < lim; j++)
        buf[i++] = (unsigned char)v[j] < 0x20 || v[j] == 0x7f ? '?' : v[j];
    if (len > lim) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i++] = '"';
    buf[i] = '\0';
    return buf;
}

/* ------------------------------------------------------------------ argv */

static int is_flag(const cli_flag_t *flags, const char *key)
{
    for (; flags && *flags; flags++)
        if (key_eq(key, *flags)) return 1;
    return 0;
}

static int is_option(const char *a)
{
    return a[0] == '-' && a[1] == '-' && a[2] != '\0';
}

/* Set key from the command line: the last occurrence wins, in place, so the
 * message names the argument that was actually used. */
static int set_arg(cli_opts_t *o, const char *name, size_t name_len,
                   const char *val, long pos, err_t *e)
{
    char *key = norm_key(name, name_len);
    if (!key) return err_set(e, ERR_NOMEM, "out of memory reading options");
    for (size_t i = 0; i < o->n; i++) {
        cli_entry_t *en = &o->v[i];
        if (en->load != 0 || strcmp(en->key, key) != 0) continue;
        char *nm = dup_n(name, name_len), *v = dup_s(val);
        free(key);
        if (!nm || !v) {
            free(nm);
            free(v);
            return err_set(e, ERR_NOMEM, "out of memory reading options");
        }
        free(en->name);
        free(en->val);
        en->name = nm;
        en->val = v;
        en->line = pos;
        return 0;
    }
    return push(o, key, dup_n(name, name_len), dup_s(val), 1, NULL, pos, 0, e);
}

int cli_parse_argv(cli_opts_t *o, int argc, char **argv, const cli_flag_t *flags,
                   err_t *e)
{
    const char *prev_flag = NULL; /* to explain `--header true` */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc;
        if (strcmp(a, "-h") == 0) {
            if ((rc = set_arg(o, "--help", 6, "true", i, e))) return rc;
            prev_flag = NULL;
            continue;
        }
        if (!is_option(a)) {
            if (prev_flag)
                return err_set(e, ERR_USAGE, "unexpected argument '%s' (%s takes no "
                               "value; write %s=false to turn it off)", a,
                               prev_flag, prev_flag);
            return err_set(e, ERR_USAGE, "unexpected argument '%s' (options are "
                           "--key value; see --help)", a);
        }
        const char *eq = strchr(a, '=');
        size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
        if (name_len <= 2)
            return err_set(e, ERR_USAGE, "bad option '%s' (options are --key value)", a);
        char *key = norm_key(a, name_len);
        if (!key) return err_set(e, ERR_NOMEM, "out of memory reading options");
        int flag = is_flag(flags, key);
        free(key);
        const char *val;
        if (eq)
            val = eq + 1;
        else if (flag)
            val = "true";
        else if (i + 1 < argc && !is_option(argv[i + 1]))
            val = argv[++i];
        else
            return err_set(e, ERR_USAGE, "option %.*s needs a value (see --help)",
                           (int)name_len, a);
        if ((rc = set_arg(o, a, name_len, val, eq || flag ? i : i - 1, e))) return rc;
        prev_flag = flag && !eq ? a : NULL;
    }
    return 0;
}

/* ------------------------------------------------------------------ YAML */

/* One cli_load_yaml(): io_config_read() does the syntax; this adds the keys. */
typedef struct yload {
    cli_opts_t *o;
    const char *file;  /* owned by o->files */
    int load;          /* this load's number */
    /* Every key seen so far, so a file of 200,000 keys is checked for
     * duplicates in linear time: keys[] gives each a dense id, and
     * first[id] is the index in o->v of this file's entry for it (-1: none
     * yet) and prior[id] says an entry from the command line or an earlier
     * file has it. */
    strmap_t keys;
    long *first;
    unsigned char *prior;
    size_t kcap;
} yload_t;

/* The key's id in y->keys, adding it (and room in first[], prior[]). */
static uint32_t key_id(yload_t *y, const char *key, int *added)
{
    uint32_t id = strmap_intern(&y->keys, key, strlen(key), added);
    if (id == STRMAP_NONE) return id;
    if (id >= y->kcap) {
        size_t cap = y->kcap ? y->kcap * 2 : 64;
        long *f = realloc(y->first, cap * sizeof *f);
        if (f) y->first = f;
        unsigned char *pr = f ? realloc(y->prior, cap) : NULL;
        if (!pr) return STRMAP_NONE;
        y->prior = pr;
        y->kcap = cap;
    }
    if (*added) { y->first[id] = -1; y->prior[id] = 0; }
    return id;
}

/* Add a YAML key (an io_config_fn): duplicates within this file are errors; a
 * key set on the command line or by an earlier file is kept but the entry is
 * stored marked read, so this file's duplicates are still caught. */
static int add_yaml(void *ctx, const io_config_entry_t *ye, err_t *e)
{
    yload_t *y = ctx;
    const char *name = ye->name;
    /* The architecture is `model:` in a config but --arch on the command
     * line, where --model names the saved model (SPEC.md). Messages still
     * say "model", as the user wrote. Nested keys have a dot, so
     * `model: {x: 1}` stays "model.x" (no clash with --model NAME). */
    const char *kn = strcmp(name, "model") == 0 ? "arch" : name;
    char *key = norm_key(kn, strlen(kn));
    if (!key) return err_set(e, ERR_NOMEM, "out of memory reading %s", y->file);
    int added;
    uint32_t id = key_id(y, key, &added);
    if (id == STRMAP_NONE) {
        free(key);
        return err_set(e, ERR_NOMEM, "out of memory reading %s", y->file);
    }
    if (y->first[id] >= 0) {
        const cli_entry_t *en = &y->o->v[y->first[id]];
        free(key);
        return strcmp(en->name, name) == 0
            ? err_input(e, y->file, ye->line, "duplicate key %s (first at line %ld)",
                        name, en->line)
            : err_input(e, y->file, ye->line, "duplicate key %s (%s at line %ld "
                        "already sets it)", name, en->name, en->line);
    }
    int shadowed = y->prior[id];
    int rc = push(y->o, key, dup_s(name), dup_s(ye->val), ye->val != NULL, y->file,
                  ye->line, y->load, e);
    if (rc) return rc;
    y->first[id] = (long)(y->o->n - 1);
    if (shadowed) y->o->v[y->o->n - 1].used = 1;
    return 0;
}

int cli_load_yaml(cli_opts_t *o, const char *path, err_t *e)
{
    char **files = realloc(o->files, (o->nfiles + 1) * sizeof *files);
    if (!files) return err_set(e, ERR_NOMEM, "out of memory reading %s", path);
    o->files = files;
    if (!(files[o->nfiles] = dup_s(path)))
        return err_set(e, ERR_NOMEM, "out of memory reading %s", path);
    yload_t y = { .o = o, .file = files[o->nfiles], .load = (int)o->nfiles + 1 };
    o->nfiles++;
    if (strmap_init(&y.keys) != 0) return err_set(e, ERR_NOMEM, "out of memory reading %s", path);
    int rc = 0;
    for (size_t i = 0; i < o->n && !rc; i++) {   /* keys set before this file */
        int added;
        uint32_t id = key_id(&y, o->v[i].key, &added);
        if (id == STRMAP_NONE) rc = err_set(e, ERR_NOMEM, "out of memory reading %s", path);
        else y.prior[id] = 1;
    }
    size_t before = o->n;
    if (!rc) rc = io_config_read(y.file, CLI_MAX_YAML_BYTES, add_yaml, &y, e);
    strmap_destroy(&y.keys);
    free(y.first);
    free(y.prior);
    if (rc) { /* all or nothing: a half-read config must not be used */
        for (size_t i = before; i < o->n; i++) {
            free(o->v[i].key);
            free(o->v[i].name);
            free(o->v[i].val);
        }
        o->n = before;
    }
    return rc;
}

/* --------------------------------------------------------------- getters */

int cli_has(const cli_opts_t *o, const char *key)
{
    const cli_entry_t *en = find(o, key);
    return en && en->val;
}

/* The entry to read, marked as read; NULL if absent or null. */
static cli_entry_t *take(cli_opts_t *o, const char *key)
{
    cli_entry_t *en = find(o, key);
    if (!en) return NULL;
    en->used = 1;
    return en->val ? en : NULL;
}

int cli_get_str(cli_opts_t *o, const char *key, const char *def,
                const char **out, err_t *e)
{
    (void)e;
    cli_entry_t *en = take(o, key);
    *out = en ? en->val : def;
    return 0;
}

/* The rule for output paths from a config (cli.h); dash = 1 lets "-" mean
 * standard output. */
static int output_path(cli_opts_t *o, const char *key, const char *def, int dash, const char **out,
                       err_t *e)
{
    cli_entry_t *en = take(o, key);
    *out = en ? en->val : def;
    if (!en || !en->file) return 0;
    const char *v = en->val;
    if (dash && !strcmp(v, "-")) return 0;
    int dotdot = !strcmp(v, "..") || !strncmp(v, "../", 3) || strstr(v, "/../") ||
                 (strlen(v) >= 3 && !strcmp(v + strlen(v) - 3, "/.."));
    if (dotdot || !v[0])
        return entry_error(en, e, "a config may only name output files below its own directory "
                           "(got \"%s\"); give other paths on the command line", v);
    /* relative to the config file, not to wherever the job happens to run;
     * an absolute path is taken as it is and must resolve below it too */
    const char *slash = strrchr(en->file, '/');
    size_t dl = slash ? (size_t)(slash - en->file) + 1 : 0, vl = strlen(v);
    const size_t pl = v[0] == '/' ? 0 : dl;
    char *full = malloc(pl + vl + 1), *dir = dup_n(en->file, dl ? dl : 0);
    if (!full || !dir) { free(full); free(dir); return err_set(e, ERR_NOMEM, "out of memory"); }
    memcpy(full, en->file, pl);
    memcpy(full + pl, v, vl + 1);
    /* the string rule alone is not enough: a symlink inside the config's
     * directory (to a directory or a file) would lead out of it */
    int inside = io_path_inside(dl ? dir : ".", full);
    free(dir);
    if (inside != 1) {
        free(full);
        return inside < 0 ? entry_error(en, e, "cannot write \"%s\": its directory does not exist", v)
                          : entry_error(en, e, "\"%s\" leads outside the config's directory (through a "
                                        "symlink); a config may only name output files below its own "
                                        "directory, give other paths on the command line", v);
    }
    free(en->val);
    en->val = full;
    *out = full;
    return 0;
}

int cli_get_output_path(cli_opts_t *o, const char *key, const char *def, const char **out, err_t *e)
{
    return output_path(o, key, def, 0, out, e);
}

int cli_need_output_path(cli_opts_t *o, const char *key, const char **out, err_t *e)
{
    int rc = output_path(o, key, NULL, 1, out, e);
    if (!rc && !*out) return cli_need_str(o, key, out, e);   /* its "missing --key" message */
    return rc;
}

int cli_need_str(cli_opts_t *o, const char *key, const char **out, err_t *e)
{
    cli_entry_t *en = take(o, key);
    if (!en)
        return err_set(e, ERR_USAGE, "missing --%s (see --help)",
                       key[0] == '-' && key[1] == '-' ? key + 2 : key);
    *out = en->val;
    return 0;
}

/* Decimal digits only; 0 on success, -1 on junk or overflow. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int range_error(const cli_entry_t *en, uint64_t min, uint64_t max,
                       const char *bad, err_t *e)
{
    char q[CLI_MAX_SHOWN + 8];
    shown(bad, q, sizeof q);
    if (min == 0 && (max == UINT64_MAX || max == UINT32_MAX))
        return entry_error(en, e, "expected a non-negative integer%s, got %s",
                           max == UINT32_MAX ? " below 2^32" : "", q);
    return entry_error(en, e, "expected an integer in [%llu, %llu], got %s",
                       (unsigned long long)min, (unsigned long long)max, q);
}

static int get_uint(cli_opts_t *o, const char *key, uint64_t min, uint64_t max,
                    uint64_t *out, int *found, err_t *e)
{
    cli_entry_t *en = take(o, key);
    *found = en != NULL;
    if (!en) return 0;
    uint64_t v;
    if (parse_u64(en->val, strlen(en->val), &v) || v < min || v > max)
        return range_error(en, min, max, en->val, e);
    *out = v;
    return 0;
}

int cli_get_u32(cli_opts_t *o, const char *key, uint32_t def, uint32_t min,
                uint32_t max, uint32_t *out, err_t *e)
{
    uint64_t v = 0;
    int found, rc = get_uint(o, key, min, max, &v, &found, e);
    if (!rc) *out = found ? (uint32_t)v : def;
    return rc;
}

int cli_get_u64(cli_opts_t *o, const char *key, uint64_t def, uint64_t min,
                uint64_t max, uint64_t *out, err_t *e)
{
    uint64_t v = 0;
    int found, rc = get_uint(o, key, min, max, &v, &found, e);
    if (!rc) *out = found ? v : def;
    return rc;
}

int cli_get_float(cli_opts_t *o, const char *key, float def, double min,
                  double max, float *out, err_t *e)
{
    cli_entry_t *en = take(o, key);
    if (!en) {
        *out = def;
        return 0;
    }
    const char *s = en->val;
    char *end = NULL;
    double d = 0;
    int ok = *s && !isspace((unsigned char)*s);
    if (ok) {
        errno = 0;
        d = strtod(s, &end);
        ok = end != s && *end == '\0' && errno != ERANGE && isfinite(d)
             && fabs(d) <= FLT_MAX && !(d != 0 && (float)d == 0) && d >= min && d <= max;
    }
    if (ok) {
        *out = (float)d;
        return 0;
    }
    char q[CLI_MAX_SHOWN + 8];
    shown(s, q, sizeof q);
    if (min == FLT_MIN)
        return entry_error(en, e, "expected a positive number up to %g, got %s", max, q);
    if (min <= -FLT_MAX && max >= FLT_MAX)
        return entry_error(en, e, "expected a number, got %s", q);
    return entry_error(en, e, "expected a number in [%g, %g], got %s", min, max, q);
}

int cli_get_bool(cli_opts_t *o, const char *key, int def, int *out, err_t *e)
{
    static const char *const yes[] = { "true", "yes", "on", "1", NULL };
    static const char *const no[] = { "false", "no", "off", "0", NULL };
    cli_entry_t *en = take(o, key);
    if (!en) {
        *out = def;
        return 0;
    }
    for (int i = 0; yes[i]; i++) {
        if (strcasecmp(en->val, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(en->val, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    char q[CLI_MAX_SHOWN + 8];
    return entry_error(en, e, "expected true or false, got %s", shown(en->val, q, sizeof q));
}

int cli_get_choice(cli_opts_t *o, const char *key, const char *const *choices,
                   int def_index, int *out, err_t *e)
{
    cli_entry_t *en = take(o, key);
    if (!en) {
        *out = def_index;
        return 0;
    }
    char list[512];
    size_t n = 0;
    list[0] = '\0';
    for (int i = 0; choices[i]; i++) {
        if (strcmp(en->val, choices[i]) == 0) {
            *out = i;
            return 0;
        }
        int w = snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", choices[i]);
        if (w > 0 && (size_t)w < sizeof list - n) n += (size_t)w;
    }
    char q[CLI_MAX_SHOWN + 8];
    return entry_error(en, e, "expected one of %s, got %s", list,
                       shown(en->val, q, sizeof q));
}

/* Split s into trimmed items in one block: pointers, then the strings.
 * Returns 0, -1 (empty item) or ERR_NOMEM. */
int cli_get_list(cli_opts_t *o, const char *key, const char *def,
                 char ***items, size_t *n, err_t *e)
{
    cli_entry_t *en = take(o, key);
    const char *s = en ? en->val : def ? def : "";
    int rc = text_split_list(s, items, n);
    if (rc == ERR_NOMEM) return err_set(e, ERR_NOMEM, "out of memory reading options");
    if (rc) {
        char q[CLI_MAX_SHOWN + 8];
        if (!en) return err_set(e, ERR_INTERNAL, "bad default list for %s", key);
        return entry_error(en, e, "empty item in the list %s", shown(s, q, sizeof q));
    }
    return 0;
}

int cli_get_u32_list(cli_opts_t *o, const char *key, const char *def,
                     uint32_t min, uint32_t max, uint32_t **out, size_t *n,
                     err_t *e)
{
    char **items;
    size_t count;
    int rc = cli_get_list(o, key, def, &items, &count, e);
    if (rc) return rc;
    const cli_entry_t *en = find(o, key);
    if (en && !en->val) en = NULL;
    char q[CLI_MAX_SHOWN + 8];
    if (count == 0) {
        free(items);
        if (!en) return err_set(e, ERR_INTERNAL, "empty default list for %s", key);
        return entry_error(en, e, "expected a list of integers in [%lu, %lu], got %s",
                           (unsigned long)min, (unsigned long)max,
                           shown(en->val, q, sizeof q));
    }
    uint32_t *v = malloc(count * sizeof *v);
    if (!v) {
        free(items);
        return err_set(e, ERR_NOMEM, "out of memory reading options");
    }
    for (size_t i = 0; i < count; i++) {
        uint64_t x;
        if (parse_u64(items[i], strlen(items[i]), &x) || x < min || x > max) {
            if (en)
                rc = entry_error(en, e, "expected a list of integers in [%lu, %lu], "
                                 "got %s", (unsigned long)min, (unsigned long)max,
                                 shown(items[i], q, sizeof q));
            else
                rc = err_set(e, ERR_INTERNAL, "bad default list for %s", key);
            free(items);
            free(v);
            return rc;
        }
        v[i] = (uint32_t)x;
    }
    free(items);
    *out = v;
    *n = count;
    return 0;
}

/* ---------------------------------------------------------------- checks */

static const char *suggest(const char *key, const char *const *known)
{
    const char *best = NULL;
    size_t bd = 3, len = strlen(key);
    for (; *known; known++) {
        char *k = norm_key(*known, strlen(*known));
        if (!k) return NULL;
        size_t d = text_edit_distance(key, k);
        free(k);
        if (d < bd && d * 3 <= len) {
            bd = d;
            best = *known;
        }
    }
    return best;
}

static int is_known(const char *key, const char *const *known)
{
    for (; *known; known++)
        if (key_eq(key, *known)) return 1;
    return 0;
}

int cli_check_unknown(const cli_opts_t *o, const char *const *known, err_t *e)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < o->n; i++) {
            const cli_entry_t *en = &o->v[i];
            if ((pass == 0) != (en->load == 0) || is_known(en->key, known)) continue;
            const char *s = suggest(en->key, known);
            char hint[160] = "";
            if (s)
                snprintf(hint, sizeof hint, " (did you mean %s%s?)", pass ? "" : "--",
                         s[0] == '-' && s[1] == '-' ? s + 2 : s);
            if (pass == 0)
                return err_set(e, ERR_USAGE, "unknown option %s%s (see --help)",
                               en->name, hint);
            err_input(e, en->file, en->line, "unknown key %s%s", en->name, hint);
            if (e) e->code = ERR_USAGE;
            return ERR_USAGE;
        }
    }
    return 0;
}

int cli_check_unused(const cli_opts_t *o, err_t *e)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < o->n; i++) {
            const cli_entry_t *en = &o->v[i];
            if ((pass == 0) != (en->load == 0) || en->used) continue;
            if (pass == 0)
                return err_set(e, ERR_USAGE, "option %s is not used by this command",
                               en->name);
            err_input(e, en->file, en->line, "key %s is not used by this command",
                      en->name);
            if (e) e->code = ERR_USAGE;
            return ERR_USAGE;
        }
    }
    return 0;
}
