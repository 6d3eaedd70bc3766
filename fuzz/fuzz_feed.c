/* fuzz_feed.c - libFuzzer harness: feed candidate files of `gnnrec
 * rank-feed`. Their parser is internal to tools/cmd_rank_feed.c (no parse
 * function is exposed), so the harness runs the whole command in-process,
 * the way a user does, on a small store made once at start-up (a 40-user
 * interactions file, build-graph, train --arch mf) in a temporary directory
 * that is removed at exit.
 *
 * Input layout: byte 0 picks the options (delimiter, header, columns,
 * --max-bad-lines, format, --now); the rest is the candidates file. The
 * output goes to stdout, which the harness sends to /dev/null. Checked: the
 * exit code is 0 or 2 (bad input), never 1 or a crash.
 */
#include <igraph.h>
#include <sys/stat.h>

#include "fuzz/fuzz_common.h"
#include "tools/commands.h"

int cli_fail(const char *cmd, const err_t *e)
{
    int code = err_exit_code(e->code ? e->code : ERR_INTERNAL);
    if (code != 2) fprintf(stderr, "gnnrec %s: %s\n", cmd, e->msg);   /* what the harness will flag */
    return code;
}

static char store[256], tmpdir[64];

/* the harness's store is removed at exit (libFuzzer exits through exit()) */
static void cleanup(void)
{
    char p[400];
    static const char *const files[] = {"store/data.mdb", "store/lock.mdb", "store", "inter.tsv", ""};
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, files[i]);
        remove(p);   /* the last one, "DIR/", is the directory itself */
    }
}

static int run(int argc, const char **argv)
{
    return cli_cmd_rank_feed(argc, (char **)argv);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    igraph_set_error_handler(igraph_error_handler_ignore);
    igraph_set_warning_handler(igraph_warning_handler_ignore);
    char *dir = tmpdir;
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/gnnrec-fuzz-feed-XXXXXX");
    if (!mkdtemp(dir)) { perror("mkdtemp"); abort(); }
    atexit(cleanup);
    char inter[300];
    snprintf(inter, sizeof inter, "%s/inter.tsv", dir);
    snprintf(store, sizeof store, "%s/store", dir);
    FILE *f = fopen(inter, "w");
    FUZZ_CHECK(f);
    for (int u = 0; u < 40; u++)
        for (int k = 0; k < 6; k++) fprintf(f, "u%d\ti%d\t%d\n", u, (u * 7 + k * 3) % 30, 1000 + k);
    fclose(f);
    if (!freopen("/dev/null", "w", stdout)) abort();
    const char *bg[] = {"build-graph", "--store", store, "--interactions", inter, "--columns", "user,item,time",
                        "--split", "leave-one-out", NULL};
    FUZZ_CHECK(cli_cmd_build_graph(9, (char **)bg) == 0);
    const char *tr[] = {"train", "--store", store, "--arch", "mf", "--model", "m", "--epochs", "1", "--dim", "4",
                        "--eval-every", "0", "--threads", "1", NULL};
    FUZZ_CHECK(cli_cmd_train(15, (char **)tr) == 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const delims[] = {"tab", "comma", "space", "tab"};
    static const char *const columns[] = {"viewer,post,author,content,time", "viewer,post,author",
                                          "viewer,post,author,content", "_,viewer,post,author,time"};
    if (size < 1) return 0;
    uint8_t opt = data[0];
    const char *path = fuzz_file(data + 1, size - 1);
    const char *argv[32];
    int argc = 0;
    argv[argc++] = "rank-feed";
    argv[argc++] = "--store"; argv[argc++] = store;
    argv[argc++] = "--model"; argv[argc++] = "m";
    argv[argc++] = "--candidates"; argv[argc++] = path;
    argv[argc++] = "--out"; argv[argc++] = "-";
    argv[argc++] = "--threads"; argv[argc++] = "1";
    argv[argc++] = "--delim"; argv[argc++] = delims[opt & 3];
    argv[argc++] = "--columns"; argv[argc++] = columns[(opt >> 2) & 3];
    if (opt & 0x10) argv[argc++] = "--header";
    if (opt & 0x20) { argv[argc++] = "--max-bad-lines"; argv[argc++] = "1000"; }
    if (opt & 0x40) { argv[argc++] = "--format"; argv[argc++] = "jsonl"; }
    if (opt & 0x80) { argv[argc++] = "--now"; argv[argc++] = "1000"; }
    argv[argc] = NULL;
    int rc = run(argc, argv);
    FUZZ_CHECK(rc == 0 || rc == 2);
    return 0;
}
