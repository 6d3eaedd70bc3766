/* replay.c - main() for the harnesses when the compiler has no libFuzzer
 * (gcc): runs LLVMFuzzerTestOneInput once on every file named on the
 * command line and every file in a named directory (not recursive). Built
 * with -Db_sanitize=address,undefined this replays the seed corpus and the
 * regression inputs of tests/regress/ under the sanitizers in plain CI.
 * Prints "replayed N inputs"; exits 1 if a file cannot be read (a crash or
 * a failed invariant aborts the process, which is the failure). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 1; }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t r; buf && (r = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += r;
        if (n == cap) {
            uint8_t *p = realloc(buf, cap *= 2);
            if (!p) { free(buf); buf = NULL; }
            buf = p;
        }
    }
    fclose(f);
    if (!buf) { fprintf(stderr, "%s: out of memory\n", path); return 1; }
    /* a copy of exactly n bytes, so ASan sees reads past the input's end */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) { free(buf); return 1; }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    int bad = 0;
    long count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) { perror(argv[i]); bad = 1; continue; }
        if (!S_ISDIR(st.st_mode)) { bad |= run_file(argv[i]); count++; continue; }
        DIR *d = opendir(argv[i]);
        if (!d) { perror(argv[i]); bad = 1; continue; }
        struct dirent *ent;
        while ((ent = readdir(d))) {
            if (ent->d_name[0] == '.') continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", argv[i], ent->d_name);
            if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) { bad |= run_file(p); count++; }
        }
        closedir(d);
    }
    printf("replayed %ld inputs\n", count);
    return bad;
}
