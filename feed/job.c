/* job.c - see job.h: opening a rank-feed job, loading what it needs from
 * the store, and the stream of chunks (chunk.c parses, rank.c ranks). The
 * store transaction stays open for the whole job: embeddings larger than
 * EMB_COPY_MAX are read in place from its map. */
#include "feed/job.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/clock.h"
#include "base/mem.h"
#include "feed/internal.h"
#include "gnn/saved.h"
#include "graph/typed.h"

#define CHUNK ((size_t)16 << 20)
#define EMB_COPY_MAX ((size_t)512 << 20)   /* larger models are read in place */

const char *const feed_method_names[FEED_N_METHOD] = {"gnnrec", "reverse_chronological", "author_popularity"};

void feed_settings_default(feed_settings_t *s)
{
    memset(s, 0, sizeof *s);
    feed_cols_parse(&s->cols, "viewer,post,author,content,time", NULL);
    s->cols.delim = '\t';
    s->top = 50;
    s->cap = 3;
    feed_weights_default(&s->w);
    s->now = FEED_NO_TIME;
    s->chunk = CHUNK;
    s->sort_memory = (uint64_t)256 << 20;
    s->shards = 1;
}

int feed_settings_now(feed_settings_t *s, const char *v, err_t *e)
{
    if (!strcmp(v, "auto")) { s->now = FEED_NO_TIME; return ERR_OK; }
    char *end;
    errno = 0;
    long long t = strtoll(v, &end, 10);
    if (end == v || *end || errno || t == FEED_NO_TIME)
        return err_set(e, ERR_USAGE, "expected an integer time or auto, got \"%s\"", v);
    s->now = t;
    return ERR_OK;
}

uint32_t feed_shard_of(const char *id, size_t len, uint32_t n)
{
    return n > 1 ? (uint32_t)(strmap_hash(id, len) % n) : 0;
}

int feed_job_open(feed_job_t **out, const feed_settings_t *s, err_t *e)
{
    *out = NULL;
    feed_job_t *j = calloc(1, sizeof *j);
    if (!j || strmap_init(&j->unk_viewers)) {
        free(j);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    j->s = *s;
    j->s.cols.path = strcmp(s->candidates, "-") ? s->candidates : "stdin";
    struct stat st = {0};
    if (strcmp(s->candidates, "-")) {
        if (stat(s->candidates, &st) || S_ISDIR(st.st_mode) || !(j->in = fopen(s->candidates, "rb"))) {
            int rc = err_input(e, s->candidates, 0, "cannot open: %s",
                               S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
            feed_job_close(j);
            return rc;
        }
    } else {
        j->in = stdin;
    }
    j->in_size = (uint64_t)st.st_size;
    *out = j;
    return ERR_OK;
}

/* The author-popularity baseline: social degree (followers), ties broken by
 * the number of training interactions. */
static int load_popularity(feed_job_t *j, store_txn_t *t, err_t *e)
{
    store_edge_list_t tr = {0};
    int rc = store_edges_load(t, STORE_TRAIN, 0, &tr, e);
    if (rc) return rc;
    uint32_t nu = j->m.n_users;
    double *act = calloc(nu ? nu : 1, sizeof *act);
    j->popularity = calloc(nu ? nu : 1, sizeof *j->popularity);
    if (!act || !j->popularity) {
        free(act);
        store_edge_list_destroy(&tr);
        return err_set(e, ERR_NOMEM, "out of memory");
    }
    double top = 0;
    for (uint64_t i = 0; i < tr.n; i++)
        if (tr.a[i] < nu && ++act[tr.a[i]] > top) top = act[tr.a[i]];
    for (uint32_t u = 0; u < nu; u++)
        j->popularity[u] = (j->m.ties ? (double)(j->ties.ptr[u + 1] - j->ties.ptr[u]) : 0.0) + act[u] / (top + 1);
    free(act);
    store_edge_list_destroy(&tr);
    return ERR_OK;
}


/* The ids, the embeddings (on huge pages when they fit: scoring reads rows
 * at random, and with 4 KiB pages of the store's map most reads also miss
 * the TLB) and the social ties. Content rows are the items; when models
 * save entity rows after the items, entity ids resolve to n_items + entity
 * and n_content grows. */
static int load_model(feed_job_t *j, store_txn_t *t, const char *name, err_t *e)
{
    gnn_saved_meta_t meta;
    const float *emb;
    store_edge_list_t so = {0};
    int rc;
    if ((rc = gnn_saved_embeddings(t, name, &meta, &emb, e))) return rc;
    if (strmap_init(&j->users) || strmap_init(&j->items)) return err_set(e, ERR_NOMEM, "out of memory");
    j->maps = 1;
    if ((rc = store_id_load(t, STORE_USER, &j->users, e)) || (rc = store_id_load(t, STORE_ITEM, &j->items, e)))
        return rc;
    size_t floats = ((size_t)meta.n_users + meta.n_items) * meta.dim;
    float *copy = floats * sizeof *copy <= EMB_COPY_MAX ? mem_alloc_hot(floats * sizeof *copy) : NULL;
    if (copy) {
        memcpy(copy, emb, floats * sizeof *copy);
        j->emb_copy = copy;
        emb = copy;
    }
    j->m.users = emb;
    j->m.content = emb + (size_t)meta.n_users * meta.dim;
    j->m.n_users = meta.n_users;
    j->m.n_content = meta.n_items;
    j->m.dim = meta.dim;
    /* an MLP head: the content term scores through it (feed.h); its first
     * layer's item half once per job, as infer's scorer does (gnn/scorer.c) */
    const float *hw;
    rc = gnn_saved_head(t, name, &meta, &j->head, &hw, e);
    if (rc == ERR_OK) {
        size_t w1 = j->head.width[0];
        if (!(j->head_items = malloc(((size_t)meta.n_items * w1 + 1) * sizeof *j->head_items)) ||
            !(j->head_wt = malloc((gnn_head_upper_floats(&j->head) + 1) * sizeof *j->head_wt)))
            return err_set(e, ERR_NOMEM, "out of memory for the mlp head's %u x %zu item table", meta.n_items, w1);
        gnn_head_item_part(&j->head, hw, j->m.content, meta.dim, meta.n_items, j->head_items);
        gnn_head_upper_transpose(&j->head, hw, j->head_wt);
        j->m.head_wt = j->head_wt;
        j->m.head = &j->head;
        j->m.head_w = hw;
        j->m.head_items = j->head_items;
    } else if (rc != ERR_NOTFOUND) {
        return rc;
    }
    if ((rc = store_edges_load(t, STORE_SOCIAL, 0, &so, e))) return rc;
    if (so.n) {
        rc = graph_social_sym(&j->ties, meta.n_users, so.a, so.b, so.n, 0, e);
        j->have_ties = !rc;
        if (!rc) j->m.ties = &j->ties;
    }
    store_edge_list_destroy(&so);
    if (rc) return rc;
    if (!(j->first_line = calloc(meta.n_users ? meta.n_users : 1, sizeof *j->first_line)))
        return err_set(e, ERR_NOMEM, "out of memory");
    return ERR_OK;
}

int feed_job_load(feed_job_t *j, store_txn_t *t, const char *model, err_t *e)
{
    int rc;
    if ((rc = load_model(j, t, model, e))) return rc;
    if (!j->s.labels) return ERR_OK;
    if ((rc = load_popularity(j, t, e))) return rc;
    if (strmap_init(&j->labels)) return err_set(e, ERR_NOMEM, "out of memory");
    j->have_labels = 1;
    return feed_labels_load(j->s.labels, &j->labels, &j->r.labels_loaded, e);
}

int feed_read_more(feed_job_t *j, feed_chunk_t *ck, int *eof, err_t *e)
{
    if (*eof || ck->have >= ck->cap) return ERR_OK;
    size_t got = fread(ck->buf + ck->have, 1, ck->cap - ck->have, j->in);
    if (got < ck->cap - ck->have) {
        if (ferror(j->in)) return err_input(e, j->s.cols.path, 0, "read error: %s", strerror(errno));
        *eof = 1;
    }
    ck->have += got;
    return ERR_OK;
}

/* The grouped path: chunk after chunk, each viewer's group ranked once it
 * is complete. *line0: the line the chunk in ck begins at. */
static int stream(feed_job_t *j, feed_chunk_t *ck, io_writer_t *out, int *eof, uint64_t *line0, err_t *e)
{
    progress_t pg;
    int rc = ERR_OK;
    uint64_t consumed = 0;
    progress_init(&pg, "rank-feed", j->in_size, j->s.progress ? 1 : 0);
    while (!rc) {
        if ((rc = feed_read_more(j, ck, eof, e))) break;
        size_t used = 0;
        if ((rc = feed_scan_chunk(j, ck, *eof, *line0, j->s.header, &used, e))) break;
        size_t cut = *eof ? ck->n : feed_last_run(ck);
        if (cut == 0 && !*eof) {   /* one viewer fills the buffer: make room for the rest of it */
            char *b = realloc(ck->buf, 2 * ck->cap + FEED_PAD);
            if (!b) { rc = err_set(e, ERR_NOMEM, "out of memory for one viewer's candidates"); break; }
            memset(b + ck->cap + FEED_PAD, 0, ck->cap);
            ck->buf = b;
            ck->cap *= 2;
            continue;
        }
        if ((rc = feed_group_chunk(j, ck, cut, e)) || (rc = feed_rank_chunk(j, ck, out, e))) break;
        size_t keep = cut < ck->n ? ck->rec[cut].start : used;
        memmove(ck->buf, ck->buf + keep, ck->have - keep);
        ck->have -= keep;
        consumed += keep;
        *line0 += cut;
        progress_update(&pg, consumed);
        if (*eof && ck->have == 0) break;
    }
    progress_done(&pg);
    return rc;
}

/* Everything of the grouped attempt undone but the output (the caller's). */
static int reset(feed_job_t *j, err_t *e)
{
    feed_report_t r = {0};
    r.leftovers = j->r.leftovers;
    r.spills_removed = j->r.spills_removed;
    memcpy(r.leftover, j->r.leftover, sizeof r.leftover);
    r.labels_loaded = j->r.labels_loaded;
    j->r = r;
    memset(j->first_line, 0, (j->m.n_users ? j->m.n_users : 1) * sizeof *j->first_line);
    strmap_destroy(&j->unk_viewers);
    j->not_grouped = 0;
    return strmap_init(&j->unk_viewers) ? err_set(e, ERR_NOMEM, "out of memory") : ERR_OK;
}

static int run(feed_job_t *j, io_writer_t *out, err_t *e)
{
    feed_chunk_t ck = {0};
    int eof = 0;
    uint64_t line0 = 0;
    ck.cap = j->s.chunk;
    if (!(ck.buf = calloc(1, ck.cap + FEED_PAD))) return err_set(e, ERR_NOMEM, "out of memory");
    int rc = j->s.sort ? ERR_OK : stream(j, &ck, out, &eof, &line0, e);
    if (j->s.sort) {
        j->r.sorted = 1;
        rc = feed_sort_job(j, &ck, eof, out, e);
    } else if (rc == ERR_INPUT && j->not_grouped) {
        /* a viewer came back: start over through the sort, if the input can
         * be read again and no row went where it cannot be taken back */
        int again = line0 == 0 || fseek(j->in, 0, SEEK_SET) == 0, clean = out->tmp || !j->r.groups;
        if (!again || !clean) {
            size_t l = strlen(e->msg);
            snprintf(e->msg + l, sizeof e->msg - l, "; the input is not grouped by viewer and %s, or group it "
                     "first (sort -s -k1,1)", !again ? "standard input cannot be read again to sort it: name "
                     "the file" : "rows already went to stdout: write to a file with --out");
        } else if (!(rc = reset(j, e)) && !(rc = out->tmp ? io_writer_rewind(out, e) : ERR_OK)) {
            if (line0) ck.have = 0, eof = 0;   /* else the chunk in hand is the file's start */
            j->r.sorted = 1;
            rc = feed_sort_job(j, &ck, eof, out, e);
        }
    }
    feed_chunk_free(&ck);
    return rc;
}


void feed_job_part(feed_job_t *j, uint32_t part, uint32_t parts, const char *out, int sort)
{
    j->s.shard = part;
    j->s.shards = parts;
    j->s.out = out;
    j->s.framed = 1;
    j->s.sort = sort;
}

void feed_report_means(feed_report_t *r)
{
    double nn = r->eval_ndcg_n ? (double)r->eval_ndcg_n : 1, na = r->eval_auc_n ? (double)r->eval_auc_n : 1;
    for (int m = 0; m < FEED_N_METHOD; m++) {
        r->ndcg[m] /= nn;
        r->auc[m] /= na;
    }
}

/* A second run (feed_job_part's rerun): the input from its start, the
 * counts of the first run forgotten. */
static int again(feed_job_t *j, err_t *e)
{
    if (!j->ran++) return ERR_OK;
    if (fseek(j->in, 0, SEEK_SET))
        return err_input(e, j->s.cols.path, 0, "cannot be read again: %s", strerror(errno));
    clearerr(j->in);
    return reset(j, e);
}

int feed_job_run(feed_job_t *j, feed_report_t *r, err_t *e)
{
    io_writer_t out;
    int rc = again(j, e);
    if (rc) {
        *r = j->r;
        return rc;
    }
    io_writer_leftovers(j->s.out, j->r.leftover, FEED_N_REPORT, &j->r.leftovers);
    feed_out_spill_leftovers(j->s.out, &j->r.spills_removed);
    double t0 = clock_now();
    rc = feed_out_open(&out, j->s.out, e);
    if (!rc) rc = run(j, &out, e);
    if (!rc) rc = feed_out_close(&out, e);
    else feed_out_abort(&out);
    feed_report_t *x = &j->r;
    x->secs = clock_now() - t0;
    x->have_labels = j->have_labels;
    x->unk_viewers = j->unk_viewers.n;
    for (uint32_t i = 0; i < FEED_N_REPORT; i++)
        x->unk_viewer_name[i] = i < j->unk_viewers.n ? strmap_name(&j->unk_viewers, i) : NULL;
    *r = *x;
    feed_report_means(r);
    return rc;
}

void feed_job_close(feed_job_t *j)
{
    if (!j) return;
    if (j->in && j->in != stdin) fclose(j->in);
    if (j->maps) { strmap_destroy(&j->users); strmap_destroy(&j->items); }
    strmap_destroy(&j->unk_viewers);
    if (j->have_labels) strmap_destroy(&j->labels);
    if (j->have_ties) graph_csr_destroy(&j->ties);
    free(j->popularity); free(j->first_line); free(j->unk_first); free(j->emb_copy); free(j->rank);
    free(j->head_items); free(j->head_wt);
    free(j);
}
