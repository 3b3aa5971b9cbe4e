/* net_dns.c: the stub resolver: query building, the retry timer, the TCP retry of a
 * truncated answer (RFC 7766), and the response parser, whose name decoder follows
 * compression pointers only backwards and at most a bounded number of times, and checks
 * every offset against the message length. */
#include "net_dns.h"

#include <string.h>

#define DNS_PORT 53u
#define TYPE_A 1u
#define TYPE_CNAME 5u
#define CLASS_IN 1u
#define MAX_JUMPS 32u

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

static uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c; }

size_t net_dns_encode_name(const char *name, uint8_t out[NET_DNS_NAME_MAX])
{
    if (!name || !out)
        return 0;
    size_t n = strlen(name);
    if (n > 0 && name[n - 1] == '.')
        n--;
    if (n == 0 || n + 2 > NET_DNS_NAME_MAX)
        return 0;
    size_t o = 0, label = 0;
    out[o++] = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || name[i] == '.') {
            size_t l = o - label - 1;
            if (l == 0 || l > 63)
                return 0;
            out[label] = (uint8_t)l;
            label = o;
            out[o++] = 0;
        } else {
            out[o++] = lower((uint8_t)name[i]);
        }
    }
    return o; /* the last label byte written is the terminating zero */
}

/* Decodes the name at *pos into wire form (lowercased) in out; *pos moves past the name
 * as it appears at that place. Pointers must point strictly before the label that holds
 * them, so every jump goes backwards and no loop is possible; MAX_JUMPS bounds it too. */
static net_err read_name(const uint8_t *m, size_t len, size_t *pos, uint8_t *out, size_t *olen)
{
    size_t p = *pos, o = 0, jumps = 0;
    bool jumped = false;
    for (;;) {
        if (p >= len)
            return NET_ERR_MALFORMED;
        uint8_t l = m[p];
        if ((l & 0xc0u) == 0xc0u) {
            if (p + 1 >= len || ++jumps > MAX_JUMPS)
                return NET_ERR_MALFORMED;
            size_t target = ((size_t)(l & 0x3fu) << 8) | m[p + 1];
            if (target >= p)
                return NET_ERR_MALFORMED;
            if (!jumped)
                *pos = p + 2;
            jumped = true;
            p = target;
            continue;
        }
        if (l & 0xc0u) /* 0x40 and 0x80 label types are obsolete or unassigned */
            return NET_ERR_MALFORMED;
        if (o + 1u + l > NET_DNS_NAME_MAX || p + 1u + l > len)
            return NET_ERR_MALFORMED;
        out[o++] = l;
        for (size_t k = 0; k < l; k++)
            out[o++] = lower(m[p + 1 + k]);
        p += 1u + l;
        if (l == 0)
            break;
    }
    if (!jumped)
        *pos = p;
    *olen = o;
    return NET_OK;
}

static void wire_to_dotted(const uint8_t *w, size_t wl, char *out)
{
    size_t i = 0, o = 0;
    while (i < wl && w[i] != 0 && o < NET_DNS_NAME_MAX) {
        size_t l = w[i++];
        if (o)
            out[o++] = '.';
        for (size_t k = 0; k < l && i < wl && o < NET_DNS_NAME_MAX; k++)
            out[o++] = (char)w[i++];
    }
    out[o] = 0;
}

struct rr {
    uint8_t owner[NET_DNS_NAME_MAX];
    size_t owner_len;
    uint16_t type, cls;
    uint32_t ttl;
    size_t rdata, rdlen;
};

static net_err read_rr(const uint8_t *m, size_t len, size_t *pos, struct rr *r)
{
    net_err e = read_name(m, len, pos, r->owner, &r->owner_len);
    if (e != NET_OK)
        return e;
    if (*pos + 10 > len)
        return NET_ERR_MALFORMED;
    r->type = get16(m + *pos);
    r->cls = get16(m + *pos + 2);
    r->ttl = get32(m + *pos + 4);
    r->rdlen = get16(m + *pos + 8);
    r->rdata = *pos + 10;
    if (r->rdata + r->rdlen > len)
        return NET_ERR_MALFORMED;
    *pos = r->rdata + r->rdlen;
    return NET_OK;
}

static bool same(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    return al == bl && memcmp(a, b, al) == 0;
}

net_err net_dns_parse(const uint8_t *m, size_t len, uint16_t id, const uint8_t *qname,
                      size_t qlen, net_dns_result *r)
{
    if (!m || !qname || !r || qlen == 0 || qlen > NET_DNS_NAME_MAX)
        return NET_ERR_ARG;
    memset(r, 0, sizeof *r);
    if (len < 12)
        return NET_ERR_MALFORMED;
    if (get16(m) != id)
        return NET_ERR_NOTFOUND;
    uint16_t flags = get16(m + 2);
    if (!(flags & 0x8000u) || ((flags >> 11) & 0xfu) != 0)
        return NET_ERR_NOTFOUND; /* not a response to a standard query */
    if (get16(m + 4) != 1)
        return NET_ERR_MALFORMED;
    size_t pos = 12;
    uint8_t name[NET_DNS_NAME_MAX];
    size_t nl;
    if (read_name(m, len, &pos, name, &nl) != NET_OK || pos + 4 > len)
        return NET_ERR_MALFORMED;
    if (!same(name, nl, qname, qlen) || get16(m + pos) != TYPE_A || get16(m + pos + 2) != CLASS_IN)
        return NET_ERR_NOTFOUND;
    pos += 4;
    if (flags & 0x0200u)
        return NET_ERR_TRUNCATED;
    uint16_t rcode = flags & 0xfu;
    if (rcode == 3)
        return NET_ERR_NXDOMAIN;
    if (rcode != 0)
        return NET_ERR_SERVFAIL;
    size_t answers_at = pos, ancount = get16(m + 6);
    /* Check every answer once, so later passes can walk them knowing they parse. */
    for (size_t i = 0; i < ancount; i++) {
        struct rr rr;
        if (read_rr(m, len, &pos, &rr) != NET_OK)
            return NET_ERR_MALFORMED;
    }
    uint8_t cur[NET_DNS_NAME_MAX];
    size_t cl = qlen;
    memcpy(cur, qname, qlen);
    uint32_t ttl = UINT32_MAX;
    /* Follow the alias chain: each hop is one pass over the answers. */
    for (size_t hop = 0;; hop++) {
        bool found = false;
        pos = answers_at;
        for (size_t i = 0; i < ancount && !found; i++) {
            struct rr rr;
            (void)read_rr(m, len, &pos, &rr); /* validated above */
            if (rr.type != TYPE_CNAME || rr.cls != CLASS_IN || !same(rr.owner, rr.owner_len, cur, cl))
                continue;
            size_t tp = rr.rdata;
            uint8_t target[NET_DNS_NAME_MAX];
            size_t tl;
            if (read_name(m, len, &tp, target, &tl) != NET_OK || tp != rr.rdata + rr.rdlen)
                return NET_ERR_MALFORMED;
            memcpy(cur, target, tl);
            cl = tl;
            if (rr.ttl < ttl)
                ttl = rr.ttl;
            found = true;
        }
        if (!found)
            break;
        if (hop + 1 > NET_DNS_CNAME_HOPS)
            return NET_ERR_MALFORMED; /* a chain this long is a loop or an attack */
        r->cname_hops++;
    }
    pos = answers_at;
    for (size_t i = 0; i < ancount; i++) {
        struct rr rr;
        (void)read_rr(m, len, &pos, &rr);
        if (rr.type != TYPE_A || rr.cls != CLASS_IN || !same(rr.owner, rr.owner_len, cur, cl))
            continue;
        if (rr.rdlen != 4)
            return NET_ERR_MALFORMED;
        if (r->total < UINT16_MAX)
            r->total++;
        if (r->naddrs < NET_DNS_ADDRS)
            r->addrs[r->naddrs++] = get32(m + rr.rdata);
        if (rr.ttl < ttl)
            ttl = rr.ttl;
    }
    wire_to_dotted(cur, cl, r->canonical);
    if (r->naddrs == 0)
        return NET_ERR_NODATA;
    r->ttl = ttl;
    r->err = NET_OK;
    return NET_OK;
}

/* The query's TCP connection, if any, is closed and kept until lib/net has finished with
 * it (TIME_WAIT included), then released; with no room to keep it, it is reset. */
static void tcp_drop(net_dns *d, struct net_dns_query *q)
{
    if (q->tcp < 0)
        return;
    int h = q->tcp;
    q->tcp = -1;
    if (net_tcp_get_state(d->tcp, h) != NET_TCP_CLOSED && net_tcp_close(d->tcp, h) != NET_OK)
        (void)net_tcp_abort(d->tcp, h);
    if (net_tcp_get_state(d->tcp, h) == NET_TCP_CLOSED) {
        net_tcp_release(d->tcp, h);
        return;
    }
    for (size_t i = 0; i < NET_DNS_QUERIES; i++)
        if (d->closing[i] < 0) {
            d->closing[i] = h;
            return;
        }
    (void)net_tcp_abort(d->tcp, h);
    net_tcp_release(d->tcp, h);
}

static void finish(struct net_dns_query *q, const net_dns_result *r)
{
    net_dns *d = q->dns;
    (void)net_udp_unbind(d->s, q->port);
    tcp_drop(d, q);
    q->used = 0;
    q->fn(q->ctx, q->name, r); /* last: the callback may start a new query in this slot */
}

/* The query message (header, question) into m; returns its length. */
static size_t build_query(const struct net_dns_query *q, uint8_t m[12 + NET_DNS_NAME_MAX + 4])
{
    memset(m, 0, 12);
    put16(m, q->id);
    put16(m + 2, 0x0100u); /* recursion desired */
    put16(m + 4, 1);
    memcpy(m + 12, q->qname, q->qlen);
    put16(m + 12 + q->qlen, TYPE_A);
    put16(m + 14 + q->qlen, CLASS_IN);
    return 16 + q->qlen;
}

static void send_query(struct net_dns_query *q)
{
    uint8_t m[12 + NET_DNS_NAME_MAX + 4];
    size_t n = build_query(q, m);
    q->dns->sent++;
    (void)net_udp_send(q->dns->s, 0, q->port, q->dns->server, DNS_PORT, m, n);
}

static void tcp_fail(struct net_dns_query *q)
{
    net_dns_result r;
    memset(&r, 0, sizeof r);
    r.err = NET_ERR_TRUNCATED; /* what UDP said stands */
    q->dns->tcp_failed++;
    finish(q, &r);
}

/* RFC 7766 5: the same question over a TCP connection to the server's port 53. */
static void tcp_start(struct net_dns_query *q)
{
    net_dns *d = q->dns;
    net_err e = NET_OK;
    int h = net_tcp_connect(d->tcp, d->server, DNS_PORT, &e);
    if (h < 0) {
        tcp_fail(q);
        return;
    }
    d->tcp_retries++;
    q->tcp = h;
    q->tcp_sent = 0;
    q->tcp_have = 0;
    q->deadline_ms = d->s->now_ms + NET_DNS_TCP_TIMEOUT_MS;
}

/* Moves a TCP retry on: the query once connected, then the answer's length and bytes.
 * Called from net_dns_poll; a query that ends here calls its callback. */
static void tcp_step(struct net_dns_query *q, uint64_t now)
{
    net_dns *d = q->dns;
    net_tcp_state st = net_tcp_get_state(d->tcp, q->tcp);
    if (!q->tcp_sent && st == NET_TCP_ESTABLISHED) {
        uint8_t m[2 + 12 + NET_DNS_NAME_MAX + 4];
        size_t n = build_query(q, m + 2);
        put16(m, (uint16_t)n);
        if (net_tcp_send(d->tcp, q->tcp, m, n + 2) != (long)(n + 2)) {
            tcp_fail(q); /* an empty send buffer takes a few hundred bytes at once */
            return;
        }
        d->sent++;
        q->tcp_sent = 1;
    }
    if (q->tcp_sent) {
        for (int k = 0; k < 3; k++) { /* the length, then the rest: two reads suffice */
            size_t want = 2;
            if (q->tcp_have >= 2) {
                size_t l = get16(q->tcp_buf);
                if (l < 12 || l > NET_DNS_TCP_MAX) {
                    tcp_fail(q);
                    return;
                }
                want = 2 + l;
            }
            if (q->tcp_have == want) {
                net_dns_result r;
                net_err e = net_dns_parse(q->tcp_buf + 2, want - 2, q->id, q->qname, q->qlen, &r);
                if (e == NET_ERR_NOTFOUND || e == NET_ERR_TRUNCATED) {
                    tcp_fail(q); /* not our answer, or truncated even over TCP */
                    return;
                }
                if (e == NET_ERR_MALFORMED)
                    d->malformed++;
                r.err = e;
                r.via_tcp = 1;
                finish(q, &r);
                return;
            }
            long got = net_tcp_recv(d->tcp, q->tcp, q->tcp_buf + q->tcp_have, want - q->tcp_have);
            if (got < 0) {
                tcp_fail(q); /* closed or reset before the whole answer came */
                return;
            }
            if (got == 0)
                break;
            q->tcp_have = (uint16_t)(q->tcp_have + (size_t)got);
        }
    }
    if (st == NET_TCP_CLOSED || now >= q->deadline_ms)
        tcp_fail(q);
}

static void dns_input(void *ctx, uint32_t src_ip, uint16_t src_port, uint32_t dst_ip,
                      uint16_t dst_port, const uint8_t *data, size_t len)
{
    struct net_dns_query *q = ctx;
    net_dns *d = q->dns;
    (void)dst_ip;
    (void)dst_port;
    if (!q->used || src_ip != d->server || src_port != DNS_PORT) {
        d->mismatched++;
        return;
    }
    if (q->tcp >= 0)
        return; /* a late copy of the truncated answer: TCP is asked now */
    net_dns_result r;
    net_err e = net_dns_parse(data, len, q->id, q->qname, q->qlen, &r);
    if (e == NET_ERR_NOTFOUND) { /* spoofed or stale: keep waiting for the real one */
        d->mismatched++;
        return;
    }
    if (e == NET_ERR_TRUNCATED && d->tcp) {
        tcp_start(q);
        return;
    }
    if (e == NET_ERR_MALFORMED)
        d->malformed++;
    r.err = e;
    finish(q, &r);
}

net_err net_dns_init(net_dns *d, net_stack *s, uint32_t server)
{
    if (!d || !s || server == 0)
        return NET_ERR_ARG;
    memset(d, 0, sizeof *d);
    d->s = s;
    d->server = server;
    for (size_t i = 0; i < NET_DNS_QUERIES; i++)
        d->closing[i] = -1;
    return NET_OK;
}

net_err net_dns_use_tcp(net_dns *d, net_tcp *t)
{
    if (!d || !d->s || !t || t->s != d->s)
        return NET_ERR_ARG;
    d->tcp = t;
    return NET_OK;
}

net_err net_dns_query(net_dns *d, const char *name, net_dns_fn fn, void *ctx)
{
    if (!d || !d->s || !name || !fn)
        return NET_ERR_ARG;
    uint8_t wire[NET_DNS_NAME_MAX];
    size_t wl = net_dns_encode_name(name, wire);
    if (wl == 0 || strlen(name) > NET_DNS_NAME_MAX)
        return NET_ERR_ARG;
    struct net_dns_query *q = NULL;
    for (size_t i = 0; i < NET_DNS_QUERIES && !q; i++)
        if (!d->q[i].used)
            q = &d->q[i];
    if (!q)
        return NET_ERR_NOSPACE;
    uint8_t r[4];
    uint16_t port = 0;
    /* A random ephemeral port (RFC 6056), a few tries in case it is taken. */
    for (int t = 0; t < 8 && port == 0; t++) {
        d->s->link.random(d->s->link.ctx, r, 4);
        uint16_t p = (uint16_t)(49152u + (get16(r) % 16384u));
        net_err e = net_udp_bind(d->s, p, dns_input, q);
        if (e == NET_OK)
            port = p;
        else if (e != NET_ERR_INUSE)
            return e;
    }
    if (port == 0)
        return NET_ERR_NOSPACE;
    q->dns = d;
    q->used = 1;
    q->tries = 1;
    q->id = get16(r + 2);
    q->port = port;
    memcpy(q->qname, wire, wl);
    q->qlen = wl;
    memcpy(q->name, name, strlen(name) + 1);
    q->fn = fn;
    q->ctx = ctx;
    q->tcp = -1;
    q->deadline_ms = d->s->now_ms + NET_DNS_TIMEOUT_MS;
    send_query(q);
    return NET_OK;
}

void net_dns_poll(net_dns *d, uint64_t now)
{
    if (!d || !d->s)
        return;
    for (size_t i = 0; d->tcp && i < NET_DNS_QUERIES; i++) {
        int h = d->closing[i];
        if (h >= 0 && net_tcp_get_state(d->tcp, h) == NET_TCP_CLOSED) {
            net_tcp_release(d->tcp, h);
            d->closing[i] = -1;
        }
    }
    for (size_t i = 0; i < NET_DNS_QUERIES; i++) {
        struct net_dns_query *q = &d->q[i];
        if (q->used && q->tcp >= 0) {
            tcp_step(q, now);
            continue;
        }
        if (!q->used || now < q->deadline_ms)
            continue;
        if (q->tries >= NET_DNS_TRIES) {
            net_dns_result r;
            memset(&r, 0, sizeof r);
            r.err = NET_ERR_TIMEOUT;
            finish(q, &r);
            continue;
        }
        q->tries++;
        q->deadline_ms = now + NET_DNS_TIMEOUT_MS;
        send_query(q);
    }
}
