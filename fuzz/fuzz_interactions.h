/* fuzz_interactions.h - the body shared by fuzz_edges.c and fuzz_adj.c:
 * io_read_interactions on the input, then what build-graph does next with
 * the rows (dedup, a split), with the invariants a caller relies on checked.
 *
 * Input layout: byte 0 picks the options (delimiter, header, columns,
 * --min-rating, split kind), byte 1 the split fraction; the rest is the file.
 * Inputs shorter than 2 bytes are skipped.
 */
#ifndef GNNREC_FUZZ_INTERACTIONS_H
#define GNNREC_FUZZ_INTERACTIONS_H

#include <math.h>

#include "base/strmap.h"
#include "fuzz/fuzz_common.h"
#include "io/ingest.h"
#include "io/split.h"

static int fuzz_interactions(const uint8_t *data, size_t size, int format)
{
    static const char *const delims[] = {"auto", "tab", "comma", "space"};
    static const char *const columns[] = {"user,item", "user,item,rating", "user,item,rating,time",
                                          "_,user,item", "item,user,_,time", "user,item,time,rating"};
    if (size < 2) return 0;
    uint8_t opt = data[0], frac = data[1];
    data += 2;
    size -= 2;
    const char *path = fuzz_file(data, size);

    io_spec_t spec;
    err_t e = {0};
    io_spec_default(&spec);
    spec.format = format;
    FUZZ_CHECK(io_spec_set_delim(&spec, delims[opt & 3], &e) == ERR_OK);
    spec.header = (opt >> 2) & 1;
    if (format == IO_FORMAT_EDGES) {
        FUZZ_CHECK(io_spec_set_columns(&spec, columns[((opt >> 3) & 7) % 6], &e) == ERR_OK);
        if ((opt & 0x40) && spec.col[IO_COL_RATING] >= 0) {
            spec.has_min_rating = 1;
            spec.min_rating = (double)(frac % 7) - 1.0;
        }
    }

    strmap_t users, items;
    io_rows_t rows;
    io_read_stats_t st;
    FUZZ_CHECK(strmap_init(&users) == 0 && strmap_init(&items) == 0);
    io_rows_init(&rows);
    /* a preloaded id, as with --append: it must keep dense id 0 */
    FUZZ_CHECK(strmap_intern(&users, "u0", 2, NULL) == 0);
    int rc = io_read_interactions(path, &spec, &users, &items, &rows, &st, &e);
    if (rc) {
        FUZZ_CHECK_INPUT_ERROR(rc, e, path);
    } else {
        FUZZ_CHECK(rows.n == st.rows && rows.n > 0);
        FUZZ_CHECK(strmap_get(&users, "u0", 2) == 0);
        for (uint64_t i = 0; i < rows.n; i++) {
            FUZZ_CHECK(rows.a[i] < users.n && rows.b[i] < items.n);
            FUZZ_CHECK(rows.line[i] >= 1 && rows.line[i] <= st.lines);
            FUZZ_CHECK(isnan(rows.rating[i]) || isfinite(rows.rating[i]));
            if (spec.has_min_rating) FUZZ_CHECK(rows.rating[i] >= spec.min_rating);
            if (spec.col[IO_COL_RATING] < 0) FUZZ_CHECK(isnan(rows.rating[i]));
            if (spec.col[IO_COL_TIME] < 0) FUZZ_CHECK(rows.time[i] == IO_NO_TIME);
        }
        for (uint32_t id = 0; id < items.n; id++) {
            size_t l = strmap_len(&items, id);
            FUZZ_CHECK(l >= 1 && l <= IO_MAX_ID_LEN);
            FUZZ_CHECK(strlen(strmap_name(&items, id)) == l);   /* no NUL inside an id */
        }
        uint64_t n_before = rows.n, dropped = 0;
        FUZZ_CHECK(io_rows_dedup(&rows, 0, &dropped, &e) == ERR_OK);
        FUZZ_CHECK(rows.n + dropped == n_before && rows.n > 0);
        for (uint64_t i = 1; i < rows.n; i++)     /* first occurrences keep file order */
            FUZZ_CHECK(rows.line[i - 1] <= rows.line[i]);

        io_split_t sp = {IO_SPLIT_NONE, 0};
        static const char *const splits[] = {"random:", "temporal:", "leave-one-out"};
        char sbuf[32];
        int kind = (opt >> 7) ? (frac >> 6) % 3 : -1;
        if (kind >= 0) {
            if (kind == 2) snprintf(sbuf, sizeof sbuf, "%s", splits[kind]);
            else snprintf(sbuf, sizeof sbuf, "%s0.%02u", splits[kind], 1u + (frac & 63) % 98);
            FUZZ_CHECK(io_split_parse(sbuf, &sp, &e) == ERR_OK);
            uint8_t *is_test = malloc(rows.n);
            FUZZ_CHECK(is_test);
            rc = io_split_rows(&rows, users.n, &sp, frac, is_test, &e);
            if (rc) {
                FUZZ_CHECK(rc == ERR_USAGE && sp.kind == IO_SPLIT_TEMPORAL);
            } else {
                /* every user keeps at least one training interaction */
                uint8_t *has_train = calloc(users.n, 1);
                FUZZ_CHECK(has_train);
                for (uint64_t i = 0; i < rows.n; i++)
                    if (!is_test[i]) has_train[rows.a[i]] = 1;
                for (uint64_t i = 0; i < rows.n; i++) FUZZ_CHECK(has_train[rows.a[i]]);
                free(has_train);
            }
            free(is_test);
        }
    }
    io_rows_destroy(&rows);
    strmap_destroy(&users);
    strmap_destroy(&items);
    return 0;
}

#endif
