/* libFuzzer target for lib/pkgsvc's parsers: the version record (byte 0 even) and the
 * network allowance (byte 0 odd), then audit lines over the rest. Invariants: no crash, a
 * refusal leaves the output untouched, an accepted record formats back to the same bytes,
 * an accepted allowance grants exactly its own entries, an audit line is one line. */
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "../fuzz_common.h"
#include "pkgsvc.h"

static pkgsvc_versions parsed, again;
static char text[PKGSVC_VERSIONS_FILE_MAX];

static void fuzz_record(const char *data, size_t size)
{
    memset(&parsed, 0x33, sizeof parsed);
    size_t at = 0;
    pkgsvc_result r = pkgsvc_versions_parse(data, size, &parsed, &at);
    if (r != PKGSVC_OK) {
        FUZZ_CHECK(r == PKGSVC_ERR_RECORD || r == PKGSVC_ERR_ARGUMENT, "record refusal code");
        FUZZ_CHECK(at <= size || at == PKGSVC_VERSIONS_FILE_MAX, "refusal offset inside input");
        FUZZ_CHECK(parsed.count == 0x33333333u, "a refused record changed the table");
        return;
    }
    size_t len = 0;
    FUZZ_CHECK(pkgsvc_versions_format(&parsed, text, sizeof text, &len) == PKGSVC_OK, "format");
    FUZZ_CHECK(len == size && memcmp(text, data, size) == 0, "record is its own one encoding");
    FUZZ_CHECK(pkgsvc_versions_parse(text, len, &again, NULL) == PKGSVC_OK, "reparse");
    FUZZ_CHECK(again.count == parsed.count, "reparse count");
    for (uint32_t k = 0; k < parsed.count; k++) {
        const pkgsvc_version_entry *e = pkgsvc_versions_find(&parsed, parsed.e[k].name);
        FUZZ_CHECK(e == &parsed.e[k], "find gives the entry");
        /* Raising to the same version keeps the table the same size. */
        FUZZ_CHECK(pkgsvc_versions_raise(&again, e->name, &e->version, e->digest) == PKGSVC_OK,
                   "raise to itself");
    }
    FUZZ_CHECK(again.count == parsed.count, "raise added nothing");
}

static void fuzz_allow(const char *data, size_t size)
{
    pkgsvc_allow a;
    memset(&a, 0x44, sizeof a);
    size_t at = 0;
    pkgsvc_result r = pkgsvc_allow_parse_net(data, size, &a, &at);
    if (r != PKGSVC_OK) {
        FUZZ_CHECK(r == PKGSVC_ERR_ARGUMENT, "allowance refusal code");
        FUZZ_CHECK(a.net_count == 0x44444444u, "a refused allowance changed the output");
        FUZZ_CHECK(at <= size, "refusal offset inside input");
        return;
    }
    FUZZ_CHECK(a.net_count <= PKGSVC_ALLOW_NET_MAX, "entry count bounded");
    a.storage_quota_max = 0;
    a.console = a.entropy = 0;
    a.clocks = 0;
    pkg_info i;
    memset(&i, 0, sizeof i);
    i.net_count = a.net_count;
    for (uint32_t k = 0; k < a.net_count; k++) {
        FUZZ_CHECK(a.net[k].port != 0, "port 0 accepted");
        FUZZ_CHECK(a.net[k].kind >= 1 && a.net[k].kind <= 3, "kind");
        i.net[k] = a.net[k];
    }
    char why[96];
    FUZZ_CHECK(pkgsvc_check_grants(&i, &a, why, sizeof why) == PKGSVC_OK, "own entries granted");
    if (a.net_count > 0) {
        i.net[0].port = (uint16_t)(i.net[0].port + 1u);
        pkgsvc_result g = pkgsvc_check_grants(&i, &a, why, sizeof why);
        FUZZ_CHECK(g == PKGSVC_OK || g == PKGSVC_ERR_NOT_ALLOWED, "grant result");
        FUZZ_CHECK(strnlen(why, sizeof why) < sizeof why, "why terminated");
    }
}

static void fuzz_audit(const char *data, size_t size)
{
    static char subject[300], detail[300];
    size_t half = size / 2;
    size_t n1 = half < sizeof subject - 1 ? half : sizeof subject - 1;
    size_t n2 = size - half < sizeof detail - 1 ? size - half : sizeof detail - 1;
    memcpy(subject, data, n1);
    subject[n1] = '\0';
    memcpy(detail, data + half, n2);
    detail[n2] = '\0';
    char line[PKGSVC_AUDIT_LINE_MAX];
    pkg_info i;
    memset(&i, 0, sizeof i);
    memcpy(i.name, "p", 2);
    size_t len = pkgsvc_audit_line(line, "install", subject,
                                   (pkgsvc_result)(size % PKGSVC_RESULT_COUNT),
                                   (size & 1) ? &i : NULL, detail);
    FUZZ_CHECK(len >= 2 && len < PKGSVC_AUDIT_LINE_MAX, "audit line length");
    FUZZ_CHECK(line[len - 1] == '\n' && line[len] == '\0', "audit line ends its line");
    for (size_t k = 0; k + 1 < len; k++)
        FUZZ_CHECK(line[k] >= 0x20 && line[k] < 0x7f, "audit line has one line of text");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *rest = (const char *)data + 1;
    if (data[0] & 1)
        fuzz_allow(rest, size - 1);
    else
        fuzz_record(rest, size - 1);
    fuzz_audit(rest, size - 1);
    /* fetch's dotted-address test: an accepted address prints back as the same text. */
    uint32_t ip = 0;
    if (pkgsvc_ipv4_parse(rest, size - 1, &ip) == PKGSVC_OK) {
        char back[16];
        int n = snprintf(back, sizeof back, "%u.%u.%u.%u", (unsigned)(ip >> 24),
                         (unsigned)(ip >> 16) & 255u, (unsigned)(ip >> 8) & 255u,
                         (unsigned)ip & 255u);
        FUZZ_CHECK(n > 0 && (size_t)n <= size - 1, "address text");
    }
    return 0;
}
