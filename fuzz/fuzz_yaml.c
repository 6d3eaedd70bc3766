/* fuzz_yaml.c - libFuzzer harness: YAML job configs (cli_load_yaml), then
 * every getter a command uses on what was loaded. The whole input is the
 * config file. Checked: the command line wins over the file, a failed load
 * adds nothing (all or nothing), errors of a malformed file name it, and
 * getters either give a value in range or an ERR_USAGE. */
#include <float.h>
#include <math.h>

#include "fuzz/fuzz_common.h"
#include "io/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const known[] = {"store", "config", "model", "arch", "dim", "layers",
                                        "epochs", "batch_size", "lr", "reg", "k", "edges",
                                        "resume", "opt.lr", "help", NULL};
    static const char *const archs[] = {"lightgcn", "mf", "gcn", "pop", NULL};
    const char *path = fuzz_file(data, size);
    cli_opts_t o;
    err_t e = {0};
    char a0[] = "train", a1[] = "--epochs", a2[] = "7", a3[] = "--model", a4[] = "saved";
    char *argv[] = {a0, a1, a2, a3, a4, NULL};
    cli_opts_init(&o);
    FUZZ_CHECK(cli_parse_argv(&o, 5, argv, NULL, &e) == 0);
    size_t before = o.n;
    int rc = cli_load_yaml(&o, path, &e);
    if (rc) {
        FUZZ_CHECK(rc == ERR_INPUT || rc == ERR_NOMEM || rc == ERR_IO);
        FUZZ_CHECK(e.code == rc && e.msg[0]);
        if (rc == ERR_INPUT) FUZZ_CHECK(fuzz_names_file(e.msg, path));
        FUZZ_CHECK(o.n == before);
    }
    uint32_t u, *ks = NULL;
    uint64_t u64;
    float f;
    int b, choice;
    const char *s;
    char **items = NULL;
    size_t n;
    FUZZ_CHECK(cli_get_u32(&o, "epochs", 100, 1, 1000, &u, &e) == 0 && u == 7);
    FUZZ_CHECK(cli_get_str(&o, "model", NULL, &s, &e) == 0 && !strcmp(s, "saved"));
    if (cli_get_u32(&o, "dim", 64, 1, 1024, &u, &e) == 0) FUZZ_CHECK(u >= 1 && u <= 1024);
    else FUZZ_CHECK(e.code == ERR_USAGE);
    if (cli_get_u64(&o, "seed", 1, 0, UINT64_MAX, &u64, &e)) FUZZ_CHECK(e.code == ERR_USAGE);
    if (cli_get_float(&o, "lr", 0.001f, FLT_MIN, 10.0, &f, &e) == 0)
        FUZZ_CHECK(isfinite(f) && f > 0.0f && f <= 10.0f);
    else FUZZ_CHECK(e.code == ERR_USAGE);
    if (cli_get_float(&o, "opt.lr", 0.0f, -FLT_MAX, FLT_MAX, &f, &e) == 0) FUZZ_CHECK(isfinite(f));
    if (cli_get_bool(&o, "resume", 0, &b, &e) == 0) FUZZ_CHECK(b == 0 || b == 1);
    if (cli_get_choice(&o, "arch", archs, 0, &choice, &e) == 0) FUZZ_CHECK(choice >= 0 && choice < 4);
    if (cli_get_list(&o, "edges", "interaction", &items, &n, &e) == 0) {
        for (size_t i = 0; i < n; i++) FUZZ_CHECK(items[i] && items[i][0]);
        FUZZ_CHECK(items[n] == NULL);
        free(items);
    }
    if (cli_get_u32_list(&o, "k", "20", 1, 100000, &ks, &n, &e) == 0) {
        FUZZ_CHECK(n >= 1);
        for (size_t i = 0; i < n; i++) FUZZ_CHECK(ks[i] >= 1 && ks[i] <= 100000);
        free(ks);
    }
    (void)cli_has(&o, "store");
    if (cli_check_unknown(&o, known, &e)) FUZZ_CHECK(e.code == ERR_USAGE && e.msg[0]);
    if (cli_check_unused(&o, &e)) FUZZ_CHECK(e.code == ERR_USAGE && e.msg[0]);
    cli_opts_destroy(&o);
    return 0;
}
