/* fuzz_adj.c - libFuzzer harness: interaction files in the LightGCN `adj`
 * format (`user item item ...`), then dedup and the --split kinds. See
 * fuzz_interactions.h for the input layout. */
#include "fuzz/fuzz_interactions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_interactions(data, size, IO_FORMAT_ADJ);
}
