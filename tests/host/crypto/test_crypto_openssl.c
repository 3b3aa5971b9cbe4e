/* lib/crypto against OpenSSL 3 (libcrypto, host only): SHA-512 on random inputs of every
 * length 0..10,000, whole and split at random points; scalar reduction modulo L against
 * BN_mod; and Ed25519 differential cases: a random key and message signed by OpenSSL, then
 * the signature as is and with one bit flipped in message, key and signature, where ours and
 * EVP_DigestVerify must agree every time (and our prepared-key path with our public-key one).
 * Usage: test_crypto_openssl [CASES [SEED]]   (defaults: 100000 cases, seed 1) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "sha256.h"
#include "crypto_test_util.h"

static unsigned failures;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (!(cond)) {                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                  \
            fputc('\n', stderr);                           \
            if (++failures > 20)                           \
                exit(1);                                   \
        }                                                  \
    } while (0)

static void die(const char *what)
{
    fprintf(stderr, "openssl: %s failed\n", what);
    ERR_print_errors_fp(stderr);
    exit(2);
}

/* ---- SHA-512 --------------------------------------------------------------------------- */

static void openssl_sha512(const uint8_t *p, size_t n, uint8_t out[64])
{
    unsigned int olen = 0;
    if (!EVP_Digest(p, n, out, &olen, EVP_sha512(), NULL) || olen != 64)
        die("EVP_Digest");
}

static void test_sha512(uint64_t *rng)
{
    enum { MAX = 10000 };
    static uint8_t buf[MAX];
    unsigned whole = 0, split = 0;
    for (size_t len = 0; len <= MAX; len++) {
        uint8_t want[64], got[64];
        ctu_rand_bytes(rng, buf, len);
        openssl_sha512(buf, len, want);
        CHECK(crypto_sha512(buf, len, got) == CRYPTO_OK, "sha512 len %zu", len);
        CHECK(memcmp(got, want, 64) == 0, "sha512 digest differs at length %zu", len);
        whole++;
        /* up to 6 pieces, cut at random points (empty pieces included) */
        crypto_sha512_ctx ctx;
        CHECK(crypto_sha512_init(&ctx) == CRYPTO_OK, "init");
        size_t at = 0;
        unsigned pieces = 1 + (unsigned)(ctu_rand(rng) % 6);
        for (unsigned i = 0; i + 1 < pieces; i++) {
            size_t n = len ? (size_t)(ctu_rand(rng) % (len - at + 1)) : 0;
            CHECK(crypto_sha512_update(&ctx, buf + at, n) == CRYPTO_OK, "update");
            at += n;
        }
        CHECK(crypto_sha512_update(&ctx, buf + at, len - at) == CRYPTO_OK, "update");
        CHECK(crypto_sha512_final(&ctx, got) == CRYPTO_OK, "final");
        CHECK(memcmp(got, want, 64) == 0, "split sha512 differs at length %zu", len);
        split++;
    }
    printf("sha512: %u lengths 0..%d equal to OpenSSL, whole and split in random pieces (%u)\n",
           whole, MAX, split);
}

/* SHA-256 against OpenSSL: every length 0..4,096, whole and fed in two random pieces. */
static void test_sha256(uint64_t *rng)
{
    enum { MAX = 4096 };
    static uint8_t buf[MAX];
    for (size_t len = 0; len <= MAX; len++) {
        uint8_t want[32], got[32], split[32];
        unsigned int olen = 0;
        ctu_rand_bytes(rng, buf, len);
        if (!EVP_Digest(buf, len, want, &olen, EVP_sha256(), NULL) || olen != 32)
            die("EVP_Digest sha256");
        crypto_sha256(buf, len, got);
        CHECK(memcmp(got, want, 32) == 0, "sha256 differs at length %zu", len);
        size_t cut = len ? (size_t)(ctu_rand(rng) % (len + 1)) : 0;
        crypto_sha256_ctx ctx;
        crypto_sha256_init(&ctx);
        crypto_sha256_update(&ctx, buf, cut);
        crypto_sha256_update(&ctx, buf + cut, len - cut);
        crypto_sha256_final(&ctx, split);
        CHECK(memcmp(split, want, 32) == 0, "split sha256 differs at length %zu (cut %zu)", len, cut);
    }
    char hex[65];
    crypto_sha256("abc", 3, buf);
    crypto_sha256_hex(buf, hex);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
          "sha256(abc) is FIPS 180-4's example: %s", hex);
    printf("sha256: lengths 0..%d equal to OpenSSL, whole and in two pieces\n", MAX);
}

/* ---- scalars ----------------------------------------------------------------------------- */

static void test_scalar_reduce(uint64_t *rng)
{
    BN_CTX *bctx = BN_CTX_new();
    BIGNUM *l = NULL, *x = BN_new(), *r = BN_new();
    if (!bctx || !x || !r || !BN_dec2bn(&l, "7237005577332262213973186563042994240857116359379907606001950938285454250989"))
        die("BN setup");
    unsigned n = 0;
    for (unsigned i = 0; i < 20000; i++) {
        uint8_t h[64], be[64], got[32], want[32];
        ctu_rand_bytes(rng, h, 64);
        if (i == 0)
            memset(h, 0xff, 64);
        if (i == 1)
            memset(h, 0, 64);
        if (i >= 2 && i < 40) /* short values: the top bytes zero */
            memset(h + 32 + (i - 2) % 32, 0, 32 - (i - 2) % 32);
        for (int k = 0; k < 64; k++)
            be[k] = h[63 - k];
        if (!BN_bin2bn(be, 64, x) || !BN_nnmod(r, x, l, bctx) || BN_bn2lebinpad(r, want, 32) != 32)
            die("BN_mod");
        crypto_test_scalar_reduce(got, h);
        CHECK(memcmp(got, want, 32) == 0, "scalar reduce differs (case %u)", i);
        n++;
    }
    BN_free(l);
    BN_free(x);
    BN_free(r);
    BN_CTX_free(bctx);
    printf("scalar: %u 512-bit values reduced modulo L as BN_nnmod does\n", n);
}

/* ---- Ed25519 ----------------------------------------------------------------------------- */

/* The key object is kept while the key bytes stay the same (most checks of a case). */
static EVP_PKEY *cached_pk;
static uint8_t cached_pub[32];
static EVP_MD_CTX *verify_ctx;

static int openssl_verify(const uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t pub[32])
{
    if (!cached_pk || memcmp(cached_pub, pub, 32) != 0) {
        EVP_PKEY_free(cached_pk);
        cached_pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
        memcpy(cached_pub, pub, 32);
        if (!cached_pk)
            return 0; /* OpenSSL refuses the key outright */
    }
    if (!verify_ctx && !(verify_ctx = EVP_MD_CTX_new()))
        die("EVP_MD_CTX_new");
    int ok = 0;
    if (EVP_MD_CTX_reset(verify_ctx) == 1 &&
        EVP_DigestVerifyInit(verify_ctx, NULL, NULL, NULL, cached_pk) == 1)
        ok = EVP_DigestVerify(verify_ctx, sig, 64, msg, len) == 1;
    ERR_clear_error();
    return ok;
}

struct counts {
    unsigned long cases, checks, agree, both_accept, both_refuse, prepared;
    unsigned long refused_by[CRYPTO_RESULT_COUNT];
};

/* key: the signer's key prepared, or NULL; the prepared path must then answer the same. */
static void compare(struct counts *c, const uint8_t sig[64], const uint8_t *msg, size_t len,
                    const uint8_t pub[32], const crypto_ed25519_key *key, int expect_valid,
                    unsigned long case_no, const char *what)
{
    crypto_result ours = crypto_ed25519_verify(sig, msg, len, pub);
    int theirs = openssl_verify(sig, msg, len, pub);
    if (key) {
        crypto_result prepared = crypto_ed25519_verify_prepared(key, sig, msg, len);
        c->prepared++;
        CHECK(prepared == ours, "case %lu (%s): prepared key %s, public key %s", case_no, what,
              ctu_result_name(prepared), ctu_result_name(ours));
    }
    c->checks++;
    if ((ours == CRYPTO_OK) == theirs) {
        c->agree++;
        if (theirs)
            c->both_accept++;
        else
            c->both_refuse++;
    }
    if ((unsigned)ours < CRYPTO_RESULT_COUNT)
        c->refused_by[ours]++;
    CHECK((ours == CRYPTO_OK) == theirs, "case %lu (%s): ours %s, OpenSSL %s", case_no, what,
          ctu_result_name(ours), theirs ? "accepts" : "refuses");
    CHECK((ours == CRYPTO_OK) == expect_valid, "case %lu (%s): ours %s, expected %s", case_no,
          what, ctu_result_name(ours), expect_valid ? "OK" : "a refusal");
}

static void test_ed25519(unsigned long n_cases, uint64_t *rng)
{
    struct counts c;
    memset(&c, 0, sizeof c);
    enum { MAXMSG = 300 };
    for (unsigned long i = 0; i < n_cases; i++) {
        uint8_t seed[32], pub[32], sig[64], msg[MAXMSG];
        size_t len = (size_t)(ctu_rand(rng) % (i % 16 == 0 ? MAXMSG + 1 : 65));
        ctu_rand_bytes(rng, seed, 32);
        ctu_rand_bytes(rng, msg, len);
        EVP_PKEY *sk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
        size_t publen = 32, siglen = 64;
        if (!sk || EVP_PKEY_get_raw_public_key(sk, pub, &publen) != 1 || publen != 32)
            die("ED25519 key");
        EVP_MD_CTX *mctx = EVP_MD_CTX_new();
        if (!mctx || EVP_DigestSignInit(mctx, NULL, NULL, NULL, sk) != 1 ||
            EVP_DigestSign(mctx, sig, &siglen, msg, len) != 1 || siglen != 64)
            die("EVP_DigestSign");
        EVP_MD_CTX_free(mctx);
        EVP_PKEY_free(sk);
        c.cases++;

        /* Every fourth case also goes through a prepared key (preparing costs about two
         * verifications, which would double the run if done every time). */
        static crypto_ed25519_key key;
        const crypto_ed25519_key *kp = NULL;
        if (i % 4 == 0) {
            CHECK(crypto_ed25519_key_prepare(&key, pub) == CRYPTO_OK, "case %lu: prepare", i);
            kp = &key;
        }
        compare(&c, sig, msg, len, pub, kp, 1, i, "as signed");
        if (len) {
            size_t bit = (size_t)(ctu_rand(rng) % (8 * len));
            msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            compare(&c, sig, msg, len, pub, kp, 0, i, "message bit");
            msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        unsigned kb = (unsigned)(ctu_rand(rng) % 256);
        pub[kb / 8] ^= (uint8_t)(1u << (kb % 8));
        compare(&c, sig, msg, len, pub, NULL, 0, i, "key bit");
        pub[kb / 8] ^= (uint8_t)(1u << (kb % 8));
        unsigned sb = (unsigned)(ctu_rand(rng) % 512);
        sig[sb / 8] ^= (uint8_t)(1u << (sb % 8));
        compare(&c, sig, msg, len, pub, kp, 0, i, "signature bit");
    }
    printf("ed25519: %lu cases, %lu verifications, %lu agree with OpenSSL "
           "(%lu both accept, %lu both refuse)\n", c.cases, c.checks, c.agree, c.both_accept,
           c.both_refuse);
    printf("ed25519: %lu of them (the signer's key in every fourth case) also through a "
           "prepared key, with the same result\n", c.prepared);
    printf("ed25519: our results:");
    for (unsigned r = 0; r < CRYPTO_RESULT_COUNT; r++)
        if (c.refused_by[r])
            printf(" %s=%lu", ctu_result_name((crypto_result)r), c.refused_by[r]);
    printf("\n");
    CHECK(c.agree == c.checks, "disagreements: %lu", c.checks - c.agree);
    EVP_PKEY_free(cached_pk);
    EVP_MD_CTX_free(verify_ctx);
    cached_pk = NULL;
    verify_ctx = NULL;
}

int main(int argc, char **argv)
{
    unsigned long cases = 100000;
    uint64_t seed = 1;
    if (argc > 3) {
        fprintf(stderr, "usage: %s [CASES [SEED]]\n", argv[0]);
        return 2;
    }
    if (argc > 1) {
        char *end;
        cases = strtoul(argv[1], &end, 10);
        if (*end || !*argv[1]) {
            fprintf(stderr, "bad CASES: %s\n", argv[1]);
            return 2;
        }
    }
    if (argc > 2) {
        char *end;
        seed = strtoull(argv[2], &end, 0);
        if (*end || !*argv[2]) {
            fprintf(stderr, "bad SEED: %s\n", argv[2]);
            return 2;
        }
    }
    printf("seed %" PRIu64 ", %lu Ed25519 cases\n", seed, cases);
    uint64_t rng = seed;
    test_sha512(&rng);
    test_sha256(&rng);
    test_scalar_reduce(&rng);
    test_ed25519(cases, &rng);
    if (failures) {
        printf("FAILED: %u checks\n", failures);
        return 1;
    }
    printf("all agree\n");
    return 0;
}
