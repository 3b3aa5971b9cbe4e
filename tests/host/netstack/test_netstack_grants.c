/* test_netstack_grants.c: the grant text parser and the check every Socket request passes
 * through: what each kind of grant allows, wildcards, and every malformed word refused
 * with its error and offset, granting nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netstack_grants.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static netstack_grant_err parse(const char *t, struct netstack_grants *g, size_t *where)
{
    return netstack_grants_parse(t, strlen(t), g, where);
}

static void test_the_system_description(void **state)
{
    (void)state;
    struct netstack_grants g;
    const char *t = "tcp-connect:10.213.9.1:5001 tcp-listen:7 resolve udp-bind:* udp-send:10.213.9.1:*";
    assert_int_equal(parse(t, &g, NULL), NETSTACK_GRANT_OK);
    assert_int_equal(g.count, 5);
    assert_true(netstack_grant_check(&g, NETSTACK_OP_TCP_CONNECT, IP(10, 213, 9, 1), 5001));
    assert_false(netstack_grant_check(&g, NETSTACK_OP_TCP_CONNECT, IP(10, 213, 9, 1), 5002));
    assert_false(netstack_grant_check(&g, NETSTACK_OP_TCP_CONNECT, IP(10, 213, 9, 2), 5001));
    assert_true(netstack_grant_check(&g, NETSTACK_OP_TCP_LISTEN, 0, 7));
    assert_false(netstack_grant_check(&g, NETSTACK_OP_TCP_LISTEN, 0, 8));
    /* A listen grant is not a connect grant to the same port, nor a bind. */
    assert_false(netstack_grant_check(&g, NETSTACK_OP_TCP_CONNECT, IP(10, 213, 9, 1), 7));
    assert_true(netstack_grant_check(&g, NETSTACK_OP_UDP_BIND, 0, 1));
    assert_true(netstack_grant_check(&g, NETSTACK_OP_UDP_BIND, 0, 65535));
    assert_true(netstack_grant_check(&g, NETSTACK_OP_UDP_SEND, IP(10, 213, 9, 1), 53));
    assert_false(netstack_grant_check(&g, NETSTACK_OP_UDP_SEND, IP(10, 213, 9, 2), 53));
    assert_true(netstack_grant_check(&g, NETSTACK_OP_RESOLVE, 0, 0));
}

static void test_nothing_granted(void **state)
{
    (void)state;
    struct netstack_grants g;
    assert_int_equal(parse("", &g, NULL), NETSTACK_GRANT_OK);
    assert_int_equal(g.count, 0);
    assert_int_equal(parse("   ", &g, NULL), NETSTACK_GRANT_OK);
    assert_int_equal(g.count, 0);
    for (int op = 0; op < (int)NETSTACK_OP__COUNT; op++)
        assert_false(netstack_grant_check(&g, (netstack_op)op, IP(1, 2, 3, 4), 80));
    assert_false(netstack_grant_check(NULL, NETSTACK_OP_RESOLVE, 0, 0));
    assert_false(netstack_grant_check(&g, NETSTACK_OP__COUNT, 0, 0));
}

static void test_wildcards(void **state)
{
    (void)state;
    struct netstack_grants g;
    assert_int_equal(parse("tcp-connect:*:443 udp-send:192.168.0.9:*", &g, NULL), NETSTACK_GRANT_OK);
    assert_true(netstack_grant_check(&g, NETSTACK_OP_TCP_CONNECT, IP(8, 8, 8, 8), 443));
    assert_true(netstack_grant_check(&g, NETSTACK_OP_TCP_CONNECT, IP(255, 255, 255, 255), 443));
    assert_false(netstack_grant_check(&g, NETSTACK_OP_TCP_CONNECT, IP(8, 8, 8, 8), 80));
    assert_true(netstack_grant_check(&g, NETSTACK_OP_UDP_SEND, IP(192, 168, 0, 9), 1));
    assert_false(netstack_grant_check(&g, NETSTACK_OP_UDP_SEND, IP(192, 168, 0, 10), 1));
    assert_false(netstack_grant_check(&g, NETSTACK_OP_RESOLVE, 0, 0));
    assert_int_equal(parse("tcp-connect:*:*", &g, NULL), NETSTACK_GRANT_OK);
    assert_true(netstack_grant_check(&g, NETSTACK_OP_TCP_CONNECT, IP(1, 1, 1, 1), 1));
    assert_false(netstack_grant_check(&g, NETSTACK_OP_TCP_LISTEN, 0, 1));
}

static void test_refused_words(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        netstack_grant_err err;
        size_t where;
    } cases[] = {
        {"connect:1.2.3.4:80", NETSTACK_GRANT_E_UNKNOWN, 0},
        {"resolve tcp-listen", NETSTACK_GRANT_E_SHAPE, 8},
        {"resolve:x", NETSTACK_GRANT_E_SHAPE, 0},
        {"tcp-listen:0", NETSTACK_GRANT_E_PORT, 0},
        {"tcp-listen:65536", NETSTACK_GRANT_E_PORT, 0},
        {"tcp-listen:080", NETSTACK_GRANT_E_PORT, 0},
        {"tcp-listen:-1", NETSTACK_GRANT_E_PORT, 0},
        {"tcp-listen:", NETSTACK_GRANT_E_PORT, 0},
        {"udp-bind:1:2", NETSTACK_GRANT_E_SHAPE, 0},
        {"tcp-connect:1.2.3.4", NETSTACK_GRANT_E_SHAPE, 0},
        {"tcp-connect:1.2.3.4:5:6", NETSTACK_GRANT_E_SHAPE, 0},
        {"tcp-connect:1.2.3:80", NETSTACK_GRANT_E_ADDRESS, 0},
        {"tcp-connect:1.2.3.4.5:80", NETSTACK_GRANT_E_ADDRESS, 0},
        {"tcp-connect:1.2.3.256:80", NETSTACK_GRANT_E_ADDRESS, 0},
        {"tcp-connect:1.2.3.:80", NETSTACK_GRANT_E_ADDRESS, 0},
        {"tcp-connect:.1.2.3:80", NETSTACK_GRANT_E_ADDRESS, 0},
        {"tcp-connect:0.0.0.0:80", NETSTACK_GRANT_E_ADDRESS, 0},
        {"tcp-connect::80", NETSTACK_GRANT_E_ADDRESS, 0},
        {"tcp-connect:1.2.3.4:*x", NETSTACK_GRANT_E_PORT, 0},
        {"udp-send:a.b.c.d:53", NETSTACK_GRANT_E_ADDRESS, 0},
        {"resolve resolve resolve resolve resolve resolve resolve resolve resolve resolve "
         "resolve resolve resolve resolve resolve resolve resolve", NETSTACK_GRANT_E_TOO_MANY, 128},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct netstack_grants g;
        g.count = 99;
        size_t where = 12345;
        assert_int_equal(parse(cases[i].text, &g, &where), cases[i].err);
        assert_int_equal(where, cases[i].where);
        assert_int_equal(g.count, 0); /* a bad list grants nothing, not its good prefix */
        assert_non_null(strstr(netstack_grant_strerror(cases[i].err), " "));
    }
    struct netstack_grants g;
    assert_int_equal(netstack_grants_parse(NULL, 1, &g, NULL), NETSTACK_GRANT_E_ARG);
    assert_int_equal(netstack_grants_parse("resolve", 7, NULL, NULL), NETSTACK_GRANT_E_ARG);
    /* The length bounds the text: a NUL or more text past it is never read. */
    assert_int_equal(netstack_grants_parse("resolve junk", 7, &g, NULL), NETSTACK_GRANT_OK);
    assert_int_equal(g.count, 1);
    assert_string_equal(netstack_op_name(NETSTACK_OP_UDP_SEND), "udp-send");
    assert_string_equal(netstack_op_name(NETSTACK_OP__COUNT), "unknown operation");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_system_description),
        cmocka_unit_test(test_nothing_granted),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_refused_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
