/* The package service's policy: allowances, the version record, the install decision and
 * audit lines (pkgsvc.h). No libc: it builds freestanding for the guest like lib/pkg. */
#include "pkgsvc.h"

const char *pkgsvc_result_message(pkgsvc_result r)
{
    switch (r) {
    case PKGSVC_OK: return "success";
    case PKGSVC_ERR_ARGUMENT: return "bad argument (name, path or length)";
    case PKGSVC_ERR_NOENT: return "no such staged file or installed package";
    case PKGSVC_ERR_STORE: return "the file store failed the operation";
    case PKGSVC_ERR_TRUNCATED: return "package truncated";
    case PKGSVC_ERR_OVERSIZED: return "package oversized";
    case PKGSVC_ERR_MALFORMED: return "malformed package or manifest";
    case PKGSVC_ERR_UNKNOWN_KEY: return "publisher key not in the trust store";
    case PKGSVC_ERR_SIGNATURE: return "bad signature";
    case PKGSVC_ERR_DIGEST: return "payload digest mismatch";
    case PKGSVC_ERR_ROLLBACK: return "rollback: not above the highest version ever installed";
    case PKGSVC_ERR_NOT_ALLOWED: return "requests a capability the system does not grant";
    case PKGSVC_ERR_INSTALLED: return "this package is already installed";
    case PKGSVC_ERR_END: return "no more entries";
    case PKGSVC_ERR_CORRUPT: return "installed package no longer verifies";
    case PKGSVC_ERR_RECORD: return "version record unreadable: installs refused";
    case PKGSVC_ERR_FULL: return "version record or index full";
    case PKGSVC_ERR_NO_NETWORK: return "no network: this service cannot download";
    case PKGSVC_ERR_URL: return "not an http:// URL the service accepts";
    case PKGSVC_ERR_DENIED: return "the network stack refused: not granted to this service";
    case PKGSVC_ERR_NETWORK: return "name lookup, connection or transfer failed";
    case PKGSVC_ERR_HTTP_STATUS: return "the server answered with a status other than 200";
    case PKGSVC_ERR_HTTP_TRUNCATED: return "download cut short: the connection ended early";
    case PKGSVC_ERR_HTTP_TOO_BIG: return "download above the service's limit";
    case PKGSVC_ERR_HTTP_MALFORMED: return "malformed HTTP response";
    case PKGSVC_ERR_TIMEOUT: return "download timed out";
    case PKGSVC_RESULT_COUNT: break;
    }
    return "unknown result";
}

const char *pkgsvc_result_word(pkgsvc_result r)
{
    switch (r) {
    case PKGSVC_OK: return "ok";
    case PKGSVC_ERR_ARGUMENT: return "argument";
    case PKGSVC_ERR_NOENT: return "no-entry";
    case PKGSVC_ERR_STORE: return "store";
    case PKGSVC_ERR_TRUNCATED: return "truncated";
    case PKGSVC_ERR_OVERSIZED: return "oversized";
    case PKGSVC_ERR_MALFORMED: return "malformed";
    case PKGSVC_ERR_UNKNOWN_KEY: return "unknown-key";
    case PKGSVC_ERR_SIGNATURE: return "bad-signature";
    case PKGSVC_ERR_DIGEST: return "digest-mismatch";
    case PKGSVC_ERR_ROLLBACK: return "rollback";
    case PKGSVC_ERR_NOT_ALLOWED: return "not-allowed";
    case PKGSVC_ERR_INSTALLED: return "installed";
    case PKGSVC_ERR_END: return "end";
    case PKGSVC_ERR_CORRUPT: return "corrupt";
    case PKGSVC_ERR_RECORD: return "record";
    case PKGSVC_ERR_FULL: return "full";
    case PKGSVC_ERR_NO_NETWORK: return "no-network";
    case PKGSVC_ERR_URL: return "bad-url";
    case PKGSVC_ERR_DENIED: return "denied";
    case PKGSVC_ERR_NETWORK: return "network";
    case PKGSVC_ERR_HTTP_STATUS: return "http-status";
    case PKGSVC_ERR_HTTP_TRUNCATED: return "http-truncated";
    case PKGSVC_ERR_HTTP_TOO_BIG: return "http-too-big";
    case PKGSVC_ERR_HTTP_MALFORMED: return "http-malformed";
    case PKGSVC_ERR_TIMEOUT: return "timeout";
    case PKGSVC_RESULT_COUNT: break;
    }
    return "unknown";
}

pkgsvc_result pkgsvc_from_pkg(pkg_result r)
{
    switch (r) {
    case PKG_OK: return PKGSVC_OK;
    case PKG_ERR_ARGUMENT: return PKGSVC_ERR_ARGUMENT;
    case PKG_ERR_TRUNCATED: return PKGSVC_ERR_TRUNCATED;
    case PKG_ERR_TRAILING: return PKGSVC_ERR_OVERSIZED;
    case PKG_ERR_PAYLOAD_SIZE: return PKGSVC_ERR_OVERSIZED;
    case PKG_ERR_KEY_ID: return PKGSVC_ERR_UNKNOWN_KEY;
    case PKG_ERR_SIGNATURE: return PKGSVC_ERR_SIGNATURE;
    case PKG_ERR_DIGEST: return PKGSVC_ERR_DIGEST;
    case PKG_ERR_MAGIC:
    case PKG_ERR_FORMAT_VERSION:
    case PKG_ERR_HEADER:
    case PKG_ERR_MANIFEST_SIZE:
    case PKG_ERR_FIELD_TRUNCATED:
    case PKG_ERR_FIELD_ORDER:
    case PKG_ERR_FIELD_UNKNOWN:
    case PKG_ERR_FIELD_LENGTH:
    case PKG_ERR_FIELD_MISSING:
    case PKG_ERR_NAME:
    case PKG_ERR_PAYLOAD_KIND:
    case PKG_ERR_PAYLOAD_LENGTH:
    case PKG_ERR_STORAGE:
    case PKG_ERR_NETWORK:
    case PKG_ERR_CLOCKS:
    case PKG_ERR_PAYLOAD_FORMAT:
    case PKG_RESULT_COUNT:
        break;
    }
    return PKGSVC_ERR_MALFORMED;
}

/* ---- small text helpers (no libc) ---------------------------------------------------------- */

static size_t put_str(char *out, size_t at, size_t cap, const char *s)
{
    for (size_t i = 0; s[i] != '\0' && at + 1 < cap; i++)
        out[at++] = s[i];
    out[at] = '\0';
    return at;
}

/* Printable ASCII only, so that no subject or detail can start a line of its own. */
static size_t put_clean(char *out, size_t at, size_t cap, const char *s)
{
    for (size_t i = 0; s[i] != '\0' && at + 1 < cap && i < PKGSVC_AUDIT_LINE_MAX; i++) {
        char c = s[i];
        out[at++] = (c >= 0x21 && c <= 0x7e) ? c : '?';
    }
    out[at] = '\0';
    return at;
}

static size_t put_u64(char *out, size_t at, size_t cap, uint64_t v)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0 && n < sizeof digits);
    while (n > 0 && at + 1 < cap)
        out[at++] = digits[--n];
    out[at] = '\0';
    return at;
}

static size_t put_version(char *out, size_t at, size_t cap, const pkg_version *v)
{
    at = put_u64(out, at, cap, v->major);
    at = put_str(out, at, cap, ".");
    at = put_u64(out, at, cap, v->minor);
    at = put_str(out, at, cap, ".");
    return put_u64(out, at, cap, v->patch);
}

/* A decimal u32 without sign or leading zeros ("0" itself is fine); *at advanced. */
static int take_u32(const char *s, size_t len, size_t *at, uint32_t *out)
{
    size_t i = *at;
    uint64_t v = 0;
    size_t digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 11) {
        v = v * 10u + (uint64_t)(s[i] - '0');
        i++;
        digits++;
    }
    if (digits == 0 || digits > 10 || v > UINT32_MAX || (digits > 1 && s[*at] == '0'))
        return 0;
    *at = i;
    *out = (uint32_t)v;
    return 1;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

pkgsvc_result pkgsvc_hex_decode(const char *text, size_t len, uint8_t *out, size_t n)
{
    if (text == NULL || out == NULL || len != 2 * n)
        return PKGSVC_ERR_ARGUMENT;
    for (size_t i = 0; i < len; i++)
        if (hex_value(text[i]) < 0)
            return PKGSVC_ERR_ARGUMENT;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(hex_value(text[2 * i]) << 4 | hex_value(text[2 * i + 1]));
    return PKGSVC_OK;
}

void pkgsvc_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15u];
    }
    out[2 * n] = '\0';
}

static int text_equal(const char *a, size_t alen, const char *b)
{
    size_t i = 0;
    for (; i < alen && b[i] != '\0'; i++)
        if (a[i] != b[i])
            return 0;
    return i == alen && b[i] == '\0';
}

/* strcmp for NUL-terminated names of at most PKG_NAME_MAX bytes. */
static int name_compare(const char *a, const char *b)
{
    for (size_t i = 0; i <= PKG_NAME_MAX; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x != y)
            return x < y ? -1 : 1;
        if (x == '\0')
            return 0;
    }
    return 0;
}

/* ---- allowances ------------------------------------------------------------------------------ */

static int net_entry_compare(const pkg_net_entry *a, const pkg_net_entry *b)
{
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    for (unsigned i = 0; i < 4; i++)
        if (a->peer[i] != b->peer[i])
            return a->peer[i] < b->peer[i] ? -1 : 1;
    return 0;
}

/* "<kind> <a.b.c.d>:<port>" exactly, in s[0, len). */
static int parse_net_entry(const char *s, size_t len, pkg_net_entry *e)
{
    static const struct {
        const char *word;
        uint8_t kind;
    } kinds[] = {{"tcp-connect", PKG_NET_TCP_CONNECT}, {"tcp-listen", PKG_NET_TCP_LISTEN},
                 {"udp", PKG_NET_UDP}};
    size_t sp = 0;
    while (sp < len && s[sp] != ' ')
        sp++;
    if (sp == len)
        return 0;
    e->kind = 0;
    for (unsigned k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (text_equal(s, sp, kinds[k].word))
            e->kind = kinds[k].kind;
    if (e->kind == 0)
        return 0;
    size_t at = sp + 1;
    for (unsigned i = 0; i < 4; i++) {
        uint32_t v;
        if (!take_u32(s, len, &at, &v) || v > 255)
            return 0;
        e->peer[i] = (uint8_t)v;
        if (at >= len || s[at] != (i < 3 ? '.' : ':'))
            return 0;
        at++;
    }
    uint32_t port;
    if (!take_u32(s, len, &at, &port) || port == 0 || port > 65535 || at != len)
        return 0;
    e->port = (uint16_t)port;
    /* A listening socket takes whoever connects: naming a peer would promise a filter
     * nothing enforces. */
    if (e->kind == PKG_NET_TCP_LISTEN &&
        (e->peer[0] | e->peer[1] | e->peer[2] | e->peer[3]) != 0)
        return 0;
    return 1;
}

pkgsvc_result pkgsvc_allow_parse_net(const char *text, size_t len, pkgsvc_allow *out,
                                     size_t *error_at)
{
    if (text == NULL || out == NULL || len > PKGSVC_ALLOW_TEXT_MAX)
        return PKGSVC_ERR_ARGUMENT;
    pkg_net_entry entries[PKGSVC_ALLOW_NET_MAX];
    uint32_t count = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != ',' && text[i] != ';')
            continue;
        size_t a = start, b = i;
        while (a < b && text[a] == ' ')
            a++;
        while (b > a && text[b - 1] == ' ')
            b--;
        if (a == b) {
            /* Only "" (or spaces) as the whole text is empty on purpose. */
            if (i == len && count == 0 && start == 0) {
                start = i + 1;
                continue;
            }
            if (error_at)
                *error_at = a;
            return PKGSVC_ERR_ARGUMENT;
        }
        if (count == PKGSVC_ALLOW_NET_MAX || !parse_net_entry(text + a, b - a, &entries[count])) {
            if (error_at)
                *error_at = a;
            return PKGSVC_ERR_ARGUMENT;
        }
        for (uint32_t k = 0; k < count; k++)
            if (net_entry_compare(&entries[k], &entries[count]) == 0) {
                if (error_at)
                    *error_at = a;
                return PKGSVC_ERR_ARGUMENT;
            }
        count++;
        start = i + 1;
    }
    for (uint32_t k = 0; k < count; k++)
        out->net[k] = entries[k];
    out->net_count = count;
    return PKGSVC_OK;
}

static int net_allowed(const pkg_net_entry *want, const pkgsvc_allow *allow)
{
    static const uint8_t any[4] = {0, 0, 0, 0};
    for (uint32_t k = 0; k < allow->net_count && k < PKGSVC_ALLOW_NET_MAX; k++) {
        const pkg_net_entry *a = &allow->net[k];
        if (a->kind != want->kind || a->port != want->port)
            continue;
        int a_any = 1, same = 1;
        for (unsigned i = 0; i < 4; i++) {
            a_any &= a->peer[i] == any[i];
            same &= a->peer[i] == want->peer[i];
        }
        /* An allowance for any peer covers every request; a request for any peer needs
         * exactly that. */
        if (a_any || same)
            return 1;
    }
    return 0;
}

static void why_net(char *why, size_t cap, const pkg_net_entry *e)
{
    static const char *const kind[] = {"?", "tcp-connect", "tcp-listen", "udp"};
    size_t at = put_str(why, 0, cap, "network ");
    at = put_str(why, at, cap, kind[e->kind <= 3 ? e->kind : 0]);
    at = put_str(why, at, cap, " ");
    for (unsigned i = 0; i < 4; i++) {
        at = put_u64(why, at, cap, e->peer[i]);
        at = put_str(why, at, cap, i < 3 ? "." : ":");
    }
    (void)put_u64(why, at, cap, e->port);
}

pkgsvc_result pkgsvc_check_grants(const pkg_info *info, const pkgsvc_allow *allow, char *why,
                                  size_t why_cap)
{
    if (info == NULL || allow == NULL || (why != NULL && why_cap == 0))
        return PKGSVC_ERR_ARGUMENT;
    char scratch[1];
    if (why == NULL) {
        why = scratch;
        why_cap = sizeof scratch;
    }
    why[0] = '\0';
    if (info->has_storage && info->storage_quota > allow->storage_quota_max) {
        size_t at = put_str(why, 0, why_cap, "storage quota ");
        at = put_u64(why, at, why_cap, info->storage_quota);
        at = put_str(why, at, why_cap, " above ");
        (void)put_u64(why, at, why_cap, allow->storage_quota_max);
        return PKGSVC_ERR_NOT_ALLOWED;
    }
    for (uint32_t k = 0; k < info->net_count && k < PKG_NET_MAX; k++)
        if (!net_allowed(&info->net[k], allow)) {
            why_net(why, why_cap, &info->net[k]);
            return PKGSVC_ERR_NOT_ALLOWED;
        }
    if (info->console && !allow->console) {
        (void)put_str(why, 0, why_cap, "console");
        return PKGSVC_ERR_NOT_ALLOWED;
    }
    if (info->entropy && !allow->entropy) {
        (void)put_str(why, 0, why_cap, "entropy");
        return PKGSVC_ERR_NOT_ALLOWED;
    }
    if ((info->clocks & (uint8_t)~allow->clocks) != 0) {
        (void)put_str(why, 0, why_cap,
                      (info->clocks & (uint8_t)~allow->clocks & PKG_CLOCK_MONOTONIC)
                          ? "monotonic clock" : "wall clock");
        return PKGSVC_ERR_NOT_ALLOWED;
    }
    return PKGSVC_OK;
}

/* ---- the version record ---------------------------------------------------------------------- */

pkgsvc_result pkgsvc_versions_parse(const char *text, size_t len, pkgsvc_versions *out,
                                    size_t *error_at)
{
    if (text == NULL || out == NULL)
        return PKGSVC_ERR_ARGUMENT;
    if (len > PKGSVC_VERSIONS_FILE_MAX) {
        if (error_at)
            *error_at = PKGSVC_VERSIONS_FILE_MAX;
        return PKGSVC_ERR_RECORD;
    }
    /* Static: the table is about 9 KiB, too much for a component's stack; the callers
     * (one service thread, the tests, the fuzzer) never run this concurrently. */
    static pkgsvc_versions v;
    v.count = 0;
    size_t at = 0;
    while (at < len) {
        size_t line = at;
        size_t end = at;
        while (end < len && text[end] != '\n')
            end++;
        pkgsvc_version_entry *e = &v.e[v.count];
        size_t sp = at;
        while (sp < end && text[sp] != ' ')
            sp++;
        int ok = end < len && v.count < PKGSVC_VERSIONS_MAX && sp < end &&
                 pkg_name_valid(text + at, sp - at);
        if (ok) {
            for (size_t i = 0; i < sp - at; i++)
                e->name[i] = text[at + i];
            e->name[sp - at] = '\0';
            ok = v.count == 0 || name_compare(v.e[v.count - 1].name, e->name) < 0;
        }
        size_t p = sp + 1;
        ok = ok && take_u32(text, end, &p, &e->version.major) && p < end && text[p++] == '.' &&
             take_u32(text, end, &p, &e->version.minor) && p < end && text[p++] == '.' &&
             take_u32(text, end, &p, &e->version.patch) && p < end && text[p++] == ' ' &&
             end - p == 128 && pkgsvc_hex_decode(text + p, 128, e->digest, 64) == PKGSVC_OK;
        /* Lower case only, as format writes it: a record has exactly one encoding. */
        for (size_t i = p; ok && i < end; i++)
            ok = !(text[i] >= 'A' && text[i] <= 'F');
        if (!ok) {
            if (error_at)
                *error_at = line;
            return PKGSVC_ERR_RECORD;
        }
        v.count++;
        at = end + 1;
    }
    out->count = v.count;
    for (uint32_t k = 0; k < v.count; k++)
        out->e[k] = v.e[k];
    return PKGSVC_OK;
}

pkgsvc_result pkgsvc_versions_format(const pkgsvc_versions *v, char *out, size_t cap, size_t *len)
{
    if (v == NULL || out == NULL || len == NULL || v->count > PKGSVC_VERSIONS_MAX)
        return PKGSVC_ERR_ARGUMENT;
    size_t at = 0;
    for (uint32_t k = 0; k < v->count; k++) {
        char line[PKGSVC_VERSIONS_LINE_MAX + 1];
        size_t n = put_str(line, 0, sizeof line, v->e[k].name);
        n = put_str(line, n, sizeof line, " ");
        n = put_version(line, n, sizeof line, &v->e[k].version);
        n = put_str(line, n, sizeof line, " ");
        pkgsvc_hex_encode(v->e[k].digest, 64, line + n);
        n += 128;
        line[n++] = '\n';
        if (n > cap - at)
            return PKGSVC_ERR_FULL;
        for (size_t i = 0; i < n; i++)
            out[at + i] = line[i];
        at += n;
    }
    *len = at;
    return PKGSVC_OK;
}

const pkgsvc_version_entry *pkgsvc_versions_find(const pkgsvc_versions *v, const char *name)
{
    if (v == NULL || name == NULL)
        return NULL;
    for (uint32_t k = 0; k < v->count && k < PKGSVC_VERSIONS_MAX; k++)
        if (name_compare(v->e[k].name, name) == 0)
            return &v->e[k];
    return NULL;
}

pkgsvc_result pkgsvc_versions_raise(pkgsvc_versions *v, const char *name,
                                    const pkg_version *version, const uint8_t digest[64])
{
    if (v == NULL || name == NULL || version == NULL || digest == NULL ||
        v->count > PKGSVC_VERSIONS_MAX)
        return PKGSVC_ERR_ARGUMENT;
    size_t n = 0;
    while (n <= PKG_NAME_MAX && name[n] != '\0')
        n++;
    if (!pkg_name_valid(name, n))
        return PKGSVC_ERR_ARGUMENT;
    uint32_t k = 0;
    while (k < v->count && name_compare(v->e[k].name, name) < 0)
        k++;
    if (k < v->count && name_compare(v->e[k].name, name) == 0) {
        if (pkg_version_compare(version, &v->e[k].version) < 0)
            return PKGSVC_ERR_ROLLBACK;
    } else {
        if (v->count == PKGSVC_VERSIONS_MAX)
            return PKGSVC_ERR_FULL;
        for (uint32_t j = v->count; j > k; j--)
            v->e[j] = v->e[j - 1];
        v->count++;
        for (size_t i = 0; i <= n; i++)
            v->e[k].name[i] = name[i];
    }
    v->e[k].version = *version;
    for (unsigned i = 0; i < 64; i++)
        v->e[k].digest[i] = digest[i];
    return PKGSVC_OK;
}

pkgsvc_result pkgsvc_decide_version(const pkgsvc_versions *v, const pkg_info *info,
                                    const uint8_t digest[64], const pkg_version *installed)
{
    if (v == NULL || info == NULL || digest == NULL)
        return PKGSVC_ERR_ARGUMENT;
    const pkgsvc_version_entry *e = pkgsvc_versions_find(v, info->name);
    if (e != NULL) {
        int c = pkg_version_compare(&info->version, &e->version);
        if (c < 0)
            return PKGSVC_ERR_ROLLBACK;
        if (c == 0) {
            unsigned diff = 0;
            for (unsigned i = 0; i < 64; i++)
                diff |= (unsigned)(digest[i] ^ e->digest[i]);
            /* The same version number with other bytes: a second package under a name and
             * version already spent, which an attacker holding old signed packages could
             * otherwise mix in. */
            if (diff != 0)
                return PKGSVC_ERR_ROLLBACK;
        }
    }
    if (installed != NULL) {
        int c = pkg_version_compare(&info->version, installed);
        if (c == 0)
            return PKGSVC_ERR_INSTALLED;
        if (c < 0)
            return PKGSVC_ERR_ROLLBACK;
    }
    return PKGSVC_OK;
}

/* ---- audit ------------------------------------------------------------------------------------- */

size_t pkgsvc_audit_line(char *out, const char *event, const char *subject, pkgsvc_result r,
                         const pkg_info *info, const char *detail)
{
    const size_t cap = PKGSVC_AUDIT_LINE_MAX - 1; /* room for the '\n' */
    if (out == NULL)
        return 0;
    size_t at = put_clean(out, 0, cap, event != NULL ? event : "?");
    at = put_str(out, at, cap, " ");
    at = put_clean(out, at, cap, subject != NULL && subject[0] != '\0' ? subject : "-");
    at = put_str(out, at, cap, " ");
    at = put_str(out, at, cap, pkgsvc_result_word(r));
    at = put_str(out, at, cap, " ");
    at = put_u64(out, at, cap, r == PKGSVC_OK ? 0u : (uint64_t)(PKGSVC_ERROR_BASE + (int)r));
    if (info != NULL) {
        at = put_str(out, at, cap, " ");
        at = put_clean(out, at, cap, info->name);
        at = put_str(out, at, cap, " ");
        at = put_version(out, at, cap, &info->version);
    }
    if (detail != NULL && detail[0] != '\0') {
        at = put_str(out, at, cap, ": ");
        for (size_t i = 0; detail[i] != '\0' && at + 1 < cap && i < PKGSVC_AUDIT_LINE_MAX; i++)
            out[at++] = (detail[i] >= 0x20 && detail[i] <= 0x7e) ? detail[i] : '?';
    }
    out[at++] = '\n';
    out[at] = '\0';
    return at;
}

pkgsvc_result pkgsvc_ipv4_parse(const char *text, size_t len, uint32_t *ip)
{
    if (text == NULL || ip == NULL || len == 0 || len > 15)
        return PKGSVC_ERR_URL;
    uint32_t v = 0, part = 0, parts = 0, digits = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? text[i] : '.';
        if (c >= '0' && c <= '9') {
            part = part * 10u + (uint32_t)(c - '0');
            if (++digits > 3 || part > 255u)
                return PKGSVC_ERR_URL;
            continue;
        }
        if (c != '.' || digits == 0 || parts == 4)
            return PKGSVC_ERR_URL;
        v = (v << 8) | part;
        parts++;
        part = 0;
        digits = 0;
    }
    if (parts != 4)
        return PKGSVC_ERR_URL;
    *ip = v;
    return PKGSVC_OK;
}
