/* svg.c - inline SVG charts and HTML escaping for the report (svg.h).
 * Assumes finite inputs (NaN and Inf points are skipped like a log axis's
 * non-positive values). Layout in pixels, fixed: the page scales it. */
#include "gnn/svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { W = 560, H = 300, ML = 64, MR = 150, MT = 28, MB = 44 };

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

void gnn_svg_esc(io_buf_t *b, const char *s, size_t l)
{
    for (size_t i = 0; i < l; i++) {
        const unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&': io_buf_str(b, "&amp;"); break;
        case '<': io_buf_str(b, "&lt;"); break;
        case '>': io_buf_str(b, "&gt;"); break;
        case '"': io_buf_str(b, "&quot;"); break;
        case '\'': io_buf_str(b, "&#39;"); break;
        default:
            if (c >= 0x20 && c != 0x7f) io_buf_put(b, &s[i], 1);
        }
    }
}

static void fmt(io_buf_t *b, const char *f, double v)
{
    char s[64];
    int n = snprintf(s, sizeof s, f, v);
    io_buf_put(b, s, n > 0 && (size_t)n < sizeof s ? (size_t)n : 0);
}

/* The value as plotted (log10 on a log axis); 0 when it cannot be. */
static int coord(double v, int log_axis, double *out)
{
    if (!isfinite(v) || (log_axis && v <= 0)) return 0;
    *out = log_axis ? log10(v) : v;
    return 1;
}

typedef struct axis { double lo, hi; int log; } axis_t;

static double px(const axis_t *a, double v, double from, double to)
{
    return from + (v - a->lo) / (a->hi - a->lo) * (to - from);
}

/* Ticks: integer powers of ten on a log axis, 5 steps on a linear one. */
static void ticks(io_buf_t *b, const axis_t *a, int vertical)
{
    double step = a->log ? 1.0 : (a->hi - a->lo) / 5;
    double first = a->log ? ceil(a->lo - 1e-9) : a->lo;
    if (a->log && a->hi - a->lo < 1) { first = a->lo; step = a->hi - a->lo; }
    /* enough significant digits that neighbouring labels differ (a loss moving in its 4th digit) */
    const double span = a->log ? 1 : fabs(a->hi) > fabs(a->lo) ? fabs(a->hi) : fabs(a->lo);
    int digits = step > 0 && span > 0 ? (int)ceil(log10(span / step)) + 1 : 3;
    if (digits < 3) digits = 3;
    if (digits > 8) digits = 8;
    for (double v = first; v <= a->hi + 1e-9 * fabs(a->hi - a->lo) + 1e-12; v += step) {
        const double p = vertical ? px(a, v, H - MB, MT) : px(a, v, ML, W - MR);
        const double lab = a->log ? pow(10, v) : v;
        char t[32];
        snprintf(t, sizeof t, "%.*g", digits, lab);
        if (vertical) {
            fmt(b, "<line x1=\"60\" x2=\"64\" y1=\"%.1f\"", p);
            fmt(b, " y2=\"%.1f\" stroke=\"#333\"/>", p);
            fmt(b, "<text x=\"58\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">", p + 4);
        } else {
            fmt(b, "<line y1=\"256\" y2=\"260\" x1=\"%.1f\"", p);
            fmt(b, " x2=\"%.1f\" stroke=\"#333\"/>", p);
            fmt(b, "<text y=\"272\" x=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">", p);
        }
        io_buf_str(b, t);
        io_buf_str(b, "</text>");
        if (step <= 0) break;
    }
}

static void range(const gnn_svg_chart_t *c, int y, axis_t *a)
{
    a->log = y ? c->log_y : c->log_x;
    a->lo = INFINITY; a->hi = -INFINITY;
    for (size_t k = 0; k < c->n; k++)
        for (size_t i = 0; i < c->s[k].n; i++) {
            double vx, vy;
            if (!coord(c->s[k].x[i], c->log_x, &vx) || !coord(c->s[k].y[i], c->log_y, &vy)) continue;
            const double v = y ? vy : vx;
            if (v < a->lo) a->lo = v;
            if (v > a->hi) a->hi = v;
        }
    if (!(a->lo <= a->hi)) { a->lo = 0; a->hi = 1; }
    if (a->hi - a->lo < 1e-12) {   /* one value: a unit (or a decade) around it */
        a->lo -= a->log ? 0.5 : 0.5 * (fabs(a->lo) + 1);
        a->hi += a->log ? 0.5 : 0.5 * (fabs(a->hi) + 1);
    } else if (!a->log && y) {   /* a margin so that curves do not run along the frame */
        const double pad = 0.05 * (a->hi - a->lo);
        a->lo -= pad;
        a->hi += pad;
    }
}

/* The points of s in pixels: "x,y " pairs (col NULL, a polyline's points)
 * or circles of colour col. How many were drawn. */
static size_t draw(io_buf_t *b, const gnn_svg_chart_t *c, const gnn_svg_series_t *s, const axis_t *ax,
                   const axis_t *ay, const char *col)
{
    size_t drawn = 0;
    for (size_t i = 0; i < s->n; i++) {
        double vx, vy;
        if (!coord(s->x[i], c->log_x, &vx) || !coord(s->y[i], c->log_y, &vy)) continue;
        const double x = px(ax, vx, ML, W - MR), y = px(ay, vy, H - MB, MT);
        drawn++;
        if (!col) {
            fmt(b, "%.1f,", x);
            fmt(b, "%.1f ", y);
            continue;
        }
        fmt(b, "<circle r=\"%.1f\"", c->scatter ? 2.2 : 2.8);
        fmt(b, " cx=\"%.1f\"", x);
        fmt(b, " cy=\"%.1f\" fill=\"", y);
        io_buf_str(b, col);
        io_buf_str(b, "\" fill-opacity=\"0.7\"/>");
    }
    return drawn;
}

void gnn_svg_chart(io_buf_t *b, const gnn_svg_chart_t *c)
{
    axis_t ax, ay;
    range(c, 0, &ax);
    range(c, 1, &ay);
    io_buf_str(b, "<svg width=\"560\" height=\"300\" viewBox=\"0 0 560 300\""
                  " font-family=\"sans-serif\"><rect width=\"560\" height=\"300\" fill=\"#fff\"/>"
                  "<text x=\"64\" y=\"18\" font-size=\"13\" font-weight=\"bold\">");
    gnn_svg_esc(b, c->title, strlen(c->title));
    io_buf_str(b, "</text><rect x=\"64\" y=\"28\" width=\"346\" height=\"228\" fill=\"none\" stroke=\"#333\"/>");
    ticks(b, &ax, 0);
    ticks(b, &ay, 1);
    io_buf_str(b, "<text x=\"237\" y=\"292\" text-anchor=\"middle\" font-size=\"12\">");
    gnn_svg_esc(b, c->xlabel, strlen(c->xlabel));
    io_buf_str(b, c->log_x ? " (log)" : "");
    io_buf_str(b, "</text><text x=\"14\" y=\"142\" text-anchor=\"middle\" font-size=\"12\""
                  " transform=\"rotate(-90 14 142)\">");
    gnn_svg_esc(b, c->ylabel, strlen(c->ylabel));
    io_buf_str(b, c->log_y ? " (log)" : "");
    io_buf_str(b, "</text>");
    size_t drawn = 0;
    for (size_t k = 0; k < c->n; k++) {
        const char *col = palette[k % (sizeof palette / sizeof palette[0])];
        const gnn_svg_series_t *s = &c->s[k];
        if (!c->scatter) {   /* the line, then a dot per point (one evaluation is a point) */
            io_buf_str(b, "<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"");
            io_buf_str(b, col);
            io_buf_str(b, "\" points=\"");
            draw(b, c, s, &ax, &ay, NULL);
            io_buf_str(b, "\"/>");
        }
        drawn += draw(b, c, s, &ax, &ay, col);
        /* legend */
        const double ly = MT + 10 + 16.0 * (double)k;
        fmt(b, "<rect x=\"418\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"", ly - 9);
        io_buf_str(b, col);
        fmt(b, "\"/><text x=\"432\" y=\"%.1f\" font-size=\"11\">", ly);
        gnn_svg_esc(b, s->label, strlen(s->label));
        io_buf_str(b, "</text>");
    }
    if (!drawn) io_buf_str(b, "<text x=\"237\" y=\"146\" text-anchor=\"middle\" font-size=\"13\">no data</text>");
    io_buf_str(b, "</svg>\n");
}
