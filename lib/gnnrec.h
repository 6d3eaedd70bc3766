/* gnnrec.h - the public C API of libgnnrec: recommendations from a gnnrec
 * store and the models `gnnrec train` saved in it.
 *
 *   #include <gnnrec.h>       cc prog.c $(pkg-config --cflags --libs gnnrec)
 *
 *   gnnrec_store_t *store;
 *   gnnrec_model_t *model;
 *   const char *items[10];
 *   float scores[10];
 *   size_t n;
 *   int rc = gnnrec_store_open("shop.store", &store);
 *   if (rc) { fprintf(stderr, "%s\n", gnnrec_store_errmsg(store)); gnnrec_store_close(store); return 1; }
 *   if ((rc = gnnrec_model_open(store, NULL, &model)) == GNNREC_OK) {
 *       if ((rc = gnnrec_topk(model, "u42", 10, items, scores, &n)) == GNNREC_OK)
 *           for (size_t i = 0; i < n; i++) printf("%s\t%g\n", items[i], scores[i]);
 *       else fprintf(stderr, "%s\n", gnnrec_model_errmsg(model));
 *       gnnrec_model_close(model);
 *   } else fprintf(stderr, "%s\n", gnnrec_store_errmsg(store));
 *   gnnrec_store_close(store);
 *
 * Conventions (those of lmdb.h):
 * - Every call that can fail returns an int: GNNREC_OK (0) or one of the
 *   GNNREC_E* codes below; gnnrec_strerror(code) names a code.
 * - The message of the last failure (input errors read `FILE:LINE: what is
 *   wrong`, unknown ids are named) is kept on the handle the call was given:
 *   gnnrec_store_errmsg(store), gnnrec_model_errmsg(model). A failed
 *   gnnrec_model_open leaves its message on the store. gnnrec_store_open
 *   returns a handle even when it fails (like sqlite3_open), so that its
 *   message can be read; close it all the same. Only when memory for the
 *   handle itself is lacking is *store NULL (GNNREC_ENOMEM).
 * - Out-parameters come last. Each open has its close; a close of NULL is a
 *   no-op. Close every model of a store before the store.
 * - Ids are the external ids of the input files (NUL-terminated strings).
 *   Item ids returned by a call point into the model handle and stay valid
 *   until gnnrec_model_close.
 * - The library never prints, never exits and never writes to the store.
 * - A model handle holds one LMDB read transaction: a snapshot of the store
 *   as it was at gnnrec_model_open (a model retrained meanwhile is seen at
 *   the next open). Handles are not for concurrent use: call the library
 *   from one thread at a time (its ranking uses OpenMP and OpenBLAS inside).
 *
 * Rankings are those of `gnnrec infer` (the same code: gnn/scorer.h's job
 * loop): the same items in the same order with the same scores, the user's
 * training items excluded.
 */
#ifndef GNNREC_H
#define GNNREC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GNNREC_VERSION "0.1.0"

/* Return codes (the same numbers as the command's internal codes). */
enum {
    GNNREC_OK = 0,
    GNNREC_EUSAGE = 1,    /* a bad argument, or a call the model does not support */
    GNNREC_EINPUT = 2,    /* malformed input */
    GNNREC_ENOTFOUND = 3, /* no such store, model, user or item */
    GNNREC_EIO = 4,       /* an operating-system I/O failure */
    GNNREC_ENOMEM = 5,    /* out of memory */
    GNNREC_ESTORE = 6,    /* an LMDB failure, or a corrupt store */
    GNNREC_EINTERNAL = 7  /* a bug */
};

typedef struct gnnrec_store gnnrec_store_t;   /* an open store (read-only) */
typedef struct gnnrec_model gnnrec_model_t;   /* a saved model opened for ranking */

/* A short name of a return code ("not found"); never NULL. */
const char *gnnrec_strerror(int code);
/* The message of the handle's last failure ("" if none); never NULL, also
 * for a NULL handle. Valid until the next call on the handle. */
const char *gnnrec_store_errmsg(const gnnrec_store_t *store);
const char *gnnrec_model_errmsg(const gnnrec_model_t *model);

/* Open the store in directory path, read-only. ENOTFOUND: no store there. */
int gnnrec_store_open(const char *path, gnnrec_store_t **store);
void gnnrec_store_close(gnnrec_store_t *store);

/* Call fn(name, ctx) for every saved model, in byte order of the names; a non-zero
 * return from fn stops the walk and is returned. */
int gnnrec_models_list(gnnrec_store_t *store, int (*fn)(const char *name, void *ctx), void *ctx);

/* Open saved model `name`; NULL: the store's only model (EUSAGE when it has
 * several, ENOTFOUND when none; the message lists them). EUSAGE "retrain"
 * when the store has users or items appended since the model was trained. */
int gnnrec_model_open(gnnrec_store_t *store, const char *name, gnnrec_model_t **model);
void gnnrec_model_close(gnnrec_model_t *model);

/* What a model is: its architecture ("lightgcn", "mf", "pop", "gf-cf",
 * ...), and the users and items it knows. */
int gnnrec_model_info(const gnnrec_model_t *model, const char **arch, size_t *n_users, size_t *n_items);

/* The k best items for stored user `user`, best first, without the user's
 * training items: items[0..*n) and scores[0..*n), both arrays of k entries
 * given by the caller. *n < k when fewer items are left (a k larger than
 * the catalogue is fine). ENOTFOUND: an unknown user; EUSAGE: k == 0. */
int gnnrec_topk(gnnrec_model_t *model, const char *user, size_t k, const char **items, float *scores,
                size_t *n);

/* The k items nearest to item `item` by cosine of the final embeddings
 * (not the item itself), as `gnnrec infer --similar-items`. EUSAGE for a
 * model without embeddings (pop, gf-cf, bspm). */
int gnnrec_similar_items(gnnrec_model_t *model, const char *item, size_t k, const char **items, float *scores,
                         size_t *n);

/* The model's scores of candidate items items[0..n) for user `user`:
 * scores[i] for items[i], the score gnnrec_topk gives the item (training
 * items are scored too). ENOTFOUND names the first unknown user or item.
 * Costs one scoring of the whole catalogue for the user. */
int gnnrec_score_candidates(gnnrec_model_t *model, const char *user, const char *const *items, size_t n,
                            float *scores);

#ifdef __cplusplus
}
#endif

#endif
