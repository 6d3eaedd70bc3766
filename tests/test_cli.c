/* test_cli.c - options and YAML configs (io/cli.h): argv forms, flags,
 * the override rule, list and nested-key flattening, the model->arch rename,
 * every getter on good and bad values, and the file:line of every error.
 *
 * Fixtures live in tests/data/cli/, found next to this source via __FILE__
 * (meson compiles from the build dir, where tests also run) or in argv[1].
 * Malformed variants are written to a temporary directory, so the YAML text
 * and its expected line number sit side by side here.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"
#include "io/cli.h"

static char fixdir[1024];
static char tmpdir[64];

static const char *fix(const char *name)
{
    static char path[2048];
    snprintf(path, sizeof path, "%s/%s", fixdir, name);
    return path;
}

/* Write text to a temporary file and return its path. */
static const char *tmp_yaml(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    return path;
}

/* Parse "a b c" as argv (split on spaces, no quoting) after a program name. */
static int parse(cli_opts_t *o, const char *cmd, const cli_flag_t *flags, err_t *e)
{
    char buf[1024], *argv[64];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", cmd);
    argv[argc++] = "prog";
    for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " ")) argv[argc++] = t;
    argv[argc] = NULL;
    return cli_parse_argv(o, argc, argv, flags, e);
}

static const cli_flag_t flags[] = { "append", "header", "json", "resume", "friends",
                                    "include_seen", "skip-unknown", "progress", "help",
                                    NULL };

static int has_text(const err_t *e, const char *s)
{
    return strstr(e->msg, s) != NULL;
}

#define CHECK_ERR(expr, code_, text) do { err_t e_ = {0}; int rc_ = (expr); \
    CHECK_EQ_INT(rc_, code_); CHECK_EQ_INT(e_.code, code_); \
    CHECK_MSG(has_text(&e_, text), "message \"%s\" lacks \"%s\"", e_.msg, text); } while (0)

/* A fresh table holding one parsed command line (asserted to parse). */
static void opts_from(cli_opts_t *o, const char *cmd)
{
    err_t e = {0};
    cli_opts_init(o);
    int rc = parse(o, cmd, flags, &e);
    CHECK_MSG(rc == 0, "parse '%s': %s", cmd, e.msg);
}

static void test_argv_forms(void)
{
    cli_opts_t o;
    err_t e = {0};
    const char *s;
    uint32_t u;

    opts_from(&o, "--store /tmp/s --epochs=50 --batch-size 1024 --lr=1e-3 --empty=");
    CHECK(cli_get_str(&o, "store", NULL, &s, &e) == 0 && strcmp(s, "/tmp/s") == 0);
    CHECK(cli_get_u32(&o, "epochs", 1, 1, 100000, &u, &e) == 0 && u == 50);
    /* '-' and '_' are one key in any spelling */
    CHECK(cli_get_u32(&o, "batch_size", 1, 1, 1u << 20, &u, &e) == 0 && u == 1024);
    CHECK(cli_has(&o, "batch-size") && cli_has(&o, "--batch_size"));
    CHECK(cli_get_str(&o, "lr", NULL, &s, &e) == 0 && strcmp(s, "1e-3") == 0);
    CHECK(cli_get_str(&o, "empty", "def", &s, &e) == 0 && strcmp(s, "") == 0);
    CHECK(cli_get_str(&o, "absent", "def", &s, &e) == 0 && strcmp(s, "def") == 0);
    CHECK(cli_get_str(&o, "absent", NULL, &s, &e) == 0 && s == NULL);
    CHECK(!cli_has(&o, "absent"));
    /* a value after '=' may contain '=' */
    cli_opts_destroy(&o);
    opts_from(&o, "--split=temporal:0.2 --x=a=b");
    CHECK(cli_get_str(&o, "x", NULL, &s, &e) == 0 && strcmp(s, "a=b") == 0);
    CHECK(cli_get_str(&o, "split", NULL, &s, &e) == 0 && strcmp(s, "temporal:0.2") == 0);
    cli_opts_destroy(&o);

    /* values with spaces, negative numbers and a lone "-" (stdin) are values */
    char *argv[] = { "prog", "--name", "a b", "--min-rating", "-1", "--out", "-", NULL };
    cli_opts_init(&o);
    CHECK(cli_parse_argv(&o, 7, argv, flags, &e) == 0);
    CHECK(cli_get_str(&o, "name", NULL, &s, &e) == 0 && strcmp(s, "a b") == 0);
    CHECK(cli_get_str(&o, "min_rating", NULL, &s, &e) == 0 && strcmp(s, "-1") == 0);
    CHECK(cli_get_str(&o, "out", NULL, &s, &e) == 0 && strcmp(s, "-") == 0);
    /* the argv index is remembered */
    CHECK_EQ_INT(o.v[0].line, 1);
    CHECK_EQ_INT(o.v[1].line, 3);
    CHECK(o.v[0].file == NULL);
    cli_opts_destroy(&o);

    /* no arguments at all, and argv[0] is never an option */
    char *none[] = { "--epochs", NULL };
    cli_opts_init(&o);
    CHECK(cli_parse_argv(&o, 1, none, flags, &e) == 0);
    CHECK_EQ_INT(o.n, 0);
    cli_opts_destroy(&o);

    /* the same option twice: the last wins, and messages name that one */
    opts_from(&o, "--epochs 5 --dim 8 --epochs=ten");
    CHECK_EQ_INT(o.n, 2);
    CHECK_ERR(cli_get_u32(&o, "epochs", 1, 1, 100, &u, &e_), ERR_USAGE,
              "--epochs: expected an integer in [1, 100], got \"ten\"");
    cli_opts_destroy(&o);
    opts_from(&o, "--batch-size 5 --batch_size 7");
    CHECK_EQ_INT(o.n, 1);
    CHECK(cli_get_u32(&o, "batch-size", 1, 1, 100, &u, &e) == 0 && u == 7);
    CHECK_ERR(cli_error(&o, "batch-size", &e_, "too big"), ERR_USAGE, "--batch_size: too big");
    cli_opts_destroy(&o);
}

static void test_flags(void)
{
    cli_opts_t o;
    err_t e = {0};
    int b;
    const char *s;

    opts_from(&o, "--append --store d --header --include-seen --skip_unknown -h");
    CHECK(cli_get_bool(&o, "append", 0, &b, &e) == 0 && b == 1);
    CHECK(cli_get_str(&o, "append", NULL, &s, &e) == 0 && strcmp(s, "true") == 0);
    CHECK(cli_get_bool(&o, "header", 0, &b, &e) == 0 && b == 1);
    CHECK(cli_get_bool(&o, "include_seen", 0, &b, &e) == 0 && b == 1);
    CHECK(cli_get_bool(&o, "skip-unknown", 0, &b, &e) == 0 && b == 1);
    CHECK(cli_get_bool(&o, "help", 0, &b, &e) == 0 && b == 1);
    CHECK(cli_get_bool(&o, "json", 0, &b, &e) == 0 && b == 0); /* absent: default */
    CHECK(cli_get_str(&o, "store", NULL, &s, &e) == 0 && strcmp(s, "d") == 0);
    cli_opts_destroy(&o);

    /* a flag at the very end, and a flag turned off explicitly */
    opts_from(&o, "--store d --json=false --resume");
    CHECK(cli_get_bool(&o, "json", 1, &b, &e) == 0 && b == 0);
    CHECK(cli_get_bool(&o, "resume", 0, &b, &e) == 0 && b == 1);
    cli_opts_destroy(&o);

    /* a flag never swallows the next argument */
    cli_opts_init(&o);
    CHECK_ERR(parse(&o, "--header true", flags, &e_), ERR_USAGE,
              "unexpected argument 'true' (--header takes no value; write --header=false");
    cli_opts_destroy(&o);

    /* NULL flags: every option takes a value */
    cli_opts_init(&o);
    CHECK(parse(&o, "--append yes", NULL, &e) == 0);
    CHECK(cli_get_bool(&o, "append", 0, &b, &e) == 0 && b == 1);
    cli_opts_destroy(&o);
    cli_opts_init(&o);
    CHECK_ERR(parse(&o, "--append", NULL, &e_), ERR_USAGE, "option --append needs a value");
    cli_opts_destroy(&o);
}

static void test_argv_errors(void)
{
    cli_opts_t o;
    static const struct { const char *cmd, *msg; } bad[] = {
        { "--epochs", "option --epochs needs a value (see --help)" },
        { "--epochs --dim 4", "option --epochs needs a value" },
        { "--store d --k", "option --k needs a value" },
        { "train --store d", "unexpected argument 'train' (options are --key value" },
        { "--store d extra", "unexpected argument 'extra'" },
        { "--store d -x", "unexpected argument '-x'" },
        { "--", "unexpected argument '--'" },
        { "--=5", "bad option '--=5'" },
        { "-epochs 5", "unexpected argument '-epochs'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cli_opts_init(&o);
        err_t e = {0};
        int rc = parse(&o, bad[i].cmd, flags, &e);
        CHECK_MSG(rc == ERR_USAGE && e.code == ERR_USAGE && has_text(&e, bad[i].msg),
                  "'%s' gave %d \"%s\"", bad[i].cmd, rc, e.msg);
        cli_opts_destroy(&o);
    }
}

static void test_yaml_fixture(void)
{
    cli_opts_t o;
    err_t e = {0};
    const char *s;
    uint32_t u;
    float f;
    int b;

    cli_opts_init(&o);
    CHECK_MSG(cli_load_yaml(&o, fix("train.yaml"), &e) == 0, "%s", e.msg);
    /* model: is the architecture, stored as arch */
    CHECK(cli_get_str(&o, "arch", NULL, &s, &e) == 0 && s && strcmp(s, "lightgcn") == 0);
    CHECK(!cli_has(&o, "model"));
    CHECK(cli_get_u32(&o, "epochs", 1, 1, 100000, &u, &e) == 0 && u == 400);
    CHECK(cli_get_u32(&o, "batch_size", 1, 1, 1u << 20, &u, &e) == 0 && u == 2048);
    CHECK(cli_get_float(&o, "lr", 0.1f, FLT_MIN, 10, &f, &e) == 0);
    CHECK_NEAR(f, 0.001, 1e-9);
    /* flow and block lists become comma-separated strings */
    CHECK(cli_get_str(&o, "edges", NULL, &s, &e) == 0 && strcmp(s, "interaction,social") == 0);
    CHECK(cli_get_str(&o, "k", NULL, &s, &e) == 0 && strcmp(s, "10,20,50") == 0);
    uint32_t *ks = NULL;
    size_t nk = 0;
    CHECK(cli_get_u32_list(&o, "k", "20", 1, 1000, &ks, &nk, &e) == 0);
    CHECK(nk == 3 && ks && ks[0] == 10 && ks[1] == 20 && ks[2] == 50);
    free(ks);
    /* nested mappings are flattened */
    CHECK(cli_get_str(&o, "optimizer.name", NULL, &s, &e) == 0 && strcmp(s, "adam") == 0);
    CHECK(cli_get_float(&o, "optimizer.beta1", 0, 0, 1, &f, &e) == 0);
    CHECK_NEAR(f, 0.9, 1e-6);
    CHECK(!cli_has(&o, "optimizer"));
    /* a null counts as not set */
    CHECK(!cli_has(&o, "seed"));
    uint64_t seed = 0;
    CHECK(cli_get_u64(&o, "seed", 42, 0, UINT64_MAX, &seed, &e) == 0 && seed == 42);
    /* quoted strings keep their comma */
    CHECK(cli_get_str(&o, "note", NULL, &s, &e) == 0 && strcmp(s, "quoted, with a comma") == 0);
    CHECK(cli_get_bool(&o, "include-seen", 0, &b, &e) == 0 && b == 1);
    /* every value remembers its file and line */
    CHECK_ERR(cli_get_u32(&o, "dim", 0, 128, 1024, &u, &e_), ERR_USAGE,
              "train.yaml:5: dim: expected an integer in [128, 1024], got \"64\"");
    CHECK_ERR(cli_error(&o, "arch", &e_, "no such architecture"), ERR_USAGE,
              "train.yaml:3: model: no such architecture");
    CHECK_ERR(cli_get_float(&o, "optimizer.beta1", 0, 0, 0.5, &f, &e_), ERR_USAGE,
              "train.yaml:15: optimizer.beta1: expected a number in [0, 0.5], got \"0.9\"");
    CHECK_ERR(cli_get_u32(&o, "k", 0, 0, 100, &u, &e_), ERR_USAGE,
              "train.yaml:9: k: expected an integer in [0, 100], got \"10,20,50\"");
    /* all read: nothing unused; all known */
    CHECK_MSG(cli_check_unused(&o, &e) == 0, "%s", e.msg);
    static const char *const known[] = { "arch", "epochs", "dim", "batch_size", "lr",
        "edges", "k", "optimizer.name", "optimizer.beta1", "seed", "note",
        "include-seen", NULL };
    CHECK_MSG(cli_check_unknown(&o, known, &e) == 0, "%s", e.msg);
    cli_opts_destroy(&o);
}

static void test_override(void)
{
    cli_opts_t o;
    err_t e = {0};
    const char *s;
    uint32_t u;

    /* the command line wins over the config, whatever the call order */
    opts_from(&o, "--epochs 50 --edges interaction --model best --arch mf "
                  "--optimizer.name sgd --batch_size=7");
    CHECK_MSG(cli_load_yaml(&o, fix("train.yaml"), &e) == 0, "%s", e.msg);
    CHECK(cli_get_u32(&o, "epochs", 1, 1, 100000, &u, &e) == 0 && u == 50);
    CHECK(cli_get_str(&o, "edges", NULL, &s, &e) == 0 && strcmp(s, "interaction") == 0);
    CHECK(cli_get_str(&o, "arch", NULL, &s, &e) == 0 && strcmp(s, "mf") == 0);
    CHECK(cli_get_str(&o, "model", NULL, &s, &e) == 0 && strcmp(s, "best") == 0);
    CHECK(cli_get_str(&o, "optimizer.name", NULL, &s, &e) == 0 && strcmp(s, "sgd") == 0);
    CHECK(cli_get_u32(&o, "batch-size", 1, 1, 100000, &u, &e) == 0 && u == 7);
    /* not overridden: from the file */
    CHECK(cli_get_u32(&o, "dim", 1, 1, 1024, &u, &e) == 0 && u == 64);
    cli_opts_destroy(&o);

    /* --model NAME does not touch the config's architecture */
    opts_from(&o, "--model best");
    CHECK(cli_load_yaml(&o, fix("train.yaml"), &e) == 0);
    CHECK(cli_get_str(&o, "arch", NULL, &s, &e) == 0 && strcmp(s, "lightgcn") == 0);
    CHECK(cli_get_str(&o, "model", NULL, &s, &e) == 0 && strcmp(s, "best") == 0);
    cli_opts_destroy(&o);

    /* YAML loaded first, argv after: the command line still wins */
    cli_opts_init(&o);
    CHECK(cli_load_yaml(&o, fix("train.yaml"), &e) == 0);
    CHECK(parse(&o, "--dim 32 --include-seen=no", flags, &e) == 0);
    CHECK(cli_get_u32(&o, "dim", 1, 1, 1024, &u, &e) == 0 && u == 32);
    int b;
    CHECK(cli_get_bool(&o, "include_seen", 1, &b, &e) == 0 && b == 0);
    cli_opts_destroy(&o);

    /* a shadowed config value is never validated or reported as unused */
    const char *p = tmp_yaml("shadow.yaml", "epochs: ten\ndim: 8\n");
    opts_from(&o, "--epochs 5");
    CHECK(cli_load_yaml(&o, p, &e) == 0);
    CHECK(cli_get_u32(&o, "epochs", 1, 1, 100, &u, &e) == 0 && u == 5);
    CHECK_ERR(cli_check_unused(&o, &e_), ERR_USAGE, "shadow.yaml:2: key dim is not used");
    cli_opts_destroy(&o);

    /* two files: the first loaded wins */
    const char *a = tmp_yaml("first.yaml", "dim: 16\n");
    char first[256];
    snprintf(first, sizeof first, "%s", a);
    const char *b2 = tmp_yaml("second.yaml", "dim: 32\nepochs: 3\n");
    cli_opts_init(&o);
    CHECK(cli_load_yaml(&o, first, &e) == 0);
    CHECK(cli_load_yaml(&o, b2, &e) == 0);
    CHECK(cli_get_u32(&o, "dim", 1, 1, 1024, &u, &e) == 0 && u == 16);
    CHECK(cli_get_u32(&o, "epochs", 1, 1, 1024, &u, &e) == 0 && u == 3);
    cli_opts_destroy(&o);
}

static void test_yaml_shapes(void)
{
    cli_opts_t o;
    err_t e = {0};
    const char *s;

    /* deeper nesting, dashed keys in nested maps, lists inside maps, empty
     * list, an explicit document marker, a comment-only tail, CRLF endings */
    const char *p = tmp_yaml("shapes.yaml",
        "---\r\n"
        "a:\r\n"
        "  b:\r\n"
        "    c-d: 1\r\n"
        "  list: [x, y]\r\n"
        "empty: []\r\n"
        "block:\r\n"
        "- p\r\n"
        "- 'q r'\r\n"
        "str: ''\r\n"
        "# done\r\n");
    cli_opts_init(&o);
    CHECK_MSG(cli_load_yaml(&o, p, &e) == 0, "%s", e.msg);
    CHECK(cli_get_str(&o, "a.b.c_d", NULL, &s, &e) == 0 && s && strcmp(s, "1") == 0);
    CHECK(cli_get_str(&o, "a.list", NULL, &s, &e) == 0 && s && strcmp(s, "x,y") == 0);
    CHECK(cli_get_str(&o, "empty", "def", &s, &e) == 0 && s && strcmp(s, "") == 0);
    CHECK(cli_get_str(&o, "block", NULL, &s, &e) == 0 && s && strcmp(s, "p,q r") == 0);
    /* a quoted empty string is a value, not a null */
    CHECK(cli_has(&o, "str"));
    CHECK(cli_get_str(&o, "str", "def", &s, &e) == 0 && s && strcmp(s, "") == 0);
    CHECK_ERR(cli_error(&o, "a.b.c-d", &e_, "x"), ERR_USAGE, "shapes.yaml:4: a.b.c-d: x");
    CHECK_ERR(cli_error(&o, "block", &e_, "x"), ERR_USAGE, "shapes.yaml:7: block: x");
    cli_opts_destroy(&o);

    /* empty file, comments only, a bare document marker: empty configs */
    const char *empties[] = { "", "# nothing here\n\n", "---\n", "--- ~\n", "{}\n" };
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        cli_opts_init(&o);
        p = tmp_yaml("empty.yaml", empties[i]);
        int rc = cli_load_yaml(&o, p, &e);
        CHECK_MSG(rc == 0 && o.n == 0, "empty case %zu: %d %s", i, rc, e.msg);
        cli_opts_destroy(&o);
    }

    /* nulls in their spellings; "null" quoted is a string */
    p = tmp_yaml("nulls.yaml", "a:\nb: ~\nc: null\nd: NULL\ne: \"null\"\n");
    cli_opts_init(&o);
    CHECK(cli_load_yaml(&o, p, &e) == 0);
    CHECK(!cli_has(&o, "a") && !cli_has(&o, "b") && !cli_has(&o, "c") && !cli_has(&o, "d"));
    CHECK(cli_get_str(&o, "e", NULL, &s, &e) == 0 && s && strcmp(s, "null") == 0);
    /* a null is still a key: unknown-key checks see it */
    static const char *const known_e[] = { "b", "c", "d", "e", NULL };
    CHECK_ERR(cli_check_unknown(&o, known_e, &e_), ERR_USAGE, "nulls.yaml:1: unknown key a");
    cli_opts_destroy(&o);

    /* model: with a mapping stays model.* (no clash with --model NAME) */
    p = tmp_yaml("modelmap.yaml", "model:\n  dim: 8\n");
    cli_opts_init(&o);
    CHECK(cli_load_yaml(&o, p, &e) == 0);
    CHECK(cli_has(&o, "model.dim") && !cli_has(&o, "arch"));
    cli_opts_destroy(&o);
    /* model: nested below the top level is not renamed */
    p = tmp_yaml("nestedmodel.yaml", "teacher:\n  model: mf\n");
    cli_opts_init(&o);
    CHECK(cli_load_yaml(&o, p, &e) == 0);
    CHECK(cli_has(&o, "teacher.model") && !cli_has(&o, "teacher.arch"));
    cli_opts_destroy(&o);
    /* a list under model: is still the architecture key */
    p = tmp_yaml("modellist.yaml", "model: [lightgcn, mf]\n");
    cli_opts_init(&o);
    CHECK(cli_load_yaml(&o, p, &e) == 0);
    CHECK(cli_get_str(&o, "arch", NULL, &s, &e) == 0 && s && strcmp(s, "lightgcn,mf") == 0);
    cli_opts_destroy(&o);
}

/* Load text expecting failure with code and message text. */
static void yaml_fails(const char *text, int code, const char *msg)
{
    cli_opts_t o;
    err_t e = {0};
    cli_opts_init(&o);
    const char *p = tmp_yaml("bad.yaml", text);
    int rc = cli_load_yaml(&o, p, &e);
    CHECK_MSG(rc == code && e.code == code && has_text(&e, msg),
              "YAML %.40s... gave %d \"%s\", wanted \"%s\"", text, rc, e.msg, msg);
    /* all or nothing: a failed load adds no keys */
    CHECK_EQ_INT(o.n, 0);
    cli_opts_destroy(&o);
}

static void test_yaml_errors(void)
{
    cli_opts_t o;
    char want[2200];

    /* fixtures */
    cli_opts_init(&o);
    {
        err_t e_ = {0};
        int rc_ = cli_load_yaml(&o, fix("bad_indent.yaml"), &e_);
        snprintf(want, sizeof want, "%s:5: malformed YAML", fix("bad_indent.yaml"));
        CHECK_EQ_INT(rc_, ERR_INPUT);
        CHECK_MSG(strncmp(e_.msg, want, strlen(want)) == 0, "\"%s\" vs \"%s\"", e_.msg, want);
    }
    CHECK_ERR(cli_load_yaml(&o, fix("top_list.yaml"), &e_), ERR_INPUT,
              "top_list.yaml:1: a config must be a mapping");
    CHECK_ERR(cli_load_yaml(&o, fix("binary.yaml"), &e_), ERR_INPUT,
              "binary.yaml:2: binary data");
    CHECK_EQ_INT(o.n, 0);
    cli_opts_destroy(&o);

    /* missing and unreadable files */
    cli_opts_init(&o);
    CHECK_ERR(cli_load_yaml(&o, fix("no-such.yaml"), &e_), ERR_IO,
              "no-such.yaml: cannot open config: No such file or directory");
    CHECK_ERR(cli_load_yaml(&o, tmpdir, &e_), ERR_IO, "cannot read config");
    cli_opts_destroy(&o);

    yaml_fails("epochs: 10\ndim: [1, 2\n", ERR_INPUT, "bad.yaml:3: malformed YAML");
    yaml_fails("a: 1\nb: 'open\n", ERR_INPUT, "bad.yaml:3: malformed YAML");
    yaml_fails("a: 1\nb: 2\n\tc: 3\n", ERR_INPUT, "bad.yaml:3: malformed YAML: found a tab");
    yaml_fails("a:\n\tb: 1\n", ERR_INPUT, "bad.yaml:2: malformed YAML");
    yaml_fails("a:\n\tb: 1\n", ERR_INPUT, "tabs cannot indent YAML");
    /* an unclosed bracket is found at the end; the message also names its line */
    yaml_fails("a: [1, 2\n\n\n", ERR_INPUT, "that starts at line 1)");
    yaml_fails("a: 1\n  b: 2\n", ERR_INPUT, "bad.yaml:2: malformed YAML");
    yaml_fails("a: 1\nb: @x\n", ERR_INPUT, "bad.yaml:2: malformed YAML");
    yaml_fails("just some text\n", ERR_INPUT, "bad.yaml:1: a config must be a mapping");
    yaml_fails("42\n", ERR_INPUT, "a config must be a mapping");
    yaml_fails("a: 1\n---\nb: 2\n", ERR_INPUT, "bad.yaml:2: a config holds one YAML document");
    yaml_fails("a: 1\nb: 2\na: 3\n", ERR_INPUT, "bad.yaml:3: duplicate key a (first at line 1)");
    yaml_fails("batch-size: 1\nbatch_size: 2\n", ERR_INPUT,
               "bad.yaml:2: duplicate key batch_size (batch-size at line 1 already sets it)");
    yaml_fails("model: mf\narch: gcn\n", ERR_INPUT,
               "bad.yaml:2: duplicate key arch (model at line 1 already sets it)");
    yaml_fails("o:\n  a: 1\n  a: 2\n", ERR_INPUT, "bad.yaml:3: duplicate key o.a");
    yaml_fails("a: 1\nedges: [x, [y]]\n", ERR_INPUT,
               "bad.yaml:2: edges: a list may hold only plain values, not a list");
    yaml_fails("edges:\n  - x\n  - {y: 1}\n", ERR_INPUT,
               "bad.yaml:3: edges: a list may hold only plain values, not a mapping");
    yaml_fails("edges: [x, 'y,z']\n", ERR_INPUT, "bad.yaml:1: edges: an item with a comma");
    yaml_fails("edges: [x, ~]\n", ERR_INPUT, "edges: an empty item in a list");
    yaml_fails("edges:\n  - x\n  -\n", ERR_INPUT, "bad.yaml:3: edges: an empty item");
    yaml_fails("a: &x 1\nb: *x\n", ERR_INPUT, "bad.yaml:2: b: aliases (*name) are not supported");
    yaml_fails("? [a, b]\n: 1\n", ERR_INPUT, "bad.yaml:1: keys must be plain non-empty names");
    yaml_fails("'': 1\n", ERR_INPUT, "keys must be plain non-empty names");
    yaml_fails("a: \"x\\0y\"\n", ERR_INPUT, "bad.yaml:1: a: value contains a NUL byte");
    yaml_fails("a: 1\nb: \xff\xfe\xfd\n", ERR_INPUT, "bad.yaml:2: not a YAML text file");
    yaml_fails("a: 1\nb: \x01\n", ERR_INPUT, "bad.yaml:2: not a YAML text file");

    /* a failed load keeps earlier keys and leaves the table usable */
    cli_opts_t o2;
    err_t e = {0};
    opts_from(&o2, "--dim 4");
    const char *p = tmp_yaml("bad2.yaml", "a: 1\nb: [\n");
    CHECK(cli_load_yaml(&o2, p, &e) == ERR_INPUT);
    CHECK_EQ_INT(o2.n, 1);
    CHECK(cli_has(&o2, "dim") && !cli_has(&o2, "a"));
    cli_opts_destroy(&o2);
}

static void test_u32_u64(void)
{
    cli_opts_t o;
    err_t e = {0};
    uint32_t u = 7;
    uint64_t w = 7;

    opts_from(&o, "--a 0 --b 4294967295 --c 100000 --d 18446744073709551615");
    CHECK(cli_get_u32(&o, "a", 9, 0, 10, &u, &e) == 0 && u == 0);
    CHECK(cli_get_u32(&o, "b", 9, 0, UINT32_MAX, &u, &e) == 0 && u == UINT32_MAX);
    CHECK(cli_get_u32(&o, "c", 9, 1, 100000, &u, &e) == 0 && u == 100000);
    CHECK(cli_get_u64(&o, "d", 9, 0, UINT64_MAX, &w, &e) == 0 && w == UINT64_MAX);
    CHECK(cli_get_u64(&o, "b", 9, 0, UINT64_MAX, &w, &e) == 0 && w == UINT32_MAX);
    CHECK(cli_get_u32(&o, "zz", 9, 1, 10, &u, &e) == 0 && u == 9);
    CHECK(cli_get_u64(&o, "zz", 11, 1, 10, &w, &e) == 0 && w == 11); /* default unchecked */
    cli_opts_destroy(&o);

    static const char *const bad[] = { "-1", "12abc", "", "ten", " 5", "5 ", "+5", "0x10",
                                       "1e3", "1.0", "4294967296", "99999999999999999999",
                                       "100001", "1,2" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = { "prog", "--epochs", (char *)bad[i], NULL };
        cli_opts_init(&o);
        CHECK(cli_parse_argv(&o, 3, argv, flags, &e) == 0);
        err_t e2 = {0};
        u = 7;
        int rc = cli_get_u32(&o, "epochs", 1, 0, i == 12 ? 100000 : UINT32_MAX, &u, &e2);
        CHECK_MSG(rc == ERR_USAGE && u == 7 && strncmp(e2.msg, "--epochs: expected", 18) == 0,
                  "u32 \"%s\": %d %u \"%s\"", bad[i], rc, u, e2.msg);
        cli_opts_destroy(&o);
    }
    /* the message quotes the value and the range */
    opts_from(&o, "--epochs -1 --seed 12abc --n 99999999999999999999");
    CHECK_ERR(cli_get_u32(&o, "epochs", 1, 1, 100000, &u, &e_), ERR_USAGE,
              "--epochs: expected an integer in [1, 100000], got \"-1\"");
    CHECK_ERR(cli_get_u32(&o, "epochs", 1, 0, UINT32_MAX, &u, &e_), ERR_USAGE,
              "--epochs: expected a non-negative integer below 2^32, got \"-1\"");
    CHECK_ERR(cli_get_u64(&o, "seed", 1, 0, UINT64_MAX, &w, &e_), ERR_USAGE,
              "--seed: expected a non-negative integer, got \"12abc\"");
    CHECK_ERR(cli_get_u64(&o, "n", 1, 0, UINT64_MAX, &w, &e_), ERR_USAGE,
              "got \"99999999999999999999\"");
    cli_opts_destroy(&o);

    /* from YAML: file and line; YAML ints with signs or hex are rejected too */
    const char *p = tmp_yaml("ints.yaml", "dim: 64\nepochs: ten\nk: 0x10\nneg: -3\n");
    cli_opts_init(&o);
    CHECK(cli_load_yaml(&o, p, &e) == 0);
    CHECK_ERR(cli_get_u32(&o, "epochs", 1, 1, 100000, &u, &e_), ERR_USAGE,
              "ints.yaml:2: epochs: expected an integer in [1, 100000], got \"ten\"");
    CHECK_ERR(cli_get_u32(&o, "k", 1, 1, 100, &u, &e_), ERR_USAGE, "ints.yaml:3: k:");
    CHECK_ERR(cli_get_u64(&o, "neg", 1, 0, 100, &w, &e_), ERR_USAGE, "ints.yaml:4: neg:");
    CHECK(cli_get_u32(&o, "dim", 1, 1, 100, &u, &e) == 0 && u == 64);
    cli_opts_destroy(&o);

    /* a long or binary value is quoted shortened and printable */
    char longv[300];
    memset(longv, '9', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    longv[3] = '\x01';
    char *argv[] = { "prog", "--n", longv, NULL };
    cli_opts_init(&o);
    CHECK(cli_parse_argv(&o, 3, argv, flags, &e) == 0);
    CHECK_ERR(cli_get_u64(&o, "n", 1, 0, 10, &w, &e_), ERR_USAGE, "got \"999?999");
    {
        err_t e3 = {0};
        cli_get_u64(&o, "n", 1, 0, 10, &w, &e3);
        CHECK(strlen(e3.msg) < 160 && strstr(e3.msg, "...\""));
    }
    cli_opts_destroy(&o);
}

static void test_float(void)
{
    cli_opts_t o;
    err_t e = {0};
    float f = 0;

    static const struct { const char *s; double v; } good[] = {
        { "0.001", 0.001 }, { "1e-3", 0.001 }, { "-2.5", -2.5 }, { "0", 0 },
        { "3", 3 }, { ".5", 0.5 }, { "1E2", 100 }, { "3.4e38", 3.4e38 }, { "-0", 0 },
        { "1e-40", 1e-40 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char *argv[] = { "prog", "--lr", (char *)good[i].s, NULL };
        cli_opts_init(&o);
        CHECK(cli_parse_argv(&o, 3, argv, flags, &e) == 0);
        int rc = cli_get_float(&o, "lr", 9, -FLT_MAX, FLT_MAX, &f, &e);
        CHECK_MSG(rc == 0, "float \"%s\": %s", good[i].s, e.msg);
        CHECK_NEAR(f, good[i].v, fabs(good[i].v) * 1e-4);
        cli_opts_destroy(&o);
    }
    static const char *const bad[] = { "nan", "NaN", "inf", "-inf", "Infinity", "1e99",
                                       "-1e99", "1e400", "1e-50", "12abc", "", " 1", "1 ",
                                       "0.1.2", "e5", "--", "1,5" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[] = { "prog", "--lr=", NULL };
        char arg[64];
        snprintf(arg, sizeof arg, "--lr=%s", bad[i]);
        argv[1] = arg;
        cli_opts_init(&o);
        CHECK(cli_parse_argv(&o, 2, argv, flags, &e) == 0);
        err_t e2 = {0};
        f = 7;
        int rc = cli_get_float(&o, "lr", 1, -FLT_MAX, FLT_MAX, &f, &e2);
        CHECK_MSG(rc == ERR_USAGE && f == 7 && has_text(&e2, "--lr: expected a number, got"),
                  "float \"%s\": %d %g \"%s\"", bad[i], rc, f, e2.msg);
        cli_opts_destroy(&o);
    }
    opts_from(&o, "--lr 0 --dropout 1.5 --neg -0.1 --ok 0.5");
    CHECK_ERR(cli_get_float(&o, "lr", 1, FLT_MIN, 10, &f, &e_), ERR_USAGE,
              "--lr: expected a positive number up to 10, got \"0\"");
    CHECK_ERR(cli_get_float(&o, "dropout", 0, 0, 1, &f, &e_), ERR_USAGE,
              "--dropout: expected a number in [0, 1], got \"1.5\"");
    CHECK_ERR(cli_get_float(&o, "neg", 0, 0, 1, &f, &e_), ERR_USAGE, "got \"-0.1\"");
    CHECK(cli_get_float(&o, "ok", 0, 0, 1, &f, &e) == 0 && f == 0.5f);
    CHECK(cli_get_float(&o, "absent", 0.25f, 0, 1, &f, &e) == 0 && f == 0.25f);
    cli_opts_destroy(&o);

    const char *p = tmp_yaml("floats.yaml", "a: 1\nlr: .nan\nreg: 1e99\n");
    cli_opts_init(&o);
    CHECK(cli_load_yaml(&o, p, &e) == 0);
    CHECK_ERR(cli_get_float(&o, "lr", 1, 0, 1, &f, &e_), ERR_USAGE,
              "floats.yaml:2: lr: expected a number in [0, 1], got \".nan\"");
    CHECK_ERR(cli_get_float(&o, "reg", 1, 0, FLT_MAX, &f, &e_), ERR_USAGE,
              "floats.yaml:3: reg:");
    cli_opts_destroy(&o);
}

static void test_bool_choice(void)
{
    cli_opts_t o;
    err_t e = {0};
    int b, c;

    opts_from(&o, "--a true --b FALSE --c yes --d No --e 1 --f 0 --g on --h Off "
                  "--bad maybe --bad2 2 --bad3=");
    static const struct { const char *k; int v; } good[] = {
        { "a", 1 }, { "b", 0 }, { "c", 1 }, { "d", 0 }, { "e", 1 }, { "f", 0 },
        { "g", 1 }, { "h", 0 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        b = -1;
        CHECK_MSG(cli_get_bool(&o, good[i].k, -1, &b, &e) == 0 && b == good[i].v,
                  "bool %s", good[i].k);
    }
    CHECK_ERR(cli_get_bool(&o, "bad", 0, &b, &e_), ERR_USAGE,
              "--bad: expected true or false, got \"maybe\"");
    CHECK_ERR(cli_get_bool(&o, "bad2", 0, &b, &e_), ERR_USAGE, "got \"2\"");
    CHECK_ERR(cli_get_bool(&o, "bad3", 0, &b, &e_), ERR_USAGE, "got \"\"");
    CHECK(cli_get_bool(&o, "zz", 1, &b, &e) == 0 && b == 1);
    cli_opts_destroy(&o);

    static const char *const formats[] = { "adj", "edges", NULL };
    opts_from(&o, "--format edges --delim csv");
    CHECK(cli_get_choice(&o, "format", formats, 0, &c, &e) == 0 && c == 1);
    CHECK(cli_get_choice(&o, "absent", formats, 0, &c, &e) == 0 && c == 0);
    static const char *const delims[] = { "tab", "comma", "space", "auto", NULL };
    CHECK_ERR(cli_get_choice(&o, "delim", delims, 3, &c, &e_), ERR_USAGE,
              "--delim: expected one of tab, comma, space, auto, got \"csv\"");
    cli_opts_destroy(&o);

    const char *p = tmp_yaml("bools.yaml", "header: True\nappend: perhaps\n");
    cli_opts_init(&o);
    CHECK(cli_load_yaml(&o, p, &e) == 0);
    CHECK(cli_get_bool(&o, "header", 0, &b, &e) == 0 && b == 1);
    CHECK_ERR(cli_get_bool(&o, "append", 0, &b, &e_), ERR_USAGE,
              "bools.yaml:2: append: expected true or false, got \"perhaps\"");
    cli_opts_destroy(&o);
}

static void test_lists(void)
{
    cli_opts_t o;
    err_t e = {0};
    char **items = NULL;
    size_t n = 99;

    opts_from(&o, "--edges interaction,social,kg --one x --spaced=a,_b_,c --empty= "
                  "--hole a,,b --trail a, --k 10,20,50 --kbad 10,x --kzero 0 --kneg -5");
    CHECK(cli_get_list(&o, "edges", NULL, &items, &n, &e) == 0);
    CHECK(n == 3 && strcmp(items[0], "interaction") == 0 && strcmp(items[1], "social") == 0
          && strcmp(items[2], "kg") == 0 && items[3] == NULL);
    free(items);
    CHECK(cli_get_list(&o, "one", NULL, &items, &n, &e) == 0 && n == 1
          && strcmp(items[0], "x") == 0 && items[1] == NULL);
    free(items);
    CHECK(cli_get_list(&o, "empty", "a,b", &items, &n, &e) == 0 && n == 0 && items[0] == NULL);
    free(items);
    CHECK(cli_get_list(&o, "absent", "a, b", &items, &n, &e) == 0 && n == 2
          && strcmp(items[1], "b") == 0);
    free(items);
    CHECK(cli_get_list(&o, "absent", NULL, &items, &n, &e) == 0 && n == 0 && items[0] == NULL);
    free(items);
    CHECK_ERR(cli_get_list(&o, "hole", NULL, &items, &n, &e_), ERR_USAGE,
              "--hole: empty item in the list \"a,,b\"");
    CHECK_ERR(cli_get_list(&o, "trail", NULL, &items, &n, &e_), ERR_USAGE, "--trail: empty item");

    uint32_t *ks = NULL;
    CHECK(cli_get_u32_list(&o, "k", "20", 1, 1000, &ks, &n, &e) == 0 && n == 3 && ks[2] == 50);
    free(ks);
    CHECK(cli_get_u32_list(&o, "absent", "5, 7", 1, 1000, &ks, &n, &e) == 0 && n == 2
          && ks[0] == 5 && ks[1] == 7);
    free(ks);
    CHECK_ERR(cli_get_u32_list(&o, "kbad", "20", 1, 1000, &ks, &n, &e_), ERR_USAGE,
              "--kbad: expected a list of integers in [1, 1000], got \"x\"");
    CHECK_ERR(cli_get_u32_list(&o, "kzero", "20", 1, 1000, &ks, &n, &e_), ERR_USAGE,
              "got \"0\"");
    CHECK_ERR(cli_get_u32_list(&o, "kneg", "20", 1, 1000, &ks, &n, &e_), ERR_USAGE,
              "got \"-5\"");
    CHECK_ERR(cli_get_u32_list(&o, "empty", "20", 1, 1000, &ks, &n, &e_), ERR_USAGE,
              "--empty: expected a list of integers");
    cli_opts_destroy(&o);

    /* spaces inside items are kept, around them trimmed */
    char *argv[] = { "prog", "--users", " u 1 , u2 ", NULL };
    cli_opts_init(&o);
    CHECK(cli_parse_argv(&o, 3, argv, flags, &e) == 0);
    CHECK(cli_get_list(&o, "users", NULL, &items, &n, &e) == 0 && n == 2
          && strcmp(items[0], "u 1") == 0 && strcmp(items[1], "u2") == 0);
    free(items);
    cli_opts_destroy(&o);

    /* the same list from YAML, flow and block, equals the command line's */
    const char *p = tmp_yaml("lists.yaml", "edges: [interaction, social]\nk:\n  - 10\n  - 20\n");
    cli_opts_init(&o);
    CHECK(cli_load_yaml(&o, p, &e) == 0);
    CHECK(cli_get_list(&o, "edges", NULL, &items, &n, &e) == 0 && n == 2
          && strcmp(items[1], "social") == 0);
    free(items);
    CHECK(cli_get_u32_list(&o, "k", NULL, 1, 100, &ks, &n, &e) == 0 && n == 2 && ks[1] == 20);
    free(ks);
    cli_opts_destroy(&o);
}

static void test_unknown_unused(void)
{
    cli_opts_t o;
    err_t e = {0};
    uint32_t u;
    static const char *const known[] = { "store", "config", "epochs", "batch-size",
                                         "help", "include_seen", NULL };

    opts_from(&o, "--store d --epochs 5 --batch_size 3 --include-seen");
    CHECK(cli_check_unknown(&o, known, &e) == 0);
    cli_opts_destroy(&o);

    opts_from(&o, "--store d --epoch 5");
    CHECK_ERR(cli_check_unknown(&o, known, &e_), ERR_USAGE,
              "unknown option --epoch (did you mean --epochs?) (see --help)");
    cli_opts_destroy(&o);
    opts_from(&o, "--frobnicate 1");
    CHECK_ERR(cli_check_unknown(&o, known, &e_), ERR_USAGE,
              "unknown option --frobnicate (see --help)");
    cli_opts_destroy(&o);

    /* YAML keys: FILE:LINE: unknown key; the command line is reported first */
    cli_opts_init(&o);
    CHECK(cli_load_yaml(&o, fix("unknown.yaml"), &e) == 0);
    CHECK_ERR(cli_check_unknown(&o, known, &e_), ERR_USAGE,
              "unknown.yaml:3: unknown key epoch (did you mean epochs?)");
    CHECK(parse(&o, "--bogus 1", flags, &e) == 0);
    CHECK_ERR(cli_check_unknown(&o, known, &e_), ERR_USAGE, "unknown option --bogus");
    cli_opts_destroy(&o);

    /* unused: argv first, then YAML with its line */
    opts_from(&o, "--store d --epochs 5");
    CHECK(cli_load_yaml(&o, fix("unknown.yaml"), &e) == 0);
    const char *s;
    CHECK(cli_get_str(&o, "store", NULL, &s, &e) == 0);
    CHECK_ERR(cli_check_unused(&o, &e_), ERR_USAGE, "option --epochs is not used by this command");
    CHECK(cli_get_u32(&o, "epochs", 1, 1, 100, &u, &e) == 0 && u == 5);
    CHECK_ERR(cli_check_unused(&o, &e_), ERR_USAGE,
              "unknown.yaml:3: key epoch is not used by this command");
    /* reading a null or absent key still counts as a read */
    cli_opts_destroy(&o);
    const char *p = tmp_yaml("nullused.yaml", "seed: ~\n");
    cli_opts_init(&o);
    CHECK(cli_load_yaml(&o, p, &e) == 0);
    CHECK(cli_check_unused(&o, &e) == ERR_USAGE);
    uint64_t w;
    CHECK(cli_get_u64(&o, "seed", 1, 0, 9, &w, &e) == 0 && w == 1);
    CHECK(cli_check_unused(&o, &e) == 0);
    cli_opts_destroy(&o);

    /* need_str and cli_error on an absent key */
    cli_opts_init(&o);
    CHECK_ERR(cli_need_str(&o, "store", &s, &e_), ERR_USAGE, "missing --store (see --help)");
    CHECK_ERR(cli_error(&o, "test", &e_, "cannot be used with --split"), ERR_USAGE,
              "--test: cannot be used with --split");
    cli_opts_destroy(&o);
    opts_from(&o, "--store d");
    CHECK(cli_need_str(&o, "store", &s, &e) == 0 && strcmp(s, "d") == 0);
    cli_opts_destroy(&o);

    /* NULL err_t is allowed everywhere */
    opts_from(&o, "--epochs x");
    CHECK(cli_get_u32(&o, "epochs", 1, 1, 9, &u, NULL) == ERR_USAGE);
    CHECK(cli_check_unknown(&o, known + 3, NULL) == ERR_USAGE);
    CHECK(cli_load_yaml(&o, fix("no-such.yaml"), NULL) == ERR_IO);
    cli_opts_destroy(&o);
    /* destroy twice is harmless */
    cli_opts_destroy(&o);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        snprintf(fixdir, sizeof fixdir, "%s", argv[1]);
    } else {
        const char *slash = strrchr(__FILE__, '/');
        int n = slash ? (int)(slash - __FILE__) : 1;
        snprintf(fixdir, sizeof fixdir, "%.*s/data/cli", n, slash ? __FILE__ : ".");
    }
    if (access(fix("train.yaml"), R_OK) != 0) {
        fprintf(stderr, "test_cli: fixtures not found in %s (pass the directory as "
                "argv[1])\n", fixdir);
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_cli.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }

    test_argv_forms();
    test_flags();
    test_argv_errors();
    test_yaml_fixture();
    test_override();
    test_yaml_shapes();
    test_yaml_errors();
    test_u32_u64();
    test_float();
    test_bool_choice();
    test_lists();
    test_unknown_unused();

    static const char *const made[] = { "bad.yaml", "bad2.yaml", "shadow.yaml", "first.yaml",
        "second.yaml", "shapes.yaml", "empty.yaml", "nulls.yaml", "modelmap.yaml",
        "nestedmodel.yaml", "modellist.yaml", "ints.yaml", "floats.yaml", "bools.yaml",
        "lists.yaml", "nullused.yaml", NULL };
    for (int i = 0; made[i]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", tmpdir, made[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    return check_report();
}
