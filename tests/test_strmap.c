/* test_strmap.c - the in-memory id map: dense ids in order of first
 * appearance, lookups after growth, names back. */
#include <stdio.h>
#include <string.h>

#include "base/strmap.h"
#include "tests/check.h"

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
    return check_report();
}
