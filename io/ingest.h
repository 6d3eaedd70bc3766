/* ingest.h - parsers for the input files of SPEC.md: interactions (adj and
 * edges formats), social ties and knowledge-graph triples.
 *
 * Parsers intern every external id into the caller's strmap_t (preloaded
 * with the store's ids for --append, so known ids keep their dense ids) and
 * append rows to an io_rows_t. Nothing here touches the store: build-graph
 * parses everything first and writes only when all input is valid. Every
 * malformed line stops the parse with ERR_INPUT "FILE:LINE: what is wrong".
 *
 * Rows (one allocation per array, [cap] of which [n] are used):
 *   a [n], b [n]   interactions: user, item; social: user, user; kg: head, tail
 *   r [n]          kg: relation (else unused)
 *   rating [n]     rating / social weight, or NaN when the file has none
 *   time [n]       timestamp, or INT64_MIN when the file has none
 *   line [n]       source line (for later messages, and a stable order key)
 * a and b are always there; the other columns only when rows->cols names
 * them (IO_ROWS_*; NULL otherwise), so that an adj file's 100M rows cost
 * 8 bytes each rather than 28. io_rows_init keeps every column (what small
 * inputs and the tests use); io_rows_init_cols picks them. A column that is
 * absent reads as its default (r 0, rating NaN, time IO_NO_TIME, line 0):
 * io_rows_push drops values for it.
 */
#ifndef GNNREC_IO_INGEST_H
#define GNNREC_IO_INGEST_H

#include <stdint.h>

#include "base/err.h"
#include "base/strmap.h"
#include "io/idlist.h"

#define IO_MAX_ID_LEN 256                 /* bytes of one external id */
#define IO_MAX_LINE ((size_t)1 << 16)      /* edges, social, kg lines */
#define IO_MAX_ADJ_LINE ((size_t)64 << 20) /* one user's whole history */
#define IO_NO_TIME INT64_MIN

enum io_format { IO_FORMAT_EDGES, IO_FORMAT_ADJ };
enum io_column { IO_COL_USER, IO_COL_ITEM, IO_COL_RATING, IO_COL_TIME, IO_N_COL };

typedef struct io_spec {
    int format;               /* enum io_format */
    char delim;               /* '\t', ',', ' ' (runs of blanks) or 0 = detect */
    int header;               /* skip the first line */
    int col[IO_N_COL];        /* column index of each field, -1 = absent */
    int n_named;              /* columns named by --columns (rows need >= this) */
    int has_min_rating;
    double min_rating;
    int progress;             /* progress line while reading: 0 on a terminal, 1 always, -1 never (default) */
} io_spec_t;

#define IO_ROWS_R 1u
#define IO_ROWS_RATING 2u
#define IO_ROWS_TIME 4u
#define IO_ROWS_LINE 8u
#define IO_ROWS_ALL 15u

typedef struct io_rows {
    uint64_t n, cap;
    unsigned cols;            /* IO_ROWS_* present */
    uint32_t *a, *b, *r;
    float *rating;
    int64_t *time;
    uint32_t *line;
} io_rows_t;

typedef struct io_read_stats {
    uint64_t lines;           /* lines read, header and blank lines included */
    uint64_t rows;            /* rows appended */
    uint64_t below_min_rating;/* rows dropped by --min-rating */
} io_read_stats_t;

/* Defaults: edges format, detected delimiter, columns user,item. */
void io_spec_default(io_spec_t *s);
/* "user,item[,rating][,time]" (a "_" names a column to ignore) -> spec. */
int io_spec_set_columns(io_spec_t *s, const char *columns, err_t *e);
/* "tab", "comma", "space", "auto". */
int io_spec_set_delim(io_spec_t *s, const char *name, err_t *e);

/* What an external id may be: 1..IO_MAX_ID_LEN bytes, no control bytes
 * (below 0x20, or 0x7f: a TAB or newline in an id would break tab-separated
 * output). ERR_INPUT "PATH:LINE: <what> id ..." otherwise. Every parser
 * checks its ids with it. */
int io_check_id(const char *what, const char *s, size_t len, const char *path, long line, err_t *e);

void io_rows_init(io_rows_t *rows);                     /* every column */
void io_rows_init_cols(io_rows_t *rows, unsigned cols);  /* a, b and cols (IO_ROWS_*) */
void io_rows_destroy(io_rows_t *rows);
/* The columns rows of interactions in this format need: rating and time
 * when --columns names them, and then line (the first of two rows with
 * the same pair but other attributes is the one kept); adj: none. */
unsigned io_spec_row_cols(const io_spec_t *s);
/* Make room for at least cap rows (never shrinks). */
int io_rows_reserve(io_rows_t *rows, uint64_t cap, err_t *e);
/* Append one row (growing the arrays). */
int io_rows_push(io_rows_t *rows, uint32_t a, uint32_t b, uint32_t r, float rating,
                 int64_t time, uint32_t line, err_t *e);

int io_read_interactions(const char *path, const io_spec_t *spec, strmap_t *users,
                         strmap_t *items, io_rows_t *out, io_read_stats_t *st, err_t *e);
/* `user user [weight]`, delimiter detected. */
int io_read_social(const char *path, strmap_t *users, io_rows_t *out, io_read_stats_t *st,
                   err_t *e);
/* `head relation tail`, delimiter detected. */
int io_read_kg(const char *path, strmap_t *entities, strmap_t *relations, io_rows_t *out,
               io_read_stats_t *st, err_t *e);

/* `item entity` per line (build-graph --item-entities): which kg entity is
 * which item; rows a = item, b = entity, line. */
int io_read_item_entities(const char *path, strmap_t *items, strmap_t *entities, io_rows_t *out, err_t *e);

/* Drop repeated (a, b[, r]) rows keeping the first occurrence and the order
 * of the rest; returns the number dropped in *dropped. Costs 25 bytes a row
 * of scratch; the reference twin of io_rows_sort_dedup, and what --split
 * uses (a split needs the file order). */
int io_rows_dedup(io_rows_t *rows, int with_r, uint64_t *dropped, err_t *e);
/* Move the rows with flag[i] set to *moved (appended), keeping both in
 * file order (a split's test rows, social self-ties). */
int io_rows_partition(io_rows_t *rows, const uint8_t *flag, io_rows_t *moved, err_t *e);
/* Undirected ties (social): each pair as (min, max), self-ties dropped and
 * counted into *self_loops. Order kept (sort afterwards). */
int io_rows_undirected(io_rows_t *rows, uint64_t *self_loops, err_t *e);

/* Sort rows into the store's key order (a, r, b) and drop repeated
 * (a, b[, r]) rows keeping the first occurrence (the smallest line, when
 * rows have a line column; without one repeated rows are identical). In
 * place: a bucket pass by a (the user, counts [max a + 2] u64), then each
 * user's rows sorted on their own, so the scratch is the largest user's
 * rows, not a copy of the table. The row order among other keys is lost. */
int io_rows_sort_dedup(io_rows_t *rows, int with_r, uint64_t *dropped, err_t *e);

/* --item-names FILE: `item<TAB>name` per line (blank lines skipped, fields
 * after the second ignored). names.text[j] is the name of parse item
 * item[j], from names.line[j]. Every item must be in items (the store's and
 * the job's items): an unknown one, an item named twice, an empty name, one
 * longer than IO_MAX_NAME_LEN bytes or holding a control byte is ERR_INPUT
 * "FILE:LINE: ...". */
#define IO_MAX_NAME_LEN 1024
typedef struct io_item_names {
    io_idlist_t names;
    uint32_t *item;   /* [cap] */
    size_t cap;
} io_item_names_t;
int io_read_item_names(const char *path, const strmap_t *items, io_item_names_t *out, err_t *e);
void io_item_names_destroy(io_item_names_t *n);

#endif
