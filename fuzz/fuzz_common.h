/* fuzz_common.h - what the harnesses share.
 *
 * The parsers under test read files by path (they stat, open and read them
 * like any user file), so each input is written to an in-memory file
 * (memfd) and the parser is given "/proc/self/fd/N". The file is reused
 * across inputs: truncated and rewritten each time.
 *
 * FUZZ_CHECK(cond) aborts with a message when a harness invariant fails, so
 * libFuzzer records the input as a crash just like a sanitizer report.
 */
#ifndef GNNREC_FUZZ_COMMON_H
#define GNNREC_FUZZ_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FUZZ_CHECK(cond)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: harness invariant failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                           \
            abort();                                                                  \
        }                                                                             \
    } while (0)

/* Write data to the harness's in-memory file; returns its path (static). */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz-input", 0);
        if (fd < 0) { perror("memfd_create"); abort(); }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0) { perror("ftruncate"); abort(); }
    size_t off = 0;
    while (off < size) {
        ssize_t w = pwrite(fd, data + off, size - off, (off_t)off);
        if (w <= 0) { perror("pwrite"); abort(); }
        off += (size_t)w;
    }
    return path;
}

/* An error message of outside input must name the file: "PATH:..." */
static inline int fuzz_names_file(const char *msg, const char *path)
{
    size_t l = strlen(path);
    return strncmp(msg, path, l) == 0 && msg[l] == ':';
}

/* What a parser of outside input may fail with: ERR_INPUT (its message
 * naming the file) or ERR_NOMEM, the code and a message in e. */
#define FUZZ_CHECK_INPUT_ERROR(rc, e, path)                                            \
    do {                                                                              \
        FUZZ_CHECK((rc) == ERR_INPUT || (rc) == ERR_NOMEM);                           \
        FUZZ_CHECK((e).code == (rc) && (e).msg[0]);                                   \
        if ((rc) == ERR_INPUT) FUZZ_CHECK(fuzz_names_file((e).msg, (path)));          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
