/* cmd_rank_feed.c - `gnnrec rank-feed`: the options of a feed-ranking job,
 * one run of it (feed/job.h: streaming, parsing, scoring, output), and its
 * report on stderr (the evaluation on stdout, or stderr when the ranking
 * goes to stdout). docs/feed.md describes the job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "base/clock.h"
#include "dist/feed.h"
#include "feed/job.h"
#include "gnn/scorer.h"
#include "io/idlist.h"
#include "tools/commands.h"
#include "tools/common.h"

static const char usage_text[] =
    "usage: gnnrec rank-feed --config FILE | --store DIR --candidates FILE --out FILE [--KEY VALUE ...]\n"
    "\n"
    "Ranks each viewer's candidate posts with a saved model and writes the top N per viewer\n"
    "with the score and its terms. Keys (YAML config or --key value; the command line wins):\n"
    "  --store DIR            the store; --model NAME the saved model (default: the only one)\n"
    "  --candidates FILE      one candidate per line, any order ('-' = stdin); a file not grouped by\n"
    "                         viewer is sorted (--sort-memory BYTES per run, 256 MiB), viewers in byte order\n"
    "  --columns LIST         its columns (viewer,post,author,content,time); `_` ignores one;\n"
    "                         content is a '|'-separated list of item ids, may be empty\n"
    "  --delim D              tab (default), comma or space (runs of blanks)\n"
    "  --header               skip the first line\n"
    "  --out FILE             output, replaced atomically at the end ('-' = stdout)\n"
    "  --format F             tsv (default): viewer rank post author score content author tie recency;\n"
    "                         jsonl: one object per viewer\n"
    "  --top N                posts per viewer (50)\n"
    "  --author-cap N         at most N posts of one author in the top N (3; 0 = no cap)\n"
    "  --weights.content X    weight of dot(viewer, post content) (1)\n"
    "  --weights.author X     weight of dot(viewer, author) (0.25)\n"
    "  --weights.tie X        weight of a social tie viewer-author (0.25)\n"
    "  --weights.recency X    weight of 2^(-age/half-life) (0.25)\n"
    "  --half-life S          in the time column's unit (86400)\n"
    "  --now T                age reference: an integer time, or auto (default: each viewer's newest post)\n"
    "  --labels FILE          `viewer post` engagements: NDCG@10 and AUC against reverse-chronological\n"
    "                         and author-popularity orders, to stdout (stderr when --out is -)\n"
    "  --json                 the evaluation as one JSON object\n"
    "  --max-bad-lines N      skip up to N malformed lines, reporting them (0: the first one fails)\n"
    "  --chunk-bytes N        read size (16 MiB); memory: a read + ~100 bytes a line\n"
    "  --threads N            threads (0 = all cores); --progress shows a progress line\n"
    "  --shard I/N            only the viewers whose id hashes to I mod N (docs/feed.md)\n"
    "Under mpirun -np P the ranks split the viewers; --out is one process's, byte for byte (docs/distributed.md).\n"
    "Exit codes: 0 ok, 2 bad usage or bad input (FILE:LINE: what is wrong), 1 other failure.\n";

static const cli_flag_t flags[] = {"header", "json", "progress", "help", NULL};
static const char *const known[] = {"config", "store", "model", "arch", "candidates", "columns", "delim", "header",
                                    "out", "format", "top", "author_cap", "weights.content", "weights.author",
                                    "weights.tie", "weights.recency", "half_life", "now", "labels", "json",
                                    "max_bad_lines", "chunk_bytes", "threads", "progress", "help", "sort_memory", "shard", NULL};

static void report(const feed_report_t *j, const char *out, double secs)
{
    fprintf(stderr, "gnnrec rank-feed: %llu candidates of %llu viewers ranked in %.2f s "
            "(%.2fM candidates/s, %d threads); "
            "%llu rows to %s\n", (unsigned long long)j->cands, (unsigned long long)j->groups, secs,
            secs > 0 ? (double)j->cands / secs / 1e6 : 0.0, omp_get_max_threads(), (unsigned long long)j->rows,
            strcmp(out, "-") ? out : "stdout");
    if (j->unk_viewers) {
        fprintf(stderr, "gnnrec rank-feed: %u unknown viewers (%llu candidates, ranked by recency only):",
                j->unk_viewers, (unsigned long long)j->unk_viewer_cands);
        uint32_t i = 0;   /* under mpirun rank 0's names only */
        for (; i < j->unk_viewers && i < FEED_N_REPORT && j->unk_viewer_name[i]; i++)
            fprintf(stderr, " %s", j->unk_viewer_name[i]);
        fprintf(stderr, "%s\n", j->unk_viewers > i ? " ..." : "");
    }
    if (j->unk_author_cands) {
        fprintf(stderr, "gnnrec rank-feed: %llu candidates by unknown authors (no author or tie term):",
                (unsigned long long)j->unk_author_cands);
        for (int i = 0; i < j->n_unk_author_names; i++) fprintf(stderr, " %s", j->unk_author_name[i]);
        fprintf(stderr, "%s\n", j->unk_author_cands > FEED_N_REPORT ? " ..." : "");
    }
    if (j->unk_content || j->author_content || j->no_content)
        fprintf(stderr, "gnnrec rank-feed: %llu content ids not in the store; %llu posts without known content "
                "scored by their author's embedding, %llu with no content term\n", (unsigned long long)j->unk_content,
                (unsigned long long)j->author_content, (unsigned long long)j->no_content);
    if (j->bad) fprintf(stderr, "gnnrec rank-feed: skipped %llu bad lines\n", (unsigned long long)j->bad);
    if (j->sorted) fprintf(stderr, "gnnrec rank-feed: not grouped by viewer: sorted (%u runs spilled)\n", j->sort_runs);
}

static void report_eval(const feed_report_t *j, FILE *f, int json)
{
    if (json) {
        fprintf(f, "{\"labels\":%llu,\"labels_matched\":%llu,\"viewers_ndcg\":%llu,\"viewers_auc\":%llu",
                (unsigned long long)j->labels_loaded, (unsigned long long)j->labels_matched,
                (unsigned long long)j->eval_ndcg_n, (unsigned long long)j->eval_auc_n);
        for (int m = 0; m < FEED_N_METHOD; m++)
            fprintf(f, ",\"%s\":{\"ndcg@%d\":%.6f,\"auc\":%.6f}", feed_method_names[m], FEED_EVAL_K, j->ndcg[m],
                    j->auc[m]);
        fputs("}\n", f);
        return;
    }
    fprintf(f, "labels: %llu engagements, %llu found among the candidates\n", (unsigned long long)j->labels_loaded,
            (unsigned long long)j->labels_matched);
    fprintf(f, "viewers: %llu with an engaged candidate (NDCG), %llu also with a non-engaged one (AUC)\n",
            (unsigned long long)j->eval_ndcg_n, (unsigned long long)j->eval_auc_n);
    fprintf(f, "%-24s %9s %9s\n", "method", "ndcg@10", "auc");
    for (int m = 0; m < FEED_N_METHOD; m++)
        fprintf(f, "%-24s %9.4f %9.4f\n", feed_method_names[m], j->ndcg[m], j->auc[m]);
}

static int get_settings(cli_opts_t *o, feed_settings_t *j, int *json, err_t *e)
{
    static const char *const formats[] = {"tsv", "jsonl", NULL};
    static const char *const delims[] = {"tab", "comma", "space", NULL};
    const char *columns, *now, *shard;
    int rc, d;
    uint32_t top, cap;
    uint64_t max_bad, chunk;
    float hl = (float)j->w.half_life;
    if ((rc = cli_get_str(o, "columns", "viewer,post,author,content,time", &columns, e)) ||
        (rc = feed_cols_parse(&j->cols, columns, e)) || (rc = cli_get_choice(o, "delim", delims, 0, &d, e)) ||
        (rc = cli_get_bool(o, "header", 0, &j->header, e)) ||
        (rc = cli_get_choice(o, "format", formats, 0, &j->format, e)) ||
        (rc = cli_get_u32(o, "top", j->top, 1, 1000000, &top, e)) ||
        (rc = cli_get_u32(o, "author_cap", j->cap, 0, 1000000, &cap, e)) ||
        (rc = cli_get_float(o, "weights.content", j->w.content, -1e6, 1e6, &j->w.content, e)) ||
        (rc = cli_get_float(o, "weights.author", j->w.author, -1e6, 1e6, &j->w.author, e)) ||
        (rc = cli_get_float(o, "weights.tie", j->w.tie, -1e6, 1e6, &j->w.tie, e)) ||
        (rc = cli_get_float(o, "weights.recency", j->w.recency, -1e6, 1e6, &j->w.recency, e)) ||
        (rc = cli_get_float(o, "half_life", hl, 1e-6, 1e18, &hl, e)) ||
        (rc = cli_get_str(o, "now", "auto", &now, e)) || (rc = cli_get_str(o, "labels", NULL, &j->labels, e)) ||
        (rc = cli_get_bool(o, "json", 0, json, e)) ||
        (rc = cli_get_u64(o, "max_bad_lines", 0, 0, UINT64_MAX - 1, &max_bad, e)) ||
        (rc = cli_get_u64(o, "chunk_bytes", j->chunk, 4096, (uint64_t)1 << 32, &chunk, e)) ||
        (rc = cli_get_u64(o, "sort_memory", j->sort_memory, 4096, (uint64_t)3 << 30, &j->sort_memory, e)) ||
        (rc = cli_get_str(o, "shard", NULL, &shard, e)) || (rc = io_shard_parse(shard, &j->shard, &j->shards, e)))
        return rc;
    j->chunk = (size_t)chunk;
    j->cols.delim = "\t, "[d];
    j->top = top;
    j->cap = cap;
    j->max_bad = max_bad;
    j->w.half_life = hl;
    char why[sizeof e->msg];
    if (!feed_settings_now(j, now, e)) return ERR_OK;
    snprintf(why, sizeof why, "%s", e->msg);
    return cli_error(o, "now", e, "%s", why);
}

/* The saved model: --model NAME, or a job config's `model: NAME` (which
 * cli.h files under "arch"; rank-feed has no architecture to pick). */
static int pick_model_name(cli_opts_t *o, const char **given, err_t *e)
{
    const char *yaml_model;
    int rc;
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->v[i].key, "arch") && !o->v[i].file)
            return cli_error(o, "arch", e, "rank-feed takes no architecture; name the saved model with --model");
    if ((rc = cli_get_str(o, "model", NULL, given, e)) || (rc = cli_get_str(o, "arch", NULL, &yaml_model, e)))
        return rc;
    if (!*given) *given = yaml_model;
    return ERR_OK;
}

int cmd_rank_feed(int argc, char **argv)
{
    cli_job_t c = {0};
    cli_opts_t *o = &c.o;
    err_t *e = &c.e;
    feed_settings_t fs;
    feed_report_t r;
    feed_job_t *j = NULL;
    char name[256];
    const char *given;
    int rc, json = 0;
    uint32_t threads;
    dist_t d;
    feed_settings_default(&fs);
    if ((rc = cli_dist_start(&d, e))) goto out;
    if ((rc = cli_job_start(&c, argc, argv, flags, known, usage_text)) || c.help) goto out;
    if ((rc = pick_model_name(o, &given, e)) ||
        (rc = cli_need_str(o, "candidates", &fs.candidates, e)) ||
        (rc = cli_get_output_path(o, "out", NULL, &fs.out, e)) ||
        (!fs.out && (rc = cli_need_str(o, "out", &fs.out, e))) || (rc = get_settings(o, &fs, &json, e)) ||
        (rc = cli_get_u32(o, "threads", 0, 0, 1024, &threads, e)) ||
        (rc = cli_get_bool(o, "progress", 0, &fs.progress, e)))
        goto out;
    if ((rc = dist_rank_feed_check(&d, &fs, e))) goto out;
    if (d.rank != 0) fs.progress = 0;
    cli_set_threads((int)threads);
    double t0 = clock_now();
    if (!(rc = feed_job_open(&j, &fs, e)) && !(rc = cli_job_model(&c, STORE_RDONLY, given, 1, name, sizeof name)))
        rc = feed_job_load(j, &c.t, name, e);
    if ((rc = dist_agree_store(&d, rc, &c.t, e))) goto out;
    double t1 = clock_now();
    rc = dist_rank_feed(&d, j, fs.out, &r, e);
    if (d.rank != 0) goto out;   /* rank 0 reports the job */
    for (int i = 0; i < r.n_skipped; i++)
        fprintf(stderr, "gnnrec rank-feed: skipped %s\n", r.skipped[i]);
    for (uint32_t i = 0; i < r.leftovers && i < FEED_N_REPORT; i++)
        fprintf(stderr, "gnnrec rank-feed: note: %s is left over by a job that is no longer running "
                "(killed?): removed\n", r.leftover[i]);
    if (r.spills_removed) fprintf(stderr, "gnnrec rank-feed: note: removed %u spill files of dead jobs\n", r.spills_removed);
    if (r.leftovers > FEED_N_REPORT)
        fprintf(stderr, "gnnrec rank-feed: note: %u such files removed in all\n", r.leftovers);
    if (rc) goto out;
    report(&r, fs.out, r.secs);
    fprintf(stderr, "gnnrec rank-feed: %.2f s in all (store and maps %.2f s)\n", clock_now() - t0, t1 - t0);
    if (fs.labels) report_eval(&r, strcmp(fs.out, "-") ? stdout : stderr, json);
out:
    feed_job_close(j);
    cli_job_close(&c);
    return cli_dist_end(&d, "rank-feed", rc, e);
}
