/* SHA-256 (FIPS 180-4): for checking what a transfer carried and for the WebAssembly
 * benchmarks' workload; one C source for the guest, the host and wasm32 (no libc needed). */
#ifndef CRYPTO_SHA256_H
#define CRYPTO_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct crypto_sha256_ctx {
    uint32_t h[8];
    uint64_t total;       /* bytes hashed so far */
    uint8_t block[64];
    uint32_t used;        /* bytes in block */
} crypto_sha256_ctx;

/* The standard's initial hash value, into h. */
void crypto_sha256_iv(uint32_t h[8]);
/* One 64-byte block into the state h (for callers that pad for themselves). */
void crypto_sha256_compress(uint32_t h[8], const uint8_t block[64]);

void crypto_sha256_init(crypto_sha256_ctx *ctx);
void crypto_sha256_update(crypto_sha256_ctx *ctx, const void *data, size_t len);
/* The digest; ctx is finished (init it again to reuse it). */
void crypto_sha256_final(crypto_sha256_ctx *ctx, uint8_t digest[32]);
void crypto_sha256(const void *data, size_t len, uint8_t digest[32]);
/* digest as 64 lowercase hex digits and a NUL. */
void crypto_sha256_hex(const uint8_t digest[32], char out[65]);

#endif
