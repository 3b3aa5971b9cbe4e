/* Shared by the lib/crypto host tests: hex decoding, the result names the drivers print,
 * and a small seeded generator so that every random case can be replayed from its seed. */
#ifndef CRYPTO_TEST_UTIL_H
#define CRYPTO_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto.h"

static inline int ctu_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes exactly n hex digits pairs from s into out; returns bytes written or -1. */
static inline long ctu_unhex(uint8_t *out, size_t cap, const char *s, size_t n_chars)
{
    if (n_chars % 2 || n_chars / 2 > cap)
        return -1;
    for (size_t i = 0; i < n_chars / 2; i++) {
        int hi = ctu_hexval((unsigned char)s[2 * i]), lo = ctu_hexval((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(n_chars / 2);
}

static inline const char *ctu_result_name(crypto_result r)
{
    static const char *const names[CRYPTO_RESULT_COUNT] = {
        [CRYPTO_OK] = "OK",
        [CRYPTO_ERR_ARGUMENT] = "ARGUMENT",
        [CRYPTO_ERR_LENGTH] = "LENGTH",
        [CRYPTO_ERR_S_NONCANONICAL] = "S_NONCANONICAL",
        [CRYPTO_ERR_A_NONCANONICAL] = "A_NONCANONICAL",
        [CRYPTO_ERR_A_NOT_ON_CURVE] = "A_NOT_ON_CURVE",
        [CRYPTO_ERR_A_SMALL_ORDER] = "A_SMALL_ORDER",
        [CRYPTO_ERR_A_TORSION] = "A_TORSION",
        [CRYPTO_ERR_R_NONCANONICAL] = "R_NONCANONICAL",
        [CRYPTO_ERR_R_NOT_ON_CURVE] = "R_NOT_ON_CURVE",
        [CRYPTO_ERR_R_SMALL_ORDER] = "R_SMALL_ORDER",
        [CRYPTO_ERR_EQUATION] = "EQUATION",
    };
    if ((unsigned)r >= CRYPTO_RESULT_COUNT || !names[r])
        return "UNKNOWN";
    return names[r];
}

/* splitmix64: reproducible streams from a printed seed. */
static inline uint64_t ctu_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static inline void ctu_rand_bytes(uint64_t *state, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(ctu_rand(state) >> 32);
}

#endif
