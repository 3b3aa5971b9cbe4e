/* Host tests of lib/pkgsvc, the package service's policy: the network allowance's syntax,
 * every capability against an allowance, the version record's format and its refusals, the
 * version decision (upgrade, rollback, reinstall), audit lines. ASan and UBSan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pkgsvc.h"

static pkgsvc_allow parse_ok(const char *text)
{
    pkgsvc_allow a;
    memset(&a, 0xAB, sizeof a);
    size_t at = 99;
    assert_int_equal(pkgsvc_allow_parse_net(text, strlen(text), &a, &at), PKGSVC_OK);
    return a;
}

static void refused_at(const char *text, size_t where)
{
    pkgsvc_allow a, before;
    memset(&a, 0x5A, sizeof a);
    before = a;
    size_t at = 9999;
    assert_int_equal(pkgsvc_allow_parse_net(text, strlen(text), &a, &at), PKGSVC_ERR_ARGUMENT);
    assert_int_equal(at, where);
    assert_memory_equal(&a, &before, sizeof a);
}

static void test_allow_network(void **state)
{
    (void)state;
    pkgsvc_allow a = parse_ok("tcp-connect 10.0.2.2:8080, udp 0.0.0.0:53;tcp-listen 0.0.0.0:80");
    assert_int_equal(a.net_count, 3);
    assert_int_equal(a.net[0].kind, PKG_NET_TCP_CONNECT);
    assert_int_equal(a.net[0].port, 8080);
    assert_int_equal(a.net[0].peer[0], 10);
    assert_int_equal(a.net[0].peer[3], 2);
    assert_int_equal(a.net[1].kind, PKG_NET_UDP);
    assert_int_equal(a.net[1].port, 53);
    assert_int_equal(a.net[2].kind, PKG_NET_TCP_LISTEN);
    assert_int_equal(a.net[2].port, 80);
    assert_int_equal(parse_ok("").net_count, 0);
    assert_int_equal(parse_ok("   ").net_count, 0);
    assert_int_equal(parse_ok("  udp 1.2.3.4:65535  ").net_count, 1);
    assert_int_equal(parse_ok("udp 1.1.1.1:1,udp 1.1.1.1:2,udp 1.1.1.1:3,udp 1.1.1.1:4,"
                              "udp 1.1.1.1:5,udp 1.1.1.1:6,udp 1.1.1.1:7,udp 1.1.1.1:8").net_count, 8);
    refused_at("udp 1.1.1.1:1,udp 1.1.1.1:2,udp 1.1.1.1:3,udp 1.1.1.1:4,"
               "udp 1.1.1.1:5,udp 1.1.1.1:6,udp 1.1.1.1:7,udp 1.1.1.1:8,udp 1.1.1.1:9", 112);
    refused_at("udp 1.2.3.4:53,", 15);              /* an empty entry after the comma */
    refused_at(",udp 1.2.3.4:53", 0);
    refused_at("udp 1.2.3.4:53,,udp 1.2.3.4:54", 15);
    refused_at("sctp 1.2.3.4:53", 0);
    refused_at("udp 1.2.3.4:0", 0);                 /* port 0 */
    refused_at("udp 1.2.3.4:65536", 0);
    refused_at("udp 1.2.3.256:53", 0);
    refused_at("udp 1.2.3:53", 0);
    refused_at("udp 01.2.3.4:53", 0);               /* a leading zero */
    refused_at("udp 1.2.3.4:53x", 0);
    refused_at("udp 1.2.3.4", 0);
    refused_at("udp  1.2.3.4:53", 0);               /* two spaces */
    refused_at("tcp-listen 10.0.2.2:80", 0);        /* a listen entry names no peer */
    refused_at("udp 1.2.3.4:53, udp 1.2.3.4:53", 16); /* a repeat */
    refused_at("udp 1.2.3.4:99999999999", 0);
    pkgsvc_allow a2;
    assert_int_equal(pkgsvc_allow_parse_net(NULL, 0, &a2, NULL), PKGSVC_ERR_ARGUMENT);
    char big[PKGSVC_ALLOW_TEXT_MAX + 2];
    memset(big, ' ', sizeof big);
    assert_int_equal(pkgsvc_allow_parse_net(big, sizeof big, &a2, NULL), PKGSVC_ERR_ARGUMENT);
}

static pkg_info request(void)
{
    pkg_info i;
    memset(&i, 0, sizeof i);
    strcpy(i.name, "hello");
    i.version = (pkg_version){1, 2, 3};
    return i;
}

static void grants(const pkg_info *i, const pkgsvc_allow *a, pkgsvc_result want, const char *why)
{
    char text[96];
    memset(text, 'x', sizeof text);
    assert_int_equal(pkgsvc_check_grants(i, a, text, sizeof text), want);
    assert_string_equal(text, why);
}

static void test_grants(void **state)
{
    (void)state;
    pkgsvc_allow a = parse_ok("tcp-connect 10.0.2.2:8080, udp 0.0.0.0:53, tcp-listen 0.0.0.0:80");
    a.storage_quota_max = 65536;
    a.console = 1;
    a.entropy = 0;
    a.clocks = PKG_CLOCK_MONOTONIC;
    pkg_info i = request();
    grants(&i, &a, PKGSVC_OK, "");                       /* nothing asked: nothing refused */
    i.has_storage = 1;
    i.storage_quota = 65536;
    grants(&i, &a, PKGSVC_OK, "");
    i.storage_quota = 65537;
    grants(&i, &a, PKGSVC_ERR_NOT_ALLOWED, "storage quota 65537 above 65536");
    i.storage_quota = 1;
    i.net_count = 3;
    i.net[0] = (pkg_net_entry){PKG_NET_TCP_CONNECT, 8080, {10, 0, 2, 2}};
    i.net[1] = (pkg_net_entry){PKG_NET_UDP, 53, {8, 8, 8, 8}};      /* any peer allowed */
    i.net[2] = (pkg_net_entry){PKG_NET_TCP_LISTEN, 80, {0, 0, 0, 0}};
    grants(&i, &a, PKGSVC_OK, "");
    i.net[0].peer[3] = 3;
    grants(&i, &a, PKGSVC_ERR_NOT_ALLOWED, "network tcp-connect 10.0.2.3:8080");
    i.net[0] = (pkg_net_entry){PKG_NET_TCP_CONNECT, 8080, {0, 0, 0, 0}}; /* any: not allowed */
    grants(&i, &a, PKGSVC_ERR_NOT_ALLOWED, "network tcp-connect 0.0.0.0:8080");
    i.net[0] = (pkg_net_entry){PKG_NET_TCP_CONNECT, 8081, {10, 0, 2, 2}};
    grants(&i, &a, PKGSVC_ERR_NOT_ALLOWED, "network tcp-connect 10.0.2.2:8081");
    i.net[0] = (pkg_net_entry){PKG_NET_UDP, 8080, {10, 0, 2, 2}};      /* another kind */
    grants(&i, &a, PKGSVC_ERR_NOT_ALLOWED, "network udp 10.0.2.2:8080");
    i.net_count = 0;
    i.console = 1;
    grants(&i, &a, PKGSVC_OK, "");
    i.entropy = 1;
    grants(&i, &a, PKGSVC_ERR_NOT_ALLOWED, "entropy");
    i.entropy = 0;
    i.clocks = PKG_CLOCK_MONOTONIC;
    grants(&i, &a, PKGSVC_OK, "");
    i.clocks = PKG_CLOCK_MONOTONIC | PKG_CLOCK_WALL;
    grants(&i, &a, PKGSVC_ERR_NOT_ALLOWED, "wall clock");
    a.clocks = 0;
    grants(&i, &a, PKGSVC_ERR_NOT_ALLOWED, "monotonic clock");
    a.console = 0;
    i.clocks = 0;
    grants(&i, &a, PKGSVC_ERR_NOT_ALLOWED, "console");
    /* No storage allowed at all. */
    pkgsvc_allow none;
    memset(&none, 0, sizeof none);
    pkg_info s = request();
    s.has_storage = 1;
    s.storage_quota = 1;
    grants(&s, &none, PKGSVC_ERR_NOT_ALLOWED, "storage quota 1 above 0");
    /* A short buffer is cut, never overrun. */
    char tiny[8];
    assert_int_equal(pkgsvc_check_grants(&s, &none, tiny, sizeof tiny), PKGSVC_ERR_NOT_ALLOWED);
    assert_string_equal(tiny, "storage");
    assert_int_equal(pkgsvc_check_grants(&s, &none, NULL, 0), PKGSVC_ERR_NOT_ALLOWED);
    assert_int_equal(pkgsvc_check_grants(&s, &none, tiny, 0), PKGSVC_ERR_ARGUMENT);
    assert_int_equal(pkgsvc_check_grants(NULL, &none, NULL, 0), PKGSVC_ERR_ARGUMENT);
}

static void test_hex(void **state)
{
    (void)state;
    uint8_t out[4] = {1, 2, 3, 4};
    assert_int_equal(pkgsvc_hex_decode("00fFa5", 6, out, 3), PKGSVC_OK);
    assert_int_equal(out[0], 0x00);
    assert_int_equal(out[1], 0xFF);
    assert_int_equal(out[2], 0xA5);
    assert_int_equal(out[3], 4);
    uint8_t keep[3] = {7, 7, 7};
    assert_int_equal(pkgsvc_hex_decode("00fg00", 6, keep, 3), PKGSVC_ERR_ARGUMENT);
    assert_int_equal(pkgsvc_hex_decode("00ff0", 5, keep, 3), PKGSVC_ERR_ARGUMENT);
    assert_int_equal(pkgsvc_hex_decode("00ff0000", 8, keep, 3), PKGSVC_ERR_ARGUMENT);
    assert_int_equal(keep[0] | keep[1] << 8 | keep[2] << 16, 0x070707);
    char text[7];
    pkgsvc_hex_encode(out, 3, text);
    assert_string_equal(text, "00ffa5");
}

static void digest_of(uint8_t d[64], uint8_t seed)
{
    for (unsigned i = 0; i < 64; i++)
        d[i] = (uint8_t)(seed * 37u + i);
}

static void test_versions_roundtrip(void **state)
{
    (void)state;
    static pkgsvc_versions v, back;
    memset(&v, 0, sizeof v);
    uint8_t d[64];
    digest_of(d, 1);
    assert_int_equal(pkgsvc_versions_raise(&v, "zeta", &(pkg_version){1, 0, 0}, d), PKGSVC_OK);
    digest_of(d, 2);
    assert_int_equal(pkgsvc_versions_raise(&v, "alpha", &(pkg_version){4294967295u, 0, 7}, d),
                     PKGSVC_OK);
    digest_of(d, 3);
    assert_int_equal(pkgsvc_versions_raise(&v, "mid-1", &(pkg_version){0, 0, 0}, d), PKGSVC_OK);
    assert_int_equal(v.count, 3);
    assert_string_equal(v.e[0].name, "alpha");
    assert_string_equal(v.e[1].name, "mid-1");
    assert_string_equal(v.e[2].name, "zeta");
    /* Up, equal (a reinstall with other bytes is the decision's business), never down. */
    digest_of(d, 4);
    assert_int_equal(pkgsvc_versions_raise(&v, "zeta", &(pkg_version){1, 0, 1}, d), PKGSVC_OK);
    assert_int_equal(pkgsvc_versions_raise(&v, "zeta", &(pkg_version){1, 0, 0}, d),
                     PKGSVC_ERR_ROLLBACK);
    assert_int_equal(v.e[2].version.patch, 1);
    assert_int_equal(pkgsvc_versions_raise(&v, "Bad", &(pkg_version){1, 0, 0}, d),
                     PKGSVC_ERR_ARGUMENT);
    static char text[PKGSVC_VERSIONS_FILE_MAX];
    size_t len = 0;
    assert_int_equal(pkgsvc_versions_format(&v, text, sizeof text, &len), PKGSVC_OK);
    char expect_first[200];
    char hex[129];
    digest_of(d, 2);
    pkgsvc_hex_encode(d, 64, hex);
    snprintf(expect_first, sizeof expect_first, "alpha 4294967295.0.7 %s\n", hex);
    assert_memory_equal(text, expect_first, strlen(expect_first));
    assert_int_equal(len, strlen("alpha 4294967295.0.7 \n") + strlen("mid-1 0.0.0 \n") +
                          strlen("zeta 1.0.1 \n") + 3 * 128);
    assert_int_equal(pkgsvc_versions_parse(text, len, &back, NULL), PKGSVC_OK);
    assert_int_equal(back.count, 3);
    assert_memory_equal(&back.e[0], &v.e[0], sizeof v.e[0]);
    assert_memory_equal(&back.e[2], &v.e[2], sizeof v.e[2]);
    /* Too small an output. */
    assert_int_equal(pkgsvc_versions_format(&v, text, 10, &len), PKGSVC_ERR_FULL);
    /* The table fills at PKGSVC_VERSIONS_MAX names. */
    static pkgsvc_versions full;
    memset(&full, 0, sizeof full);
    for (unsigned k = 0; k < PKGSVC_VERSIONS_MAX; k++) {
        char n[16];
        snprintf(n, sizeof n, "p%03u", k);
        assert_int_equal(pkgsvc_versions_raise(&full, n, &(pkg_version){1, 0, 0}, d), PKGSVC_OK);
    }
    assert_int_equal(pkgsvc_versions_raise(&full, "q", &(pkg_version){1, 0, 0}, d), PKGSVC_ERR_FULL);
    assert_int_equal(pkgsvc_versions_raise(&full, "p005", &(pkg_version){2, 0, 0}, d), PKGSVC_OK);
    assert_int_equal(pkgsvc_versions_format(&full, text, sizeof text, &len), PKGSVC_OK);
    assert_int_equal(pkgsvc_versions_parse(text, len, &back, NULL), PKGSVC_OK);
    assert_int_equal(back.count, PKGSVC_VERSIONS_MAX);
    assert_int_equal(pkgsvc_versions_find(&back, "p005")->version.major, 2);
    assert_null(pkgsvc_versions_find(&back, "p0050"));
    assert_int_equal(pkgsvc_versions_parse("", 0, &back, NULL), PKGSVC_OK);
    assert_int_equal(back.count, 0);
}

static void record_refused(const char *text, size_t where)
{
    static pkgsvc_versions v;
    memset(&v, 0x11, sizeof v);
    size_t at = 12345;
    assert_int_equal(pkgsvc_versions_parse(text, strlen(text), &v, &at), PKGSVC_ERR_RECORD);
    assert_int_equal(at, where);
    assert_int_equal(v.count, 0x11111111u);
}

static void test_versions_refused(void **state)
{
    (void)state;
    char hex[129];
    memset(hex, 'a', 128);
    hex[128] = '\0';
    char good[200], t[600];
    snprintf(good, sizeof good, "bbb 1.2.3 %s\n", hex);
    size_t g = strlen(good);
    snprintf(t, sizeof t, "%s%s", good, good);              /* a repeated name */
    record_refused(t, g);
    snprintf(t, sizeof t, "%saaa 1.2.3 %s\n", good, hex);   /* out of order */
    record_refused(t, g);
    snprintf(t, sizeof t, "bbb 1.2.3 %s", hex);             /* no final newline */
    record_refused(t, 0);
    snprintf(t, sizeof t, "Bbb 1.2.3 %s\n", hex);
    record_refused(t, 0);
    snprintf(t, sizeof t, "bbb 1.2 %s\n", hex);
    record_refused(t, 0);
    snprintf(t, sizeof t, "bbb 1.02.3 %s\n", hex);
    record_refused(t, 0);
    snprintf(t, sizeof t, "bbb 1.2.4294967296 %s\n", hex);
    record_refused(t, 0);
    snprintf(t, sizeof t, "bbb 1.2.3 %.127s\n", hex);
    record_refused(t, 0);
    snprintf(t, sizeof t, "bbb 1.2.3 %sa\n", hex);
    record_refused(t, 0);
    snprintf(t, sizeof t, "bbb 1.2.3 %.127sg\n", hex);
    record_refused(t, 0);
    snprintf(t, sizeof t, "bbb 1.2.3 A%.127s\n", hex);     /* upper case: not its encoding */
    record_refused(t, 0);
    snprintf(t, sizeof t, "%s\n", good);                    /* an empty line */
    record_refused(t, g);
    snprintf(t, sizeof t, "bbb  1.2.3 %s\n", hex);
    record_refused(t, 0);
    snprintf(t, sizeof t, "bbb 1.2.3  %s\n", hex);
    record_refused(t, 0);
    static char huge[PKGSVC_VERSIONS_FILE_MAX + 2];
    memset(huge, 'a', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    record_refused(huge, PKGSVC_VERSIONS_FILE_MAX);
    /* A NUL inside a line is a character like any other wrong one. */
    char nul[200];
    memcpy(nul, good, g);
    nul[1] = '\0';
    static pkgsvc_versions v;
    size_t at = 1;
    assert_int_equal(pkgsvc_versions_parse(nul, g, &v, &at), PKGSVC_ERR_RECORD);
    assert_int_equal(at, 0);
}

static void test_decide(void **state)
{
    (void)state;
    static pkgsvc_versions v;
    memset(&v, 0, sizeof v);
    uint8_t d1[64], d2[64];
    digest_of(d1, 1);
    digest_of(d2, 2);
    pkg_info i = request();                                    /* hello 1.2.3 */
    assert_int_equal(pkgsvc_decide_version(&v, &i, d1, NULL), PKGSVC_OK);
    assert_int_equal(pkgsvc_versions_raise(&v, "hello", &i.version, d1), PKGSVC_OK);
    pkg_version inst = i.version;
    assert_int_equal(pkgsvc_decide_version(&v, &i, d1, &inst), PKGSVC_ERR_INSTALLED);
    assert_int_equal(pkgsvc_decide_version(&v, &i, d2, &inst), PKGSVC_ERR_ROLLBACK);
    /* After an uninstall: the same package again is fine, other bytes under its version
     * are not, an older one is not. */
    assert_int_equal(pkgsvc_decide_version(&v, &i, d1, NULL), PKGSVC_OK);
    assert_int_equal(pkgsvc_decide_version(&v, &i, d2, NULL), PKGSVC_ERR_ROLLBACK);
    i.version = (pkg_version){1, 2, 2};
    assert_int_equal(pkgsvc_decide_version(&v, &i, d1, NULL), PKGSVC_ERR_ROLLBACK);
    i.version = (pkg_version){0, 99, 99};
    assert_int_equal(pkgsvc_decide_version(&v, &i, d1, &inst), PKGSVC_ERR_ROLLBACK);
    i.version = (pkg_version){1, 3, 0};
    assert_int_equal(pkgsvc_decide_version(&v, &i, d2, &inst), PKGSVC_OK);
    i.version = (pkg_version){2, 0, 0};
    assert_int_equal(pkgsvc_decide_version(&v, &i, d2, NULL), PKGSVC_OK);
    /* Another name is not held back by hello's record. */
    pkg_info o = request();
    strcpy(o.name, "other");
    o.version = (pkg_version){0, 0, 1};
    assert_int_equal(pkgsvc_decide_version(&v, &o, d1, NULL), PKGSVC_OK);
    assert_int_equal(pkgsvc_decide_version(NULL, &o, d1, NULL), PKGSVC_ERR_ARGUMENT);
}

static void test_audit_and_messages(void **state)
{
    (void)state;
    char line[PKGSVC_AUDIT_LINE_MAX];
    pkg_info i = request();
    size_t n = pkgsvc_audit_line(line, "install", "staging/a.pkg", PKGSVC_ERR_SIGNATURE, &i,
                                 "bad signature: equation");
    assert_string_equal(line, "install staging/a.pkg bad-signature 1208 hello 1.2.3: "
                              "bad signature: equation\n");
    assert_int_equal(n, strlen(line));
    n = pkgsvc_audit_line(line, "install", "staging/b\nfake line", PKGSVC_OK, NULL, "x\ny");
    assert_string_equal(line, "install staging/b?fake?line ok 0: x?y\n");
    char long_detail[600];
    memset(long_detail, 'd', sizeof long_detail - 1);
    long_detail[sizeof long_detail - 1] = '\0';
    n = pkgsvc_audit_line(line, "install", long_detail, PKGSVC_ERR_ROLLBACK, &i, long_detail);
    assert_int_equal(n, PKGSVC_AUDIT_LINE_MAX - 1);
    assert_int_equal(line[n - 1], '\n');
    assert_int_equal(strlen(line), n);
    n = pkgsvc_audit_line(line, NULL, "", PKGSVC_ERR_NOENT, NULL, NULL);
    assert_string_equal(line, "? - no-entry 1202\n");
    /* Every result has its own message and word. */
    for (int a = 0; a < PKGSVC_RESULT_COUNT; a++) {
        assert_string_not_equal(pkgsvc_result_message((pkgsvc_result)a), "unknown result");
        for (int b = 0; b < a; b++) {
            assert_string_not_equal(pkgsvc_result_message((pkgsvc_result)a),
                                    pkgsvc_result_message((pkgsvc_result)b));
            assert_string_not_equal(pkgsvc_result_word((pkgsvc_result)a),
                                    pkgsvc_result_word((pkgsvc_result)b));
        }
    }
    assert_string_equal(pkgsvc_result_message(PKGSVC_RESULT_COUNT), "unknown result");
    /* lib/pkg's refusals map onto the service's. */
    assert_int_equal(pkgsvc_from_pkg(PKG_ERR_TRUNCATED), PKGSVC_ERR_TRUNCATED);
    assert_int_equal(pkgsvc_from_pkg(PKG_ERR_TRAILING), PKGSVC_ERR_OVERSIZED);
    assert_int_equal(pkgsvc_from_pkg(PKG_ERR_SIGNATURE), PKGSVC_ERR_SIGNATURE);
    assert_int_equal(pkgsvc_from_pkg(PKG_ERR_DIGEST), PKGSVC_ERR_DIGEST);
    assert_int_equal(pkgsvc_from_pkg(PKG_ERR_KEY_ID), PKGSVC_ERR_UNKNOWN_KEY);
    assert_int_equal(pkgsvc_from_pkg(PKG_ERR_NAME), PKGSVC_ERR_MALFORMED);
    assert_int_equal(pkgsvc_from_pkg(PKG_ERR_MAGIC), PKGSVC_ERR_MALFORMED);
    assert_int_equal(pkgsvc_from_pkg(PKG_OK), PKGSVC_OK);
}

/* fetch's dotted-address test: exactly what it accepts, and nothing written on a refusal. */
static void test_ipv4(void **state)
{
    (void)state;
    uint32_t ip = 0;
    assert_int_equal(pkgsvc_ipv4_parse("10.0.2.2", 8, &ip), PKGSVC_OK);
    assert_int_equal(ip, 0x0a000202u);
    assert_int_equal(pkgsvc_ipv4_parse("255.255.255.255", 15, &ip), PKGSVC_OK);
    assert_int_equal(ip, 0xffffffffu);
    assert_int_equal(pkgsvc_ipv4_parse("0.0.0.0", 7, &ip), PKGSVC_OK);
    assert_int_equal(ip, 0u);
    /* The length counts, not a NUL: "10.0.2.2" inside a longer text. */
    assert_int_equal(pkgsvc_ipv4_parse("1.2.3.45:80", 8, &ip), PKGSVC_OK);
    assert_int_equal(ip, 0x0102032du);
    static const char *const bad[] = {
        "", "1", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "256.0.0.1",
        "1.2.3.0256", "1.2.3.1000", "a.b.c.d", "1.2.3.4 ", "-1.2.3.4", "1.2.3.4x",
        "example.com", "10.0.2.2a", "1.2.3.4.",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ip = 0x5a5a5a5au;
        assert_int_equal(pkgsvc_ipv4_parse(bad[k], strlen(bad[k]), &ip), PKGSVC_ERR_URL);
        assert_int_equal(ip, 0x5a5a5a5au);
    }
    assert_int_equal(pkgsvc_ipv4_parse(NULL, 4, &ip), PKGSVC_ERR_URL);
    assert_int_equal(pkgsvc_ipv4_parse("1.2.3.4", 7, NULL), PKGSVC_ERR_URL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allow_network),
        cmocka_unit_test(test_grants),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_versions_roundtrip),
        cmocka_unit_test(test_versions_refused),
        cmocka_unit_test(test_decide),
        cmocka_unit_test(test_audit_and_messages),
        cmocka_unit_test(test_ipv4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
