/* test_idlist.c - io/idlist.h: the --users rule, id files and lists,
 * new-user item files (bad lines with FILE:LINE, empty files, long ids). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/idlist.h"
#include "tests/check.h"

static char dir[] = "/tmp/test_idlist.XXXXXX";

static const char *file(const char *name, const char *body, size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fwrite(body, 1, len, f);
    fclose(f);
    return path;
}

static int is(const io_idlist_t *l, size_t j, const char *want)
{
    size_t len;
    const char *s = io_idlist_at(l, j, &len);
    return len == strlen(want) && !memcmp(s, want, len);
}

static void test_rule(void)
{
    const char *p;
    CHECK_EQ_INT(io_idspec_kind("all", &p), IO_IDS_ALL);
    CHECK_EQ_INT(io_idspec_kind("2", &p), IO_IDS_LIST);
    CHECK(p == NULL);
    CHECK_EQ_INT(io_idspec_kind("u1,u2", &p), IO_IDS_LIST);
    CHECK_EQ_INT(io_idspec_kind("@2", &p), IO_IDS_FILE);
    CHECK(p && !strcmp(p, "2"));
    CHECK_EQ_INT(io_idspec_kind("./users.txt", &p), IO_IDS_FILE);
    CHECK(p && !strcmp(p, "./users.txt"));
    CHECK_EQ_INT(io_idspec_kind("allx", &p), IO_IDS_LIST);
}

static void test_lists(err_t *e)
{
    io_idlist_t l;
    io_idlist_init(&l);
    CHECK_EQ_INT(io_idlist_parse_list(&l, "u7,,u3,u5,", e), ERR_OK);
    CHECK_EQ_INT(l.n, 3);   /* empty ids skipped */
    CHECK(is(&l, 0, "u7") && is(&l, 1, "u3") && is(&l, 2, "u5"));
    CHECK_EQ_INT(l.line[0], 0);
    /* a file: the first field per line, blank lines skipped, CRLF read as LF */
    const char *p = file("ids", "a 1 2\n\n  b\tx\r\nc\n", 16);
    io_idlist_destroy(&l);
    io_idlist_init(&l);
    CHECK_EQ_INT(io_idlist_read_file(&l, p, e), ERR_OK);
    CHECK_EQ_INT(l.n, 3);
    CHECK(is(&l, 0, "a") && is(&l, 1, "b") && is(&l, 2, "c"));
    CHECK_EQ_INT(l.line[1], 3);
    CHECK_EQ_INT(l.line[2], 4);
    /* many ids: the arrays grow */
    io_idlist_destroy(&l);
    io_idlist_init(&l);
    int bad = 0;
    for (int i = 0; i < 5000; i++) {
        char b[16];
        int n = snprintf(b, sizeof b, "id%d", i);
        bad += io_idlist_push(&l, b, (size_t)n, i, e) != ERR_OK;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(l.n == 5000 && is(&l, 4999, "id4999") && is(&l, 0, "id0"));
    io_idlist_destroy(&l);
    /* an empty file is no id; a NUL byte is FILE:LINE; a missing file names it */
    io_idlist_init(&l);
    CHECK_EQ_INT(io_idlist_read_file(&l, file("empty", "", 0), e), ERR_OK);
    CHECK_EQ_INT(l.n, 0);
    p = file("nul", "a\nb\0c\n", 6);
    CHECK_EQ_INT(io_idlist_read_file(&l, p, e), ERR_INPUT);
    CHECK_MSG(strstr(e->msg, ":2:") != NULL, "%s", e->msg);
    char missing[300];
    snprintf(missing, sizeof missing, "@%s/none", dir);
    CHECK_EQ_INT(io_idlist_read_spec(&l, missing, e), ERR_INPUT);
    CHECK_MSG(strstr(e->msg, "none") != NULL, "%s", e->msg);
    io_idlist_destroy(&l);
}

static void test_user_items(err_t *e)
{
    io_user_items_t u;
    const char *p = file("new", "n1 i1 i2\ti3\n\nn2\nn3 i5 i5 \r\n", 27);
    CHECK_EQ_INT(io_user_items_read(&u, p, 256, e), ERR_OK);
    CHECK_EQ_INT(u.users.n, 3);
    CHECK(is(&u.users, 0, "n1") && is(&u.users, 1, "n2") && is(&u.users, 2, "n3"));
    CHECK_EQ_INT(u.start[0], 0);
    CHECK_EQ_INT(u.start[1], 3);
    CHECK_EQ_INT(u.start[2], 3);   /* n2: no item */
    CHECK_EQ_INT(u.start[3], 5);   /* n3: i5 twice, kept */
    CHECK(is(&u.items, 2, "i3") && is(&u.items, 3, "i5") && is(&u.items, 4, "i5"));
    CHECK_EQ_INT(u.items.line[3], 4);
    io_user_items_destroy(&u);
    /* a user id over the limit: FILE:LINE */
    char body[400];
    memset(body, 'x', 300);
    memcpy(body, "ok i1\n", 6);
    memcpy(body + 300, " i1\n", 4);
    p = file("long", body, 304);
    CHECK_EQ_INT(io_user_items_read(&u, p, 256, e), ERR_INPUT);
    CHECK_MSG(strstr(e->msg, "long:2: user id longer than 256 bytes") != NULL, "%s", e->msg);
    CHECK_EQ_INT(io_user_items_read(&u, file("empty", "", 0), 256, e), ERR_OK);
    CHECK_EQ_INT(u.users.n, 0);
    CHECK_EQ_INT(u.start[0], 0);
    io_user_items_destroy(&u);
    p = file("bin", "n1 i1\nn2 \0\n", 11);
    CHECK_EQ_INT(io_user_items_read(&u, p, 256, e), ERR_INPUT);
    CHECK_MSG(strstr(e->msg, "bin:2:") != NULL, "%s", e->msg);
}

int main(void)
{
    err_t e = {0};
    if (!mkdtemp(dir)) return 1;
    test_rule();
    test_lists(&e);
    test_user_items(&e);
    const char *names[] = {"ids", "empty", "nul", "new", "long", "bin"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char p[300];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    /* --shard I/N */
    uint32_t si, sn;
    CHECK(io_shard_parse(NULL, &si, &sn, &e) == 0 && si == 0 && sn == 1);
    CHECK(io_shard_parse("2/7", &si, &sn, &e) == 0 && si == 2 && sn == 7);
    CHECK(io_shard_parse("7/7", &si, &sn, &e) == ERR_USAGE);
    CHECK(io_shard_parse("1/", &si, &sn, &e) == ERR_USAGE);
    CHECK(io_shard_parse("-1/3", &si, &sn, &e) == ERR_USAGE);
    CHECK(io_shard_parse("0/1048577", &si, &sn, &e) == ERR_USAGE);
    CHECK(io_shard_parse("0/3x", &si, &sn, &e) == ERR_USAGE);
    rmdir(dir);
    return check_report();
}
