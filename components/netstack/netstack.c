/* The network stack component: lib/net (Ethernet, ARP, IPv4, ICMP, UDP, TCP, the DHCP and
 * DNS clients) over the virtio-net driver's NetDevice, serving Sockets to up to four
 * clients, each confined to what its grants allow (netstack_grants.h). Every socket is a
 * capability: a badged copy of the stack's endpoint, minted into a slot of the stack's
 * own CSpace and handed to the client in the reply; close revokes it.
 *
 * Two threads, one owner: thread 0 owns every byte of the stack and serves the endpoint;
 * thread 1 only waits on the NIC and hands each batch of frames it took (or, when the NIC
 * is quiet for a tick, nothing) to thread 0 over IPC (the NetPump interface), so the
 * stack is never touched by two threads and needs no lock. Frames lib/net sends are
 * queued in the NIC dataport's transmit slots and go to the driver in one call when the
 * slots are full and at the end of every request thread 0 serves. No Socket call waits: one that has nothing
 * yet answers AGAIN, and the client's event is signalled once something changed for one
 * of its sockets (docs/net.md). */
#include <stdio.h>
#include <string.h>

#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */
/* Another instance name than netstack: -DNETSTACK_SELF_BADGE=NET_STACK_PUMP_CLIENT_<INSTANCE>_SELF
 * (components/meson.build). */
#ifndef NETSTACK_SELF_BADGE
#define NETSTACK_SELF_BADGE NET_STACK_PUMP_CLIENT_NETSTACK_SELF
#endif
#include "netstack_grants.h"
#include "../../lib/net/net.h"
#include "../../lib/net/net_dhcp.h"
#include "../../lib/net/net_dns.h"
#include "../../lib/net/net_tcp.h"
#include "../virtio_net/netdev_frames.h"

#define CLIENTS 4u
_Static_assert(NET_STACK_SOCKETS_GRANT_COUNT <= CLIENTS, "more Socket clients than the stack serves");
#define SOCKS 8u           /* sockets per client */
/* Socket (client k, index i) keeps the stack's copy of its capability in this slot. */
#define SOCK_SLOT(k, i) (NET_STACK_SLOT_FIRST_DYNAMIC + ((k) - 1u) * SOCKS + (i))
_Static_assert(NET_STACK_SLOT_FIRST_DYNAMIC + CLIENTS * SOCKS <= NET_STACK_CSPACE_SLOTS,
               "the stack's CSpace holds a capability for every socket");
/* A socket capability's badge (its low 40 bits, NET_STACK_SOCKET_BADGE): the socket's
 * index in bits 0..7, its client in 8..15, its generation in 16..39. */
#define LOW_SOCK(low) ((uint32_t)((low) & 0xFFu))
#define LOW_CLIENT(low) ((uint32_t)(((low) >> 8) & 0xFFu))
#define LOW_GEN(low) ((uint32_t)(((low) >> 16) & 0xFFFFFFu))
#define BACKLOG 4u         /* connections accepted ahead of the listener's owner */
#define UDP_QUEUE 4u       /* datagrams queued per UDP socket */
#define UDP_DGRAM_MAX NET_UDP_MAX_UNFRAG
_Static_assert(NETDEV_FRAMES_BYTES <= NET_STACK_FRAMES_SIZE, "the NIC dataport holds its slots");
_Static_assert(NET_FRAME_MAX <= NETDEV_FRAME_MAX, "lib/net's frames fit a slot");
#define NIC_WAIT_TICKS 1u  /* thread 1 hands thread 0 a timer round at least this often */
/* QEMU virt's timebase (the DTB's timebase-frequency): rdtime counts at 10 MHz. */
#define TIME_PER_MS 10000u

enum sock_kind { SK_FREE = 0, SK_UDP, SK_LISTEN, SK_TCP };

struct dgram {
    uint32_t ip;
    uint16_t port;
    uint16_t len;
    uint8_t data[UDP_DGRAM_MAX];
};

struct sock {
    uint8_t kind;
    uint16_t port;        /* UDP and listeners: the local port */
    int h;                /* TCP: lib/net's connection handle */
    uint32_t rip;         /* TCP: the peer */
    uint16_t rport;
    int backlog[BACKLOG]; /* listeners: accepted handles not yet given to the owner */
    uint8_t nbacklog;
    uint8_t uhead, ucount; /* UDP: the queue of received datagrams */
    struct dgram q[UDP_QUEUE];
    uint32_t udp_dropped;
    uint32_t seen;        /* a digest of the socket's state when the client last got AGAIN */
    uint8_t shut;         /* TCP: our FIN is queued (tcp_shutdown): no more sends */
    uint32_t gen;         /* bumped at every mint: a badge of an earlier socket is refused */
    anv_handle_t cap;     /* the stack's copy of the socket's capability (revoked at close) */
};

struct client {
    bool present;
    uint32_t number;
    struct netstack_grants grants;
    volatile uint8_t *buf;
    uint32_t buf_size;
    int (*emit)(void);
    bool waiting;   /* told AGAIN since its last event */
    bool want_addr; /* told AGAIN by address(): woken once the stack is up */
    struct sock s[SOCKS];
    /* The client's one DNS lookup. */
    uint8_t dns_state; /* 0 none, 1 pending, 2 done */
    char dns_name[NET_DNS_NAME_MAX + 1];
    net_err dns_err;
    uint32_t dns_ip, dns_hops;
    uint32_t denied;
};

static net_stack stack;
static net_tcp tcp;
static net_dhcp dhcp;
static net_dns dns;
static bool dns_ready;
static bool bound_reported;
static struct client clients[CLIENTS + 1];
/* TCP handles no socket owns any more (closed by their owner, or never accepted): they
 * finish their close in lib/net and are released here once CLOSED. */
static bool tcp_orphan[NET_TCP_CONNS];
/* Ports lib/net still listens on whose listener socket was closed (0: none). */
static uint16_t orphan_port[NET_TCP_LISTENERS];
static _Alignas(8) uint8_t staging[NET_FRAME_MAX > NET_STACK_CLIENT1_SIZE ? NET_FRAME_MAX : NET_STACK_CLIENT1_SIZE];
static uint32_t ping_sent, ping_replies, ping_failed;
static uint64_t ping_next_ms, ping_deadline_ms;
static bool up; /* bound, and the router check done: clients may see the address */
static uint32_t frames_in, rounds;
static uint32_t entropy_failures;

static uint64_t now_ms(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t / TIME_PER_MS;
}

static void ip_text(uint32_t ip, char out[16])
{
    (void)snprintf(out, 16, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)(ip >> 16) & 255u,
                   (unsigned)(ip >> 8) & 255u, (unsigned)ip & 255u);
}

/* ---- dataport copies ------------------------------------------------------------- */

/* A word at a time where both ends allow it (the dataports and the staging buffer are
 * page and word aligned): a byte loop through volatile costs about five instructions a
 * byte, and every byte of every frame and request crosses one or two of these. */
static void from_dataport(uint8_t *dst, const volatile uint8_t *src, size_t n)
{
    size_t i = 0;
    if ((((uintptr_t)dst | (uintptr_t)src) & 7u) == 0) {
        const volatile uint64_t *w = (const volatile uint64_t *)(uintptr_t)src;
        uint8_t *d = __builtin_assume_aligned(dst, 8);
        for (; i + 8 <= n; i += 8) {
            uint64_t v = w[i / 8];
            memcpy(d + i, &v, 8);
        }
    }
    for (; i < n; i++)
        dst[i] = src[i];
}

static void to_dataport(volatile uint8_t *dst, const uint8_t *src, size_t n)
{
    size_t i = 0;
    if ((((uintptr_t)dst | (uintptr_t)src) & 7u) == 0) {
        volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)dst;
        const uint8_t *p = __builtin_assume_aligned(src, 8);
        for (; i + 8 <= n; i += 8) {
            uint64_t v;
            memcpy(&v, p + i, 8);
            w[i / 8] = v;
        }
    }
    for (; i < n; i++)
        dst[i] = src[i];
}

/* ---- the link under lib/net: the NIC through its dataport, randomness from Entropy ---- */

/* Retired instructions (exact under QEMU's -icount): what the stack thread spent on its
 * requests, and inside the NIC's send within them (Socket.stats). */
static uint64_t work_instructions, nic_send_instructions;

static uint64_t rdinstret(void)
{
    uint64_t n;
    __asm__ volatile("rdinstret %0" : "=r"(n));
    return n;
}

/* Whether thread 1 may be waiting inside the driver's receive (it is not while it hands
 * thread 0 a round). A send then first kicks the driver out of that wait, or it would
 * queue behind it for up to a tick. */
static volatile bool nic_waiter_inside;
static bool kicked_this_request;

/* Frames queued in the transmit slots, not yet given to the driver; frames the driver
 * did not take (counted, not retried: TCP retransmits, the rest is datagrams). */
static uint32_t tx_queued;
static uint32_t tx_lost, tx_lost_reported;
static uint32_t rx_refused; /* lengths from the driver outside a frame's bounds */

static volatile uint8_t *nic(uint32_t offset)
{
    return (volatile uint8_t *)NET_STACK_FRAMES + offset;
}

/* Every queued frame to the driver in one call. */
static void tx_flush(void)
{
    if (tx_queued == 0)
        return;
    if (nic_waiter_inside && !kicked_this_request) {
        kicked_this_request = true;
        (void)net_stack_kick_emit();
    }
    uint32_t sent = 0;
    uint64_t i0 = rdinstret();
    int err = net_stack_nic_send_batch(tx_queued, &sent);
    nic_send_instructions += rdinstret() - i0;
    if (err != ANV_OK || sent > tx_queued)
        sent = 0;
    tx_lost += tx_queued - sent;
    tx_queued = 0;
    if (tx_lost != tx_lost_reported && (tx_lost_reported == 0 || tx_lost - tx_lost_reported >= 1000)) {
        printf("netstack: the NIC did not take %u frames (last: %d)\n", tx_lost, err);
        anv_console_flush();
        tx_lost_reported = tx_lost;
    }
}

static net_err link_send(void *ctx, const uint8_t *frame, size_t len)
{
    (void)ctx;
    if (len > NET_FRAME_MAX)
        return NET_ERR_TOOBIG;
    if (len < NETDEV_FRAME_MIN)
        return NET_ERR_ARG;
    if (tx_queued == NETDEV_BATCH)
        tx_flush();
    to_dataport(nic(netdev_tx_slot(tx_queued)), frame, len);
    volatile uint16_t *lens = (volatile uint16_t *)(uintptr_t)nic(NETDEV_TX_LENGTHS);
    lens[tx_queued] = (uint16_t)len;
    tx_queued++;
    return NET_OK;
}

static void link_random(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    size_t done = 0;
    for (uint32_t tries = 0; done < len && tries < 16; tries++) {
        struct anv_bytes_64 r = {0};
        uint32_t n = len - done > 64 ? 64u : (uint32_t)(len - done);
        if (net_stack_entropy_read(n, &r) != ANV_OK || r.len != n) {
            entropy_failures++;
            continue;
        }
        memcpy(buf + done, r.data, n);
        done += n;
    }
    if (done < len) {
        /* Never guess: without the device there is no randomness to give, and a known
         * ISN or DNS ID would be worse than a failed connection. The stack is stopped. */
        printf("netstack: the entropy service failed %u times: stopping\n", entropy_failures);
        anv_console_flush();
        anv_exit(3);
    }
}

/* ---- errors ---------------------------------------------------------------------- */

static int sock_err(net_err e)
{
    switch (e) {
    case NET_OK: return ANV_OK;
    case NET_ERR_ARG: return NET_E_INVAL;
    case NET_ERR_NOSPACE: return NET_E_NOSPACE;
    case NET_ERR_INUSE: return NET_E_INUSE;
    case NET_ERR_NOROUTE: return NET_E_NOADDR;
    case NET_ERR_TIMEOUT: return NET_E_TIMEOUT;
    case NET_ERR_NXDOMAIN: return NET_E_NXDOMAIN;
    case NET_ERR_NODATA: return NET_E_NODATA;
    case NET_ERR_TRUNCATED: return NET_E_TRUNCATED;
    case NET_ERR_SERVFAIL:
    case NET_ERR_MALFORMED: return NET_E_SERVFAIL;
    case NET_ERR_RESET: return NET_E_RESET;
    case NET_ERR_REFUSED: return NET_E_CONNREFUSED;
    case NET_ERR_STATE: return NET_E_STATE;
    case NET_ERR_PENDING: return ANV_OK; /* queued behind ARP: sent once resolved */
    default: return NET_E_NETWORK;
    }
}

/* ---- clients and their sockets ---------------------------------------------------- */

static struct client *client_of(uint64_t badge)
{
    uint64_t k = badge & 0xFFFFFFu;
    return k >= 1 && k <= CLIENTS && clients[k].present ? &clients[k] : NULL;
}

/* The socket a call on a socket capability names, from its badge alone: the kernel put
 * the badge there, so it is one the stack minted; the generation still has to be the
 * socket's (defence in depth: close revokes every copy, so none should arrive). */
static struct sock *sock_of_low(uint64_t low, struct client **cp)
{
    uint32_t k = LOW_CLIENT(low), i = LOW_SOCK(low);
    if (k < 1 || k > CLIENTS || !clients[k].present || i >= SOCKS)
        return NULL;
    struct sock *s = &clients[k].s[i];
    if (s->kind == SK_FREE || s->gen != LOW_GEN(low))
        return NULL;
    *cp = &clients[k];
    return s;
}

static int sock_alloc(struct client *c, uint32_t *out)
{
    for (uint32_t i = 0; i < SOCKS; i++)
        if (c->s[i].kind == SK_FREE) {
            uint32_t gen = c->s[i].gen;
            memset(&c->s[i], 0, sizeof c->s[i]);
            c->s[i].h = -1;
            c->s[i].gen = gen;
            *out = i + 1;
            return ANV_OK;
        }
    return NET_E_NOSPACE;
}

/* Mints socket n's capability (a new generation) before the socket exists, so a failure
 * here leaves nothing to undo. */
static int sock_mint(struct client *c, uint32_t n, anv_handle_t *out)
{
    struct sock *s = &c->s[n - 1];
    uint32_t gen = (s->gen + 1u) & 0xFFFFFFu;
    uint64_t low = (uint64_t)gen << 16 | (uint64_t)c->number << 8 | (n - 1u);
    anv_handle_t cap = ANV_HANDLE_NULL;
    int err = net_stack_socket_mint(SOCK_SLOT(c->number, n - 1u), low, &cap);
    if (err != ANV_OK) {
        printf("netstack: client %u: minting a socket capability failed (%d)\n", c->number, err);
        anv_console_flush();
        return NET_E_NOSPACE;
    }
    s->gen = gen;
    s->cap = cap;
    *out = cap;
    return ANV_OK;
}

/* Every copy of the socket's capability goes (the client's and any it passed on), then
 * the stack's own: a later call on a copy is the kernel's ANV_E_BAD_HANDLE. */
static void sock_revoke(struct sock *s)
{
    if (s->cap == ANV_HANDLE_NULL)
        return;
    int r = anv_cap_revoke(s->cap);
    int d = anv_cap_delete(s->cap);
    if (r != ANV_OK || d != ANV_OK) {
        printf("netstack: revoking a socket capability failed (%d, %d)\n", r, d);
        anv_console_flush();
    }
    s->cap = ANV_HANDLE_NULL;
}

/* The one place a request meets the client's grants: refused requests are logged. */
static bool granted(struct client *c, netstack_op op, uint32_t ip, uint16_t port)
{
    if (netstack_grant_check(&c->grants, op, ip, port))
        return true;
    char a[16];
    ip_text(ip, a);
    c->denied++;
    if (op == NETSTACK_OP_TCP_LISTEN || op == NETSTACK_OP_UDP_BIND)
        printf("netstack: client %u denied %s port %u (not granted)\n", c->number,
               netstack_op_name(op), port);
    else if (op == NETSTACK_OP_RESOLVE)
        printf("netstack: client %u denied resolve (not granted)\n", c->number);
    else
        printf("netstack: client %u denied %s %s:%u (not granted)\n", c->number,
               netstack_op_name(op), a, port);
    anv_console_flush();
    return false;
}

static bool port_taken(uint8_t kind, uint16_t port)
{
    for (uint32_t k = 1; k <= CLIENTS; k++)
        for (uint32_t i = 0; i < SOCKS; i++)
            if (clients[k].s[i].kind == kind && clients[k].s[i].port == port)
                return true;
    return false;
}

/* What the client could see of a socket, folded into one word: if it differs from what
 * it was when the client was told AGAIN, the client is told to ask again. */
static uint32_t digest(const struct sock *s)
{
    switch (s->kind) {
    case SK_UDP: return 1u + s->ucount;
    case SK_LISTEN: return 1u + s->nbacklog;
    case SK_TCP: {
        const struct net_tcp_conn *t = &tcp.c[s->h];
        return (uint32_t)net_tcp_get_state(&tcp, s->h) * 0x9E3779B1u ^ (uint32_t)t->rlen << 1 ^
               (uint32_t)t->slen << 17 ^ (uint32_t)t->fin_rcvd;
    }
    default: return 0;
    }
}

static int again(struct client *c, struct sock *s)
{
    c->waiting = true;
    if (s)
        s->seen = digest(s);
    return NET_E_AGAIN;
}

/* After every round: a waiting client whose sockets changed gets its event. */
static void wake_clients(void)
{
    for (uint32_t k = 1; k <= CLIENTS; k++) {
        struct client *c = &clients[k];
        if (!c->present || !c->waiting)
            continue;
        bool changed = c->dns_state == 2 || (c->want_addr && stack.ip != 0 && up);
        for (uint32_t i = 0; i < SOCKS && !changed; i++)
            if (c->s[i].kind != SK_FREE && digest(&c->s[i]) != c->s[i].seen)
                changed = true;
        if (changed) {
            c->waiting = false;
            c->want_addr = false;
            (void)c->emit();
        }
    }
}

/* ---- lib/net callbacks ------------------------------------------------------------ */

static void on_udp(void *ctx, uint32_t src_ip, uint16_t src_port, uint32_t dst_ip,
                   uint16_t dst_port, const uint8_t *data, size_t len)
{
    (void)dst_ip;
    (void)dst_port;
    struct sock *s = ctx;
    if (s->kind != SK_UDP || len > UDP_DGRAM_MAX || s->ucount == UDP_QUEUE) {
        s->udp_dropped++;
        return;
    }
    struct dgram *d = &s->q[(s->uhead + s->ucount) % UDP_QUEUE];
    d->ip = src_ip;
    d->port = src_port;
    d->len = (uint16_t)len;
    memcpy(d->data, data, len);
    s->ucount++;
}

static void on_echo(void *ctx, uint32_t src_ip, uint16_t ident, uint16_t seq, const uint8_t *data,
                    size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    if (ident == 0x4e53 && src_ip == dhcp.lease.router && seq < ping_sent)
        ping_replies++;
}

static void on_dns(void *ctx, const char *name, const net_dns_result *r)
{
    struct client *c = ctx;
    if (r->via_tcp) {
        printf("netstack: lookup %s truncated over udp, asked over tcp: %s, %u addresses\n",
               name, net_strerror(r->err), (unsigned)r->total);
        anv_console_flush();
    }
    if (c->dns_state != 1)
        return;
    c->dns_state = 2;
    c->dns_err = r->err;
    c->dns_ip = r->err == NET_OK && r->naddrs > 0 ? r->addrs[0] : 0;
    c->dns_hops = r->cname_hops;
}

/* ---- the rounds thread 1 asks for: a frame, then every timer ----------------------- */

static void accept_pending(void)
{
    for (uint32_t k = 1; k <= CLIENTS; k++)
        for (uint32_t i = 0; i < SOCKS; i++) {
            struct sock *s = &clients[k].s[i];
            if (s->kind != SK_LISTEN)
                continue;
            for (uint32_t n = 0; n < NET_TCP_CONNS && s->nbacklog < BACKLOG; n++) {
                int h = net_tcp_accept(&tcp, s->port);
                if (h < 0)
                    break;
                s->backlog[s->nbacklog++] = h;
            }
        }
    /* Connections to a port whose listener was closed (lib/net keeps listening: it has no
     * way to stop) have nobody to go to: reset them. */
    for (uint32_t k = 0; k < NET_TCP_LISTENERS; k++)
        for (uint32_t n = 0; orphan_port[k] != 0 && n < NET_TCP_CONNS; n++) {
            int a = net_tcp_accept(&tcp, orphan_port[k]);
            if (a < 0)
                break;
            (void)net_tcp_abort(&tcp, a);
            tcp_orphan[a] = true;
        }
    for (uint32_t h = 0; h < NET_TCP_CONNS; h++) {
        if (tcp_orphan[h] && net_tcp_get_state(&tcp, (int)h) == NET_TCP_CLOSED) {
            net_tcp_release(&tcp, (int)h);
            tcp_orphan[h] = false;
        }
    }
}

static void report_lease(void)
{
    const net_dhcp_lease *l = &dhcp.lease;
    char ip[16], mask[16], router[16], dns_ip[16];
    ip_text(l->ip, ip);
    ip_text(l->mask, mask);
    ip_text(l->router, router);
    ip_text(l->ndns ? l->dns[0] : 0, dns_ip);
    printf("netstack: dhcp bound ip %s mask %s router %s dns %s lease %u s\n", ip, mask, router,
           dns_ip, (unsigned)l->lease_s);
    anv_console_flush();
}

static void timers(uint64_t now)
{
    net_poll(&stack, now);
    net_tcp_poll(&tcp, now);
    net_dhcp_poll(&dhcp, now);
    if (dns_ready)
        net_dns_poll(&dns, now);
    bool bound = dhcp.state == NET_DHCP_BOUND || dhcp.state == NET_DHCP_RENEWING ||
                 dhcp.state == NET_DHCP_REBINDING;
    if (bound && !bound_reported) {
        bound_reported = true;
        report_lease();
        if (dhcp.lease.ndns > 0 && net_dns_init(&dns, &stack, dhcp.lease.dns[0]) == NET_OK) {
            dns_ready = true;
            /* RFC 7766: a truncated answer is asked again over TCP (docs/net.md). */
            net_err e = net_dns_use_tcp(&dns, &tcp);
            if (e != NET_OK) {
                printf("netstack: dns over tcp not available: %s\n", net_strerror(e));
                anv_console_flush();
            }
        }
        ping_next_ms = now;
        ping_deadline_ms = now + 2000u;
        if (NET_STACK_CONFIG_PING_ROUTER == 0 || dhcp.lease.router == 0)
            up = true;
    }
    /* Once bound, the stack pings its router (NET_STACK_CONFIG_PING_ROUTER requests, 100 ms
     * apart) and reports; it tells its clients it has an address only after that, when
     * every reply is in or 2 s have passed, so the check is done before any client runs. */
    if (bound && !up && now >= ping_next_ms) {
        if (ping_sent < NET_STACK_CONFIG_PING_ROUTER) {
            static const uint8_t payload[32] = "anvaya netstack ping";
            net_err e = net_ping(&stack, dhcp.lease.router, 0x4e53, (uint16_t)ping_sent, payload,
                                 sizeof payload);
            if (e == NET_OK || e == NET_ERR_PENDING) {
                ping_sent++;
            } else if (ping_failed++ == 0) {
                printf("netstack: ping of the router not sent: %s\n", net_strerror(e));
                anv_console_flush();
            }
            ping_next_ms = now + 100u;
        }
        if (ping_replies >= NET_STACK_CONFIG_PING_ROUTER || now >= ping_deadline_ms) {
            char r[16];
            ip_text(dhcp.lease.router, r);
            printf("netstack: ping %s: %u sent, %u replies\n", r, ping_sent, ping_replies);
            anv_console_flush();
            up = true;
        }
    }
    accept_pending();
}

int net_stack_pump_frames(uint64_t badge, uint32_t count)
{
    if (badge != NETSTACK_SELF_BADGE)
        return ANV_E_INVALID_ARG;
    if (count > NETDEV_BATCH)
        return ANV_E_INVALID_ARG;
    uint64_t now = now_ms();
    /* Thread 1 waits for this reply before it calls the driver again, so these slots
     * stay as they are while we read them; each length is still checked, read once. */
    const volatile uint16_t *lens = (const volatile uint16_t *)(uintptr_t)nic(NETDEV_RX_LENGTHS);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t length = lens[i];
        if (length < NETDEV_FRAME_MIN || length > NET_FRAME_MAX) {
            if (rx_refused++ % 1000u == 0) {
                printf("netstack: the NIC gave %u frames of an impossible length (last %u)\n",
                       rx_refused, length);
                anv_console_flush();
            }
            continue;
        }
        from_dataport(staging, nic(netdev_rx_slot(i)), length);
        (void)net_input(&stack, staging, length, now);
        frames_in++;
    }
    rounds++;
    timers(now);
    wake_clients();
    return ANV_OK;
}

/* Thread 1: the NIC's waiter. It never touches the stack; thread 0 does all of it. */
int anv_thread_main(uint32_t index)
{
    (void)index;
    for (;;) {
        uint32_t count = 0;
        nic_waiter_inside = true;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        int e = net_stack_nic_receive_batch(NIC_WAIT_TICKS, &count);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        nic_waiter_inside = false;
        if (e != ANV_OK || count > NETDEV_BATCH) {
            count = 0;
            if (e != NET_DEVICE_E_TIMEOUT) {
                printf("netstack: the NIC's receive failed (%d)\n", e);
                anv_console_flush();
                (void)anv_wait_one(ANV_HANDLE_NULL, 100, NULL, NULL);
            }
        }
        e = net_stack_self_frames(count);
        if (e != ANV_OK) {
            printf("netstack: the stack refused a round (%d)\n", e);
            anv_console_flush();
        }
    }
}

/* ---- Sockets: the service --------------------------------------------------------- */

#define CLIENT_OR_FAIL()                                                                   \
    struct client *c = client_of(badge);                                                   \
    if (c == NULL)                                                                         \
        return NET_E_INVAL

#define SOCK_OR_FAIL(kind_)                                                                \
    struct client *c = NULL;                                                               \
    struct sock *s = sock_of_low(low, &c);                                                 \
    if (s == NULL || s->kind != (kind_))                                                   \
        return NET_E_NOSOCK

int net_stack_sockets_address(uint64_t badge, uint32_t *ip, uint32_t *mask, uint32_t *gateway,
                              uint32_t *dns_ip)
{
    CLIENT_OR_FAIL();
    if (stack.ip == 0 || !up) {
        c->want_addr = true;
        return again(c, NULL);
    }
    *ip = stack.ip;
    *mask = stack.mask;
    *gateway = stack.gateway;
    *dns_ip = dhcp.lease.ndns ? dhcp.lease.dns[0] : 0;
    return ANV_OK;
}

int net_stack_sockets_udp_bind(uint64_t badge, uint16_t port, anv_handle_t *out)
{
    CLIENT_OR_FAIL();
    if (port == 0)
        return NET_E_INVAL;
    if (!granted(c, NETSTACK_OP_UDP_BIND, 0, port))
        return NET_E_DENIED;
    uint32_t n = 0;
    int err = sock_alloc(c, &n);
    if (err != ANV_OK)
        return err;
    struct sock *s = &c->s[n - 1];
    err = sock_mint(c, n, out);
    if (err != ANV_OK)
        return err;
    net_err e = net_udp_bind(&stack, port, on_udp, s);
    if (e != NET_OK) {
        sock_revoke(s);
        return sock_err(e);
    }
    s->kind = SK_UDP;
    s->port = port;
    return ANV_OK;
}

int net_stack_sockets_tcp_connect(uint64_t badge, uint32_t ip, uint16_t port, anv_handle_t *out)
{
    CLIENT_OR_FAIL();
    if (ip == 0 || port == 0)
        return NET_E_INVAL;
    if (!granted(c, NETSTACK_OP_TCP_CONNECT, ip, port))
        return NET_E_DENIED;
    if (stack.ip == 0)
        return NET_E_NOADDR;
    uint32_t n = 0;
    int err = sock_alloc(c, &n);
    if (err != ANV_OK)
        return err;
    struct sock *s = &c->s[n - 1];
    err = sock_mint(c, n, out);
    if (err != ANV_OK)
        return err;
    net_err e = NET_OK;
    int h = net_tcp_connect(&tcp, ip, port, &e);
    if (h < 0) {
        sock_revoke(s);
        return sock_err(e == NET_OK ? NET_ERR_NOSPACE : e);
    }
    s->kind = SK_TCP;
    s->h = h;
    s->rip = ip;
    s->rport = port;
    return ANV_OK;
}

int net_stack_sockets_tcp_listen(uint64_t badge, uint16_t port, anv_handle_t *out)
{
    CLIENT_OR_FAIL();
    if (port == 0)
        return NET_E_INVAL;
    if (!granted(c, NETSTACK_OP_TCP_LISTEN, 0, port))
        return NET_E_DENIED;
    if (port_taken(SK_LISTEN, port))
        return NET_E_INUSE;
    uint32_t n = 0;
    int err = sock_alloc(c, &n);
    if (err != ANV_OK)
        return err;
    struct sock *s = &c->s[n - 1];
    err = sock_mint(c, n, out);
    if (err != ANV_OK)
        return err;
    bool reused = false;
    for (uint32_t k = 0; k < NET_TCP_LISTENERS; k++)
        if (orphan_port[k] == port) {
            orphan_port[k] = 0; /* a listener closed earlier, which lib/net still keeps */
            reused = true;
        }
    if (!reused) {
        net_err e = net_tcp_listen(&tcp, port);
        if (e != NET_OK) {
            sock_revoke(s);
            return sock_err(e);
        }
    }
    s->kind = SK_LISTEN;
    s->port = port;
    return ANV_OK;
}

int net_stack_sockets_lookup(uint64_t badge, const struct anv_bytes_128 *name, uint32_t *ip,
                             uint32_t *aliases)
{
    CLIENT_OR_FAIL();
    if (name->len == 0 || name->len > 128 || memchr(name->data, 0, name->len) != NULL)
        return NET_E_INVAL;
    if (!granted(c, NETSTACK_OP_RESOLVE, 0, 0))
        return NET_E_DENIED;
    char n[129];
    memcpy(n, name->data, name->len);
    n[name->len] = '\0';
    if (c->dns_state != 0 && strcmp(n, c->dns_name) == 0) {
        if (c->dns_state == 1)
            return again(c, NULL);
        c->dns_state = 0;
        if (c->dns_err != NET_OK)
            return sock_err(c->dns_err);
        *ip = c->dns_ip;
        *aliases = c->dns_hops;
        return ANV_OK;
    }
    if (c->dns_state == 1)
        return NET_E_STATE; /* another name is still being looked up for this client */
    if (!dns_ready)
        return NET_E_NOADDR;
    memcpy(c->dns_name, n, sizeof n);
    c->dns_state = 1;
    net_err e = net_dns_query(&dns, n, on_dns, c);
    if (e != NET_OK) {
        c->dns_state = 0;
        return sock_err(e);
    }
    return again(c, NULL);
}

int net_stack_sockets_stats(uint64_t badge, uint32_t *rx, uint32_t *tx, uint32_t *bad,
                            uint32_t *retransmits, uint64_t *instructions, uint64_t *nic_send)
{
    CLIENT_OR_FAIL();
    (void)c;
    const net_stats *st = &stack.stats;
    *rx = st->rx_frames;
    *tx = st->tx_frames;
    *bad = st->rx_short + st->arp_bad + st->ip_bad_header + st->ip_bad_checksum +
           st->ip_bad_length + st->ip_bad_source + st->frag_bad + st->icmp_bad +
           st->icmp_bad_checksum + st->udp_bad + st->udp_bad_checksum + tcp.stats.bad +
           tcp.stats.bad_checksum;
    *retransmits = tcp.stats.retransmits;
    /* What was dropped, by layer, on the console (tests/qemu/test_netstack_hostile.py). */
    const net_tcp_stats *ts = &tcp.stats;
    printf("netstack: dropped: short %u arp-bad %u ip-header %u ip-checksum %u ip-length %u "
           "ip-source %u frag-bad %u icmp-bad %u icmp-checksum %u udp-bad %u udp-checksum %u "
           "udp-no-port %u tcp-bad %u tcp-checksum %u tcp-dropped %u tcp-out-of-order %u "
           "tcp-rst-rx %u tcp-rst-sent %u tcp-half-open-evicted %u\n",
           st->rx_short, st->arp_bad, st->ip_bad_header, st->ip_bad_checksum, st->ip_bad_length,
           st->ip_bad_source, st->frag_bad, st->icmp_bad, st->icmp_bad_checksum, st->udp_bad,
           st->udp_bad_checksum, st->udp_no_port, ts->bad, ts->bad_checksum, ts->dropped,
           ts->out_of_order, ts->rst_rx, ts->rst_sent, ts->half_open_evicted);
    *instructions = work_instructions;
    *nic_send = nic_send_instructions;
    return ANV_OK;
}

/* ---- Socket: calls on one socket's capability ------------------------------------- */

int net_stack_socket_udp_sendto(uint64_t low, uint32_t ip, uint16_t port, uint32_t length)
{
    SOCK_OR_FAIL(SK_UDP);
    if (ip == 0 || port == 0 || length > c->buf_size || length > NET_FRAG_MAX - NET_UDP_HDR)
        return NET_E_INVAL;
    if (!granted(c, NETSTACK_OP_UDP_SEND, ip, port))
        return NET_E_DENIED;
    if (stack.ip == 0)
        return NET_E_NOADDR;
    from_dataport(staging, c->buf, length);
    return sock_err(net_udp_send(&stack, 0, s->port, ip, port, staging, length));
}

int net_stack_socket_udp_recvfrom(uint64_t low, uint32_t *ip, uint16_t *port, uint32_t *length)
{
    SOCK_OR_FAIL(SK_UDP);
    if (s->ucount == 0)
        return again(c, s);
    const struct dgram *d = &s->q[s->uhead];
    if (d->len > c->buf_size)
        return NET_E_INVAL;
    to_dataport(c->buf, d->data, d->len);
    *ip = d->ip;
    *port = d->port;
    *length = d->len;
    s->uhead = (uint8_t)((s->uhead + 1u) % UDP_QUEUE);
    s->ucount--;
    return ANV_OK;
}

int net_stack_socket_tcp_accept(uint64_t low, anv_handle_t *out, uint32_t *ip, uint16_t *port)
{
    SOCK_OR_FAIL(SK_LISTEN);
    struct sock *l = s;
    accept_pending();
    if (l->nbacklog == 0)
        return again(c, l);
    uint32_t n = 0;
    int err = sock_alloc(c, &n);
    if (err != ANV_OK)
        return err;
    struct sock *a = &c->s[n - 1];
    err = sock_mint(c, n, out);
    if (err != ANV_OK)
        return err;
    int h = l->backlog[0];
    memmove(l->backlog, l->backlog + 1, (size_t)(l->nbacklog - 1u) * sizeof l->backlog[0]);
    l->nbacklog--;
    a->kind = SK_TCP;
    a->h = h;
    a->rip = tcp.c[h].rip;
    a->rport = tcp.c[h].rport;
    *ip = a->rip;
    *port = a->rport;
    return ANV_OK;
}

/* A connection that ended: its error, or CLOSED for an orderly end. */
static int ended(const struct sock *s)
{
    net_err e = net_tcp_error(&tcp, s->h);
    return e == NET_OK ? (int)NET_E_CLOSED : sock_err(e);
}

int net_stack_socket_tcp_send(uint64_t low, uint32_t length, uint32_t *taken)
{
    SOCK_OR_FAIL(SK_TCP);
    if (length > c->buf_size)
        return NET_E_INVAL;
    if (s->shut)
        return NET_E_STATE;
    net_tcp_state st = net_tcp_get_state(&tcp, s->h);
    if (st == NET_TCP_CLOSED)
        return ended(s);
    if (st == NET_TCP_SYN_SENT || st == NET_TCP_SYN_RCVD)
        return again(c, s);
    /* Only what the send buffer has room for: a client retrying with a full dataport
     * should not cost a full copy each time. */
    uint32_t room = NET_TCP_BUF - tcp.c[s->h].slen;
    if (length > room)
        length = room;
    if (length == 0)
        return again(c, s);
    from_dataport(staging, c->buf, length);
    long n = net_tcp_send(&tcp, s->h, staging, length);
    if (n < 0)
        return NET_E_STATE;
    if (n == 0 && length > 0)
        return again(c, s);
    *taken = (uint32_t)n;
    return ANV_OK;
}

int net_stack_socket_tcp_recv(uint64_t low, uint32_t max, uint32_t *length)
{
    SOCK_OR_FAIL(SK_TCP);
    if (max > c->buf_size)
        max = c->buf_size;
    long n = net_tcp_recv(&tcp, s->h, staging, max);
    if (n < 0)
        return net_tcp_get_state(&tcp, s->h) == NET_TCP_CLOSED ? ended(s) : (int)NET_E_CLOSED;
    if (n == 0)
        return max == 0 ? ANV_OK : again(c, s);
    to_dataport(c->buf, staging, (size_t)n);
    *length = (uint32_t)n;
    return ANV_OK;
}

int net_stack_socket_tcp_status(uint64_t low, uint32_t *state, uint32_t *unsent)
{
    SOCK_OR_FAIL(SK_TCP);
    (void)c;
    *state = (uint32_t)net_tcp_get_state(&tcp, s->h);
    *unsent = tcp.c[s->h].slen;
    return ANV_OK;
}

int net_stack_socket_tcp_shutdown(uint64_t low)
{
    SOCK_OR_FAIL(SK_TCP);
    if (s->shut)
        return ANV_OK;
    net_tcp_state st = net_tcp_get_state(&tcp, s->h);
    if (st == NET_TCP_SYN_SENT || st == NET_TCP_SYN_RCVD)
        return again(c, s);
    if (st != NET_TCP_ESTABLISHED && st != NET_TCP_CLOSE_WAIT)
        return ended(s);
    if (net_tcp_close(&tcp, s->h) != NET_OK)
        return NET_E_STATE;
    s->shut = 1;
    return ANV_OK;
}

/* Ends the socket in lib/net and revokes its capability: the slot is free at once. */
static void sock_free(struct sock *s)
{
    switch (s->kind) {
    case SK_UDP:
        (void)net_udp_unbind(&stack, s->port);
        break;
    case SK_LISTEN:
        /* Accepted but never taken: reset them, their owner is gone. */
        for (uint32_t i = 0; i < s->nbacklog; i++) {
            (void)net_tcp_abort(&tcp, s->backlog[i]);
            tcp_orphan[s->backlog[i]] = true;
        }
        for (uint32_t k = 0; k < NET_TCP_LISTENERS; k++)
            if (orphan_port[k] == 0) {
                orphan_port[k] = s->port;
                break;
            }
        break;
    case SK_TCP:
        /* After tcp_shutdown our FIN is on its way: the connection finishes by itself. */
        if (!s->shut && net_tcp_get_state(&tcp, s->h) != NET_TCP_CLOSED &&
            net_tcp_close(&tcp, s->h) != NET_OK)
            (void)net_tcp_abort(&tcp, s->h);
        tcp_orphan[s->h] = true;
        break;
    default:
        break;
    }
    sock_revoke(s);
    s->kind = SK_FREE;
    accept_pending();
}

int net_stack_socket_close(uint64_t low)
{
    struct client *c = NULL;
    struct sock *s = sock_of_low(low, &c);
    if (s == NULL)
        return NET_E_NOSOCK;
    sock_free(s);
    return ANV_OK;
}

/* A reply carrying a new socket's capability was refused (the client's CSpace is full):
 * the socket goes again, and the client is answered with the kernel's error. */
void net_stack_cap_unsent(anv_handle_t cap)
{
    for (uint32_t k = 1; k <= CLIENTS; k++)
        for (uint32_t i = 0; i < SOCKS; i++) {
            struct sock *s = &clients[k].s[i];
            if (s->kind != SK_FREE && s->cap == cap) {
                printf("netstack: client %u has no free slot for a socket: socket closed\n", k);
                anv_console_flush();
                sock_free(s);
                return;
            }
        }
}

/* The generated serve loop, with the instructions of each request counted (the waits for
 * the next one are not: they are idle time, not the stack's work). */
static _Noreturn void serve(void)
{
    uint64_t info, badge;
    int err = anv_ipc_receive(NET_STACK_HANDLE_SERVICE, &info, &badge);
    for (;;) {
        if (err != ANV_OK) {
            err = anv_ipc_receive(NET_STACK_HANDLE_SERVICE, &info, &badge);
            continue;
        }
        uint64_t i0 = rdinstret();
        kicked_this_request = false;
        uint64_t reply = net_stack_dispatch(info, badge);
        if (tx_queued > 0) {
            /* What the request made lib/net send goes out before the reply; the driver's
             * call reuses this thread's IPC buffer, so the reply's words are kept aside. */
            struct anv_ipc_buffer *ib = anv_ipcbuf();
            uint32_t words = anv_msginfo_words(reply), caps = anv_msginfo_caps(reply);
            uint64_t mr[ANV_IPC_MAX_WORDS], co[ANV_IPC_MAX_CAPS], cr[ANV_IPC_MAX_CAPS];
            words = words < ANV_IPC_MAX_WORDS ? words : ANV_IPC_MAX_WORDS;
            caps = caps < ANV_IPC_MAX_CAPS ? caps : ANV_IPC_MAX_CAPS;
            memcpy(mr, ib->mr, words * sizeof mr[0]);
            memcpy(co, ib->caps_out, caps * sizeof co[0]);
            memcpy(cr, ib->caps_out_rights, caps * sizeof cr[0]);
            tx_flush();
            memcpy(ib->mr, mr, words * sizeof mr[0]);
            memcpy(ib->caps_out, co, caps * sizeof co[0]);
            memcpy(ib->caps_out_rights, cr, caps * sizeof cr[0]);
        }
        work_instructions += rdinstret() - i0;
        err = net_stack_reply_recv(reply, &info, &badge);
    }
}

/* ---- start ------------------------------------------------------------------------ */

/* The NIC's raw transmit rate, the ceiling for TCP goodput in the same run: full frames
 * to the broadcast address with a local experimental EtherType (0x88B5), which Linux
 * ignores, through the same path lib/net's frames take. */
static void raw_tx(const uint8_t mac[6])
{
    const uint32_t n = (uint32_t)NET_STACK_CONFIG_RAW_TX_FRAMES;
    if (n == 0)
        return;
    memset(staging, 0, NET_FRAME_MAX);
    memset(staging, 0xFF, 6);
    memcpy(staging + 6, mac, 6);
    staging[12] = 0x88;
    staging[13] = 0xB5;
    uint32_t failed = 0, lost0 = tx_lost;
    uint64_t t0 = now_ms();
    for (uint32_t i = 0; i < n; i++) {
        staging[14] = (uint8_t)i;
        kicked_this_request = false;
        if (link_send(NULL, staging, NET_FRAME_MAX) != NET_OK)
            failed++;
    }
    tx_flush();
    failed += tx_lost - lost0; /* queued, but the driver did not take them */
    uint64_t ms = now_ms() - t0;
    printf("netstack: raw tx %u frames of %u bytes in %u ms, %u failed\n", n, NET_FRAME_MAX,
           (unsigned)ms, failed);
    anv_console_flush();
}

int main(void)
{
    struct anv_bytes_6 mac = {0};
    uint32_t mtu = 0;
    int err = net_stack_nic_info(&mac, &mtu);
    if (err != ANV_OK || mac.len != 6 || mtu < 576) {
        printf("netstack: the NIC answered info with %d (mtu %u)\n", err, mtu);
        return 1;
    }
    const struct {
        volatile void *buf;
        uint32_t size;
        int (*emit)(void);
    } cfg[CLIENTS] = {
        {NET_STACK_CLIENT1, NET_STACK_CLIENT1_SIZE, net_stack_ready1_emit},
        {NET_STACK_CLIENT2, NET_STACK_CLIENT2_SIZE, net_stack_ready2_emit},
        {NET_STACK_CLIENT3, NET_STACK_CLIENT3_SIZE, net_stack_ready3_emit},
        {NET_STACK_CLIENT4, NET_STACK_CLIENT4_SIZE, net_stack_ready4_emit},
    };
    for (uint32_t k = 0; k < NET_STACK_SOCKETS_GRANT_COUNT; k++) {
        const struct net_stack_sockets_grant *g = &net_stack_sockets_grants[k];
        struct client *c = &clients[k + 1];
        size_t where = 0;
        size_t len = g->allow.len <= sizeof g->allow.data ? g->allow.len : sizeof g->allow.data;
        netstack_grant_err ge =
            netstack_grants_parse((const char *)g->allow.data, len, &c->grants, &where);
        if (ge != NETSTACK_GRANT_OK) {
            printf("netstack: grants of client %u (%s), at offset %u: %s\n", k + 1,
                   net_stack_sockets_grant_clients[k], (unsigned)where,
                   netstack_grant_strerror(ge));
            return 2;
        }
        c->present = true;
        c->number = k + 1;
        c->buf = (volatile uint8_t *)cfg[k].buf;
        c->buf_size = cfg[k].size < sizeof staging ? cfg[k].size : (uint32_t)sizeof staging;
        c->emit = cfg[k].emit;
        if (c->grants.count > 0)
            printf("netstack: client %u (%s) holds %u grants: %.*s\n", k + 1,
                   net_stack_sockets_grant_clients[k], c->grants.count, (int)len,
                   (const char *)g->allow.data);
    }
    raw_tx(mac.data);
    const net_link link = {.ctx = NULL, .send = link_send, .random = link_random};
    uint64_t now = now_ms();
    net_err e = net_init(&stack, &link, mac.data, now);
    if (e == NET_OK)
        e = net_tcp_init(&tcp, &stack);
    if (e == NET_OK) {
        net_set_echo_handler(&stack, on_echo, NULL);
        e = net_dhcp_start(&dhcp, &stack);
    }
    if (e != NET_OK) {
        printf("netstack: the stack did not start: %s\n", net_strerror(e));
        return 1;
    }
    tx_flush();
    printf("netstack: mac %02x:%02x:%02x:%02x:%02x:%02x, dhcp discover sent, %u tcp "
           "connections, %u-byte buffers\n", mac.data[0], mac.data[1], mac.data[2], mac.data[3],
           mac.data[4], mac.data[5], NET_TCP_CONNS, NET_TCP_BUF);
    anv_console_flush();
    serve();
}
