/* test_crc.c - CRC-32C (base/crc.h) against the standard check value and
 * RFC 3720's test vectors, in both versions; the fast path against its
 * table twin on every length and offset up to 300 bytes; and the running
 * form (crc of a then b == crc of a.b). */
#include <string.h>

#include "base/crc.h"
#include "base/rng.h"
#include "tests/check.h"

int main(void)
{
    unsigned char b[32];
    uint32_t (*const fn[2])(uint32_t, const void *, size_t) = {crc_32c, crc_32c_ref};
    for (int f = 0; f < 2; f++) {
        CHECK_EQ_INT(fn[f](0, "123456789", 9), 0xE3069283u);
        CHECK_EQ_INT(fn[f](0, "", 0), 0u);
        memset(b, 0, sizeof b);
        CHECK_EQ_INT(fn[f](0, b, 32), 0x8A9136AAu);          /* RFC 3720 B.4: 32 bytes of zeros */
        memset(b, 0xff, sizeof b);
        CHECK_EQ_INT(fn[f](0, b, 32), 0x62A8AB43u);          /* 32 bytes of 0xFF */
        for (int i = 0; i < 32; i++) b[i] = (unsigned char)i;
        CHECK_EQ_INT(fn[f](0, b, 32), 0x46DD794Eu);          /* 0x00..0x1F */
        for (int i = 0; i < 32; i++) b[i] = (unsigned char)(31 - i);
        CHECK_EQ_INT(fn[f](0, b, 32), 0x113FDB5Cu);          /* 0x1F..0x00 */
    }
    unsigned char buf[320];
    rng_t r;
    rng_seed(&r, 7);
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)rng_u64(&r);
    int wrong = 0;
    for (size_t off = 0; off < 16; off++)
        for (size_t n = 0; n + off <= 300; n++) wrong += crc_32c(0, buf + off, n) != crc_32c_ref(0, buf + off, n);
    CHECK_EQ_INT(wrong, 0);
    for (size_t cut = 0; cut <= 300; cut += 7)
        wrong += crc_32c(crc_32c(0, buf, cut), buf + cut, 300 - cut) != crc_32c(0, buf, 300);
    CHECK_EQ_INT(wrong, 0);
    /* one flipped bit anywhere changes it */
    uint32_t c0 = crc_32c(0, buf, 300);
    for (size_t i = 0; i < 300 * 8; i += 13) {
        buf[i / 8] ^= (unsigned char)(1u << (i % 8));
        wrong += crc_32c(0, buf, 300) == c0;
        buf[i / 8] ^= (unsigned char)(1u << (i % 8));
    }
    CHECK_EQ_INT(wrong, 0);
    return check_report();
}
