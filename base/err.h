/* err.h - the one error-reporting path of gnnrec.
 *
 * Library functions never print and never exit(): they return an int status
 * (ERR_OK == 0 on success) and, on failure, fill an err_t with a message.
 * The tools/ layer prints err->msg and maps err->code to an exit code
 * (err_exit_code: 2 for bad usage or bad input, 1 for everything else).
 *
 * Input errors name their origin as "FILE:LINE: what is wrong"; use
 * err_input() for those so the format stays the same everywhere.
 *
 *   err_t e = {0};
 *   if (store_open(&s, dir, 0, &e)) { fprintf(stderr, "gnnrec: %s\n", e.msg); ... }
 */
#ifndef GNNREC_BASE_ERR_H
#define GNNREC_BASE_ERR_H

#include <stddef.h>

enum err_code {
    ERR_OK = 0,
    ERR_USAGE,    /* bad command line or config                  -> exit 2 */
    ERR_INPUT,    /* malformed input file                         -> exit 2 */
    ERR_NOTFOUND, /* a named thing (model, user, store) is absent -> exit 2 */
    ERR_IO,       /* operating-system I/O failure                 -> exit 1 */
    ERR_NOMEM,    /* allocation failed                            -> exit 1 */
    ERR_STORE,    /* LMDB failure                                 -> exit 1 */
    ERR_INTERNAL  /* a bug or an unexpected library failure       -> exit 1 */
};

typedef struct err {
    int code;      /* enum err_code */
    char msg[1024];
} err_t;

/* Set code and a printf-style message; returns code so callers can
 * `return err_set(e, ERR_IO, "...")`. e may be NULL. */
int err_set(err_t *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Input error: message becomes "FILE:LINE: <fmt>"; line 0 omits the line. */
int err_input(err_t *e, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefix an existing message with context ("while X: <old msg>"). */
int err_prefix(err_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

const char *err_strerror(int code);
int err_exit_code(int code);

#endif
