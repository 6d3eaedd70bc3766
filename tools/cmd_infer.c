/* cmd_infer.c - `gnnrec infer`: top-K items for users from a saved model.
 *
 * The embeddings are read zero-copy from the store's memory map; users are
 * scored in blocks with the same gnn_topk() that `eval` uses, so both rank
 * identically; output speaks the users' external ids. Assumes the output
 * consumer wants one row per (user, rank), users in the order asked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gnn/eval.h"
#include "gnn/saved.h"
#include "graph/load.h"
#include "io/lines.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec infer --store DIR [--model NAME] [--users all|FILE|ID,ID,...] [--k 20]\n"
    "                    [--format tsv|jsonl] [--include-seen] [--skip-unknown] [--threads N]\n"
    "\n"
    "Top-K items for each user, scored by the saved model's embeddings (dot product).\n"
    "  --users U        all (default), a file with one user id per line (first column),\n"
    "                   or a comma-separated list of ids\n"
    "  --k N            items per user (20)\n"
    "  --format F       tsv (default): user<TAB>rank<TAB>item<TAB>score rows;\n"
    "                   jsonl: {\"user\":..,\"items\":[{\"item\":..,\"score\":..},..]} per user\n"
    "  --include-seen   keep the user's training items (excluded by default)\n"
    "  --skip-unknown   warn about and skip unknown user ids instead of failing\n"
    "  --threads N      threads (0 = all cores)\n";

static const cli_flag_t flags[] = {"include_seen", "skip_unknown", "help", NULL};
static const char *const known[] = {"store", "model", "users", "k", "format", "include_seen", "skip_unknown",
                                    "threads", "help", NULL};

#define BLOCK 4096

/* Names of all nodes of one type, zero copy: name[id], len[id]. */
typedef struct names { const char **name; uint32_t *len; uint32_t n; } names_t;

static int load_names(store_txn_t *t, int node, uint32_t n, names_t *out, err_t *e)
{
    out->n = n;
    out->name = malloc((n ? n : 1) * sizeof *out->name);
    out->len = malloc((n ? n : 1) * sizeof *out->len);
    if (!out->name || !out->len) return err_set(e, ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        size_t l;
        int rc = store_id_name(t, node, i, &out->name[i], &l, e);
        if (rc) return rc;
        out->len[i] = (uint32_t)l;
    }
    return ERR_OK;
}

static void names_free(names_t *n)
{
    free(n->name);
    free(n->len);
}

/* Add one user id to the list, or count/complain when it is unknown. */
static int add_user(store_txn_t *t, const char *id, size_t len, int skip, uint32_t **users, size_t *n,
                    size_t *cap, uint64_t *unknown, char *missing, size_t mcap, err_t *e)
{
    uint32_t u;
    err_t ignore;
    if (store_id_lookup(t, STORE_USER, id, len, &u, &ignore)) {
        (*unknown)++;
        size_t ml = strlen(missing);
        if (ml + len + 3 < mcap && *unknown <= 10)
            snprintf(missing + ml, mcap - ml, "%s%.*s", ml ? ", " : "", (int)len, id);
        (void)skip;
        return ERR_OK;
    }
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 1024;
        uint32_t *p = realloc(*users, c * sizeof *p);
        if (!p) return err_set(e, ERR_NOMEM, "out of memory");
        *users = p;
        *cap = c;
    }
    (*users)[(*n)++] = u;
    return ERR_OK;
}

static int resolve_users(store_txn_t *t, const char *spec, uint32_t n_users, int skip, uint32_t **users,
                         size_t *n, err_t *e)
{
    size_t cap = 0;
    uint64_t unknown = 0;
    char missing[512] = "";
    int rc = ERR_OK;
    *users = NULL;
    *n = 0;
    struct stat st;
    if (!strcmp(spec, "all")) {
        *users = malloc((n_users ? n_users : 1) * sizeof **users);
        if (!*users) return err_set(e, ERR_NOMEM, "out of memory");
        for (uint32_t u = 0; u < n_users; u++) (*users)[u] = u;
        *n = n_users;
        return ERR_OK;
    } else if (stat(spec, &st) == 0) {
        io_lines_t in;
        char *line, *f[1];
        size_t len, fl[1];
        if ((rc = io_lines_open(&in, spec, 1 << 16, e))) return rc;
        while (!(rc = io_lines_next(&in, &line, &len, e)) && line)
            if (io_split_fields(line, ' ', f, fl, 1) >= 1 &&
                (rc = add_user(t, f[0], fl[0], skip, users, n, &cap, &unknown, missing, sizeof missing, e)))
                break;
        io_lines_close(&in);
    } else {
        const char *p = spec;
        while (!rc) {
            const char *q = strchr(p, ',');
            size_t l = q ? (size_t)(q - p) : strlen(p);
            if (l) rc = add_user(t, p, l, skip, users, n, &cap, &unknown, missing, sizeof missing, e);
            if (!q) break;
            p = q + 1;
        }
    }
    if (rc) return rc;
    if (unknown && !skip)
        return err_set(e, ERR_NOTFOUND, "%llu unknown user id%s: %s%s (use --skip-unknown to skip them)",
                       (unsigned long long)unknown, unknown > 1 ? "s" : "", missing, unknown > 10 ? ", ..." : "");
    if (unknown) fprintf(stderr, "gnnrec infer: skipped %llu unknown user ids: %s%s\n", (unsigned long long)unknown,
                         missing, unknown > 10 ? ", ..." : "");
    return ERR_OK;
}

/* JSON string body with the characters JSON requires escaped. */
static void json_str(FILE *f, const char *s, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
}

int cli_cmd_infer(int argc, char **argv)
{
    err_t e = {0};
    cli_opts_t o;
    store_t s;
    store_txn_t t = {0};
    graph_interactions_t g;
    names_t un = {0}, in = {0};
    int rc, help = 0, opened = 0, have_g = 0, include_seen = 0, skip = 0, fmt = 0;
    const char *dir, *given, *users_spec;
    uint32_t k, threads, *users = NULL, *top = NULL;
    float *scores = NULL, *q = NULL;
    size_t n_users = 0;
    char name[256];
    static const char *const formats[] = {"tsv", "jsonl", NULL};
    cli_opts_init(&o);
    if ((rc = cli_start(&o, argc, argv, flags, known, usage_text, &help, &e)) || help) goto out;
    if ((rc = cli_need_str(&o, "store", &dir, &e)) || (rc = cli_get_str(&o, "model", NULL, &given, &e)) ||
        (rc = cli_get_str(&o, "users", "all", &users_spec, &e)) ||
        (rc = cli_get_u32(&o, "k", 20, 1, 100000, &k, &e)) ||
        (rc = cli_get_choice(&o, "format", formats, 0, &fmt, &e)) ||
        (rc = cli_get_bool(&o, "include_seen", 0, &include_seen, &e)) ||
        (rc = cli_get_bool(&o, "skip_unknown", 0, &skip, &e)) ||
        (rc = cli_get_u32(&o, "threads", 0, 0, 1024, &threads, &e)))
        goto out;
    cli_set_threads((int)threads);
    if ((rc = store_open(&s, dir, STORE_RDONLY, &e))) goto out;
    opened = 1;
    if ((rc = store_read_begin(&s, &t, &e))) goto out;
    gnn_saved_meta_t meta;
    const float *emb;
    if ((rc = cli_pick_model(&t, given, name, sizeof name, &e)) ||
        (rc = gnn_saved_embeddings(&t, name, &meta, &emb, &e)) ||
        (rc = resolve_users(&t, users_spec, meta.n_users, skip, &users, &n_users, &e)) ||
        (rc = load_names(&t, STORE_USER, meta.n_users, &un, &e)) ||
        (rc = load_names(&t, STORE_ITEM, meta.n_items, &in, &e)))
        goto out;
    if (!include_seen) {
        if ((rc = graph_load_interactions(&t, &g, &e))) goto out;
        have_g = 1;
    }
    uint32_t dim = meta.dim;
    const float *items = emb + (size_t)meta.n_users * dim;
    top = malloc((size_t)BLOCK * k * sizeof *top);
    scores = malloc((size_t)BLOCK * k * sizeof *scores);
    q = malloc((size_t)BLOCK * dim * sizeof *q);
    if (!top || !scores || !q) { rc = err_set(&e, ERR_NOMEM, "out of memory"); goto out; }
    static char obuf[1 << 20];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    for (size_t b = 0; b < n_users; b += BLOCK) {
        uint32_t nb = (uint32_t)(n_users - b < BLOCK ? n_users - b : BLOCK);
        for (uint32_t j = 0; j < nb; j++) memcpy(q + (size_t)j * dim, emb + (size_t)users[b + j] * dim, dim * sizeof *q);
        if ((rc = gnn_topk(q, nb, items, meta.n_items, dim, have_g ? &g.train : NULL, users + b, k, (int)threads,
                           top, scores, &e)))
            goto out;
        for (uint32_t j = 0; j < nb; j++) {
            uint32_t u = users[b + j];
            const uint32_t *ti = top + (size_t)j * k;
            const float *ts = scores + (size_t)j * k;
            if (fmt == 0) {
                for (uint32_t r = 0; r < k && ti[r] != GNN_ITEM_NONE; r++)
                    printf("%.*s\t%u\t%.*s\t%.6g\n", (int)un.len[u], un.name[u], r + 1, (int)in.len[ti[r]],
                           in.name[ti[r]], (double)ts[r]);
            } else {
                fputs("{\"user\":\"", stdout);
                json_str(stdout, un.name[u], un.len[u]);
                fputs("\",\"items\":[", stdout);
                for (uint32_t r = 0; r < k && ti[r] != GNN_ITEM_NONE; r++) {
                    fputs(r ? ",{\"item\":\"" : "{\"item\":\"", stdout);
                    json_str(stdout, in.name[ti[r]], in.len[ti[r]]);
                    printf("\",\"score\":%.6g}", (double)ts[r]);
                }
                fputs("]}\n", stdout);
            }
        }
    }
    if (fflush(stdout) || ferror(stdout)) rc = err_set(&e, ERR_IO, "cannot write output: %s", strerror(errno));
out:
    names_free(&un);
    names_free(&in);
    free(users); free(top); free(scores); free(q);
    if (have_g) graph_interactions_destroy(&g);
    if (t.txn) store_read_end(&t);
    if (opened) store_close(&s);
    cli_opts_destroy(&o);
    return rc ? cli_fail("infer", &e) : 0;
}
