/* svg.h - the charts of `gnnrec report` (gnn/report.h) as inline SVG text,
 * and HTML escaping: line charts (a series per curve, points joined) and
 * scatter plots, linear or log10 axes, a legend. No scripts, no external
 * references: the SVG is part of a self-contained HTML page.
 *
 *   gnn_svg_esc    text for HTML (element text or a quoted attribute): & < >
 *                  " ' as entities, control bytes dropped; other bytes (UTF-8)
 *                  as they are. Every name from the store goes through it.
 *   gnn_svg_chart  one <svg> element for chart c, appended to b. On a log
 *                  axis a point with a value <= 0 is left out; a chart with
 *                  no point draws its frame and "no data".
 */
#ifndef GNNREC_GNN_SVG_H
#define GNNREC_GNN_SVG_H

#include <stddef.h>

#include "io/writer.h"

typedef struct gnn_svg_series {
    const char *label;
    const double *x, *y;      /* [n] each */
    size_t n;
} gnn_svg_series_t;

typedef struct gnn_svg_chart {
    const char *title, *xlabel, *ylabel;
    int log_x, log_y;         /* log10 axes */
    int scatter;              /* 1: dots only; 0: lines through the points */
    const gnn_svg_series_t *s;   /* [n] */
    size_t n;
} gnn_svg_chart_t;

void gnn_svg_esc(io_buf_t *b, const char *s, size_t l);
void gnn_svg_chart(io_buf_t *b, const gnn_svg_chart_t *c);

#endif
