/* rank.c - rank-feed's sequential and parallel passes over the parsed
 * records of one chunk (see internal.h): bad-line reports, viewer groups
 * and the grouping check, the top N of each group with its per-author cap,
 * the rows (TSV or JSON lines) and the evaluation against the baselines.
 * Output and sums go in input order, so any thread count gives the same
 * bytes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "feed/internal.h"

#define LIT(b, lit) io_buf_put(b, lit, sizeof lit - 1)

typedef struct scratch {
    uint32_t *idx, *top;
    double *key;
    uint8_t *label;
    size_t cap;
} scratch_t;

static int scratch_fit(scratch_t *s, size_t n, uint32_t top)
{
    if (n <= s->cap && s->top) return 0;
    size_t cap = n > s->cap ? n : s->cap;
    free(s->idx); free(s->top); free(s->key); free(s->label);
    s->idx = malloc(2 * cap * sizeof *s->idx);
    s->top = malloc((top ? top : 1) * sizeof *s->top);
    s->key = malloc(cap * sizeof *s->key);
    s->label = malloc(cap);
    s->cap = cap;
    return s->idx && s->top && s->key && s->label ? 0 : -1;
}

typedef struct lit { const char *s; size_t n; } lit_t;

/* An id as it came (TSV; io_buf_put, not io_buf_tsv) or as a JSON string. */
static void put_id(io_buf_t *o, int json, const char *s, uint32_t l)
{
    if (json) io_buf_json_str(o, s, l);
    else io_buf_put(o, s, l);
}

/* Row k (0-based rank) of a viewer's top: TSV `viewer rank post author
 * score content author tie recency`, or one element of the JSON object's
 * "posts" array. One sequence of fields; the table gives what goes before
 * each (and at the end) in either format. */
static void put_row(const feed_job_t *j, const char *line, const feed_rec_t *y, const feed_cand_t *x,
                    const char *vs, uint32_t vl, uint32_t k, io_buf_t *o)
{
#define S(lit) {lit, sizeof lit - 1}
    static const lit_t sep[2][9] = {
        {S("\t"), S("\t"), S("\t"), S("\t"), S("\t"), S("\t"), S("\t"), S("\t"), S("\n")},
        {S("{\"rank\":"), S(",\"post\":"), S(",\"author\":"), S(",\"score\":"), S(",\"terms\":{\"content\":"),
         S(",\"author\":"), S(",\"tie\":"), S(",\"recency\":"), S("}}")}};
#undef S
    const int json = j->s.format == FEED_JSONL;
    const lit_t *sp = sep[json];
    double t[5] = {x->score, j->s.w.content * x->content, j->s.w.author * x->author, j->s.w.tie * x->tie,
                   j->s.w.recency * x->recency};
    if (!json) io_buf_put(o, vs, vl);
    else if (k) LIT(o, ",");
    io_buf_put(o, sp[0].s, sp[0].n);
    io_buf_u64(o, k + 1);
    io_buf_put(o, sp[1].s, sp[1].n);
    put_id(o, json, line + y->f.po, y->f.pl);
    io_buf_put(o, sp[2].s, sp[2].n);
    put_id(o, json, line + y->f.ao, y->f.al);
    for (int i = 0; i < 5; i++) {
        io_buf_put(o, sp[3 + i].s, sp[3 + i].n);
        io_buf_f6(o, t[i]);
    }
    io_buf_put(o, sp[8].s, sp[8].n);
}

/* NDCG and AUC of the group's three orders into gm [2 x FEED_N_METHOD]. */
static void evaluate(const feed_job_t *j, const feed_cand_t *c, const feed_rec_t *r, uint32_t n, double *gm,
                     scratch_t *s)
{
    for (uint32_t i = 0; i < n; i++) s->label[i] = r[i].label;
    for (int m = 0; m < FEED_N_METHOD; m++) {
        for (uint32_t i = 0; i < n; i++) {
            if (m == FEED_M_GNNREC) s->key[i] = c[i].score;
            else if (m == FEED_M_RECENT) s->key[i] = c[i].time == FEED_NO_TIME ? -INFINITY : (double)c[i].time;
            else s->key[i] = c[i].author_key >> 63 ? -1.0 : j->popularity[c[i].author_key];
        }
        feed_metrics(s->key, s->label, n, FEED_EVAL_K, s->idx, &gm[m], &gm[FEED_N_METHOD + m]);
    }
}

/* Rank group g: score, select the top, format the rows, evaluate. */
static int rank_group(const feed_job_t *j, feed_chunk_t *ck, size_t g, io_buf_t *o, uint64_t *rows, scratch_t *s)
{
    feed_cand_t *c = ck->cand + ck->gstart[g];
    const feed_rec_t *r = ck->rec + ck->gstart[g];
    uint32_t n = ck->gstart[g + 1] - ck->gstart[g];
    if (scratch_fit(s, n, j->s.top)) return -1;
    int64_t now = j->s.now != FEED_NO_TIME ? j->s.now : feed_newest(c, n);
    feed_score(&j->s.w, now, c, n);
    uint32_t got = feed_top(c, n, j->s.top, j->s.cap, s->top, s->idx);
    const char *vs = ck->buf + r->start + r->f.vo;
    size_t at = o->n;   /* a framed part: the frame and the id before the rows (job.h) */
    feed_frame_t fr = {.first = c[0].order, .vlen = r->f.vl};
    if (j->s.framed) {
        io_buf_put(o, &fr, sizeof fr);
        io_buf_put(o, vs, r->f.vl);
    }
    if (j->s.format == FEED_JSONL) { LIT(o, "{\"viewer\":"); io_buf_json_str(o, vs, r->f.vl); LIT(o, ",\"posts\":["); }
    for (uint32_t k = 0; k < got; k++) {
        const feed_rec_t *y = &r[s->top[k]];
        put_row(j, ck->buf + y->start, y, &c[s->top[k]], vs, r->f.vl, k, o);
    }
    if (j->s.format == FEED_JSONL) LIT(o, "]}\n");
    *rows += got;
    if (j->have_labels) evaluate(j, c, r, n, ck->gm + g * 2 * FEED_N_METHOD, s);
    if (j->s.framed && !o->oom) {
        fr.rlen = (uint32_t)(o->n - at - sizeof fr - r->f.vl);
        fr.rows = got;
        if (j->have_labels) memcpy(fr.gm, ck->gm + g * 2 * FEED_N_METHOD, sizeof fr.gm);
        memcpy(o->p + at, &fr, sizeof fr);
    }
    return o->oom ? -1 : 0;
}

/* Remember an unknown viewer's group; 0 if new, else its first line. */
static int unknown_viewer_seen(feed_job_t *j, const char *s, uint32_t l, uint64_t line, uint64_t *first, err_t *e)
{
    int added;
    uint32_t id = strmap_intern(&j->unk_viewers, s, l, &added);
    if (id == STRMAP_NONE) return err_set(e, ERR_NOMEM, "out of memory");
    if (!added) { *first = j->unk_first[id]; return ERR_OK; }
    if (id >= j->unk_cap) {
        size_t cap = j->unk_cap ? 2 * j->unk_cap : 1024;
        uint64_t *p = realloc(j->unk_first, cap * sizeof *p);
        if (!p) return err_set(e, ERR_NOMEM, "out of memory");
        j->unk_first = p;
        j->unk_cap = cap;
    }
    j->unk_first[id] = line;
    *first = 0;
    return ERR_OK;
}

/* Sequential pass over rec[0..cut): report bad lines, drop them and blank
 * lines (compacting rec/cand), cut the rest into viewer groups, check that
 * no viewer comes back, count unknowns. */
int feed_group_chunk(feed_job_t *j, feed_chunk_t *ck, size_t cut, err_t *e)
{
    size_t w = 0;
    ck->ng = 0;
    for (size_t i = 0; i < cut; i++) {
        feed_rec_t *r = &ck->rec[i];
        if (r->blank) continue;
        uint64_t line = ck->cand[i].order;
        if (r->bad) {
            feed_tok_t tok[FEED_MAX_CONTENT];
            uint32_t nt;
            int64_t time;
            int rc = feed_scan_line(&j->s.cols, ck->buf + r->start, r->len, line, r->nul, &r->f, &time, tok, &nt, e);
            if (!rc) rc = err_set(e, ERR_INTERNAL, "%s:%llu: line parsed differently twice", j->s.cols.path,
                                  (unsigned long long)line);
            if (++j->r.bad > j->s.max_bad) {
                if (j->s.max_bad) err_prefix(e, "more than %llu bad lines; ", (unsigned long long)j->s.max_bad);
                return rc;
            }
            if (j->r.n_skipped < FEED_N_SKIPPED)
                snprintf(j->r.skipped[j->r.n_skipped++], sizeof j->r.skipped[0], "%s", e->msg);
            continue;
        }
        if (w == 0 || !feed_same_viewer(ck, &ck->rec[w - 1], r)) {
            uint64_t first = 0;
            const char *vs = ck->buf + r->start + r->f.vo;
            if (r->viewer != STRMAP_NONE) {
                first = j->first_line[r->viewer];
                if (!first) j->first_line[r->viewer] = line;
            } else {
                int rc = unknown_viewer_seen(j, vs, r->f.vl, line, &first, e);
                if (rc) return rc;
            }
            if (first && (j->not_grouped = line))
                return err_input(e, j->s.cols.path, (long)line,
                                 "viewer '%.*s' already had its candidates at line %llu",
                                 (int)r->f.vl, vs, (unsigned long long)first);
            if (ck->ng + 2 > ck->gcap) {
                size_t cap = ck->gcap ? 2 * ck->gcap : 4096;
                uint32_t *p = realloc(ck->gstart, cap * sizeof *p);
                double *q = realloc(ck->gm, cap * 2 * FEED_N_METHOD * sizeof *q);
                if (p) ck->gstart = p;
                if (q) ck->gm = q;
                if (!p || !q) return err_set(e, ERR_NOMEM, "out of memory");
                ck->gcap = cap;
            }
            ck->gstart[ck->ng++] = (uint32_t)w;
        }
        const feed_cand_t *c = &ck->cand[i];
        j->r.unk_viewer_cands += (c->flags & FEED_UNKNOWN_VIEWER) != 0;
        j->r.author_content += (c->flags & FEED_AUTHOR_CONTENT) != 0;
        j->r.no_content += (c->flags & FEED_NO_CONTENT) != 0;
        j->r.unk_content += r->unknown_content;
        j->r.labels_matched += r->label;
        if (c->flags & FEED_UNKNOWN_AUTHOR) {
            if (j->r.n_unk_author_names < FEED_N_REPORT)
                snprintf(j->r.unk_author_name[j->r.n_unk_author_names++], 64, "%.*s", (int)(r->f.al > 60 ? 60 : r->f.al),
                         ck->buf + r->start + r->f.ao);
            j->r.unk_author_cands++;
        }
        if (w != i) {
            ck->rec[w] = *r;
            ck->cand[w] = *c;
        }
        w++;
    }
    if (ck->ng) ck->gstart[ck->ng] = (uint32_t)w;
    j->r.cands += w;
    j->r.groups += ck->ng;
    return ERR_OK;
}

/* Rank the groups in parallel, in parts of consecutive groups of about equal
 * size, and write the parts in order. */
int feed_rank_chunk(feed_job_t *j, feed_chunk_t *ck, io_writer_t *out, err_t *e)
{
    if (!ck->ng) return ERR_OK;
    size_t want = (size_t)omp_get_max_threads() * 4, total = ck->gstart[ck->ng];
    if (want > ck->ng) want = ck->ng;
    if (want > ck->nparts) {
        io_buf_t *p = realloc(ck->parts, want * sizeof *p);
        if (!p) return err_set(e, ERR_NOMEM, "out of memory");
        memset(p + ck->nparts, 0, (want - ck->nparts) * sizeof *p);
        ck->parts = p;
        ck->nparts = want;
    }
    size_t pstart[want + 1];
    uint64_t rows[want];
    pstart[0] = 0;
    for (size_t p = 1, g = 0; p <= want; p++) {
        size_t goal = total * p / want;
        while (g < ck->ng && (ck->gstart[g] < goal || g < pstart[p - 1] + 1)) g++;
        pstart[p] = p == want ? ck->ng : g;
    }
    int failed = 0;
#pragma omp parallel reduction(| : failed)
    {
        scratch_t s = {0};
#pragma omp for schedule(dynamic, 1)
        for (size_t p = 0; p < want; p++) {
            ck->parts[p].n = 0;
            rows[p] = 0;
            for (size_t g = pstart[p]; g < pstart[p + 1] && !failed; g++)
                if (rank_group(j, ck, g, &ck->parts[p], &rows[p], &s)) failed = 1;
        }
        free(s.idx); free(s.top); free(s.key); free(s.label);
    }
    if (failed) return err_set(e, ERR_NOMEM, "out of memory ranking");
    for (size_t p = 0; p < want; p++) j->r.rows += rows[p];
    int rc;
    for (size_t p = 0; p < want; p++)
        if ((rc = io_writer_write(out, ck->parts[p].p, ck->parts[p].n, e))) return rc;
    if (j->have_labels)   /* summed in viewer order: the same result for any thread count */
        for (size_t g = 0; g < ck->ng; g++) feed_report_add(&j->r, ck->gm + g * 2 * FEED_N_METHOD);
    return ERR_OK;
}

void feed_report_add(feed_report_t *r, const double *gm)
{
    if (!isnan(gm[0])) {
        r->eval_ndcg_n++;
        for (int m = 0; m < FEED_N_METHOD; m++) r->ndcg[m] += gm[m];
    }
    if (!isnan(gm[FEED_N_METHOD])) {
        r->eval_auc_n++;
        for (int m = 0; m < FEED_N_METHOD; m++) r->auc[m] += gm[FEED_N_METHOD + m];
    }
}

