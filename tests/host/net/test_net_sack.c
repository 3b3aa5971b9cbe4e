/* test_net_sack.c: the sending side of SACK in lib/net's TCP (RFC 2018, RFC 6675): the
 * SACK option parsed, the scoreboard built from a peer's blocks (bogus ones ignored),
 * recovery entered and the holes retransmitted in order under the pipe bound, data freed
 * by the cumulative ACK alone, a reneging peer repaired by the timeout, and a peer that
 * did not permit SACK kept on NewReno. */
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

/* A segment from PEER:4003 to port 82 with the given option bytes (a multiple of 4). */
static void peer_seg(uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opt,
                     size_t olen, uint64_t now)
{
    input_opts(4003, 82, seq, ack, flags, win, opt, olen, NULL, 0, now);
}

static uint32_t base; /* ISS + 1: the first data byte's sequence number */
static uint64_t now_ms;
static uint8_t pattern[NET_TCP_BUF];

/* The peer's ACK of base + ack, with nb SACK blocks given as offsets from base (pairs
 * start, end), window 30000. */
static void sack_ack(uint32_t ack, unsigned nb, const uint32_t *b)
{
    uint8_t o[40];
    size_t olen = 0;
    if (nb) {
        o[0] = 1;
        o[1] = 1;
        o[2] = 5;
        o[3] = (uint8_t)(2 + 8 * nb);
        for (unsigned i = 0; i < nb; i++) {
            p32(o + 4 + 8 * i, base + b[2 * i]);
            p32(o + 8 + 8 * i, base + b[2 * i + 1]);
        }
        olen = 4 + 8 * nb;
    }
    now_ms += 10;
    peer_seg(101, base + ack, 0x10, 30000, o, olen, now_ms);
    assert_true(net_tcp_consistent(&tcp));
}

/* Passive open from PEER (MSS 1000, with or without SACK-permitted), then the whole send
 * buffer queued and the first flight grown by acknowledging segment by segment until 8
 * segments, [4000, 12000) from base, are in flight with cwnd 8000. */
static int open_and_fill_n(int sack, uint32_t queued)
{
    assert_int_equal(net_tcp_listen(&tcp, 82), NET_OK);
    const uint8_t o[8] = {2, 4, 0x03, 0xe8, 1, 1, 4, 2};
    now_ms = 1000;
    peer_seg(100, 0, 0x02, 30000, o, sack ? 8 : 4, now_ms);
    assert_int_equal(nout, 1);
    base = g32(seg(0) + 4) + 1;
    peer_seg(101, base, 0x10, 30000, NULL, 0, now_ms += 10);
    int h = net_tcp_accept(&tcp, 82);
    assert_true(h >= 0);
    assert_int_equal(tcp.c[h].sack_ok, sack ? 1 : 0);
    for (unsigned i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)(i * 7u + 3u);
    nout = 0;
    assert_int_equal(net_tcp_send(&tcp, h, pattern, queued), (long)queued);
    assert_int_equal(nout, 4); /* initial window 4000 */
    for (uint32_t a = 1000; a <= 4000; a += 1000)
        sack_ack(a, 0, NULL);
    const struct net_tcp_conn *c = &tcp.c[h];
    assert_int_equal(c->cwnd, 8000);
    assert_int_equal(c->snd_una, base + 4000);
    assert_int_equal(c->snd_nxt, base + 12000);
    nout = 0;
    return h;
}

static int open_and_fill(int sack) { return open_and_fill_n(sack, sizeof pattern); }

/* The sequence numbers (as offsets from base) and lengths of the data segments sent
 * since nout was last cleared. */
static unsigned sent(uint32_t *off, uint32_t *len, unsigned max)
{
    unsigned k = 0;
    for (unsigned i = 0; i < nout && i < 64 && k < max; i++) {
        if (seg_data(i) == 0)
            continue;
        off[k] = g32(seg(i) + 4) - base;
        len[k] = (uint32_t)seg_data(i);
        /* what goes out again is the data queued at that offset */
        assert_memory_equal(seg(i) + (seg(i)[12] >> 4) * 4, pattern + off[k], len[k]);
        k++;
    }
    return k;
}

/* Three holes in one window, [4000,5000), [6000,7000) and [9000,10000): recovery starts
 * at the third duplicate, and the holes go out lowest first, each as soon as the
 * scoreboard calls it lost and the pipe leaves room, not one per round trip. */
static void test_holes_in_order(void **state)
{
    (void)state;
    int h = open_and_fill(1);
    struct net_tcp_conn *c = &tcp.c[h];
    uint32_t off[16], len[16];
    /* 5000 and 7000 arrive: two duplicates, each letting one new segment out (RFC 3042). */
    sack_ack(4000, 1, (const uint32_t[]){5000, 6000});
    sack_ack(4000, 2, (const uint32_t[]){7000, 8000, 5000, 6000});
    assert_int_equal(c->dupacks, 2);
    assert_int_equal(c->in_recovery, 0);
    assert_int_equal(sent(off, len, 16), 2);
    assert_int_equal(off[0], 12000);
    assert_int_equal(off[1], 13000);
    /* 8000: the third duplicate. ssthresh = cwnd = flight/2 = 5000; 4000 again. The pipe
     * (1000 retransmitted, the hole at 6000 not lost yet: 1000, the tail 5000) is full. */
    nout = 0;
    sack_ack(4000, 2, (const uint32_t[]){7000, 9000, 5000, 6000});
    assert_int_equal(c->in_recovery, 1);
    assert_int_equal(c->ssthresh, 5000);
    assert_int_equal(c->cwnd, 5000);
    assert_int_equal(c->recover, base + 14000);
    assert_int_equal(tcp.stats.sack_recoveries, 1);
    assert_int_equal(sent(off, len, 16), 1);
    assert_int_equal(off[0], 4000);
    assert_int_equal(len[0], 1000);
    assert_int_equal(c->nsacked, 2);
    assert_int_equal(c->sacked[0].start, base + 5000);
    assert_int_equal(c->sacked[0].end, base + 6000);
    assert_int_equal(c->sacked[1].start, base + 7000);
    assert_int_equal(c->sacked[1].end, base + 9000);
    /* 10000 arrives: now 6000 is lost (3000 SACKed above it), but the pipe is 5000. */
    nout = 0;
    sack_ack(4000, 3, (const uint32_t[]){10000, 11000, 7000, 9000, 5000, 6000});
    assert_int_equal(sent(off, len, 16), 0);
    /* 11000: the tail shrinks and 6000 goes out. */
    sack_ack(4000, 3, (const uint32_t[]){10000, 12000, 7000, 9000, 5000, 6000});
    assert_int_equal(sent(off, len, 16), 1);
    assert_int_equal(off[0], 6000);
    /* 12000: 9000 is lost now and goes out, then room for one new segment, 14000. */
    nout = 0;
    sack_ack(4000, 3, (const uint32_t[]){10000, 13000, 7000, 9000, 5000, 6000});
    assert_int_equal(sent(off, len, 16), 2);
    assert_int_equal(off[0], 9000);
    assert_int_equal(off[1], 14000);
    assert_int_equal(tcp.stats.sack_rexmits, 2);
    /* Nothing was freed by the blocks: only [0, 4000) is gone from the send buffer. */
    assert_int_equal(c->snd_base, base + 4000);
    assert_int_equal(c->slen, NET_TCP_BUF - 4000);
    /* The retransmitted 4000 arrives: a partial ACK to 6000. 13000 arrived meanwhile. */
    nout = 0;
    sack_ack(6000, 2, (const uint32_t[]){7000, 9000, 10000, 14000});
    assert_int_equal(c->in_recovery, 1);
    assert_int_equal(c->nsacked, 2);
    assert_int_equal(c->snd_base, base + 6000);
    assert_int_equal(tcp.stats.partial_acks, 1);
    /* 6000 and 9000 arrive: ACK 14000 reaches recover, recovery ends with cwnd at
     * ssthresh, and no hole was sent twice. */
    sack_ack(9000, 1, (const uint32_t[]){10000, 14000});
    sack_ack(14000, 0, NULL);
    assert_int_equal(c->in_recovery, 0);
    assert_int_equal(c->nsacked, 0);
    assert_int_equal(c->cwnd, 5000);
    unsigned n = sent(off, len, 16);
    for (unsigned i = 0; i < n; i++)
        assert_true(off[i] >= 15000); /* after the recovery: new data only */
    assert_int_equal(tcp.stats.timeouts, 0);
    assert_int_equal(tcp.stats.sack_bad, 0);
}

/* One ACK that SACKs three segments above the hole: the hole is lost by RFC 6675's
 * IsLost, and recovery starts on that first duplicate. */
static void test_lost_by_bytes(void **state)
{
    (void)state;
    int h = open_and_fill(1);
    struct net_tcp_conn *c = &tcp.c[h];
    uint32_t off[16], len[16];
    sack_ack(4000, 1, (const uint32_t[]){5000, 7000});
    assert_int_equal(c->in_recovery, 0); /* 2000 bytes, one range: not yet */
    nout = 0;
    sack_ack(4000, 1, (const uint32_t[]){5000, 8000});
    assert_int_equal(c->dupacks, 2);
    assert_int_equal(c->in_recovery, 1);
    assert_int_equal(sent(off, len, 16), 1);
    assert_int_equal(off[0], 4000);
}

/* Blocks beyond SND.MAX, reversed, empty, straddling SND.UNA or (D-SACK) below it are
 * ignored: no range, no duplicate, nothing retransmitted. */
static void test_bogus_blocks(void **state)
{
    (void)state;
    int h = open_and_fill(1);
    struct net_tcp_conn *c = &tcp.c[h];
    uint32_t off[16], len[16];
    sack_ack(4000, 1, (const uint32_t[]){11000, 12001});       /* past SND.MAX 12000 */
    sack_ack(4000, 1, (const uint32_t[]){7000, 6000});         /* reversed */
    sack_ack(4000, 1, (const uint32_t[]){6000, 6000});         /* empty */
    sack_ack(4000, 1, (const uint32_t[]){3000, 5000});         /* straddles SND.UNA */
    sack_ack(4000, 1, (const uint32_t[]){2000, 3000});         /* D-SACK below SND.UNA */
    sack_ack(4000, 1, (const uint32_t[]){0x80000000u, 1000u}); /* far away, wrapped */
    assert_int_equal(tcp.stats.sack_bad, 6);
    assert_int_equal(tcp.stats.sack_blocks, 0);
    assert_int_equal(c->nsacked, 0);
    assert_int_equal(c->dupacks, 0);
    assert_int_equal(c->in_recovery, 0);
    assert_int_equal(sent(off, len, 16), 0);
    /* A D-SACK block first and a real one after it: the real one counts. */
    sack_ack(4000, 2, (const uint32_t[]){2000, 3000, 8000, 9000});
    assert_int_equal(tcp.stats.sack_bad, 7);
    assert_int_equal(c->nsacked, 1);
    assert_int_equal(c->sacked[0].start, base + 8000);
    assert_int_equal(c->dupacks, 1);
    /* The same block again SACKs nothing new: not a duplicate. */
    sack_ack(4000, 1, (const uint32_t[]){8000, 9000});
    assert_int_equal(c->dupacks, 1);
    /* Touching and overlapping blocks merge into one range. */
    sack_ack(4000, 2, (const uint32_t[]){9000, 9500, 7500, 8200});
    assert_int_equal(c->nsacked, 1);
    assert_int_equal(c->sacked[0].start, base + 7500);
    assert_int_equal(c->sacked[0].end, base + 9500);
    assert_int_equal(c->slen, NET_TCP_BUF - 4000);
}

/* A peer that SACKed data and then discarded it (RFC 2018 8): the cumulative ACK never
 * passes the range, and the timeout sends it again; the scoreboard is forgotten. */
static void test_renege(void **state)
{
    (void)state;
    int h = open_and_fill(1);
    struct net_tcp_conn *c = &tcp.c[h];
    uint32_t off[16], len[16];
    sack_ack(4000, 1, (const uint32_t[]){5000, 12000});
    assert_int_equal(c->in_recovery, 1);
    assert_int_equal(c->nsacked, 1);
    /* The peer reneges: its ACKs name no blocks, and 4000's retransmission only moves
     * the ACK to 5000. Nothing past 5000 is sent again by the scoreboard. */
    nout = 0;
    sack_ack(5000, 0, NULL);
    assert_int_equal(c->in_recovery, 1);
    assert_int_equal(c->nsacked, 1);
    assert_int_equal(c->sacked[0].start, base + 5000);
    assert_int_equal(c->snd_base, base + 5000);
    assert_int_equal(c->slen, NET_TCP_BUF - 5000);
    unsigned n = sent(off, len, 16);
    for (unsigned i = 0; i < n; i++)
        assert_true(off[i] >= 12000);
    /* The timeout: go-back-N from 5000 with the scoreboard cleared. */
    nout = 0;
    now_ms = c->rto_deadline_ms;
    net_tcp_poll(&tcp, now_ms);
    assert_true(net_tcp_consistent(&tcp));
    assert_int_equal(tcp.stats.timeouts, 1);
    assert_int_equal(c->nsacked, 0);
    assert_int_equal(c->in_recovery, 0);
    assert_int_equal(sent(off, len, 16), 1);
    assert_int_equal(off[0], 5000);
    /* Its ACK lets out the next two, the data the peer had SACKed and dropped. */
    nout = 0;
    sack_ack(6000, 0, NULL);
    assert_int_equal(sent(off, len, 16), 2);
    assert_int_equal(off[0], 6000);
    assert_int_equal(off[1], 7000);
}

/* No new data to send (the application queued 12000 bytes, all in flight): a hole the
 * scoreboard does not call lost yet goes out anyway (NextSeg rule 3), since nothing sent
 * later could make the peer's ACKs name it. */
static void test_rule3_no_new_data(void **state)
{
    (void)state;
    int h = open_and_fill_n(1, 12000);
    struct net_tcp_conn *c = &tcp.c[h];
    uint32_t off[16], len[16];
    /* 4000 and 10000 lost. [5000, 10000) SACKed: recovery, 4000 again, and with nothing
     * SACKed above 10000 yet, the rescue of the last segment, 11000 (rule 4). */
    sack_ack(4000, 1, (const uint32_t[]){5000, 10000});
    assert_int_equal(c->in_recovery, 1);
    assert_int_equal(c->cwnd, 4000);
    assert_int_equal(sent(off, len, 16), 2);
    assert_int_equal(off[0], 4000);
    assert_int_equal(off[1], 11000);
    /* [11000, 12000) SACKed too. */
    nout = 0;
    sack_ack(4000, 2, (const uint32_t[]){11000, 12000, 5000, 10000});
    /* The hole at 10000 has 1000 bytes SACKed above it: not lost, but sent again. */
    assert_int_equal(sent(off, len, 16), 1);
    assert_int_equal(off[0], 10000);
    assert_int_equal(len[0], 1000);
    assert_int_equal(c->high_rxt, base + 11000);
}

/* The last segment lost and nothing to follow it: one rescue retransmission of it per
 * recovery (NextSeg rule 4), as soon as the first hole has gone out. */
static void test_rescue_tail(void **state)
{
    (void)state;
    int h = open_and_fill_n(1, 12000);
    struct net_tcp_conn *c = &tcp.c[h];
    uint32_t off[16], len[16];
    sack_ack(4000, 1, (const uint32_t[]){5000, 11000});
    assert_int_equal(c->in_recovery, 1);
    assert_int_equal(sent(off, len, 16), 2);
    assert_int_equal(off[0], 4000);
    assert_int_equal(off[1], 11000);
    assert_int_equal(c->rescued, 1);
    /* Another duplicate: no second rescue. */
    nout = 0;
    sack_ack(4000, 1, (const uint32_t[]){5000, 11500});
    assert_int_equal(sent(off, len, 16), 0);
    /* 4000 arrives: ACK 11500, partial; the scoreboard is empty and the rescue spent, so
     * nothing more goes out until the rescue's ACK (or the timer). */
    sack_ack(11500, 0, NULL);
    assert_int_equal(c->in_recovery, 1);
    assert_int_equal(sent(off, len, 16), 0);
    /* The rescue's ACK ends the recovery. */
    sack_ack(12000, 0, NULL);
    assert_int_equal(c->in_recovery, 0);
    assert_int_equal(c->slen, 0);
}

/* A peer whose SYN did not permit SACK: blocks it sends anyway are not looked at, and
 * recovery is NewReno's (cwnd = ssthresh + 3 MSS, one retransmission per partial ACK). */
static void test_no_sack_newreno(void **state)
{
    (void)state;
    int h = open_and_fill(0);
    struct net_tcp_conn *c = &tcp.c[h];
    uint32_t off[16], len[16];
    sack_ack(4000, 1, (const uint32_t[]){5000, 6000});
    sack_ack(4000, 1, (const uint32_t[]){5000, 7000});
    nout = 0;
    sack_ack(4000, 1, (const uint32_t[]){5000, 8000});
    assert_int_equal(c->nsacked, 0);
    assert_int_equal(tcp.stats.sack_blocks + tcp.stats.sack_bad, 0);
    assert_int_equal(c->in_recovery, 1);
    assert_int_equal(c->ssthresh, 5000);
    assert_int_equal(c->cwnd, 8000);
    assert_int_equal(sent(off, len, 16), 1);
    assert_int_equal(off[0], 4000);
    /* The partial ACK to 6000 retransmits 6000 at once (NewReno's next hole). */
    nout = 0;
    sack_ack(6000, 1, (const uint32_t[]){7000, 8000});
    assert_int_equal(sent(off, len, 16) >= 1, 1);
    assert_int_equal(off[0], 6000);
    assert_int_equal(tcp.stats.sack_recoveries, 0);
}

/* The scoreboard full: a new range above all others is the one forgotten, and one below
 * them pushes out the highest; ranges are never merged across a hole. */
static void test_scoreboard_full(void **state)
{
    (void)state;
    int h = open_and_fill(1);
    struct net_tcp_conn *c = &tcp.c[h];
    /* 8 segments in flight; blocks of 100 bytes every 200 from 4100 give disjoint ranges. */
    for (unsigned i = 0; i < NET_TCP_SACKED + 2u; i++) {
        uint32_t s = 4100 + 200 * (i + 1);
        sack_ack(4000, 1, (const uint32_t[]){s, s + 100});
    }
    assert_int_equal(c->nsacked, NET_TCP_SACKED);
    assert_int_equal(tcp.stats.sack_full, 2);
    assert_int_equal(c->sacked[NET_TCP_SACKED - 1u].start, base + 4100 + 200 * NET_TCP_SACKED);
    sack_ack(4000, 1, (const uint32_t[]){4100, 4200});
    assert_int_equal(c->nsacked, NET_TCP_SACKED);
    assert_int_equal(c->sacked[0].start, base + 4100);
    assert_int_equal(c->sacked[NET_TCP_SACKED - 1u].start, base + 4100 + 200 * (NET_TCP_SACKED - 1u));
    for (unsigned i = 1; i < c->nsacked; i++)
        assert_int_equal(c->sacked[i].start - c->sacked[i - 1].end, 100);
}

/* The option parser: one to four blocks, lengths that are not 2 + 8n or too long
 * skipped, only the first SACK option kept. */
static void test_parse_sack(void **state)
{
    (void)state;
    uint8_t h[60];
    net_tcp_opts o;
    memset(h, 0, sizeof h);
    h[20] = 1;
    h[21] = 1;
    h[22] = 5;
    h[23] = 34;
    for (unsigned i = 0; i < 8; i++)
        p32(h + 24 + 4 * i, 1000u * (i + 1));
    assert_int_equal(net_tcp_parse_options(h, 56, &o), NET_OK);
    assert_int_equal(o.nsack, 4);
    assert_int_equal(o.sack[0].start, 1000);
    assert_int_equal(o.sack[0].end, 2000);
    assert_int_equal(o.sack[3].start, 7000);
    assert_int_equal(o.sack[3].end, 8000);
    /* The option longer than the header: the scan ends, no blocks. */
    assert_int_equal(net_tcp_parse_options(h, 52, &o), NET_OK);
    assert_int_equal(o.nsack, 0);
    /* Length 18: two blocks. Length 17, 42 or 2: skipped. */
    h[23] = 18;
    assert_int_equal(net_tcp_parse_options(h, 56, &o), NET_OK);
    assert_int_equal(o.nsack, 2);
    assert_int_equal(o.sack[1].end, 4000);
    h[23] = 17;
    assert_int_equal(net_tcp_parse_options(h, 56, &o), NET_OK);
    assert_int_equal(o.nsack, 0);
    h[23] = 2;
    assert_int_equal(net_tcp_parse_options(h, 56, &o), NET_OK);
    assert_int_equal(o.nsack, 0);
    /* Two SACK options: the first counts. */
    memset(h + 20, 0, 40);
    h[20] = 5;
    h[21] = 10;
    p32(h + 22, 10);
    p32(h + 26, 20);
    h[30] = 5;
    h[31] = 10;
    p32(h + 32, 30);
    p32(h + 36, 40);
    assert_int_equal(net_tcp_parse_options(h, 44, &o), NET_OK);
    assert_int_equal(o.nsack, 1);
    assert_int_equal(o.sack[0].start, 10);
    assert_int_equal(o.sack[0].end, 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_holes_in_order, setup),
        cmocka_unit_test_setup(test_lost_by_bytes, setup),
        cmocka_unit_test_setup(test_bogus_blocks, setup),
        cmocka_unit_test_setup(test_renege, setup),
        cmocka_unit_test_setup(test_rule3_no_new_data, setup),
        cmocka_unit_test_setup(test_rescue_tail, setup),
        cmocka_unit_test_setup(test_no_sack_newreno, setup),
        cmocka_unit_test_setup(test_scoreboard_full, setup),
        cmocka_unit_test(test_parse_sack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
