/* Anvaya package format (docs/package-format.md): the bounded parser and the verification
 * of a package against a publisher key. Freestanding, one source for the guest and host. */
#ifndef PKG_H
#define PKG_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define PKG_MAGIC "ANVAYPKG"
#define PKG_FORMAT_VERSION 1u
#define PKG_HEADER_SIZE 24u
#define PKG_SIGNATURE_SIZE 64u
#define PKG_MANIFEST_MAX 4096u
#define PKG_PAYLOAD_MAX (16u * 1024u * 1024u)
#define PKG_NAME_MAX 64u
#define PKG_KEY_ID_SIZE 16u
#define PKG_STORAGE_PATH_MAX 128u
#define PKG_STORAGE_COMPONENT_MAX 32u
#define PKG_STORAGE_QUOTA_MAX (UINT64_C(1) << 40)
#define PKG_NET_MAX 16u

/* Manifest field tags, in the order they must appear. */
enum pkg_tag {
    PKG_TAG_NAME = 0x01,
    PKG_TAG_VERSION = 0x02,
    PKG_TAG_PUBLISHER = 0x03,
    PKG_TAG_PAYLOAD_KIND = 0x04,
    PKG_TAG_PAYLOAD_LENGTH = 0x05,
    PKG_TAG_PAYLOAD_SHA512 = 0x06,
    PKG_TAG_STORAGE = 0x10,
    PKG_TAG_NETWORK = 0x11,
    PKG_TAG_CONSOLE = 0x12,
    PKG_TAG_ENTROPY = 0x13,
    PKG_TAG_CLOCKS = 0x14,
};

enum pkg_payload_kind { PKG_PAYLOAD_WASM = 1 };
enum pkg_net_kind { PKG_NET_TCP_CONNECT = 1, PKG_NET_TCP_LISTEN = 2, PKG_NET_UDP = 3 };
enum pkg_clock_bits { PKG_CLOCK_MONOTONIC = 1u, PKG_CLOCK_WALL = 2u };

typedef enum pkg_result {
    PKG_OK = 0,
    PKG_ERR_ARGUMENT,           /* NULL pointer */
    PKG_ERR_TRUNCATED,          /* fewer bytes than the header or its lengths say */
    PKG_ERR_TRAILING,           /* more bytes than the lengths say */
    PKG_ERR_MAGIC,              /* not "ANVAYPKG" */
    PKG_ERR_FORMAT_VERSION,     /* a format version this parser does not know */
    PKG_ERR_HEADER,             /* header size field wrong */
    PKG_ERR_MANIFEST_SIZE,      /* manifest empty or above PKG_MANIFEST_MAX */
    PKG_ERR_PAYLOAD_SIZE,       /* payload empty or above PKG_PAYLOAD_MAX */
    PKG_ERR_FIELD_TRUNCATED,    /* a field runs past the end of the manifest */
    PKG_ERR_FIELD_ORDER,        /* a tag not above the one before it (out of order, repeated) */
    PKG_ERR_FIELD_UNKNOWN,      /* a tag this format does not define */
    PKG_ERR_FIELD_LENGTH,       /* a field's length is wrong for its tag */
    PKG_ERR_FIELD_MISSING,      /* a required field is absent */
    PKG_ERR_NAME,               /* name not [a-z][a-z0-9-]* without a trailing '-' */
    PKG_ERR_PAYLOAD_KIND,       /* unknown payload kind */
    PKG_ERR_PAYLOAD_LENGTH,     /* manifest and header disagree on the payload length */
    PKG_ERR_STORAGE,            /* bad storage path or quota */
    PKG_ERR_NETWORK,            /* bad network entry (kind, port, peer, order) */
    PKG_ERR_CLOCKS,             /* empty or unknown clock bits */
    PKG_ERR_KEY_ID,             /* the package names another publisher key */
    PKG_ERR_SIGNATURE,          /* the signature does not verify (see crypto_result) */
    PKG_ERR_DIGEST,             /* the payload's SHA-512 differs from the manifest's */
    PKG_ERR_PAYLOAD_FORMAT,     /* the payload is not of its declared kind */
    PKG_RESULT_COUNT
} pkg_result;

const char *pkg_result_message(pkg_result r);

typedef struct pkg_version {
    uint32_t major, minor, patch;
} pkg_version;

typedef struct pkg_net_entry {
    uint8_t kind;     /* enum pkg_net_kind */
    uint16_t port;
    uint8_t peer[4];  /* IPv4; 0.0.0.0 = any peer */
} pkg_net_entry;

/* What pkg_parse found; offsets are into the buffer it was given. */
typedef struct pkg_info {
    char name[PKG_NAME_MAX + 1];
    pkg_version version;
    uint8_t key_id[PKG_KEY_ID_SIZE];
    uint8_t payload_kind;
    uint64_t payload_length;
    uint8_t payload_sha512[64];
    int has_storage;
    uint64_t storage_quota;
    char storage_path[PKG_STORAGE_PATH_MAX + 1];
    uint32_t net_count;
    pkg_net_entry net[PKG_NET_MAX];
    int console, entropy;
    uint8_t clocks;           /* enum pkg_clock_bits, 0 = none */
    size_t manifest_offset, manifest_length;
    size_t signature_offset, payload_offset;
    size_t signed_length;     /* the signature covers bytes [0, signed_length) */
} pkg_info;

/* Structure only: every length bounded and checked before use. On a refusal *out is
 * unchanged and *error_offset (when not NULL) is where the problem is. */
CRYPTO_MUST_CHECK pkg_result pkg_parse(const uint8_t *buf, size_t len, pkg_info *out,
                                       size_t *error_offset);

/* The publisher key's id: the first 16 bytes of SHA-512(key). */
CRYPTO_MUST_CHECK pkg_result pkg_key_id(const uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE],
                                        uint8_t out[PKG_KEY_ID_SIZE]);

/* A parsed package against a publisher key: key id, signature over the header and manifest,
 * payload digest, payload format, in that order. *sig_result (when not NULL) receives the
 * crypto library's verdict on the signature. */
CRYPTO_MUST_CHECK pkg_result pkg_verify(const pkg_info *info, const uint8_t *buf, size_t len,
                                        const uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE],
                                        crypto_result *sig_result);

/* The same with a prepared (trusted) key. */
CRYPTO_MUST_CHECK pkg_result pkg_verify_prepared(const pkg_info *info, const uint8_t *buf,
                                                 size_t len, const crypto_ed25519_key *key,
                                                 crypto_result *sig_result);

/* 1 when name[0, len) is a valid package name ([a-z][a-z0-9-]*, 1..64 bytes, no trailing
 * '-'), else 0; the rule pkg_parse applies to the manifest's name. */
int pkg_name_valid(const char *name, size_t len);

/* -1, 0, 1: the total order of versions (major, then minor, then patch). */
int pkg_version_compare(const pkg_version *a, const pkg_version *b);

#endif
