/* text.h - small string measures the command layer's messages use.
 * text_edit_distance: Levenshtein distance of two strings, capped (only
 * for "did you mean" suggestions: strings over 63 bytes count as 64). */
#ifndef GNNREC_BASE_TEXT_H
#define GNNREC_BASE_TEXT_H

#include <stddef.h>

size_t text_edit_distance(const char *a, const char *b);

#endif
