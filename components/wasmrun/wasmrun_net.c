/* The runner's sockets (docs/wasm.md, "Sockets"): lib/wasi's wasi_net_ops over the network
 * stack's Sockets interface: every socket is a cap<Socket> the runner holds (the app sees
 * only its descriptor number). Nothing in the interface waits, so every operation answers at
 * once and waiting is the stack's ready event (with a timeout); a small stash per socket
 * lets poll_oneoff know a socket is readable without losing what it read. */
#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */

#include <stdio.h>
#include <string.h>

#include "wasmrun_net.h"

#ifdef WASM_RUNNER_HANDLE_NET

#define NET_SOCKS 4u                 /* the app's sockets at once */
#define STASH WASM_RUNNER_NETBUF_SIZE
#define TICK_NS 10000000ull          /* the kernel's tick: 10 ms */
#define NOADDR_TICKS 1000u           /* how long connect waits for DHCP: 10 s */
#define TCP_SYN_SENT 1u
#define TCP_SYN_RCVD 2u
#define TCP_ESTABLISHED 3u
#define TCP_CLOSE_WAIT 6u

typedef struct gsock {
    uint8_t used, listener, eof;
    uint16_t err;                    /* a WASI errno that ended the connection, reported once read */
    anv_handle_t s;                  /* the socket: its capability from the stack */
    anv_handle_t accepted;           /* a listener: a connection taken by ready(), not yet given */
    uint32_t off, len;               /* the stash */
    uint8_t stash[STASH];
} gsock;

static gsock socks[NET_SOCKS];
static volatile uint8_t *const nbuf = (volatile uint8_t *)WASM_RUNNER_NETBUF;

static wasi_errno sock_errno(int e)
{
    switch (e) {
    case ANV_OK: return WASI_ESUCCESS;
    case NET_E_DENIED: return WASI_ENOTCAPABLE;
    case NET_E_AGAIN: return WASI_EAGAIN;
    case NET_E_INVAL: return WASI_EINVAL;
    case NET_E_NOSOCK: return WASI_EBADF;
    case NET_E_NOSPACE: return WASI_ENFILE;
    case NET_E_INUSE: return WASI_EADDRINUSE;
    case NET_E_NOADDR: return WASI_ENETDOWN;
    case NET_E_CLOSED: return WASI_EPIPE;
    case NET_E_RESET: return WASI_ECONNRESET;
    case NET_E_CONNREFUSED: return WASI_ECONNREFUSED;
    case NET_E_TIMEOUT: return WASI_ETIMEDOUT;
    case NET_E_NXDOMAIN: return WASI_ENOENT;
    case NET_E_NODATA: return WASI_EADDRNOTAVAIL;
    case NET_E_TRUNCATED: return WASI_EMSGSIZE;
    case NET_E_SERVFAIL: return WASI_EIO;
    case NET_E_STATE: return WASI_ENOTCONN;
    case NET_E_NETWORK: return WASI_ENETUNREACH;
    default: return WASI_EIO;        /* the stack could not be reached */
    }
}

static gsock *gs(uint32_t h)
{
    return h >= 1 && h <= NET_SOCKS && socks[h - 1].used ? &socks[h - 1] : NULL;
}

static int gs_new(anv_handle_t s, int listener, uint32_t *h)
{
    for (uint32_t i = 0; i < NET_SOCKS; i++)
        if (!socks[i].used) {
            gsock *g = &socks[i];
            g->used = 1;
            g->listener = (uint8_t)listener;
            g->eof = 0;
            g->err = 0;
            g->s = s;
            g->accepted = ANV_HANDLE_NULL;
            g->off = g->len = 0;
            *h = i + 1;
            return 1;
        }
    return 0;
}

static void nap(uint64_t ticks)
{
    uint64_t res = 0, bits = 0;
    (void)anv_wait_one(WASM_RUNNER_HANDLE_EVENTS, ticks ? ticks : 1, &res, &bits);
}

static wasi_errno n_connect(void *ctx, uint32_t ip, uint16_t port, uint32_t *h)
{
    (void)ctx;
    uint32_t free_h = 0;
    for (uint32_t i = 0; i < NET_SOCKS && free_h == 0; i++)
        if (!socks[i].used)
            free_h = i + 1;
    if (free_h == 0)
        return WASI_ENFILE;
    anv_handle_t s = ANV_HANDLE_NULL;
    int e = NET_E_NOADDR;
    /* The stack has no address until DHCP is done: a runner started with it waits for it. */
    for (uint32_t tries = 0; e == NET_E_NOADDR && tries < NOADDR_TICKS; tries++) {
        e = wasm_runner_net_tcp_connect(ip, port, &s);
        if (e == NET_E_NOADDR)
            nap(1);
    }
    if (e == NET_E_DENIED)
        printf("%s: app's connect to %u.%u.%u.%u:%u denied by the stack\n",
               WASM_RUNNER_INSTANCE_NAME, (unsigned)(ip >> 24), (unsigned)(ip >> 16) & 255u,
               (unsigned)(ip >> 8) & 255u, (unsigned)ip & 255u, (unsigned)port);
    if (e != ANV_OK)
        return sock_errno(e);
    if (!gs_new(s, 0, h)) {
        (void)wasm_runner_socket_close(s); /* cannot happen (a slot was free): undo anyway */
        return WASI_ENFILE;
    }
    return WASI_ESUCCESS;
}

/* A connection found closed while connecting: a refusal or timeout is its error; an
 * orderly end (it was established and ended at once) is for recv to report. */
static wasi_errno ended(gsock *g)
{
    uint32_t n = 0;
    int e = wasm_runner_socket_tcp_recv(g->s, STASH, &n);
    if (e == ANV_OK) {
        if (n > STASH)
            n = STASH;
        for (uint32_t i = 0; i < n; i++)
            g->stash[i] = nbuf[i];
        g->off = 0;
        g->len = n;
        return WASI_ESUCCESS;
    }
    if (e == NET_E_CLOSED) {
        g->eof = 1;
        return WASI_ESUCCESS;
    }
    return sock_errno(e);
}

static wasi_errno n_connected(void *ctx, uint32_t h)
{
    (void)ctx;
    gsock *g = gs(h);
    if (g == NULL)
        return WASI_EBADF;
    uint32_t state = 0, unsent = 0;
    int e = wasm_runner_socket_tcp_status(g->s, &state, &unsent);
    if (e != ANV_OK)
        return sock_errno(e);
    if (state == TCP_SYN_SENT || state == TCP_SYN_RCVD) {
        uint32_t taken = 0;
        /* Asking to send nothing registers our interest: the stack signals the handshake. */
        (void)wasm_runner_socket_tcp_send(g->s, 0, &taken);
        return WASI_EAGAIN;
    }
    if (state == 0)
        return ended(g);
    return WASI_ESUCCESS;
}

static wasi_errno n_listen(void *ctx, uint16_t port, uint32_t *h)
{
    (void)ctx;
    anv_handle_t s = ANV_HANDLE_NULL;
    int e = wasm_runner_net_tcp_listen(port, &s);
    if (e != ANV_OK)
        return sock_errno(e);
    if (!gs_new(s, 1, h)) {
        (void)wasm_runner_socket_close(s);
        return WASI_ENFILE;
    }
    return WASI_ESUCCESS;
}

static wasi_errno take_accept(gsock *l, anv_handle_t *s)
{
    uint32_t ip = 0;
    uint16_t port = 0;
    return sock_errno(wasm_runner_socket_tcp_accept(l->s, s, &ip, &port));
}

static wasi_errno n_accept(void *ctx, uint32_t listener, uint32_t *h)
{
    (void)ctx;
    gsock *l = gs(listener);
    if (l == NULL || !l->listener)
        return WASI_EBADF;
    anv_handle_t s = l->accepted;
    if (s == ANV_HANDLE_NULL) {
        wasi_errno e = take_accept(l, &s);
        if (e != WASI_ESUCCESS)
            return e;
    }
    if (!gs_new(s, 0, h)) {
        l->accepted = s; /* kept for when a descriptor is free */
        return WASI_ENFILE;
    }
    l->accepted = ANV_HANDLE_NULL;
    return WASI_ESUCCESS;
}

static wasi_errno n_send(void *ctx, uint32_t h, const void *buf, size_t len, size_t *sent)
{
    (void)ctx;
    gsock *g = gs(h);
    if (g == NULL || g->listener)
        return WASI_EBADF;
    uint32_t n = len > STASH ? STASH : (uint32_t)len;
    const uint8_t *p = buf;
    for (uint32_t i = 0; i < n; i++)
        nbuf[i] = p[i];
    uint32_t taken = 0;
    int e = wasm_runner_socket_tcp_send(g->s, n, &taken);
    if (e != ANV_OK)
        return e == NET_E_CLOSED ? WASI_EPIPE : sock_errno(e);
    *sent = taken > n ? n : taken;
    return WASI_ESUCCESS;
}

/* Fills the stash from the stack when it is empty; EAGAIN when nothing has come. */
static wasi_errno fill(gsock *g)
{
    if (g->off < g->len || g->eof || g->err)
        return WASI_ESUCCESS;
    uint32_t n = 0;
    int e = wasm_runner_socket_tcp_recv(g->s, STASH, &n);
    if (e == NET_E_AGAIN)
        return WASI_EAGAIN;
    if (e == NET_E_CLOSED) {
        g->eof = 1;
        return WASI_ESUCCESS;
    }
    if (e != ANV_OK) {
        g->err = (uint16_t)sock_errno(e);
        return WASI_ESUCCESS;
    }
    if (n > STASH)
        n = STASH;
    for (uint32_t i = 0; i < n; i++)
        g->stash[i] = nbuf[i];
    g->off = 0;
    g->len = n;
    return WASI_ESUCCESS;
}

static wasi_errno n_recv(void *ctx, uint32_t h, void *buf, size_t len, size_t *got)
{
    (void)ctx;
    gsock *g = gs(h);
    if (g == NULL || g->listener)
        return WASI_EBADF;
    wasi_errno e = fill(g);
    if (e != WASI_ESUCCESS)
        return e;
    if (g->off < g->len) {
        uint32_t n = g->len - g->off;
        if (n > len)
            n = (uint32_t)len;
        memcpy(buf, g->stash + g->off, n);
        g->off += n;
        *got = n;
        return WASI_ESUCCESS;
    }
    if (g->err) {
        wasi_errno r = (wasi_errno)g->err;
        g->err = 0;
        g->eof = 1; /* reported once; the stream has ended */
        return r;
    }
    *got = 0; /* the end of the stream */
    return WASI_ESUCCESS;
}

/* Shutting down the sending side is the stack's half-close: our FIN goes out after the
 * queued data and receiving goes on (lib/wasi refuses the app's later sends itself).
 * The receiving side needs nothing from the stack: the app just stops reading. */
static wasi_errno n_shutdown(void *ctx, uint32_t h, uint32_t how)
{
    (void)ctx;
    gsock *g = gs(h);
    if (g == NULL)
        return WASI_EBADF;
    if (!(how & 2u) || g->listener)
        return WASI_ESUCCESS;
    int e = wasm_runner_socket_tcp_shutdown(g->s);
    if (e == (int)NET_E_AGAIN)
        return WASI_ENOTCONN; /* the handshake has not finished */
    return sock_errno(e);
}

static wasi_errno n_close(void *ctx, uint32_t h)
{
    (void)ctx;
    gsock *g = gs(h);
    if (g == NULL)
        return WASI_EBADF;
    if (g->accepted)
        (void)wasm_runner_socket_close(g->accepted);
    int e = wasm_runner_socket_close(g->s);
    g->used = 0;
    return sock_errno(e);
}

static wasi_errno n_ready(void *ctx, uint32_t h, uint32_t *events, uint64_t *nbytes)
{
    (void)ctx;
    gsock *g = gs(h);
    if (g == NULL)
        return WASI_EBADF;
    *events = 0;
    *nbytes = 0;
    if (g->listener) {
        if (g->accepted == ANV_HANDLE_NULL) {
            anv_handle_t s = ANV_HANDLE_NULL;
            if (take_accept(g, &s) == WASI_ESUCCESS)
                g->accepted = s;
        }
        *events = g->accepted ? WASI_NET_READ : 0;
        return WASI_ESUCCESS;
    }
    (void)fill(g);
    if (g->off < g->len) {
        *events |= WASI_NET_READ;
        *nbytes = g->len - g->off;
    }
    if (g->eof || g->err)
        *events |= WASI_NET_READ | WASI_NET_HUP;
    uint32_t state = 0, unsent = 0;
    if (wasm_runner_socket_tcp_status(g->s, &state, &unsent) == ANV_OK &&
        (state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT))
        *events |= WASI_NET_WRITE;
    else if (state == 0)
        *events |= WASI_NET_WRITE | WASI_NET_HUP;
    return WASI_ESUCCESS;
}

static wasi_errno n_resolve(void *ctx, const char *name, uint32_t *ip)
{
    (void)ctx;
    struct anv_bytes_128 nm;
    size_t n = strlen(name);
    if (n == 0 || n > sizeof nm.data)
        return WASI_EINVAL;
    memset(&nm, 0, sizeof nm);
    memcpy(nm.data, name, n);
    nm.len = (uint32_t)n;
    uint32_t aliases = 0;
    int e = wasm_runner_net_lookup(&nm, ip, &aliases);
    /* Before DHCP, and while another lookup of ours runs: ask again after a wait. */
    if (e == NET_E_NOADDR || e == NET_E_STATE)
        return WASI_EAGAIN;
    return sock_errno(e);
}

static wasi_errno n_wait(void *ctx, const wasi_net_wait *w, uint32_t nw, uint64_t ns)
{
    (void)ctx;
    (void)w;
    (void)nw;
    /* The stack signals our one event on any change of a socket we asked about. */
    nap(ns / TICK_NS + (ns % TICK_NS ? 1 : 0));
    return WASI_ESUCCESS;
}

static const wasi_net_ops stack_ops = {
    n_connect, n_connected, n_listen, n_accept, n_send, n_recv, n_shutdown, n_close,
    n_ready, n_resolve, n_wait, STASH, 0, NULL,
};

wasi_errno wasmrun_net_attach(wasi_ctx *wc)
{
    return wasi_net_attach(wc, &stack_ops);
}

#endif
