/* crc.h - CRC-32C (Castagnoli, the iSCSI/ext4/LMDB-free polynomial
 * 0x1EDC6F41, reflected 0x82F63B78, initial and final xor 0xFFFFFFFF): the
 * checksum saved models record per blob (gnn/saved.h) so that a flipped
 * byte in a stored table is found at load instead of serving wrong numbers.
 *
 *   uint32_t c = crc_32c(0, p, n);                 whole buffer
 *   c = crc_32c(crc_32c(0, a, na), b, nb);         == crc_32c(0, a.b, na + nb)
 *
 * crc_32c uses the SSE4.2 crc32 instruction when the CPU has it (x86-64),
 * else the table; crc_32c_ref is the plain byte-at-a-time table version,
 * its reference twin (tests/test_crc.c checks they agree, and the standard
 * check value: "123456789" -> 0xE3069283).
 */
#ifndef GNNREC_BASE_CRC_H
#define GNNREC_BASE_CRC_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc_32c(uint32_t crc, const void *p, size_t n);
uint32_t crc_32c_ref(uint32_t crc, const void *p, size_t n);

#endif
