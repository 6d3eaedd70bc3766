/* contrast.h - the contrastive term of XSimGCL (Yu et al., TKDE 2023) in
 * lightgcn's training steps: InfoNCE between two views of the batch's nodes.
 *
 * With hp.cl_weight > 0 (lightgcn, K >= 1) a step propagates E0 once, layer
 * by layer, with noise added after every product:
 *   e'_0 = E0,  e'_k = t_k + sign(t_k) * eps * normalize(u_k),  t_k = A e'_{k-1}
 * u_k uniform in [0,1)^dim per node, drawn from its own stream of (seed, Adam
 * step, k, node): deterministic whatever the threads or the receptive field.
 * The final view F' = mean of e'_0..e'_K is what BPR scores (XSimGCL trains on
 * the perturbed embeddings; evaluation uses the clean ones), and the loss adds
 *   cl_weight * (InfoNCE(F'[U], e'_l[U]) + InfoNCE(F'[I], e'_l[I]))
 * with l = hp.cl_layer, U the step's distinct users, I its distinct positive
 * items (with hp.cl_batch > 0 each set is cut, in batch order, into chunks of
 * at most cl_batch, and an anchor's candidates are its chunk's: the cost of
 * the n x n logits falls to n x cl_batch; the loss stays the mean over the
 * set's anchors), and
 *   InfoNCE(X1, X2) = (1/n) sum_a [ log sum_b exp(s_ab / tau) - s_aa / tau ],
 * s_ab = cos(X1_a, X2_b), tau = hp.cl_temp (SELFRec's, one direction).
 * The sign is a constant of the step, so F' = P E0 + const and e'_l = A^l E0
 * + const: their gradients are summed into one backward pass (prop.c
 * injects the e'_l term at the Horner stage that A^l reaches).
 *
 * gnn_cl_infonce goes through OpenBLAS SGEMM (its sums may depend on its
 * threads); gnn_cl_infonce_ref is its plain twin (tests/test_gradcheck.c).
 */
#ifndef GNNREC_GNN_CONTRAST_H
#define GNNREC_GNN_CONTRAST_H

#include <stdint.h>

/* x1, x2 [n x dim] row-major (anchors, candidates): returns weight *
 * InfoNCE(x1, x2) and sets g1, g2 [n x dim] to its gradients. scratch: NULL,
 * or [n x n + 4 n x dim + 2 n] floats (allocated when NULL; returns NaN when
 * that fails). */
double gnn_cl_infonce(const float *x1, const float *x2, uint32_t n, uint32_t dim, float tau, float weight,
                      float *g1, float *g2, float *scratch, int threads);
double gnn_cl_infonce_ref(const float *x1, const float *x2, uint32_t n, uint32_t dim, float tau, float weight,
                          float *g1, float *g2);
/* The scratch gnn_cl_infonce needs, in floats. */
size_t gnn_cl_scratch(uint32_t n, uint32_t dim);

/* Row r's noise direction at layer k of Adam step `step`: dim uniforms in
 * [0,1), scaled to unit L2 norm, into out. */
void gnn_cl_noise(uint64_t seed, uint64_t step, uint32_t k, uint32_t r, uint32_t dim, float *out);

#endif
