/* text.h - small string tools of the command layer's options and messages.
 * text_edit_distance: Levenshtein distance of two strings, capped (only
 * for "did you mean" suggestions: strings over 63 bytes count as 64).
 * text_split_list: "a, b,c" -> {"a", "b", "c", NULL}, items trimmed of
 * blanks and tabs; "" or blanks only -> no items. One allocation holds the
 * array and the text (free(*items) frees both). ERR_INPUT for an empty
 * item ("a,,b", "a,"), ERR_NOMEM; *items and *n are set only on ERR_OK. */
#ifndef GNNREC_BASE_TEXT_H
#define GNNREC_BASE_TEXT_H

#include <stddef.h>

size_t text_edit_distance(const char *a, const char *b);
int text_split_list(const char *s, char ***items, size_t *n);

#endif
