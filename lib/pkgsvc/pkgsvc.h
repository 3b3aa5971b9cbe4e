/* The package service's policy (docs/packages.md): what the system allows packages to ask
 * for, the durable record of the highest version ever installed per name, the install
 * decision and the audit line. Pure functions, no I/O: one source for the component and
 * for the host tests and fuzzers. */
#ifndef PKGSVC_H
#define PKGSVC_H

#include <stddef.h>
#include <stdint.h>

#include "pkg.h"

#define PKGSVC_KEYS_MAX 4u
#define PKGSVC_ALLOW_NET_MAX 8u
#define PKGSVC_VERSIONS_MAX 64u
/* One record line: name, space, "u32.u32.u32", space, 128 hex digits, newline. */
#define PKGSVC_VERSIONS_LINE_MAX (PKG_NAME_MAX + 1u + 32u + 1u + 128u + 1u)
#define PKGSVC_VERSIONS_FILE_MAX (PKGSVC_VERSIONS_MAX * PKGSVC_VERSIONS_LINE_MAX)
#define PKGSVC_ALLOW_TEXT_MAX 512u
#define PKGSVC_AUDIT_LINE_MAX 256u

/* Every outcome of the service. The IDL's error codes are PKGSVC_ERROR_BASE + the value
 * (idl/interfaces/packages.idl spells the same numbers). */
#define PKGSVC_ERROR_BASE 1200
typedef enum pkgsvc_result {
    PKGSVC_OK = 0,
    PKGSVC_ERR_ARGUMENT,        /* a bad name, path or length from the caller */
    PKGSVC_ERR_NOENT,           /* no such staged file or installed package */
    PKGSVC_ERR_STORE,           /* the file store refused or failed an operation */
    PKGSVC_ERR_TRUNCATED,       /* fewer bytes than the package's own lengths say */
    PKGSVC_ERR_OVERSIZED,       /* more bytes than its lengths say, or above the service's limit */
    PKGSVC_ERR_MALFORMED,       /* header or manifest breaks the format (docs/package-format.md) */
    PKGSVC_ERR_UNKNOWN_KEY,     /* the publisher key id is not in the trust store */
    PKGSVC_ERR_SIGNATURE,       /* the signature does not verify under the trusted key */
    PKGSVC_ERR_DIGEST,          /* the payload's SHA-512 is not the signed one */
    PKGSVC_ERR_ROLLBACK,        /* a version below the highest ever installed, or the same
                                   version with other contents */
    PKGSVC_ERR_NOT_ALLOWED,     /* a capability the system does not grant */
    PKGSVC_ERR_INSTALLED,       /* exactly this package is already installed */
    PKGSVC_ERR_END,             /* list: no more entries */
    PKGSVC_ERR_CORRUPT,         /* an installed package no longer verifies */
    PKGSVC_ERR_RECORD,          /* the version record is unreadable: installs refused */
    PKGSVC_ERR_FULL,            /* the version record or the index has no room */
    /* Downloads (Packages.fetch): each way one can fail has its own outcome. */
    PKGSVC_ERR_NO_NETWORK,      /* this service has no connection to a network stack */
    PKGSVC_ERR_URL,             /* not an http:// URL lib/http accepts */
    PKGSVC_ERR_DENIED,          /* the network stack refused: not in the service's grant */
    PKGSVC_ERR_NETWORK,         /* name lookup, connection or transfer failed */
    PKGSVC_ERR_HTTP_STATUS,     /* the server answered with a status other than 200 */
    PKGSVC_ERR_HTTP_TRUNCATED,  /* the connection ended before the body did */
    PKGSVC_ERR_HTTP_TOO_BIG,    /* the body is longer than the service's max_package */
    PKGSVC_ERR_HTTP_MALFORMED,  /* the response breaks HTTP/1.1 (lib/http refused it) */
    PKGSVC_ERR_TIMEOUT,         /* no progress within the service's fetch timeout */
    PKGSVC_RESULT_COUNT
} pkgsvc_result;

const char *pkgsvc_result_message(pkgsvc_result r);
/* A short word for audit lines and the console ("bad-signature"). */
const char *pkgsvc_result_word(pkgsvc_result r);

/* The refusal a lib/pkg result stands for (parse or verify). */
pkgsvc_result pkgsvc_from_pkg(pkg_result r);

/* A URL's host as a dotted IPv4 address (fetch: such a host is used as it is, any other
 * is looked up): exactly four decimal parts 0..255 of 1..3 digits, len bytes of text (no NUL
 * needed). PKGSVC_OK and *ip (host order), else PKGSVC_ERR_URL with *ip unchanged. */
CRYPTO_MUST_CHECK pkgsvc_result pkgsvc_ipv4_parse(const char *text, size_t len, uint32_t *ip);

/* ---- what the system allows ---------------------------------------------------------- */

typedef struct pkgsvc_allow {
    uint64_t storage_quota_max;   /* 0: no storage may be requested */
    uint32_t net_count;
    pkg_net_entry net[PKGSVC_ALLOW_NET_MAX]; /* peer 0.0.0.0: any peer */
    int console, entropy;
    uint8_t clocks;               /* enum pkg_clock_bits that may be requested */
} pkgsvc_allow;

/* The network allowance in the system description: entries separated by ',' or ';', each
 * "<kind> <a.b.c.d>:<port>" with kind tcp-connect, tcp-listen or udp (the package tool's
 * manifest syntax); spaces around entries are ignored; "" allows no network. On a refusal
 * *out is unchanged and *error_at (when not NULL) is the offset of the bad entry. */
CRYPTO_MUST_CHECK pkgsvc_result pkgsvc_allow_parse_net(const char *text, size_t len,
                                                       pkgsvc_allow *out, size_t *error_at);

/* Every capability the package requests against the allowance. On a refusal, why (when not
 * NULL, of why_cap bytes) names the first capability refused. */
CRYPTO_MUST_CHECK pkgsvc_result pkgsvc_check_grants(const pkg_info *info,
                                                    const pkgsvc_allow *allow,
                                                    char *why, size_t why_cap);

/* ---- the trust store's configuration ---------------------------------------------------- */

/* Exactly 2 n hex digits (either case) into n bytes; out unchanged on a refusal. */
CRYPTO_MUST_CHECK pkgsvc_result pkgsvc_hex_decode(const char *text, size_t len, uint8_t *out,
                                                  size_t n);
/* 2 n lower-case digits and a NUL into out (2 n + 1 bytes). */
void pkgsvc_hex_encode(const uint8_t *in, size_t n, char *out);

/* ---- the version record ------------------------------------------------------------------ */

typedef struct pkgsvc_version_entry {
    char name[PKG_NAME_MAX + 1];
    pkg_version version;          /* the highest ever installed */
    uint8_t digest[64];           /* SHA-512 of that package's signed part (header and
                                     manifest, which binds the payload by its digest) */
} pkgsvc_version_entry;

typedef struct pkgsvc_versions {
    uint32_t count;
    pkgsvc_version_entry e[PKGSVC_VERSIONS_MAX]; /* sorted by name, names unique */
} pkgsvc_versions;

/* The record file: one line per name, "<name> <major>.<minor>.<patch> <128 hex>\n", names
 * valid package names in strictly increasing order. Anything else is refused whole
 * (PKGSVC_ERR_RECORD, *error_at the offset of the bad line); *out unchanged then. */
CRYPTO_MUST_CHECK pkgsvc_result pkgsvc_versions_parse(const char *text, size_t len,
                                                      pkgsvc_versions *out, size_t *error_at);
/* The record's text; *len its length. PKGSVC_ERR_FULL when cap is too small. */
CRYPTO_MUST_CHECK pkgsvc_result pkgsvc_versions_format(const pkgsvc_versions *v, char *out,
                                                       size_t cap, size_t *len);
/* The entry for name, or NULL. */
const pkgsvc_version_entry *pkgsvc_versions_find(const pkgsvc_versions *v, const char *name);
/* Raise (or add) name's entry to version and digest; PKGSVC_ERR_FULL when a new name has no
 * room; PKGSVC_ERR_ROLLBACK (nothing changed) when version is below the recorded one. */
CRYPTO_MUST_CHECK pkgsvc_result pkgsvc_versions_raise(pkgsvc_versions *v, const char *name,
                                                      const pkg_version *version,
                                                      const uint8_t digest[64]);

/* The version decision for a verified package whose signed part has digest `digest`: refused as a
 * rollback when below the recorded highest, or equal to it with another digest; refused as
 * installed when `installed` (may be NULL: nothing of that name installed) is the same
 * version. An equal version with the same digest may be installed again after an
 * uninstall. Upgrades only go up: a version below the installed one is below the record. */
pkgsvc_result pkgsvc_decide_version(const pkgsvc_versions *v, const pkg_info *info,
                                    const uint8_t digest[64], const pkg_version *installed);

/* ---- audit -------------------------------------------------------------------------------- */

/* One audit line (with its '\n') into out of PKGSVC_AUDIT_LINE_MAX bytes:
 * "<event> <subject> <word> <code>[ <name> <version>][: <detail>]\n". The subject and detail
 * are copied with every byte outside printable ASCII written as '?', so a line is always
 * one line. info may be NULL (nothing parsed). Returns the length. */
size_t pkgsvc_audit_line(char *out, const char *event, const char *subject, pkgsvc_result r,
                         const pkg_info *info, const char *detail);

#endif
