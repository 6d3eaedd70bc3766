/* test_config.c - io/config.h, the flat YAML walk, without io/cli: the
 * leaves in file order with dotted names, values and key lines; a null as
 * val NULL; lists joined with commas; no key meaning at this layer (model is
 * not renamed, a repeated key is handed over twice); a callback's status
 * stops the walk and is returned as it is; and syntax errors as
 * FILE:LINE messages. The messages of a whole config load (duplicates,
 * bombs, 200,000 keys) are checked through cli_ in test_cli.c,
 * hostile_input.sh and reliability2.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/config.h"
#include "tests/check.h"

typedef struct seen {
    char text[1024]; /* "name=val@line;" per leaf, "name~@line;" for a null */
    int n, stop_at;  /* stop_at: return ERR_USAGE at this leaf (1-based), 0 never */
} seen_t;

static int collect(void *ctx, const io_config_entry_t *en, err_t *e)
{
    seen_t *s = ctx;
    size_t l = strlen(s->text);
    if (en->val)
        snprintf(s->text + l, sizeof s->text - l, "%s=%s@%ld;", en->name, en->val, en->line);
    else
        snprintf(s->text + l, sizeof s->text - l, "%s~@%ld;", en->name, en->line);
    if (++s->n == s->stop_at) return err_set(e, ERR_USAGE, "stop at %s", en->name);
    return 0;
}

static const char *write_file(const char *dir, const char *name, const char *text)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f) return p;
    fputs(text, f);
    fclose(f);
    return p;
}

int main(void)
{
    char dir[] = "/tmp/test_config.XXXXXX";
    if (!mkdtemp(dir)) return 1;
    err_t e = {0};
    seen_t s = {0};
    const char *p = write_file(dir, "a.yaml",
        "model: lightgcn\n"
        "k: [10, 20]\n"
        "opt:\n"
        "  lr: 0.01\n"
        "  beta: ~\n"
        "edges:\n"
        "  - interaction\n"
        "  - social\n"
        "k: 5\n");
    CHECK_MSG(io_config_read(p, 1 << 20, collect, &s, &e) == 0, "%s", e.msg);
    CHECK_MSG(!strcmp(s.text, "model=lightgcn@1;k=10,20@2;opt.lr=0.01@4;opt.beta~@5;"
                              "edges=interaction,social@6;k=5@9;"), "%s", s.text);

    memset(&s, 0, sizeof s);
    s.stop_at = 2;
    CHECK_EQ_INT(io_config_read(p, 1 << 20, collect, &s, &e), ERR_USAGE);
    CHECK_MSG(!strcmp(e.msg, "stop at k") && s.n == 2, "%s", e.msg);

    memset(&s, 0, sizeof s);
    p = write_file(dir, "empty.yaml", "# nothing\n");
    CHECK_EQ_INT(io_config_read(p, 1 << 20, collect, &s, &e), 0);
    CHECK_EQ_INT(s.n, 0);

    char want[512];
    p = write_file(dir, "alias.yaml", "a: &x 1\nb: *x\n");
    CHECK_EQ_INT(io_config_read(p, 1 << 20, collect, &s, &e), ERR_INPUT);
    snprintf(want, sizeof want, "%s:2: b: aliases (*name) are not supported", p);
    CHECK_MSG(!strcmp(e.msg, want), "%s", e.msg);
    p = write_file(dir, "list.yaml", "k:\n  - 1\n  - [2]\n");
    CHECK_EQ_INT(io_config_read(p, 1 << 20, collect, &s, &e), ERR_INPUT);
    snprintf(want, sizeof want, "%s:3: k: a list may hold only plain values, not a list", p);
    CHECK_MSG(!strcmp(e.msg, want), "%s", e.msg);
    p = write_file(dir, "top.yaml", "- a\n- b\n");
    CHECK_EQ_INT(io_config_read(p, 1 << 20, collect, &s, &e), ERR_INPUT);
    CHECK_MSG(strstr(e.msg, ":1: a config must be a mapping"), "%s", e.msg);
    p = write_file(dir, "tab.yaml", "a: 1\n\tb: 2\n");
    CHECK_EQ_INT(io_config_read(p, 1 << 20, collect, &s, &e), ERR_INPUT);
    CHECK_MSG(strstr(e.msg, ":2: ") && strstr(e.msg, "tab"), "%s", e.msg);

    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) return 1;
    return check_report();
}
