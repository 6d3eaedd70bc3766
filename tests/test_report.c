/* test_report.c - the report's pieces that a page cannot show wrong
 * without anyone noticing: the Gini coefficient against values worked by
 * hand, HTML escaping of hostile names, and an SVG chart's points placed on
 * the axes' range (gnn/report.h, gnn/svg.h). */
#include <string.h>

#include "check.h"
#include "gnn/report.h"
#include "gnn/svg.h"

static int has(const io_buf_t *b, const char *s)
{
    size_t l = strlen(s);
    for (size_t i = 0; i + l <= b->n; i++)
        if (!memcmp(b->p + i, s, l)) return 1;
    return 0;
}

int main(void)
{
    double eq[4] = {3, 3, 3, 3}, one[4] = {0, 5, 0, 0}, lin[4] = {4, 1, 3, 2}, zero[3] = {0, 0, 0};
    CHECK_NEAR(gnn_report_gini(eq, 4), 0.0, 1e-12);
    CHECK_NEAR(gnn_report_gini(one, 4), 0.75, 1e-12);          /* (n - 1) / n */
    /* 1,2,3,4: sum (2i - n - 1) x_i = -3 - 2 + 3 + 12 = 10; / (4 * 10) */
    CHECK_NEAR(gnn_report_gini(lin, 4), 0.25, 1e-12);
    CHECK_NEAR(gnn_report_gini(zero, 3), 0.0, 0);
    CHECK_NEAR(gnn_report_gini(NULL, 0), 0.0, 0);

    err_t e;
    io_buf_t b;
    CHECK_EQ_INT(io_buf_init(&b, 0, &e), ERR_OK);
    const char name[] = "<script>a&b\"c'\x1b";
    gnn_svg_esc(&b, name, strlen(name));
    CHECK(b.n == strlen("&lt;script&gt;a&amp;b&quot;c&#39;") && !memcmp(b.p, "&lt;script&gt;a&amp;b&quot;c&#39;", b.n));

    b.n = 0;
    const double x[3] = {1, 2, 3}, y[3] = {10, 20, 30};
    gnn_svg_series_t s = {"<m>", x, y, 3};
    gnn_svg_chart(&b, &(gnn_svg_chart_t){.title = "t", .xlabel = "x", .ylabel = "y", .s = &s, .n = 1});
    io_buf_put(&b, "", 1);
    CHECK(has(&b, "<svg ") && has(&b, "</svg>") && has(&b, "&lt;m&gt;") && !has(&b, "<m>"));
    /* x 1..3 spans the plot's 64..410 px: the first point at 64, the last at 410 */
    CHECK(has(&b, "points=\"64.0,") && has(&b, " 410.0,"));
    CHECK(!has(&b, "no data"));
    b.n = 0;
    const double neg[2] = {-1, 0};
    gnn_svg_series_t sn = {"n", neg, neg, 2};
    gnn_svg_chart(&b, &(gnn_svg_chart_t){.title = "t", .xlabel = "x", .ylabel = "y", .log_x = 1, .log_y = 1,
                                         .scatter = 1, .s = &sn, .n = 1});
    io_buf_put(&b, "", 1);
    CHECK(has(&b, "no data") && !has(&b, "<circle"));   /* nothing <= 0 on a log axis */
    io_buf_destroy(&b);
    return check_report();
}
