/* test_net_delack.c: lib/net's TCP built with delayed ACKs (NET_TCP_DELACK_MS=40, as the
 * guest component is): every second in-order data segment is acknowledged at once, a lone
 * one after the delay, and out-of-order data, a filled hole and a FIN at once; data we send
 * carries the ACK and cancels the delayed one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net_tcp.h"

#if NET_TCP_DELACK_MS != 40
#error "this test is built with -DNET_TCP_DELACK_MS=40u"
#endif

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

/* Teaches ARP the peer's MAC with a request for us. */
static void teach_arp(uint64_t now)
{
    uint8_t a[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 7, 8, 6, 0, 1, 8, 0, 6, 4,
                     0, 1, 2, 0, 0, 0, 0, 7, 10, 0, 0, 7, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2};
    (void)net_input(&st, a, sizeof a, now);
}

static void test_delayed_acks(void **state)
{
    (void)state;
    const uint8_t mac[6] = {2, 0, 0, 0, 0, 2};
    net_link l = {NULL, cap, rnd};
    rnd_value = 0x11223344;
    assert_int_equal(net_init(&st, &l, mac, 1000), NET_OK);
    assert_int_equal(net_set_ipv4(&st, ME, 0xffffff00, 0), NET_OK);
    assert_int_equal(net_tcp_init(&tcp, &st), NET_OK);
    teach_arp(1000);
    assert_int_equal(net_tcp_listen(&tcp, 80), NET_OK);
    nout = 0;
    input_seg(4000, 80, 1000, 0, 0x02, 65535, NULL, 0, 1460, 1000);
    assert_int_equal(nout, 1);
    uint32_t iss = g32(seg(0) + 4);
    input_seg(4000, 80, 1001, iss + 1, 0x10, 65535, NULL, 0, 0, 1001);
    int h = net_tcp_accept(&tcp, 80);
    assert_true(h >= 0);
    uint8_t d[100];
    memset(d, 'a', sizeof d);
    uint32_t seq = 1001;
    /* One segment: no ACK yet; a second: the ACK for both at once. */
    nout = 0;
    input_seg(4000, 80, seq, iss + 1, 0x18, 65535, d, 100, 0, 2000);
    seq += 100;
    assert_int_equal(nout, 0);
    input_seg(4000, 80, seq, iss + 1, 0x18, 65535, d, 100, 0, 2001);
    seq += 100;
    assert_int_equal(nout, 1);
    assert_int_equal(g32(seg(0) + 8), seq);
    /* A lone segment is acknowledged when the delay is up, not before. */
    nout = 0;
    input_seg(4000, 80, seq, iss + 1, 0x18, 65535, d, 100, 0, 3000);
    seq += 100;
    net_tcp_poll(&tcp, 3039);
    assert_int_equal(nout, 0);
    net_tcp_poll(&tcp, 3040);
    assert_int_equal(nout, 1);
    assert_int_equal(g32(seg(0) + 8), seq);
    net_tcp_poll(&tcp, 3100);
    assert_int_equal(nout, 1); /* once */
    /* Out of order: a duplicate ACK at once; the hole filled: the ACK jumps at once. */
    nout = 0;
    input_seg(4000, 80, seq + 100, iss + 1, 0x18, 65535, d, 100, 0, 4000);
    assert_int_equal(nout, 1);
    assert_int_equal(g32(seg(0) + 8), seq);
    input_seg(4000, 80, seq, iss + 1, 0x18, 65535, d, 100, 0, 4001);
    seq += 200;
    assert_int_equal(nout, 2);
    assert_int_equal(g32(seg(1) + 8), seq);
    /* Data of ours carries the ACK: no separate one follows at the deadline. */
    nout = 0;
    input_seg(4000, 80, seq, iss + 1, 0x18, 65535, d, 100, 0, 5000);
    seq += 100;
    assert_int_equal(nout, 0);
    assert_int_equal(net_tcp_send(&tcp, h, d, 10), 10);
    assert_int_equal(nout, 1);
    assert_int_equal(seg_data(0), 10);
    assert_int_equal(g32(seg(0) + 8), seq);
    net_tcp_poll(&tcp, 5040);
    assert_int_equal(nout, 1);
    /* A FIN is acknowledged at once, with the data before it. */
    input_seg(4000, 80, seq, iss + 11, 0x19, 65535, d, 100, 0, 6000);
    seq += 101;
    assert_int_equal(nout, 2);
    assert_int_equal(g32(seg(1) + 8), seq);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_CLOSE_WAIT);
    uint8_t r[1000];
    assert_int_equal(net_tcp_recv(&tcp, h, r, sizeof r), 700);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delayed_acks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
