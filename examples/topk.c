/* topk.c - the user's 10 best items from a gnnrec store, as item<TAB>score
 * lines: the same items in the same order as
 * `gnnrec infer --store STORE --model MODEL --users USER --k 10`.
 *
 *   cc topk.c $(pkg-config --cflags --libs gnnrec) -o topk
 *   ./topk STORE MODEL USER
 *
 * An example of the library API (gnnrec.h): open, rank, close, and every
 * failure reported with the handle's message (exit 1; 2 for bad usage).
 */
#include <stdio.h>

#include <gnnrec.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: topk STORE MODEL USER\n");
        return 2;
    }
    gnnrec_store_t *store = NULL;
    gnnrec_model_t *model = NULL;
    const char *items[10];
    float scores[10];
    size_t n = 0;
    int rc = gnnrec_store_open(argv[1], &store);
    if (rc) {
        fprintf(stderr, "topk: %s: %s\n", argv[1], store ? gnnrec_store_errmsg(store) : gnnrec_strerror(rc));
        gnnrec_store_close(store);
        return 1;
    }
    if ((rc = gnnrec_model_open(store, argv[2], &model))) {
        fprintf(stderr, "topk: %s\n", gnnrec_store_errmsg(store));
    } else if ((rc = gnnrec_topk(model, argv[3], 10, items, scores, &n))) {
        fprintf(stderr, "topk: %s\n", gnnrec_model_errmsg(model));
    } else {
        /* %g: the score as infer prints it (6 significant digits) */
        for (size_t i = 0; i < n; i++) printf("%s\t%g\n", items[i], scores[i]);
        if (fflush(stdout) || ferror(stdout)) {
            perror("topk: writing standard output");
            rc = GNNREC_EIO;
        }
    }
    gnnrec_model_close(model);
    gnnrec_store_close(store);
    return rc ? 1 : 0;
}
