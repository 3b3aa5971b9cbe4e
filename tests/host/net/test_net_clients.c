/* test_net_clients.c: the DHCP client's and the resolver's state machines on hand-built
 * server messages with a simulated clock: DHCP retransmission backoff, NAK, T1 renewal
 * by unicast, T2 rebinding by broadcast, expiry; DNS answers from the wrong server, port,
 * ID or question ignored, a fresh ID and port per query, retries then a timeout, and a
 * truncated answer asked again over TCP (RFC 7766) with a scripted server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net_dhcp.h"
#include "net_dns.h"
#include "net_tcp.h"

#define SERVER 0x0a000001u

static uint8_t out[32][NET_FRAME_MAX];
static size_t out_len[32];
static unsigned nout;
static uint32_t counter;
static net_stack st;
static const uint8_t mac[6] = {2, 0, 0, 0, 0, 2};

static net_err cap(void *ctx, const uint8_t *f, size_t len)
{
    (void)ctx;
    if (nout < 32) {
        memcpy(out[nout], f, len);
        out_len[nout] = len;
    }
    nout++;
    return NET_OK;
}

/* A counter, so successive random draws differ (IDs, ports, xids). */
static void rnd(void *ctx, uint8_t *b, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(counter++ * 73u + 11u);
}

static void p16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void p32(uint8_t *p, uint32_t v) { p16(p, v >> 16); p16(p + 2, v & 0xffff); }
static uint32_t g16(const uint8_t *p) { return (uint32_t)(p[0] << 8 | p[1]); }
static uint32_t g32(const uint8_t *p) { return g16(p) << 16 | g16(p + 2); }

static const uint8_t *udp_of(unsigned i) { return out[i] + 14 + 20; }
static uint32_t ip_dst(unsigned i) { return g32(out[i] + 14 + 16); }
static uint32_t ip_src(unsigned i) { return g32(out[i] + 14 + 12); }

static void udp_in(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, const uint8_t *d,
                   size_t n, uint64_t now)
{
    static uint8_t f[NET_FRAME_MAX];
    memset(f, 0, 42);
    memcpy(f, mac, 6);
    memcpy(f + 6, "\x02\0\0\0\0\x01", 6);
    p16(f + 12, 0x0800);
    uint8_t *ip = f + 14, *u = ip + 20;
    ip[0] = 0x45;
    p16(ip + 2, (uint32_t)(28 + n));
    ip[8] = 64;
    ip[9] = 17;
    p32(ip + 12, src);
    p32(ip + 16, dst);
    p16(ip + 10, net_checksum(ip, 20, 0));
    p16(u, sport);
    p16(u + 2, dport);
    p16(u + 4, (uint32_t)(8 + n));
    memcpy(u + 8, d, n);
    (void)net_input(&st, f, 42 + n, now); /* UDP checksum 0: none */
}

static int setup(void **state)
{
    (void)state;
    net_link l = {NULL, cap, rnd};
    counter = 0;
    assert_int_equal(net_init(&st, &l, mac, 1000), NET_OK);
    nout = 0;
    return 0;
}

/* ---- DHCP ---- */

static size_t server_msg(uint8_t *m, uint32_t xid, uint8_t type, uint32_t lease)
{
    memset(m, 0, 300);
    m[0] = 2;
    m[1] = 1;
    m[2] = 6;
    p32(m + 4, xid);
    p32(m + 16, 0x0a000032); /* yiaddr 10.0.0.50 */
    memcpy(m + 28, mac, 6);
    memcpy(m + 236, "\x63\x82\x53\x63", 4);
    size_t i = 240;
    m[i++] = 53, m[i++] = 1, m[i++] = type;
    m[i++] = 54, m[i++] = 4;
    p32(m + i, SERVER), i += 4;
    m[i++] = 1, m[i++] = 4;
    p32(m + i, 0xffffff00), i += 4;
    m[i++] = 3, m[i++] = 4;
    p32(m + i, SERVER), i += 4;
    m[i++] = 51, m[i++] = 4;
    p32(m + i, lease), i += 4;
    m[i++] = 255;
    return i;
}

static uint8_t dhcp_type(unsigned i)
{
    const uint8_t *m = udp_of(i) + 8;
    size_t len = g16(udp_of(i) + 4) - 8;
    for (size_t k = 240; k + 2 < len; k += 2u + m[k + 1])
        if (m[k] == 53)
            return m[k + 2];
    return 0;
}

static void test_dhcp_cycle(void **state)
{
    (void)state;
    net_dhcp d;
    uint8_t m[600];
    assert_int_equal(net_dhcp_start(&d, &st), NET_OK);
    assert_int_equal(net_dhcp_start(&d, &st), NET_ERR_INUSE); /* port 68 taken */
    assert_int_equal(nout, 1);
    assert_int_equal(dhcp_type(0), 1);
    assert_int_equal(ip_src(0), 0);
    assert_int_equal(ip_dst(0), 0xffffffffu);
    assert_int_equal(udp_of(0)[8 + 10], 0x80); /* broadcast flag */
    /* Backoff: 2 s, then 4 s. */
    net_dhcp_poll(&d, 1000 + 1999);
    assert_int_equal(nout, 1);
    net_dhcp_poll(&d, 1000 + 2000);
    assert_int_equal(nout, 2);
    net_dhcp_poll(&d, 3000 + 3999);
    assert_int_equal(nout, 2);
    net_dhcp_poll(&d, 3000 + 4000);
    assert_int_equal(nout, 3);
    /* An offer for another xid is ignored; ours leads to a REQUEST naming the server. */
    udp_in(SERVER, 67, 0xffffffffu, 68, m, server_msg(m, d.xid + 1, 2, 600), 7100);
    assert_int_equal(d.state, NET_DHCP_SELECTING);
    assert_int_equal(d.ignored, 1);
    udp_in(SERVER, 67, 0xffffffffu, 68, m, server_msg(m, d.xid, 2, 600), 7100);
    assert_int_equal(d.state, NET_DHCP_REQUESTING);
    assert_int_equal(dhcp_type(3), 3);
    /* A NAK sends it back to DISCOVER with a new xid. */
    uint32_t old = d.xid;
    udp_in(SERVER, 67, 0xffffffffu, 68, m, server_msg(m, d.xid, 6, 0), 7200);
    assert_int_equal(d.state, NET_DHCP_SELECTING);
    assert_int_equal(d.naks, 1);
    assert_int_not_equal(d.xid, old);
    udp_in(SERVER, 67, 0xffffffffu, 68, m, server_msg(m, d.xid, 2, 600), 7300);
    udp_in(SERVER, 67, 0xffffffffu, 68, m, server_msg(m, d.xid, 5, 600), 7300);
    assert_int_equal(d.state, NET_DHCP_BOUND);
    assert_int_equal(st.ip, 0x0a000032);
    assert_int_equal(st.gateway, SERVER);
    assert_int_equal(d.lease.t1_s, 300);
    assert_int_equal(d.lease.t2_s, 525);
    /* T1: RENEWING, a REQUEST from our address to the server (queued behind ARP). */
    nout = 0;
    net_poll(&st, 7300 + 300000);
    net_dhcp_poll(&d, 7300 + 300000);
    assert_int_equal(d.state, NET_DHCP_RENEWING);
    assert_int_equal(nout, 1); /* the ARP request for the server */
    assert_int_equal(g16(out[0] + 12), 0x0806);
    /* T2 without an answer: REBINDING, broadcast, ciaddr set. */
    nout = 0;
    net_dhcp_poll(&d, 7300 + 525000);
    assert_int_equal(d.state, NET_DHCP_REBINDING);
    assert_int_equal(nout, 1);
    assert_int_equal(ip_dst(0), 0xffffffffu);
    assert_int_equal(ip_src(0), 0x0a000032);
    assert_int_equal(g32(udp_of(0) + 8 + 12), 0x0a000032);
    /* The rebinding ACK extends the lease. */
    udp_in(SERVER, 67, 0xffffffffu, 68, m, server_msg(m, d.xid, 5, 600), 7300 + 526000);
    assert_int_equal(d.state, NET_DHCP_BOUND);
    assert_int_equal(d.renewals, 1);
    /* No answer at all until the lease ends: the address goes, DISCOVER again. */
    net_dhcp_poll(&d, 7300 + 526000 + 300000);
    net_dhcp_poll(&d, 7300 + 526000 + 525000);
    net_dhcp_poll(&d, 7300 + 526000 + 600000);
    assert_int_equal(d.state, NET_DHCP_SELECTING);
    assert_int_equal(st.ip, 0);
    assert_int_equal(net_dhcp_stop(&d), NET_OK);
}

/* ---- DNS ---- */

static net_dns_result last;
static int calls;
static void on_dns(void *ctx, const char *name, const net_dns_result *r)
{
    (void)ctx;
    (void)name;
    last = *r;
    calls++;
}

static size_t answer(uint8_t *m, uint16_t id, const char *qname, uint32_t addr)
{
    uint8_t q[NET_DNS_NAME_MAX];
    size_t ql = net_dns_encode_name(qname, q);
    memset(m, 0, 12);
    p16(m, id);
    p16(m + 2, 0x8180);
    p16(m + 4, 1);
    p16(m + 6, 1);
    memcpy(m + 12, q, ql);
    size_t i = 12 + ql;
    p16(m + i, 1), p16(m + i + 2, 1), i += 4;
    p16(m + i, 0xc00c), p16(m + i + 2, 1), p16(m + i + 4, 1), p32(m + i + 6, 30), p16(m + i + 10, 4);
    p32(m + i + 12, addr);
    return i + 16;
}

static void test_dns_matching(void **state)
{
    (void)state;
    net_dns d;
    uint8_t m[512];
    uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 8, 6, 0, 1, 8, 0, 6, 4,
                       0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2};
    assert_int_equal(net_set_ipv4(&st, 0x0a000002, 0xffffff00, 0), NET_OK);
    (void)net_input(&st, arp, sizeof arp, 1000);
    nout = 0;
    assert_int_equal(net_dns_init(&d, &st, SERVER), NET_OK);
    assert_int_equal(net_dns_query(&d, "bad..name", on_dns, NULL), NET_ERR_ARG);
    assert_int_equal(net_dns_query(&d, "host.test", on_dns, NULL), NET_OK);
    assert_int_equal(net_dns_query(&d, "other.test", on_dns, NULL), NET_OK);
    assert_int_equal(nout, 2);
    uint16_t port1 = (uint16_t)g16(udp_of(0)), id1 = (uint16_t)g16(udp_of(0) + 8);
    uint16_t port2 = (uint16_t)g16(udp_of(1)), id2 = (uint16_t)g16(udp_of(1) + 8);
    assert_true(port1 >= 49152 && port2 >= 49152);
    assert_int_not_equal(port1, port2);
    assert_int_not_equal(id1, id2);
    assert_int_equal(g16(udp_of(0) + 2), 53);
    /* Wrong server, wrong source port, wrong ID, the other query's question: ignored. */
    size_t n = answer(m, id1, "host.test", 0x01010101);
    udp_in(0x0a000009, 53, 0x0a000002, port1, m, n, 1100);
    udp_in(SERVER, 5353, 0x0a000002, port1, m, n, 1100);
    udp_in(SERVER, 53, 0x0a000002, port1, m, answer(m, id1 ^ 1, "host.test", 0x01010101), 1100);
    udp_in(SERVER, 53, 0x0a000002, port1, m, answer(m, id1, "other.test", 0x01010101), 1100);
    assert_int_equal(calls, 0);
    assert_int_equal(d.mismatched, 4);
    /* The real answer. */
    udp_in(SERVER, 53, 0x0a000002, port1, m, answer(m, id1, "host.test", 0x0a0b0c0d), 1100);
    assert_int_equal(calls, 1);
    assert_int_equal(last.err, NET_OK);
    assert_int_equal(last.addrs[0], 0x0a0b0c0d);
    assert_int_equal(last.ttl, 30);
    /* Its port is closed now: a repeat gets port unreachable, not a second callback. */
    udp_in(SERVER, 53, 0x0a000002, port1, m, answer(m, id1, "host.test", 0x0a0b0c0d), 1100);
    assert_int_equal(calls, 1);
    /* The other query: retried at 1 s and 2 s, then a timeout at 3 s. */
    nout = 0;
    net_dns_poll(&d, 1000 + 999);
    assert_int_equal(nout, 0);
    net_dns_poll(&d, 2000);
    net_dns_poll(&d, 3000);
    assert_int_equal(nout, 2);
    assert_int_equal(g16(udp_of(1) + 8), id2); /* the same ID and port on a retry */
    assert_int_equal(g16(udp_of(1)), port2);
    net_dns_poll(&d, 4000);
    assert_int_equal(calls, 2);
    assert_int_equal(last.err, NET_ERR_TIMEOUT);
    /* A full table refuses. */
    for (unsigned i = 0; i < NET_DNS_QUERIES; i++)
        assert_int_equal(net_dns_query(&d, "x.test", on_dns, NULL), NET_OK);
    assert_int_equal(net_dns_query(&d, "x.test", on_dns, NULL), NET_ERR_NOSPACE);
}

/* A TCP segment from the server's port 53 to the resolver's connection. */
static void tcp_in(uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *d,
                   size_t n, uint64_t now)
{
    static uint8_t f[NET_FRAME_MAX];
    memset(f, 0, 54);
    memcpy(f, mac, 6);
    memcpy(f + 6, "\x02\0\0\0\0\x01", 6);
    p16(f + 12, 0x0800);
    uint8_t *ip = f + 14, *t = ip + 20;
    ip[0] = 0x45;
    p16(ip + 2, (uint32_t)(40 + n));
    ip[8] = 64;
    ip[9] = 6;
    p32(ip + 12, SERVER);
    p32(ip + 16, 0x0a000002);
    p16(ip + 10, net_checksum(ip, 20, 0));
    p16(t, 53);
    p16(t + 2, dport);
    p32(t + 4, seq);
    p32(t + 8, ack);
    t[12] = 5 << 4;
    t[13] = flags;
    p16(t + 14, 65535);
    if (n)
        memcpy(t + 20, d, n);
    uint32_t len = (uint32_t)(20 + n);
    uint32_t sum = (SERVER >> 16) + (SERVER & 0xffffu) + 0x0a00u + 0x0002u + 6u + len;
    p16(t + 16, net_checksum(t, len, sum));
    (void)net_input(&st, f, 34 + len, now);
}

static const uint8_t *tcp_of(unsigned i) { return out[i] + 14 + 20; }

/* A truncated UDP answer is asked again over TCP: the query goes out with its length
 * prefix, the answer comes back in two segments; a reset of the second attempt leaves
 * the UDP outcome, TRUNCATED. */
static void test_dns_tcp_retry(void **state)
{
    (void)state;
    static net_tcp tcp;
    net_dns d;
    uint8_t m[600], seg[700];
    uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 8, 6, 0, 1, 8, 0, 6, 4,
                       0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2};
    calls = 0;
    assert_int_equal(net_set_ipv4(&st, 0x0a000002, 0xffffff00, 0), NET_OK);
    (void)net_input(&st, arp, sizeof arp, 1000);
    assert_int_equal(net_tcp_init(&tcp, &st), NET_OK);
    assert_int_equal(net_dns_init(&d, &st, SERVER), NET_OK);
    assert_int_equal(net_dns_use_tcp(&d, NULL), NET_ERR_ARG);
    assert_int_equal(net_dns_use_tcp(&d, &tcp), NET_OK);
    nout = 0;
    assert_int_equal(net_dns_query(&d, "big.test", on_dns, NULL), NET_OK);
    assert_int_equal(nout, 1);
    uint16_t port = (uint16_t)g16(udp_of(0)), id = (uint16_t)g16(udp_of(0) + 8);
    size_t n = answer(m, id, "big.test", 0x01020304);
    m[2] |= 0x02; /* TC */
    nout = 0;
    udp_in(SERVER, 53, 0x0a000002, port, m, n, 1100);
    assert_int_equal(calls, 0);
    assert_int_equal(nout, 1); /* the SYN to port 53 */
    const uint8_t *t = tcp_of(0);
    assert_int_equal(g16(t + 2), 53);
    assert_int_equal(t[13], 0x02);
    uint16_t lport = (uint16_t)g16(t);
    uint32_t iss = g32(t + 4), srv = 7000;
    /* A late copy of the UDP answer changes nothing. */
    udp_in(SERVER, 53, 0x0a000002, port, m, n, 1101);
    assert_int_equal(calls, 0);
    nout = 0;
    tcp_in(lport, srv, iss + 1, 0x12, NULL, 0, 1102); /* SYN-ACK */
    net_dns_poll(&d, 1103);
    /* The ACK of the handshake, then the query: its length, then the UDP query's bytes. */
    assert_true(nout >= 2);
    t = tcp_of(nout - 1);
    size_t qlen = 12 + 10 + 4;
    assert_int_equal(g16(out[nout - 1] + 14 + 2) - 40, 2 + qlen);
    assert_int_equal(g16(t + 20), qlen);
    assert_int_equal(g16(t + 22), id);
    assert_memory_equal(t + 22 + 12, "\x03" "big" "\x04" "test", 10);
    /* The whole answer (two addresses), in two segments; the first cuts the length. */
    n = answer(m, id, "big.test", 0x0a0b0c0d);
    memcpy(m + n, m + n - 16, 16); /* a second A record */
    p32(m + n + 12, 0x0a0b0c0e);
    n += 16;
    p16(m + 6, 2);
    p16(seg, (uint32_t)n);
    memcpy(seg + 2, m, n);
    tcp_in(lport, srv + 1, iss + 1 + 2 + (uint32_t)qlen, 0x18, seg, 1, 1104);
    net_dns_poll(&d, 1105);
    assert_int_equal(calls, 0);
    tcp_in(lport, srv + 2, iss + 1 + 2 + (uint32_t)qlen, 0x18, seg + 1, n + 1, 1106);
    net_dns_poll(&d, 1107);
    assert_int_equal(calls, 1);
    assert_int_equal(last.err, NET_OK);
    assert_int_equal(last.via_tcp, 1);
    assert_int_equal(last.naddrs, 2);
    assert_int_equal(last.total, 2);
    assert_int_equal(last.addrs[0], 0x0a0b0c0d);
    assert_int_equal(last.addrs[1], 0x0a0b0c0e);
    assert_int_equal(d.tcp_retries, 1);
    assert_int_equal(d.tcp_failed, 0);
    /* The connection is being closed (our FIN); the server's FIN and ACK end it. */
    assert_int_equal(d.closing[0] >= 0, 1);
    tcp_in(lport, srv + 2 + (uint32_t)n + 1, iss + 1 + 2 + (uint32_t)qlen + 1, 0x11, NULL, 0, 1108);
    net_dns_poll(&d, 1109);
    assert_int_equal(d.closing[0] >= 0, 1); /* TIME_WAIT */
    net_tcp_poll(&tcp, 1109 + NET_TCP_TIME_WAIT_MS);
    net_dns_poll(&d, 1109 + NET_TCP_TIME_WAIT_MS);
    assert_int_equal(d.closing[0], -1);
    /* Again, but the server resets the connection: the UDP outcome stands. */
    uint64_t now = 1109 + NET_TCP_TIME_WAIT_MS + 1;
    nout = 0;
    assert_int_equal(net_dns_query(&d, "big.test", on_dns, NULL), NET_OK);
    port = (uint16_t)g16(udp_of(0));
    id = (uint16_t)g16(udp_of(0) + 8);
    n = answer(m, id, "big.test", 0x01020304);
    m[2] |= 0x02;
    nout = 0;
    udp_in(SERVER, 53, 0x0a000002, port, m, n, now);
    assert_int_equal(nout, 1);
    lport = (uint16_t)g16(tcp_of(0));
    iss = g32(tcp_of(0) + 4);
    tcp_in(lport, 0, iss + 1, 0x14, NULL, 0, now + 1); /* RST, ACK */
    net_dns_poll(&d, now + 2);
    assert_int_equal(calls, 2);
    assert_int_equal(last.err, NET_ERR_TRUNCATED);
    assert_int_equal(last.via_tcp, 0);
    assert_int_equal(d.tcp_failed, 1);
    /* And a server that never answers: TRUNCATED after NET_DNS_TCP_TIMEOUT_MS. */
    nout = 0;
    assert_int_equal(net_dns_query(&d, "big.test", on_dns, NULL), NET_OK);
    port = (uint16_t)g16(udp_of(0));
    id = (uint16_t)g16(udp_of(0) + 8);
    n = answer(m, id, "big.test", 0x01020304);
    m[2] |= 0x02;
    udp_in(SERVER, 53, 0x0a000002, port, m, n, now + 3);
    net_dns_poll(&d, now + 3 + NET_DNS_TCP_TIMEOUT_MS - 1);
    assert_int_equal(calls, 2);
    net_dns_poll(&d, now + 3 + NET_DNS_TCP_TIMEOUT_MS);
    assert_int_equal(calls, 3);
    assert_int_equal(last.err, NET_ERR_TRUNCATED);
    assert_int_equal(d.tcp_failed, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_dhcp_cycle, setup),
        cmocka_unit_test_setup(test_dns_matching, setup),
        cmocka_unit_test_setup(test_dns_tcp_retry, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
