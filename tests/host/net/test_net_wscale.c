/* test_net_wscale.c: RFC 7323 window scaling in lib/net's TCP, built with a 255 KiB
 * buffer (-DNET_TCP_BUF=261120u, our shift 2): the option on SYN and SYN-ACK, the peer's
 * shift taken (15 clamped to 14) or scaling off when its SYN lacks the option, scaled
 * window fields both ways across 64 KiB, the rounding that keeps the right edge, SACK
 * blocks on our ACKs for a peer that permits them, out-of-order reassembly (a range
 * between others, a shuffled stream), and the option parser on concrete headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net_tcp.h"

#if NET_TCP_BUF != 261120u
#error "this test is built with -DNET_TCP_BUF=261120u"
#endif

#include "net_tcp_harness.h"

#define SEQ_LE_T(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
/* What is offered at shift 2: the buffer less its 256-byte reserve, 65216 << 2. */
#define OFFER 260864u

static int setup(void **state)
{
    (void)state;
    return harness_start();
}

/* MSS 1000, then a window scale option of shift sh (NOP first). */
static size_t opts_mss_ws(uint8_t *o, int sh)
{
    o[0] = 2;
    o[1] = 4;
    p16(o + 2, 1000);
    if (sh < 0)
        return 4;
    o[4] = 1;
    o[5] = 3;
    o[6] = 3;
    o[7] = (uint8_t)sh;
    return 8;
}

/* Our SYN or SYN-ACK: MSS, NOP, window scale 2 (and NOP, NOP, SACK-permitted when sack);
 * its window field 65535 (a SYN's is never scaled). */
static uint16_t check_our_syn(unsigned i, int sack)
{
    const uint8_t *s = seg(i);
    assert_int_equal(s[12] >> 4, sack ? 8 : 7);
    if (sack) {
        assert_int_equal(s[28], 1);
        assert_int_equal(s[29], 1);
        assert_int_equal(s[30], 4);
        assert_int_equal(s[31], 2);
    }
    assert_int_equal(s[20], 2);
    assert_int_equal(s[21], 4);
    assert_int_equal(g16(s + 22), NET_TCP_MSS);
    assert_int_equal(s[24], 1);
    assert_int_equal(s[25], 3);
    assert_int_equal(s[26], 3);
    assert_int_equal(s[27], 2);
    assert_int_equal(g16(s + 14), 65535);
    return (uint16_t)g16(s);
}

static uint32_t isn1;

/* Active open; the peer's SYN-ACK carries shift sh (or no option, sh < 0) and window w. */
static int open_active(int sh, uint16_t w)
{
    net_err e;
    int h = net_tcp_connect(&tcp, PEER, 80, &e);
    assert_int_equal(e, NET_OK);
    assert_int_equal(nout, 1);
    uint16_t lport = check_our_syn(0, 1);
    isn1 = g32(seg(0) + 4) + 1;
    uint8_t o[8];
    size_t ol = opts_mss_ws(o, sh);
    input_opts(80, lport, 5000, isn1, 0x12, w, o, ol, NULL, 0, 1100);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_ESTABLISHED);
    assert_int_equal(nout, 2);
    nout = 0;
    return h;
}

static void test_our_shift(void **state)
{
    (void)state;
    /* 261120 >> 2 = 65280 fits 16 bits; 261120 >> 1 does not. */
    assert_int_equal(net_tcp_our_wscale(), 2);
}

static void test_active_negotiated(void **state)
{
    (void)state;
    int h = open_active(7, 1000);
    struct net_tcp_conn *c = &tcp.c[h];
    assert_int_equal(c->wscale_ok, 1);
    assert_int_equal(c->snd_wscale, 7);
    assert_int_equal(c->rcv_wscale, 2);
    /* The SYN-ACK's window is taken as it stands: 1000, not 1000 << 7. */
    assert_int_equal(c->snd_wnd, 1000);
    uint16_t lport = c->lport;
    /* The next ACK's 1000 is scaled: 128,000 bytes, well past 64 KiB. */
    input_opts(80, lport, 5001, isn1, 0x10, 1000, NULL, 0, NULL, 0, 1200);
    assert_int_equal(c->snd_wnd, 128000);
    assert_int_equal(c->max_snd_wnd, 128000);
    /* With the congestion window out of the way, exactly 128 segments of 1000 go out. */
    c->cwnd = 1u << 20;
    static uint8_t d[200000];
    for (size_t i = 0; i < sizeof d; i++)
        d[i] = (uint8_t)(i * 13);
    assert_int_equal(net_tcp_send(&tcp, h, d, sizeof d), 200000);
    assert_int_equal(nout, 128);
    assert_int_equal(c->snd_nxt, isn1 + 128000);
    /* Our ACK field is the free receive space less the reserve, >> 2. */
    assert_int_equal(g16(seg(0) + 14), OFFER >> 2);
    /* An ACK of 70,000 with window 600 (76,800): the right edge moves to 146,800. */
    nout = 0;
    input_opts(80, lport, 5001, isn1 + 70000, 0x10, 600, NULL, 0, NULL, 0, 1300);
    assert_int_equal(c->snd_wnd, 76800);
    assert_int_equal(nout, 19); /* 146,800 - 128,000: 18 segments of 1000, one of 800 */
    assert_int_equal(c->snd_nxt, isn1 + 146800);
    assert_int_equal(seg_data(18), 800);
}

static void test_not_negotiated(void **state)
{
    (void)state;
    int h = open_active(-1, 60000);
    struct net_tcp_conn *c = &tcp.c[h];
    assert_int_equal(c->wscale_ok, 0);
    assert_int_equal(c->snd_wscale, 0);
    assert_int_equal(c->rcv_wscale, 0);
    uint16_t lport = c->lport;
    input_opts(80, lport, 5001, isn1, 0x10, 50000, NULL, 0, NULL, 0, 1200);
    assert_int_equal(c->snd_wnd, 50000);
    /* Unscaled, our 255 KiB of free space is offered as 65535. */
    uint8_t d[1000];
    memset(d, 'x', sizeof d);
    input_opts(80, lport, 5001, isn1, 0x18, 50000, NULL, 0, d, 1000, 1300);
    assert_int_equal(nout, 1);
    assert_int_equal(g16(seg(0) + 14), 65535);
    /* A window scale option on a segment other than a SYN is ignored. */
    uint8_t o[4] = {1, 3, 3, 9};
    input_opts(80, lport, 5001 + 1000, isn1, 0x10, 40000, o, 4, NULL, 0, 1400);
    assert_int_equal(c->snd_wscale, 0);
    assert_int_equal(c->snd_wnd, 40000);
}

static void test_shift_15_clamped(void **state)
{
    (void)state;
    int h = open_active(15, 4);
    struct net_tcp_conn *c = &tcp.c[h];
    assert_int_equal(c->snd_wscale, 14);
    assert_int_equal(tcp.stats.wscale_clamped, 1);
    input_opts(80, c->lport, 5001, isn1, 0x10, 4, NULL, 0, NULL, 0, 1200);
    assert_int_equal(c->snd_wnd, 4u << 14);
    /* The largest field at shift 14: 65535 << 14, just under 1 GiB. */
    input_opts(80, c->lport, 5001, isn1, 0x10, 65535, NULL, 0, NULL, 0, 1300);
    assert_int_equal(c->snd_wnd, 65535u << 14);
}

static void test_passive(void **state)
{
    (void)state;
    assert_int_equal(net_tcp_listen(&tcp, 81), NET_OK);
    uint8_t o[8];
    size_t ol = opts_mss_ws(o, 3);
    input_opts(4001, 81, 100, 0, 0x02, 30000, o, ol, NULL, 0, 1000);
    assert_int_equal(nout, 1);
    assert_int_equal(seg(0)[13], 0x12);
    check_our_syn(0, 0);
    uint32_t iss = g32(seg(0) + 4);
    /* The handshake's ACK is not a SYN: its window is scaled by 8. */
    input_opts(4001, 81, 101, iss + 1, 0x10, 30000, NULL, 0, NULL, 0, 1010);
    int h = net_tcp_accept(&tcp, 81);
    assert_true(h >= 0);
    assert_int_equal(tcp.c[h].snd_wnd, 240000);
    assert_int_equal(tcp.c[h].rcv_wscale, 2);
    /* A SYN without the option gets a SYN-ACK without it: MSS only, no scaling. */
    nout = 0;
    ol = opts_mss_ws(o, -1);
    input_opts(4002, 81, 700, 0, 0x02, 30000, o, ol, NULL, 0, 1020);
    assert_int_equal(nout, 1);
    assert_int_equal(seg(0)[12] >> 4, 6);
    assert_int_equal(g16(seg(0) + 14), 65535);
    uint32_t iss2 = g32(seg(0) + 4);
    input_opts(4002, 81, 701, iss2 + 1, 0x10, 30000, NULL, 0, NULL, 0, 1030);
    h = net_tcp_accept(&tcp, 81);
    assert_true(h >= 0);
    assert_int_equal(tcp.c[h].wscale_ok, 0);
    assert_int_equal(tcp.c[h].snd_wnd, 30000);
}

/* The receive side: the field is the free space less the reserve >> 2, rounded up only
 * where rounding down would move the right edge left; all that is offered is stored; a
 * full window offers 0 and reading reopens it. */
static void test_receive_window(void **state)
{
    (void)state;
    int h = open_active(0, 60000);
    struct net_tcp_conn *c = &tcp.c[h];
    assert_int_equal(c->wscale_ok, 1);
    assert_int_equal(c->rcv_wscale, 2);
    assert_int_equal(c->rcv_adv, 5001u + OFFER);
    uint16_t lport = c->lport;
    static uint8_t d[1400];
    for (size_t i = 0; i < sizeof d; i++)
        d[i] = (uint8_t)(i + 1);
    uint32_t seq = 5001;
    /* 1000 bytes: 259,864 left = 64966 << 2, the edge where it was. */
    input_opts(80, lport, seq, isn1, 0x18, 60000, NULL, 0, d, 1000, 1200);
    seq += 1000;
    assert_int_equal(nout, 1);
    assert_int_equal(g16(seg(0) + 14), 64966);
    assert_int_equal(c->rcv_adv, 5001u + OFFER);
    /* 1 byte more: 259,863 left; 64965 would put the edge 3 bytes left of where it was,
     * so the field is rounded up to 64966 and the edge moves 1 byte on. */
    nout = 0;
    input_opts(80, lport, seq, isn1, 0x18, 60000, NULL, 0, d, 1, 1210);
    seq += 1;
    assert_int_equal(g16(seg(0) + 14), 64966);
    assert_int_equal(c->rcv_adv, 5001u + OFFER + 1u);
    /* 3 bytes more: 259,861 to the edge, rounded up again: 64966, the edge 3 further. */
    nout = 0;
    input_opts(80, lport, seq, isn1, 0x18, 60000, NULL, 0, d, 3, 1220);
    seq += 3;
    assert_int_equal(g16(seg(0) + 14), 64966);
    assert_int_equal(c->rcv_adv, 5001u + OFFER + 4u);
    /* Fill all that is offered (64 KiB four times over) in 1400-byte segments: each
     * ACK's edge is where the last one was, and the last offers 0. */
    uint32_t edge = c->rcv_adv;
    unsigned k = 0;
    while (c->rcv_nxt != edge && k++ < 400) {
        uint32_t left = edge - c->rcv_nxt;
        size_t n = left < 1400 ? left : 1400;
        nout = 0;
        input_opts(80, lport, seq, isn1, 0x18, 60000, NULL, 0, d, n, 1300);
        seq += (uint32_t)n;
        assert_int_equal(nout, 1);
        assert_int_equal(c->rcv_nxt + ((uint32_t)g16(seg(0) + 14) << 2), edge);
    }
    assert_int_equal(c->rlen, OFFER + 4u);
    assert_int_equal(g16(seg(0) + 14), 0);
    assert_int_equal(tcp.stats.wnd_shrunk, 0);
    assert_int_equal(tcp.stats.dropped, 0);
    /* Reading it all reopens the window at once: 65216 (260,864 bytes). */
    static uint8_t b[NET_TCP_BUF];
    nout = 0;
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), OFFER + 4u);
    assert_int_equal(nout, 1);
    assert_int_equal(g16(seg(0) + 14), OFFER >> 2);
    assert_int_equal(b[0], 1);
    assert_int_equal(b[1000], 1);
    assert_int_equal(b[1001], 1);
    assert_int_equal(b[1004], 1);
}

/* A peer sending 1-byte segments to a reader that never reads: every ACK keeps the edge
 * (each rounds up by a byte) until the 256-byte reserve is used up; only then does the
 * edge come back, and never past the end of the buffer. */
static void test_reserve_used_up(void **state)
{
    (void)state;
    int h = open_active(0, 60000);
    struct net_tcp_conn *c = &tcp.c[h];
    uint16_t lport = c->lport;
    uint8_t d[1] = {7};
    uint32_t seq = 5001, edge = c->rcv_adv;
    unsigned kept = 0, first_shrink = 0;
    for (unsigned k = 0; k < 300; k++) {
        nout = 0;
        input_opts(80, lport, seq, isn1, 0x18, 60000, NULL, 0, d, 1, 1200 + k);
        seq++;
        assert_int_equal(nout, 1);
        uint32_t e = c->rcv_nxt + ((uint32_t)g16(seg(0) + 14) << 2);
        assert_true(SEQ_LE_T(e, 5001u + NET_TCP_BUF)); /* never past the buffer's end */
        if (SEQ_LE_T(edge, e))
            kept++;
        else if (!first_shrink)
            first_shrink = k;
        edge = e;
    }
    /* The edge moved on a byte with each of the first 256 segments (the reserve, to the
     * buffer's end); from the 257th on, one ACK in four comes back 3 bytes (the rest
     * round up to the end again). */
    assert_int_equal(first_shrink, 256);
    assert_int_equal(tcp.stats.wnd_shrunk, 11);
    assert_int_equal(kept, 300 - 11);
    assert_int_equal(tcp.stats.dropped, 0);
}

/* RFC 2018, the receiving side: a peer whose SYN permits SACK gets, on each ACK while data
 * waits out of order, SACK blocks naming the ranges held, the range of the segment that
 * arrived last first; without the permission no ACK carries them. */
static void test_sack_blocks(void **state)
{
    (void)state;
    assert_int_equal(net_tcp_listen(&tcp, 82), NET_OK);
    const uint8_t o[8] = {2, 4, 0x03, 0xe8, 1, 1, 4, 2}; /* MSS 1000, NOP, NOP, SACK-permitted */
    input_opts(4003, 82, 100, 0, 0x02, 30000, o, 8, NULL, 0, 1000);
    assert_int_equal(nout, 1);
    assert_int_equal(seg(0)[12] >> 4, 7); /* MSS and SACK-permitted; no window scale */
    assert_int_equal(seg(0)[24], 1);
    assert_int_equal(seg(0)[26], 4);
    uint32_t iss = g32(seg(0) + 4);
    input_opts(4003, 82, 101, iss + 1, 0x10, 30000, NULL, 0, NULL, 0, 1010);
    int h = net_tcp_accept(&tcp, 82);
    assert_true(h >= 0);
    assert_int_equal(tcp.c[h].sack_ok, 1);
    static uint8_t d[100];
    memset(d, 's', sizeof d);
    /* In order: a plain ACK. */
    nout = 0;
    input_opts(4003, 82, 101, iss + 1, 0x18, 30000, NULL, 0, d, 100, 1020);
    assert_int_equal(nout, 1);
    assert_int_equal(seg(0)[12] >> 4, 5);
    /* 301..400 ahead of the hole at 201: ACK 201 with one block [301, 401). */
    nout = 0;
    input_opts(4003, 82, 301, iss + 1, 0x18, 30000, NULL, 0, d, 100, 1030);
    const uint8_t *a = seg(0);
    assert_int_equal(g32(a + 8), 201);
    assert_int_equal(a[12] >> 4, 8);
    assert_int_equal(a[20], 1);
    assert_int_equal(a[21], 1);
    assert_int_equal(a[22], 5);
    assert_int_equal(a[23], 10);
    assert_int_equal(g32(a + 24), 301);
    assert_int_equal(g32(a + 28), 401);
    /* 501..600: two blocks, the newest first: [501, 601), [301, 401). */
    nout = 0;
    input_opts(4003, 82, 501, iss + 1, 0x18, 30000, NULL, 0, d, 100, 1040);
    a = seg(0);
    assert_int_equal(a[12] >> 4, 10);
    assert_int_equal(a[23], 18);
    assert_int_equal(g32(a + 24), 501);
    assert_int_equal(g32(a + 28), 601);
    assert_int_equal(g32(a + 32), 301);
    assert_int_equal(g32(a + 36), 401);
    /* 401..500 joins them: one block [301, 601). */
    nout = 0;
    input_opts(4003, 82, 401, iss + 1, 0x18, 30000, NULL, 0, d, 100, 1050);
    a = seg(0);
    assert_int_equal(a[23], 10);
    assert_int_equal(g32(a + 24), 301);
    assert_int_equal(g32(a + 28), 601);
    /* The hole filled: ACK 601 and no option. */
    nout = 0;
    input_opts(4003, 82, 201, iss + 1, 0x18, 30000, NULL, 0, d, 100, 1060);
    a = seg(nout - 1);
    assert_int_equal(g32(a + 8), 601);
    assert_int_equal(a[12] >> 4, 5);
    /* A peer that did not permit SACK gets none. */
    const uint8_t m[4] = {2, 4, 0x03, 0xe8};
    nout = 0;
    input_opts(4004, 82, 700, 0, 0x02, 30000, m, 4, NULL, 0, 1100);
    uint32_t iss2 = g32(seg(0) + 4);
    input_opts(4004, 82, 701, iss2 + 1, 0x10, 30000, NULL, 0, NULL, 0, 1110);
    int h2 = net_tcp_accept(&tcp, 82);
    assert_true(h2 >= 0);
    assert_int_equal(tcp.c[h2].sack_ok, 0);
    nout = 0;
    input_opts(4004, 82, 901, iss2 + 1, 0x18, 30000, NULL, 0, d, 100, 1120);
    assert_int_equal(g32(seg(0) + 8), 701);
    assert_int_equal(seg(0)[12] >> 4, 5);
}

/* A range arriving between two held ranges with more after them: every range is still
 * held and named. (The list was once rebuilt in place, and a range placed in the middle
 * overwrote the next before it was read: that one was forgotten, the one before it
 * named twice, and the peer, told it was held, only sent it again after a timeout.) */
static void test_sack_middle_insert(void **state)
{
    (void)state;
    assert_int_equal(net_tcp_listen(&tcp, 83), NET_OK);
    const uint8_t o[8] = {2, 4, 0x03, 0xe8, 1, 1, 4, 2};
    input_opts(4005, 83, 100, 0, 0x02, 30000, o, 8, NULL, 0, 1000);
    uint32_t iss = g32(seg(0) + 4);
    input_opts(4005, 83, 101, iss + 1, 0x10, 30000, NULL, 0, NULL, 0, 1010);
    int h = net_tcp_accept(&tcp, 83);
    assert_true(h >= 0);
    static uint8_t d[1000];
    for (unsigned i = 0; i < sizeof d; i++)
        d[i] = (uint8_t)(i * 7 + 3);
    /* Bytes 101..1100 stand for the stream; 100-byte pieces at 301, 701, 901, then 501. */
    const uint32_t at[] = {301, 701, 901, 501};
    for (unsigned i = 0; i < 4; i++)
        input_opts(4005, 83, at[i], iss + 1, 0x18, 30000, NULL, 0, d + (at[i] - 101), 100,
                   1020 + i);
    assert_int_equal(tcp.c[h].nooo, 4);
    assert_true(net_tcp_consistent(&tcp));
    const uint32_t want[4][2] = {{301, 401}, {501, 601}, {701, 801}, {901, 1001}};
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(tcp.c[h].ooo[i].start, want[i][0]);
        assert_int_equal(tcp.c[h].ooo[i].end, want[i][1]);
    }
    nout = 0;
    input_opts(4005, 83, 801, iss + 1, 0x18, 30000, NULL, 0, d + 700, 100, 1030);
    const uint8_t *a = seg(0); /* ACK 101, blocks [701, 1001), [301, 401), [501, 601) */
    assert_int_equal(g32(a + 8), 101);
    assert_int_equal(a[23], 2 + 3 * 8);
    assert_int_equal(g32(a + 24), 701);
    assert_int_equal(g32(a + 28), 1001);
    assert_int_equal(g32(a + 32), 301);
    assert_int_equal(g32(a + 36), 401);
    assert_int_equal(g32(a + 40), 501);
    assert_int_equal(g32(a + 44), 601);
    /* The holes filled: everything to 1001 in order, byte for byte. */
    const uint32_t holes[] = {101, 401, 601};
    for (unsigned i = 0; i < 3; i++)
        input_opts(4005, 83, holes[i], iss + 1, 0x18, 30000, NULL, 0, d + (holes[i] - 101),
                   holes[i] == 101 ? 200 : 100, 1040 + i);
    assert_int_equal(tcp.c[h].rcv_nxt, 1001);
    assert_int_equal(tcp.c[h].nooo, 0);
    static uint8_t got[1000];
    assert_int_equal(net_tcp_recv(&tcp, h, got, sizeof got), 900);
    assert_memory_equal(got, d, 900);
}

/* A 200,000-byte stream cut at uneven lengths, each run of 12 segments delivered in a
 * shuffled order (at most 7 ranges held at once, within the 8 this build keeps) with some sent twice and some overlapping (as a jittery path and a
 * retransmitting peer bring them): once all have arrived the whole stream is in order,
 * byte for byte, and every ACK's SACK blocks name only bytes that did arrive, above the
 * ACK, the block of the segment just stored first. */
static void test_reassembly_shuffled(void **state)
{
    (void)state;
    enum { N = 200000, RUN = 12, MAXSEG = 900 };
    static uint8_t stream[N], have[N], got[N];
    uint32_t x = 0x2545f491u;
    for (unsigned i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        stream[i] = (uint8_t)x;
    }
    assert_int_equal(net_tcp_listen(&tcp, 84), NET_OK);
    const uint8_t o[12] = {2, 4, 0x03, 0xe8, 1, 3, 3, 0, 1, 1, 4, 2}; /* shift 0 for the peer */
    input_opts(4006, 84, 999, 0, 0x02, 65535, o, 12, NULL, 0, 1000);
    uint32_t iss = g32(seg(0) + 4), base = 1000;
    input_opts(4006, 84, base, iss + 1, 0x10, 65535, NULL, 0, NULL, 0, 1010);
    int h = net_tcp_accept(&tcp, 84);
    assert_true(h >= 0);
    static uint32_t off[N / 100], len[N / 100];
    unsigned nseg = 0;
    for (uint32_t p = 0; p < N; nseg++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint32_t l = 100 + x % (MAXSEG - 99);
        off[nseg] = p;
        len[nseg] = l < N - p ? l : N - p;
        p += len[nseg];
    }
    uint64_t now = 2000;
    unsigned dups = 0, overlaps = 0;
    for (unsigned r = 0; r < nseg; r += RUN) {
        unsigned n = nseg - r < RUN ? nseg - r : RUN, order[RUN];
        for (unsigned i = 0; i < n; i++)
            order[i] = r + i;
        for (unsigned i = n - 1; i > 0; i--) { /* Fisher-Yates */
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            unsigned j = x % (i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (unsigned i = 0; i < n; i++) {
            unsigned k = order[i];
            uint32_t so = off[k], sl = len[k];
            unsigned times = 1;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if (x % 10 == 0) { /* sent twice */
                times = 2;
                dups++;
            } else if (x % 10 == 1 && k + 1 < nseg) { /* runs into the next segment */
                uint32_t more = len[k + 1] / 2;
                sl += more;
                overlaps++;
            }
            for (unsigned t = 0; t < times; t++) {
                nout = 0;
                input_opts(4006, 84, base + so, iss + 1, 0x18, 65535, NULL, 0, stream + so, sl,
                           now++);
                memset(have + so, 1, sl);
                assert_true(net_tcp_consistent(&tcp));
                assert_true(nout >= 1);
                const uint8_t *a = seg(nout - 1);
                uint32_t ack = g32(a + 8) - base;
                for (uint32_t b = 0; b < ack; b++)
                    assert_int_equal(have[b], 1);
                size_t hl = (size_t)(a[12] >> 4) * 4;
                if (hl == 20)
                    continue;
                assert_int_equal(a[22], 5);
                unsigned blocks = (a[23] - 2u) / 8u;
                assert_true(blocks >= 1 && blocks <= 4 && hl == 24 + 8 * blocks);
                for (unsigned b = 0; b < blocks; b++) {
                    uint32_t bs = g32(a + 24 + 8 * b) - base, be = g32(a + 28 + 8 * b) - base;
                    assert_true(bs > ack && be > bs && be <= N);
                    for (uint32_t q = bs; q < be; q++)
                        assert_int_equal(have[q], 1);
                    for (unsigned c = 0; c < b; c++)
                        assert_true(g32(a + 24 + 8 * c) != g32(a + 24 + 8 * b));
                }
                uint32_t fs = g32(a + 24) - base, fe = g32(a + 28) - base;
                if (so > ack && t == 0)
                    assert_true(fs <= so && so < fe);
            }
        }
    }
    assert_true(dups > 10 && overlaps > 10);
    assert_int_equal(tcp.stats.ooo_dropped, 0);
    assert_int_equal(tcp.c[h].rcv_nxt, base + N);
    assert_int_equal(tcp.c[h].nooo, 0);
    long total = 0;
    for (unsigned guard = 0; guard < 1000 && total < N; guard++) {
        long r = net_tcp_recv(&tcp, h, got + total, (size_t)(N - total));
        assert_true(r > 0);
        total += r;
    }
    assert_int_equal(total, N);
    assert_memory_equal(got, stream, N);
}

static void test_parse_options(void **state)
{
    (void)state;
    uint8_t h[60];
    net_tcp_opts o;
    memset(h, 0, sizeof h);
    /* MSS 1460, NOP, WS 15: clamped to 14, 15 reported as sent. */
    const uint8_t a[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 15};
    memcpy(h + 20, a, sizeof a);
    assert_int_equal(net_tcp_parse_options(h, 28, &o), NET_OK);
    assert_int_equal(o.has_mss, 1);
    assert_int_equal(o.mss, 1460);
    assert_int_equal(o.has_wscale, 1);
    assert_int_equal(o.wscale, 14);
    assert_int_equal(o.wscale_sent, 15);
    /* A window scale option of length 4 is skipped; the later good one counts. */
    const uint8_t b[] = {3, 4, 9, 9, 3, 3, 5, 0};
    memcpy(h + 20, b, sizeof b);
    assert_int_equal(net_tcp_parse_options(h, 28, &o), NET_OK);
    assert_int_equal(o.has_mss, 0);
    assert_int_equal(o.mss, 536);
    assert_int_equal(o.wscale, 5);
    /* A length running past the header ends the scan; what came before stays. */
    const uint8_t c[] = {3, 3, 7, 2, 9, 1, 1, 1};
    memcpy(h + 20, c, sizeof c);
    assert_int_equal(net_tcp_parse_options(h, 28, &o), NET_OK);
    assert_int_equal(o.has_wscale, 1);
    assert_int_equal(o.wscale, 7);
    assert_int_equal(o.has_mss, 0);
    /* End of options stops everything after it; a zero length too. */
    const uint8_t e[] = {0, 3, 3, 7, 0, 0, 0, 0};
    memcpy(h + 20, e, sizeof e);
    assert_int_equal(net_tcp_parse_options(h, 28, &o), NET_OK);
    assert_int_equal(o.has_wscale, 0);
    const uint8_t z[] = {5, 0, 3, 3, 7, 0, 0, 0};
    memcpy(h + 20, z, sizeof z);
    assert_int_equal(net_tcp_parse_options(h, 28, &o), NET_OK);
    assert_int_equal(o.has_wscale, 0);
    /* An MSS below 64 is raised to 64. */
    const uint8_t m[] = {2, 4, 0, 10};
    memcpy(h + 20, m, sizeof m);
    assert_int_equal(net_tcp_parse_options(h, 24, &o), NET_OK);
    assert_int_equal(o.mss, 64);
    assert_int_equal(o.has_sack_perm, 0);
    /* SACK-permitted is kind 4, length 2; one of another length is skipped. */
    const uint8_t sp[] = {4, 3, 0, 4, 2, 0, 0, 0};
    memcpy(h + 20, sp, sizeof sp);
    assert_int_equal(net_tcp_parse_options(h, 28, &o), NET_OK);
    assert_int_equal(o.has_sack_perm, 1);
    const uint8_t sq[] = {4, 3, 0, 0};
    memcpy(h + 20, sq, sizeof sq);
    assert_int_equal(net_tcp_parse_options(h, 24, &o), NET_OK);
    assert_int_equal(o.has_sack_perm, 0);
    assert_int_equal(net_tcp_parse_options(h, 19, &o), NET_ERR_ARG);
    assert_int_equal(net_tcp_parse_options(h, 64, &o), NET_ERR_ARG);
    assert_int_equal(net_tcp_parse_options(NULL, 20, &o), NET_ERR_ARG);
    assert_int_equal(net_tcp_parse_options(h, 20, NULL), NET_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_our_shift),
        cmocka_unit_test_setup(test_active_negotiated, setup),
        cmocka_unit_test_setup(test_not_negotiated, setup),
        cmocka_unit_test_setup(test_shift_15_clamped, setup),
        cmocka_unit_test_setup(test_passive, setup),
        cmocka_unit_test_setup(test_receive_window, setup),
        cmocka_unit_test_setup(test_reserve_used_up, setup),
        cmocka_unit_test_setup(test_sack_blocks, setup),
        cmocka_unit_test_setup(test_sack_middle_insert, setup),
        cmocka_unit_test_setup(test_reassembly_shuffled, setup),
        cmocka_unit_test(test_parse_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
