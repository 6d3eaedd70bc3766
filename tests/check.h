/* check.h - the unit-test harness: plain C, no dependency, independent of
 * NDEBUG. A test program calls CHECK* and ends with `return check_report();`
 * which prints "N checks, M failed" and exits non-zero on any failure, so
 * meson counts the program as one test that passed or failed.
 */
#ifndef GNNREC_TESTS_CHECK_H
#define GNNREC_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_n_, check_failed_;

#define CHECK(cond) do { check_n_++; if (!(cond)) { check_failed_++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_MSG(cond, ...) do { check_n_++; if (!(cond)) { check_failed_++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); check_n_++; \
    if (a_ != b_) { check_failed_++; fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld vs %lld)\n", \
    __FILE__, __LINE__, #a, #b, a_, b_); } } while (0)
#define CHECK_NEAR(a, b, tol) do { double a_ = (double)(a), b_ = (double)(b); check_n_++; \
    if (!(fabs(a_ - b_) <= (tol))) { check_failed_++; fprintf(stderr, \
    "%s:%d: CHECK failed: %s ~= %s (%.9g vs %.9g, tol %g)\n", __FILE__, __LINE__, #a, #b, a_, b_, (double)(tol)); } } while (0)

static inline int check_report(void)
{
    printf("%d checks, %d failed\n", check_n_, check_failed_);
    return check_failed_ ? 1 : 0;
}

#endif
