/* lib/wasi's sockets over the host backend (wasi_hostnet.c) on real loopback sockets: the
 * test's own POSIX peers on 127.0.0.1 talk to the app's descriptors through the re-exports
 * of wasi_net.wat. Every call with good arguments has its exact effect on the peer; bad
 * descriptors, rights, flags, pointers and ungranted peers each get their errno with no
 * descriptor made. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "wasi.h"
#include "wasi_hostnet.h"
#include "wasi_test_app.h"
#include "wasm_test_mem.h"

static const char *module_path;

static wasi_errno t_write(void *ctx, int fd, const void *buf, size_t len)
{
    (void)ctx;
    (void)fd;
    (void)buf;
    (void)len;
    return WASI_ESUCCESS;
}

static wasi_errno t_clock(void *ctx, uint32_t id, uint64_t *ns)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(id == 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
    *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return WASI_ESUCCESS;
}

static wasi_errno t_sleep(void *ctx, uint64_t ns)
{
    (void)ctx;
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    nanosleep(&ts, NULL);
    return WASI_ESUCCESS;
}

static const wasi_host_ops host = {t_write, NULL, t_clock, t_clock, NULL, t_sleep, NULL, NULL};

typedef struct fixture {
    uint8_t *bytes;
    size_t len;
    wasm_module *m;
    wasm_env *env;
    wasm_instance *inst;
    wasi_config cfg;
    wasi_ctx wc;
    wasi_hostnet net;
    int have_net;
    uint8_t *mem;
    int peer_listener;   /* the test's listener on 127.0.0.1 */
    uint16_t peer_port;
} fixture;

static const char *const app_argv[] = {"net"};
static const wasm_limits limits = {16, 1000, 65536, 1000, 1u << 20};

/* A listening POSIX socket on 127.0.0.1 at a port the kernel picks. */
static int posix_listener(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* A port nobody listens on (bound, then closed). */
static uint16_t closed_port(void)
{
    uint16_t p;
    int fd = posix_listener(&p);
    close(fd);
    return p;
}

static int setup_with(void **state, const char *grants)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->peer_listener = posix_listener(&fx->peer_port);
    fx->cfg = (wasi_config){app_argv, 1, NULL, 0, NULL, 0, &host};
    fx->bytes = wasi_test_slurp(module_path, 1 << 16, &fx->len);
    assert_int_equal(wasm_module_load(wasm_test_allocator(), &limits, fx->bytes, fx->len,
                                      &fx->m, NULL), WASM_OK);
    assert_int_equal(wasm_env_new(wasm_test_allocator(), wasm_test_memory(), &limits, &fx->env),
                     WASM_OK);
    assert_int_equal(wasi_init(&fx->wc, &fx->cfg, fx->env), WASI_ESUCCESS);
    if (grants != NULL) {
        size_t where = 0;
        assert_int_equal(wasi_hostnet_init(&fx->net, grants, &where, NULL), WASI_ESUCCESS);
        assert_int_equal(wasi_net_attach(&fx->wc, &fx->net.ops), WASI_ESUCCESS);
        fx->have_net = 1;
    }
    assert_int_equal(wasm_instantiate(fx->env, fx->m, wasi_resolve, &fx->wc, &fx->inst), WASM_OK);
    wasm_extern mem;
    assert_int_equal(wasm_instance_export(fx->inst, "memory", 6, &mem), WASM_OK);
    wasi_bind_memory(&fx->wc, mem.u.memory);
    fx->mem = wasm_memory_data(mem.u.memory);
    *state = fx;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, "tcp-connect:127.0.0.1:* tcp-listen:* resolve");
}

static int setup_nogrant(void **state)
{
    return setup_with(state, "");
}

static int setup_nonet(void **state)
{
    return setup_with(state, NULL);
}

static int teardown(void **state)
{
    fixture *fx = *state;
    if (fx->have_net)
        wasi_hostnet_close_all(&fx->net);
    close(fx->peer_listener);
    wasm_env_free(fx->env);
    wasm_module_free(fx->m);
    free(fx->bytes);
    free(fx);
    return 0;
}

#define LOOPBACK 0x7F000001u
#define IOV 100u     /* one iovec (ptr, len) */
#define OUT 200u     /* results */
#define DATA 1024u

/* anvaya.sock_connect to 127.0.0.1:port, blocking; the fd or -errno. */
static int64_t app_connect(fixture *fx, uint16_t port, uint32_t flags)
{
    uint32_t e = wasi_test_call(fx->env, fx->inst, "connect", U(LOOPBACK), U(port), U(flags), U(OUT));
    return e ? -(int64_t)e : (int64_t)wasi_test_get32(fx->mem, OUT);
}

static int peer_accept(fixture *fx)
{
    struct pollfd p = {fx->peer_listener, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 5000), 1);
    int fd = accept(fx->peer_listener, NULL, NULL);
    assert_true(fd >= 0);
    return fd;
}

static uint32_t app_send(fixture *fx, uint32_t fd, const char *s, uint32_t *sent)
{
    memcpy(fx->mem + DATA, s, strlen(s));
    wasi_test_put32(fx->mem, IOV, DATA);
    wasi_test_put32(fx->mem, IOV + 4, (uint32_t)strlen(s));
    uint32_t e = wasi_test_call(fx->env, fx->inst, "sock_send", U(fd), U(IOV), U(1), U(0), U(OUT));
    *sent = wasi_test_get32(fx->mem, OUT);
    return e;
}

static uint32_t app_recv(fixture *fx, uint32_t fd, uint32_t cap, uint32_t flags, uint32_t *got)
{
    memset(fx->mem + DATA, 0, cap);
    wasi_test_put32(fx->mem, IOV, DATA);
    wasi_test_put32(fx->mem, IOV + 4, cap);
    wasi_test_put32(fx->mem, OUT, 0xDEAD);
    uint32_t e = wasi_test_call(fx->env, fx->inst, "sock_recv", U(fd), U(IOV), U(1), U(flags), U(OUT), U(OUT + 4));
    *got = wasi_test_get32(fx->mem, OUT);
    return e;
}

static void test_connect_send_recv_close(void **state)
{
    fixture *fx = *state;
    int64_t fd = app_connect(fx, fx->peer_port, 0);
    assert_int_equal(fd, 3); /* no preopens: the first free descriptor */
    int peer = peer_accept(fx);
    /* fdstat: a stream socket with the socket rights and no inheriting ones. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_fdstat_get", U(fd), U(300)), 0);
    assert_int_equal(fx->mem[300], WASI_FILETYPE_SOCKET_STREAM);
    assert_int_equal(wasi_test_get64(fx->mem, 308), (1u << 1) | (1u << 3) | (1u << 6) | (1u << 21) |
                                           (1u << 27) | (1u << 28));
    assert_int_equal(wasi_test_get64(fx->mem, 316), 0);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_filestat_get", U(fd), U(400)), 0);
    assert_int_equal(fx->mem[416], WASI_FILETYPE_SOCKET_STREAM);
    /* The app sends; the peer gets exactly those bytes. */
    uint32_t n = 0;
    assert_int_equal(app_send(fx, (uint32_t)fd, "GET / HTTP/1.0\r\n\r\n", &n), 0);
    assert_int_equal(n, 18);
    char got[64] = {0};
    assert_int_equal(recv(peer, got, sizeof got, 0), 18);
    assert_string_equal(got, "GET / HTTP/1.0\r\n\r\n");
    /* The peer answers in two writes; a blocking recv gives what is there. */
    assert_int_equal(send(peer, "hello ", 6, 0), 6);
    assert_int_equal(app_recv(fx, (uint32_t)fd, 64, 0, &n), 0);
    assert_int_equal(n, 6);
    assert_memory_equal(fx->mem + DATA, "hello ", 6);
    assert_int_equal(wasi_test_get32(fx->mem, OUT + 4) & 0xFFFF, 0); /* ro_flags */
    /* WAITALL waits for every byte asked for. */
    assert_int_equal(send(peer, "wor", 3, 0), 3);
    assert_int_equal(send(peer, "ld", 2, 0), 2);
    assert_int_equal(app_recv(fx, (uint32_t)fd, 5, 2, &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(fx->mem + DATA, "world", 5);
    /* fd_read and fd_write work on a socket too; fd_seek does not. */
    assert_int_equal(send(peer, "xyz", 3, 0), 3);
    wasi_test_put32(fx->mem, IOV, DATA);
    wasi_test_put32(fx->mem, IOV + 4, 16);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_read", U(fd), U(IOV), U(1), U(OUT)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, OUT), 3);
    assert_memory_equal(fx->mem + DATA, "xyz", 3);
    memcpy(fx->mem + DATA, "bye", 3);
    wasi_test_put32(fx->mem, IOV + 4, 3);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_write", U(fd), U(IOV), U(1), U(OUT)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, OUT), 3);
    memset(got, 0, sizeof got);
    assert_int_equal(recv(peer, got, sizeof got, 0), 3);
    assert_string_equal(got, "bye");
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_seek", U(fd), U(0), U(0), U(OUT)), WASI_ENOTCAPABLE);
    /* shutdown(WR): the peer sees the end; sending again is EPIPE, receiving still works. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_shutdown", U(fd), U(2)), 0);
    assert_int_equal(recv(peer, got, sizeof got, 0), 0);
    assert_int_equal(app_send(fx, (uint32_t)fd, "x", &n), WASI_EPIPE);
    assert_int_equal(send(peer, "last", 4, 0), 4);
    close(peer);
    assert_int_equal(app_recv(fx, (uint32_t)fd, 64, 0, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(app_recv(fx, (uint32_t)fd, 64, 0, &n), 0);
    assert_int_equal(n, 0); /* the end of the stream */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_close", U(fd)), 0);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_fdstat_get", U(fd), U(300)), WASI_EBADF);
    /* The backend's socket is gone too. */
    for (uint32_t i = 0; i < WASI_HOSTNET_SOCKETS; i++)
        assert_int_equal(fx->net.fds[i], -1);
}

static void test_connect_refusals(void **state)
{
    fixture *fx = *state;
    /* Nobody listening: ECONNREFUSED, and no descriptor made. */
    assert_int_equal(app_connect(fx, closed_port(), 0), -(int64_t)WASI_ECONNREFUSED);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_fdstat_get", U(3), U(300)), WASI_EBADF);
    /* Not granted: 127.0.0.2 is outside tcp-connect:127.0.0.1:*. */
    wasi_test_put32(fx->mem, OUT, 0x5555);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "connect", U(0x7F000002u), U(fx->peer_port), U(0), U(OUT)),
                     WASI_ENOTCAPABLE);
    assert_int_equal(wasi_test_get32(fx->mem, OUT), 0x5555);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_fdstat_get", U(3), U(300)), WASI_EBADF);
    /* Bad arguments, each before anything is done. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "connect", U(LOOPBACK), U(0), U(0), U(OUT)), WASI_EINVAL);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "connect", U(LOOPBACK), U(65536), U(0), U(OUT)), WASI_EINVAL);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "connect", U(LOOPBACK), U(fx->peer_port), U(1), U(OUT)),
                     WASI_EINVAL); /* only nonblock (4) is a flag here */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "connect", U(LOOPBACK), U(fx->peer_port), U(0), U(65534)),
                     WASI_EFAULT);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "listen", U(0), U(0), U(OUT)), WASI_EINVAL);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "listen", U(1234), U(0), U(70000)), WASI_EFAULT);
    struct pollfd p = {fx->peer_listener, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 0), 0); /* none of them reached the peer */
}

static void test_no_grant(void **state)
{
    fixture *fx = *state;
    assert_int_equal(app_connect(fx, fx->peer_port, 0), -(int64_t)WASI_ENOTCAPABLE);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "listen", U(closed_port()), U(0), U(OUT)), WASI_ENOTCAPABLE);
    memcpy(fx->mem + DATA, "localhost", 9);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "resolve", U(DATA), U(9), U(OUT)), WASI_ENOTCAPABLE);
    /* A dotted address needs no lookup and no grant. */
    memcpy(fx->mem + DATA, "10.0.2.2", 8);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "resolve", U(DATA), U(8), U(OUT)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, OUT), 0x0A000202u);
    struct pollfd p = {fx->peer_listener, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 0), 0);
}

static void test_no_backend(void **state)
{
    fixture *fx = *state;
    assert_int_equal(app_connect(fx, fx->peer_port, 0), -(int64_t)WASI_ENOSYS);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "listen", U(80), U(0), U(OUT)), WASI_ENOSYS);
    memcpy(fx->mem + DATA, "localhost", 9);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "resolve", U(DATA), U(9), U(OUT)), WASI_ENOSYS);
    uint32_t n;
    assert_int_equal(app_recv(fx, 1, 4, 0, &n), WASI_ENOTSOCK);
}

static void test_wrong_descriptors(void **state)
{
    fixture *fx = *state;
    uint32_t n;
    /* Not sockets: the console; no descriptor at all. */
    assert_int_equal(app_recv(fx, 0, 4, 0, &n), WASI_ENOTSOCK);
    assert_int_equal(app_send(fx, 1, "x", &n), WASI_ENOTSOCK);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_shutdown", U(2), U(1)), WASI_ENOTSOCK);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_accept", U(1), U(0), U(OUT)), WASI_ENOTSOCK);
    assert_int_equal(app_recv(fx, 17, 4, 0, &n), WASI_EBADF);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_shutdown", U(99), U(1)), WASI_EBADF);
    int64_t fd = app_connect(fx, fx->peer_port, 0);
    assert_true(fd >= 3);
    int peer = peer_accept(fx);
    /* Flags and how: EINVAL; PEEK is not offered. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_shutdown", U(fd), U(0)), WASI_EINVAL);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_shutdown", U(fd), U(4)), WASI_EINVAL);
    assert_int_equal(app_recv(fx, (uint32_t)fd, 4, 4, &n), WASI_EINVAL);
    assert_int_equal(app_recv(fx, (uint32_t)fd, 4, 1, &n), WASI_ENOTSUP);
    memcpy(fx->mem + DATA, "x", 1);
    wasi_test_put32(fx->mem, IOV, DATA);
    wasi_test_put32(fx->mem, IOV + 4, 1);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_send", U(fd), U(IOV), U(1), U(1), U(OUT)), WASI_EINVAL);
    /* Buffers past memory: EFAULT, nothing sent. */
    wasi_test_put32(fx->mem, IOV, 65530);
    wasi_test_put32(fx->mem, IOV + 4, 16);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_send", U(fd), U(IOV), U(1), U(0), U(OUT)), WASI_EFAULT);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_send", U(fd), U(65532), U(1), U(0), U(OUT)), WASI_EFAULT);
    wasi_test_put32(fx->mem, IOV, DATA);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_recv", U(fd), U(IOV), U(1), U(0), U(OUT), U(65535)),
                     WASI_EFAULT);
    char buf[8];
    assert_int_equal(recv(peer, buf, sizeof buf, MSG_DONTWAIT), -1);
    /* accept on a connection: it has no accept right. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_accept", U(fd), U(0), U(OUT)), WASI_ENOTCAPABLE);
    /* Non-blocking: nothing there is EAGAIN at once. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_fdstat_set_flags", U(fd), U(4)), 0);
    assert_int_equal(app_recv(fx, (uint32_t)fd, 4, 0, &n), WASI_EAGAIN);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_fdstat_set_flags", U(fd), U(1)), WASI_ENOTSUP); /* append */
    /* Rights taken away stay away. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_fdstat_set_rights", U(fd), U(1u << 6), U(0)), 0);
    assert_int_equal(app_recv(fx, (uint32_t)fd, 4, 0, &n), WASI_ENOTCAPABLE);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_shutdown", U(fd), U(3)), WASI_ENOTCAPABLE);
    assert_int_equal(app_send(fx, (uint32_t)fd, "ok", &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(recv(peer, buf, sizeof buf, 0), 2);
    /* fd_renumber onto the socket closes it; the peer sees the end. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_renumber", U(2), U(fd)), 0);
    assert_int_equal(recv(peer, buf, sizeof buf, 0), 0);
    close(peer);
}

static void test_listen_accept(void **state)
{
    fixture *fx = *state;
    uint16_t port = closed_port();
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "listen", U(port), U(4), U(OUT)), 0);
    uint32_t lfd = wasi_test_get32(fx->mem, OUT);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_fdstat_get", U(lfd), U(300)), 0);
    assert_int_equal(wasi_test_get64(fx->mem, 308), (1u << 3) | (1u << 21) | (1u << 27) | (1u << 29));
    /* Nobody yet: the non-blocking listener answers EAGAIN; a second listen is EADDRINUSE. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_accept", U(lfd), U(0), U(OUT)), WASI_EAGAIN);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "listen", U(port), U(0), U(OUT + 8)), WASI_EADDRINUSE);
    uint32_t n;
    assert_int_equal(app_recv(fx, lfd, 4, 0, &n), WASI_ENOTCAPABLE); /* no read right */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_shutdown", U(lfd), U(1)), WASI_ENOTCAPABLE);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_accept", U(lfd), U(2), U(OUT)), WASI_EINVAL);
    /* A peer connects; accept gives a new descriptor. */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_fdstat_set_flags", U(lfd), U(0)), 0); /* blocking now */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_accept", U(lfd), U(0), U(OUT)), 0);
    uint32_t afd = wasi_test_get32(fx->mem, OUT);
    assert_int_not_equal(afd, lfd);
    assert_int_equal(send(c, "ping", 4, 0), 4);
    assert_int_equal(app_recv(fx, afd, 16, 0, &n), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(fx->mem + DATA, "ping", 4);
    assert_int_equal(app_send(fx, afd, "pong", &n), 0);
    char buf[8] = {0};
    assert_int_equal(recv(c, buf, sizeof buf, 0), 4);
    assert_string_equal(buf, "pong");
    close(c);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_close", U(afd)), 0);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_close", U(lfd)), 0);
}

static void test_resolve(void **state)
{
    fixture *fx = *state;
    memcpy(fx->mem + DATA, "localhost", 9);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "resolve", U(DATA), U(9), U(OUT)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, OUT), LOOPBACK);
    /* What the host's resolver says of a name that cannot exist, mapped as documented. */
    static const char bad[] = "no-such-host.invalid";
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_INET;
    int r = getaddrinfo(bad, NULL, &hints, &res);
    if (r == 0)
        freeaddrinfo(res);
    uint32_t expect = r == EAI_NONAME ? WASI_ENOENT : r == EAI_AGAIN ? WASI_ETIMEDOUT
                                                   : r == EAI_NODATA ? WASI_EADDRNOTAVAIL
                                                                     : WASI_EIO;
    assert_int_not_equal(r, 0);
    memcpy(fx->mem + DATA, bad, sizeof bad - 1);
    wasi_test_put32(fx->mem, OUT, 0x1234);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "resolve", U(DATA), U(sizeof bad - 1), U(OUT)), expect);
    assert_int_equal(wasi_test_get32(fx->mem, OUT), 0x1234);
    /* Malformed names and addresses: EINVAL before any lookup; pointers: EFAULT. */
    memcpy(fx->mem + DATA, "a b", 3);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "resolve", U(DATA), U(3), U(OUT)), WASI_EINVAL);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "resolve", U(DATA), U(0), U(OUT)), WASI_EINVAL);
    memset(fx->mem + DATA, 'a', 254);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "resolve", U(DATA), U(254), U(OUT)), WASI_EINVAL);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "resolve", U(65530), U(10), U(OUT)), WASI_EFAULT);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "resolve", U(DATA), U(3), U(65533)), WASI_EFAULT);
    uint32_t ip = 0;
    assert_int_equal(wasi_ipv4_parse("10.0.2.15", 9, &ip), 0);
    assert_int_equal(ip, 0x0A00020Fu);
    assert_int_equal(wasi_ipv4_parse("10.0.2", 6, &ip), -1);
    assert_int_equal(wasi_ipv4_parse("10.0.2.256", 10, &ip), -1);
    assert_int_equal(wasi_ipv4_parse("10.0.02.1", 9, &ip), -1);
    assert_int_equal(wasi_ipv4_parse("10.0.2.1.", 9, &ip), -1);
}

/* poll_oneoff with a socket: a read subscription waits until data comes or a clock fires. */
static void test_poll(void **state)
{
    fixture *fx = *state;
    int64_t fd = app_connect(fx, fx->peer_port, 0);
    assert_true(fd >= 3);
    int peer = peer_accept(fx);
    uint8_t *s = fx->mem + 2000;
    memset(s, 0, 96);
    /* 0: fd_read on the socket (userdata 7); 1: a 50 ms relative monotonic clock (8). */
    s[0] = 7;
    s[8] = 1;
    wasi_test_put32(fx->mem, 2000 + 16, (uint32_t)fd);
    s[48] = 8;
    s[56] = 0;
    wasi_test_put32(fx->mem, 2048 + 16, 1);
    wasi_test_put32(fx->mem, 2048 + 24, 50000000u);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "poll_oneoff", U(2000), U(3000), U(2), U(OUT)), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    assert_true(ms >= 49.0);
    assert_int_equal(wasi_test_get32(fx->mem, OUT), 1);
    assert_int_equal(fx->mem[3000], 8);     /* the clock */
    assert_int_equal(fx->mem[3010], 0);     /* eventtype clock */
    /* Data arrives: the read subscription fires with its byte count, the clock does not. */
    assert_int_equal(send(peer, "12345", 5, 0), 5);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "poll_oneoff", U(2000), U(3000), U(2), U(OUT)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, OUT), 1);
    assert_int_equal(fx->mem[3000], 7);
    assert_int_equal(fx->mem[3008] | fx->mem[3009] << 8, 0);
    assert_int_equal(fx->mem[3010], 1);     /* fd_read */
    assert_int_equal(wasi_test_get64(fx->mem, 3016), 5); /* nbytes */
    /* A write subscription on a connection with room is ready at once. */
    s[8] = 2;
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "poll_oneoff", U(2000), U(3000), U(1), U(OUT)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, OUT), 1);
    assert_int_equal(fx->mem[3010], 2);
    /* The peer closes: reading is ready with hang-up. */
    close(peer);
    s[8] = 1;
    uint32_t n;
    assert_int_equal(app_recv(fx, (uint32_t)fd, 16, 0, &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "poll_oneoff", U(2000), U(3000), U(1), U(OUT)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, OUT), 1);
    assert_int_equal(fx->mem[3010], 1);
    assert_int_equal(fx->mem[3024] & 1, 1); /* fd_readwrite_hangup */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_close", U(fd)), 0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_wasi_net wasi_net.wasm\n");
        return 2;
    }
    module_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connect_send_recv_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_grant, setup_nogrant, teardown),
        cmocka_unit_test_setup_teardown(test_no_backend, setup_nonet, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_descriptors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listen_accept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
