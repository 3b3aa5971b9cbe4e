/* SHA-256 (FIPS 180-4), one block at a time with the round constants as its only table:
 * small rather than fast; its callers hash test transfers and benchmark workloads. */
#include "sha256.h"

static const uint32_t crypto_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t crypto_sha256_ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32u - n));
}

void crypto_sha256_iv(uint32_t h[8])
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (unsigned i = 0; i < 8; i++)
        h[i] = iv[i];
}

void crypto_sha256_compress(uint32_t h[8], const uint8_t block[64])
{
    uint32_t w[64];
    for (unsigned i = 0; i < 16; i++)
        w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
               (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
    for (unsigned i = 16; i < 64; i++) {
        uint32_t s0 = crypto_sha256_ror(w[i - 15], 7) ^ crypto_sha256_ror(w[i - 15], 18) ^
                      (w[i - 15] >> 3);
        uint32_t s1 = crypto_sha256_ror(w[i - 2], 17) ^ crypto_sha256_ror(w[i - 2], 19) ^
                      (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (unsigned i = 0; i < 64; i++) {
        uint32_t t1 = hh + (crypto_sha256_ror(e, 6) ^ crypto_sha256_ror(e, 11) ^
                            crypto_sha256_ror(e, 25)) +
                      ((e & f) ^ (~e & g)) + crypto_sha256_k[i] + w[i];
        uint32_t t2 = (crypto_sha256_ror(a, 2) ^ crypto_sha256_ror(a, 13) ^
                       crypto_sha256_ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

void crypto_sha256_init(crypto_sha256_ctx *ctx)
{
    crypto_sha256_iv(ctx->h);
    ctx->total = 0;
    ctx->used = 0;
}

void crypto_sha256_update(crypto_sha256_ctx *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    ctx->total += len;
    size_t i = 0;
    /* Whole blocks straight from the input when nothing is buffered. */
    if (ctx->used == 0)
        for (; i + 64 <= len; i += 64)
            crypto_sha256_compress(ctx->h, p + i);
    for (; i < len; i++) {
        ctx->block[ctx->used++] = p[i];
        if (ctx->used == 64) {
            crypto_sha256_compress(ctx->h, ctx->block);
            ctx->used = 0;
        }
    }
}

void crypto_sha256_final(crypto_sha256_ctx *ctx, uint8_t digest[32])
{
    uint64_t bits = ctx->total * 8u;
    ctx->block[ctx->used++] = 0x80;
    if (ctx->used > 56) {
        while (ctx->used < 64)
            ctx->block[ctx->used++] = 0;
        crypto_sha256_compress(ctx->h, ctx->block);
        ctx->used = 0;
    }
    while (ctx->used < 56)
        ctx->block[ctx->used++] = 0;
    for (unsigned i = 0; i < 8; i++)
        ctx->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    crypto_sha256_compress(ctx->h, ctx->block);
    ctx->used = 0;
    for (unsigned i = 0; i < 32; i++)
        digest[i] = (uint8_t)(ctx->h[i / 4] >> (24 - 8 * (i % 4)));
}

void crypto_sha256(const void *data, size_t len, uint8_t digest[32])
{
    crypto_sha256_ctx ctx;
    crypto_sha256_init(&ctx);
    crypto_sha256_update(&ctx, data, len);
    crypto_sha256_final(&ctx, digest);
}

void crypto_sha256_hex(const uint8_t digest[32], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[64] = '\0';
}
