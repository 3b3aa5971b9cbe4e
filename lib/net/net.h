/* net.h: the public interface of Anvaya's user-space IPv4 stack (Ethernet, ARP, IPv4 with
 * reassembly, ICMP echo, UDP; DHCP and DNS clients in net_dhcp.h / net_dns.h).
 *
 * The stack owns no memory and no clock: the caller allocates `struct net_stack` (all its
 * tables are fixed arrays sized by the NET_* macros below), hands every received frame to
 * net_input(), calls net_poll() now and then with a millisecond clock, and supplies a
 * link (send one frame) and a random-bytes source. Addresses are uint32_t in host order
 * (10.0.0.1 is 0x0a000001). Nothing here allocates, blocks or loops without a bound. */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_ETH_HDR 14u
#define NET_MTU 1500u
#define NET_FRAME_MAX (NET_ETH_HDR + NET_MTU)
#define NET_IP_HDR 20u
#define NET_UDP_HDR 8u
/* The largest UDP payload that fits in one unfragmented frame. */
#define NET_UDP_MAX_UNFRAG (NET_MTU - NET_IP_HDR - NET_UDP_HDR)

#ifndef NET_ARP_ENTRIES
#define NET_ARP_ENTRIES 16u
#endif
#ifndef NET_ARP_QUEUE
#define NET_ARP_QUEUE 4u /* frames waiting for a neighbour's address */
#endif
#ifndef NET_FRAG_SLOTS
#define NET_FRAG_SLOTS 2u /* datagrams under reassembly at once */
#endif
#ifndef NET_FRAG_MAX
#define NET_FRAG_MAX 8192u /* largest reassembled IP payload (multiple of 8) */
#endif
#ifndef NET_UDP_SOCKETS
#define NET_UDP_SOCKETS 8u
#endif
#define NET_ARP_TTL_MS 60000u     /* a resolved entry is trusted this long */
#define NET_ARP_RETRY_MS 1000u    /* between requests for an unresolved address */
#define NET_ARP_TRIES 3u          /* requests before queued frames are dropped */
#define NET_FRAG_TIMEOUT_MS 5000u /* an incomplete datagram is dropped after this */
#define NET_IP_TTL 64u

typedef enum net_err {
    NET_OK = 0,
    NET_ERR_ARG,       /* an argument is out of range */
    NET_ERR_NOSPACE,   /* a fixed table or queue is full */
    NET_ERR_NOROUTE,   /* no address configured, or off-link with no gateway */
    NET_ERR_PENDING,   /* accepted, queued until the neighbour's address is known */
    NET_ERR_LINK,      /* the link's send failed */
    NET_ERR_TOOBIG,    /* larger than the stack can send or reassemble */
    NET_ERR_INUSE,     /* the port is bound already */
    NET_ERR_NOTFOUND,  /* no such socket or entry */
    NET_ERR_TIMEOUT,   /* no answer within the retries */
    NET_ERR_MALFORMED, /* a peer's message broke the format */
    NET_ERR_NXDOMAIN,  /* DNS: the name does not exist */
    NET_ERR_TRUNCATED, /* DNS: the server truncated its answer */
    NET_ERR_NODATA,    /* DNS: the name exists but has no A record */
    NET_ERR_SERVFAIL,  /* DNS: the server reported another error */
    NET_ERR_STATE,     /* not possible in the current state */
    NET_ERR_RESET,     /* TCP: the peer reset the connection */
    NET_ERR_REFUSED,   /* TCP: the peer refused the connection */
    NET_ERR__COUNT
} net_err;

const char *net_strerror(net_err err);

/* The link under the stack. send() gets one whole Ethernet frame (no FCS). */
typedef struct net_link {
    void *ctx;
    net_err (*send)(void *ctx, const uint8_t *frame, size_t len);
    void (*random)(void *ctx, uint8_t *buf, size_t len);
} net_link;

/* Every drop has a counter; tests and operators read them. */
typedef struct net_stats {
    uint32_t rx_frames, rx_short, rx_not_for_us, rx_unknown_type;
    uint32_t arp_rx, arp_bad, arp_replies_sent, arp_learned, arp_requests_sent;
    uint32_t arp_queue_full, arp_queue_dropped;
    uint32_t ip_rx, ip_bad_header, ip_bad_checksum, ip_bad_length, ip_bad_source;
    uint32_t ip_not_for_us, ip_ttl_zero, ip_unknown_proto;
    uint32_t frag_rx, frag_reassembled, frag_overlap, frag_too_big, frag_no_slot,
        frag_timeout, frag_bad;
    uint32_t icmp_rx, icmp_bad, icmp_bad_checksum, icmp_echo_replied, icmp_echo_reply_rx,
        icmp_unreach_rx, icmp_unreach_sent, icmp_other;
    uint32_t udp_rx, udp_bad, udp_bad_checksum, udp_no_port;
    uint32_t tx_frames, tx_errors, tx_frags;
    uint32_t arp_own_claimed, arp_mac_change_ignored; /* ARP spoofing attempts */
} net_stats;

/* Called for every UDP datagram to a bound port. */
typedef void (*net_udp_fn)(void *ctx, uint32_t src_ip, uint16_t src_port, uint32_t dst_ip,
                           uint16_t dst_port, const uint8_t *data, size_t len);
/* Called for every datagram of a protocol the stack does not handle itself (TCP). */
typedef void (*net_proto_fn)(void *ctx, uint32_t src_ip, uint32_t dst_ip, const uint8_t *data,
                             size_t len);
/* Called for every ICMP echo reply received. */
typedef void (*net_echo_fn)(void *ctx, uint32_t src_ip, uint16_t ident, uint16_t seq,
                            const uint8_t *data, size_t len);

struct net_arp_entry {
    uint32_t ip;
    uint8_t mac[6];
    uint8_t state; /* 0 free, 1 resolving, 2 resolved */
    uint8_t tries;
    uint64_t expires_ms; /* resolved: forget after; resolving: next request at */
};

struct net_arp_pending {
    uint8_t used;
    uint16_t len;
    uint32_t next_hop;
    uint8_t frame[NET_FRAME_MAX];
};

struct net_frag {
    uint8_t used, proto, last_seen;
    uint16_t id;
    uint32_t src, dst;
    uint32_t total; /* payload length, known once the last fragment arrived */
    uint64_t deadline_ms;
    uint8_t have[NET_FRAG_MAX / 64u]; /* one bit per 8-byte block */
    uint8_t data[NET_FRAG_MAX];
};

struct net_udp_sock {
    uint16_t port; /* 0: free */
    net_udp_fn fn;
    void *ctx;
};

typedef struct net_stack {
    net_link link;
    uint8_t mac[6];
    uint32_t ip, mask, gateway; /* ip 0: unconfigured (accepts any destination, for DHCP) */
    uint64_t now_ms;            /* the last clock reading handed in */
    uint16_t ip_id;
    net_echo_fn echo_fn;
    void *echo_ctx;
    uint8_t proto_num; /* the protocol handed to proto_fn; 0: none */
    net_proto_fn proto_fn;
    void *proto_ctx;
    net_stats stats;
    struct net_arp_entry arp[NET_ARP_ENTRIES];
    struct net_arp_pending arpq[NET_ARP_QUEUE];
    struct net_frag frag[NET_FRAG_SLOTS];
    struct net_udp_sock udp[NET_UDP_SOCKETS];
    uint8_t tx[NET_FRAME_MAX];
    uint8_t scratch[8 + NET_FRAG_MAX]; /* an ICMP or UDP message before fragmentation */
} net_stack;

/* Zeroes the stack and takes the link (send and random must be set) and the MAC. */
net_err net_init(net_stack *s, const net_link *link, const uint8_t mac[6], uint64_t now_ms);
/* Sets (or, with ip 0, clears) the address, netmask and gateway (0: none). */
net_err net_set_ipv4(net_stack *s, uint32_t ip, uint32_t mask, uint32_t gateway);
/* One received Ethernet frame (no FCS); the stack reads at most len bytes and keeps no
 * pointer. Returns NET_OK for every frame, good or bad (a dropped frame is counted in
 * the stats: outside input is never an error of the caller's), NET_ERR_ARG otherwise.
 * Handlers called from here may send, but must not call net_input again. */
net_err net_input(net_stack *s, const uint8_t *frame, size_t len, uint64_t now_ms);
/* Timers: ARP retries and expiry, reassembly timeouts. */
void net_poll(net_stack *s, uint64_t now_ms);

/* Sends an IPv4 datagram with the given payload, fragmenting above the MTU. src 0 uses
 * the configured address. NET_ERR_PENDING means queued behind ARP resolution. */
net_err net_ip_send(net_stack *s, uint32_t src, uint32_t dst, uint8_t proto,
                    const uint8_t *payload, size_t len);

net_err net_ping(net_stack *s, uint32_t dst, uint16_t ident, uint16_t seq, const uint8_t *data,
                 size_t len);
void net_set_echo_handler(net_stack *s, net_echo_fn fn, void *ctx);
/* Hands unfragmented or reassembled datagrams of protocol proto (not ICMP or UDP) to fn. */
net_err net_set_proto_handler(net_stack *s, uint8_t proto, net_proto_fn fn, void *ctx);

net_err net_udp_bind(net_stack *s, uint16_t port, net_udp_fn fn, void *ctx);
net_err net_udp_unbind(net_stack *s, uint16_t port);
/* src_ip 0 uses the configured address (or 0.0.0.0 when unconfigured, as DHCP needs). */
net_err net_udp_send(net_stack *s, uint32_t src_ip, uint16_t src_port, uint32_t dst_ip,
                     uint16_t dst_port, const uint8_t *data, size_t len);

/* The resolved MAC for ip, if cached. */
bool net_arp_lookup(const net_stack *s, uint32_t ip, uint8_t mac[6]);

/* RFC 1071 checksum of buf, folded, continuing from a partial 32-bit sum. */
uint16_t net_checksum(const uint8_t *buf, size_t len, uint32_t sum);
/* Whether a received checksum failed to verify. The fuzzers build with
 * NET_FUZZ_IGNORE_CHECKSUMS so that mutated frames reach the layers above; every other
 * build (guest, host tests) verifies. */
#ifdef NET_FUZZ_IGNORE_CHECKSUMS
#define NET_CSUM_BAD(expr) ((void)(expr), 0)
#else
#define NET_CSUM_BAD(expr) ((expr) != 0)
#endif

#endif
