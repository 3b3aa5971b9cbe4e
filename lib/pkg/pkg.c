/* Anvaya package parser and verifier (format: docs/package-format.md). Every length is
 * bounded and checked before it is used; a refusal names its reason and the offset. */
#include "pkg.h"

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static int bytes_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* <0, 0, >0 like memcmp */
static int bytes_compare(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

const char *pkg_result_message(pkg_result r)
{
    switch (r) {
    case PKG_OK: return "ok";
    case PKG_ERR_ARGUMENT: return "invalid argument";
    case PKG_ERR_TRUNCATED: return "package truncated: fewer bytes than its header declares";
    case PKG_ERR_TRAILING: return "package oversized: bytes after the payload";
    case PKG_ERR_MAGIC: return "not an Anvaya package (magic is not ANVAYPKG)";
    case PKG_ERR_FORMAT_VERSION: return "unknown package format version";
    case PKG_ERR_HEADER: return "header: size field is not 24";
    case PKG_ERR_MANIFEST_SIZE: return "header: manifest length is 0 or above 4096";
    case PKG_ERR_PAYLOAD_SIZE: return "header: payload length is 0 or above 16 MiB";
    case PKG_ERR_FIELD_TRUNCATED: return "manifest: a field runs past the end of the manifest";
    case PKG_ERR_FIELD_ORDER: return "manifest: field out of order or repeated";
    case PKG_ERR_FIELD_UNKNOWN: return "manifest: unknown field";
    case PKG_ERR_FIELD_LENGTH: return "manifest: field length wrong for its kind";
    case PKG_ERR_FIELD_MISSING: return "manifest: a required field is missing";
    case PKG_ERR_NAME: return "manifest: name must be [a-z][a-z0-9-]*, at most 64 bytes, not ending in '-'";
    case PKG_ERR_PAYLOAD_KIND: return "manifest: unknown payload kind";
    case PKG_ERR_PAYLOAD_LENGTH: return "manifest: payload length differs from the header's";
    case PKG_ERR_STORAGE: return "manifest: storage path or quota invalid";
    case PKG_ERR_NETWORK: return "manifest: network entry invalid";
    case PKG_ERR_CLOCKS: return "manifest: clocks empty or unknown";
    case PKG_ERR_KEY_ID: return "package names a different publisher key";
    case PKG_ERR_SIGNATURE: return "bad signature";
    case PKG_ERR_DIGEST: return "payload digest mismatch";
    case PKG_ERR_PAYLOAD_FORMAT: return "payload is not of its declared kind";
    case PKG_RESULT_COUNT: break;
    }
    return "unknown result";
}

static int name_valid(const uint8_t *s, size_t n)
{
    if (n < 1 || n > PKG_NAME_MAX || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

int pkg_name_valid(const char *name, size_t len)
{
    return name != NULL && name_valid((const uint8_t *)name, len);
}

/* Components of 1..32 bytes of [a-z0-9._-] separated by single '/', none "." or "..". */
static int path_valid(const uint8_t *s, size_t n)
{
    if (n < 1 || n > PKG_STORAGE_PATH_MAX)
        return 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '/') {
            uint8_t c = s[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-'))
                return 0;
            continue;
        }
        size_t clen = i - start;
        if (clen < 1 || clen > PKG_STORAGE_COMPONENT_MAX)
            return 0;
        if ((clen == 1 && s[start] == '.') || (clen == 2 && s[start] == '.' && s[start + 1] == '.'))
            return 0;
        start = i + 1;
    }
    return 1;
}

static pkg_result parse_network(pkg_info *info, const uint8_t *v, size_t n)
{
    if (n == 0 || n % 8 || n / 8 > PKG_NET_MAX)
        return PKG_ERR_FIELD_LENGTH;
    for (size_t i = 0; i < n / 8; i++) {
        const uint8_t *e = v + 8 * i;
        uint16_t port = get_u16(e + 2);
        int any_peer = !e[4] && !e[5] && !e[6] && !e[7];
        if (e[0] < PKG_NET_TCP_CONNECT || e[0] > PKG_NET_UDP || e[1] != 0 || port == 0 ||
            (e[0] == PKG_NET_TCP_LISTEN && !any_peer))
            return PKG_ERR_NETWORK;
        if (i > 0 && bytes_compare(e - 8, e, 8) >= 0)
            return PKG_ERR_NETWORK; /* entries strictly increasing: one encoding per set */
        info->net[i].kind = e[0];
        info->net[i].port = port;
        for (unsigned k = 0; k < 4; k++)
            info->net[i].peer[k] = e[4 + k];
    }
    info->net_count = (uint32_t)(n / 8);
    return PKG_OK;
}

static pkg_result parse_field(pkg_info *info, uint8_t tag, const uint8_t *v, size_t n)
{
    switch (tag) {
    case PKG_TAG_NAME:
        if (n < 1 || n > PKG_NAME_MAX)
            return PKG_ERR_FIELD_LENGTH;
        if (!name_valid(v, n))
            return PKG_ERR_NAME;
        for (size_t i = 0; i < n; i++)
            info->name[i] = (char)v[i];
        info->name[n] = '\0';
        return PKG_OK;
    case PKG_TAG_VERSION:
        if (n != 12)
            return PKG_ERR_FIELD_LENGTH;
        info->version.major = get_u32(v);
        info->version.minor = get_u32(v + 4);
        info->version.patch = get_u32(v + 8);
        return PKG_OK;
    case PKG_TAG_PUBLISHER:
        if (n != PKG_KEY_ID_SIZE)
            return PKG_ERR_FIELD_LENGTH;
        for (size_t i = 0; i < n; i++)
            info->key_id[i] = v[i];
        return PKG_OK;
    case PKG_TAG_PAYLOAD_KIND:
        if (n != 1)
            return PKG_ERR_FIELD_LENGTH;
        if (v[0] != PKG_PAYLOAD_WASM)
            return PKG_ERR_PAYLOAD_KIND;
        info->payload_kind = v[0];
        return PKG_OK;
    case PKG_TAG_PAYLOAD_LENGTH:
        if (n != 8)
            return PKG_ERR_FIELD_LENGTH;
        info->payload_length = get_u64(v);
        return PKG_OK;
    case PKG_TAG_PAYLOAD_SHA512:
        if (n != 64)
            return PKG_ERR_FIELD_LENGTH;
        for (size_t i = 0; i < n; i++)
            info->payload_sha512[i] = v[i];
        return PKG_OK;
    case PKG_TAG_STORAGE: {
        if (n < 9 || n > 8 + PKG_STORAGE_PATH_MAX)
            return PKG_ERR_FIELD_LENGTH;
        uint64_t quota = get_u64(v);
        if (quota == 0 || quota > PKG_STORAGE_QUOTA_MAX || !path_valid(v + 8, n - 8))
            return PKG_ERR_STORAGE;
        info->has_storage = 1;
        info->storage_quota = quota;
        for (size_t i = 0; i < n - 8; i++)
            info->storage_path[i] = (char)v[8 + i];
        info->storage_path[n - 8] = '\0';
        return PKG_OK;
    }
    case PKG_TAG_NETWORK:
        return parse_network(info, v, n);
    case PKG_TAG_CONSOLE:
    case PKG_TAG_ENTROPY:
        if (n != 0)
            return PKG_ERR_FIELD_LENGTH;
        if (tag == PKG_TAG_CONSOLE)
            info->console = 1;
        else
            info->entropy = 1;
        return PKG_OK;
    case PKG_TAG_CLOCKS:
        if (n != 1)
            return PKG_ERR_FIELD_LENGTH;
        if (v[0] == 0 || (v[0] & ~(PKG_CLOCK_MONOTONIC | PKG_CLOCK_WALL)))
            return PKG_ERR_CLOCKS;
        info->clocks = v[0];
        return PKG_OK;
    default:
        return PKG_ERR_FIELD_UNKNOWN;
    }
}

static pkg_result fail(size_t *error_offset, size_t at, pkg_result r)
{
    if (error_offset)
        *error_offset = at;
    return r;
}

pkg_result pkg_parse(const uint8_t *buf, size_t len, pkg_info *out, size_t *error_offset)
{
    if (!buf || !out)
        return fail(error_offset, 0, PKG_ERR_ARGUMENT);
    if (len < PKG_HEADER_SIZE)
        return fail(error_offset, len, PKG_ERR_TRUNCATED);
    if (!bytes_equal(buf, (const uint8_t *)PKG_MAGIC, 8))
        return fail(error_offset, 0, PKG_ERR_MAGIC);
    if (get_u16(buf + 8) != PKG_FORMAT_VERSION)
        return fail(error_offset, 8, PKG_ERR_FORMAT_VERSION);
    if (get_u16(buf + 10) != PKG_HEADER_SIZE)
        return fail(error_offset, 10, PKG_ERR_HEADER);
    uint32_t mlen = get_u32(buf + 12);
    if (mlen == 0 || mlen > PKG_MANIFEST_MAX)
        return fail(error_offset, 12, PKG_ERR_MANIFEST_SIZE);
    uint64_t plen = get_u64(buf + 16);
    if (plen == 0 || plen > PKG_PAYLOAD_MAX)
        return fail(error_offset, 16, PKG_ERR_PAYLOAD_SIZE);
    /* All three bounded above, so the sum cannot wrap. */
    uint64_t total = (uint64_t)PKG_HEADER_SIZE + mlen + PKG_SIGNATURE_SIZE + plen;
    if ((uint64_t)len < total)
        return fail(error_offset, len, PKG_ERR_TRUNCATED);
    if ((uint64_t)len > total)
        return fail(error_offset, (size_t)total, PKG_ERR_TRAILING);

    pkg_info info;
    {
        uint8_t *p = (uint8_t *)&info;
        for (size_t i = 0; i < sizeof info; i++)
            p[i] = 0;
    }
    const size_t end = PKG_HEADER_SIZE + mlen;
    size_t pos = PKG_HEADER_SIZE;
    unsigned last_tag = 0;
    uint32_t seen = 0; /* required fields, bit per tag 1..6 */
    while (pos < end) { /* each turn consumes at least 3 bytes */
        if (end - pos < 3)
            return fail(error_offset, pos, PKG_ERR_FIELD_TRUNCATED);
        uint8_t tag = buf[pos];
        size_t flen = get_u16(buf + pos + 1);
        if (flen > end - pos - 3)
            return fail(error_offset, pos, PKG_ERR_FIELD_TRUNCATED);
        if (tag <= last_tag)
            return fail(error_offset, pos, PKG_ERR_FIELD_ORDER);
        pkg_result r = parse_field(&info, tag, buf + pos + 3, flen);
        if (r != PKG_OK)
            return fail(error_offset, pos, r);
        if (tag <= PKG_TAG_PAYLOAD_SHA512)
            seen |= 1u << tag;
        last_tag = tag;
        pos += 3 + flen;
    }
    const uint32_t required = (1u << PKG_TAG_NAME) | (1u << PKG_TAG_VERSION) |
                              (1u << PKG_TAG_PUBLISHER) | (1u << PKG_TAG_PAYLOAD_KIND) |
                              (1u << PKG_TAG_PAYLOAD_LENGTH) | (1u << PKG_TAG_PAYLOAD_SHA512);
    if ((seen & required) != required)
        return fail(error_offset, end, PKG_ERR_FIELD_MISSING);
    if (info.payload_length != plen)
        return fail(error_offset, 16, PKG_ERR_PAYLOAD_LENGTH);
    info.manifest_offset = PKG_HEADER_SIZE;
    info.manifest_length = mlen;
    info.signed_length = end;
    info.signature_offset = end;
    info.payload_offset = end + PKG_SIGNATURE_SIZE;
    *out = info;
    return PKG_OK;
}

pkg_result pkg_key_id(const uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE], uint8_t out[PKG_KEY_ID_SIZE])
{
    uint8_t d[CRYPTO_SHA512_DIGEST_SIZE];
    if (!pub || !out)
        return PKG_ERR_ARGUMENT;
    if (crypto_sha512(pub, CRYPTO_ED25519_PUBLIC_KEY_SIZE, d) != CRYPTO_OK)
        return PKG_ERR_ARGUMENT;
    for (size_t i = 0; i < PKG_KEY_ID_SIZE; i++)
        out[i] = d[i];
    return PKG_OK;
}

static int layout_matches(const pkg_info *info, size_t len)
{
    return info->signed_length == info->signature_offset &&
           info->signature_offset + PKG_SIGNATURE_SIZE == info->payload_offset &&
           info->payload_length <= PKG_PAYLOAD_MAX &&
           info->payload_offset <= len && len - info->payload_offset == info->payload_length;
}

/* Digest and format of the payload, once the signature is known good. */
static pkg_result check_payload(const pkg_info *info, const uint8_t *buf)
{
    uint8_t d[CRYPTO_SHA512_DIGEST_SIZE];
    const uint8_t *payload = buf + info->payload_offset;
    if (crypto_sha512(payload, (size_t)info->payload_length, d) != CRYPTO_OK)
        return PKG_ERR_ARGUMENT;
    if (!bytes_equal(d, info->payload_sha512, sizeof d))
        return PKG_ERR_DIGEST;
    if (info->payload_kind == PKG_PAYLOAD_WASM) {
        static const uint8_t wasm_head[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
        if (info->payload_length < sizeof wasm_head || !bytes_equal(payload, wasm_head, 8))
            return PKG_ERR_PAYLOAD_FORMAT;
        return PKG_OK;
    }
    return PKG_ERR_PAYLOAD_FORMAT;
}

pkg_result pkg_verify(const pkg_info *info, const uint8_t *buf, size_t len,
                      const uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE], crypto_result *sig_result)
{
    if (!info || !buf || !pub || !layout_matches(info, len))
        return PKG_ERR_ARGUMENT;
    uint8_t id[PKG_KEY_ID_SIZE];
    pkg_result r = pkg_key_id(pub, id);
    if (r != PKG_OK)
        return r;
    if (!bytes_equal(id, info->key_id, sizeof id))
        return PKG_ERR_KEY_ID;
    crypto_result c = crypto_ed25519_verify(buf + info->signature_offset, buf, info->signed_length, pub);
    if (sig_result)
        *sig_result = c;
    if (c != CRYPTO_OK)
        return PKG_ERR_SIGNATURE;
    return check_payload(info, buf);
}

pkg_result pkg_verify_prepared(const pkg_info *info, const uint8_t *buf, size_t len,
                               const crypto_ed25519_key *key, crypto_result *sig_result)
{
    if (!info || !buf || !key || !layout_matches(info, len))
        return PKG_ERR_ARGUMENT;
    uint8_t id[PKG_KEY_ID_SIZE];
    pkg_result r = pkg_key_id(key->pub, id);
    if (r != PKG_OK)
        return r;
    if (!bytes_equal(id, info->key_id, sizeof id))
        return PKG_ERR_KEY_ID;
    crypto_result c = crypto_ed25519_verify_prepared(key, buf + info->signature_offset, buf,
                                                     info->signed_length);
    if (sig_result)
        *sig_result = c;
    if (c != CRYPTO_OK)
        return PKG_ERR_SIGNATURE;
    return check_payload(info, buf);
}

int pkg_version_compare(const pkg_version *a, const pkg_version *b)
{
    if (a->major != b->major)
        return a->major < b->major ? -1 : 1;
    if (a->minor != b->minor)
        return a->minor < b->minor ? -1 : 1;
    if (a->patch != b->patch)
        return a->patch < b->patch ? -1 : 1;
    return 0;
}
