/* split.h - train/test splits made at ingestion (build-graph --split).
 *
 * All splits are per user, over the user's (deduplicated) interactions:
 *   random:F        round(F * n) of the user's interactions, chosen uniformly
 *                   with the seeded rng, go to test
 *   temporal:F      the user's latest round(F * n) interactions by the time
 *                   column go to test (ties: later line is later)
 *   leave-one-out   the user's latest interaction (by time if there is a time
 *                   column, else the last line) goes to test
 * A user always keeps at least one training interaction, so users with a
 * single interaction stay wholly in train. Users are visited in dense-id
 * order with one rng, so the same seed and input give the same split.
 */
#ifndef GNNREC_IO_SPLIT_H
#define GNNREC_IO_SPLIT_H

#include <stdint.h>

#include "base/err.h"
#include "io/ingest.h"

enum io_split_kind { IO_SPLIT_NONE, IO_SPLIT_RANDOM, IO_SPLIT_TEMPORAL, IO_SPLIT_LOO };

typedef struct io_split {
    int kind;
    double fraction;
} io_split_t;

/* "random:0.2", "temporal:0.2", "leave-one-out" -> split. */
int io_split_parse(const char *s, io_split_t *sp, err_t *e);

/* is_test [rows->n]: set to 1 for rows that go to test. n_users bounds the
 * user ids in rows->a. */
int io_split_rows(const io_rows_t *rows, uint32_t n_users, const io_split_t *sp, uint64_t seed,
                  uint8_t *is_test, err_t *e);
/* The split of build-graph --split: duplicates of train dropped (counted in
 * *dup, file order kept), then the rows io_split_rows picks moved to the
 * end of test. */
int io_split_apply(io_rows_t *train, io_rows_t *test, uint32_t n_users, const io_split_t *sp, uint64_t seed,
                   uint64_t *dup, err_t *e);

#endif
