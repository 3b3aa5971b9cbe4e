/* Benchmark: SHA-256 over a 64 KiB buffer, repeated (the digest chained back in): lib/crypto's
 * own SHA-256, compiled into the module (tools/wasm_bench.py builds it freestanding). */
#include "../../../../lib/crypto/sha256.c"

static uint8_t buf[65536];
unsigned run(void);
unsigned run(void)
{
    uint32_t h[8];
    crypto_sha256_iv(h);
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    for (int rep = 0; rep < 60; rep++) {
        for (unsigned off = 0; off < sizeof(buf); off += 64)
            crypto_sha256_compress(h, buf + off);
        for (int k = 0; k < 8; k++)
            buf[k] ^= (uint8_t)h[k];
    }
    return h[0] ^ h[7];
}
