/* bench_tcp.c: two lib/net stacks joined back to back in memory, one sending KIB KiB of
 * TCP data to the other (a benchmark program, not a test; bench.py runs it under
 * callgrind). Each side's work happens inside its own bench_send_* or bench_recv_*
 * functions, so callgrind's --toggle-collect can count one side at a time. */
#include "net_tcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING 128u

struct ring {
    uint8_t f[RING][NET_FRAME_MAX];
    uint16_t len[RING];
    unsigned head, tail, dropped;
};

static struct ring to_recv, to_send; /* frames in flight towards each side */
static net_stack st_send, st_recv;
static net_tcp tcp_send, tcp_recv;
static uint64_t now = 1000;
static uint32_t rng = 0x2545f491u;

static net_err ring_put(void *ctx, const uint8_t *frame, size_t len)
{
    struct ring *r = ctx;
    if (r->tail - r->head >= RING || len > NET_FRAME_MAX) {
        r->dropped++;
        return NET_OK;
    }
    memcpy(r->f[r->tail % RING], frame, len);
    r->len[r->tail % RING] = (uint16_t)len;
    r->tail++;
    return NET_OK;
}

static void bench_random(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        buf[i] = (uint8_t)rng;
    }
}

__attribute__((noinline)) void bench_send_input(const uint8_t *f, size_t n);
__attribute__((noinline)) void bench_recv_input(const uint8_t *f, size_t n);
__attribute__((noinline)) size_t bench_send_app(int h, size_t left);
__attribute__((noinline)) size_t bench_recv_app(int h);

void bench_send_input(const uint8_t *f, size_t n) { (void)net_input(&st_send, f, n, now); }
void bench_recv_input(const uint8_t *f, size_t n) { (void)net_input(&st_recv, f, n, now); }

size_t bench_send_app(int h, size_t left)
{
    static uint8_t buf[4096];
    size_t sent = 0;
    net_poll(&st_send, now);
    net_tcp_poll(&tcp_send, now);
    while (left > sent) {
        size_t k = left - sent < sizeof buf ? left - sent : sizeof buf;
        long w = net_tcp_send(&tcp_send, h, buf, k);
        if (w <= 0)
            break;
        sent += (size_t)w;
    }
    return sent;
}

size_t bench_recv_app(int h)
{
    static uint8_t buf[4096];
    size_t got = 0;
    net_poll(&st_recv, now);
    net_tcp_poll(&tcp_recv, now);
    for (int i = 0; i < 64; i++) {
        long r = net_tcp_recv(&tcp_recv, h, buf, sizeof buf);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static void deliver(struct ring *r, void (*input)(const uint8_t *, size_t))
{
    while (r->head != r->tail) {
        unsigned i = r->head % RING;
        r->head++;
        input(r->f[i], r->len[i]);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return fprintf(stderr, "usage: bench_tcp KIB\n"), 2;
    size_t total = (size_t)strtoul(argv[1], NULL, 10) * 1024u;
    const uint8_t mac_s[6] = {2, 0, 0, 0, 0, 1}, mac_r[6] = {2, 0, 0, 0, 0, 2};
    net_link ls = {&to_recv, ring_put, bench_random}, lr = {&to_send, ring_put, bench_random};
    if (net_init(&st_send, &ls, mac_s, now) != NET_OK ||
        net_init(&st_recv, &lr, mac_r, now) != NET_OK ||
        net_set_ipv4(&st_send, 0x0a000001u, 0xffffff00u, 0) != NET_OK ||
        net_set_ipv4(&st_recv, 0x0a000002u, 0xffffff00u, 0) != NET_OK ||
        net_tcp_init(&tcp_send, &st_send) != NET_OK || net_tcp_init(&tcp_recv, &st_recv) != NET_OK ||
        net_tcp_listen(&tcp_recv, 80) != NET_OK)
        return fprintf(stderr, "bench_tcp: set-up failed\n"), 1;
    net_err e;
    int hs = net_tcp_connect(&tcp_send, 0x0a000002u, 80, &e), hr = -1;
    if (hs < 0)
        return fprintf(stderr, "bench_tcp: connect: %s\n", net_strerror(e)), 1;
    size_t sent = 0, got = 0;
    for (unsigned long step = 0; step < 10000000ul && got < total; step++) {
        now++;
        deliver(&to_recv, bench_recv_input);
        deliver(&to_send, bench_send_input);
        if (hr < 0)
            hr = net_tcp_accept(&tcp_recv, 80);
        if (net_tcp_get_state(&tcp_send, hs) == NET_TCP_ESTABLISHED)
            sent += bench_send_app(hs, total - sent);
        if (hr >= 0)
            got += bench_recv_app(hr);
    }
    printf("bench_tcp sent=%zu received=%zu retransmits=%u dropped=%u ms=%llu\n", sent, got,
           tcp_send.stats.retransmits, to_recv.dropped + to_send.dropped,
           (unsigned long long)(now - 1000));
    return got == total ? 0 : 1;
}
