/* fuzz_social.c - libFuzzer harness: --social files (`user user [weight]`,
 * delimiter detected). The whole input is the file. */
#include <math.h>

#include "base/strmap.h"
#include "fuzz/fuzz_common.h"
#include "io/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    strmap_t users;
    io_rows_t rows;
    io_read_stats_t st;
    err_t e = {0};
    FUZZ_CHECK(strmap_init(&users) == 0);
    io_rows_init(&rows);
    int rc = io_read_social(path, &users, &rows, &st, &e);
    if (rc) {
        FUZZ_CHECK_INPUT_ERROR(rc, e, path);
    } else {
        FUZZ_CHECK(rows.n == st.rows && rows.n > 0);
        for (uint64_t i = 0; i < rows.n; i++) {
            FUZZ_CHECK(rows.a[i] < users.n && rows.b[i] < users.n);
            FUZZ_CHECK(isnan(rows.rating[i]) || isfinite(rows.rating[i]));
        }
        uint64_t dropped;
        FUZZ_CHECK(io_rows_dedup(&rows, 0, &dropped, &e) == ERR_OK);
    }
    io_rows_destroy(&rows);
    strmap_destroy(&users);
    return 0;
}
