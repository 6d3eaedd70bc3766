/* test_file.c - io/file.h: a whole file read (content and length, the size
 * cap as an input error, a missing file as an I/O error naming it) and the
 * inside-a-directory rule (a file, a new file, a symlink out, a dangling
 * symlink, a missing parent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/file.h"
#include "tests/check.h"

int main(void)
{
    char dir[] = "/tmp/test_file.XXXXXX", p[128], q[128];
    if (!mkdtemp(dir)) return 1;
    err_t e = {0};
    char *buf = NULL;
    size_t len = 0;
    snprintf(p, sizeof p, "%s/a.yaml", dir);
    FILE *f = fopen(p, "w");
    for (int i = 0; i < 3000; i++) fputs("ab", f);   /* 6000 bytes: past the first 4096 */
    fclose(f);
    CHECK_EQ_INT(io_file_read(p, 1 << 20, "config", &buf, &len, &e), ERR_OK);
    CHECK_EQ_INT(len, 6000);
    CHECK(buf && buf[0] == 'a' && buf[5999] == 'b');
    free(buf);
    CHECK_EQ_INT(io_file_read(p, 4096, "config", &buf, &len, &e), ERR_INPUT);
    CHECK_MSG(strstr(e.msg, "too large for a config") && strstr(e.msg, p), "%s", e.msg);
    snprintf(q, sizeof q, "%s/none", dir);
    CHECK_EQ_INT(io_file_read(q, 4096, "config", &buf, &len, &e), ERR_IO);
    CHECK_MSG(strstr(e.msg, "cannot open config") && strstr(e.msg, q), "%s", e.msg);

    CHECK_EQ_INT(io_path_inside(dir, p), 1);             /* an existing file */
    CHECK_EQ_INT(io_path_inside(dir, q), 1);             /* a new file: its parent */
    snprintf(q, sizeof q, "%s/out", dir);
    CHECK(symlink("/tmp", q) == 0);
    snprintf(q, sizeof q, "%s/out/x", dir);
    CHECK_EQ_INT(io_path_inside(dir, q), 0);             /* through a symlink to outside */
    snprintf(q, sizeof q, "%s/dangling", dir);
    CHECK(symlink("/nonexistent/x", q) == 0);
    CHECK_EQ_INT(io_path_inside(dir, q), 0);
    snprintf(q, sizeof q, "%s/no/such/file", dir);
    CHECK_EQ_INT(io_path_inside(dir, q), -1);
    CHECK_EQ_INT(io_path_inside("/", p), 1);

    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) return 1;
    return check_report();
}
