/* lib/crypto unit tests: SHA-512 known answers (FIPS 180-4 examples), RFC 8032 section 7.1
 * Ed25519 vectors, the 1,024 SUPERCOP lines of python3-cryptography-vectors (each also with
 * one bit flipped in signature, key and message), all through both the public-key and the
 * prepared-key paths, constants, scalar helpers, argument checks.
 * Usage: test_crypto_unit SIGN_INPUT (the SUPERCOP sign.input file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"
#include "crypto_test_util.h"

static const char *sign_input_path;

static void unhex_exact(uint8_t *out, size_t n, const char *hex)
{
    assert_int_equal(strlen(hex), 2 * n);
    assert_int_equal(ctu_unhex(out, n, hex, 2 * n), (long)n);
}

static void assert_sha512_hex(const void *data, size_t len, const char *hex)
{
    uint8_t want[64], got[64];
    unhex_exact(want, 64, hex);
    assert_int_equal(crypto_sha512(data, len, got), CRYPTO_OK);
    assert_memory_equal(got, want, 64);
}

/* ---- SHA-512 --------------------------------------------------------------------------- */

static void test_sha512_known_answers(void **state)
{
    (void)state;
    assert_sha512_hex("", 0,
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    assert_sha512_hex(NULL, 0,
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    assert_sha512_hex("abc", 3,
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    const char *two_blocks = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                             "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    assert_sha512_hex(two_blocks, strlen(two_blocks),
        "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
        "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

static void test_sha512_million_a_incremental(void **state)
{
    (void)state;
    uint8_t chunk[1000], want[64], got[64];
    memset(chunk, 'a', sizeof chunk);
    unhex_exact(want, 64,
        "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
        "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
    crypto_sha512_ctx ctx;
    assert_int_equal(crypto_sha512_init(&ctx), CRYPTO_OK);
    /* chunks of 1..1000 bytes, cycling, so that the buffer boundary moves around */
    size_t done = 0, step = 1;
    while (done < 1000000) {
        size_t n = step;
        if (n > 1000000 - done)
            n = 1000000 - done;
        assert_int_equal(crypto_sha512_update(&ctx, chunk, n), CRYPTO_OK);
        done += n;
        step = (step + 6) % 1000 + 1; /* 1..1000 */
    }
    assert_int_equal(crypto_sha512_final(&ctx, got), CRYPTO_OK);
    assert_memory_equal(got, want, 64);
}

static void test_sha512_refusals(void **state)
{
    (void)state;
    crypto_sha512_ctx ctx;
    uint8_t out[64];
    memset(&ctx, 0, sizeof ctx);
    assert_int_equal(crypto_sha512_update(&ctx, "x", 1), CRYPTO_ERR_ARGUMENT); /* no init */
    assert_int_equal(crypto_sha512_final(&ctx, out), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_sha512_init(NULL), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_sha512_init(&ctx), CRYPTO_OK);
    assert_int_equal(crypto_sha512_update(NULL, "x", 1), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_sha512_update(&ctx, NULL, 1), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_sha512_update(&ctx, NULL, 0), CRYPTO_OK);
    assert_int_equal(crypto_sha512_update(&ctx, "abc", 3), CRYPTO_OK);
    /* Refusing a length the counter cannot hold leaves the context as it was. */
    crypto_sha512_ctx before = ctx;
    ctx.length = UINT64_MAX - 2;
    before.length = UINT64_MAX - 2;
    assert_int_equal(crypto_sha512_update(&ctx, "abc", 3), CRYPTO_ERR_LENGTH);
    assert_memory_equal(&ctx, &before, sizeof ctx);
    ctx.length = 3;
    assert_int_equal(crypto_sha512_final(&ctx, NULL), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_sha512_final(&ctx, out), CRYPTO_OK);
    /* final wipes: the context must be initialised again */
    assert_int_equal(crypto_sha512_update(&ctx, "x", 1), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_sha512_final(&ctx, out), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_sha512(NULL, 1, out), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_sha512("x", 1, NULL), CRYPTO_ERR_ARGUMENT);
}

/* ---- RFC 8032 section 7.1 ---------------------------------------------------------------- */

struct rfc_vector {
    const char *name, *pub, *msg, *sig;
};

/* TEST 1024's 1023-byte message is not typed here: it is line 1024 of sign.input (the RFC
 * took it from there); its first and last bytes as printed in the RFC are checked. */
static const struct rfc_vector rfc_vectors[] = {
    {"TEST 1", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"TEST SHA(abc)", "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
     "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};

/* crypto_ed25519_verify, its full-length fallback and the prepared-key path, which must
 * all give the same answer. */
static crypto_result verify_both(const uint8_t *sig, const uint8_t *msg, size_t len,
                                 const uint8_t *pub)
{
    static crypto_ed25519_key key;
    crypto_result plain = crypto_ed25519_verify(sig, msg, len, pub);
    /* The half-size path and the full-length fallback agree on every input. */
    assert_int_equal(crypto_test_verify_full_size(sig, msg, len, pub), plain);
    crypto_result prep = crypto_ed25519_key_prepare(&key, pub);
    if (prep == CRYPTO_OK)
        assert_int_equal(crypto_ed25519_verify_prepared(&key, sig, msg, len), plain);
    else if (prep != CRYPTO_ERR_A_TORSION && plain != CRYPTO_ERR_S_NONCANONICAL)
        assert_int_equal(prep, plain); /* the same key refusal, checked in the same order */
    return plain;
}

static void check_vector(const uint8_t *pub, const uint8_t *msg, size_t len, const uint8_t *sig)
{
    uint8_t s2[64], p2[32];
    assert_int_equal(verify_both(sig, msg, len, pub), CRYPTO_OK);
    memcpy(s2, sig, 64);
    s2[0] ^= 1; /* R changes */
    assert_int_not_equal(verify_both(s2, msg, len, pub), CRYPTO_OK);
    memcpy(s2, sig, 64);
    s2[32] ^= 1; /* S changes */
    assert_int_equal(verify_both(s2, msg, len, pub), CRYPTO_ERR_EQUATION);
    memcpy(p2, pub, 32);
    p2[5] ^= 0x10;
    assert_int_not_equal(verify_both(sig, msg, len, p2), CRYPTO_OK);
}

static void test_rfc8032_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rfc_vectors / sizeof rfc_vectors[0]; i++) {
        const struct rfc_vector *v = &rfc_vectors[i];
        uint8_t pub[32], sig[64], msg[64];
        size_t len = strlen(v->msg) / 2;
        unhex_exact(pub, 32, v->pub);
        unhex_exact(sig, 64, v->sig);
        unhex_exact(msg, len, v->msg);
        check_vector(pub, msg, len, sig);
    }
    /* SHA(abc)'s message is SHA-512("abc"). */
    uint8_t d[64], m[64];
    assert_int_equal(crypto_sha512("abc", 3, d), CRYPTO_OK);
    unhex_exact(m, 64, rfc_vectors[3].msg);
    assert_memory_equal(d, m, 64);
}

/* ---- SUPERCOP sign.input: secret||public : public : message : signature||message : -------- */

struct supercop_line {
    uint8_t pub[32], sig[64];
    uint8_t *msg;
    size_t len;
};

static int parse_supercop(char *line, struct supercop_line *out)
{
    char *f[4];
    char *p = line;
    for (int i = 0; i < 4; i++) {
        f[i] = p;
        p = strchr(p, ':');
        if (!p)
            return -1;
        *p++ = '\0';
    }
    size_t mlen = strlen(f[2]) / 2;
    if (strlen(f[0]) != 128 || strlen(f[1]) != 64 || strlen(f[3]) != 128 + 2 * mlen)
        return -1;
    out->msg = malloc(mlen ? mlen : 1);
    if (!out->msg)
        return -1;
    out->len = mlen;
    if (ctu_unhex(out->pub, 32, f[1], 64) != 32 || ctu_unhex(out->sig, 64, f[3], 128) != 64 ||
        ctu_unhex(out->msg, mlen, f[2], 2 * mlen) != (long)mlen)
        return -1;
    /* the public half of the secret key field, and the message echoed after the signature */
    uint8_t pub2[32];
    if (ctu_unhex(pub2, 32, f[0] + 64, 64) != 32 || memcmp(pub2, out->pub, 32) != 0 ||
        strcmp(f[3] + 128, f[2]) != 0)
        return -1;
    return 0;
}

static void test_supercop_sign_input(void **state)
{
    (void)state;
    FILE *fp = fopen(sign_input_path, "r");
    if (!fp)
        fail_msg("cannot open %s (install python3-cryptography-vectors)", sign_input_path);
    size_t cap = 1 << 16;
    char *line = malloc(cap);
    assert_non_null(line);
    unsigned lines = 0, flipped_refused = 0;
    while (fgets(line, (int)cap, fp)) {
        assert_non_null(strchr(line, '\n'));
        struct supercop_line v;
        assert_int_equal(parse_supercop(line, &v), 0);
        lines++;
        assert_int_equal(verify_both(v.sig, v.msg, v.len, v.pub), CRYPTO_OK);
        /* one bit flipped in signature, key, message: a different bit on every line */
        uint8_t s2[64], p2[32];
        memcpy(s2, v.sig, 64);
        s2[(lines * 7) % 64] ^= (uint8_t)(1u << (lines % 8));
        assert_int_not_equal(verify_both(s2, v.msg, v.len, v.pub), CRYPTO_OK);
        memcpy(p2, v.pub, 32);
        p2[(lines * 5) % 32] ^= (uint8_t)(1u << ((lines / 8) % 8));
        assert_int_not_equal(verify_both(v.sig, v.msg, v.len, p2), CRYPTO_OK);
        flipped_refused += 2;
        if (v.len) {
            size_t bit = (lines * 13u) % (8 * v.len);
            v.msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            assert_int_equal(verify_both(v.sig, v.msg, v.len, v.pub), CRYPTO_ERR_EQUATION);
            v.msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            flipped_refused++;
        }
        if (lines == 1024) {
            /* RFC 8032 TEST 1024: its key, signature, and the ends of its message */
            uint8_t pub[32], sig[64], head[16], tail[15];
            unhex_exact(pub, 32, "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e");
            unhex_exact(sig, 64, "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
                                 "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03");
            unhex_exact(head, 16, "08b8b2b733424243760fe426a4b54908");
            unhex_exact(tail, 15, "c60c905c15fc910840b94c00a0b9d0");
            assert_int_equal(v.len, 1023);
            assert_memory_equal(v.pub, pub, 32);
            assert_memory_equal(v.sig, sig, 64);
            assert_memory_equal(v.msg, head, 16);
            assert_memory_equal(v.msg + 1023 - 15, tail, 15);
            check_vector(pub, v.msg, v.len, sig);
        }
        free(v.msg);
    }
    free(line);
    fclose(fp);
    assert_int_equal(lines, 1024);
    printf("supercop: %u lines verified, %u one-bit-flipped variants refused\n", lines,
           flipped_refused);
}

/* ---- API surface --------------------------------------------------------------------------- */

static void test_verify_arguments(void **state)
{
    (void)state;
    uint8_t sig[64] = {0}, pub[32] = {0};
    assert_int_equal(crypto_ed25519_verify(NULL, "", 0, pub), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_ed25519_verify(sig, "", 0, NULL), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_ed25519_verify(sig, NULL, 1, pub), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_ed25519_validate_public_key(NULL), CRYPTO_ERR_ARGUMENT);
    /* NULL with length 0 is the empty message (TEST 1) */
    uint8_t p1[32], s1[64];
    unhex_exact(p1, 32, rfc_vectors[0].pub);
    unhex_exact(s1, 64, rfc_vectors[0].sig);
    assert_int_equal(crypto_ed25519_verify(s1, NULL, 0, p1), CRYPTO_OK);
    assert_int_equal(crypto_ed25519_validate_public_key(p1), CRYPTO_OK);

    /* prepared keys: arguments, a refusal leaves the key as it was, an unprepared key */
    static crypto_ed25519_key key, before;
    memset(&key, 0x5a, sizeof key);
    before = key;
    assert_int_equal(crypto_ed25519_key_prepare(NULL, p1), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_ed25519_key_prepare(&key, NULL), CRYPTO_ERR_ARGUMENT);
    uint8_t bad[32];
    memset(bad, 0xff, 32); /* y = 2^255 - 1 >= p */
    assert_int_equal(crypto_ed25519_key_prepare(&key, bad), CRYPTO_ERR_A_NONCANONICAL);
    memset(bad, 0, 32);
    bad[0] = 1; /* the identity */
    assert_int_equal(crypto_ed25519_key_prepare(&key, bad), CRYPTO_ERR_A_SMALL_ORDER);
    assert_memory_equal(&key, &before, sizeof key);
    assert_int_equal(crypto_ed25519_verify_prepared(&key, s1, NULL, 0), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_ed25519_key_prepare(&key, p1), CRYPTO_OK);
    assert_int_equal(crypto_ed25519_verify_prepared(&key, s1, NULL, 0), CRYPTO_OK);
    assert_int_equal(crypto_ed25519_verify_prepared(NULL, s1, NULL, 0), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_ed25519_verify_prepared(&key, NULL, NULL, 0), CRYPTO_ERR_ARGUMENT);
    assert_int_equal(crypto_ed25519_verify_prepared(&key, s1, NULL, 1), CRYPTO_ERR_ARGUMENT);
}

static void test_result_messages(void **state)
{
    (void)state;
    for (int i = 0; i < CRYPTO_RESULT_COUNT; i++) {
        const char *m = crypto_result_message((crypto_result)i);
        assert_non_null(m);
        assert_string_not_equal(m, "unknown result");
        assert_string_not_equal(ctu_result_name((crypto_result)i), "UNKNOWN");
        for (int j = 0; j < i; j++)
            assert_string_not_equal(m, crypto_result_message((crypto_result)j));
    }
    assert_string_equal(crypto_result_message(CRYPTO_RESULT_COUNT), "unknown result");
    assert_string_equal(crypto_result_message((crypto_result)-1), "unknown result");
}

/* ---- internals: constants, scalar reduction, signed digits ---------------------------------- */

static void test_constants(void **state)
{
    (void)state;
    assert_int_equal(crypto_test_check_constants(), 0);
}

static const char l_hex_le[] = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

static void test_scalar_reduce_fixed(void **state)
{
    (void)state;
    uint8_t h[64], out[32], l[32], want[32];
    unhex_exact(l, 32, l_hex_le);
    /* L -> 0, L - 1 -> L - 1, 2^512 - 1 -> a value checked below against its definition */
    memset(h, 0, 64);
    memcpy(h, l, 32);
    crypto_test_scalar_reduce(out, h);
    memset(want, 0, 32);
    assert_memory_equal(out, want, 32);
    h[0] -= 1;
    crypto_test_scalar_reduce(out, h);
    assert_memory_equal(out, h, 32);
    /* 2L + 5 -> 5 */
    memset(h, 0, 64);
    unsigned carry = 0;
    for (int i = 0; i < 32; i++) {
        unsigned v = 2u * l[i] + carry + (i == 0 ? 5u : 0u);
        h[i] = (uint8_t)v;
        carry = v >> 8;
    }
    h[32] = (uint8_t)carry;
    crypto_test_scalar_reduce(out, h);
    memset(want, 0, 32);
    want[0] = 5;
    assert_memory_equal(out, want, 32);
}

static void test_wnaf_digits(void **state)
{
    (void)state;
    uint64_t seed = 12;
    for (unsigned round = 0; round < 3000; round++) {
        uint8_t s[32];
        ctu_rand_bytes(&seed, s, 32);
        s[31] &= 0x1f; /* below 2^253 */
        if (round == 0)
            memset(s, 0, 32);
        if (round == 1) {
            memset(s, 0xff, 32);
            s[31] = 0x1f;
        }
        unsigned w = 2 + round % 7;
        int8_t d[256];
        crypto_test_wnaf(d, s, w);
        /* sum d[i] 2^i, accumulated in 64-bit two's-complement words */
        uint64_t acc[5] = {0};
        int last = -1000;
        for (int i = 0; i < 256; i++) {
            if (!d[i])
                continue;
            assert_true(d[i] & 1);
            assert_true(abs(d[i]) < (1 << (w - 1)));
            assert_true(i - last >= (int)w);
            last = i;
            uint64_t mag = (uint64_t)abs(d[i]);
            uint64_t add[5] = {0};
            add[i / 64] = mag << (i % 64);
            if (i % 64 && i / 64 + 1 < 5)
                add[i / 64 + 1] = mag >> (64 - i % 64);
            if (d[i] < 0) { /* two's complement of add */
                for (int k = 0; k < 5; k++)
                    add[k] = ~add[k];
                for (int k = 0; k < 5 && ++add[k] == 0; k++) {}
            }
            uint64_t c = 0;
            for (int k = 0; k < 5; k++) {
                uint64_t t = acc[k] + c;
                c = t < c;
                acc[k] = t + add[k];
                c += acc[k] < t;
            }
        }
        for (int k = 0; k < 4; k++) {
            uint64_t want = 0;
            for (int b = 0; b < 8; b++)
                want |= (uint64_t)s[8 * k + b] << (8 * b);
            assert_int_equal(acc[k], want);
        }
        assert_int_equal(acc[4], 0);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s SIGN_INPUT\n", argv[0]);
        return 2;
    }
    sign_input_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha512_known_answers),
        cmocka_unit_test(test_sha512_million_a_incremental),
        cmocka_unit_test(test_sha512_refusals),
        cmocka_unit_test(test_rfc8032_vectors),
        cmocka_unit_test(test_supercop_sign_input),
        cmocka_unit_test(test_verify_arguments),
        cmocka_unit_test(test_result_messages),
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_scalar_reduce_fixed),
        cmocka_unit_test(test_wnaf_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
