/* test_strmap.c - the in-memory id map: dense ids in order of first
 * appearance, lookups after growth, names back, and the hot path's hashed
 * lookups (strmap_get_hashed, strmap_same). */
#include <stdio.h>
#include <string.h>

#include "base/strmap.h"
#include "tests/check.h"

/* the hot path's lookups: hashed, prefetched, with long and short names */
static void test_hashed(void)
{
    strmap_t m;
    CHECK(strmap_init(&m) == 0);
    char name[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, i % 2 ? "u%d" : "a-much-longer-user-id-%d", i);
        strmap_intern(&m, name, strlen(name), NULL);
    }
    int wrong = 0;
    for (uint32_t id = 0; id < m.n; id++) {
        const char *s = strmap_name(&m, id);
        size_t l = strmap_len(&m, id);
        wrong += strmap_get_hashed(&m, strmap_hash(s, l), s, l) != id;
    }
    CHECK_EQ_INT(wrong, 0);
    const char *absent[] = {"u2", "u", "u10000", "a-much-longer-user-id-1", "", "u1x"};
    for (int i = 0; i < 6; i++)
        CHECK_MSG(strmap_get_hashed(&m, strmap_hash(absent[i], strlen(absent[i])), absent[i], strlen(absent[i])) ==
                      STRMAP_NONE, "%s", absent[i]);
    /* a prefix of a stored id is not that id, even with the same bytes */
    CHECK(strmap_get_hashed(&m, strmap_hash("u1", 2), "u11", 2) == strmap_get(&m, "u1", 2));
    CHECK(strmap_same("abcdefghij", "abcdefghij", 10) && !strmap_same("abcdefghij", "abcdefghiX", 10));
    CHECK(!strmap_same("Xbcdefghij", "abcdefghij", 10) && strmap_same("x", "y", 0));
    strmap_destroy(&m);
}

int main(void)
{
    strmap_t m;
    CHECK(strmap_init(&m) == 0);
    char buf[32];
    int added = 0;
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof buf, "user-%d", i * 7);
        CHECK_EQ_INT(strmap_intern(&m, buf, (size_t)n, &added), i);
        CHECK(added == 1);
    }
    CHECK_EQ_INT(m.n, 5000);
    CHECK_EQ_INT(strmap_intern(&m, "user-7", 6, &added), 1);
    CHECK(added == 0);
    CHECK_EQ_INT(strmap_get(&m, "user-34993", 10), 4999);
    CHECK(strmap_get(&m, "user-1", 6) == STRMAP_NONE);
    CHECK(strmap_get(&m, "", 0) == STRMAP_NONE);
    CHECK(strcmp(strmap_name(&m, 2), "user-14") == 0);
    CHECK_EQ_INT(strmap_len(&m, 2), 7);
    /* ids are byte strings: a prefix is a different id */
    CHECK(strmap_get(&m, "user-7", 5) == STRMAP_NONE);
    strmap_destroy(&m);
    test_hashed();
    return check_report();
}
