/* test_writer.c - io/writer.h: the number formatters give printf's bytes,
 * JSON escaping, TSV refusal, atomic file output, failed writes reported. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/writer.h"
#include "tests/check.h"

static const char *fmt_g6(double x)
{
    static char s[64];
    io_buf_t b;
    io_buf_init(&b, 1, NULL);   /* a 1-byte start: every append must grow it */
    io_buf_g6(&b, x);
    size_t n = b.n < sizeof s - 1 ? b.n : sizeof s - 1;
    memcpy(s, b.p, n);
    s[n] = '\0';
    io_buf_destroy(&b);
    return s;
}

static const char *fmt_f6(double x)
{
    static char s[64];
    io_buf_t b;
    io_buf_init(&b, 0, NULL);
    io_buf_f6(&b, x);
    memcpy(s, b.p, b.n);
    s[b.n] = '\0';
    io_buf_destroy(&b);
    return s;
}

static void test_g6(void)
{
    /* random floats over many magnitudes, and the edges of the fast path */
    unsigned long long st = 88172645463325252ull;
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        double m = (double)(st >> 11) / 9007199254740992.0;   /* [0, 1) */
        int ex = (int)(st % 24) - 12;
        float f = (float)((st & 1 ? -1 : 1) * m * pow(10, ex));
        char want[64];
        snprintf(want, sizeof want, "%.6g", (double)f);
        if (strcmp(fmt_g6(f), want)) {
            if (bad++ < 5) fprintf(stderr, "g6(%.9g) = %s, printf %s\n", (double)f, fmt_g6(f), want);
        }
    }
    CHECK_EQ_INT(bad, 0);
    static const double edge[] = {0, -0.0, 1e-4, 9.99999e-5, 0.0001, 999999.4, 999999.5, 999999.6, 1e6, 0.5,
                                  1, 10, 123456.5, 0.1234565, 9.999995, INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
        char want[64];
        snprintf(want, sizeof want, "%.6g", edge[i]);
        CHECK_MSG(!strcmp(fmt_g6(edge[i]), want), "%s vs %s", fmt_g6(edge[i]), want);
    }
}

static void test_f6(void)
{
    CHECK(!strcmp(fmt_f6(0), "0"));
    CHECK(!strcmp(fmt_f6(1), "1"));
    CHECK(!strcmp(fmt_f6(0.5), "0.5"));
    CHECK(!strcmp(fmt_f6(-0.25), "-0.25"));
    CHECK(!strcmp(fmt_f6(1234.5678901), "1234.56789"));
    CHECK(!strcmp(fmt_f6(0.0000004), "0"));
    CHECK(!strcmp(fmt_f6(0.0000006), "0.000001"));
    CHECK(!strcmp(fmt_f6(2e12), "2e+12"));
    CHECK(!strcmp(fmt_f6(NAN), "nan") || !strcmp(fmt_f6(NAN), "-nan"));
}

static void test_strings(err_t *e)
{
    io_buf_t b;
    io_buf_init(&b, 0, e);
    io_buf_json_str(&b, "a\"b\\c\td\x01\xc3\xa9", 10);
    io_buf_put(&b, "", 1);
    CHECK_MSG(!strcmp(b.p, "\"a\\\"b\\\\c\\u0009d\\u0001\xc3\xa9\""), "%s", b.p);
    b.n = 0;
    CHECK_EQ_INT(io_buf_tsv(&b, "u\\1", 3, e), ERR_OK);
    CHECK_EQ_INT(b.n, 3);
    CHECK_EQ_INT(io_buf_tsv(&b, "u\t1", 3, e), ERR_INPUT);
    CHECK_EQ_INT(io_buf_tsv(&b, "u\n1", 3, e), ERR_INPUT);
    CHECK_EQ_INT(io_buf_tsv(&b, "u\r", 2, e), ERR_INPUT);
    CHECK_EQ_INT(b.n, 3);   /* nothing appended by a refusal */
    b.n = 0;
    io_buf_u64(&b, 0);
    io_buf_put(&b, " ", 1);
    io_buf_u64(&b, UINT64_MAX);
    io_buf_put(&b, "", 1);
    CHECK(!strcmp(b.p, "0 18446744073709551615"));
    io_buf_destroy(&b);
}

static void test_files(err_t *e)
{
    char dir[] = "/tmp/test_writer.XXXXXX", path[256], tmp[300];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/out.tsv", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(path, "w");
    fputs("old\n", f);
    fclose(f);
    io_writer_t w;
    struct stat st, st2;
    /* many small flushes through a tiny buffer; the old file stays until close */
    CHECK_EQ_INT(io_writer_open(&w, path, 16, e), ERR_OK);
    for (int i = 0; i < 1000; i++) {
        io_buf_u64(&w.buf, (uint64_t)i);
        io_buf_put(&w.buf, "\n", 1);
        CHECK_EQ_INT(io_writer_maybe_flush(&w, e), ERR_OK);
    }
    CHECK_EQ_INT(stat(tmp, &st), 0);
    f = fopen(path, "r");
    char line[16] = "";
    CHECK(fgets(line, sizeof line, f) && !strcmp(line, "old\n"));
    fclose(f);
    CHECK_EQ_INT(io_writer_close(&w, e), ERR_OK);
    CHECK(stat(tmp, &st) != 0);
    CHECK_EQ_INT(stat(path, &st), 0);
    CHECK_EQ_INT(st.st_size, 3890);   /* 10*2 + 90*3 + 900*4 */
    /* abort: the target keeps its bytes, the temporary file is gone */
    CHECK_EQ_INT(io_writer_open(&w, path, 0, e), ERR_OK);
    io_buf_str(&w.buf, "partial");
    CHECK_EQ_INT(io_writer_flush(&w, e), ERR_OK);
    io_writer_abort(&w);
    CHECK(stat(tmp, &st) != 0);
    CHECK(stat(path, &st) == 0 && st.st_size == 3890);
    /* a directory that does not exist: ERR_USAGE at open */
    char bad[300];
    snprintf(bad, sizeof bad, "%s/no/such/file", dir);
    CHECK_EQ_INT(io_writer_open(&w, bad, 0, e), ERR_USAGE);
    io_writer_abort(&w);
    /* a stale temporary file of our pid (a killed run) is replaced; a
     * symlink there is removed, not written through */
    FILE *sf = fopen(tmp, "w");
    fputs("stale", sf);
    fclose(sf);
    CHECK_EQ_INT(io_writer_open(&w, path, 0, e), ERR_OK);
    io_buf_str(&w.buf, "new\n");
    CHECK_EQ_INT(io_writer_close(&w, e), ERR_OK);
    CHECK(stat(path, &st2) == 0 && st2.st_size == 4);
    char target[300];
    snprintf(target, sizeof target, "%s/target", dir);
    sf = fopen(target, "w");
    fputs("keep", sf);
    fclose(sf);
    CHECK_EQ_INT(symlink(target, tmp), 0);
    CHECK_EQ_INT(io_writer_open(&w, path, 0, e), ERR_OK);
    io_buf_str(&w.buf, "x\n");
    CHECK_EQ_INT(io_writer_close(&w, e), ERR_OK);
    CHECK(stat(target, &st2) == 0 && st2.st_size == 4);
    /* the leftovers of killed jobs writing path: a dead PID's file removed
     * at open, a running process's (our parent's) kept, other names kept */
    char dead[320], live[320], other[320];
    snprintf(dead, sizeof dead, "%s.tmp.2147483646", path);
    snprintf(live, sizeof live, "%s.tmp.%ld", path, (long)getppid());
    snprintf(other, sizeof other, "%s.tmp.12x", path);
    const char *made[3] = {dead, live, other};
    for (int k = 0; k < 3; k++) {
        sf = fopen(made[k], "w");
        fclose(sf);
    }
    CHECK_EQ_INT(io_writer_open(&w, path, 0, e), ERR_OK);
    CHECK_EQ_INT(w.leftovers, 1);
    CHECK(stat(dead, &st2) != 0 && stat(live, &st2) == 0 && stat(other, &st2) == 0);
    io_writer_abort(&w);
    char names[2][4096];
    uint32_t n_left = 9;
    sf = fopen(dead, "w");
    fclose(sf);
    io_writer_leftovers(path, names, 2, &n_left);
    CHECK_EQ_INT(n_left, 1);
    CHECK(!strcmp(names[0], dead) && stat(dead, &st2) != 0);
    unlink(live);
    unlink(other);
    unlink(target);
    unlink(path);
    rmdir(dir);
}

/* stdout on /dev/full (in a child, whose stdout may stay broken): the close must fail. */
static void test_full(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        err_t e = {0};
        io_writer_t w;
        if (!freopen("/dev/full", "w", stdout)) _exit(77);
        if (io_writer_open(&w, "-", 0, &e)) _exit(3);
        io_buf_str(&w.buf, "a row\n");
        int rc = io_writer_close(&w, &e);
        _exit(rc == ERR_IO && strstr(e.msg, "writing standard output: No space") ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) { fprintf(stderr, "no /dev/full: skipped\n"); return; }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
    err_t e = {0};
    test_g6();
    test_f6();
    test_strings(&e);
    test_files(&e);
    test_full();
    return check_report();
}
