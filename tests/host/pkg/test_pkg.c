/* lib/pkg host tests: a complete package parsed to its exact fields and verified (public and
 * prepared key, signed by OpenSSL), every prefix refused as truncated, and one refusal per
 * rule of docs/package-format.md with its code and offset; refusals leave the output as it
 * was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "pkg.h"

/* ---- building packages ---------------------------------------------------------------- */

struct field {
    uint8_t tag;
    size_t len;
    uint8_t value[600];
};

struct builder {
    struct field f[24];
    unsigned n;
    uint8_t payload[256];
    size_t payload_len;
    uint8_t seed[32], pub[32];
};

static void put_field(struct builder *b, uint8_t tag, const void *v, size_t len)
{
    assert_true(b->n < 24 && len <= sizeof b->f[0].value);
    b->f[b->n].tag = tag;
    b->f[b->n].len = len;
    memcpy(b->f[b->n].value, v, len);
    b->n++;
}

static struct field *find(struct builder *b, uint8_t tag)
{
    for (unsigned i = 0; i < b->n; i++)
        if (b->f[i].tag == tag)
            return &b->f[i];
    fail_msg("no field %u", tag);
    return NULL;
}

static void drop(struct builder *b, uint8_t tag)
{
    struct field *f = find(b, tag);
    unsigned i = (unsigned)(f - b->f);
    memmove(&b->f[i], &b->f[i + 1], (b->n - i - 1) * sizeof b->f[0]);
    b->n--;
}

static void le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void public_key(const uint8_t seed[32], uint8_t pub[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    size_t n = 32;
    assert_non_null(k);
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &n), 1);
    EVP_PKEY_free(k);
}

/* The complete manifest of a package "hello-world" 1.2.3 with every capability. */
static void builder_init(struct builder *b, uint8_t seed_byte)
{
    memset(b, 0, sizeof *b);
    memset(b->seed, seed_byte, 32);
    public_key(b->seed, b->pub);
    static const uint8_t wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04,
                                   0x01, 0x60, 0x00, 0x00};
    memcpy(b->payload, wasm, sizeof wasm);
    b->payload_len = sizeof wasm;
    uint8_t v[200], id[16], d[64];
    put_field(b, PKG_TAG_NAME, "hello-world", 11);
    le(v, 1, 4); le(v + 4, 2, 4); le(v + 8, 3, 4);
    put_field(b, PKG_TAG_VERSION, v, 12);
    assert_int_equal(pkg_key_id(b->pub, id), PKG_OK);
    put_field(b, PKG_TAG_PUBLISHER, id, 16);
    v[0] = PKG_PAYLOAD_WASM;
    put_field(b, PKG_TAG_PAYLOAD_KIND, v, 1);
    le(v, b->payload_len, 8);
    put_field(b, PKG_TAG_PAYLOAD_LENGTH, v, 8);
    assert_int_equal(crypto_sha512(b->payload, b->payload_len, d), CRYPTO_OK);
    put_field(b, PKG_TAG_PAYLOAD_SHA512, d, 64);
    le(v, 65536, 8);
    memcpy(v + 8, "apps/hello.d", 12);
    put_field(b, PKG_TAG_STORAGE, v, 20);
    const uint8_t net[16] = {PKG_NET_TCP_CONNECT, 0, 0x90, 0x1f, 10, 0, 2, 2,   /* :8080 */
                             PKG_NET_UDP, 0, 53, 0, 0, 0, 0, 0};
    put_field(b, PKG_TAG_NETWORK, net, 16);
    put_field(b, PKG_TAG_CONSOLE, "", 0);
    put_field(b, PKG_TAG_ENTROPY, "", 0);
    v[0] = PKG_CLOCK_MONOTONIC | PKG_CLOCK_WALL;
    put_field(b, PKG_TAG_CLOCKS, v, 1);
}

/* Header, manifest, signature (OpenSSL over header and manifest), payload. */
static size_t build(const struct builder *b, uint8_t *out, size_t cap)
{
    size_t m = 0;
    for (unsigned i = 0; i < b->n; i++)
        m += 3 + b->f[i].len;
    size_t total = PKG_HEADER_SIZE + m + PKG_SIGNATURE_SIZE + b->payload_len;
    assert_true(total <= cap);
    memcpy(out, PKG_MAGIC, 8);
    le(out + 8, PKG_FORMAT_VERSION, 2);
    le(out + 10, PKG_HEADER_SIZE, 2);
    le(out + 12, m, 4);
    le(out + 16, b->payload_len, 8);
    size_t pos = PKG_HEADER_SIZE;
    for (unsigned i = 0; i < b->n; i++) {
        out[pos] = b->f[i].tag;
        le(out + pos + 1, b->f[i].len, 2);
        memcpy(out + pos + 3, b->f[i].value, b->f[i].len);
        pos += 3 + b->f[i].len;
    }
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, b->seed, 32);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t siglen = 64;
    assert_true(k && ctx);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(ctx, out + pos, &siglen, out, pos), 1);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(k);
    pos += 64;
    memcpy(out + pos, b->payload, b->payload_len);
    return pos + b->payload_len;
}

static uint8_t buf[8192];

/* Parses and expects a refusal with this code at this offset, *out untouched. */
static void expect_refusal(const uint8_t *p, size_t len, pkg_result want, size_t want_at)
{
    pkg_info info, before;
    memset(&info, 0xa5, sizeof info);
    before = info;
    size_t at = 12345;
    pkg_result r = pkg_parse(p, len, &info, &at);
    if (r != want)
        fail_msg("got %s, wanted %s", pkg_result_message(r), pkg_result_message(want));
    assert_int_equal(at, want_at);
    assert_memory_equal(&info, &before, sizeof info);
}

static size_t field_offset(const struct builder *b, uint8_t tag)
{
    size_t pos = PKG_HEADER_SIZE;
    for (unsigned i = 0; i < b->n; i++) {
        if (b->f[i].tag == tag)
            return pos;
        pos += 3 + b->f[i].len;
    }
    fail_msg("no field %u", tag);
    return 0;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_complete_package(void **state)
{
    (void)state;
    struct builder b;
    builder_init(&b, 7);
    size_t len = build(&b, buf, sizeof buf);
    pkg_info in;
    size_t at = 99;
    assert_int_equal(pkg_parse(buf, len, &in, &at), PKG_OK);
    assert_string_equal(in.name, "hello-world");
    assert_int_equal(in.version.major, 1);
    assert_int_equal(in.version.minor, 2);
    assert_int_equal(in.version.patch, 3);
    assert_memory_equal(in.key_id, find(&b, PKG_TAG_PUBLISHER)->value, 16);
    assert_int_equal(in.payload_kind, PKG_PAYLOAD_WASM);
    assert_int_equal(in.payload_length, 14);
    assert_memory_equal(in.payload_sha512, find(&b, PKG_TAG_PAYLOAD_SHA512)->value, 64);
    assert_true(in.has_storage);
    assert_int_equal(in.storage_quota, 65536);
    assert_string_equal(in.storage_path, "apps/hello.d");
    assert_int_equal(in.net_count, 2);
    assert_int_equal(in.net[0].kind, PKG_NET_TCP_CONNECT);
    assert_int_equal(in.net[0].port, 8080);
    assert_int_equal(in.net[0].peer[0], 10);
    assert_int_equal(in.net[0].peer[3], 2);
    assert_int_equal(in.net[1].kind, PKG_NET_UDP);
    assert_int_equal(in.net[1].port, 53);
    assert_true(in.console && in.entropy);
    assert_int_equal(in.clocks, 3);
    size_t mlen = len - PKG_HEADER_SIZE - 64 - 14;
    assert_int_equal(in.manifest_length, mlen);
    assert_int_equal(in.signed_length, PKG_HEADER_SIZE + mlen);
    assert_int_equal(in.payload_offset, PKG_HEADER_SIZE + mlen + 64);

    crypto_result c = CRYPTO_ERR_ARGUMENT;
    assert_int_equal(pkg_verify(&in, buf, len, b.pub, &c), PKG_OK);
    assert_int_equal(c, CRYPTO_OK);
    static crypto_ed25519_key key;
    assert_int_equal(crypto_ed25519_key_prepare(&key, b.pub), CRYPTO_OK);
    assert_int_equal(pkg_verify_prepared(&in, buf, len, &key, &c), PKG_OK);

    /* only the required fields */
    struct builder m;
    builder_init(&m, 7);
    for (uint8_t t = PKG_TAG_STORAGE; t <= PKG_TAG_CLOCKS; t++)
        drop(&m, t);
    len = build(&m, buf, sizeof buf);
    assert_int_equal(pkg_parse(buf, len, &in, NULL), PKG_OK);
    assert_false(in.has_storage || in.net_count || in.console || in.entropy || in.clocks);
    assert_int_equal(pkg_verify(&in, buf, len, m.pub, NULL), PKG_OK);
}

static void test_every_prefix_truncated(void **state)
{
    (void)state;
    struct builder b;
    builder_init(&b, 7);
    size_t len = build(&b, buf, sizeof buf);
    for (size_t n = 0; n < len; n++)
        expect_refusal(buf, n, PKG_ERR_TRUNCATED, n);
    buf[len] = 0;
    expect_refusal(buf, len + 1, PKG_ERR_TRAILING, len);
    pkg_info in;
    assert_int_equal(pkg_parse(NULL, 10, &in, NULL), PKG_ERR_ARGUMENT);
    assert_int_equal(pkg_parse(buf, len, NULL, NULL), PKG_ERR_ARGUMENT);
}

static void test_header_refusals(void **state)
{
    (void)state;
    struct builder b;
    builder_init(&b, 7);
    size_t len = build(&b, buf, sizeof buf);
    uint8_t p[8192];
    struct { size_t off; unsigned n; uint64_t v; pkg_result want; size_t at; } cases[] = {
        {0, 1, 'a', PKG_ERR_MAGIC, 0},
        {7, 1, 'g', PKG_ERR_MAGIC, 0},
        {8, 2, 2, PKG_ERR_FORMAT_VERSION, 8},
        {8, 2, 0, PKG_ERR_FORMAT_VERSION, 8},
        {10, 2, 25, PKG_ERR_HEADER, 10},
        {12, 4, 0, PKG_ERR_MANIFEST_SIZE, 12},
        {12, 4, PKG_MANIFEST_MAX + 1, PKG_ERR_MANIFEST_SIZE, 12},
        {12, 4, UINT32_MAX, PKG_ERR_MANIFEST_SIZE, 12},
        {16, 8, 0, PKG_ERR_PAYLOAD_SIZE, 16},
        {16, 8, PKG_PAYLOAD_MAX + 1, PKG_ERR_PAYLOAD_SIZE, 16},
        {16, 8, UINT64_MAX, PKG_ERR_PAYLOAD_SIZE, 16},
        {16, 8, PKG_PAYLOAD_MAX, PKG_ERR_TRUNCATED, 0 /* set below */},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(p, buf, len);
        le(p + cases[i].off, cases[i].v, cases[i].n);
        expect_refusal(p, len, cases[i].want, cases[i].want == PKG_ERR_TRUNCATED ? len : cases[i].at);
    }
    /* the lengths in the header against the manifest: one byte less manifest */
    memcpy(p, buf, len);
    le(p + 12, len - PKG_HEADER_SIZE - 64 - 14 - 1, 4);
    expect_refusal(p, len, PKG_ERR_TRAILING, len - 1);
    /* the payload one byte shorter in the header: manifest's length disagrees */
    memcpy(p, buf, len);
    le(p + 16, 13, 8);
    expect_refusal(p, len - 1, PKG_ERR_PAYLOAD_LENGTH, 16);
}

static void refuse_with(struct builder *b, pkg_result want, uint8_t at_tag)
{
    size_t len = build(b, buf, sizeof buf);
    size_t at = at_tag ? field_offset(b, at_tag) : 0;
    if (want == PKG_ERR_FIELD_MISSING) {
        size_t m = 0;
        for (unsigned i = 0; i < b->n; i++)
            m += 3 + b->f[i].len;
        at = PKG_HEADER_SIZE + m;
    }
    expect_refusal(buf, len, want, at);
}

static void set_value(struct builder *b, uint8_t tag, const void *v, size_t n)
{
    struct field *f = find(b, tag);
    memcpy(f->value, v, n);
    f->len = n;
}

static void test_manifest_structure(void **state)
{
    (void)state;
    struct builder b;
    /* every required field missing in turn */
    for (uint8_t t = PKG_TAG_NAME; t <= PKG_TAG_PAYLOAD_SHA512; t++) {
        builder_init(&b, 7);
        drop(&b, t);
        refuse_with(&b, PKG_ERR_FIELD_MISSING, 0);
    }
    /* out of order and repeated */
    builder_init(&b, 7);
    struct field tmp = b.f[0];
    b.f[0] = b.f[1];
    b.f[1] = tmp;
    size_t len = build(&b, buf, sizeof buf);
    expect_refusal(buf, len, PKG_ERR_FIELD_ORDER, PKG_HEADER_SIZE + 3 + 12);
    builder_init(&b, 7);
    put_field(&b, PKG_TAG_CLOCKS, "\x01", 1);
    len = build(&b, buf, sizeof buf);
    expect_refusal(buf, len, PKG_ERR_FIELD_ORDER, len - 64 - 14 - 4);
    /* unknown tags: between the known ones, above, and 0 */
    for (unsigned k = 0; k < 3; k++) {
        static const uint8_t unknown[] = {0x07, 0x15, 0xff};
        builder_init(&b, 7);
        put_field(&b, unknown[k], "", 0);
        if (unknown[k] == 0x07) { /* keep the order: move it after the SHA-512 */
            struct field u = b.f[b.n - 1];
            memmove(&b.f[7], &b.f[6], (b.n - 7) * sizeof b.f[0]);
            b.f[6] = u;
        }
        refuse_with(&b, PKG_ERR_FIELD_UNKNOWN, unknown[k]);
    }
    builder_init(&b, 7);
    memmove(&b.f[1], &b.f[0], b.n * sizeof b.f[0]);
    b.n++;
    b.f[0].tag = 0;
    b.f[0].len = 0;
    len = build(&b, buf, sizeof buf);
    expect_refusal(buf, len, PKG_ERR_FIELD_ORDER, PKG_HEADER_SIZE); /* tag 0 is never above */
    /* a field length running past the manifest */
    builder_init(&b, 7);
    len = build(&b, buf, sizeof buf);
    size_t clocks = field_offset(&b, PKG_TAG_CLOCKS);
    le(buf + clocks + 1, 2, 2);
    expect_refusal(buf, len, PKG_ERR_FIELD_TRUNCATED, clocks);
    /* fewer than 3 bytes left for a field header: shrink the manifest by the clocks' value */
    builder_init(&b, 7);
    len = build(&b, buf, sizeof buf);
    uint8_t p[8192];
    size_t mlen = len - PKG_HEADER_SIZE - 64 - 14;
    memcpy(p, buf, clocks + 2);
    memcpy(p + clocks + 2, buf + clocks + 4, len - clocks - 4);
    le(p + 12, mlen - 2, 4);
    expect_refusal(p, len - 2, PKG_ERR_FIELD_TRUNCATED, clocks);
}

static void test_field_lengths(void **state)
{
    (void)state;
    static const struct { uint8_t tag; size_t bad[3]; } cases[] = {
        {PKG_TAG_NAME, {0, 65, 65}},
        {PKG_TAG_VERSION, {11, 13, 0}},
        {PKG_TAG_PUBLISHER, {15, 17, 32}},
        {PKG_TAG_PAYLOAD_KIND, {0, 2, 2}},
        {PKG_TAG_PAYLOAD_LENGTH, {7, 9, 4}},
        {PKG_TAG_PAYLOAD_SHA512, {63, 65, 32}},
        {PKG_TAG_STORAGE, {8, 137, 0}},
        {PKG_TAG_NETWORK, {0, 7, 136}},
        {PKG_TAG_CONSOLE, {1, 2, 1}},
        {PKG_TAG_ENTROPY, {1, 3, 1}},
        {PKG_TAG_CLOCKS, {0, 2, 2}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (unsigned k = 0; k < 3; k++) {
            struct builder b;
            builder_init(&b, 7);
            struct field *f = find(&b, cases[i].tag);
            uint8_t keep[600];
            memcpy(keep, f->value, sizeof keep);
            memset(f->value, 'a', sizeof f->value);
            memcpy(f->value, keep, f->len < cases[i].bad[k] ? f->len : cases[i].bad[k]);
            f->len = cases[i].bad[k];
            refuse_with(&b, PKG_ERR_FIELD_LENGTH, cases[i].tag);
        }
    }
}

static void test_field_values(void **state)
{
    (void)state;
    struct builder b;
    static const char *const bad_names[] = {"Hello", "1abc", "-abc", "abc-", "a_b", "a.b",
                                            "a b", "\xc3\xa9t\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        builder_init(&b, 7);
        set_value(&b, PKG_TAG_NAME, bad_names[i], strlen(bad_names[i]));
        refuse_with(&b, PKG_ERR_NAME, PKG_TAG_NAME);
    }
    static const char *const good_names[] = {"a", "a1", "a-b-9", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"};
    for (size_t i = 0; i < sizeof good_names / sizeof good_names[0]; i++) {
        builder_init(&b, 7);
        set_value(&b, PKG_TAG_NAME, good_names[i], strlen(good_names[i]));
        size_t len = build(&b, buf, sizeof buf);
        pkg_info in;
        assert_int_equal(pkg_parse(buf, len, &in, NULL), PKG_OK);
        assert_string_equal(in.name, good_names[i]);
    }
    builder_init(&b, 7);
    set_value(&b, PKG_TAG_PAYLOAD_KIND, "\x02", 1);
    refuse_with(&b, PKG_ERR_PAYLOAD_KIND, PKG_TAG_PAYLOAD_KIND);
    builder_init(&b, 7);
    uint8_t v[200];
    le(v, 15, 8);
    set_value(&b, PKG_TAG_PAYLOAD_LENGTH, v, 8);
    size_t plen_len = build(&b, buf, sizeof buf);
    expect_refusal(buf, plen_len, PKG_ERR_PAYLOAD_LENGTH, 16); /* the header's length field */

    static const char *const bad_paths[] = {"/a", "a/", "a//b", ".", "..", "a/../b", "a/./b", "A",
        "a\\b", "abcdefghijabcdefghijabcdefghijabc", "a b"};
    for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
        builder_init(&b, 7);
        le(v, 4096, 8);
        memcpy(v + 8, bad_paths[i], strlen(bad_paths[i]));
        set_value(&b, PKG_TAG_STORAGE, v, 8 + strlen(bad_paths[i]));
        refuse_with(&b, PKG_ERR_STORAGE, PKG_TAG_STORAGE);
    }
    uint64_t bad_quota[] = {0, PKG_STORAGE_QUOTA_MAX + 1, UINT64_MAX};
    for (size_t i = 0; i < 3; i++) {
        builder_init(&b, 7);
        le(v, bad_quota[i], 8);
        memcpy(v + 8, "data", 4);
        set_value(&b, PKG_TAG_STORAGE, v, 12);
        refuse_with(&b, PKG_ERR_STORAGE, PKG_TAG_STORAGE);
    }
    /* 128-byte path of 4 x 32-byte components minus separators: accepted at the bound */
    builder_init(&b, 7);
    le(v, PKG_STORAGE_QUOTA_MAX, 8);
    memset(v + 8, 'x', 128);
    v[8 + 32] = v[8 + 65] = v[8 + 98] = '/';
    set_value(&b, PKG_TAG_STORAGE, v, 8 + 128);
    size_t len = build(&b, buf, sizeof buf);
    pkg_info in;
    assert_int_equal(pkg_parse(buf, len, &in, NULL), PKG_OK);
    assert_int_equal(strlen(in.storage_path), 128);

    static const uint8_t bad_net[][8] = {
        {0, 0, 80, 0, 1, 2, 3, 4},        /* kind 0 */
        {4, 0, 80, 0, 1, 2, 3, 4},        /* kind 4 */
        {1, 1, 80, 0, 1, 2, 3, 4},        /* reserved byte */
        {1, 0, 0, 0, 1, 2, 3, 4},         /* port 0 */
        {2, 0, 80, 0, 1, 2, 3, 4},        /* listen with a peer */
    };
    for (size_t i = 0; i < sizeof bad_net / sizeof bad_net[0]; i++) {
        builder_init(&b, 7);
        set_value(&b, PKG_TAG_NETWORK, bad_net[i], 8);
        refuse_with(&b, PKG_ERR_NETWORK, PKG_TAG_NETWORK);
    }
    const uint8_t dup[16] = {1, 0, 80, 0, 1, 2, 3, 4, 1, 0, 80, 0, 1, 2, 3, 4};
    const uint8_t unsorted[16] = {3, 0, 53, 0, 0, 0, 0, 0, 1, 0, 80, 0, 1, 2, 3, 4};
    builder_init(&b, 7);
    set_value(&b, PKG_TAG_NETWORK, dup, 16);
    refuse_with(&b, PKG_ERR_NETWORK, PKG_TAG_NETWORK);
    builder_init(&b, 7);
    set_value(&b, PKG_TAG_NETWORK, unsorted, 16);
    refuse_with(&b, PKG_ERR_NETWORK, PKG_TAG_NETWORK);
    /* 16 entries accepted, 17 refused by length */
    uint8_t many[17 * 8];
    for (unsigned i = 0; i < 17; i++) {
        uint8_t e[8] = {1, 0, (uint8_t)(100 + i), 0, 10, 0, 0, 1};
        memcpy(many + 8 * i, e, 8);
    }
    builder_init(&b, 7);
    set_value(&b, PKG_TAG_NETWORK, many, 16 * 8);
    len = build(&b, buf, sizeof buf);
    assert_int_equal(pkg_parse(buf, len, &in, NULL), PKG_OK);
    assert_int_equal(in.net_count, 16);
    assert_int_equal(in.net[15].port, 115);
    builder_init(&b, 7);
    set_value(&b, PKG_TAG_NETWORK, many, 17 * 8);
    refuse_with(&b, PKG_ERR_FIELD_LENGTH, PKG_TAG_NETWORK);

    static const uint8_t bad_clocks[] = {0, 4, 0x80, 7};
    for (size_t i = 0; i < sizeof bad_clocks; i++) {
        builder_init(&b, 7);
        set_value(&b, PKG_TAG_CLOCKS, &bad_clocks[i], 1);
        refuse_with(&b, PKG_ERR_CLOCKS, PKG_TAG_CLOCKS);
    }
}

static void test_verify_refusals(void **state)
{
    (void)state;
    struct builder b;
    builder_init(&b, 7);
    size_t len = build(&b, buf, sizeof buf);
    pkg_info in;
    assert_int_equal(pkg_parse(buf, len, &in, NULL), PKG_OK);
    crypto_result c;
    /* another publisher's key */
    uint8_t other_seed[32], other[32];
    memset(other_seed, 9, 32);
    public_key(other_seed, other);
    assert_int_equal(pkg_verify(&in, buf, len, other, &c), PKG_ERR_KEY_ID);
    /* a flipped signature bit */
    buf[in.signature_offset + 40] ^= 4;
    assert_int_equal(pkg_verify(&in, buf, len, b.pub, &c), PKG_ERR_SIGNATURE);
    assert_int_equal(c, CRYPTO_ERR_EQUATION);
    buf[in.signature_offset + 40] ^= 4;
    /* a manifest byte changed after signing: the patch version */
    size_t ver = field_offset(&b, PKG_TAG_VERSION) + 3 + 8;
    buf[ver] ^= 1;
    pkg_info in2;
    assert_int_equal(pkg_parse(buf, len, &in2, NULL), PKG_OK);
    assert_int_equal(pkg_verify(&in2, buf, len, b.pub, &c), PKG_ERR_SIGNATURE);
    buf[ver] ^= 1;
    /* the payload changed: the signature still holds, the digest does not */
    buf[len - 1] ^= 0x40;
    assert_int_equal(pkg_verify(&in, buf, len, b.pub, &c), PKG_ERR_DIGEST);
    assert_int_equal(c, CRYPTO_OK);
    buf[len - 1] ^= 0x40;
    assert_int_equal(pkg_verify(&in, buf, len, b.pub, &c), PKG_OK);
    /* a correctly signed payload that is not WebAssembly */
    struct builder nw;
    builder_init(&nw, 7);
    memcpy(nw.payload, "\x7f" "ELF", 4);
    uint8_t d[64];
    assert_int_equal(crypto_sha512(nw.payload, nw.payload_len, d), CRYPTO_OK);
    set_value(&nw, PKG_TAG_PAYLOAD_SHA512, d, 64);
    len = build(&nw, buf, sizeof buf);
    assert_int_equal(pkg_parse(buf, len, &in, NULL), PKG_OK);
    assert_int_equal(pkg_verify(&in, buf, len, nw.pub, &c), PKG_ERR_PAYLOAD_FORMAT);
    /* arguments, and an info that does not describe this buffer */
    assert_int_equal(pkg_verify(NULL, buf, len, nw.pub, &c), PKG_ERR_ARGUMENT);
    assert_int_equal(pkg_verify(&in, buf, len - 1, nw.pub, &c), PKG_ERR_ARGUMENT);
    assert_int_equal(pkg_verify(&in, buf, len, NULL, &c), PKG_ERR_ARGUMENT);
    assert_int_equal(pkg_verify_prepared(&in, buf, len, NULL, &c), PKG_ERR_ARGUMENT);
}

static void test_versions_and_messages(void **state)
{
    (void)state;
    pkg_version a = {1, 2, 3}, b = {1, 2, 4}, c = {1, 10, 0}, d = {2, 0, 0};
    assert_int_equal(pkg_version_compare(&a, &a), 0);
    assert_int_equal(pkg_version_compare(&a, &b), -1);
    assert_int_equal(pkg_version_compare(&b, &c), -1);
    assert_int_equal(pkg_version_compare(&c, &d), -1);
    assert_int_equal(pkg_version_compare(&d, &a), 1);
    for (int i = 0; i < PKG_RESULT_COUNT; i++) {
        const char *m = pkg_result_message((pkg_result)i);
        assert_string_not_equal(m, "unknown result");
        for (int j = 0; j < i; j++)
            assert_string_not_equal(m, pkg_result_message((pkg_result)j));
    }
    assert_string_equal(pkg_result_message(PKG_RESULT_COUNT), "unknown result");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_package),
        cmocka_unit_test(test_every_prefix_truncated),
        cmocka_unit_test(test_header_refusals),
        cmocka_unit_test(test_manifest_structure),
        cmocka_unit_test(test_field_lengths),
        cmocka_unit_test(test_field_values),
        cmocka_unit_test(test_verify_refusals),
        cmocka_unit_test(test_versions_and_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
