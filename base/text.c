/* text.c - text.h: the capped edit distance (one row of the DP table on
 * the stack) and the comma-list splitter (one allocation). */
#include "base/text.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

size_t text_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t sub = diag + (a[i - 1] != b[j - 1]);
            size_t best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

int text_split_list(const char *s, char ***items, size_t *n)
{
    size_t count = 0, len = strlen(s);
    const char *p = s;
    while (*p == ' ' || *p == '\t') p++;
    if (*p) {
        count = 1;
        for (const char *c = s; *c; c++) count += *c == ',';
    }
    char **v = malloc((count + 1) * sizeof *v + len + 1);
    if (!v) return ERR_NOMEM;
    char *text = (char *)(v + count + 1);
    memcpy(text, s, len + 1);
    size_t k = 0;
    for (char *t = text; count && k < count; k++) {
        char *comma = strchr(t, ',');
        if (comma) *comma = '\0';
        while (*t == ' ' || *t == '\t') t++;
        char *end = t + strlen(t);
        while (end > t && (end[-1] == ' ' || end[-1] == '\t')) *--end = '\0';
        if (!*t) {
            free(v);
            return ERR_INPUT;
        }
        v[k] = t;
        t = comma ? comma + 1 : end;
    }
    v[count] = NULL;
    *items = v;
    *n = count;
    return ERR_OK;
}
