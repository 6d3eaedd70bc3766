/* alias.c - see alias.h. Vose's construction: a slot whose scaled weight is
 * below 1 is topped up by one slot above 1, which loses that much and may
 * drop below 1 itself. Both worklists share one array: small slots stack up
 * from the front, large ones from the back (a slot is in at most one). */
#include "graph/alias.h"

#include <math.h>

static uint32_t threshold(double keep)
{
    double t = ldexp(keep, 32);
    return t >= 4294967295.0 ? UINT32_MAX : t <= 0 ? 0 : (uint32_t)t;
}

void graph_alias_build(const double *w, uint32_t n, graph_alias_slot_t *t, double *p, uint32_t *stack)
{
    double sum = 0;
    for (uint32_t k = 0; k < n; k++) sum += w[k];
    uint32_t ns = 0, nl = 0;   /* small: stack[0..ns), large: stack[n-nl..n) */
    for (uint32_t k = 0; k < n; k++) {
        p[k] = w[k] * (double)n / sum;
        t[k] = (graph_alias_slot_t){UINT32_MAX, k, k};
        if (p[k] < 1.0) stack[ns++] = k;
        else stack[n - ++nl] = k;
    }
    while (ns && nl) {
        uint32_t s = stack[--ns], l = stack[n - nl];
        t[s].thr = threshold(p[s]);
        t[s].other = t[s].thr == UINT32_MAX ? s : l;
        p[l] -= 1.0 - p[s];
        if (p[l] < 1.0) {   /* l moves to the small list */
            nl--;
            stack[ns++] = l;
        }
    }
    /* what is left holds a whole slot up to rounding: thr = max, other = self */
}

double graph_alias_prob(const graph_alias_slot_t *t, uint32_t n, uint32_t k)
{
    double p = 0;
    for (uint32_t j = 0; j < n; j++) {
        double keep = t[j].thr == UINT32_MAX ? 1.0 : ldexp((double)t[j].thr, -32);
        if (t[j].keep == k) p += keep;
        if (t[j].other == k && t[j].other != t[j].keep) p += 1.0 - keep;
    }
    return p / n;
}
