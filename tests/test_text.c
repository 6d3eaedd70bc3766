/* test_text.c - base/text.h: the comma-list splitter (items, trimming,
 * empty lists, empty items refused) and the capped edit distance. */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/text.h"
#include "tests/check.h"

/* Split s and compare with the expected items joined by '|'. */
static int split_is(const char *s, const char *want)
{
    char **v = NULL;
    size_t n = 99;
    if (text_split_list(s, &v, &n) != ERR_OK) return 0;
    char got[256] = "";
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(got, "|");
        strcat(got, v[i]);
    }
    int ok = v[n] == NULL && !strcmp(got, want);
    free(v);
    return ok;
}

int main(void)
{
    CHECK(split_is("a,b,c", "a|b|c"));
    CHECK(split_is(" 10 ,\t20,30 ", "10|20|30"));
    CHECK(split_is("one", "one"));
    CHECK(split_is("a b, c", "a b|c"));        /* inner blanks stay */
    char **v = (char **)1;
    size_t n = 7;
    CHECK_EQ_INT(text_split_list("", &v, &n), ERR_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(v && v[0] == NULL);
    free(v);
    CHECK_EQ_INT(text_split_list("  \t", &v, &n), ERR_OK);
    CHECK_EQ_INT(n, 0);
    free(v);
    const char *bad[] = {"a,,b", "a,", ",a", " , ", "a, \t,b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = NULL;
        n = 5;
        CHECK_MSG(text_split_list(bad[i], &v, &n) == ERR_INPUT, "\"%s\"", bad[i]);
        CHECK(v == NULL && n == 5);           /* untouched on error */
    }
    CHECK_EQ_INT(text_edit_distance("epochs", "epochs"), 0);
    CHECK_EQ_INT(text_edit_distance("epoch", "epochs"), 1);
    CHECK_EQ_INT(text_edit_distance("lerning_rate", "learning_rate"), 1);
    CHECK_EQ_INT(text_edit_distance("kitten", "sitting"), 3);
    CHECK_EQ_INT(text_edit_distance("", "abc"), 3);
    char long_key[80];
    memset(long_key, 'x', 79);
    long_key[79] = '\0';
    CHECK_EQ_INT(text_edit_distance(long_key, "x"), 64);   /* capped */
    return check_report();
}
