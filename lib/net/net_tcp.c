/* net_tcp.c: TCP's state machine, segment output within the peer's window and the
 * congestion window, input into a fixed receive buffer with a bounded out-of-order
 * queue, the RFC 6298 timer and fast retransmit. Sequence numbers are compared modulo
 * 2^32 through signed differences. */
#include "net_tcp.h"

#include <string.h>

#define PROTO_TCP 6u
#define F_FIN 0x01u
#define F_SYN 0x02u
#define F_RST 0x04u
#define F_PSH 0x08u
#define F_ACK 0x10u
#define DEFAULT_MSS 536u /* RFC 9293 3.7.1, when the peer sends no option */

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LE(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) SEQ_LT(b, a)
#define SEQ_GE(a, b) SEQ_LE(b, a)
#define CWND_MAX NET_TCP_WINDOW_MAX /* the largest window a peer can offer */
#define WSCALE_MAX 14u               /* RFC 7323 2.3 */

static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffffu);
}

const char *net_tcp_state_name(net_tcp_state st)
{
    static const char *const n[] = {"closed", "syn-sent", "syn-rcvd", "established",
                                    "fin-wait-1", "fin-wait-2", "close-wait", "closing",
                                    "last-ack", "time-wait"};
    return (unsigned)st < sizeof n / sizeof n[0] ? n[st] : "unknown";
}

/* Both buffers are rings of NET_TCP_BUF bytes, so acknowledging or reading data moves
 * an index instead of the bytes behind it. */
static void ring_write(uint8_t *ring, uint32_t pos, const uint8_t *src, uint32_t n)
{
    pos %= NET_TCP_BUF;
    uint32_t first = NET_TCP_BUF - pos < n ? NET_TCP_BUF - pos : n;
    memcpy(ring + pos, src, first);
    if (n > first)
        memcpy(ring, src + first, n - first);
}

static void ring_read(const uint8_t *ring, uint32_t pos, uint8_t *dst, uint32_t n)
{
    pos %= NET_TCP_BUF;
    uint32_t first = NET_TCP_BUF - pos < n ? NET_TCP_BUF - pos : n;
    memcpy(dst, ring + pos, first);
    if (n > first)
        memcpy(dst + first, ring, n - first);
}

/* n bytes of send data from offset off past snd_base, contiguous: in place, or copied
 * into t->lin when they wrap around the ring's end. */
static const uint8_t *sbuf_span(net_tcp *t, const struct net_tcp_conn *c, uint32_t off,
                                uint32_t n)
{
    uint32_t pos = (c->shead + off) % NET_TCP_BUF;
    if (pos + n <= NET_TCP_BUF)
        return c->sbuf + pos;
    ring_read(c->sbuf, pos, t->lin, n);
    return t->lin;
}

/* Free space in the receive buffer: what can be stored past RCV.NXT. */
static uint32_t rcv_window(const struct net_tcp_conn *c) { return NET_TCP_BUF - c->rlen; }

/* The receive window as the peer may use it: what we last advertised, which scaled
 * rounding may put a few bytes past the free space. An acceptability test uses this, so
 * that nothing the peer may legally send is refused. */
static uint32_t rcv_window_offered(const struct net_tcp_conn *c)
{
    uint32_t w = rcv_window(c);
    uint32_t adv = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    return adv > w ? adv : w;
}

unsigned net_tcp_our_wscale(void)
{
    unsigned sh = 0;
    while (sh < WSCALE_MAX && (NET_TCP_BUF >> sh) > 0xffffu)
        sh++;
    return sh;
}

/* Bytes of the receive buffer held back from the scaled window offered: room for the
 * rounding below (RFC 7323 appendix F) to keep the right edge where it was. */
static uint32_t wnd_reserve(unsigned sh) { return sh ? 64u << sh : 0u; }

/* The window field of a segment we send, and RCV.ADV (the right edge it offers) moved
 * to match. A SYN's window is never scaled (RFC 7323 2.2). Otherwise the free space less
 * the reserve is shifted right by rcv_wscale, which rounds down; where that would put the
 * right edge left of the one offered before (RFC 9293 3.8.6.2.2: a receiver should not
 * shrink its window), the field is rounded up instead, which may move the edge up to
 * 2^rcv_wscale - 1 bytes on, into the reserve. Segments whose lengths are multiples of
 * 2^rcv_wscale (1448 and 1460 are, up to shift 2) never need it. Only when a peer's odd
 * segments have used up the whole reserve without the application reading is the edge
 * allowed back to the buffer's end (counted in wnd_shrunk): data offered is data stored. */
static uint16_t wnd_field(net_tcp *t, struct net_tcp_conn *c, bool syn)
{
    uint32_t room = rcv_window(c);
    if (syn) {
        uint32_t f = room > 0xffffu ? 0xffffu : room;
        c->rcv_adv = c->rcv_nxt + f;
        return (uint16_t)f;
    }
    unsigned sh = c->rcv_wscale;
    uint32_t res = wnd_reserve(sh);
    uint32_t w = room > res ? room - res : 0;
    uint32_t f = w >> sh;
    if (f > 0xffffu)
        f = 0xffffu;
    uint32_t cur = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    if ((f << sh) < cur) {
        uint32_t up = (cur + (1u << sh) - 1u) >> sh;
        if (up <= 0xffffu && (up << sh) <= room) {
            f = up;
        } else {
            f = room >> sh;
            t->stats.wnd_shrunk++;
        }
    }
    c->rcv_adv = c->rcv_nxt + (f << sh);
    return (uint16_t)f;
}

/* One segment; olen bytes of options (a multiple of 4, at most 40) follow the header,
 * and the payload (n bytes) is copied after them. */
static void send_seg(net_tcp *t, uint32_t rip, uint16_t lport, uint16_t rport, uint32_t seq,
                     uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *data, size_t n,
                     const uint8_t *opt, size_t olen)
{
    uint8_t *seg = t->seg;
    size_t hl = 20u + olen;
    if (n > NET_TCP_MSS)
        n = NET_TCP_MSS;
    put16(seg, lport);
    put16(seg + 2, rport);
    put32(seg + 4, seq);
    put32(seg + 8, ack);
    seg[12] = (uint8_t)((hl / 4u) << 4);
    seg[13] = flags;
    put16(seg + 14, wnd);
    put16(seg + 16, 0);
    put16(seg + 18, 0);
    if (olen)
        memcpy(seg + 20, opt, olen);
    if (n)
        memcpy(seg + hl, data, n);
    uint32_t src = t->s->ip, len = (uint32_t)(hl + n);
    uint32_t sum = (src >> 16) + (src & 0xffffu) + (rip >> 16) + (rip & 0xffffu) + PROTO_TCP + len;
    put16(seg + 16, net_checksum(seg, len, sum));
    /* A segment lost here (no ARP answer, link error) is the retransmission timer's. */
    (void)net_ip_send(t->s, 0, rip, PROTO_TCP, seg, len);
}

/* RFC 2018 3: the SACK option for an ACK, up to 4 blocks (no timestamps share the
 * header): first the range holding the segment that arrived last, then the others in
 * sequence order. Returns the option's length with its two leading NOPs. */
static size_t sack_blocks(const struct net_tcp_conn *c, uint8_t *opt)
{
    unsigned first = c->nooo;
    for (unsigned i = 0; i < c->nooo; i++)
        if (SEQ_LE(c->ooo[i].start, c->ooo_recent) && SEQ_LT(c->ooo_recent, c->ooo[i].end))
            first = i;
    size_t o = 4;
    if (first < c->nooo) {
        put32(opt + o, c->ooo[first].start);
        put32(opt + o + 4, c->ooo[first].end);
        o += 8;
    }
    for (unsigned i = 0; i < c->nooo && o < 4u + 4u * 8u; i++) {
        if (i == first)
            continue;
        put32(opt + o, c->ooo[i].start);
        put32(opt + o + 4, c->ooo[i].end);
        o += 8;
    }
    opt[0] = 1;
    opt[1] = 1;
    opt[2] = 5;
    opt[3] = (uint8_t)(o - 2u);
    return o;
}

static void send_ctl(net_tcp *t, struct net_tcp_conn *c, uint32_t seq, uint8_t flags)
{
    c->delack = 0; /* this segment acknowledges all we have */
    bool syn = (flags & F_SYN) != 0;
    uint8_t opt[40];
    size_t olen = 0;
    if (syn) {
        opt[0] = 2;
        opt[1] = 4;
        put16(opt + 2, NET_TCP_MSS);
        olen = 4;
        /* RFC 7323 2.2: always on our SYN; on a SYN-ACK only if the peer's SYN had it. */
        if (!(flags & F_ACK) || c->wscale_ok) {
            opt[olen] = 1;
            opt[olen + 1] = 3;
            opt[olen + 2] = 3;
            opt[olen + 3] = c->rcv_wscale;
            olen += 4;
        }
        /* RFC 2018 2: SACK-permitted likewise, or a peer never permits our SACK blocks
         * (nor, without it, sends us its own). */
        if (!(flags & F_ACK) || c->sack_ok) {
            opt[olen] = 1;
            opt[olen + 1] = 1;
            opt[olen + 2] = 4;
            opt[olen + 3] = 2;
            olen += 4;
        }
    } else if (flags == F_ACK && c->sack_ok && c->nooo > 0) {
        olen = sack_blocks(c, opt);
    }
    uint16_t wnd = wnd_field(t, c, syn);
    send_seg(t, c->rip, c->lport, c->rport, seq, c->rcv_nxt, flags, wnd, NULL, 0, opt, olen);
}

static void send_ack(net_tcp *t, struct net_tcp_conn *c) { send_ctl(t, c, c->snd_nxt, F_ACK); }

static void arm(net_tcp *t, struct net_tcp_conn *c)
{
    if (c->rto_deadline_ms == 0)
        c->rto_deadline_ms = t->s->now_ms + c->rto_ms;
}

static void rearm(net_tcp *t, struct net_tcp_conn *c)
{
    c->rto_deadline_ms = 0;
    arm(t, c);
}

/* RFC 5681 3.1: the initial window, once the peer's MSS is known. */
static void cc_init(struct net_tcp_conn *c)
{
    uint32_t m = c->mss;
    uint32_t iw = 2u * m > 4380u ? 2u * m : 4380u;
    c->cwnd = iw < 4u * m ? iw : 4u * m;
    c->ssthresh = CWND_MAX;
    c->recover = c->iss; /* RFC 6582 3.2 step 1 */
    c->snd_max = c->snd_nxt;
    c->dupacks = 0;
    c->in_recovery = 0;
}

static uint32_t half_flight(const struct net_tcp_conn *c)
{
    uint32_t f = (c->snd_max - c->snd_una) / 2u, floor = 2u * c->mss;
    return f > floor ? f : floor;
}

static void conn_closed(struct net_tcp_conn *c, net_err why)
{
    c->state = NET_TCP_CLOSED;
    c->err = why;
    c->rto_deadline_ms = 0;
    if (c->in_use == 2)
        c->in_use = 0; /* a passive open nobody accepted yet: nobody to tell */
}

static uint32_t sack_pipe(const struct net_tcp_conn *c);

/* New data and the FIN, as far as the peer's window allows. */
static void output(net_tcp *t, struct net_tcp_conn *c)
{
    if (c->state != NET_TCP_ESTABLISHED && c->state != NET_TCP_CLOSE_WAIT &&
        c->state != NET_TCP_FIN_WAIT_1 && c->state != NET_TCP_LAST_ACK &&
        c->state != NET_TCP_CLOSING)
        return;
    for (unsigned k = 0; k < NET_TCP_BUF / DEFAULT_MSS + 2u; k++) {
        uint32_t off = c->snd_nxt - c->snd_base;
        if (off > c->slen)
            return; /* the FIN is out already */
        uint32_t avail = c->slen - off;
        /* RFC 3042 limited transmit: a segment more for each of the first two duplicate
         * ACKs, so that a small window still yields the third. */
        uint32_t cw = c->cwnd;
        if (!c->in_recovery && c->dupacks < NET_TCP_DUPACK_THRESH)
            cw += (uint32_t)c->dupacks * c->mss;
        uint32_t edge = c->snd_una + (c->snd_wnd < cw ? c->snd_wnd : cw);
        if (c->in_recovery && c->sack_ok) {
            /* RFC 6675: in a SACK recovery new data too goes out only while the pipe
             * leaves a segment of cwnd, within the peer's window. */
            uint32_t p = sack_pipe(c);
            uint32_t room = c->cwnd > p ? c->cwnd - p : 0;
            if (room < c->mss && room < avail)
                room = 0;
            uint32_t wedge = c->snd_una + c->snd_wnd, cedge = c->snd_nxt + room;
            edge = SEQ_LT(wedge, cedge) ? wedge : cedge;
        }
        uint32_t usable = SEQ_LT(c->snd_nxt, edge) ? edge - c->snd_nxt : 0;
        uint32_t n = avail < usable ? avail : usable;
        if (n > c->mss)
            n = c->mss;
        if (n == 0) {
            if (avail == 0 && c->fin_queued && !c->fin_sent) {
                send_ctl(t, c, c->snd_nxt, F_FIN | F_ACK);
                c->snd_nxt++;
                if (SEQ_GT(c->snd_nxt, c->snd_max))
                    c->snd_max = c->snd_nxt;
                c->fin_sent = 1;
                arm(t, c);
            } else if (avail > 0 && c->snd_wnd == 0) {
                arm(t, c); /* the timer probes the zero window */
            }
            return;
        }
        if (!c->timing) {
            c->timing = 1;
            c->rtt_seq = c->snd_nxt;
            c->rtt_start_ms = t->s->now_ms;
        }
        send_seg(t, c->rip, c->lport, c->rport, c->snd_nxt, c->rcv_nxt, F_ACK | F_PSH,
                 wnd_field(t, c, false), sbuf_span(t, c, off, n), n, NULL, 0);
        c->delack = 0; /* the ACK rode on the data */
        c->snd_nxt += n;
        if (SEQ_GT(c->snd_nxt, c->snd_max))
            c->snd_max = c->snd_nxt;
        arm(t, c);
    }
}

/* Sent data from seq again, at most max bytes and one segment, or the FIN when seq is
 * its sequence number. Returns the sequence space sent (0 when there was nothing). */
static uint32_t retransmit_seg(net_tcp *t, struct net_tcp_conn *c, uint32_t seq, uint32_t max)
{
    uint32_t off = seq - c->snd_base;
    t->stats.retransmits++;
    c->timing = 0; /* Karn: no sample from a segment sent twice */
    if (off < c->slen) {
        uint32_t n = c->slen - off;
        if (n > c->mss)
            n = c->mss;
        if (n > max)
            n = max;
        send_seg(t, c->rip, c->lport, c->rport, seq, c->rcv_nxt, F_ACK | F_PSH,
                 wnd_field(t, c, false), sbuf_span(t, c, off, n), n, NULL, 0);
        return n;
    }
    if (c->fin_sent && off == c->slen) {
        send_ctl(t, c, seq, F_FIN | F_ACK);
        return 1;
    }
    return 0;
}

/* The oldest unacknowledged segment again (fast retransmit, a partial ACK), or the FIN
 * when only it is outstanding. */
static void retransmit_first(net_tcp *t, struct net_tcp_conn *c)
{
    (void)retransmit_seg(t, c, c->snd_una, c->mss);
}

/* SACK, the sending side. The scoreboard (c->sacked) says which bytes above SND.UNA
 * the peer holds; the gaps between its ranges are the holes. It only steers what is
 * sent again: send data is freed by the cumulative ACK alone (RFC 2018 8: a receiver
 * may discard what it SACKed), and a timeout forgets it (RFC 6675 5.1). */

/* Forgets what the cumulative ACK una has passed. */
static void sack_trim(struct net_tcp_conn *c, uint32_t una)
{
    unsigned k = 0;
    for (unsigned i = 0; i < c->nsacked; i++) {
        struct net_tcp_range r = c->sacked[i];
        if (SEQ_LE(r.end, una))
            continue;
        if (SEQ_LT(r.start, una))
            r.start = una;
        c->sacked[k++] = r;
    }
    c->nsacked = (uint8_t)k;
}

static uint32_t sack_total(const struct net_tcp_conn *c)
{
    uint32_t n = 0;
    for (unsigned i = 0; i < c->nsacked; i++)
        n += c->sacked[i].end - c->sacked[i].start;
    return n;
}

/* Adds [s, e) (checked by the caller) merged with the ranges it overlaps or touches; the
 * list is built apart, as in ooo_insert. With the scoreboard full the highest range is
 * forgotten: a range forgotten costs at most a needless retransmission, while ranges
 * merged across a hole would hide a loss until the timeout. */
static void sack_add(net_tcp *t, struct net_tcp_conn *c, uint32_t s, uint32_t e)
{
    struct net_tcp_range m[NET_TCP_SACKED + 1u];
    unsigned k = 0;
    bool placed = false;
    for (unsigned i = 0; i < c->nsacked; i++) {
        struct net_tcp_range r = c->sacked[i];
        if (SEQ_LT(r.end, s)) {
            m[k++] = r;
        } else if (SEQ_GT(r.start, e)) {
            if (!placed) {
                m[k].start = s;
                m[k++].end = e;
                placed = true;
            }
            m[k++] = r;
        } else {
            if (SEQ_LT(r.start, s))
                s = r.start;
            if (SEQ_GT(r.end, e))
                e = r.end;
        }
    }
    if (!placed) {
        m[k].start = s;
        m[k++].end = e;
    }
    if (k > NET_TCP_SACKED) {
        t->stats.sack_full++;
        k = NET_TCP_SACKED;
    }
    memcpy(c->sacked, m, k * sizeof m[0]);
    c->nsacked = (uint8_t)k;
}

/* The blocks of an acceptable ACK into the scoreboard, una being SND.UNA after that ACK.
 * A block counts only inside [una, SND.MAX] with start before end: a D-SACK block
 * (RFC 2883) below una, a reversed or empty one, or one naming what we never sent is
 * ignored. Returns the bytes newly SACKed. */
static uint32_t sack_update(net_tcp *t, struct net_tcp_conn *c, const net_tcp_opts *o,
                            uint32_t una)
{
    uint32_t before = sack_total(c);
    for (unsigned b = 0; b < o->nsack && b < NET_TCP_SACK_BLOCKS; b++) {
        uint32_t s = o->sack[b].start, e = o->sack[b].end;
        if (!SEQ_LT(s, e) || SEQ_LT(s, una) || SEQ_GT(e, c->snd_max)) {
            t->stats.sack_bad++;
            continue;
        }
        t->stats.sack_blocks++;
        sack_add(t, c, s, e);
    }
    uint32_t after = sack_total(c);
    return after > before ? after - before : 0;
}

/* RFC 6675 IsLost: the hole at seq is taken as lost once DupThresh ranges, or more than
 * DupThresh - 1 segments of bytes, have been SACKed above it. */
static bool sack_is_lost(const struct net_tcp_conn *c, uint32_t seq)
{
    uint32_t bytes = 0;
    unsigned ranges = 0;
    for (unsigned i = 0; i < c->nsacked; i++) {
        const struct net_tcp_range *r = &c->sacked[i];
        if (!SEQ_GT(r->end, seq))
            continue;
        bytes += r->end - (SEQ_GT(r->start, seq) ? r->start : seq);
        if (SEQ_GT(r->start, seq))
            ranges++;
    }
    return ranges >= NET_TCP_DUPACK_THRESH ||
           bytes > (NET_TCP_DUPACK_THRESH - 1u) * (uint32_t)c->mss;
}

/* RFC 6675 SetPipe, by ranges rather than segments: the bytes not SACKed between SND.UNA
 * and SND.MAX, counted once unless their hole is lost, and once more where they were
 * retransmitted in this recovery (below high_rxt). Every byte of a hole has the same
 * SACKed bytes above it, so IsLost is asked once per hole. */
static uint32_t sack_pipe(const struct net_tcp_conn *c)
{
    uint32_t pipe = 0, pos = c->snd_una;
    for (unsigned i = 0; i <= c->nsacked; i++) {
        uint32_t end = i < c->nsacked ? c->sacked[i].start : c->snd_max;
        if (SEQ_LT(pos, end)) {
            if (!sack_is_lost(c, pos))
                pipe += end - pos;
            if (SEQ_GT(c->high_rxt, pos))
                pipe += (SEQ_LT(c->high_rxt, end) ? c->high_rxt : end) - pos;
        }
        if (i < c->nsacked)
            pos = c->sacked[i].end;
    }
    return pipe;
}

/* RFC 6675 NextSeg rules 1 and 3: the lowest byte above high_rxt in a hole below the
 * highest SACKed byte, and how much of the hole follows it; with lost, only in a hole
 * IsLost calls lost (rule 1: IsLost only weakens going up, so the first hole that is not
 * lost ends the search). */
static bool sack_next_hole(const struct net_tcp_conn *c, bool lost, uint32_t *seq, uint32_t *len)
{
    uint32_t pos = c->snd_una;
    for (unsigned i = 0; i < c->nsacked; i++) {
        uint32_t hs = pos, he = c->sacked[i].start;
        pos = c->sacked[i].end;
        if (SEQ_GT(c->high_rxt, hs))
            hs = c->high_rxt;
        if (!SEQ_LT(hs, he))
            continue;
        if (lost && !sack_is_lost(c, hs))
            return false;
        *seq = hs;
        *len = he - hs;
        return true;
    }
    return false;
}

/* RFC 6675 5 step (C): while the pipe leaves a segment of cwnd, segments chosen by
 * NextSeg: lost holes lowest first (rule 1), then new data (rule 2, output() under the
 * same bound), then holes not yet called lost (rule 3: with no new data to send, nothing
 * else will make the peer's ACKs name them), then once per recovery the last segment
 * sent, when nothing above it was SACKed (rule 4, the rescue: a lost tail produces no
 * duplicate ACKs at all). */
static void sack_recover(net_tcp *t, struct net_tcp_conn *c)
{
    for (unsigned rule = 1; rule <= 3; rule += 2) { /* rules 1 and 3; rule 2 between */
        for (unsigned k = 0; k < NET_TCP_BUF / DEFAULT_MSS + 2u; k++) {
            uint32_t p = sack_pipe(c), s, n;
            if (c->cwnd < p || c->cwnd - p < c->mss)
                return;
            if (!sack_next_hole(c, rule == 1, &s, &n))
                break;
            uint32_t sent = retransmit_seg(t, c, s, n);
            if (sent == 0)
                return;
            t->stats.sack_rexmits++;
            c->high_rxt = s + sent;
        }
        if (rule == 1)
            output(t, c);
    }
    uint32_t top = c->nsacked ? c->sacked[c->nsacked - 1u].end : c->snd_una;
    uint32_t p = sack_pipe(c);
    if (c->rescued || !SEQ_LT(top, c->snd_max) || c->cwnd < p || c->cwnd - p < c->mss)
        return;
    uint32_t tail = c->snd_max - top, n = tail < c->mss ? tail : c->mss;
    uint32_t s = c->snd_max - n;
    if (SEQ_LT(s, c->high_rxt) || SEQ_LT(s, c->snd_una))
        return; /* already sent again in this recovery */
    c->rescued = 1;
    /* A FIN at snd_max - 1 goes alone: retransmit_seg sends data or the FIN. */
    if (retransmit_seg(t, c, s, n) > 0)
        t->stats.sack_rexmits++;
}

/* A new cumulative ACK of `acked` bytes (RFC 5681 3.1, RFC 6582 3.2 steps 3 and 5). */
static void cc_ack(net_tcp *t, struct net_tcp_conn *c, uint32_t acked)
{
    uint32_t m = c->mss;
    if (c->in_recovery && c->sack_ok) {
        /* RFC 6675: cwnd stays ssthresh throughout; the holes follow from the scoreboard
         * (sack_recover), and recovery ends at RecoveryPoint (recover). */
        if (SEQ_GE(c->snd_una, c->recover)) {
            c->in_recovery = 0;
            c->dupacks = 0;
            c->cwnd = c->ssthresh;
        } else {
            t->stats.partial_acks++;
        }
        return;
    }
    if (c->in_recovery) {
        if (SEQ_GE(c->snd_una, c->recover)) { /* full ACK: deflate to ssthresh */
            uint32_t fl = c->snd_max - c->snd_una;
            uint32_t w = (fl > m ? fl : m) + m;
            c->cwnd = w < c->ssthresh ? w : c->ssthresh;
            c->in_recovery = 0;
            c->dupacks = 0;
        } else { /* partial ACK: the next hole is lost too */
            t->stats.partial_acks++;
            retransmit_first(t, c);
            c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
            if (acked >= m)
                c->cwnd += m;
            if (c->cwnd < m)
                c->cwnd = m;
            rearm(t, c);
        }
        return;
    }
    c->dupacks = 0;
    if (c->cwnd < c->ssthresh)
        c->cwnd += acked < m ? acked : m; /* slow start */
    else
        c->cwnd += (m * m / c->cwnd) ? m * m / c->cwnd : 1u; /* congestion avoidance */
    if (c->cwnd > CWND_MAX)
        c->cwnd = CWND_MAX;
}

/* A duplicate ACK (RFC 5681 3.2, RFC 6582 3.2 steps 1, 2 and 4). */
static void cc_dupack(net_tcp *t, struct net_tcp_conn *c)
{
    t->stats.dup_acks++;
    if (c->sack_ok) {
        /* RFC 6675 5: DupThresh duplicates, or a hole the scoreboard already calls lost,
         * start recovery (not for what a timeout's go-back-N sent, nor while snd_nxt is
         * still below what was sent before it). */
        if (c->in_recovery)
            return;
        if (c->dupacks < 255u)
            c->dupacks++;
        if ((c->dupacks < NET_TCP_DUPACK_THRESH && !sack_is_lost(c, c->snd_una)) ||
            SEQ_LT(c->snd_una, c->recover) || c->snd_nxt != c->snd_max)
            return;
        t->stats.fast_retransmits++;
        t->stats.sack_recoveries++;
        c->ssthresh = half_flight(c);
        c->cwnd = c->ssthresh;
        c->recover = c->snd_max;
        c->in_recovery = 1;
        c->rescued = 0;
        c->high_rxt = c->snd_una + retransmit_seg(t, c, c->snd_una, c->mss);
        rearm(t, c);
        return;
    }
    if (c->in_recovery) {
        c->cwnd += c->mss; /* a segment has left the network */
        if (c->cwnd > CWND_MAX)
            c->cwnd = CWND_MAX;
        return;
    }
    if (c->dupacks < 255u)
        c->dupacks++;
    /* After a timeout, duplicates of what was sent before it start no recovery. */
    if (c->dupacks != NET_TCP_DUPACK_THRESH || SEQ_LT(c->snd_una, c->recover))
        return;
    t->stats.fast_retransmits++;
    c->ssthresh = half_flight(c);
    c->recover = c->snd_max;
    c->in_recovery = 1;
    retransmit_first(t, c);
    c->cwnd = c->ssthresh + 3u * c->mss;
    rearm(t, c);
}

/* Stores out-of-order bytes [seq, seq + n) (all inside the receive window) and records
 * the range, merged with those it overlaps or touches. A segment that would need a range
 * more than NET_TCP_OOO is dropped; the peer sends it again. The new list is built apart
 * and copied back: placing a range in the middle shifts the rest one place on, which
 * done in place would overwrite a range before it was read (a range lost is data the
 * peer was told we hold, and would only send again after its retransmission timer). */
static bool ooo_insert(net_tcp *t, struct net_tcp_conn *c, uint32_t seq, const uint8_t *d,
                       uint32_t n)
{
    uint32_t s = seq, e = seq + n;
    unsigned keep = 0;
    for (unsigned i = 0; i < c->nooo; i++)
        if (SEQ_LT(c->ooo[i].end, s) || SEQ_GT(c->ooo[i].start, e))
            keep++;
    if (keep + 1u > NET_TCP_OOO) {
        t->stats.ooo_dropped++;
        return false;
    }
    ring_write(c->rbuf, (uint32_t)c->rhead + c->rlen + (seq - c->rcv_nxt), d, n);
    struct net_tcp_range merged[NET_TCP_OOO];
    unsigned k = 0;
    bool placed = false;
    for (unsigned i = 0; i < c->nooo; i++) {
        uint32_t rs = c->ooo[i].start, re = c->ooo[i].end;
        if (SEQ_LT(re, s)) { /* wholly before: stays */
            merged[k].start = rs;
            merged[k++].end = re;
        } else if (SEQ_GT(rs, e)) { /* wholly after: the new range goes first */
            if (!placed) {
                merged[k].start = s;
                merged[k++].end = e;
                placed = true;
            }
            merged[k].start = rs;
            merged[k++].end = re;
        } else { /* overlaps or touches: absorbed */
            if (SEQ_LT(rs, s))
                s = rs;
            if (SEQ_GT(re, e))
                e = re;
        }
    }
    if (!placed) {
        merged[k].start = s;
        merged[k++].end = e;
    }
    memcpy(c->ooo, merged, k * sizeof merged[0]);
    c->nooo = (uint8_t)k;
    c->ooo_recent = seq;
    t->stats.ooo_queued++;
    return true;
}

/* After in-order data advanced rcv_nxt: ranges it reached are in order now. */
static void ooo_pull(struct net_tcp_conn *c)
{
    while (c->nooo > 0 && SEQ_LE(c->ooo[0].start, c->rcv_nxt)) {
        if (SEQ_GT(c->ooo[0].end, c->rcv_nxt)) {
            uint32_t adv = c->ooo[0].end - c->rcv_nxt;
            c->rlen += adv;
            c->rcv_nxt = c->ooo[0].end;
        }
        c->nooo--;
        memmove(&c->ooo[0], &c->ooo[1], c->nooo * sizeof c->ooo[0]);
    }
}


static void rtt_sample(net_tcp *t, struct net_tcp_conn *c, uint32_t ack)
{
    if (!c->timing || !SEQ_GT(ack, c->rtt_seq))
        return;
    c->timing = 0;
    uint64_t r64 = t->s->now_ms - c->rtt_start_ms;
    uint32_t r = r64 > 600000u ? 600000u : (uint32_t)r64;
    t->stats.rtt_samples++;
    if (c->srtt_ms == 0 && c->rttvar_ms == 0) { /* RFC 6298 2.2 */
        c->srtt_ms = r ? r : 1;
        c->rttvar_ms = r / 2;
    } else { /* 2.3, alpha 1/8, beta 1/4 */
        uint32_t d = c->srtt_ms > r ? c->srtt_ms - r : r - c->srtt_ms;
        c->rttvar_ms = (3u * c->rttvar_ms + d) / 4u;
        c->srtt_ms = (7u * c->srtt_ms + r) / 8u;
        if (c->srtt_ms == 0)
            c->srtt_ms = 1;
    }
    uint32_t k = 4u * c->rttvar_ms;
    uint32_t rto = c->srtt_ms + (k > 1u ? k : 1u); /* G, the clock's granularity, is 1 ms */
    if (rto < NET_TCP_RTO_MIN_MS)
        rto = NET_TCP_RTO_MIN_MS;
    if (rto > NET_TCP_RTO_MAX_MS)
        rto = NET_TCP_RTO_MAX_MS;
    c->rto_ms = rto;
}

/* SYN_RCVD to ESTABLISHED: the peer acknowledged our SYN (ack is ISS+1, checked). */
static void syn_rcvd_acked(net_tcp *t, struct net_tcp_conn *c, uint32_t ack, uint32_t win)
{
    rtt_sample(t, c, ack);
    c->snd_una = ack;
    c->snd_wnd = win;
    if (win > c->max_snd_wnd)
        c->max_snd_wnd = win;
    c->retries = 0;
    c->rto_deadline_ms = 0;
    c->state = NET_TCP_ESTABLISHED;
}

net_err net_tcp_parse_options(const uint8_t *p, size_t doff, net_tcp_opts *o)
{
    if (!p || !o || doff < 20 || doff > 60)
        return NET_ERR_ARG;
    memset(o, 0, sizeof *o);
    o->mss = DEFAULT_MSS;
    size_t i = 20;
    while (i < doff) { /* each step consumes at least one byte */
        uint8_t kind = p[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= doff || p[i + 1] < 2 || i + p[i + 1] > doff)
            break;
        uint8_t olen = p[i + 1];
        /* The first of a repeated option counts; one of the wrong length is skipped. */
        if (kind == 2 && olen == 4 && !o->has_mss) {
            uint16_t m = get16(p + i + 2);
            o->mss = m < 64u ? 64u : m;
            o->has_mss = 1;
        } else if (kind == 4 && olen == 2) {
            o->has_sack_perm = 1;
        } else if (kind == 5 && olen >= 10 && (olen - 2u) % 8u == 0 &&
                   (olen - 2u) / 8u <= NET_TCP_SACK_BLOCKS && o->nsack == 0) {
            /* RFC 2018 3: n blocks of two 32-bit edges. Their sense is judged where the
             * connection is known (sack_update). */
            o->nsack = (uint8_t)((olen - 2u) / 8u);
            for (unsigned b = 0; b < o->nsack; b++) {
                o->sack[b].start = get32(p + i + 2 + 8u * b);
                o->sack[b].end = get32(p + i + 6 + 8u * b);
            }
        } else if (kind == 3 && olen == 3 && !o->has_wscale) {
            o->has_wscale = 1;
            o->wscale_sent = p[i + 2];
            o->wscale = p[i + 2] > WSCALE_MAX ? (uint8_t)WSCALE_MAX : p[i + 2];
        }
        i += olen;
    }
    return NET_OK;
}

/* A SYN's options into c: the peer's MSS, and window scaling if the SYN offers it (for
 * a SYN-ACK, our SYN offered it too: it always does). */
static void take_syn_options(net_tcp *t, struct net_tcp_conn *c, const uint8_t *p, size_t doff)
{
    net_tcp_opts o;
    if (net_tcp_parse_options(p, doff, &o) != NET_OK) { /* doff was checked by the caller */
        o.mss = DEFAULT_MSS;
        o.has_wscale = 0;
        o.has_sack_perm = 0;
    }
    c->mss = o.mss < NET_TCP_MSS ? o.mss : (uint16_t)NET_TCP_MSS;
    c->sack_ok = o.has_sack_perm; /* our ACKs may carry SACK blocks (RFC 2018 2) */
    if (o.has_wscale) {
        if (o.wscale_sent > WSCALE_MAX)
            t->stats.wscale_clamped++; /* RFC 7323 2.3: "log the error", use 14 */
        c->wscale_ok = 1;
        c->snd_wscale = o.wscale;
        c->rcv_wscale = (uint8_t)net_tcp_our_wscale();
    } else {
        c->wscale_ok = 0;
        c->snd_wscale = 0;
        c->rcv_wscale = 0;
    }
}

static struct net_tcp_conn *find(net_tcp *t, uint32_t rip, uint16_t rport, uint16_t lport)
{
    for (size_t i = 0; i < NET_TCP_CONNS; i++) {
        struct net_tcp_conn *c = &t->c[i];
        if (c->in_use && c->state != NET_TCP_CLOSED && c->rip == rip && c->rport == rport &&
            c->lport == lport)
            return c;
    }
    return NULL;
}

static struct net_tcp_conn *alloc(net_tcp *t)
{
    for (size_t i = 0; i < NET_TCP_CONNS; i++)
        if (!t->c[i].in_use) {
            memset(&t->c[i], 0, sizeof t->c[i]);
            return &t->c[i];
        }
    return NULL;
}

/* A slot for a new passive open. Half-open connections are capped at NET_TCP_HALF_OPEN
 * and, at the cap or with the table full, the oldest of them makes room: a SYN flood
 * churns through those slots and never takes an established connection's. */
static struct net_tcp_conn *alloc_passive(net_tcp *t)
{
    struct net_tcp_conn *oldest = NULL;
    unsigned half = 0;
    for (size_t i = 0; i < NET_TCP_CONNS; i++) {
        struct net_tcp_conn *c = &t->c[i];
        if (c->in_use == 2 && c->state == NET_TCP_SYN_RCVD) {
            half++;
            if (!oldest || c->opened_ms < oldest->opened_ms)
                oldest = c;
        }
    }
    struct net_tcp_conn *c = half < NET_TCP_HALF_OPEN ? alloc(t) : NULL;
    if (!c && oldest) {
        t->stats.half_open_evicted++;
        memset(oldest, 0, sizeof *oldest);
        c = oldest;
    }
    return c;
}

static uint32_t random32(net_tcp *t)
{
    uint8_t r[4];
    t->s->link.random(t->s->link.ctx, r, 4);
    return get32(r);
}

/* SipHash-2-4 (Aumasson and Bernstein) of one message, written from the algorithm's
 * description: the keyed hash F of RFC 6528. */
static uint64_t rotl64(uint64_t x, unsigned b) { return (x << b) | (x >> (64u - b)); }

static void sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = rotl64(v[1], 13) ^ v[0];
    v[0] = rotl64(v[0], 32);
    v[2] += v[3];
    v[3] = rotl64(v[3], 16) ^ v[2];
    v[0] += v[3];
    v[3] = rotl64(v[3], 21) ^ v[0];
    v[2] += v[1];
    v[1] = rotl64(v[1], 17) ^ v[2];
    v[2] = rotl64(v[2], 32);
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8u * i);
    return v;
}

static uint64_t siphash24(const uint8_t key[16], const uint8_t *m, size_t len)
{
    uint64_t k0 = le64(key), k1 = le64(key + 8);
    uint64_t v[4] = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
                     k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t w = le64(m + i);
        v[3] ^= w;
        sip_round(v);
        sip_round(v);
        v[0] ^= w;
    }
    uint64_t last = (uint64_t)(len & 0xffu) << 56;
    for (size_t i = full; i < len; i++)
        last |= (uint64_t)m[i] << (8u * (i - full));
    v[3] ^= last;
    sip_round(v);
    sip_round(v);
    v[0] ^= last;
    v[2] ^= 0xff;
    for (unsigned r = 0; r < 4; r++)
        sip_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* RFC 6528: ISN = M + F(local address, local port, remote address, remote port, key),
 * M a clock ticking every 4 us (here the millisecond clock times 250) and F a keyed hash
 * whose key came from the random source at net_tcp_init. A new incarnation of the same
 * 4-tuple starts above the old one; another tuple's ISN cannot be guessed from ours. */
static uint32_t isn_for(const net_tcp *t, uint32_t rip, uint16_t lport, uint16_t rport)
{
#ifdef NET_FUZZ_ZERO_ISN
    /* The frame fuzzer's seeds answer ISN 0; a hashed ISN would hide both handshakes. */
    (void)t;
    (void)rip;
    (void)lport;
    (void)rport;
    return 0;
#endif
    uint8_t m[12];
    put32(m, t->s->ip);
    put16(m + 4, lport);
    put32(m + 6, rip);
    put16(m + 10, rport);
    uint32_t f = (uint32_t)siphash24(t->isn_key, m, sizeof m);
    return (uint32_t)(t->s->now_ms * 250u) + f;
}

static void reset_reply(net_tcp *t, uint32_t rip, uint16_t rport, uint16_t lport, uint32_t seq,
                        uint32_t ack, uint8_t flags, size_t dlen)
{
    t->stats.rst_sent++;
    if (flags & F_ACK) {
        send_seg(t, rip, lport, rport, ack, 0, F_RST, 0, NULL, 0, NULL, 0);
    } else {
        uint32_t a = seq + (uint32_t)dlen + ((flags & F_SYN) ? 1u : 0u) + ((flags & F_FIN) ? 1u : 0u);
        send_seg(t, rip, lport, rport, 0, a, F_RST | F_ACK, 0, NULL, 0, NULL, 0);
    }
}

static bool listening(const net_tcp *t, uint16_t port)
{
    for (size_t i = 0; i < NET_TCP_LISTENERS; i++)
        if (t->listen[i] == port)
            return true;
    return false;
}

static void enter_time_wait(net_tcp *t, struct net_tcp_conn *c)
{
    c->state = NET_TCP_TIME_WAIT;
    c->rto_deadline_ms = 0;
    c->tw_deadline_ms = t->s->now_ms + NET_TCP_TIME_WAIT_MS;
}

static void tcp_input(void *ctx, uint32_t src, uint32_t dst, const uint8_t *p, size_t len)
{
    net_tcp *t = ctx;
    net_stack *s = t->s;
    t->stats.rx++;
    if (len < 20) {
        t->stats.bad++;
        return;
    }
    size_t doff = (size_t)(p[12] >> 4) * 4u;
    if (doff < 20 || doff > len) {
        t->stats.bad++;
        return;
    }
    uint32_t sum = (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) + PROTO_TCP +
                   (uint32_t)len;
    if (NET_CSUM_BAD(net_checksum(p, len, sum))) {
        t->stats.bad_checksum++;
        return;
    }
    if (s->ip == 0 || dst != s->ip) {
        t->stats.dropped++;
        return;
    }
    uint16_t sport = get16(p), dport = get16(p + 2);
    uint32_t seq = get32(p + 4), ack = get32(p + 8);
    uint8_t fl = p[13];
    uint16_t win = get16(p + 14);
    const uint8_t *data = p + doff;
    size_t dlen = len - doff;
    if (sport == 0 || dport == 0) {
        t->stats.bad++;
        return;
    }
    if (fl & F_RST)
        t->stats.rst_rx++;
    struct net_tcp_conn *c = find(t, src, sport, dport);
    if (c)
        c->wupd_left = 0; /* the peer is talking: it has heard from us, or will */
    if (!c) {
        if (fl & F_RST)
            return;
        if ((fl & (F_SYN | F_ACK | F_FIN)) == F_SYN && listening(t, dport)) {
            c = alloc_passive(t);
            if (!c) {
                t->stats.dropped++; /* the peer's SYN retransmission may find room */
                return;
            }
            c->in_use = 2; /* passive, not yet accepted */
            c->rip = src;
            c->rport = sport;
            c->lport = dport;
            c->irs = seq;
            c->rcv_nxt = seq + 1;
            c->iss = isn_for(t, src, dport, sport);
            c->snd_una = c->iss;
            c->snd_nxt = c->iss + 1;
            c->snd_base = c->iss + 1;
            c->snd_wnd = win; /* a SYN's window is not scaled */
            c->max_snd_wnd = win;
            take_syn_options(t, c, p, doff);
            c->rto_ms = NET_TCP_RTO_INIT_MS;
            c->opened_ms = s->now_ms;
            cc_init(c);
            c->state = NET_TCP_SYN_RCVD;
            c->timing = 1;
            c->rtt_seq = c->iss;
            c->rtt_start_ms = s->now_ms;
            send_ctl(t, c, c->iss, F_SYN | F_ACK);
            arm(t, c);
            return;
        }
        reset_reply(t, src, sport, dport, seq, ack, fl, dlen);
        return;
    }
    if (c->state == NET_TCP_SYN_SENT) {
        bool ack_ok = (fl & F_ACK) && ack == c->iss + 1;
        if ((fl & F_ACK) && !ack_ok) {
            if (!(fl & F_RST))
                reset_reply(t, src, sport, dport, seq, ack, fl, dlen);
            return;
        }
        if (fl & F_RST) {
            if (ack_ok)
                conn_closed(c, NET_ERR_REFUSED);
            return;
        }
        if ((fl & F_SYN) && ack_ok) {
            c->irs = seq;
            c->rcv_nxt = seq + 1;
            c->rcv_adv = c->rcv_nxt; /* what our SYN offered counted from RCV.NXT 0 */
            take_syn_options(t, c, p, doff);
            rtt_sample(t, c, ack);
            c->snd_una = ack;
            c->snd_wnd = win; /* a SYN's window is not scaled */
            c->max_snd_wnd = win;
            c->retries = 0;
            c->rto_deadline_ms = 0;
            cc_init(c);
            c->state = NET_TCP_ESTABLISHED;
            send_ack(t, c);
            output(t, c);
        }
        return; /* a simultaneous open (SYN without ACK) is not supported */
    }
    /* Synchronized states. RST and SYN first (RFC 5961: exact RST, challenge ACKs). */
    if (fl & F_RST) {
        if (seq == c->rcv_nxt)
            conn_closed(c, NET_ERR_RESET);
        else if (SEQ_LE(c->rcv_nxt, seq) && SEQ_LT(seq, c->rcv_nxt + rcv_window_offered(c)))
            send_ack(t, c);
        return;
    }
    if (fl & F_SYN) {
        if (c->state == NET_TCP_SYN_RCVD && seq == c->irs)
            send_ctl(t, c, c->iss, F_SYN | F_ACK); /* our SYN-ACK was lost */
        else
            send_ack(t, c);
        return;
    }
    /* RFC 7323 2.3: every window field but a SYN's is scaled (none reaches here). */
    uint32_t swin = (uint32_t)win << c->snd_wscale;
    /* RFC 9293 3.10.7.4: in SYN_RCVD an in-window segment carrying the ACK of our SYN
     * completes the handshake even when it is not at RCV.NXT (the peer's ACK and first
     * segment lost or overtaken): otherwise its data is dropped below and the connection
     * stays half open until a timer, while the peer's whole flight waits (docs/net.md). */
    if (c->state == NET_TCP_SYN_RCVD && (fl & F_ACK) && ack == c->iss + 1u &&
        SEQ_GT(seq, c->rcv_nxt) && seq - c->rcv_nxt < rcv_window_offered(c))
        syn_rcvd_acked(t, c, ack, swin);
    if (seq != c->rcv_nxt) {
        if (dlen == 0 && !(fl & F_FIN)) {
            /* A bare ACK out of place, such as a zero-window probe (sent one below
             * RCV.NXT): RFC 9293 3.10.7.4 answers it, which also repeats a lost window
             * update. */
            send_ack(t, c);
            return;
        }
        bool fin = (fl & F_FIN) != 0;
        if (SEQ_LT(seq, c->rcv_nxt)) {
            uint32_t old = c->rcv_nxt - seq;
            if (old < dlen || (old == dlen && fin)) {
                data += old; /* a retransmission overlapping what we have: keep the rest */
                dlen -= old;
                seq = c->rcv_nxt;
            }
        }
        if (seq != c->rcv_nxt) {
            t->stats.out_of_order++;
            bool takes = c->state == NET_TCP_ESTABLISHED || c->state == NET_TCP_FIN_WAIT_1 ||
                         c->state == NET_TCP_FIN_WAIT_2;
            uint32_t ahead = seq - c->rcv_nxt, wnd = rcv_window(c);
            if (takes && SEQ_GT(seq, c->rcv_nxt) && ahead < wnd && dlen > 0) {
                uint32_t n = (uint32_t)dlen < wnd - ahead ? (uint32_t)dlen : wnd - ahead;
                if (ooo_insert(t, c, seq, data, n) && n == dlen && fin) {
                    c->fin_ooo = 1;
                    c->fin_ooo_seq = seq + n;
                }
            }
            send_ack(t, c); /* a duplicate ACK tells the peer where we are */
            if (c->state == NET_TCP_TIME_WAIT)
                c->tw_deadline_ms = s->now_ms + NET_TCP_TIME_WAIT_MS;
            return;
        }
    }
    if (!(fl & F_ACK))
        return;
    if (c->state == NET_TCP_SYN_RCVD) {
        if (ack != c->iss + 1) {
            reset_reply(t, src, sport, dport, seq, ack, fl, dlen);
            return;
        }
        syn_rcvd_acked(t, c, ack, swin);
    }
    /* RFC 5961 5.2: an ACK of what we never sent, or of more than a window before
     * SND.UNA, is answered and the segment (data included) dropped; so a blind
     * in-window data injection must also guess an acceptable ACK. */
    uint32_t wmax = c->max_snd_wnd > 0xffffu ? c->max_snd_wnd : 0xffffu;
    if (SEQ_GT(ack, c->snd_max) || SEQ_LT(ack, c->snd_una - wmax)) {
        t->stats.ack_unacceptable++;
        send_ack(t, c);
        return;
    }
    /* SACK blocks first, judged against SND.UNA as this ACK leaves it. With blocks, a
     * duplicate is an ACK that SACKs something new (RFC 6675 2), data or not. */
    bool sack_seen = false;
    uint32_t newly_sacked = 0;
    if (c->sack_ok) {
        uint32_t una = SEQ_GT(ack, c->snd_una) ? ack : c->snd_una;
        sack_trim(c, una);
        net_tcp_opts o;
        if (doff > 20u && net_tcp_parse_options(p, doff, &o) == NET_OK && o.nsack > 0) {
            sack_seen = true;
            newly_sacked = sack_update(t, c, &o, una);
        }
    }
    bool dup = ack == c->snd_una && c->snd_una != c->snd_max &&
               (sack_seen ? newly_sacked > 0
                          : dlen == 0 && !(fl & F_FIN) && swin == c->snd_wnd);
    if (SEQ_GT(ack, c->snd_una)) {
        uint32_t newly = ack - c->snd_una;
        if (SEQ_GT(ack, c->snd_nxt))
            c->snd_nxt = ack; /* after go-back-N: the peer had kept what followed */
        rtt_sample(t, c, ack);
        uint32_t acked = ack - c->snd_base;
        if (SEQ_LT(ack, c->snd_base))
            acked = 0;
        uint32_t data_acked = acked > c->slen ? c->slen : acked;
        if (data_acked) {
            c->shead = (c->shead + data_acked) % NET_TCP_BUF;
            c->slen -= data_acked;
            c->snd_base += data_acked;
        }
        c->snd_una = ack;
        c->retries = 0;
        c->rto_deadline_ms = 0;
        cc_ack(t, c, newly);
        if (c->snd_una != c->snd_max)
            arm(t, c);
    } else if (dup) {
        cc_dupack(t, c);
    }
    if (c->in_recovery && c->sack_ok)
        sack_recover(t, c);
    if (SEQ_LE(c->snd_una, ack)) {
        c->snd_wnd = swin;
        if (swin > c->max_snd_wnd)
            c->max_snd_wnd = swin;
    }
    /* The FIN's sequence number follows the last data byte. */
    bool fin_acked = c->fin_queued && c->slen == 0 && c->snd_una == c->snd_base + 1u;
    if (fin_acked)
        c->fin_sent = 1;
    if (fin_acked) {
        if (c->state == NET_TCP_FIN_WAIT_1)
            c->state = NET_TCP_FIN_WAIT_2;
        else if (c->state == NET_TCP_CLOSING)
            enter_time_wait(t, c);
        else if (c->state == NET_TCP_LAST_ACK) {
            conn_closed(c, NET_OK);
            return;
        }
    }
    bool need_ack = false, may_delay = false;
    size_t taken = 0;
    uint32_t seg_end = seq + (uint32_t)dlen;
    if (dlen > 0) {
        /* An ACK may wait only for plain in-order data: not for a segment that filled a
         * hole or left data queued out of order (the peer is recovering), nor one cut
         * short by our window. */
        may_delay = NET_TCP_DELACK_MS > 0 && c->nooo == 0;
        if (c->state == NET_TCP_ESTABLISHED || c->state == NET_TCP_FIN_WAIT_1 ||
            c->state == NET_TCP_FIN_WAIT_2) {
            size_t room = NET_TCP_BUF - c->rlen;
            taken = dlen < room ? dlen : room;
            ring_write(c->rbuf, (uint32_t)c->rhead + c->rlen, data, (uint32_t)taken);
            c->rlen += (uint32_t)taken;
            c->rcv_nxt += (uint32_t)taken;
            if (taken < dlen) {
                t->stats.dropped++; /* beyond our window: the peer sends it again */
                may_delay = false;
            }
            ooo_pull(c);
        }
        need_ack = true;
    }
    /* A FIN counts where it stands: right after this segment's data (and no queued data
     * beyond it), or after a hole it arrived behind has been filled. */
    bool fin_now = ((fl & F_FIN) && taken == dlen && c->rcv_nxt == seg_end) ||
                   (c->fin_ooo && c->rcv_nxt == c->fin_ooo_seq);
    if (fin_now && !c->fin_rcvd) {
        c->fin_ooo = 0;
        c->nooo = 0;
        c->rcv_nxt++;
        c->fin_rcvd = 1;
        need_ack = true;
        if (c->state == NET_TCP_ESTABLISHED)
            c->state = NET_TCP_CLOSE_WAIT;
        else if (c->state == NET_TCP_FIN_WAIT_1)
            fin_acked ? enter_time_wait(t, c) : (void)(c->state = NET_TCP_CLOSING);
        else if (c->state == NET_TCP_FIN_WAIT_2)
            enter_time_wait(t, c);
    }
    if (need_ack && may_delay && !(fl & F_FIN) && !c->delack && c->rcv_nxt == seg_end) {
        c->delack = 1; /* every second segment is acknowledged, or this one within the delay */
        c->delack_ms = s->now_ms + NET_TCP_DELACK_MS;
        need_ack = false;
    }
    if (need_ack)
        send_ack(t, c);
    output(t, c);
}

net_err net_tcp_init(net_tcp *t, net_stack *s)
{
    if (!t || !s)
        return NET_ERR_ARG;
    if (!s->link.random)
        return NET_ERR_ARG;
    memset(t, 0, sizeof *t);
    t->s = s;
    s->link.random(s->link.ctx, t->isn_key, sizeof t->isn_key);
    return net_set_proto_handler(s, PROTO_TCP, tcp_input, t);
}

net_err net_tcp_listen(net_tcp *t, uint16_t port)
{
    if (!t || !t->s || port == 0)
        return NET_ERR_ARG;
    if (listening(t, port))
        return NET_ERR_INUSE;
    for (size_t i = 0; i < NET_TCP_LISTENERS; i++)
        if (t->listen[i] == 0) {
            t->listen[i] = port;
            return NET_OK;
        }
    return NET_ERR_NOSPACE;
}

static struct net_tcp_conn *conn(net_tcp *t, int h)
{
    if (!t || h < 0 || (unsigned)h >= NET_TCP_CONNS || !t->c[h].in_use)
        return NULL;
    return &t->c[h];
}

int net_tcp_accept(net_tcp *t, uint16_t port)
{
    if (!t)
        return -1;
    for (size_t i = 0; i < NET_TCP_CONNS; i++) {
        struct net_tcp_conn *c = &t->c[i];
        if (c->in_use == 2 && !c->accepted && c->lport == port && c->state != NET_TCP_SYN_RCVD) {
            c->accepted = 1;
            c->in_use = 1;
            return (int)i;
        }
    }
    return -1;
}

int net_tcp_connect(net_tcp *t, uint32_t ip, uint16_t port, net_err *err)
{
    net_err dummy;
    if (!err)
        err = &dummy;
    if (!t || !t->s || ip == 0 || port == 0) {
        *err = NET_ERR_ARG;
        return -1;
    }
    if (t->s->ip == 0) {
        *err = NET_ERR_NOROUTE;
        return -1;
    }
    uint16_t lport = 0;
    for (int k = 0; k < 16 && lport == 0; k++) {
        uint16_t p = (uint16_t)(49152u + random32(t) % 16384u);
        if (!find(t, ip, port, p) && !listening(t, p))
            lport = p;
    }
    struct net_tcp_conn *c = lport ? alloc(t) : NULL;
    if (!c) {
        *err = NET_ERR_NOSPACE;
        return -1;
    }
    c->in_use = 1;
    c->accepted = 1;
    c->rip = ip;
    c->rport = port;
    c->lport = lport;
    c->iss = isn_for(t, ip, lport, port);
    c->snd_una = c->iss;
    c->snd_nxt = c->iss + 1;
    c->snd_base = c->iss + 1;
    c->mss = DEFAULT_MSS;
    c->rcv_wscale = (uint8_t)net_tcp_our_wscale(); /* offered on the SYN */
    c->rto_ms = NET_TCP_RTO_INIT_MS;
    c->opened_ms = t->s->now_ms;
    cc_init(c);
    c->state = NET_TCP_SYN_SENT;
    c->timing = 1;
    c->rtt_seq = c->iss;
    c->rtt_start_ms = t->s->now_ms;
    send_ctl(t, c, c->iss, F_SYN);
    arm(t, c);
    *err = NET_OK;
    return (int)(c - t->c);
}

long net_tcp_send(net_tcp *t, int h, const uint8_t *data, size_t len)
{
    struct net_tcp_conn *c = conn(t, h);
    if (!c || (!data && len))
        return -1;
    if (c->fin_queued || (c->state != NET_TCP_ESTABLISHED && c->state != NET_TCP_CLOSE_WAIT &&
                          c->state != NET_TCP_SYN_SENT && c->state != NET_TCP_SYN_RCVD))
        return -1;
    size_t room = NET_TCP_BUF - c->slen;
    size_t n = len < room ? len : room;
    if (n)
        ring_write(c->sbuf, (uint32_t)c->shead + c->slen, data, (uint32_t)n);
    c->slen += (uint32_t)n;
    output(t, c);
    return (long)n;
}

long net_tcp_recv(net_tcp *t, int h, uint8_t *buf, size_t len)
{
    struct net_tcp_conn *c = conn(t, h);
    if (!c || (!buf && len))
        return -1;
    if (c->rlen == 0)
        return (c->fin_rcvd || c->state == NET_TCP_CLOSED) ? -1 : 0;
    size_t n = len < c->rlen ? len : c->rlen;
    if (n == 0)
        return 0;
    uint32_t before = rcv_window(c);
    ring_read(c->rbuf, c->rhead, buf, (uint32_t)n);
    c->rhead = (uint32_t)((c->rhead + n) % NET_TCP_BUF);
    c->rlen -= (uint32_t)n;
    /* Tell the peer when the window opens from under one segment (avoids a stall), and
     * again later unless it answers: this update may be the frame that is lost. */
    if (before < c->mss && rcv_window(c) >= c->mss && c->state != NET_TCP_CLOSED &&
        !c->fin_rcvd) {
        send_ack(t, c);
        c->wupd_left = NET_TCP_WUPD_REPEATS;
        c->wupd_gap_ms = c->rto_ms;
        c->wupd_ms = t->s->now_ms + c->wupd_gap_ms;
    } else if (c->state != NET_TCP_CLOSED && c->state != NET_TCP_SYN_SENT &&
               c->state != NET_TCP_SYN_RCVD && !c->fin_rcvd) {
        /* The peer knows of less than half the free space, by two segments or more: tell
         * it now rather than with the next ACK, which a sender that has filled what it
         * knows of the window will not provoke for a round trip. */
        uint32_t cur = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
        uint32_t w = rcv_window(c);
        if (cur < w / 2u && w - cur >= 2u * c->mss)
            send_ack(t, c);
    }
    return (long)n;
}

net_err net_tcp_close(net_tcp *t, int h)
{
    struct net_tcp_conn *c = conn(t, h);
    if (!c)
        return NET_ERR_ARG;
    switch (c->state) {
    case NET_TCP_SYN_SENT:
        conn_closed(c, NET_OK);
        return NET_OK;
    case NET_TCP_SYN_RCVD:
        return net_tcp_abort(t, h);
    case NET_TCP_ESTABLISHED:
        c->state = NET_TCP_FIN_WAIT_1;
        break;
    case NET_TCP_CLOSE_WAIT:
        c->state = NET_TCP_LAST_ACK;
        break;
    default:
        return NET_ERR_STATE;
    }
    c->fin_queued = 1;
    output(t, c);
    return NET_OK;
}

net_err net_tcp_abort(net_tcp *t, int h)
{
    struct net_tcp_conn *c = conn(t, h);
    if (!c)
        return NET_ERR_ARG;
    if (c->state != NET_TCP_CLOSED && c->state != NET_TCP_SYN_SENT &&
        c->state != NET_TCP_TIME_WAIT) {
        t->stats.rst_sent++;
        send_seg(t, c->rip, c->lport, c->rport, c->snd_nxt, 0, F_RST, 0, NULL, 0, NULL, 0);
    }
    conn_closed(c, NET_ERR_RESET);
    return NET_OK;
}

net_tcp_state net_tcp_get_state(const net_tcp *t, int h)
{
    if (!t || h < 0 || (unsigned)h >= NET_TCP_CONNS || !t->c[h].in_use)
        return NET_TCP_CLOSED;
    return (net_tcp_state)t->c[h].state;
}

net_err net_tcp_error(const net_tcp *t, int h)
{
    if (!t || h < 0 || (unsigned)h >= NET_TCP_CONNS || !t->c[h].in_use)
        return NET_ERR_ARG;
    return t->c[h].err;
}

void net_tcp_release(net_tcp *t, int h)
{
    struct net_tcp_conn *c = conn(t, h);
    if (c && c->state == NET_TCP_CLOSED)
        c->in_use = 0;
}

void net_tcp_poll(net_tcp *t, uint64_t now)
{
    if (!t || !t->s)
        return;
    for (size_t i = 0; i < NET_TCP_CONNS; i++) {
        struct net_tcp_conn *c = &t->c[i];
        if (!c->in_use || c->state == NET_TCP_CLOSED)
            continue;
        if (c->state == NET_TCP_TIME_WAIT) {
            if (now >= c->tw_deadline_ms)
                conn_closed(c, NET_OK);
            continue;
        }
        if (c->delack && now >= c->delack_ms)
            send_ack(t, c);
        if (c->wupd_left > 0 && now >= c->wupd_ms) {
            c->wupd_left--;
            send_ack(t, c);
            c->wupd_gap_ms = c->wupd_gap_ms * 2u > NET_TCP_RTO_MAX_MS ? NET_TCP_RTO_MAX_MS
                                                                    : c->wupd_gap_ms * 2u;
            c->wupd_ms = now + c->wupd_gap_ms;
        }
        if (c->rto_deadline_ms == 0 || now < c->rto_deadline_ms)
            continue;
        c->rto_deadline_ms = 0;
        if (c->state == NET_TCP_SYN_RCVD && c->retries >= NET_TCP_SYN_RETRIES) {
            conn_closed(c, NET_ERR_TIMEOUT); /* a half-open connection: give up quietly */
            continue;
        }
        if (++c->retries > NET_TCP_MAX_RETRIES) {
            if (c->state != NET_TCP_SYN_SENT)
                send_seg(t, c->rip, c->lport, c->rport, c->snd_nxt, 0, F_RST, 0, NULL, 0, NULL, 0);
            conn_closed(c, NET_ERR_TIMEOUT);
            continue;
        }
        /* RFC 6298 5.5-5.6: back off, and Karn: no sample from a retransmission. */
        c->rto_ms = c->rto_ms * 2u > NET_TCP_RTO_MAX_MS ? NET_TCP_RTO_MAX_MS : c->rto_ms * 2u;
        c->timing = 0;
        t->stats.retransmits++;
        if (c->state == NET_TCP_SYN_SENT) {
            send_ctl(t, c, c->iss, F_SYN);
        } else if (c->state == NET_TCP_SYN_RCVD) {
            send_ctl(t, c, c->iss, F_SYN | F_ACK);
        } else {
            /* RFC 5681 3.1 (ssthresh from the first timeout only), a loss window of one
             * segment, and RFC 6582: no fast retransmit for what was sent before. */
            t->stats.timeouts++;
            if (c->retries == 1)
                c->ssthresh = half_flight(c);
            c->cwnd = c->mss;
            c->in_recovery = 0;
            c->dupacks = 0;
            c->recover = c->snd_max;
            /* RFC 6675 5.1: the peer may have reneged on what it SACKed; go-back-N sends
             * everything from SND.UNA again, and the scoreboard starts afresh. */
            c->nsacked = 0;
            c->high_rxt = c->snd_una;
            /* Go back to the oldest unacknowledged byte and send again from there. */
            c->snd_nxt = c->snd_una;
            if (SEQ_LE(c->snd_nxt, c->snd_base + c->slen))
                c->fin_sent = 0;
            if (c->snd_wnd == 0 && c->slen > 0) { /* zero-window probe: one byte */
                uint32_t off = c->snd_nxt - c->snd_base;
                if (off < c->slen) {
                    send_seg(t, c->rip, c->lport, c->rport, c->snd_nxt, c->rcv_nxt,
                             F_ACK, wnd_field(t, c, false), sbuf_span(t, c, off, 1), 1, NULL, 0);
                    c->snd_nxt++;
                    if (SEQ_GT(c->snd_nxt, c->snd_max))
                        c->snd_max = c->snd_nxt;
                }
            } else {
                output(t, c);
            }
        }
        arm(t, c);
    }
}

bool net_tcp_consistent(const net_tcp *t)
{
    for (unsigned i = 0; i < NET_TCP_CONNS; i++) {
        const struct net_tcp_conn *c = &t->c[i];
        if (c->slen > NET_TCP_BUF || c->rlen > NET_TCP_BUF || c->shead >= NET_TCP_BUF ||
            c->rhead >= NET_TCP_BUF || c->nooo > NET_TCP_OOO)
            return false;
        for (unsigned k = 0; k < c->nooo; k++) {
            uint32_t s = c->ooo[k].start, e = c->ooo[k].end;
            if (!SEQ_LT(s, e) || !SEQ_GT(s, c->rcv_nxt) ||
                e - c->rcv_nxt > NET_TCP_BUF - c->rlen)
                return false;
            if (k > 0 && !SEQ_GT(s, c->ooo[k - 1].end))
                return false;
        }
        if (c->nsacked > NET_TCP_SACKED || (!c->sack_ok && c->nsacked))
            return false;
        for (unsigned k = 0; k < c->nsacked; k++) {
            uint32_t s = c->sacked[k].start, e = c->sacked[k].end;
            if (!SEQ_LT(s, e) || SEQ_LT(s, c->snd_una) || SEQ_GT(e, c->snd_max))
                return false;
            if (k > 0 && !SEQ_GT(s, c->sacked[k - 1].end))
                return false;
        }
    }
    return true;
}
