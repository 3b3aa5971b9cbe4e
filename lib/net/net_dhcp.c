/* net_dhcp.c: the DHCPv4 client's state machine and its message building and parsing
 * (options walked with every length checked against the message). */
#include "net_dhcp.h"

#include <string.h>

#define DHCP_SERVER_PORT 67u
#define DHCP_CLIENT_PORT 68u
#define DHCP_FIXED 236u /* op .. file, before the magic cookie */
#define DHCP_MSG_MAX 548u
#define DHCP_DISCOVER 1u
#define DHCP_OFFER 2u
#define DHCP_REQUEST 3u
#define DHCP_ACK 5u
#define DHCP_NAK 6u
#define RETRY_BASE_MS 2000u
#define RETRY_MAX_MS 16000u
#define RENEW_RETRY_MS 10000u
#define MAX_TRIES 5u

static const uint8_t cookie[4] = {99, 130, 83, 99};

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

const char *net_dhcp_state_name(net_dhcp_state st)
{
    switch (st) {
    case NET_DHCP_IDLE: return "idle";
    case NET_DHCP_SELECTING: return "selecting";
    case NET_DHCP_REQUESTING: return "requesting";
    case NET_DHCP_BOUND: return "bound";
    case NET_DHCP_RENEWING: return "renewing";
    case NET_DHCP_REBINDING: return "rebinding";
    }
    return "unknown";
}

net_err net_dhcp_parse(const uint8_t *msg, size_t len, uint32_t xid, const uint8_t mac[6],
                       uint8_t *type, uint32_t *yiaddr, net_dhcp_lease *o)
{
    if (!msg || !mac || !type || !yiaddr || !o)
        return NET_ERR_ARG;
    if (len < DHCP_FIXED + 4 || msg[0] != 2 || msg[1] != 1 || msg[2] != 6)
        return NET_ERR_MALFORMED;
    if (get32(msg + 4) != xid || memcmp(msg + 28, mac, 6) != 0)
        return NET_ERR_NOTFOUND; /* someone else's exchange */
    if (memcmp(msg + DHCP_FIXED, cookie, 4) != 0)
        return NET_ERR_MALFORMED;
    memset(o, 0, sizeof *o);
    *type = 0;
    *yiaddr = get32(msg + 16);
    size_t i = DHCP_FIXED + 4;
    bool ended = false;
    /* Each step consumes at least one byte, so len bounds the walk. */
    while (i < len) {
        uint8_t code = msg[i];
        if (code == 0) {
            i++;
            continue;
        }
        if (code == 255) {
            ended = true;
            break;
        }
        if (i + 2 > len || i + 2 + msg[i + 1] > len)
            return NET_ERR_MALFORMED;
        uint8_t l = msg[i + 1];
        const uint8_t *v = msg + i + 2;
        switch (code) {
        case 53:
            if (l != 1)
                return NET_ERR_MALFORMED;
            *type = v[0];
            break;
        case 1:
            if (l != 4)
                return NET_ERR_MALFORMED;
            o->mask = get32(v);
            break;
        case 3:
            if (l < 4 || l % 4)
                return NET_ERR_MALFORMED;
            o->router = get32(v);
            break;
        case 6:
            if (l < 4 || l % 4)
                return NET_ERR_MALFORMED;
            for (size_t k = 0; k + 4 <= l && o->ndns < NET_DHCP_MAX_DNS; k += 4)
                o->dns[o->ndns++] = get32(v + k);
            break;
        case 51:
        case 58:
        case 59:
        case 54:
            if (l != 4)
                return NET_ERR_MALFORMED;
            if (code == 51)
                o->lease_s = get32(v);
            else if (code == 58)
                o->t1_s = get32(v);
            else if (code == 59)
                o->t2_s = get32(v);
            else
                o->server = get32(v);
            break;
        default:
            break; /* options we do not use, overload (52) included, are skipped */
        }
        i += 2u + l;
    }
    if (!ended || *type == 0)
        return NET_ERR_MALFORMED;
    return NET_OK;
}

static size_t opt(uint8_t *m, size_t i, uint8_t code, const void *v, uint8_t l)
{
    m[i] = code;
    m[i + 1] = l;
    memcpy(m + i + 2, v, l);
    return i + 2u + l;
}

static void dhcp_send(net_dhcp *d, uint8_t type)
{
    uint8_t m[DHCP_MSG_MAX];
    uint8_t v[4];
    net_stack *s = d->s;
    bool renewing = d->state == NET_DHCP_RENEWING, rebinding = d->state == NET_DHCP_REBINDING;
    memset(m, 0, sizeof m);
    m[0] = 1;
    m[1] = 1;
    m[2] = 6;
    put32(m + 4, d->xid);
    if (renewing || rebinding)
        put32(m + 12, d->lease.ip); /* ciaddr */
    else
        m[10] = 0x80; /* broadcast flag: we cannot take unicast before we have an address */
    memcpy(m + 28, s->mac, 6);
    memcpy(m + DHCP_FIXED, cookie, 4);
    size_t i = DHCP_FIXED + 4;
    i = opt(m, i, 53, &type, 1);
    uint8_t cid[7] = {1};
    memcpy(cid + 1, s->mac, 6);
    i = opt(m, i, 61, cid, sizeof cid);
    if (type == DHCP_REQUEST && d->state == NET_DHCP_REQUESTING) {
        put32(v, d->offer_ip);
        i = opt(m, i, 50, v, 4);
        put32(v, d->offer_server);
        i = opt(m, i, 54, v, 4);
    }
    static const uint8_t params[] = {1, 3, 6, 51, 54, 58, 59};
    i = opt(m, i, 55, params, sizeof params);
    m[i++] = 255;
    while (i < 300) /* BOOTP's minimum message size, which some servers insist on */
        m[i++] = 0;
    uint32_t src = (renewing || rebinding) ? d->lease.ip : 0;
    uint32_t dst = renewing ? d->lease.server : 0xffffffffu;
    /* A lost message is retransmitted by the timer; nothing else to do on failure. */
    (void)net_udp_send(s, src, DHCP_CLIENT_PORT, dst, DHCP_SERVER_PORT, m, i);
}

static void new_xid(net_dhcp *d)
{
    uint8_t r[4];
    d->s->link.random(d->s->link.ctx, r, 4);
    d->xid = get32(r);
}

static void discover(net_dhcp *d)
{
    (void)net_set_ipv4(d->s, 0, 0, 0); /* clearing cannot fail */
    memset(&d->lease, 0, sizeof d->lease);
    d->state = NET_DHCP_SELECTING;
    d->tries = 1;
    new_xid(d);
    d->retry_ms = d->s->now_ms + RETRY_BASE_MS;
    dhcp_send(d, DHCP_DISCOVER);
}

static uint64_t backoff(uint8_t tries)
{
    uint64_t t = RETRY_BASE_MS;
    for (uint8_t k = 1; k < tries && t < RETRY_MAX_MS; k++)
        t *= 2;
    return t;
}

static void bind_lease(net_dhcp *d, uint32_t yiaddr, const net_dhcp_lease *o)
{
    net_dhcp_lease l = *o;
    l.ip = yiaddr;
    if (l.server == 0)
        l.server = d->lease.server ? d->lease.server : d->offer_server;
    if (l.mask == 0) /* RFC 2132 allows it absent: the classful mask is too old to guess */
        l.mask = 0xffffff00u;
    if (l.lease_s == 0 || yiaddr == 0) {
        d->bad++;
        discover(d);
        return;
    }
    if (l.lease_s != 0xffffffffu) {
        if (l.t1_s == 0 || l.t1_s >= l.lease_s)
            l.t1_s = l.lease_s / 2;
        if (l.t2_s == 0 || l.t2_s >= l.lease_s || l.t2_s <= l.t1_s)
            l.t2_s = (uint32_t)((uint64_t)l.lease_s * 7 / 8);
    }
    uint32_t gw = l.router;
    if (gw != 0 && ((gw & l.mask) != (yiaddr & l.mask) || gw == yiaddr))
        gw = 0; /* an off-link router is unusable */
    if (net_set_ipv4(d->s, yiaddr, l.mask, gw) != NET_OK) {
        d->bad++;
        discover(d);
        return;
    }
    if (gw == 0)
        l.router = 0;
    bool renewal = d->state == NET_DHCP_RENEWING || d->state == NET_DHCP_REBINDING;
    d->lease = l;
    d->state = NET_DHCP_BOUND;
    uint64_t now = d->s->now_ms;
    d->bound_ms = now;
    if (l.lease_s == 0xffffffffu) { /* infinite */
        d->t1_ms = d->t2_ms = d->end_ms = UINT64_MAX;
    } else {
        d->t1_ms = now + (uint64_t)l.t1_s * 1000u;
        d->t2_ms = now + (uint64_t)l.t2_s * 1000u;
        d->end_ms = now + (uint64_t)l.lease_s * 1000u;
    }
    if (renewal)
        d->renewals++;
    else
        d->binds++;
}

static void dhcp_input(void *ctx, uint32_t src_ip, uint16_t src_port, uint32_t dst_ip,
                       uint16_t dst_port, const uint8_t *data, size_t len)
{
    net_dhcp *d = ctx;
    uint8_t type;
    uint32_t yiaddr;
    net_dhcp_lease o;
    (void)src_ip;
    (void)dst_ip;
    (void)dst_port;
    if (src_port != DHCP_SERVER_PORT) {
        d->ignored++;
        return;
    }
    net_err e = net_dhcp_parse(data, len, d->xid, d->s->mac, &type, &yiaddr, &o);
    if (e == NET_ERR_NOTFOUND) {
        d->ignored++;
        return;
    }
    if (e != NET_OK) {
        d->bad++;
        return;
    }
    switch (d->state) {
    case NET_DHCP_SELECTING:
        if (type != DHCP_OFFER || o.server == 0 || yiaddr == 0) {
            d->ignored++;
            return;
        }
        d->offer_ip = yiaddr;
        d->offer_server = o.server;
        d->state = NET_DHCP_REQUESTING;
        d->tries = 1;
        d->retry_ms = d->s->now_ms + RETRY_BASE_MS;
        dhcp_send(d, DHCP_REQUEST);
        return;
    case NET_DHCP_REQUESTING:
    case NET_DHCP_RENEWING:
    case NET_DHCP_REBINDING:
        if (type == DHCP_NAK) {
            d->naks++;
            discover(d);
        } else if (type == DHCP_ACK) {
            if (d->state == NET_DHCP_REQUESTING && yiaddr != d->offer_ip) {
                d->bad++;
                return;
            }
            bind_lease(d, yiaddr, &o);
        } else {
            d->ignored++;
        }
        return;
    default:
        d->ignored++;
        return;
    }
}

net_err net_dhcp_start(net_dhcp *d, net_stack *s)
{
    if (!d || !s)
        return NET_ERR_ARG;
    net_err e = net_udp_bind(s, DHCP_CLIENT_PORT, dhcp_input, d);
    if (e != NET_OK)
        return e;
    memset(d, 0, sizeof *d);
    d->s = s;
    discover(d);
    return NET_OK;
}

net_err net_dhcp_stop(net_dhcp *d)
{
    if (!d || !d->s || d->state == NET_DHCP_IDLE)
        return NET_ERR_STATE;
    net_err e = net_udp_unbind(d->s, DHCP_CLIENT_PORT);
    d->state = NET_DHCP_IDLE;
    return e;
}

void net_dhcp_poll(net_dhcp *d, uint64_t now)
{
    if (!d || !d->s || d->state == NET_DHCP_IDLE)
        return;
    switch (d->state) {
    case NET_DHCP_SELECTING:
    case NET_DHCP_REQUESTING:
        if (now < d->retry_ms)
            return;
        if (d->tries >= MAX_TRIES) { /* start over with a fresh exchange */
            discover(d);
            return;
        }
        d->tries++;
        d->retry_ms = now + backoff(d->tries);
        dhcp_send(d, d->state == NET_DHCP_SELECTING ? DHCP_DISCOVER : DHCP_REQUEST);
        return;
    case NET_DHCP_BOUND:
    case NET_DHCP_RENEWING:
    case NET_DHCP_REBINDING:
        if (now >= d->end_ms) {
            discover(d);
            return;
        }
        if (now >= d->t2_ms && d->state != NET_DHCP_REBINDING) {
            d->state = NET_DHCP_REBINDING;
            new_xid(d);
            d->retry_ms = now;
        } else if (now >= d->t1_ms && d->state == NET_DHCP_BOUND) {
            d->state = NET_DHCP_RENEWING;
            new_xid(d);
            d->retry_ms = now;
        }
        if (d->state != NET_DHCP_BOUND && now >= d->retry_ms) {
            d->retry_ms = now + RENEW_RETRY_MS;
            dhcp_send(d, DHCP_REQUEST);
        }
        return;
    default:
        return;
    }
}
