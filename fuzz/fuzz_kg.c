/* fuzz_kg.c - libFuzzer harness: --kg files (`head relation tail`, KGAT's
 * kg_final.txt), then dedup on (head, relation, tail). The whole input is
 * the file. */
#include "base/strmap.h"
#include "fuzz/fuzz_common.h"
#include "io/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    strmap_t ent, rel;
    io_rows_t rows;
    io_read_stats_t st;
    err_t e = {0};
    FUZZ_CHECK(strmap_init(&ent) == 0 && strmap_init(&rel) == 0);
    io_rows_init(&rows);
    int rc = io_read_kg(path, &ent, &rel, &rows, &st, &e);
    if (rc) {
        FUZZ_CHECK_INPUT_ERROR(rc, e, path);
    } else {
        FUZZ_CHECK(rows.n == st.rows && rows.n > 0);
        for (uint64_t i = 0; i < rows.n; i++)
            FUZZ_CHECK(rows.a[i] < ent.n && rows.b[i] < ent.n && rows.r[i] < rel.n);
        uint64_t n0 = rows.n, dropped;
        FUZZ_CHECK(io_rows_dedup(&rows, 1, &dropped, &e) == ERR_OK);
        FUZZ_CHECK(rows.n + dropped == n0);
    }
    io_rows_destroy(&rows);
    strmap_destroy(&ent);
    strmap_destroy(&rel);
    return 0;
}
