/* candidates.h - the parsers of rank-feed's input files: candidate lines
 * and the labels (engagements) file (docs/feed.md has the formats).
 *
 * A candidate line has the columns named by --columns (viewer, post and
 * author required; content and time optional; `_` skips one), separated by
 * one delimiter (tab, comma) or by runs of blanks (space). Blanks around a
 * field are trimmed, as build-graph does. content is a '|'-separated list
 * of ids (empty ones skipped, at most FEED_MAX_CONTENT); time is an integer
 * or empty (no time). Ids are 1..STORE_MAX_ID_LEN bytes.
 *
 * feed_scan_line is the hot path (tens of millions of lines): no lookups,
 * no allocation, and e may be NULL when the caller only needs to know that
 * a line is bad (it parses the line again, with e, to report it). It reads
 * up to 7 bytes past the line's end (8 bytes at a time): the buffer must
 * have FEED_PAD readable bytes after any line passed in.
 * Errors are ERR_INPUT "FILE:LINE: what is wrong" (FILE = cols->path).
 */
#ifndef GNNREC_FEED_CANDIDATES_H
#define GNNREC_FEED_CANDIDATES_H

#include <stdint.h>

#include "base/err.h"
#include "base/strmap.h"
#include "feed/feed.h"
#include "store/store.h"

#define FEED_PAD 64
#define FEED_MAX_FIELDS 16
#define FEED_MAX_CONTENT 256

enum feed_col { FEED_C_VIEWER, FEED_C_POST, FEED_C_AUTHOR, FEED_C_CONTENT, FEED_C_TIME, FEED_N_COL };

typedef struct feed_cols {
    const char *path;          /* the file's name in messages */
    char delim;                /* '\t', ',' or ' ' (runs of blanks) */
    int col[FEED_N_COL];       /* field index of each column, -1 = absent */
    int n_cols;                /* fields a line must have at least */
} feed_cols_t;

/* Columns from a spec like "viewer,post,author,content,time" (ERR_USAGE
 * "--columns: ..."); path and delim are left as they are. */
int feed_cols_parse(feed_cols_t *c, const char *spec, err_t *e);

/* The id fields of a line: offsets from the line's start and lengths. */
typedef struct feed_fields { uint32_t vo, vl, po, pl, ao, al; } feed_fields_t;

/* An id to resolve: its bytes, hash and dense id (filled by the caller). */
typedef struct feed_tok { const char *s; uint32_t len, id; uint64_t h; } feed_tok_t;

/* Split and check line s[0..len) (number `line` in messages): the id fields
 * into f, the time into *time (FEED_NO_TIME when absent), the content ids
 * (or the post, when there is no content column: a post is then an item)
 * into tok[0..*ntok), tok [FEED_MAX_CONTENT]. check_nul: look for NUL bytes
 * (the caller found one somewhere near). ERR_OK or ERR_INPUT. */
int feed_scan_line(const feed_cols_t *c, const char *s, uint32_t len, uint64_t line, int check_nul,
                   feed_fields_t *f, int64_t *time, feed_tok_t *tok, uint32_t *ntok, err_t *e);

/* The labels map's key of (viewer, post): "viewer\tpost" into key
 * [2 * STORE_MAX_ID_LEN + 2]; returns its length. */
static inline uint32_t feed_label_key(char *key, const char *v, uint32_t vl, const char *p, uint32_t pl)
{
    memcpy(key, v, vl);
    key[vl] = '\t';
    memcpy(key + vl + 1, p, pl);
    return vl + 1 + pl;
}

/* Read a labels file (`viewer post` per line, blank-separated; blank lines
 * skipped) into labels (initialised by the caller) as feed_label_key keys;
 * *loaded = distinct pairs added. */
int feed_labels_load(const char *path, strmap_t *labels, uint64_t *loaded, err_t *e);

#endif
