/* err.c - see err.h. */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(err_t *e, int code, const char *fmt, ...)
{
    if (!e) return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
    return code;
}

int err_input(err_t *e, const char *file, long line, const char *fmt, ...)
{
    if (!e) return ERR_INPUT;
    int n = line > 0 ? snprintf(e->msg, sizeof e->msg, "%s:%ld: ", file, line)
                     : snprintf(e->msg, sizeof e->msg, "%s: ", file);
    if (n < 0 || (size_t)n >= sizeof e->msg) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg + n, sizeof e->msg - (size_t)n, fmt, ap);
    va_end(ap);
    e->code = ERR_INPUT;
    return ERR_INPUT;
}

int err_prefix(err_t *e, const char *fmt, ...)
{
    if (!e) return ERR_INTERNAL;
    char old[sizeof e->msg];
    memcpy(old, e->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof e->msg)
        snprintf(e->msg + n, sizeof e->msg - (size_t)n, ": %s", old);
    return e->code;
}

const char *err_strerror(int code)
{
    switch (code) {
    case ERR_OK: return "success";
    case ERR_USAGE: return "bad usage";
    case ERR_INPUT: return "bad input";
    case ERR_NOTFOUND: return "not found";
    case ERR_IO: return "I/O error";
    case ERR_NOMEM: return "out of memory";
    case ERR_STORE: return "store error";
    default: return "internal error";
    }
}

int err_exit_code(int code)
{
    switch (code) {
    case ERR_OK: return 0;
    case ERR_USAGE: case ERR_INPUT: case ERR_NOTFOUND: return 2;
    default: return 1;
    }
}
