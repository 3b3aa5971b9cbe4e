/* The workload of the lib/crypto benchmark, the same C for the host and for rv64: verify a
 * fixed signature (RFC 8032 TEST SHA(abc), a 64-byte message) N times, through a public key
 * or a prepared key, or hash N bytes with SHA-512. Instruction counts come from outside (callgrind, QEMU); see bench.py. */
#include "bench_main.h"

#include "crypto.h"

static const uint8_t pub[32] = {
    0xec, 0x17, 0x2b, 0x93, 0xad, 0x5e, 0x56, 0x3b, 0xf4, 0x93, 0x2c, 0x70, 0xe1, 0x24, 0x50, 0x34,
    0xc3, 0x54, 0x67, 0xef, 0x2e, 0xfd, 0x4d, 0x64, 0xeb, 0xf8, 0x19, 0x68, 0x34, 0x67, 0xe2, 0xbf,
};
static const uint8_t sig[64] = {
    0xdc, 0x2a, 0x44, 0x59, 0xe7, 0x36, 0x96, 0x33, 0xa5, 0x2b, 0x1b, 0xf2, 0x77, 0x83, 0x9a, 0x00,
    0x20, 0x10, 0x09, 0xa3, 0xef, 0xbf, 0x3e, 0xcb, 0x69, 0xbe, 0xa2, 0x18, 0x6c, 0x26, 0xb5, 0x89,
    0x09, 0x35, 0x1f, 0xc9, 0xac, 0x90, 0xb3, 0xec, 0xfd, 0xfb, 0xc7, 0xc6, 0x64, 0x31, 0xe0, 0x30,
    0x3d, 0xca, 0x17, 0x9c, 0x13, 0x8a, 0xc1, 0x7a, 0xd9, 0xbe, 0xf1, 0x17, 0x73, 0x31, 0xa7, 0x04,
};

static uint8_t data[4096];

int bench_run(unsigned mode, unsigned long n)
{
    uint8_t msg[64];
    if (crypto_sha512("abc", 3, msg) != CRYPTO_OK)
        return 1;
    if (mode == BENCH_VERIFY) {
        for (unsigned long i = 0; i < n; i++)
            if (crypto_ed25519_verify(sig, msg, sizeof msg, pub) != CRYPTO_OK)
                return 1;
        return 0;
    }
    if (mode == BENCH_VERIFY_PREPARED) {
        static crypto_ed25519_key key;
        if (crypto_ed25519_key_prepare(&key, pub) != CRYPTO_OK)
            return 1;
        for (unsigned long i = 0; i < n; i++)
            if (crypto_ed25519_verify_prepared(&key, sig, msg, sizeof msg) != CRYPTO_OK)
                return 1;
        return 0;
    }
    if (mode == BENCH_SHA512) {
        crypto_sha512_ctx ctx;
        uint8_t out[64];
        for (unsigned i = 0; i < sizeof data; i++)
            data[i] = (uint8_t)(i * 131u + 7u);
        if (crypto_sha512_init(&ctx) != CRYPTO_OK)
            return 1;
        for (unsigned long done = 0; done < n;) {
            unsigned long k = n - done < sizeof data ? n - done : sizeof data;
            if (crypto_sha512_update(&ctx, data, k) != CRYPTO_OK)
                return 1;
            done += k;
        }
        return crypto_sha512_final(&ctx, out) != CRYPTO_OK;
    }
    return 2;
}
