/* SHA-512 (FIPS 180-4) and Ed25519 signature verification (RFC 8032): the public API of
 * lib/crypto, one freestanding C source built for the guest and natively for the host. */
#ifndef CRYPTO_H
#define CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA512_DIGEST_SIZE 64u
#define CRYPTO_SHA512_BLOCK_SIZE 128u
#define CRYPTO_ED25519_SIGNATURE_SIZE 64u
#define CRYPTO_ED25519_PUBLIC_KEY_SIZE 32u

#if defined(__GNUC__) || defined(__clang__)
#define CRYPTO_MUST_CHECK __attribute__((warn_unused_result))
#else
#define CRYPTO_MUST_CHECK
#endif

/* Every outcome has its own value. For verification the checks run in the order below and
 * the first that refuses names the result (docs/crypto.md gives the policy and why). */
typedef enum crypto_result {
    CRYPTO_OK = 0,
    CRYPTO_ERR_ARGUMENT,         /* a NULL pointer where data is needed, or a bad context */
    CRYPTO_ERR_LENGTH,           /* more input than SHA-512 can count (2^64 - 1 bytes) */
    CRYPTO_ERR_S_NONCANONICAL,   /* signature: S is not below the group order L */
    CRYPTO_ERR_A_NONCANONICAL,   /* public key: y >= p, or x = 0 with the sign bit set */
    CRYPTO_ERR_A_NOT_ON_CURVE,   /* public key: no point has this y */
    CRYPTO_ERR_A_SMALL_ORDER,    /* public key: a point of order 1, 2, 4 or 8 */
    CRYPTO_ERR_A_TORSION,        /* public key has a small-order component (validation only) */
    CRYPTO_ERR_R_NONCANONICAL,   /* signature: R has y >= p, or x = 0 with the sign bit set */
    CRYPTO_ERR_R_NOT_ON_CURVE,   /* signature: no point has R's y */
    CRYPTO_ERR_R_SMALL_ORDER,    /* signature: R is a point of order 1, 2, 4 or 8 */
    CRYPTO_ERR_EQUATION,         /* [S]B != R + [k]A: not a signature of this message by A */
    CRYPTO_RESULT_COUNT
} crypto_result;

/* A fixed sentence for every value; "unknown result" for anything else. */
const char *crypto_result_message(crypto_result r);

typedef struct crypto_sha512_ctx {
    uint64_t state[8];
    uint64_t length;          /* bytes hashed so far */
    uint32_t buffered;        /* bytes waiting in block, always < 128 */
    uint32_t magic;           /* set by init, cleared by final: catches use without init */
    uint8_t block[CRYPTO_SHA512_BLOCK_SIZE];
} crypto_sha512_ctx;

CRYPTO_MUST_CHECK crypto_result crypto_sha512_init(crypto_sha512_ctx *ctx);
/* data may be NULL only when len is 0. Nothing changes in ctx when it refuses. */
CRYPTO_MUST_CHECK crypto_result crypto_sha512_update(crypto_sha512_ctx *ctx, const void *data,
                                                     size_t len);
/* Writes the digest and wipes ctx; it must be initialised again before further use. */
CRYPTO_MUST_CHECK crypto_result crypto_sha512_final(crypto_sha512_ctx *ctx,
                                                    uint8_t out[CRYPTO_SHA512_DIGEST_SIZE]);
CRYPTO_MUST_CHECK crypto_result crypto_sha512(const void *data, size_t len,
                                              uint8_t out[CRYPTO_SHA512_DIGEST_SIZE]);

/* Verifies an Ed25519 signature (R || S) of msg under the public key pub, with the strict
 * policy of docs/crypto.md. CRYPTO_OK only for a valid signature. Variable time: every input
 * is public. msg may be NULL only when len is 0. */
CRYPTO_MUST_CHECK crypto_result crypto_ed25519_verify(const uint8_t sig[CRYPTO_ED25519_SIGNATURE_SIZE],
                                                      const void *msg, size_t len,
                                                      const uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE]);

/* The checks verification makes on a public key, plus one it leaves out for speed: that
 * the key lies in the prime-order subgroup ([L]A = identity). For keys entering a trust
 * store, once. */
CRYPTO_MUST_CHECK crypto_result crypto_ed25519_validate_public_key(
    const uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE]);

/* A public key decoded, fully validated and prepared for fast verification: the odd
 * multiples of -A and of -[2^128]A, so that verification runs half as many doublings.
 * Caller-owned memory (about 2.6 KiB); fill it with crypto_ed25519_key_prepare only. */
typedef struct crypto_ed25519_key {
    uint64_t multiples[2][8][4][5]; /* internal */
    uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE];
    uint32_t magic;
} crypto_ed25519_key;

/* The checks of crypto_ed25519_validate_public_key, then the tables. On a refusal key is
 * left as it was. Costs about as much as two verifications: once per trusted key. */
CRYPTO_MUST_CHECK crypto_result crypto_ed25519_key_prepare(crypto_ed25519_key *key,
    const uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE]);

/* Exactly crypto_ed25519_verify's checks and result for a key that prepare accepted. */
CRYPTO_MUST_CHECK crypto_result crypto_ed25519_verify_prepared(const crypto_ed25519_key *key,
    const uint8_t sig[CRYPTO_ED25519_SIGNATURE_SIZE], const void *msg, size_t len);

/* Internals exposed to the host tests only; not part of the API. */
/* crypto_ed25519_verify with the full-length scalar loop it falls back to when k has no
 * short pair (docs/crypto.md): the same result for every input. */
CRYPTO_MUST_CHECK crypto_result crypto_test_verify_full_size(
    const uint8_t sig[CRYPTO_ED25519_SIGNATURE_SIZE], const void *msg, size_t len,
    const uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE]);
/* h (64 bytes, little-endian) reduced modulo L, written as 32 little-endian bytes. */
void crypto_test_scalar_reduce(uint8_t out[32], const uint8_t h[64]);
/* Signed-digit form of a 256-bit little-endian scalar below 2^253 with window width w (2..8):
 * digits[i] is odd or 0, |digits[i]| < 2^(w-1), and sum digits[i] 2^i equals the scalar. */
void crypto_test_wnaf(int8_t digits[256], const uint8_t scalar[32], unsigned w);
/* Field constants re-derived through the field code: returns 0 when d, 2d, sqrt(-1) and the
 * base point table agree with their definitions. */
int crypto_test_check_constants(void);

#endif
