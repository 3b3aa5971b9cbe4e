/* test_net_tcp.c: lib/net's TCP on hand-built segments with a simulated clock: the SYN
 * and its MSS option, window-limited sending, RFC 6298 RTO values (first sample, backoff,
 * give-up), RST for unknown connections, exact and challenge-ACK RST handling, sequence
 * wrap-around, TIME_WAIT, bad checksums and offsets counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net_tcp.h"

#define ME 0x0a000002u
#define PEER 0x0a000007u

static uint8_t out[64][NET_FRAME_MAX];
static size_t out_len[64];
static unsigned nout;
static uint32_t rnd_value;
static net_stack st;
static net_tcp tcp;

static net_err cap(void *ctx, const uint8_t *f, size_t len)
{
    (void)ctx;
    if (nout < 64) {
        memcpy(out[nout], f, len);
        out_len[nout] = len;
    }
    nout++;
    return NET_OK;
}

static void rnd(void *ctx, uint8_t *b, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(rnd_value >> (8 * (3 - (i & 3))));
}

static void p16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void p32(uint8_t *p, uint32_t v) { p16(p, v >> 16); p16(p + 2, v & 0xffff); }
static uint32_t g16(const uint8_t *p) { return (uint32_t)(p[0] << 8 | p[1]); }
static uint32_t g32(const uint8_t *p) { return g16(p) << 16 | g16(p + 2); }

/* The TCP header of captured frame i. */
static const uint8_t *seg(unsigned i) { return out[i] + 14 + 20; }
static size_t seg_data(unsigned i) { return out_len[i] - 14 - 20 - (size_t)(seg(i)[12] >> 4) * 4; }

static void input_seg(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                      uint16_t win, const uint8_t *data, size_t n, uint16_t mss, uint64_t now)
{
    uint8_t f[14 + 20 + 24 + 2000];
    memset(f, 0, 14 + 20 + 24);
    memcpy(f, st.mac, 6);
    memcpy(f + 6, "\x02\0\0\0\0\x07", 6);
    p16(f + 12, 0x0800);
    uint8_t *ip = f + 14, *t = ip + 20;
    size_t hl = mss ? 24 : 20, tl = hl + n;
    ip[0] = 0x45;
    p16(ip + 2, (uint32_t)(20 + tl));
    ip[8] = 64;
    ip[9] = 6;
    p32(ip + 12, PEER);
    p32(ip + 16, ME);
    p16(ip + 10, net_checksum(ip, 20, 0));
    p16(t, sport);
    p16(t + 2, dport);
    p32(t + 4, seq);
    p32(t + 8, ack);
    t[12] = (uint8_t)((hl / 4) << 4);
    t[13] = flags;
    p16(t + 14, win);
    if (mss) {
        t[20] = 2;
        t[21] = 4;
        p16(t + 22, mss);
    }
    if (n)
        memcpy(t + hl, data, n);
    uint32_t sum = (PEER >> 16) + (PEER & 0xffff) + (ME >> 16) + (ME & 0xffff) + 6 + (uint32_t)tl;
    p16(t + 16, net_checksum(t, tl, sum));
    (void)net_input(&st, f, 14 + 20 + tl, now);
}

static int setup(void **state)
{
    (void)state;
    const uint8_t mac[6] = {2, 0, 0, 0, 0, 2};
    net_link l = {NULL, cap, rnd};
    rnd_value = 0x11223344;
    assert_int_equal(net_init(&st, &l, mac, 1000), NET_OK);
    assert_int_equal(net_set_ipv4(&st, ME, 0xffffff00, 0), NET_OK);
    assert_int_equal(net_tcp_init(&tcp, &st), NET_OK);
    /* Teach ARP the peer's MAC with a request for us. */
    uint8_t a[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 7, 8, 6, 0, 1, 8, 0, 6, 4,
                     0, 1, 2, 0, 0, 0, 0, 7, 10, 0, 0, 7, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2};
    (void)net_input(&st, a, sizeof a, 1000);
    nout = 0;
    return 0;
}

/* Active open to PEER:80 with the given ISN; the peer answers with ISN 5000, MSS 1000. */
static int open_conn(uint32_t isn, uint16_t peer_win)
{
    rnd_value = isn;
    net_err e;
    int h = net_tcp_connect(&tcp, PEER, 80, &e);
    assert_int_equal(e, NET_OK);
    assert_true(h >= 0);
    assert_int_equal(nout, 1);
    const uint8_t *s = seg(0);
    assert_int_equal(s[13], 0x02);
    assert_int_equal(g32(s + 4), isn);
    assert_int_equal(s[12] >> 4, 6);
    assert_int_equal(s[20], 2);
    assert_int_equal(g16(s + 22), NET_TCP_MSS);
    assert_int_equal(g16(s + 14), NET_TCP_BUF);
    uint16_t lport = (uint16_t)g16(s);
    input_seg(80, lport, 5000, isn + 1, 0x12, peer_win, NULL, 0, 1000, 1100);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_ESTABLISHED);
    assert_int_equal(nout, 2);
    assert_int_equal(seg(1)[13], 0x10);
    assert_int_equal(g32(seg(1) + 8), 5001);
    nout = 0;
    return h;
}

static void test_handshake_and_rtt(void **state)
{
    (void)state;
    int h = open_conn(0x11223344, 60000);
    struct net_tcp_conn *c = &tcp.c[h];
    assert_int_equal(c->mss, 1000);
    /* One 100 ms sample: SRTT 100, RTTVAR 50, RTO = max(1 s, 100 + 4*50) = 1 s. */
    assert_int_equal(c->srtt_ms, 100);
    assert_int_equal(c->rttvar_ms, 50);
    assert_int_equal(c->rto_ms, 1000);
}

static void test_window_and_retransmit(void **state)
{
    (void)state;
    int h = open_conn(0x11223344, 2000);
    uint16_t lport = tcp.c[h].lport;
    static uint8_t data[3000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    assert_int_equal(net_tcp_send(&tcp, h, data, sizeof data), 3000);
    /* The peer's 2000-byte window allows two 1000-byte segments, no more. */
    assert_int_equal(nout, 2);
    assert_int_equal(seg_data(0), 1000);
    assert_int_equal(g32(seg(1) + 4), 0x11223345u + 1000);
    /* An ACK of the first opens room for the third. */
    input_seg(80, lport, 5001, 0x11223345u + 1000, 0x10, 2000, NULL, 0, 0, 1200);
    assert_int_equal(nout, 3);
    assert_int_equal(g32(seg(2) + 4), 0x11223345u + 2000);
    assert_int_equal(tcp.c[h].slen, 2000);
    /* Silence: at the RTO the oldest unacknowledged byte goes again, and the RTO doubles. */
    nout = 0;
    net_tcp_poll(&tcp, 1200 + 999);
    assert_int_equal(nout, 0);
    net_tcp_poll(&tcp, 1200 + 1000);
    assert_true(nout >= 1);
    assert_int_equal(g32(seg(0) + 4), 0x11223345u + 1000);
    assert_int_equal(tcp.c[h].rto_ms, 2000);
    assert_int_equal(tcp.stats.retransmits, 1);
    /* Keep silent: backoff 2, 4, 8 ... s, then give up with a timeout and an RST. */
    uint64_t now = 2200;
    for (unsigned k = 0; k < NET_TCP_MAX_RETRIES + 2 && net_tcp_get_state(&tcp, h) != NET_TCP_CLOSED; k++) {
        now += tcp.c[h].rto_ms;
        nout = 0;
        net_tcp_poll(&tcp, now);
    }
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_CLOSED);
    assert_int_equal(net_tcp_error(&tcp, h), NET_ERR_TIMEOUT);
    assert_int_equal(tcp.c[h].rto_ms, NET_TCP_RTO_MAX_MS);
    assert_int_equal(seg(nout - 1)[13], 0x04);
}

static void test_rst_rules(void **state)
{
    (void)state;
    /* A segment for no connection: RST, its sequence taken from the ACK. */
    input_seg(4000, 1234, 77, 999, 0x10, 1000, NULL, 0, 0, 1000);
    assert_int_equal(nout, 1);
    assert_int_equal(seg(0)[13], 0x04);
    assert_int_equal(g32(seg(0) + 4), 999);
    /* A SYN to a closed port: RST+ACK acknowledging the SYN. */
    input_seg(4000, 1234, 77, 0, 0x02, 1000, NULL, 0, 0, 1000);
    assert_int_equal(nout, 2);
    assert_int_equal(seg(1)[13], 0x14);
    assert_int_equal(g32(seg(1) + 8), 78);
    /* An RST for no connection is never answered. */
    input_seg(4000, 1234, 77, 0, 0x04, 1000, NULL, 0, 0, 1000);
    assert_int_equal(nout, 2);
    nout = 0;
    int h = open_conn(0x01020304, 8000);
    uint16_t lport = tcp.c[h].lport;
    /* In the window but not exact: a challenge ACK, the connection lives (RFC 5961). */
    input_seg(80, lport, 5001 + 100, 0, 0x04, 0, NULL, 0, 0, 1300);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_ESTABLISHED);
    assert_int_equal(nout, 1);
    assert_int_equal(seg(0)[13], 0x10);
    /* Outside the window: ignored. */
    input_seg(80, lport, 5001 + 60000, 0, 0x04, 0, NULL, 0, 0, 1300);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_ESTABLISHED);
    /* Exact: reset. */
    input_seg(80, lport, 5001, 0, 0x04, 0, NULL, 0, 0, 1300);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_CLOSED);
    assert_int_equal(net_tcp_error(&tcp, h), NET_ERR_RESET);
    uint8_t one[1];
    assert_int_equal(net_tcp_recv(&tcp, h, one, sizeof one), -1);
}

static void test_wrap_and_time_wait(void **state)
{
    (void)state;
    /* An ISN 10 bytes below 2^32: sequence numbers wrap during the transfer. */
    int h = open_conn(0xfffffff6u, 8000);
    uint16_t lport = tcp.c[h].lport;
    uint8_t d[100];
    memset(d, 0xab, sizeof d);
    assert_int_equal(net_tcp_send(&tcp, h, d, sizeof d), 100);
    assert_int_equal(nout, 1);
    assert_int_equal(g32(seg(0) + 4), 0xfffffff7u);
    input_seg(80, lport, 5001, 0xfffffff7u + 100u, 0x10, 8000, NULL, 0, 0, 1200);
    assert_int_equal(tcp.c[h].slen, 0);
    assert_int_equal(tcp.c[h].snd_una, 0x5bu);
    /* Data from the peer, then our close, its ACK and FIN: TIME_WAIT, then closed. */
    input_seg(80, lport, 5001, 0x5b, 0x18, 8000, (const uint8_t *)"hello", 5, 0, 1200);
    uint8_t b[16];
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), 5);
    assert_memory_equal(b, "hello", 5);
    nout = 0;
    assert_int_equal(net_tcp_close(&tcp, h), NET_OK);
    assert_int_equal(nout, 1);
    assert_int_equal(seg(0)[13], 0x11);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_FIN_WAIT_1);
    input_seg(80, lport, 5006, 0x5c, 0x10, 8000, NULL, 0, 0, 1300);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_FIN_WAIT_2);
    input_seg(80, lport, 5006, 0x5c, 0x11, 8000, NULL, 0, 0, 1300);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_TIME_WAIT);
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), -1); /* end of stream */
    net_tcp_poll(&tcp, 1300 + NET_TCP_TIME_WAIT_MS - 1);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_TIME_WAIT);
    net_tcp_poll(&tcp, 1300 + NET_TCP_TIME_WAIT_MS);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_CLOSED);
    assert_int_equal(net_tcp_error(&tcp, h), NET_OK);
}

static void test_bad_segments(void **state)
{
    (void)state;
    assert_int_equal(net_tcp_listen(&tcp, 80), NET_OK);
    assert_int_equal(net_tcp_listen(&tcp, 80), NET_ERR_INUSE);
    assert_int_equal(net_tcp_listen(&tcp, 0), NET_ERR_ARG);
    /* A SYN with a corrupted checksum: counted, unanswered. */
    uint8_t f[14 + 20 + 20];
    memset(f, 0, sizeof f);
    memcpy(f, st.mac, 6);
    memcpy(f + 6, "\x02\0\0\0\0\x07", 6);
    p16(f + 12, 0x0800);
    f[14] = 0x45;
    p16(f + 16, 40);
    f[22] = 64;
    f[23] = 6;
    p32(f + 26, PEER);
    p32(f + 30, ME);
    p16(f + 24, net_checksum(f + 14, 20, 0));
    p16(f + 34, 4000);
    p16(f + 36, 80);
    f[46] = 0x50;
    f[47] = 0x02;
    p16(f + 50, 0x1234);
    (void)net_input(&st, f, sizeof f, 1000);
    assert_int_equal(tcp.stats.bad_checksum, 1);
    assert_int_equal(nout, 0);
    /* A data offset past the segment. */
    f[46] = 0xf0;
    (void)net_input(&st, f, sizeof f, 1000);
    assert_int_equal(tcp.stats.bad, 1);
    assert_int_equal(nout, 0);
    /* A proper SYN: SYN-ACK with our MSS; the handshake's ACK makes it acceptable. */
    input_seg(4000, 80, 100, 0, 0x02, 4000, NULL, 0, 1200, 1000);
    assert_int_equal(nout, 1);
    assert_int_equal(seg(0)[13], 0x12);
    assert_int_equal(g32(seg(0) + 8), 101);
    uint32_t iss = g32(seg(0) + 4);
    assert_int_equal(net_tcp_accept(&tcp, 80), -1); /* not before the handshake ends */
    input_seg(4000, 80, 101, iss + 1, 0x10, 4000, NULL, 0, 0, 1050);
    int h = net_tcp_accept(&tcp, 80);
    assert_true(h >= 0);
    assert_int_equal(tcp.c[h].mss, 1200);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_ESTABLISHED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_handshake_and_rtt, setup),
        cmocka_unit_test_setup(test_window_and_retransmit, setup),
        cmocka_unit_test_setup(test_rst_rules, setup),
        cmocka_unit_test_setup(test_wrap_and_time_wait, setup),
        cmocka_unit_test_setup(test_bad_segments, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
