/* fuzz_argv.c - libFuzzer harness: command-line overrides. The input is
 * split at NUL bytes into argv[1..] (at most 64 arguments) and parsed with
 * cli_parse_argv; then the values build-graph and train read are validated
 * through the same functions they use (getters, --columns, --delim,
 * --split). Checked: every value a getter accepts is in range, and every
 * error is ERR_USAGE with a message. --config is never loaded (the harness
 * must not open files an input names). */
#include <float.h>
#include <math.h>

#include "fuzz/fuzz_common.h"
#include "io/ingest.h"
#include "io/split.h"
#include "io/cli.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const cli_flag_t flags[] = {"append", "header", "resume", "json", "help", NULL};
    static const char *const known[] = {"store", "append", "config", "interactions", "format",
                                        "delim", "header", "columns", "min_rating", "split",
                                        "seed", "dim", "epochs", "lr", "k", "help", NULL};
    char *buf = malloc(size + 1);
    FUZZ_CHECK(buf);
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"gnnrec";
    for (char *p = buf; argc <= MAX_ARGS && p <= buf + size; p += strlen(p) + 1) argv[argc++] = p;
    argv[argc] = NULL;

    cli_opts_t o;
    err_t e = {0};
    cli_opts_init(&o);
    int rc = cli_parse_argv(&o, argc, argv, flags, &e);
    if (rc) {
        FUZZ_CHECK(rc == ERR_USAGE || rc == ERR_NOMEM);
        FUZZ_CHECK(e.code == rc && e.msg[0]);
    } else {
        for (size_t i = 0; i < o.n; i++) FUZZ_CHECK(o.v[i].val && o.v[i].load == 0);
        const char *s;
        uint32_t u, *ks;
        uint64_t u64;
        float f;
        int b;
        size_t n;
        io_spec_t spec;
        io_split_t sp;
        io_spec_default(&spec);
        if (cli_get_str(&o, "columns", NULL, &s, &e) == 0 && s && io_spec_set_columns(&spec, s, &e) == 0) {
            FUZZ_CHECK(spec.col[IO_COL_USER] >= 0 && spec.col[IO_COL_ITEM] >= 0);
            FUZZ_CHECK(spec.n_named >= 2 && spec.n_named <= 64);
            for (int c = 0; c < IO_N_COL; c++) FUZZ_CHECK(spec.col[c] < spec.n_named);
        }
        if (cli_get_str(&o, "delim", NULL, &s, &e) == 0 && s) (void)io_spec_set_delim(&spec, s, &e);
        if (cli_get_str(&o, "split", NULL, &s, &e) == 0 && s && io_split_parse(s, &sp, &e) == 0)
            FUZZ_CHECK(sp.kind == IO_SPLIT_LOO || (sp.fraction > 0.0 && sp.fraction < 1.0));
        if (cli_get_float(&o, "min_rating", 0.0f, -1e30, 1e30, &f, &e) == 0) FUZZ_CHECK(isfinite(f));
        if (cli_get_u64(&o, "seed", 2020, 0, UINT64_MAX, &u64, &e)) FUZZ_CHECK(e.code == ERR_USAGE);
        if (cli_get_u32(&o, "dim", 64, 1, 1024, &u, &e) == 0) FUZZ_CHECK(u >= 1 && u <= 1024);
        if (cli_get_u32(&o, "epochs", 100, 0, 1000000, &u, &e) == 0) FUZZ_CHECK(u <= 1000000);
        if (cli_get_float(&o, "lr", 0.001f, 1e-9, 10.0, &f, &e) == 0) FUZZ_CHECK(f > 0.0f && f <= 10.0f);
        if (cli_get_bool(&o, "append", 0, &b, &e) == 0) FUZZ_CHECK(b == 0 || b == 1);
        if (cli_get_u32_list(&o, "k", "20", 1, 100000, &ks, &n, &e) == 0) {
            FUZZ_CHECK(n >= 1);
            free(ks);
        }
        if (cli_check_unknown(&o, known, &e)) FUZZ_CHECK(e.code == ERR_USAGE && e.msg[0]);
        if (cli_check_unused(&o, &e)) FUZZ_CHECK(e.code == ERR_USAGE && e.msg[0]);
    }
    cli_opts_destroy(&o);
    free(buf);
    return 0;
}
