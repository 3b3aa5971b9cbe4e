/* lib/net's ARP cache against spoofing, as the network stack component relies on it
 * (tests/qemu/test_netstack_hostile.py attacks the guest the same way): a resolved
 * address keeps its MAC until its entry expires, whoever claims otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net.h"

static unsigned nsent;

static net_err count_send(void *ctx, const uint8_t *f, size_t len)
{
    (void)ctx;
    (void)f;
    (void)len;
    nsent++;
    return NET_OK;
}

static void fixed_random(void *ctx, uint8_t *b, size_t n)
{
    (void)ctx;
    memset(b, 0x5a, n);
}

static const uint8_t my_mac[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t gw_mac[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t evil_mac[6] = {2, 0, 0, 0x66, 0x66, 0x66};
#define MY_IP 0x0a000002u
#define GW_IP 0x0a000001u

static net_stack st;

static int setup(void **state)
{
    (void)state;
    net_link l = {NULL, count_send, fixed_random};
    nsent = 0;
    assert_int_equal(net_init(&st, &l, my_mac, 1000), NET_OK);
    assert_int_equal(net_set_ipv4(&st, MY_IP, 0xffffff00u, GW_IP), NET_OK);
    return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* An ARP packet (op 1 request, 2 reply) from mac claiming ip, for target. */
static size_t arp(uint8_t *f, unsigned op, const uint8_t *mac, uint32_t ip, uint32_t target)
{
    memset(f, 0, 42);
    memset(f, 0xff, 6);
    memcpy(f + 6, mac, 6);
    f[12] = 0x08;
    f[13] = 0x06;
    f[15] = 1;
    f[16] = 0x08;
    f[18] = 6;
    f[19] = 4;
    f[21] = (uint8_t)op;
    memcpy(f + 22, mac, 6);
    put32(f + 28, ip);
    put32(f + 38, target);
    return 42;
}

static void test_gateway_mac_not_stolen(void **state)
{
    (void)state;
    uint8_t f[64], mac[6];
    (void)net_input(&st, f, arp(f, 1, gw_mac, GW_IP, MY_IP), 1000);
    assert_true(net_arp_lookup(&st, GW_IP, mac));
    assert_memory_equal(mac, gw_mac, 6);
    uint32_t bad0 = st.stats.arp_bad;
    /* A gratuitous reply and a reply to us, both naming another MAC for the gateway. */
    (void)net_input(&st, f, arp(f, 2, evil_mac, GW_IP, GW_IP), 2000);
    (void)net_input(&st, f, arp(f, 2, evil_mac, GW_IP, MY_IP), 2001);
    (void)net_input(&st, f, arp(f, 1, evil_mac, GW_IP, MY_IP), 2002);
    assert_true(net_arp_lookup(&st, GW_IP, mac));
    assert_memory_equal(mac, gw_mac, 6);
    assert_int_equal(st.stats.arp_bad, bad0 + 3u);
    /* The real gateway refreshes its entry. */
    (void)net_input(&st, f, arp(f, 2, gw_mac, GW_IP, MY_IP), 3000);
    assert_true(net_arp_lookup(&st, GW_IP, mac));
    assert_memory_equal(mac, gw_mac, 6);
    assert_int_equal(st.stats.arp_bad, bad0 + 3u);
}

static void test_new_mac_learnt_after_expiry(void **state)
{
    (void)state;
    uint8_t f[64], mac[6];
    const uint8_t moved[6] = {2, 0, 0, 0, 0, 9};
    (void)net_input(&st, f, arp(f, 1, gw_mac, GW_IP, MY_IP), 1000);
    net_poll(&st, 1000 + NET_ARP_TTL_MS);
    assert_false(net_arp_lookup(&st, GW_IP, mac));
    /* Once forgotten, the address is learnt from the next packet for us. */
    (void)net_input(&st, f, arp(f, 2, moved, GW_IP, MY_IP), 1001 + NET_ARP_TTL_MS);
    assert_true(net_arp_lookup(&st, GW_IP, mac));
    assert_memory_equal(mac, moved, 6);
}

static void test_claim_to_our_address_refused(void **state)
{
    (void)state;
    uint8_t f[64], mac[6];
    uint32_t bad0 = st.stats.arp_bad;
    (void)net_input(&st, f, arp(f, 2, evil_mac, MY_IP, MY_IP), 1000);
    assert_false(net_arp_lookup(&st, MY_IP, mac));
    assert_int_equal(st.stats.arp_bad, bad0 + 1u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_gateway_mac_not_stolen, setup),
        cmocka_unit_test_setup(test_new_mac_learnt_after_expiry, setup),
        cmocka_unit_test_setup(test_claim_to_our_address_refused, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
