/* net.c: the frame path of the stack: Ethernet in and out, ARP (cache, requests, replies,
 * the queue of frames waiting for resolution), IPv4 (checks, reassembly, fragmentation),
 * ICMP echo and errors, UDP sockets. Every length read from a frame is checked against
 * the bytes actually present before it is used. */
#include "net.h"

#include <string.h>

#define ETH_IPV4 0x0800u
#define ETH_ARP 0x0806u
#define PROTO_ICMP 1u
#define PROTO_UDP 17u
#define IP_MF 0x2000u
#define IP_DF 0x4000u
#define IP_OFFMASK 0x1fffu

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static const char *const err_msgs[NET_ERR__COUNT] = {
    [NET_OK] = "ok",
    [NET_ERR_ARG] = "invalid argument",
    [NET_ERR_NOSPACE] = "table or queue full",
    [NET_ERR_NOROUTE] = "no route to destination",
    [NET_ERR_PENDING] = "queued until the neighbour's address is resolved",
    [NET_ERR_LINK] = "link send failed",
    [NET_ERR_TOOBIG] = "too big",
    [NET_ERR_INUSE] = "port already bound",
    [NET_ERR_NOTFOUND] = "not found",
    [NET_ERR_TIMEOUT] = "timed out",
    [NET_ERR_MALFORMED] = "malformed message",
    [NET_ERR_NXDOMAIN] = "name does not exist (NXDOMAIN)",
    [NET_ERR_TRUNCATED] = "answer truncated by the server",
    [NET_ERR_NODATA] = "name has no address record",
    [NET_ERR_SERVFAIL] = "server failed or refused",
    [NET_ERR_STATE] = "not possible in the current state",
    [NET_ERR_RESET] = "connection reset by peer",
    [NET_ERR_REFUSED] = "connection refused",
};

const char *net_strerror(net_err err)
{
    if ((unsigned)err >= NET_ERR__COUNT)
        return "unknown error";
    return err_msgs[err];
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Loads of aligned words from a byte buffer, exempt from strict aliasing. */
typedef uint64_t __attribute__((may_alias)) net_word64;
typedef uint16_t __attribute__((may_alias)) net_word16;

static uint64_t add_carry(uint64_t a, uint64_t b)
{
    a += b;
    return a + (a < b); /* end-around carry */
}

/* The one's complement sum of the bytes as 16-bit words in the machine's own byte order,
 * taken from an even address. RFC 1071 2(A)-(C): that sum does not depend on byte order
 * beyond one swap at the end, and carries can be deferred, so the buffer is read as
 * aligned 64-bit words (four at a time) into a 64-bit accumulator: about half an
 * instruction a byte on rv64 against four for 16-bit big-endian reads. */
static uint32_t sum_native(const uint8_t *p, size_t n)
{
    uint64_t acc = 0;
    while (n >= 2 && ((uintptr_t)p & 7u) != 0) {
        acc += *(const net_word16 *)(const void *)p;
        p += 2;
        n -= 2;
    }
    const net_word64 *w = (const net_word64 *)(const void *)p;
    for (; n >= 32; n -= 32, w += 4) {
        acc = add_carry(acc, w[0]);
        acc = add_carry(acc, w[1]);
        acc = add_carry(acc, w[2]);
        acc = add_carry(acc, w[3]);
    }
    for (; n >= 8; n -= 8, w++)
        acc = add_carry(acc, w[0]);
    p = (const uint8_t *)w;
    uint64_t tail = 0;
    for (; n >= 2; n -= 2, p += 2)
        tail += *(const net_word16 *)(const void *)p;
    if (n) { /* the last byte is the first of a word whose second is zero */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        tail += p[0];
#else
        tail += (uint32_t)p[0] << 8;
#endif
    }
    acc = add_carry(acc, tail);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffu) + (acc >> 16);
    acc = (acc & 0xffffu) + (acc >> 16);
    return (uint32_t)acc;
}

static uint32_t swap16(uint32_t v) { return ((v >> 8) & 0xffu) | ((v & 0xffu) << 8); }

uint16_t net_checksum(const uint8_t *buf, size_t len, uint32_t sum)
{
    uint32_t r = 0;
    if (len > 0) {
        if ((uintptr_t)buf & 1u) {
            /* From an odd address the machine's words pair each byte with the next one:
             * sum from the second byte, swap back, and add the first as a high byte. */
            r = swap16(sum_native(buf + 1, len - 1));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            r += buf[0];
#else
            r += (uint32_t)buf[0] << 8;
#endif
        } else {
            r = sum_native(buf, len);
        }
        r = (r & 0xffffu) + (r >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        r = swap16(r); /* to network order, the order of `sum` and the result */
#endif
    }
    uint64_t t = (uint64_t)sum + r;
    t = (t & 0xffffu) + (t >> 16);
    t = (t & 0xffffu) + (t >> 16);
    t = (t & 0xffffu) + (t >> 16);
    return (uint16_t)~t;
}

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
    return (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) + proto +
           (uint32_t)len;
}

net_err net_init(net_stack *s, const net_link *link, const uint8_t mac[6], uint64_t now_ms)
{
    uint8_t r[2];
    if (!s || !link || !link->send || !link->random || !mac)
        return NET_ERR_ARG;
    if (mac[0] & 1u) /* a group address cannot be a station's own */
        return NET_ERR_ARG;
    memset(s, 0, sizeof *s);
    s->link = *link;
    memcpy(s->mac, mac, 6);
    s->now_ms = now_ms;
    s->link.random(s->link.ctx, r, sizeof r);
    s->ip_id = get16(r);
    return NET_OK;
}

net_err net_set_ipv4(net_stack *s, uint32_t ip, uint32_t mask, uint32_t gateway)
{
    if (!s)
        return NET_ERR_ARG;
    if (ip != 0) {
        /* A netmask is contiguous ones; the address is neither network nor broadcast. */
        if (mask == 0 || ((~mask + 1u) & ~mask) != 0)
            return NET_ERR_ARG;
        if ((ip & ~mask) == 0 || (ip & ~mask) == ~mask || (ip >> 28) >= 14u)
            return NET_ERR_ARG;
        if (gateway != 0 && ((gateway & mask) != (ip & mask) || gateway == ip))
            return NET_ERR_ARG;
    } else if (mask != 0 || gateway != 0) {
        return NET_ERR_ARG;
    }
    s->ip = ip;
    s->mask = mask;
    s->gateway = gateway;
    return NET_OK;
}

void net_set_echo_handler(net_stack *s, net_echo_fn fn, void *ctx)
{
    if (!s)
        return;
    s->echo_fn = fn;
    s->echo_ctx = ctx;
}

net_err net_set_proto_handler(net_stack *s, uint8_t proto, net_proto_fn fn, void *ctx)
{
    if (!s || proto == 0 || proto == PROTO_ICMP || proto == PROTO_UDP || !fn)
        return NET_ERR_ARG;
    s->proto_num = proto;
    s->proto_fn = fn;
    s->proto_ctx = ctx;
    return NET_OK;
}

static net_err link_send(net_stack *s, const uint8_t *frame, size_t len)
{
    net_err e = s->link.send(s->link.ctx, frame, len);
    if (e != NET_OK) {
        s->stats.tx_errors++;
        return NET_ERR_LINK;
    }
    s->stats.tx_frames++;
    return NET_OK;
}

/* ---- ARP ---------------------------------------------------------------------------- */

static struct net_arp_entry *arp_find(net_stack *s, uint32_t ip)
{
    for (size_t i = 0; i < NET_ARP_ENTRIES; i++)
        if (s->arp[i].state != 0 && s->arp[i].ip == ip)
            return &s->arp[i];
    return NULL;
}

/* A free entry, else the resolved one that expires first (never a resolving one: its
 * queued frames would be orphaned). */
static struct net_arp_entry *arp_alloc(net_stack *s)
{
    struct net_arp_entry *victim = NULL;
    for (size_t i = 0; i < NET_ARP_ENTRIES; i++) {
        struct net_arp_entry *e = &s->arp[i];
        if (e->state == 0)
            return e;
        if (e->state == 2 && (!victim || e->expires_ms < victim->expires_ms))
            victim = e;
    }
    return victim;
}

bool net_arp_lookup(const net_stack *s, uint32_t ip, uint8_t mac[6])
{
    if (!s || !mac)
        return false;
    for (size_t i = 0; i < NET_ARP_ENTRIES; i++)
        if (s->arp[i].state == 2 && s->arp[i].ip == ip) {
            memcpy(mac, s->arp[i].mac, 6);
            return true;
        }
    return false;
}

static net_err arp_send(net_stack *s, uint16_t op, const uint8_t *tha, const uint8_t *dst_mac,
                        uint32_t tpa)
{
    uint8_t f[42];
    memcpy(f, dst_mac, 6);
    memcpy(f + 6, s->mac, 6);
    put16(f + 12, ETH_ARP);
    put16(f + 14, 1);      /* Ethernet */
    put16(f + 16, ETH_IPV4);
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, op);
    memcpy(f + 22, s->mac, 6);
    put32(f + 28, s->ip);
    memcpy(f + 32, tha, 6);
    put32(f + 38, tpa);
    return link_send(s, f, sizeof f);
}

static void arp_request(net_stack *s, uint32_t ip)
{
    static const uint8_t zero[6] = {0};
    s->stats.arp_requests_sent++;
    (void)arp_send(s, 1, zero, bcast_mac, ip); /* a lost request is retried by net_poll */
}

static void arp_flush(net_stack *s, uint32_t ip, const uint8_t mac[6])
{
    for (size_t i = 0; i < NET_ARP_QUEUE; i++) {
        struct net_arp_pending *q = &s->arpq[i];
        if (q->used && q->next_hop == ip) {
            memcpy(q->frame, mac, 6);
            (void)link_send(s, q->frame, q->len); /* counted in tx_errors on failure */
            q->used = 0;
        }
    }
}

static void arp_drop_queued(net_stack *s, uint32_t ip)
{
    for (size_t i = 0; i < NET_ARP_QUEUE; i++)
        if (s->arpq[i].used && s->arpq[i].next_hop == ip) {
            s->arpq[i].used = 0;
            s->stats.arp_queue_dropped++;
        }
}

static void arp_input(net_stack *s, const uint8_t *p, size_t len)
{
    s->stats.arp_rx++;
    if (len < 28 || get16(p) != 1 || get16(p + 2) != ETH_IPV4 || p[4] != 6 || p[5] != 4) {
        s->stats.arp_bad++;
        return;
    }
    uint16_t op = get16(p + 6);
    const uint8_t *sha = p + 8;
    uint32_t spa = get32(p + 14);
    uint32_t tpa = get32(p + 24);
    if ((op != 1 && op != 2) || (sha[0] & 1u)) {
        s->stats.arp_bad++;
        return;
    }
    if (spa == 0) { /* a probe (RFC 5227): answer it but learn nothing */
        if (op == 1 && s->ip != 0 && tpa == s->ip) {
            s->stats.arp_replies_sent++;
            (void)arp_send(s, 2, sha, sha, spa);
        }
        return;
    }
    if (s->ip != 0 && spa == s->ip) { /* someone claims our address: not learnt */
        s->stats.arp_bad++;
        s->stats.arp_own_claimed++;
        return;
    }
    /* RFC 826: update an existing entry from any packet; create one only when the
     * packet is for us. */
    bool for_us = s->ip != 0 && tpa == s->ip;
    struct net_arp_entry *e = arp_find(s, spa);
    if (e && e->state == 2 && s->now_ms < e->expires_ms && memcmp(e->mac, sha, 6) != 0) {
        /* A resolved, unexpired neighbour never changes its MAC on an unasked-for ARP
         * packet (cache poisoning); a genuine change is learnt once the entry expires.
         * Counted as refused too (arp_bad), like a claim to our own address. */
        s->stats.arp_bad++;
        s->stats.arp_mac_change_ignored++;
        e = NULL;
        if (op != 1 || !for_us)
            return;
    } else if (!e && for_us) {
        e = arp_alloc(s);
    }
    if (e) {
        /* A reused entry was free or resolved, so no queued frame belongs to it. */
        bool was_resolving = e->state == 1;
        e->ip = spa;
        memcpy(e->mac, sha, 6);
        e->state = 2;
        e->tries = 0;
        e->expires_ms = s->now_ms + NET_ARP_TTL_MS;
        s->stats.arp_learned++;
        if (was_resolving)
            arp_flush(s, spa, sha);
    }
    if (op == 1 && for_us) {
        s->stats.arp_replies_sent++;
        (void)arp_send(s, 2, sha, sha, spa);
    }
}

static void arp_poll(net_stack *s)
{
    for (size_t i = 0; i < NET_ARP_ENTRIES; i++) {
        struct net_arp_entry *e = &s->arp[i];
        if (e->state == 0 || s->now_ms < e->expires_ms)
            continue;
        if (e->state == 2) {
            e->state = 0;
            continue;
        }
        if (e->tries >= NET_ARP_TRIES) {
            arp_drop_queued(s, e->ip);
            e->state = 0;
            continue;
        }
        e->tries++;
        e->expires_ms = s->now_ms + NET_ARP_RETRY_MS;
        arp_request(s, e->ip);
    }
}

/* Sends a frame whose Ethernet header has room for the destination MAC, resolving
 * next_hop first; the frame is copied into the queue if resolution is needed. */
static net_err eth_send_resolved(net_stack *s, uint32_t next_hop, uint8_t *frame, size_t len)
{
    struct net_arp_entry *e = arp_find(s, next_hop);
    if (e && e->state == 2) {
        memcpy(frame, e->mac, 6);
        return link_send(s, frame, len);
    }
    struct net_arp_pending *slot = NULL;
    for (size_t i = 0; i < NET_ARP_QUEUE && !slot; i++)
        if (!s->arpq[i].used)
            slot = &s->arpq[i];
    if (!slot) {
        s->stats.arp_queue_full++;
        return NET_ERR_NOSPACE;
    }
    if (!e) {
        e = arp_alloc(s);
        if (!e) { /* every entry is resolving */
            s->stats.arp_queue_full++;
            return NET_ERR_NOSPACE;
        }
        e->ip = next_hop;
        e->state = 1;
        e->tries = 1;
        e->expires_ms = s->now_ms + NET_ARP_RETRY_MS;
        arp_request(s, next_hop);
    }
    slot->used = 1;
    slot->next_hop = next_hop;
    slot->len = (uint16_t)len;
    memcpy(slot->frame, frame, len);
    return NET_ERR_PENDING;
}

/* ---- IPv4 output -------------------------------------------------------------------- */

static bool is_bcast(const net_stack *s, uint32_t ip)
{
    return ip == 0xffffffffu || (s->ip != 0 && (ip & s->mask) == (s->ip & s->mask) &&
                                 (ip & ~s->mask) == ~s->mask);
}

net_err net_ip_send(net_stack *s, uint32_t src, uint32_t dst, uint8_t proto,
                    const uint8_t *payload, size_t len)
{
    if (!s || (!payload && len) || dst == 0 || (dst >> 28) == 14u)
        return NET_ERR_ARG;
    if (len > NET_FRAG_MAX)
        return NET_ERR_TOOBIG;
    if (src == 0)
        src = s->ip;
    bool bcast = is_bcast(s, dst);
    uint32_t next_hop = dst;
    if (!bcast) {
        if (s->ip == 0)
            return NET_ERR_NOROUTE;
        if ((dst & s->mask) != (s->ip & s->mask)) {
            if (s->gateway == 0)
                return NET_ERR_NOROUTE;
            next_hop = s->gateway;
        }
    }
    uint16_t id = s->ip_id++;
    const size_t chunk = (NET_MTU - NET_IP_HDR) & ~(size_t)7;
    size_t off = 0;
    net_err result = NET_OK;
    /* Bounded: len <= NET_FRAG_MAX, so at most NET_FRAG_MAX / chunk + 1 fragments. */
    do {
        size_t n = len - off;
        bool more = false;
        if (n > NET_MTU - NET_IP_HDR) {
            n = chunk;
            more = true;
        }
        uint8_t *f = s->tx;
        memcpy(f, bcast_mac, 6);
        memcpy(f + 6, s->mac, 6);
        put16(f + 12, ETH_IPV4);
        uint8_t *ip = f + NET_ETH_HDR;
        ip[0] = 0x45;
        ip[1] = 0;
        put16(ip + 2, (uint16_t)(NET_IP_HDR + n));
        put16(ip + 4, id);
        put16(ip + 6, (uint16_t)((more ? IP_MF : 0u) | (off >> 3)));
        ip[8] = NET_IP_TTL;
        ip[9] = proto;
        put16(ip + 10, 0);
        put32(ip + 12, src);
        put32(ip + 16, dst);
        put16(ip + 10, net_checksum(ip, NET_IP_HDR, 0));
        if (n)
            memcpy(ip + NET_IP_HDR, payload + off, n);
        size_t flen = NET_ETH_HDR + NET_IP_HDR + n;
        net_err e = bcast ? link_send(s, f, flen) : eth_send_resolved(s, next_hop, f, flen);
        if (e != NET_OK && e != NET_ERR_PENDING)
            return e;
        if (e == NET_ERR_PENDING)
            result = NET_ERR_PENDING;
        if (more)
            s->stats.tx_frags++;
        off += n;
    } while (off < len);
    return result;
}

/* ---- ICMP --------------------------------------------------------------------------- */

static net_err icmp_send(net_stack *s, uint32_t dst, uint8_t type, uint8_t code, uint32_t rest,
                         const uint8_t *data, size_t len)
{
    /* Built in s->scratch, never in s->tx, which net_ip_send fills per fragment. */
    uint8_t *buf = s->scratch;
    if (len > NET_FRAG_MAX - 8)
        return NET_ERR_TOOBIG;
    buf[0] = type;
    buf[1] = code;
    put16(buf + 2, 0);
    put32(buf + 4, rest);
    if (len)
        memmove(buf + 8, data, len);
    put16(buf + 2, net_checksum(buf, 8 + len, 0));
    return net_ip_send(s, 0, dst, PROTO_ICMP, buf, 8 + len);
}

net_err net_ping(net_stack *s, uint32_t dst, uint16_t ident, uint16_t seq, const uint8_t *data,
                 size_t len)
{
    if (!s || (!data && len))
        return NET_ERR_ARG;
    return icmp_send(s, dst, 8, 0, ((uint32_t)ident << 16) | seq, data, len);
}

struct ipinfo {
    uint32_t src, dst;
    bool bcast;
    const uint8_t *hdr; /* the original header and what follows, for ICMP errors */
    size_t hdr_avail;
};

static void icmp_input(net_stack *s, const struct ipinfo *ii, const uint8_t *p, size_t len)
{
    s->stats.icmp_rx++;
    if (len < 8) {
        s->stats.icmp_bad++;
        return;
    }
    if (NET_CSUM_BAD(net_checksum(p, len, 0))) {
        s->stats.icmp_bad_checksum++;
        return;
    }
    switch (p[0]) {
    case 8: /* echo request; not answered when broadcast (smurf amplification) */
        if (ii->bcast || s->ip == 0) {
            s->stats.icmp_other++;
            return;
        }
        /* A reply held behind ARP or lost by the link is counted by the layers below. */
        (void)icmp_send(s, ii->src, 0, 0, get32(p + 4), p + 8, len - 8);
        s->stats.icmp_echo_replied++;
        return;
    case 0:
        s->stats.icmp_echo_reply_rx++;
        if (s->echo_fn)
            s->echo_fn(s->echo_ctx, ii->src, get16(p + 4), get16(p + 6), p + 8, len - 8);
        return;
    case 3:
        s->stats.icmp_unreach_rx++;
        return;
    default:
        s->stats.icmp_other++;
        return;
    }
}

/* ---- UDP ---------------------------------------------------------------------------- */

static struct net_udp_sock *udp_find(net_stack *s, uint16_t port)
{
    for (size_t i = 0; i < NET_UDP_SOCKETS; i++)
        if (s->udp[i].port == port)
            return &s->udp[i];
    return NULL;
}

net_err net_udp_bind(net_stack *s, uint16_t port, net_udp_fn fn, void *ctx)
{
    if (!s || port == 0 || !fn)
        return NET_ERR_ARG;
    if (udp_find(s, port))
        return NET_ERR_INUSE;
    struct net_udp_sock *u = udp_find(s, 0);
    if (!u)
        return NET_ERR_NOSPACE;
    u->port = port;
    u->fn = fn;
    u->ctx = ctx;
    return NET_OK;
}

net_err net_udp_unbind(net_stack *s, uint16_t port)
{
    if (!s || port == 0)
        return NET_ERR_ARG;
    struct net_udp_sock *u = udp_find(s, port);
    if (!u)
        return NET_ERR_NOTFOUND;
    memset(u, 0, sizeof *u);
    return NET_OK;
}

net_err net_udp_send(net_stack *s, uint32_t src_ip, uint16_t src_port, uint32_t dst_ip,
                     uint16_t dst_port, const uint8_t *data, size_t len)
{
    if (!s || src_port == 0 || dst_port == 0 || (!data && len))
        return NET_ERR_ARG;
    if (len > NET_FRAG_MAX - NET_UDP_HDR)
        return NET_ERR_TOOBIG;
    uint8_t *buf = s->scratch;
    if (src_ip == 0)
        src_ip = s->ip;
    put16(buf, src_port);
    put16(buf + 2, dst_port);
    put16(buf + 4, (uint16_t)(NET_UDP_HDR + len));
    put16(buf + 6, 0);
    if (len)
        memmove(buf + NET_UDP_HDR, data, len);
    uint16_t c = net_checksum(buf, NET_UDP_HDR + len,
                              pseudo_sum(src_ip, dst_ip, PROTO_UDP, NET_UDP_HDR + len));
    put16(buf + 6, c == 0 ? 0xffffu : c); /* 0 would mean "no checksum" */
    return net_ip_send(s, src_ip, dst_ip, PROTO_UDP, buf, NET_UDP_HDR + len);
}

static void udp_input(net_stack *s, const struct ipinfo *ii, const uint8_t *p, size_t len)
{
    s->stats.udp_rx++;
    if (len < NET_UDP_HDR) {
        s->stats.udp_bad++;
        return;
    }
    uint16_t ulen = get16(p + 4);
    if (ulen < NET_UDP_HDR || ulen > len) {
        s->stats.udp_bad++;
        return;
    }
    if (get16(p + 6) != 0 &&
        NET_CSUM_BAD(net_checksum(p, ulen, pseudo_sum(ii->src, ii->dst, PROTO_UDP, ulen)))) {
        s->stats.udp_bad_checksum++;
        return;
    }
    uint16_t sport = get16(p), dport = get16(p + 2);
    struct net_udp_sock *u = dport ? udp_find(s, dport) : NULL;
    if (!u) {
        s->stats.udp_no_port++;
        if (!ii->bcast && s->ip != 0 && ii->dst == s->ip && ii->hdr_avail) {
            /* RFC 1122: port unreachable with the header and 8 bytes of the datagram. */
            size_t n = ii->hdr_avail;
            size_t ihl = (size_t)(ii->hdr[0] & 0xfu) * 4u;
            if (n > ihl + 8)
                n = ihl + 8;
            s->stats.icmp_unreach_sent++;
            (void)icmp_send(s, ii->src, 3, 3, 0, ii->hdr, n);
        }
        return;
    }
    if (sport == 0) {
        s->stats.udp_bad++;
        return;
    }
    u->fn(u->ctx, ii->src, sport, ii->dst, dport, p + NET_UDP_HDR, ulen - NET_UDP_HDR);
}

/* ---- IPv4 input and reassembly ------------------------------------------------------ */

static void ip_deliver(net_stack *s, uint8_t proto, const struct ipinfo *ii, const uint8_t *p,
                       size_t len)
{
    if (proto == PROTO_ICMP)
        icmp_input(s, ii, p, len);
    else if (proto == PROTO_UDP)
        udp_input(s, ii, p, len);
    else if (s->proto_fn && proto == s->proto_num && !ii->bcast)
        s->proto_fn(s->proto_ctx, ii->src, ii->dst, p, len);
    else
        s->stats.ip_unknown_proto++;
}

static bool frag_bit(const struct net_frag *f, size_t block)
{
    return (f->have[block >> 3] >> (block & 7u)) & 1u;
}

static void frag_input(net_stack *s, const struct ipinfo *ii, uint8_t proto, uint16_t id,
                       size_t off, bool more, const uint8_t *p, size_t len)
{
    s->stats.frag_rx++;
    struct net_frag *f = NULL, *free_slot = NULL;
    for (size_t i = 0; i < NET_FRAG_SLOTS; i++) {
        struct net_frag *c = &s->frag[i];
        if (!c->used) {
            if (!free_slot)
                free_slot = c;
        } else if (c->src == ii->src && c->dst == ii->dst && c->id == id && c->proto == proto) {
            f = c;
        }
    }
    /* Every fragment but the last carries a multiple of 8 bytes. */
    if ((more && (len & 7u)) || (!more && len == 0 && off == 0)) {
        s->stats.frag_bad++;
        if (f)
            f->used = 0;
        return;
    }
    if (off + len > NET_FRAG_MAX) {
        s->stats.frag_too_big++;
        if (f)
            f->used = 0;
        return;
    }
    if (!f) {
        if (!free_slot) {
            s->stats.frag_no_slot++;
            return;
        }
        f = free_slot;
        memset(f->have, 0, sizeof f->have);
        f->used = 1;
        f->src = ii->src;
        f->dst = ii->dst;
        f->id = id;
        f->proto = proto;
        f->total = 0;
        f->last_seen = 0;
        f->deadline_ms = s->now_ms + NET_FRAG_TIMEOUT_MS;
    }
    size_t first = off >> 3, end = (off + len + 7u) >> 3;
    if (!more) {
        if (f->last_seen && f->total != off + len) {
            s->stats.frag_overlap++;
            f->used = 0;
            return;
        }
        /* Data already beyond the end contradicts this last fragment. */
        for (size_t b = end; b < NET_FRAG_MAX / 8u; b++)
            if (frag_bit(f, b)) {
                s->stats.frag_overlap++;
                f->used = 0;
                return;
            }
        f->last_seen = 1;
        f->total = (uint32_t)(off + len);
    } else if (f->last_seen && off + len > f->total) {
        s->stats.frag_overlap++;
        f->used = 0;
        return;
    }
    /* Overlaps are refused whole: a datagram whose pieces disagree is dropped. */
    for (size_t b = first; b < end; b++)
        if (frag_bit(f, b)) {
            s->stats.frag_overlap++;
            f->used = 0;
            return;
        }
    for (size_t b = first; b < end; b++)
        f->have[b >> 3] = (uint8_t)(f->have[b >> 3] | (1u << (b & 7u)));
    memcpy(f->data + off, p, len);
    if (!f->last_seen)
        return;
    size_t blocks = (f->total + 7u) >> 3;
    for (size_t b = 0; b < blocks; b++)
        if (!frag_bit(f, b))
            return;
    s->stats.frag_reassembled++;
    f->used = 0; /* the data stays valid until the next net_input */
    struct ipinfo whole = *ii;
    whole.hdr_avail = 0; /* the first fragment's header is gone: no ICMP error quoting */
    ip_deliver(s, proto, &whole, f->data, f->total);
}

static void ip_input(net_stack *s, const uint8_t *p, size_t len)
{
    s->stats.ip_rx++;
    if (len < NET_IP_HDR || (p[0] >> 4) != 4) {
        s->stats.ip_bad_header++;
        return;
    }
    size_t ihl = (size_t)(p[0] & 0xfu) * 4u;
    size_t total = get16(p + 2);
    if (ihl < NET_IP_HDR || ihl > len) {
        s->stats.ip_bad_header++;
        return;
    }
    if (total < ihl || total > len) {
        s->stats.ip_bad_length++;
        return;
    }
    if (NET_CSUM_BAD(net_checksum(p, ihl, 0))) {
        s->stats.ip_bad_checksum++;
        return;
    }
    uint32_t src = get32(p + 12), dst = get32(p + 16);
    if ((src >> 28) >= 14u || (s->ip != 0 && is_bcast(s, src))) {
        s->stats.ip_bad_source++;
        return;
    }
    bool bcast = is_bcast(s, dst);
    if (!bcast && s->ip != 0 && dst != s->ip) {
        s->stats.ip_not_for_us++;
        return;
    }
    if (p[8] == 0) {
        s->stats.ip_ttl_zero++;
        return;
    }
    struct ipinfo ii = {src, dst, bcast, p, total};
    uint16_t fl = get16(p + 6);
    size_t off = (size_t)(fl & IP_OFFMASK) * 8u;
    bool more = (fl & IP_MF) != 0;
    if (fl & 0x8000u) { /* the reserved bit must be zero */
        s->stats.ip_bad_header++;
        return;
    }
    if (more || off) {
        ii.hdr_avail = off == 0 ? total : 0;
        frag_input(s, &ii, p[9], get16(p + 4), off, more, p + ihl, total - ihl);
        return;
    }
    ip_deliver(s, p[9], &ii, p + ihl, total - ihl);
}

net_err net_input(net_stack *s, const uint8_t *frame, size_t len, uint64_t now_ms)
{
    if (!s || (!frame && len))
        return NET_ERR_ARG;
    if (now_ms > s->now_ms)
        s->now_ms = now_ms;
    s->stats.rx_frames++;
    if (len < NET_ETH_HDR) {
        s->stats.rx_short++;
        return NET_OK;
    }
    if (memcmp(frame, s->mac, 6) != 0 && memcmp(frame, bcast_mac, 6) != 0) {
        s->stats.rx_not_for_us++;
        return NET_OK;
    }
    if (frame[6] & 1u) { /* a group source address is never legitimate */
        s->stats.rx_unknown_type++;
        return NET_OK;
    }
    uint16_t type = get16(frame + 12);
    const uint8_t *p = frame + NET_ETH_HDR;
    size_t n = len - NET_ETH_HDR;
    if (type == ETH_ARP)
        arp_input(s, p, n);
    else if (type == ETH_IPV4)
        ip_input(s, p, n);
    else
        s->stats.rx_unknown_type++;
    return NET_OK;
}

void net_poll(net_stack *s, uint64_t now_ms)
{
    if (!s)
        return;
    if (now_ms > s->now_ms)
        s->now_ms = now_ms;
    arp_poll(s);
    for (size_t i = 0; i < NET_FRAG_SLOTS; i++)
        if (s->frag[i].used && s->now_ms >= s->frag[i].deadline_ms) {
            s->frag[i].used = 0;
            s->stats.frag_timeout++;
        }
}
