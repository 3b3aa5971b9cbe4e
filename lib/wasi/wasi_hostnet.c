/* The host socket backend (wasi_hostnet.h): non-blocking POSIX TCP sockets behind
 * lib/wasi's wasi_net_ops, every request checked against the grants first, and POSIX
 * errors mapped to WASI's. */
#define _GNU_SOURCE
#include "wasi_hostnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static wasi_errno map_errno(int e)
{
    switch (e) {
    case EAGAIN: return WASI_EAGAIN;
    case EINPROGRESS: return WASI_EAGAIN;
    case EALREADY: return WASI_EAGAIN;
    case ECONNREFUSED: return WASI_ECONNREFUSED;
    case ETIMEDOUT: return WASI_ETIMEDOUT;
    case ECONNRESET: return WASI_ECONNRESET;
    case ECONNABORTED: return WASI_ECONNABORTED;
    case ENETUNREACH: return WASI_ENETUNREACH;
    case EHOSTUNREACH: return WASI_EHOSTUNREACH;
    case ENETDOWN: return WASI_ENETDOWN;
    case EPIPE: return WASI_EPIPE;
    case ENOTCONN: return WASI_ENOTCONN;
    case EADDRINUSE: return WASI_EADDRINUSE;
    case EADDRNOTAVAIL: return WASI_EADDRNOTAVAIL;
    case EACCES: return WASI_EACCES;
    case EPERM: return WASI_EPERM;
    case EMFILE: return WASI_EMFILE;
    case ENFILE: return WASI_ENFILE;
    case ENOBUFS: return WASI_ENOBUFS;
    case ENOMEM: return WASI_ENOMEM;
    case EINVAL: return WASI_EINVAL;
    default: return WASI_EIO;
    }
}

static int hn_fd(wasi_hostnet *n, uint32_t sock)
{
    if (sock == 0 || sock > WASI_HOSTNET_SOCKETS)
        return -1;
    return n->fds[sock - 1];
}

static int hn_slot(wasi_hostnet *n, uint32_t *sock)
{
    for (uint32_t i = 0; i < WASI_HOSTNET_SOCKETS; i++)
        if (n->fds[i] < 0) {
            *sock = i + 1;
            return 1;
        }
    return 0;
}

static void hn_denied(wasi_hostnet *n, netstack_op op, uint32_t ip, uint16_t port)
{
    if (n->log == NULL)
        return;
    if (op == NETSTACK_OP_TCP_CONNECT)
        fprintf(n->log, "anvaya-wasm: denied tcp-connect %u.%u.%u.%u:%u (not granted)\n",
                ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u, ip & 255u, port);
    else if (op == NETSTACK_OP_TCP_LISTEN)
        fprintf(n->log, "anvaya-wasm: denied tcp-listen %u (not granted)\n", port);
    else
        fprintf(n->log, "anvaya-wasm: denied %s (not granted)\n", netstack_op_name(op));
}

static wasi_errno hn_connect(void *ctx, uint32_t ip, uint16_t port, uint32_t *sock)
{
    wasi_hostnet *n = ctx;
    if (!netstack_grant_check(&n->grants, NETSTACK_OP_TCP_CONNECT, ip, port)) {
        hn_denied(n, NETSTACK_OP_TCP_CONNECT, ip, port);
        return WASI_ENOTCAPABLE;
    }
    uint32_t h;
    if (!hn_slot(n, &h))
        return WASI_ENFILE;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return map_errno(errno);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(ip);
    if (connect(fd, (const struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        wasi_errno e = map_errno(errno);
        close(fd);
        return e;
    }
    n->fds[h - 1] = fd;
    n->listener[h - 1] = 0;
    *sock = h;
    return WASI_ESUCCESS;
}

static wasi_errno hn_connected(void *ctx, uint32_t sock)
{
    int fd = hn_fd(ctx, sock);
    if (fd < 0)
        return WASI_EBADF;
    struct pollfd p = {fd, POLLOUT, 0};
    int r = poll(&p, 1, 0);
    if (r < 0)
        return map_errno(errno);
    if (r == 0)
        return WASI_EAGAIN;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        return map_errno(errno);
    return err == 0 ? WASI_ESUCCESS : map_errno(err);
}

static wasi_errno hn_listen(void *ctx, uint16_t port, uint32_t *sock)
{
    wasi_hostnet *n = ctx;
    if (!netstack_grant_check(&n->grants, NETSTACK_OP_TCP_LISTEN, 0, port)) {
        hn_denied(n, NETSTACK_OP_TCP_LISTEN, 0, port);
        return WASI_ENOTCAPABLE;
    }
    uint32_t h;
    if (!hn_slot(n, &h))
        return WASI_ENFILE;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return map_errno(errno);
    int one = 1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* the host tool never listens beyond this machine */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (const struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 8) != 0) {
        wasi_errno e = map_errno(errno);
        close(fd);
        return e;
    }
    n->fds[h - 1] = fd;
    n->listener[h - 1] = 1;
    *sock = h;
    return WASI_ESUCCESS;
}

static wasi_errno hn_accept(void *ctx, uint32_t listener, uint32_t *sock)
{
    wasi_hostnet *n = ctx;
    int lfd = hn_fd(n, listener);
    if (lfd < 0 || !n->listener[listener - 1])
        return WASI_EBADF;
    uint32_t h;
    if (!hn_slot(n, &h))
        return WASI_ENFILE;
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return map_errno(errno == EWOULDBLOCK ? EAGAIN : errno);
    n->fds[h - 1] = fd;
    n->listener[h - 1] = 0;
    *sock = h;
    return WASI_ESUCCESS;
}

static wasi_errno hn_send(void *ctx, uint32_t sock, const void *buf, size_t len, size_t *sent)
{
    int fd = hn_fd(ctx, sock);
    if (fd < 0)
        return WASI_EBADF;
    ssize_t r;
    do
        r = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return map_errno(errno == EWOULDBLOCK ? EAGAIN : errno);
    *sent = (size_t)r;
    return WASI_ESUCCESS;
}

static wasi_errno hn_recv(void *ctx, uint32_t sock, void *buf, size_t len, size_t *got)
{
    int fd = hn_fd(ctx, sock);
    if (fd < 0)
        return WASI_EBADF;
    ssize_t r;
    do
        r = recv(fd, buf, len, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return map_errno(errno == EWOULDBLOCK ? EAGAIN : errno);
    *got = (size_t)r;
    return WASI_ESUCCESS;
}

static wasi_errno hn_shutdown(void *ctx, uint32_t sock, uint32_t how)
{
    int fd = hn_fd(ctx, sock);
    if (fd < 0)
        return WASI_EBADF;
    int h = how == 1 ? SHUT_RD : how == 2 ? SHUT_WR : SHUT_RDWR;
    return shutdown(fd, h) == 0 ? WASI_ESUCCESS : map_errno(errno);
}

static wasi_errno hn_close(void *ctx, uint32_t sock)
{
    wasi_hostnet *n = ctx;
    int fd = hn_fd(n, sock);
    if (fd < 0)
        return WASI_EBADF;
    n->fds[sock - 1] = -1;
    return close(fd) == 0 ? WASI_ESUCCESS : WASI_EIO;
}

static wasi_errno hn_ready(void *ctx, uint32_t sock, uint32_t *events, uint64_t *nbytes)
{
    wasi_hostnet *n = ctx;
    int fd = hn_fd(n, sock);
    if (fd < 0)
        return WASI_EBADF;
    struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
    if (poll(&p, 1, 0) < 0)
        return map_errno(errno);
    uint32_t ev = 0;
    if (p.revents & (POLLIN | POLLERR))
        ev |= WASI_NET_READ;
    if (p.revents & (POLLOUT | POLLERR))
        ev |= WASI_NET_WRITE;
    if (p.revents & (POLLHUP | POLLRDHUP))
        ev |= WASI_NET_HUP;
    *events = ev;
    *nbytes = 0;
    int avail = 0;
    if (!n->listener[sock - 1] && ioctl(fd, FIONREAD, &avail) == 0 && avail > 0)
        *nbytes = (uint64_t)avail;
    return WASI_ESUCCESS;
}

static wasi_errno hn_resolve(void *ctx, const char *name, uint32_t *ip)
{
    wasi_hostnet *n = ctx;
    if (!netstack_grant_check(&n->grants, NETSTACK_OP_RESOLVE, 0, 0)) {
        hn_denied(n, NETSTACK_OP_RESOLVE, 0, 0);
        return WASI_ENOTCAPABLE;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int r = getaddrinfo(name, NULL, &hints, &res);
    if (r != 0) {
        switch (r) {
        case EAI_NONAME: return WASI_ENOENT;
#ifdef EAI_NODATA
        case EAI_NODATA: return WASI_EADDRNOTAVAIL;
#endif
        case EAI_ADDRFAMILY: return WASI_EADDRNOTAVAIL;
        case EAI_AGAIN: return WASI_ETIMEDOUT;
        default: return WASI_EIO;
        }
    }
    wasi_errno e = WASI_EADDRNOTAVAIL;
    for (const struct addrinfo *a = res; a != NULL; a = a->ai_next)
        if (a->ai_family == AF_INET && a->ai_addrlen >= sizeof(struct sockaddr_in)) {
            const struct sockaddr_in *sa = (const struct sockaddr_in *)(const void *)a->ai_addr;
            *ip = ntohl(sa->sin_addr.s_addr);
            e = WASI_ESUCCESS;
            break;
        }
    freeaddrinfo(res);
    return e;
}

static wasi_errno hn_wait(void *ctx, const wasi_net_wait *w, uint32_t nw, uint64_t ns)
{
    wasi_hostnet *n = ctx;
    struct pollfd p[WASI_HOSTNET_SOCKETS];
    nfds_t k = 0;
    for (uint32_t i = 0; i < nw && k < WASI_HOSTNET_SOCKETS; i++) {
        int fd = hn_fd(n, w[i].sock);
        if (fd < 0)
            continue;
        p[k].fd = fd;
        p[k].events = (short)(((w[i].events & WASI_NET_READ) ? POLLIN | POLLRDHUP : 0) |
                              ((w[i].events & WASI_NET_WRITE) ? POLLOUT : 0));
        p[k].revents = 0;
        k++;
    }
    uint64_t ms = ns / 1000000u + (ns % 1000000u ? 1 : 0);
    if (ms > 1000)
        ms = 1000;
    if (k == 0) {
        struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
        (void)nanosleep(&ts, NULL);
        return WASI_ESUCCESS;
    }
    if (poll(p, k, (int)ms) < 0 && errno != EINTR)
        return map_errno(errno);
    return WASI_ESUCCESS;
}

wasi_errno wasi_hostnet_init(wasi_hostnet *n, const char *grants, size_t *where, FILE *log)
{
    if (n == NULL || grants == NULL)
        return WASI_EINVAL;
    memset(n, 0, sizeof *n);
    if (netstack_grants_parse(grants, strlen(grants), &n->grants, where) != NETSTACK_GRANT_OK)
        return WASI_EINVAL;
    for (uint32_t i = 0; i < WASI_HOSTNET_SOCKETS; i++)
        n->fds[i] = -1;
    n->log = log;
    n->ops = (wasi_net_ops){hn_connect, hn_connected, hn_listen, hn_accept, hn_send, hn_recv,
                            hn_shutdown, hn_close, hn_ready, hn_resolve, hn_wait, 0, 0, n};
    return WASI_ESUCCESS;
}

void wasi_hostnet_close_all(wasi_hostnet *n)
{
    for (uint32_t i = 0; i < WASI_HOSTNET_SOCKETS; i++)
        if (n->fds[i] >= 0) {
            (void)close(n->fds[i]);
            n->fds[i] = -1;
        }
}
