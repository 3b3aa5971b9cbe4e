/* net_tcp.h: TCP (RFC 9293) over lib/net: active and passive open, the MSS and RFC 7323
 * window scale options, SACK both ways with a peer that permits it (RFC 2018: blocks on
 * our ACKs, and the peer's blocks kept in a scoreboard that drives RFC 6675 recovery),
 * data both ways within the peer's window and RFC 5681/6582 congestion control, a bounded
 * out-of-order queue inside the receive buffer, the RFC 6298 retransmission timer with
 * Karn's rule and backoff, fast retransmit and recovery, close from either side,
 * TIME_WAIT, RST sent and received. Connections and their buffers are fixed arrays in
 * net_tcp. */
#ifndef NET_TCP_H
#define NET_TCP_H

#include "net.h"

#ifndef NET_TCP_CONNS
#define NET_TCP_CONNS 16u
#endif
#ifndef NET_TCP_BUF
#define NET_TCP_BUF 16384u /* send and receive buffer per connection */
#endif
/* A receive buffer above 64 KiB is offered through window scaling; the largest window
 * the option can express is 65535 << 14 (RFC 7323 2.3). */
#define NET_TCP_WINDOW_MAX (65535u << 14)
#if NET_TCP_BUF < 1024u || NET_TCP_BUF > NET_TCP_WINDOW_MAX
#error "NET_TCP_BUF must lie between 1 KiB and 65535 << 14 bytes"
#endif
#ifndef NET_TCP_LISTENERS
#define NET_TCP_LISTENERS 4u
#endif
#ifndef NET_TCP_OOO
#define NET_TCP_OOO 8u /* disjoint out-of-order ranges held per connection */
#endif
#ifndef NET_TCP_SACKED
#define NET_TCP_SACKED 16u /* disjoint ranges the peer's SACK blocks named, per connection */
#endif
#if NET_TCP_SACKED < 1u || NET_TCP_SACKED > 255u
#error "NET_TCP_SACKED must lie between 1 and 255"
#endif
#define NET_TCP_SACK_BLOCKS 4u /* the most one SACK option holds (2 + 4 x 8 of 40 bytes) */
#ifndef NET_TCP_HALF_OPEN
#define NET_TCP_HALF_OPEN (NET_TCP_CONNS / 2u) /* SYN_RCVD connections at most */
#endif
#ifndef NET_TCP_TIME_WAIT_MS
#define NET_TCP_TIME_WAIT_MS 60000u /* 2 MSL, with MSL taken as 30 s */
#endif
#define NET_TCP_RTO_INIT_MS 1000u /* RFC 6298 2.1 */
#ifndef NET_TCP_RTO_MIN_MS
#define NET_TCP_RTO_MIN_MS 200u /* Linux's floor; RFC 6298 2.4 suggests 1 s (docs/net.md) */
#endif
#define NET_TCP_RTO_MAX_MS 60000u
#define NET_TCP_MAX_RETRIES 8u
#define NET_TCP_SYN_RETRIES 3u /* a half-open passive connection is given up sooner */
#define NET_TCP_DUPACK_THRESH 3u
#define NET_TCP_WUPD_REPEATS 3u
/* Delayed ACKs (RFC 9293 3.8.6.3, RFC 5681 4.2): 0 acknowledges every segment at once;
 * N > 0 acknowledges every second in-order data segment, and a lone one after N ms. */
#ifndef NET_TCP_DELACK_MS
#define NET_TCP_DELACK_MS 0u
#endif
#define NET_TCP_MSS (NET_MTU - 40u)

/* A range of sequence numbers [start, end), compared modulo 2^32. */
struct net_tcp_range {
    uint32_t start, end;
};

/* The options of a segment's header that this TCP uses (RFC 9293 3.2, RFC 7323 2.2). */
typedef struct net_tcp_opts {
    uint16_t mss;        /* the peer's MSS option, at least 64; 536 when absent */
    uint8_t has_mss;
    uint8_t has_wscale;  /* a window scale option (kind 3, length 3) was present */
    uint8_t wscale;      /* its shift, clamped to 14 as RFC 7323 2.3 requires */
    uint8_t wscale_sent; /* the shift as sent, before clamping (for the log) */
    uint8_t has_sack_perm; /* SACK-permitted (kind 4, length 2: RFC 2018 2) */
    /* The first SACK option (kind 5, length 2 + 8n, n from 1 to 4: RFC 2018 3), its
     * blocks as sent: nothing here is checked against a connection. */
    uint8_t nsack;
    struct net_tcp_range sack[NET_TCP_SACK_BLOCKS];
} net_tcp_opts;

typedef enum net_tcp_state {
    NET_TCP_CLOSED = 0,
    NET_TCP_SYN_SENT,
    NET_TCP_SYN_RCVD,
    NET_TCP_ESTABLISHED,
    NET_TCP_FIN_WAIT_1,
    NET_TCP_FIN_WAIT_2,
    NET_TCP_CLOSE_WAIT,
    NET_TCP_CLOSING,
    NET_TCP_LAST_ACK,
    NET_TCP_TIME_WAIT,
} net_tcp_state;

struct net_tcp_conn {
    uint8_t state, accepted, fin_queued, fin_sent, fin_rcvd, timing;
    uint8_t retries, in_use;
    uint32_t rip;
    uint16_t lport, rport, mss;
    uint32_t iss, irs;
    uint32_t snd_una, snd_nxt, snd_wnd, snd_base; /* snd_base: sequence of sbuf[shead] */
    uint32_t max_snd_wnd; /* the largest window the peer offered (RFC 5961 5.2) */
    /* RFC 7323 window scaling: the peer's window fields are shifted left by snd_wscale,
     * ours right by rcv_wscale; both 0 unless both SYNs carried the option. */
    uint8_t snd_wscale, rcv_wscale, wscale_ok;
    /* RFC 2018: the peer's SYN permitted SACK, so our ACKs name the out-of-order ranges;
     * ooo_recent is a sequence number of the segment queued last (its range goes first). */
    uint8_t sack_ok;
    uint32_t ooo_recent;
    uint32_t rcv_nxt, rcv_adv;                    /* rcv_adv: right edge last advertised */
    uint32_t rtt_seq;
    uint64_t rtt_start_ms, rto_deadline_ms, tw_deadline_ms;
    uint32_t srtt_ms, rttvar_ms, rto_ms;
    net_err err; /* why it closed, NET_OK for an orderly close */
    /* Congestion control (RFC 5681, NewReno recovery of RFC 6582). snd_max: the highest
     * sequence sent, which go-back-N after a timeout does not forget. */
    uint32_t cwnd, ssthresh, recover, snd_max;
    uint8_t dupacks, in_recovery;
    uint8_t delack;          /* in-order data received and not yet acknowledged */
    uint64_t delack_ms;      /* when that ACK is due */
    /* A window update that reopened a window under one segment is repeated (up to
     * NET_TCP_WUPD_REPEATS times, RTO apart, doubling) until the peer sends anything:
     * if it was lost, a peer in its persist state may wait long before it probes. */
    uint8_t wupd_left;
    uint32_t wupd_gap_ms;
    uint64_t wupd_ms;
    /* sbuf and rbuf are rings: slen bytes from sbuf[shead], rlen from rbuf[rhead].
     * Out-of-order data waits in rbuf past the rlen in-order bytes, at its offset from
     * rcv_nxt; ooo[] lists the ranges held (sorted, disjoint, never touching). */
    uint8_t nooo, fin_ooo;
    uint32_t fin_ooo_seq;
    struct net_tcp_range ooo[NET_TCP_OOO];
    /* The sending side of SACK: ranges above snd_una the peer's blocks named (sorted,
     * disjoint, never touching, inside [snd_una, snd_max]). Only for retransmission
     * choices: the cumulative ACK alone frees send data, since a receiver may renege.
     * high_rxt: the highest sequence retransmitted in this SACK recovery (RFC 6675);
     * rescued: its one rescue retransmission (NextSeg rule 4) is spent. */
    uint8_t nsacked, rescued;
    uint32_t high_rxt;
    struct net_tcp_range sacked[NET_TCP_SACKED];
    uint64_t opened_ms;
    uint32_t shead, rhead;
    uint32_t slen, rlen;
    uint8_t sbuf[NET_TCP_BUF];
    uint8_t rbuf[NET_TCP_BUF];
};

typedef struct net_tcp_stats {
    uint32_t rx, bad, bad_checksum, rst_sent, rst_rx, retransmits, out_of_order, dropped;
    uint32_t rtt_samples;
    uint32_t dup_acks, fast_retransmits, partial_acks, timeouts, ooo_queued, ooo_dropped,
        half_open_evicted, ack_unacceptable;
    uint32_t wscale_clamped; /* window scale options with a shift above 14, used as 14 */
    uint32_t wnd_shrunk;     /* windows offered short of the last edge: the reserve was gone */
    /* SACK, the sending side: blocks taken into a scoreboard, blocks ignored (outside
     * [SND.UNA, SND.MAX], empty or reversed, D-SACK below SND.UNA), blocks dropped with
     * the scoreboard full, recoveries started by SACK (RFC 6675) and the holes they
     * retransmitted. */
    uint32_t sack_blocks, sack_bad, sack_full, sack_recoveries, sack_rexmits;
} net_tcp_stats;

typedef struct net_tcp {
    net_stack *s;
    uint16_t listen[NET_TCP_LISTENERS];
    struct net_tcp_conn c[NET_TCP_CONNS];
    net_tcp_stats stats;
    uint8_t seg[24 + NET_TCP_MSS]; /* the segment being sent (kept off the call stack) */
    uint8_t lin[NET_TCP_MSS];      /* a segment's data that wraps around the send ring */
    uint8_t isn_key[16];           /* RFC 6528's secret, from the random source */
} net_tcp;

/* The options in the header hdr of doff bytes (its data offset times 4, at least 20,
 * all of them readable). Unknown options are skipped; a malformed length ends the scan
 * and keeps what came before it (a peer's junk refuses nothing). NET_ERR_ARG for a
 * missing hdr or o, or doff below 20 or above 60. */
net_err net_tcp_parse_options(const uint8_t *hdr, size_t doff, net_tcp_opts *o);
/* The window scale shift this TCP asks for: the least that lets a 16-bit field offer
 * NET_TCP_BUF bytes. */
unsigned net_tcp_our_wscale(void);

/* Takes over IP protocol 6 on s. */
net_err net_tcp_init(net_tcp *t, net_stack *s);
net_err net_tcp_listen(net_tcp *t, uint16_t port);
/* A connection the listener on port accepted (handshake complete), or -1. */
int net_tcp_accept(net_tcp *t, uint16_t port);
/* Starts an active open from a random ephemeral port; returns the handle or -1 (*err). */
int net_tcp_connect(net_tcp *t, uint32_t ip, uint16_t port, net_err *err);
/* Queues up to len bytes; returns how many fit (0 when the buffer is full), -1 on error. */
long net_tcp_send(net_tcp *t, int h, const uint8_t *data, size_t len);
/* Takes up to len received bytes; returns the count, 0 if none yet, -1 at end of stream
 * or error (see net_tcp_error). */
long net_tcp_recv(net_tcp *t, int h, uint8_t *buf, size_t len);
/* Sends FIN after the queued data (orderly close of our direction). */
net_err net_tcp_close(net_tcp *t, int h);
/* Sends RST and forgets the connection. */
net_err net_tcp_abort(net_tcp *t, int h);
net_tcp_state net_tcp_get_state(const net_tcp *t, int h);
net_err net_tcp_error(const net_tcp *t, int h);
/* Frees a CLOSED connection's slot once its owner has read the outcome. */
void net_tcp_release(net_tcp *t, int h);
const char *net_tcp_state_name(net_tcp_state st);
/* Retransmissions and TIME_WAIT; call as often as net_poll. */
void net_tcp_poll(net_tcp *t, uint64_t now_ms);
/* Whether every connection's buffers and out-of-order ranges are in the shape the code
 * relies on (lengths within the buffer, ranges sorted, disjoint, not touching, above
 * rcv_nxt and inside the receive buffer; the SACK scoreboard's ranges likewise sorted,
 * disjoint, not touching and inside [snd_una, snd_max], and empty without SACK): the
 * fuzz targets and host tests check it after every step. */
bool net_tcp_consistent(const net_tcp *t);

#endif
