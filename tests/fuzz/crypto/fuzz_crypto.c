/* libFuzzer harness for lib/crypto's input handling: input = op, key (32), signature (64),
 * message. Whatever the bytes, every call returns a known result with its message; the
 * prepared-key path agrees with the public-key path whenever the key prepares; validation
 * and prepare agree; an accepted signature stops verifying when the message changes; and
 * SHA-512 split at any point equals SHA-512 in one piece. */
#include <stdint.h>
#include <string.h>

#include "crypto.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(crypto_result r)
{
    FUZZ_CHECK((unsigned)r < CRYPTO_RESULT_COUNT, "result out of range");
    const char *m = crypto_result_message(r);
    FUZZ_CHECK(m && strcmp(m, "unknown result") != 0, "result without a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static crypto_ed25519_key key;
    static uint8_t msg2[4096];
    if (size < 1 + 32 + 64)
        return 0;
    uint8_t op = data[0];
    const uint8_t *pub = data + 1, *sig = data + 33, *msg = data + 97;
    size_t len = size - 97;

    /* SHA-512: one piece against two, cut where the op byte says */
    uint8_t d1[64], d2[64];
    crypto_sha512_ctx ctx;
    size_t cut = len ? (size_t)op * 7919u % (len + 1) : 0;
    check_result(crypto_sha512(msg, len, d1));
    FUZZ_CHECK(crypto_sha512_init(&ctx) == CRYPTO_OK, "init");
    FUZZ_CHECK(crypto_sha512_update(&ctx, msg, cut) == CRYPTO_OK, "update");
    FUZZ_CHECK(crypto_sha512_update(&ctx, msg + cut, len - cut) == CRYPTO_OK, "update");
    FUZZ_CHECK(crypto_sha512_final(&ctx, d2) == CRYPTO_OK, "final");
    FUZZ_CHECK(memcmp(d1, d2, 64) == 0, "split SHA-512 differs");

    crypto_result plain = crypto_ed25519_verify(sig, msg, len, pub);
    check_result(plain);
    if (op & 1) { /* the expensive key checks on half the inputs */
        crypto_result v = crypto_ed25519_validate_public_key(pub);
        crypto_result p = crypto_ed25519_key_prepare(&key, pub);
        check_result(v);
        FUZZ_CHECK(v == p, "validate and prepare disagree");
        if (p == CRYPTO_OK)
            FUZZ_CHECK(crypto_ed25519_verify_prepared(&key, sig, msg, len) == plain,
                       "prepared path differs");
    }
    if (plain == CRYPTO_OK && len && len <= sizeof msg2) {
        memcpy(msg2, msg, len);
        msg2[len - 1] ^= 1;
        FUZZ_CHECK(crypto_ed25519_verify(sig, msg2, len, pub) == CRYPTO_ERR_EQUATION,
                   "a changed message still verifies");
    }
    return 0;
}
