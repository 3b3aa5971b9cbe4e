/* test_net_tcp.c: lib/net's TCP on hand-built segments with a simulated clock: the SYN
 * and its MSS option, window-limited sending, RFC 6298 RTO values (first sample, backoff,
 * give-up), RST for unknown connections, exact and challenge-ACK RST handling, sequence
 * wrap-around, TIME_WAIT, bad checksums and offsets counted; the out-of-order queue
 * (holes filled, overlaps trimmed, a FIN behind a hole), RFC 5681/6582 congestion control
 * (cwnd after given ACK sequences, fast retransmit, partial and full ACKs, the timeout's
 * reset), and the half-open limit under a SYN flood. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net_tcp.h"

#include "net_tcp_harness.h"

static int setup(void **state)
{
    (void)state;
    return harness_start();
}

static uint32_t isn1; /* ISS + 1 of the last connection open_conn made */

/* Active open to PEER:80, the random source giving rndv (so the local port); the ISN is
 * RFC 6528's and taken from the SYN. The peer answers with ISN 5000, MSS 1000. */
static int open_conn(uint32_t rndv, uint16_t peer_win)
{
    rnd_value = rndv;
    net_err e;
    int h = net_tcp_connect(&tcp, PEER, 80, &e);
    assert_int_equal(e, NET_OK);
    assert_true(h >= 0);
    assert_int_equal(nout, 1);
    const uint8_t *s = seg(0);
    assert_int_equal(s[13], 0x02);
    uint32_t isn = g32(s + 4);
    isn1 = isn + 1;
    /* MSS, NOP, window scale 0 (RFC 7323 2.2), NOP, NOP, SACK-permitted (RFC 2018 2) */
    assert_int_equal(s[12] >> 4, 8);
    assert_int_equal(s[28], 1);
    assert_int_equal(s[29], 1);
    assert_int_equal(s[30], 4);
    assert_int_equal(s[31], 2);
    assert_int_equal(s[20], 2);
    assert_int_equal(g16(s + 22), NET_TCP_MSS);
    assert_int_equal(s[24], 1);
    assert_int_equal(s[25], 3);
    assert_int_equal(s[26], 3);
    assert_int_equal(s[27], 0);
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

static uint32_t rcv_window_of(const struct net_tcp_conn *c) { return NET_TCP_BUF - c->rlen; }

static void test_handshake_and_rtt(void **state)
{
    (void)state;
    int h = open_conn(0x11223344, 60000);
    struct net_tcp_conn *c = &tcp.c[h];
    assert_int_equal(c->mss, 1000);
    /* One 100 ms sample: SRTT 100, RTTVAR 50, RTO = max(floor, 100 + 4*50). */
    assert_int_equal(c->srtt_ms, 100);
    assert_int_equal(c->rttvar_ms, 50);
    assert_int_equal(c->rto_ms, 300 > NET_TCP_RTO_MIN_MS ? 300 : NET_TCP_RTO_MIN_MS);
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
    assert_int_equal(g32(seg(1) + 4), isn1 + 1000);
    /* An ACK of the first opens room for the third. */
    input_seg(80, lport, 5001, isn1 + 1000, 0x10, 2000, NULL, 0, 0, 1200);
    assert_int_equal(nout, 3);
    assert_int_equal(g32(seg(2) + 4), isn1 + 2000);
    assert_int_equal(tcp.c[h].slen, 2000);
    /* Silence: at the RTO the oldest unacknowledged byte goes again, and the RTO doubles. */
    nout = 0;
    /* Two 100 ms samples (handshake, first segment): SRTT 100, RTTVAR 37, RTO 248. */
    uint32_t rto = tcp.c[h].rto_ms;
    assert_int_equal(rto, 248 > NET_TCP_RTO_MIN_MS ? 248 : NET_TCP_RTO_MIN_MS);
    net_tcp_poll(&tcp, 1200 + rto - 1);
    assert_int_equal(nout, 0);
    net_tcp_poll(&tcp, 1200 + rto);
    assert_int_equal(nout, 1); /* the loss window: one segment */
    assert_int_equal(g32(seg(0) + 4), isn1 + 1000);
    assert_int_equal(tcp.c[h].rto_ms, 2 * rto);
    assert_int_equal(tcp.stats.retransmits, 1);
    /* Keep silent: backoff 2, 4, 8 ... s, then give up with a timeout and an RST. */
    uint64_t now = 1200 + rto;
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
    /* RFC 6528: ISN = 250 * clock_ms + F(4-tuple, key). Learn F from one connection, then
     * set the clock so that the same 4-tuple's next ISN sits just below 2^32 and the
     * sequence numbers wrap during the transfer. */
    int h0 = open_conn(0x01020304, 8000);
    uint32_t first = isn1 - 1;
    uint16_t lport0 = tcp.c[h0].lport;
    assert_int_equal(net_tcp_abort(&tcp, h0), NET_OK);
    net_tcp_release(&tcp, h0);
    nout = 0;
    uint64_t T = 1000 + (uint32_t)(0xffffffc0u - first) / 250u;
    net_poll(&st, T);
    teach_arp(T); /* hours later, the ARP entry has long expired */
    nout = 0;
    int h = open_conn(0x01020304, 8000);
    uint16_t lport = tcp.c[h].lport;
    assert_int_equal(lport, lport0);
    uint32_t isn = isn1 - 1;
    assert_int_equal(isn - first, (uint32_t)((T - 1000) * 250u)); /* the clock's share */
    assert_true(isn > 0xfffffe6fu && isn <= 0xffffffc0u);
    static uint8_t d[400];
    memset(d, 0xab, sizeof d);
    assert_int_equal(net_tcp_send(&tcp, h, d, sizeof d), 400);
    assert_int_equal(nout, 1);
    assert_int_equal(g32(seg(0) + 4), isn1);
    uint32_t una = isn1 + 400u;
    assert_true(una < 0x200u); /* wrapped */
    input_seg(80, lport, 5001, una, 0x10, 8000, NULL, 0, 0, T + 100);
    assert_int_equal(tcp.c[h].slen, 0);
    assert_int_equal(tcp.c[h].snd_una, una);
    /* Data from the peer, then our close, its ACK and FIN: TIME_WAIT, then closed. */
    input_seg(80, lport, 5001, una, 0x18, 8000, (const uint8_t *)"hello", 5, 0, T + 100);
    uint8_t b[16];
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), 5);
    assert_memory_equal(b, "hello", 5);
    nout = 0;
    assert_int_equal(net_tcp_close(&tcp, h), NET_OK);
    assert_int_equal(nout, 1);
    assert_int_equal(seg(0)[13], 0x11);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_FIN_WAIT_1);
    input_seg(80, lport, 5006, una + 1, 0x10, 8000, NULL, 0, 0, T + 200);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_FIN_WAIT_2);
    input_seg(80, lport, 5006, una + 1, 0x11, 8000, NULL, 0, 0, T + 200);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_TIME_WAIT);
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), -1); /* end of stream */
    net_tcp_poll(&tcp, T + 200 + NET_TCP_TIME_WAIT_MS - 1);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_TIME_WAIT);
    net_tcp_poll(&tcp, T + 200 + NET_TCP_TIME_WAIT_MS);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_CLOSED);
    assert_int_equal(net_tcp_error(&tcp, h), NET_OK);
}

static void test_isn_rfc6528(void **state)
{
    (void)state;
    /* The same 4-tuple 1 s later: 250 000 further on (a 4 us clock). */
    int h = open_conn(0x01020304, 8000);
    uint32_t a = isn1 - 1;
    (void)net_tcp_abort(&tcp, h);
    net_tcp_release(&tcp, h);
    nout = 0;
    net_poll(&st, 2000);
    h = open_conn(0x01020304, 8000);
    uint32_t b = isn1 - 1;
    assert_int_equal(b - a, 250000u);
    (void)net_tcp_abort(&tcp, h);
    net_tcp_release(&tcp, h);
    nout = 0;
    /* Another local port at the same moment: another hash, not a fixed step. */
    h = open_conn(0x0a0b0c0d, 8000);
    uint32_t c = isn1 - 1;
    assert_true(c != b);
    (void)net_tcp_abort(&tcp, h);
    net_tcp_release(&tcp, h);
    nout = 0;
    /* Another key (a new net_tcp from other random bytes): another ISN for the same
     * tuple and time. */
    rnd_value = 0x55667788;
    assert_int_equal(net_tcp_init(&tcp, &st), NET_OK);
    h = open_conn(0x01020304, 8000);
    assert_true(isn1 - 1 != b);
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


/* The handshake's ACK and the first data segment lost: the next segment, ahead of RCV.NXT
 * but in the window and carrying the ACK of our SYN, completes the handshake and its data
 * is kept, so the retransmitted first segment brings the stream up to date at once. */
static void test_syn_rcvd_ack_ahead(void **state)
{
    (void)state;
    assert_int_equal(net_tcp_listen(&tcp, 81), NET_OK);
    input_seg(4001, 81, 100, 0, 0x02, 60000, NULL, 0, 1200, 1000);
    assert_int_equal(nout, 1);
    assert_int_equal(seg(0)[13], 0x12);
    uint32_t iss = g32(seg(0) + 4);
    static uint8_t d[200];
    for (size_t i = 0; i < sizeof d; i++)
        d[i] = (uint8_t)(i * 7 + 3);
    input_seg(4001, 81, 201, iss + 1, 0x10, 60000, d + 100, 100, 0, 1010);
    int h = net_tcp_accept(&tcp, 81);
    assert_true(h >= 0);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_ESTABLISHED);
    assert_int_equal(g32(seg(nout - 1) + 8), 101); /* a duplicate ACK: 101 is still missing */
    input_seg(4001, 81, 101, iss + 1, 0x10, 60000, d, 100, 0, 1020);
    uint8_t b[300];
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), 200);
    assert_memory_equal(b, d, 200);
    /* A segment ahead of RCV.NXT whose ACK is not ISS+1 leaves a half-open one alone. */
    assert_int_equal(net_tcp_listen(&tcp, 82), NET_OK);
    unsigned before = nout;
    input_seg(4002, 82, 500, 0, 0x02, 60000, NULL, 0, 1200, 1030);
    assert_int_equal(nout, before + 1);
    uint32_t iss2 = g32(seg(before) + 4);
    input_seg(4002, 82, 601, iss2 + 2, 0x10, 60000, d, 100, 0, 1040);
    assert_int_equal(net_tcp_accept(&tcp, 82), -1);
}

static void ack_in(uint16_t lport, uint32_t ack, uint64_t now)
{
    input_seg(80, lport, 5001, ack, 0x10, 60000, NULL, 0, 0, now);
}

static void test_ooo_reassembly(void **state)
{
    (void)state;
    int h = open_conn(0x1000, 60000);
    uint16_t lport = tcp.c[h].lport;
    struct net_tcp_conn *c = &tcp.c[h];
    static uint8_t d[4000], b[4000];
    for (size_t i = 0; i < sizeof d; i++)
        d[i] = (uint8_t)(i * 7 + 3);
    uint32_t edge = c->rcv_nxt + NET_TCP_BUF;
    /* Bytes 1000-1999 first: kept, and a duplicate ACK still names byte 0. */
    input_seg(80, lport, 5001 + 1000, isn1, 0x18, 60000, d + 1000, 1000, 0, 1200);
    assert_int_equal(nout, 1);
    assert_int_equal(g32(seg(0) + 8), 5001);
    assert_int_equal(g16(seg(0) + 14), NET_TCP_BUF); /* the window's right edge holds */
    assert_int_equal(tcp.stats.ooo_queued, 1);
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), 0);
    /* 3000-3499, then 2500-3199 overlapping it: two ranges, the second grown. */
    input_seg(80, lport, 5001 + 3000, isn1, 0x18, 60000, d + 3000, 500, 0, 1200);
    input_seg(80, lport, 5001 + 2500, isn1, 0x18, 60000, d + 2500, 700, 0, 1200);
    assert_int_equal(nout, 3);
    assert_int_equal(g32(seg(2) + 8), 5001);
    assert_int_equal(c->nooo, 2);
    assert_int_equal(c->ooo[1].start, 5001 + 2500);
    assert_int_equal(c->ooo[1].end, 5001 + 3500);
    /* The first hole filled: the ACK jumps over the kept range to the second hole. */
    input_seg(80, lport, 5001, isn1, 0x18, 60000, d, 1000, 0, 1200);
    assert_int_equal(nout, 4);
    assert_int_equal(g32(seg(3) + 8), 5001 + 2000);
    assert_int_equal(c->rcv_nxt + rcv_window_of(c), edge);
    assert_int_equal(net_tcp_recv(&tcp, h, b, 1500), 1500);
    assert_memory_equal(b, d, 1500);
    /* A retransmission of 1500-2599 overlaps what we have: the new 600 bytes are taken. */
    input_seg(80, lport, 5001 + 1500, isn1, 0x18, 60000, d + 1500, 1100, 0, 1200);
    assert_int_equal(g32(seg(4) + 8), 5001 + 3500);
    assert_int_equal(c->nooo, 0);
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), 2000);
    assert_memory_equal(b, d + 1500, 2000);
    /* A FIN ahead of a hole is remembered: filling the hole closes the stream. */
    input_seg(80, lport, 5001 + 3700, isn1, 0x19, 60000, d + 3700, 300, 0, 1300);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_ESTABLISHED);
    input_seg(80, lport, 5001 + 3500, isn1, 0x18, 60000, d + 3500, 200, 0, 1300);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_CLOSE_WAIT);
    assert_int_equal(g32(seg(nout - 1) + 8), 5001 + 4000 + 1);
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), 500);
    assert_memory_equal(b, d + 3500, 500);
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), -1);
    /* Out of the window (beyond the right edge) or wholly old: nothing is kept. */
    assert_int_equal(tcp.stats.ooo_dropped, 0);
}

static void test_ooo_table_full(void **state)
{
    (void)state;
    int h = open_conn(0x1000, 60000);
    uint16_t lport = tcp.c[h].lport;
    struct net_tcp_conn *c = &tcp.c[h];
    uint8_t d[10];
    memset(d, 0x5a, sizeof d);
    /* NET_TCP_OOO separate islands fit; one more is refused; one touching a kept island
     * merges into it and still fits. */
    for (unsigned i = 0; i < NET_TCP_OOO; i++)
        input_seg(80, lport, 5001 + 20 * (i + 1), isn1, 0x18, 60000, d, 10, 0, 1200);
    assert_int_equal(c->nooo, NET_TCP_OOO);
    input_seg(80, lport, 5001 + 20 * (NET_TCP_OOO + 1), isn1, 0x18, 60000, d, 10, 0, 1200);
    assert_int_equal(tcp.stats.ooo_dropped, 1);
    input_seg(80, lport, 5001 + 30, isn1, 0x18, 60000, d, 10, 0, 1200);
    assert_int_equal(c->nooo, NET_TCP_OOO - 1);
    assert_int_equal(c->ooo[0].end, 5001 + 50);
    /* Beyond the window: not stored, counted as out of order. */
    uint32_t before = tcp.stats.ooo_queued;
    input_seg(80, lport, 5001 + NET_TCP_BUF, isn1, 0x18, 60000, d, 10, 0, 1200);
    assert_int_equal(tcp.stats.ooo_queued, before);
}

static void test_congestion_control(void **state)
{
    (void)state;
    int h = open_conn(0x1000, 60000);
    uint16_t lport = tcp.c[h].lport;
    struct net_tcp_conn *c = &tcp.c[h];
    const uint32_t I = isn1;
    static uint8_t d[8192];
    memset(d, 0x33, sizeof d);
    /* RFC 5681 3.1: IW = min(4 * 1000, max(2 * 1000, 4380)) = 4000: four segments. */
    assert_int_equal(c->cwnd, 4000);
    assert_int_equal(net_tcp_send(&tcp, h, d, sizeof d), 8192);
    assert_int_equal(nout, 4);
    /* Slow start: +1000 per ACK of a full segment, +min(acked, SMSS) for a stretch ACK. */
    ack_in(lport, I + 1000, 1200);
    assert_int_equal(c->cwnd, 5000);
    assert_int_equal(nout, 6);
    ack_in(lport, I + 3000, 1210);
    assert_int_equal(c->cwnd, 6000);
    assert_int_equal(nout, 9); /* up to the end of the data: 6000, 7000, 8000-8191 */
    assert_int_equal(seg_data(8), 192);
    /* Two duplicate ACKs: no retransmission yet. The third: one, of the oldest segment. */
    ack_in(lport, I + 3000, 1220);
    ack_in(lport, I + 3000, 1221);
    assert_int_equal(nout, 9);
    assert_int_equal(tcp.stats.dup_acks, 2);
    ack_in(lport, I + 3000, 1222);
    assert_int_equal(nout, 10);
    assert_int_equal(g32(seg(9) + 4), I + 3000);
    assert_int_equal(seg_data(9), 1000);
    assert_int_equal(tcp.stats.fast_retransmits, 1);
    /* ssthresh = max(FlightSize / 2, 2 SMSS) = 5192 / 2; cwnd = ssthresh + 3 SMSS. */
    assert_int_equal(c->ssthresh, 2596);
    assert_int_equal(c->cwnd, 2596 + 3000);
    /* A fourth inflates the window by one segment and retransmits nothing. */
    ack_in(lport, I + 3000, 1223);
    assert_int_equal(nout, 10);
    assert_int_equal(c->cwnd, 6596);
    /* A partial ACK (RFC 6582): the next hole goes at once; cwnd deflates by the 2000
     * acknowledged and gains one SMSS. */
    ack_in(lport, I + 5000, 1230);
    assert_int_equal(nout, 11);
    assert_int_equal(g32(seg(10) + 4), I + 5000);
    assert_int_equal(tcp.stats.partial_acks, 1);
    assert_int_equal(c->cwnd, 5596);
    /* The full ACK ends recovery: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS). */
    ack_in(lport, I + 8192, 1240);
    assert_int_equal(c->in_recovery, 0);
    assert_int_equal(c->cwnd, 2000);
    assert_int_equal(tcp.stats.retransmits, 2);
    /* Below ssthresh: slow start; above: congestion avoidance adds SMSS^2 / cwnd. */
    nout = 0;
    assert_int_equal(net_tcp_send(&tcp, h, d, 5000), 5000);
    assert_int_equal(nout, 2);
    ack_in(lport, I + 8192 + 1000, 1250);
    assert_int_equal(c->cwnd, 3000);
    ack_in(lport, I + 8192 + 2000, 1260);
    assert_int_equal(c->cwnd, 3333);
    assert_int_equal(nout, 5); /* flight 3000 of 3333 */
    /* A timeout: ssthresh from the flight, cwnd one segment, one segment resent. */
    uint64_t dl = c->rto_deadline_ms;
    nout = 0;
    net_tcp_poll(&tcp, dl);
    assert_int_equal(nout, 1);
    assert_int_equal(g32(seg(0) + 4), I + 8192 + 2000);
    assert_int_equal(c->cwnd, 1000);
    assert_int_equal(c->ssthresh, 2000);
    assert_int_equal(tcp.stats.timeouts, 1);
    /* Duplicate ACKs of what was in flight before the timeout start no fast retransmit. */
    for (int i = 0; i < 3; i++)
        ack_in(lport, I + 8192 + 2000, dl + 5);
    assert_int_equal(tcp.stats.fast_retransmits, 1);
    /* The peer had kept the rest: one ACK for all of it moves snd_nxt past the go-back. */
    ack_in(lport, I + 8192 + 5000, dl + 10);
    assert_int_equal(c->slen, 0);
    assert_int_equal(c->snd_nxt, I + 8192 + 5000);
    assert_int_equal(c->snd_una, c->snd_max);
}

static void test_limited_transmit(void **state)
{
    (void)state;
    int h = open_conn(0x1000, 60000);
    uint16_t lport = tcp.c[h].lport;
    static uint8_t d[8000];
    memset(d, 1, sizeof d);
    assert_int_equal(net_tcp_send(&tcp, h, d, sizeof d), 8000);
    assert_int_equal(nout, 4);
    /* RFC 3042: each of the first two duplicate ACKs lets one new segment out. */
    ack_in(lport, isn1, 1200);
    assert_int_equal(nout, 5);
    ack_in(lport, isn1, 1201);
    assert_int_equal(nout, 6);
    ack_in(lport, isn1, 1202);
    assert_int_equal(nout, 7); /* the third: the fast retransmission of byte 0 */
    assert_int_equal(g32(seg(6) + 4), isn1);
}

static void test_probe_answered(void **state)
{
    (void)state;
    int h = open_conn(0x1000, 60000);
    uint16_t lport = tcp.c[h].lport;
    static uint8_t d[NET_TCP_BUF];
    memset(d, 7, sizeof d);
    /* The peer fills our window; the ACK says 0. */
    for (unsigned off = 0; off < NET_TCP_BUF; off += 1000) {
        size_t n = NET_TCP_BUF - off < 1000 ? NET_TCP_BUF - off : 1000;
        input_seg(80, lport, 5001 + off, isn1, 0x18, 60000, d + off, n, 0, 1200);
    }
    assert_int_equal(g16(seg(nout - 1) + 14), 0);
    /* Reading opens it; suppose that window update is lost. The peer's zero-window
     * probe (one below RCV.NXT, no data) must get an ACK with the open window. */
    static uint8_t b[NET_TCP_BUF];
    nout = 0;
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), NET_TCP_BUF);
    assert_int_equal(nout, 1); /* the window update */
    assert_int_equal(g16(seg(0) + 14), NET_TCP_BUF);
    /* Nothing from the peer: the update is repeated one RTO later, then two. */
    uint32_t rto = tcp.c[h].rto_ms;
    net_tcp_poll(&tcp, 1200 + rto - 1);
    assert_int_equal(nout, 1);
    net_tcp_poll(&tcp, 1200 + rto);
    assert_int_equal(nout, 2);
    assert_int_equal(g16(seg(1) + 14), NET_TCP_BUF);
    assert_int_equal(g32(seg(1) + 8), 5001 + NET_TCP_BUF);
    net_tcp_poll(&tcp, 1200 + 2 * rto);
    assert_int_equal(nout, 2);
    net_tcp_poll(&tcp, 1200 + 3 * rto);
    assert_int_equal(nout, 3);
    nout = 0;
    input_seg(80, lport, 5001 + NET_TCP_BUF - 1, isn1, 0x10, 60000, NULL, 0, 0, 1300);
    assert_int_equal(nout, 1);
    assert_int_equal(g32(seg(0) + 8), 5001 + NET_TCP_BUF);
    assert_int_equal(g16(seg(0) + 14), NET_TCP_BUF);
    /* The peer has spoken: no more repeats. */
    net_tcp_poll(&tcp, 1200 + 100 * rto);
    assert_int_equal(nout, 1);
    /* A segment acknowledging data never sent is answered and its data dropped. */
    nout = 0;
    input_seg(80, lport, 5001 + NET_TCP_BUF, isn1 + 5000, 0x18, 60000, d, 10, 0, 1300);
    assert_int_equal(tcp.stats.ack_unacceptable, 1);
    assert_int_equal(nout, 1);
    assert_int_equal(g32(seg(0) + 8), 5001 + NET_TCP_BUF);
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), 0);
}

static void test_ring_wrap(void **state)
{
    (void)state;
    int h = open_conn(0x1000, 60000);
    uint16_t lport = tcp.c[h].lport;
    static uint8_t d[2000], b[2000];
    uint32_t seq = isn1, rseq = 5001;
    /* Move both rings' heads to 16 000 bytes, 1000 at a time. */
    for (unsigned k = 0; k < 16; k++) {
        memset(d, (int)k, 1000);
        assert_int_equal(net_tcp_send(&tcp, h, d, 1000), 1000);
        seq += 1000;
        ack_in(lport, seq, 1200 + k);
        input_seg(80, lport, rseq, seq, 0x18, 60000, d, 1000, 0, 1200 + k);
        rseq += 1000;
        assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), 1000);
    }
    assert_int_equal(tcp.c[h].shead, 16000 % NET_TCP_BUF);
    /* A segment across the send ring's end goes out whole and in order. */
    for (unsigned i = 0; i < 1000; i++)
        d[i] = (uint8_t)(i * 13 + 1);
    nout = 0;
    assert_int_equal(net_tcp_send(&tcp, h, d, 1000), 1000);
    assert_int_equal(nout, 1);
    assert_int_equal(seg_data(0), 1000);
    assert_memory_equal(seg(0) + 20, d, 1000);
    /* Its retransmission at the RTO too. */
    nout = 0;
    net_tcp_poll(&tcp, tcp.c[h].rto_deadline_ms);
    assert_int_equal(nout, 1);
    assert_memory_equal(seg(0) + 20, d, 1000);
    /* Received data across the ring's end, the second half arriving first. */
    for (unsigned i = 0; i < 2000; i++)
        d[i] = (uint8_t)(i * 7 + 5);
    input_seg(80, lport, rseq + 1000, seq, 0x18, 60000, d + 1000, 1000, 0, 1300);
    input_seg(80, lport, rseq, seq, 0x18, 60000, d, 1000, 0, 1300);
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), 2000);
    assert_memory_equal(b, d, 2000);
}

static void test_syn_flood(void **state)
{
    (void)state;
    assert_int_equal(net_tcp_listen(&tcp, 80), NET_OK);
    /* One established connection first. */
    input_seg(4000, 80, 100, 0, 0x02, 4000, NULL, 0, 1200, 1000);
    uint32_t iss = g32(seg(0) + 4);
    input_seg(4000, 80, 101, iss + 1, 0x10, 4000, NULL, 0, 0, 1010);
    int h = net_tcp_accept(&tcp, 80);
    assert_true(h >= 0);
    /* A flood from 200 ports: never more than NET_TCP_HALF_OPEN half-open at once. */
    for (unsigned i = 0; i < 200; i++)
        input_seg((uint16_t)(5000 + i), 80, 1000 * i, 0, 0x02, 4000, NULL, 0, 0, 1100 + i);
    unsigned half = 0;
    for (unsigned i = 0; i < NET_TCP_CONNS; i++)
        half += tcp.c[i].in_use && tcp.c[i].state == NET_TCP_SYN_RCVD;
    assert_int_equal(half, NET_TCP_HALF_OPEN);
    assert_int_equal(tcp.stats.half_open_evicted, 200 - NET_TCP_HALF_OPEN);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_ESTABLISHED);
    /* The established connection still carries data. */
    input_seg(4000, 80, 101, iss + 1, 0x18, 4000, (const uint8_t *)"still", 5, 0, 1400);
    uint8_t b[8];
    assert_int_equal(net_tcp_recv(&tcp, h, b, sizeof b), 5);
    assert_memory_equal(b, "still", 5);
    /* A real client completes its handshake during the flood. */
    nout = 0;
    input_seg(6000, 80, 77, 0, 0x02, 4000, NULL, 0, 0, 1500);
    uint32_t iss2 = g32(seg(0) + 4);
    input_seg(6000, 80, 78, iss2 + 1, 0x10, 4000, NULL, 0, 0, 1510);
    int h2 = net_tcp_accept(&tcp, 80);
    assert_true(h2 >= 0 && h2 != h);
    /* The half-open ones give up after 1 + 2 + 4 s of retries and free their slots. */
    for (uint64_t now = 2000; now < 40000; now += 500)
        net_tcp_poll(&tcp, now);
    half = 0;
    for (unsigned i = 0; i < NET_TCP_CONNS; i++)
        half += tcp.c[i].in_use != 0;
    assert_int_equal(half, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_handshake_and_rtt, setup),
        cmocka_unit_test_setup(test_window_and_retransmit, setup),
        cmocka_unit_test_setup(test_rst_rules, setup),
        cmocka_unit_test_setup(test_syn_rcvd_ack_ahead, setup),
        cmocka_unit_test_setup(test_wrap_and_time_wait, setup),
        cmocka_unit_test_setup(test_isn_rfc6528, setup),
        cmocka_unit_test_setup(test_bad_segments, setup),
        cmocka_unit_test_setup(test_ooo_reassembly, setup),
        cmocka_unit_test_setup(test_ooo_table_full, setup),
        cmocka_unit_test_setup(test_congestion_control, setup),
        cmocka_unit_test_setup(test_limited_transmit, setup),
        cmocka_unit_test_setup(test_probe_answered, setup),
        cmocka_unit_test_setup(test_ring_wrap, setup),
        cmocka_unit_test_setup(test_syn_flood, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
