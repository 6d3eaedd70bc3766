/* config.h - the YAML config reader: a flat walk over one YAML file.
 *
 * A config is one YAML document whose top level is a mapping. The reader
 * hands every leaf to a callback, in file order, as (name, value, line):
 *   - name is the dotted key path as written: nested mappings are
 *     flattened to "parent.child";
 *   - a scalar is passed as written; a YAML null (`key:`, `~`, `null`) as
 *     val = NULL;
 *   - a list of scalars (flow `[a, b]` or block `- a`) as "a,b", so lists
 *     look like `--edges interaction,social` on a command line.
 * Key meaning (normalisation, duplicates, precedence) is the caller's
 * business (io/cli.h); this module owns only the syntax and its limits.
 *
 * Errors (int status, err_t filled, nothing printed): an unreadable file is
 * ERR_IO; a file over max_bytes, a binary file (NUL bytes; UTF-16 with a BOM
 * is accepted), malformed YAML (with a hint when tabs indent), a top level
 * that is not a mapping, a second document, aliases, mappings nested over 32
 * deep, empty or non-scalar keys, NUL bytes in a value, lists of
 * lists/mappings and list items that are empty or hold a comma are
 * ERR_INPUT "FILE:LINE: ...". A non-zero status from the callback stops the
 * walk and is returned as it is. An empty file (or comments only) calls the
 * callback never and returns 0.
 *
 * Assumes configs are small: the whole file is read into memory first (so
 * reader errors, which libyaml gives as a byte offset, can still name a
 * line), and a line for an error is found by counting from the start.
 */
#ifndef GNNREC_IO_CONFIG_H
#define GNNREC_IO_CONFIG_H

#include <stddef.h>

#include "base/err.h"

typedef struct io_config_entry {
    const char *name; /* dotted path as written: "epochs", "optimizer.lr" */
    const char *val;  /* NUL-terminated; NULL for a YAML null */
    long line;        /* 1-based line of the key */
} io_config_entry_t;

/* Called once per leaf; the strings are valid only during the call. Return
 * 0 to go on, or an err_code (with e filled) to stop. */
typedef int (*io_config_fn)(void *ctx, const io_config_entry_t *en, err_t *e);

/* Walk the YAML file path (at most max_bytes), calling fn(ctx, ...) for each
 * leaf. Entries already handed over before an error are not undone: a
 * caller that wants all or nothing rolls back itself. */
int io_config_read(const char *path, size_t max_bytes, io_config_fn fn, void *ctx, err_t *e);

#endif
