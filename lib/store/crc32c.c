/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78) for the file store: the software
 * version (slicing by 8 over tables) and, where the core has Zbc, carry-less multiplication;
 * and a copy that checksums the words it moves (store_crc32c_copy). */
#include "store.h"

#include <stdint.h>

static uint32_t crc_tab[8][256];
static int crc_ready;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
    crc_ready = 1;
}

/* Eight bytes x (the first in the low bits) after the running, inverted, crc: slicing by 8. */
static inline uint32_t crc_sw_word(uint32_t crc, uint64_t x)
{
    x ^= crc;
    return crc_tab[7][x & 0xff] ^ crc_tab[6][(x >> 8) & 0xff] ^ crc_tab[5][(x >> 16) & 0xff] ^
           crc_tab[4][(x >> 24) & 0xff] ^ crc_tab[3][(x >> 32) & 0xff] ^
           crc_tab[2][(x >> 40) & 0xff] ^ crc_tab[1][(x >> 48) & 0xff] ^ crc_tab[0][x >> 56];
}

/* A word as loaded, in the order the CRC takes its bytes: the first byte in the low bits. */
static inline uint64_t crc_le(uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

uint32_t store_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (!crc_ready)
        crc_init();
    crc = ~crc;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Aligned (every sector buffer is): one 64-bit load per eight bytes, and each table
     * index taken as byte * 4 straight from the word, so a byte costs a shift, a mask,
     * an add, a load and an xor (about 5.5 instructions a byte on rv64, against 7). */
    if (((uintptr_t)p & 7u) == 0) {
        const uint8_t *t0 = (const uint8_t *)crc_tab[0], *t1 = (const uint8_t *)crc_tab[1];
        const uint8_t *t2 = (const uint8_t *)crc_tab[2], *t3 = (const uint8_t *)crc_tab[3];
        const uint8_t *t4 = (const uint8_t *)crc_tab[4], *t5 = (const uint8_t *)crc_tab[5];
        const uint8_t *t6 = (const uint8_t *)crc_tab[6], *t7 = (const uint8_t *)crc_tab[7];
#define CRC_AT(t, x, s) (*(const uint32_t *)((t) + (((x) >> (s)) & 0x3fcu)))
        for (; len >= 8; p += 8, len -= 8) {
            uint64_t x;
            __builtin_memcpy(&x, __builtin_assume_aligned(p, 8), 8);
            x ^= crc;
            crc = *(const uint32_t *)(t7 + ((x << 2) & 0x3fcu)) ^ CRC_AT(t6, x, 6) ^
                  CRC_AT(t5, x, 14) ^ CRC_AT(t4, x, 22) ^ CRC_AT(t3, x, 30) ^
                  CRC_AT(t2, x, 38) ^ CRC_AT(t1, x, 46) ^ CRC_AT(t0, x, 54);
        }
#undef CRC_AT
    }
#endif
    while (len >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24);
        crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
              crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^ crc_tab[3][p[4]] ^
              crc_tab[2][p[5]] ^ crc_tab[1][p[6]] ^ crc_tab[0][p[7]];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

/* The carry-less multiplication path: each aligned 64-bit word w, with the running CRC c in
 * its low half, becomes (c ^ w) * x^32 mod P by Barrett reduction (docs/store.md, "CRC32C"):
 * in the reflected bit order, with mu = floor(x^96 / P) (65 bits) and P (33 bits),
 *   t = r ^ (clmul(r, rev64(mu mod x^64)) << 1)     (the quotient, reflected)
 *   c = clmulr(t, rev32(P mod x^32) << 32) >> 32     (the remainder, reflected)
 * Nine instructions per eight bytes, the loop's included, against about 43 for the tables.
 * STORE_CRC32C_CLMUL_MODEL builds the same path with clmul and clmulr written in portable
 * C, so a host test can check the algorithm against the tables; the guest build uses the
 * instructions when -march names Zbc (and STORE_CRC32C_SOFT is not defined). */
#if defined(STORE_CRC32C_CLMUL_MODEL) || (defined(__riscv_zbc) && !defined(STORE_CRC32C_SOFT))
#define STORE_CRC32C_HAS_CLMUL 1
#define CRC_MU_REFLECTED UINT64_C(0xa434f61c6f5389f8)
#define CRC_P_REFLECTED UINT64_C(0x82f63b7800000000)
/* rev64(x^191 mod P) and rev64(x^127 mod P): the folding constants (computed by polynomial
 * division; the extra factor x absorbs the one-bit shift of a reflected product). */
#define CRC_K191 UINT64_C(0x3743f7bd00000000)
#define CRC_K127 UINT64_C(0x3171d43000000000)

#if defined(STORE_CRC32C_CLMUL_MODEL)
/* The low 64 bits of the carry-less product. */
static uint64_t crc_clmul(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 64; i++)
        if ((b >> i) & 1u)
            r ^= a << i;
    return r;
}

/* The high 64 bits of the carry-less product (bits 127..64). */
static uint64_t crc_clmulh(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (unsigned i = 1; i < 64; i++)
        if ((b >> i) & 1u)
            r ^= a >> (64 - i);
    return r;
}

/* Bits 126..63 of the carry-less product. */
static uint64_t crc_clmulr(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 64; i++)
        if ((b >> i) & 1u)
            r ^= a >> (63 - i);
    return r;
}
#else
static inline uint64_t crc_clmul(uint64_t a, uint64_t b)
{
    uint64_t r;
    __asm__("clmul %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline uint64_t crc_clmulh(uint64_t a, uint64_t b)
{
    uint64_t r;
    __asm__("clmulh %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline uint64_t crc_clmulr(uint64_t a, uint64_t b)
{
    uint64_t r;
    __asm__("clmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
#endif

/* An aligned 64-bit word as the CRC sees it: the first byte in the low bits. */
static inline uint64_t crc_word(const uint8_t *p)
{
    uint64_t r;
    __builtin_memcpy(&r, __builtin_assume_aligned(p, 8), 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    r = __builtin_bswap64(r);
#endif
    return r;
}

/* One word's Barrett step: (c ^ r) * x^32 mod P, reflected (the comment above). */
static inline uint64_t crc_reduce(uint64_t c, uint64_t r)
{
    r ^= c;
    uint64_t t = r ^ (crc_clmul(r, CRC_MU_REFLECTED) << 1);
    return crc_clmulr(t, CRC_P_REFLECTED) >> 32;
}

static uint32_t crc_clmul_path(uint32_t crc, const uint8_t *p, size_t len)
{
    if (!crc_ready)
        crc_init();
    crc = ~crc;
    /* Bytes up to an 8-byte boundary, then words (the loads must be aligned: a core may
     * trap on, or emulate, a misaligned one), then the tail. */
    while (len > 0 && ((uintptr_t)p & 7u) != 0) {
        crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
        len--;
    }
    /* c is 64 bits wide so that it stays zero-extended (srli) and needs no zext.w. */
    uint64_t c = crc;
    if (len >= 32) {
        /* Folding: a 128-bit state s0:s1 (s0 the earlier word) congruent, mod P, with
         * everything read so far; each 16 bytes d0:d1 make it s*x^128 + d, with
         * s0*x^192 and s1*x^128 replaced by s0*x*(x^191 mod P) and s1*x*(x^127 mod P),
         * products of at most 96 bits that clmul (low half) and clmulh (high half) give
         * straight in the reflected order (docs/store.md, "CRC32C"). No reduction inside
         * the loop: 10 instructions per 16 bytes plus the loop's, against 14. */
        uint64_t s0 = crc_word(p) ^ c, s1 = crc_word(p + 8);
        p += 16;
        len -= 16;
        for (; len >= 32; p += 32, len -= 32) {
            uint64_t n0 = crc_clmul(s0, CRC_K191) ^ crc_clmul(s1, CRC_K127) ^ crc_word(p);
            uint64_t n1 = crc_clmulh(s0, CRC_K191) ^ crc_clmulh(s1, CRC_K127) ^ crc_word(p + 8);
            s0 = crc_clmul(n0, CRC_K191) ^ crc_clmul(n1, CRC_K127) ^ crc_word(p + 16);
            s1 = crc_clmulh(n0, CRC_K191) ^ crc_clmulh(n1, CRC_K127) ^ crc_word(p + 24);
        }
        if (len >= 16) {
            uint64_t n0 = crc_clmul(s0, CRC_K191) ^ crc_clmul(s1, CRC_K127) ^ crc_word(p);
            s1 = crc_clmulh(s0, CRC_K191) ^ crc_clmulh(s1, CRC_K127) ^ crc_word(p + 8);
            s0 = n0;
            p += 16;
            len -= 16;
        }
        /* The state's two words through the ordinary step, as if they were data. */
        c = crc_reduce(crc_reduce(0, s0), s1);
    }
    for (; len >= 8; p += 8, len -= 8)
        c = crc_reduce(c, crc_word(p));
    crc = (uint32_t)c;
    while (len--)
        crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

/* The fold of crc_clmul_path over words that are copied as they are read: each word is
 * loaded once (volatile: the compiler may neither load it again nor drop the store), stored
 * to d and folded from the same register. 64 bytes a turn, so the loop's own three
 * instructions are spread thinner. c is the inverted running CRC. */
#define CRC_FOLD(a, b)                                                                     \
    do {                                                                                   \
        uint64_t f0 = crc_clmul(s0, CRC_K191) ^ crc_clmul(s1, CRC_K127) ^ crc_le(a);        \
        s1 = crc_clmulh(s0, CRC_K191) ^ crc_clmulh(s1, CRC_K127) ^ crc_le(b);               \
        s0 = f0;                                                                           \
    } while (0)
static uint64_t crc_copy_words(uint64_t c, volatile uint64_t *d, const volatile uint64_t *s,
                               size_t words)
{
    if (words >= 4) {
        uint64_t a = s[0], b = s[1];
        d[0] = a;
        d[1] = b;
        uint64_t s0 = crc_le(a) ^ c, s1 = crc_le(b);
        s += 2;
        d += 2;
        words -= 2;
        for (; words >= 8; s += 8, d += 8, words -= 8) {
            uint64_t w0 = s[0], w1 = s[1], w2 = s[2], w3 = s[3];
            uint64_t w4 = s[4], w5 = s[5], w6 = s[6], w7 = s[7];
            d[0] = w0;
            d[1] = w1;
            d[2] = w2;
            d[3] = w3;
            d[4] = w4;
            d[5] = w5;
            d[6] = w6;
            d[7] = w7;
            CRC_FOLD(w0, w1);
            CRC_FOLD(w2, w3);
            CRC_FOLD(w4, w5);
            CRC_FOLD(w6, w7);
        }
        for (; words >= 2; s += 2, d += 2, words -= 2) {
            uint64_t w0 = s[0], w1 = s[1];
            d[0] = w0;
            d[1] = w1;
            CRC_FOLD(w0, w1);
        }
        c = crc_reduce(crc_reduce(0, s0), s1);
    }
    for (; words > 0; s++, d++, words--) {
        uint64_t w = *s;
        *d = w;
        c = crc_reduce(c, crc_le(w));
    }
    return c;
}

/* Whole sectors (64 words each), one CRC per sector: the constants stay in registers and
 * there is no call, no length test and no short loop per sector; the first 8 words seed
 * the state and fold three times, the other seven groups of 8 fold four times each. */
_Static_assert(STORE_SECTOR % 64u == 0 && STORE_SECTOR >= 64u, "a sector is whole 64-byte groups");
static void crc_copy_sectors(volatile uint64_t *d, const volatile uint64_t *s, uint32_t count,
                             uint32_t *sums)
{
    for (uint32_t n = 0; n < count; n++) {
        uint64_t w0 = s[0], w1 = s[1], w2 = s[2], w3 = s[3];
        uint64_t w4 = s[4], w5 = s[5], w6 = s[6], w7 = s[7];
        d[0] = w0;
        d[1] = w1;
        d[2] = w2;
        d[3] = w3;
        d[4] = w4;
        d[5] = w5;
        d[6] = w6;
        d[7] = w7;
        uint64_t s0 = crc_le(w0) ^ UINT64_C(0xffffffff), s1 = crc_le(w1);
        CRC_FOLD(w2, w3);
        CRC_FOLD(w4, w5);
        CRC_FOLD(w6, w7);
        s += 8;
        d += 8;
        for (uint32_t g = 1; g < STORE_SECTOR / 64u; g++, s += 8, d += 8) {
            w0 = s[0], w1 = s[1], w2 = s[2], w3 = s[3];
            w4 = s[4], w5 = s[5], w6 = s[6], w7 = s[7];
            d[0] = w0;
            d[1] = w1;
            d[2] = w2;
            d[3] = w3;
            d[4] = w4;
            d[5] = w5;
            d[6] = w6;
            d[7] = w7;
            CRC_FOLD(w0, w1);
            CRC_FOLD(w2, w3);
            CRC_FOLD(w4, w5);
            CRC_FOLD(w6, w7);
        }
        sums[n] = ~(uint32_t)crc_reduce(crc_reduce(0, s0), s1);
    }
}
#undef CRC_FOLD
#else
/* The table version of the same: each word loaded once, stored, then looked up. */
static uint64_t crc_copy_words(uint64_t c, volatile uint64_t *d, const volatile uint64_t *s,
                               size_t words)
{
    uint32_t crc = (uint32_t)c;
    for (; words > 0; s++, d++, words--) {
        uint64_t w = *s;
        *d = w;
        crc = crc_sw_word(crc, crc_le(w));
    }
    return crc;
}
#endif

uint32_t store_crc32c_copy(uint32_t crc, volatile void *dst, const volatile void *src, size_t len)
{
    volatile uint8_t *d = dst;
    const volatile uint8_t *s = src;
    if (!crc_ready)
        crc_init();
    crc = ~crc;
    /* Words only when both ends are 8-byte aligned (every sector buffer of the storage
     * stack is); a core may trap on, or emulate, a misaligned load. */
    if ((((uintptr_t)d | (uintptr_t)s) & 7u) == 0 && len >= 8) {
        size_t words = len / 8u;
        crc = (uint32_t)crc_copy_words(crc, (volatile uint64_t *)dst,
                                       (const volatile uint64_t *)src, words);
        d += words * 8u;
        s += words * 8u;
        len -= words * 8u;
    }
    for (; len > 0; len--) {
        uint8_t b = *s++;
        *d++ = b;
        crc = (crc >> 8) ^ crc_tab[0][(crc ^ b) & 0xff];
    }
    return ~crc;
}

void store_crc32c_copy_sectors(volatile void *dst, const volatile void *src, uint32_t count,
                               uint32_t *sums)
{
#if defined(STORE_CRC32C_HAS_CLMUL)
    if ((((uintptr_t)dst | (uintptr_t)src) & 7u) == 0) {
        crc_copy_sectors((volatile uint64_t *)dst, (const volatile uint64_t *)src, count, sums);
        return;
    }
#endif
    volatile uint8_t *d = dst;
    const volatile uint8_t *s = src;
    for (uint32_t n = 0; n < count; n++)
        sums[n] = store_crc32c_copy(0, d + (size_t)n * STORE_SECTOR, s + (size_t)n * STORE_SECTOR,
                                    STORE_SECTOR);
}

uint32_t store_crc32c(uint32_t crc, const void *buf, size_t len)
{
#if defined(STORE_CRC32C_HAS_CLMUL)
    return crc_clmul_path(crc, buf, len);
#else
    return store_crc32c_sw(crc, buf, len);
#endif
}

int store_crc32c_uses_clmul(void)
{
#if defined(STORE_CRC32C_HAS_CLMUL)
    return 1;
#else
    return 0;
#endif
}
