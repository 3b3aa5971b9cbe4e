/* test_net_unit.c: lib/net's API and tables with hand-built frames: argument checks,
 * the checksum, ARP cache learning, expiry and eviction, the ARP queue's bound, UDP
 * socket table and ports, ping output bytes, error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net.h"

static uint8_t sent[16][NET_FRAME_MAX];
static size_t sent_len[16];
static unsigned nsent;
static int fail_send;

static net_err cap_send(void *ctx, const uint8_t *f, size_t len)
{
    (void)ctx;
    if (fail_send)
        return NET_ERR_LINK;
    if (nsent < 16) {
        memcpy(sent[nsent], f, len);
        sent_len[nsent] = len;
    }
    nsent++;
    return NET_OK;
}

static void rnd(void *ctx, uint8_t *b, size_t n)
{
    (void)ctx;
    memset(b, 0x42, n);
}

static const uint8_t my_mac[6] = {2, 0, 0, 0, 0, 2};
static net_stack st;

static int setup(void **state)
{
    (void)state;
    net_link l = {NULL, cap_send, rnd};
    nsent = 0;
    fail_send = 0;
    assert_int_equal(net_init(&st, &l, my_mac, 1000), NET_OK);
    assert_int_equal(net_set_ipv4(&st, 0x0a000002, 0xffffff00, 0x0a000001), NET_OK);
    return 0;
}

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

/* An ARP packet from ip/mac; op 1 asks for target. */
static size_t arp_frame(uint8_t *f, unsigned op, const uint8_t *mac, uint32_t ip, uint32_t target)
{
    memset(f, 0, 42);
    memcpy(f, op == 1 ? (const uint8_t *)"\xff\xff\xff\xff\xff\xff" : my_mac, 6);
    memcpy(f + 6, mac, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1);
    put16(f + 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, op);
    memcpy(f + 22, mac, 6);
    put32(f + 28, ip);
    put32(f + 38, target);
    return 42;
}

static void test_args(void **state)
{
    (void)state;
    net_link l = {NULL, cap_send, rnd}, nosend = {NULL, NULL, rnd};
    const uint8_t group[6] = {1, 0, 0x5e, 0, 0, 1};
    net_stack s2;
    assert_int_equal(net_init(NULL, &l, my_mac, 0), NET_ERR_ARG);
    assert_int_equal(net_init(&s2, &nosend, my_mac, 0), NET_ERR_ARG);
    assert_int_equal(net_init(&s2, &l, group, 0), NET_ERR_ARG);
    assert_int_equal(net_set_ipv4(&st, 0x0a000002, 0xff00ff00, 0), NET_ERR_ARG); /* holes */
    assert_int_equal(net_set_ipv4(&st, 0x0a000000, 0xffffff00, 0), NET_ERR_ARG); /* network */
    assert_int_equal(net_set_ipv4(&st, 0x0a0000ff, 0xffffff00, 0), NET_ERR_ARG); /* bcast */
    assert_int_equal(net_set_ipv4(&st, 0x0a000002, 0xffffff00, 0x0b000001), NET_ERR_ARG);
    assert_int_equal(net_set_ipv4(&st, 0xe0000001, 0xffffff00, 0), NET_ERR_ARG); /* multicast */
    assert_int_equal(net_set_ipv4(&st, 0, 0xffffff00, 0), NET_ERR_ARG);
    /* the failed calls changed nothing */
    assert_int_equal(st.ip, 0x0a000002);
    assert_int_equal(st.gateway, 0x0a000001);
    assert_int_equal(net_input(NULL, NULL, 0, 0), NET_ERR_ARG);
    assert_int_equal(net_input(&st, NULL, 0, 0), NET_OK);
    assert_int_equal(st.stats.rx_short, 1);
    assert_int_equal(net_ip_send(&st, 0, 0, 1, NULL, 0), NET_ERR_ARG);
    assert_int_equal(net_ip_send(&st, 0, 0x0a000009, 1, NULL, NET_FRAG_MAX + 1), NET_ERR_ARG);
    assert_int_equal(net_ping(&st, 0x0a000009, 1, 1, NULL, 10), NET_ERR_ARG);
    static uint8_t big[NET_FRAG_MAX + 1];
    assert_int_equal(net_ip_send(&st, 0, 0x0a000009, 1, big, NET_FRAG_MAX + 1), NET_ERR_TOOBIG);
}

static void test_checksum(void **state)
{
    (void)state;
    /* RFC 1071's example bytes sum to 0xddf2, so the checksum is its complement. */
    const uint8_t b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(net_checksum(b, 8, 0), (uint16_t)~0xddf2);
    const uint8_t odd[3] = {0x01, 0x02, 0x03};
    assert_int_equal(net_checksum(odd, 3, 0), (uint16_t)~(0x0102 + 0x0300));
    assert_int_equal(net_checksum(NULL, 0, 0), 0xffff);
}

/* The RFC 1071 sum the plain way: 16-bit big-endian words, a 64-bit total folded. */
static uint16_t ref_checksum(const uint8_t *b, size_t len, uint32_t sum)
{
    uint64_t t = sum;
    for (size_t i = 0; i + 1 < len; i += 2)
        t += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (len & 1u)
        t += (uint32_t)b[len - 1] << 8;
    while (t >> 16)
        t = (t & 0xffffu) + (t >> 16);
    return (uint16_t)~t;
}

/* The word-at-a-time sum against the plain one: every start offset 0..15 (so every
 * alignment, odd ones included), every length 0..600 and then random ones up to 9000,
 * random bytes and all-0xff bytes (the most carries), with and without a pseudo-header. */
static void test_checksum_words(void **state)
{
    (void)state;
    static uint8_t buf[9100 + 16];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            memset(buf, 0xff, sizeof buf);
        for (size_t off = 0; off < 16; off++) {
            for (size_t len = 0; len <= 600; len++) {
                assert_int_equal(net_checksum(buf + off, len, 0), ref_checksum(buf + off, len, 0));
                assert_int_equal(net_checksum(buf + off, len, 0x3fffeu),
                                 ref_checksum(buf + off, len, 0x3fffeu));
            }
            for (int k = 0; k < 50; k++) {
                x = x * 1103515245u + 12345u;
                size_t len = (x >> 8) % 9000u;
                assert_int_equal(net_checksum(buf + off, len, x >> 12),
                                 ref_checksum(buf + off, len, x >> 12));
            }
        }
    }
}

static void test_strerror(void **state)
{
    (void)state;
    for (int e = 0; e < NET_ERR__COUNT; e++) {
        assert_non_null(net_strerror((net_err)e));
        assert_true(strlen(net_strerror((net_err)e)) > 1);
    }
    assert_string_equal(net_strerror((net_err)999), "unknown error");
    assert_string_equal(net_strerror(NET_ERR_NXDOMAIN), "name does not exist (NXDOMAIN)");
}

static void test_arp_learn_expire(void **state)
{
    (void)state;
    uint8_t f[64], mac[6];
    const uint8_t peer[6] = {2, 0, 0, 0, 0, 7};
    /* A request for someone else from an unknown host teaches nothing (RFC 826). */
    (void)net_input(&st, f, arp_frame(f, 1, peer, 0x0a000007, 0x0a000003), 1000);
    assert_false(net_arp_lookup(&st, 0x0a000007, mac));
    assert_int_equal(nsent, 0);
    /* A request for us: learnt and answered. */
    (void)net_input(&st, f, arp_frame(f, 1, peer, 0x0a000007, 0x0a000002), 1000);
    assert_true(net_arp_lookup(&st, 0x0a000007, mac));
    assert_memory_equal(mac, peer, 6);
    assert_int_equal(nsent, 1);
    assert_int_equal(sent_len[0], 42);
    assert_memory_equal(sent[0], peer, 6);
    assert_int_equal(sent[0][21], 2); /* reply */
    /* Still cached just before the TTL, gone after it. */
    net_poll(&st, 1000 + NET_ARP_TTL_MS - 1);
    assert_true(net_arp_lookup(&st, 0x0a000007, mac));
    net_poll(&st, 1000 + NET_ARP_TTL_MS);
    assert_false(net_arp_lookup(&st, 0x0a000007, mac));
    /* A group sender MAC is refused. */
    const uint8_t grp[6] = {1, 2, 3, 4, 5, 6};
    size_t n = arp_frame(f, 1, grp, 0x0a000008, 0x0a000002);
    memcpy(f + 6, peer, 6); /* Ethernet refuses a group source first; get past it */
    (void)net_input(&st, f, n, 2000);
    assert_int_equal(st.stats.arp_bad, 1);
    /* Someone claiming our own address is not learnt. */
    (void)net_input(&st, f, arp_frame(f, 2, peer, 0x0a000002, 0x0a000002), 2000);
    assert_false(net_arp_lookup(&st, 0x0a000002, mac));
}

static void test_arp_poisoning(void **state)
{
    (void)state;
    uint8_t f[64], mac[6];
    const uint8_t peer[6] = {2, 0, 0, 0, 0, 7}, evil[6] = {2, 0xee, 0, 0, 0, 7};
    (void)net_input(&st, f, arp_frame(f, 1, peer, 0x0a000007, 0x0a000002), 1000);
    assert_true(net_arp_lookup(&st, 0x0a000007, mac));
    /* A gratuitous reply moving the peer to another MAC is ignored while the entry is
     * fresh, and counted. */
    (void)net_input(&st, f, arp_frame(f, 2, evil, 0x0a000007, 0x0a000007), 2000);
    assert_true(net_arp_lookup(&st, 0x0a000007, mac));
    assert_memory_equal(mac, peer, 6);
    assert_int_equal(st.stats.arp_mac_change_ignored, 1);
    /* So is a request carrying the change (it is still answered). */
    (void)net_input(&st, f, arp_frame(f, 1, evil, 0x0a000007, 0x0a000002), 3000);
    assert_true(net_arp_lookup(&st, 0x0a000007, mac));
    assert_memory_equal(mac, peer, 6);
    assert_int_equal(st.stats.arp_mac_change_ignored, 2);
    /* A claim to our own address is counted as such. */
    (void)net_input(&st, f, arp_frame(f, 2, evil, 0x0a000002, 0x0a000002), 3000);
    assert_int_equal(st.stats.arp_own_claimed, 1);
    /* Once the entry has expired, a new MAC is learnt. */
    net_poll(&st, 1000 + NET_ARP_TTL_MS);
    (void)net_input(&st, f, arp_frame(f, 1, evil, 0x0a000007, 0x0a000002),
                    1000 + NET_ARP_TTL_MS);
    assert_true(net_arp_lookup(&st, 0x0a000007, mac));
    assert_memory_equal(mac, evil, 6);
}

static void test_arp_eviction(void **state)
{
    (void)state;
    uint8_t f[64], mac[6];
    /* Fill the cache, one more evicts the oldest resolved entry. */
    for (unsigned i = 0; i <= NET_ARP_ENTRIES; i++) {
        uint8_t m[6] = {2, 0, 0, 1, 0, (uint8_t)i};
        (void)net_input(&st, f, arp_frame(f, 1, m, 0x0a000010 + i, 0x0a000002), 1000 + i);
    }
    assert_false(net_arp_lookup(&st, 0x0a000010, mac));
    assert_true(net_arp_lookup(&st, 0x0a000011, mac));
    assert_true(net_arp_lookup(&st, 0x0a000010 + NET_ARP_ENTRIES, mac));
}

static void test_arp_queue_bound(void **state)
{
    (void)state;
    const uint8_t d[4] = {1, 2, 3, 4};
    for (unsigned i = 0; i < NET_ARP_QUEUE; i++)
        assert_int_equal(net_ping(&st, 0x0a000050, 1, (uint16_t)i, d, 4), NET_ERR_PENDING);
    assert_int_equal(net_ping(&st, 0x0a000050, 1, 99, d, 4), NET_ERR_NOSPACE);
    assert_int_equal(st.stats.arp_queue_full, 1);
    assert_int_equal(nsent, 1); /* one ARP request, not one per packet */
    /* Off-link goes to the gateway, which needs resolving too: no queue space. */
    assert_int_equal(net_ping(&st, 0x08080808, 1, 1, d, 4), NET_ERR_NOSPACE);
    /* Without a gateway an off-link address has no route. */
    assert_int_equal(net_set_ipv4(&st, 0x0a000002, 0xffffff00, 0), NET_OK);
    assert_int_equal(net_ping(&st, 0x08080808, 1, 1, d, 4), NET_ERR_NOROUTE);
}

static void test_ping_bytes(void **state)
{
    (void)state;
    uint8_t f[64];
    const uint8_t peer[6] = {2, 0, 0, 0, 0, 7};
    (void)net_input(&st, f, arp_frame(f, 1, peer, 0x0a000007, 0x0a000002), 1000);
    nsent = 0;
    const uint8_t d[4] = {0xde, 0xad, 0xbe, 0xef};
    assert_int_equal(net_ping(&st, 0x0a000007, 0x1234, 0x0005, d, 4), NET_OK);
    assert_int_equal(nsent, 1);
    assert_int_equal(sent_len[0], 14 + 20 + 8 + 4);
    const uint8_t *ip = sent[0] + 14;
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(ip[2] * 256 + ip[3], 32);
    assert_int_equal(ip[8], 64);
    assert_int_equal(ip[9], 1);
    assert_int_equal(net_checksum(ip, 20, 0), 0);
    assert_int_equal(ip[20], 8);
    assert_int_equal(ip[24] * 256 + ip[25], 0x1234);
    assert_int_equal(ip[26] * 256 + ip[27], 5);
    assert_memory_equal(ip + 28, d, 4);
    assert_int_equal(net_checksum(ip + 20, 12, 0), 0);
    /* A failing link is reported and counted. */
    fail_send = 1;
    assert_int_equal(net_ping(&st, 0x0a000007, 1, 1, d, 4), NET_ERR_LINK);
    assert_int_equal(st.stats.tx_errors, 1);
}

static void on_udp(void *ctx, uint32_t s, uint16_t sp, uint32_t d, uint16_t dp,
                   const uint8_t *data, size_t len)
{
    (void)ctx; (void)s; (void)sp; (void)d; (void)dp; (void)data; (void)len;
}

static void test_udp_table(void **state)
{
    (void)state;
    assert_int_equal(net_udp_bind(&st, 0, on_udp, NULL), NET_ERR_ARG);
    assert_int_equal(net_udp_bind(&st, 7, NULL, NULL), NET_ERR_ARG);
    for (unsigned i = 0; i < NET_UDP_SOCKETS; i++)
        assert_int_equal(net_udp_bind(&st, (uint16_t)(100 + i), on_udp, NULL), NET_OK);
    assert_int_equal(net_udp_bind(&st, 100, on_udp, NULL), NET_ERR_INUSE);
    assert_int_equal(net_udp_bind(&st, 999, on_udp, NULL), NET_ERR_NOSPACE);
    assert_int_equal(net_udp_unbind(&st, 999), NET_ERR_NOTFOUND);
    assert_int_equal(net_udp_unbind(&st, 100), NET_OK);
    assert_int_equal(net_udp_bind(&st, 999, on_udp, NULL), NET_OK);
    assert_int_equal(net_udp_send(&st, 0, 0, 0x0a000007, 7, NULL, 0), NET_ERR_ARG);
    static uint8_t big[NET_FRAG_MAX];
    assert_int_equal(net_udp_send(&st, 0, 5, 0x0a000007, 7, big, NET_FRAG_MAX), NET_ERR_TOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_args, setup),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_checksum_words),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test_setup(test_arp_learn_expire, setup),
        cmocka_unit_test_setup(test_arp_poisoning, setup),
        cmocka_unit_test_setup(test_arp_eviction, setup),
        cmocka_unit_test_setup(test_arp_queue_bound, setup),
        cmocka_unit_test_setup(test_ping_bytes, setup),
        cmocka_unit_test_setup(test_udp_table, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
