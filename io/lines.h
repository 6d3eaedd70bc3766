/* lines.h - a careful line reader for outside input.
 *
 * Reads a text file line by line through a large buffer, counting lines so
 * that every error can say "FILE:LINE: what is wrong". It refuses what would
 * otherwise turn into nonsense later: a missing or unreadable file, a NUL byte
 * (binary data), a line longer than max_len. A trailing '\r' is dropped, so
 * CRLF files read like LF files, and a UTF-8 byte-order mark at the start
 * of the file is dropped. The returned line is NUL-terminated and
 * writable (the tokenizer splits it in place) until the next call.
 */
#ifndef GNNREC_IO_LINES_H
#define GNNREC_IO_LINES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

typedef struct io_lines {
    FILE *f;
    const char *path;   /* not owned; used in messages */
    long line;          /* number of the line last returned, 1-based */
    char *buf;          /* [cap] */
    size_t cap, start, end, max_len;
    int eof;
    uint64_t size;      /* the file's size at open (st_size), for estimates and progress */
    uint64_t offset;    /* bytes consumed through the line last returned */
} io_lines_t;

/* ERR_INPUT "FILE: cannot open: ..." when the file is missing or unreadable. */
int io_lines_open(io_lines_t *r, const char *path, size_t max_len, err_t *e);
/* *line = NULL at end of file. */
int io_lines_next(io_lines_t *r, char **line, size_t *len, err_t *e);
void io_lines_close(io_lines_t *r);

/* Split line in place into at most max fields. delim ' ' means runs of blanks
 * (spaces or tabs) with leading/trailing blanks ignored; any other delim is a
 * single-character separator (empty fields possible). Returns the number of
 * fields found, which may exceed max (the extra ones are not stored). */
int io_split_fields(char *line, char delim, char **fields, size_t *lens, int max);

#endif
