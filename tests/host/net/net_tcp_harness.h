/* net_tcp_harness.h: what lib/net's TCP host tests share: the stack and its TCP state,
 * captured output frames, a fixed "random" source, byte helpers, and segments built by
 * hand as the peer (PEER) sends them to us (ME). Included by one test file each. */
#ifndef NET_TCP_HARNESS_H
#define NET_TCP_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_tcp.h"

#define ME 0x0a000002u
#define PEER 0x0a000007u

static uint8_t out[64][NET_FRAME_MAX];
static size_t out_len[64];
static unsigned nout;
static uint32_t rnd_value;
static net_stack st;
static net_tcp tcp;

static inline net_err cap(void *ctx, const uint8_t *f, size_t len)
{
    (void)ctx;
    if (nout < 64) {
        memcpy(out[nout], f, len);
        out_len[nout] = len;
    }
    nout++;
    return NET_OK;
}

static inline void rnd(void *ctx, uint8_t *b, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(rnd_value >> (8 * (3 - (i & 3))));
}

static inline void p16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void p32(uint8_t *p, uint32_t v) { p16(p, v >> 16); p16(p + 2, v & 0xffff); }
static inline uint32_t g16(const uint8_t *p) { return (uint32_t)(p[0] << 8 | p[1]); }
static inline uint32_t g32(const uint8_t *p) { return g16(p) << 16 | g16(p + 2); }

/* The TCP header of captured frame i. */
static inline const uint8_t *seg(unsigned i) { return out[i] + 14 + 20; }
static inline size_t seg_data(unsigned i) { return out_len[i] - 14 - 20 - (size_t)(seg(i)[12] >> 4) * 4; }


/* Teaches ARP the peer's MAC with a request for us. */
static inline void teach_arp(uint64_t now)
{
    uint8_t a[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 7, 8, 6, 0, 1, 8, 0, 6, 4,
                     0, 1, 2, 0, 0, 0, 0, 7, 10, 0, 0, 7, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2};
    (void)net_input(&st, a, sizeof a, now);
}

/* A segment from PEER with the given option bytes (a multiple of 4, at most 40) and n
 * bytes of data (at most 2000); a test asking for more is wrong and stops at once. */
static inline void input_opts(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                              uint8_t flags, uint16_t win, const uint8_t *opt, size_t olen,
                              const uint8_t *data, size_t n, uint64_t now)
{
    static uint8_t f[14 + 20 + 40 + 2000];
    if (olen % 4 != 0 || olen > 40 || n > 2000)
        abort();
    memset(f, 0, sizeof f);
    memcpy(f, st.mac, 6);
    memcpy(f + 6, "\x02\0\0\0\0\x07", 6);
    p16(f + 12, 0x0800);
    uint8_t *ip = f + 14, *t = ip + 20;
    size_t hl = 20 + olen, tl = hl + n;
    ip[0] = 0x45;
    p16(ip + 2, (uint32_t)(20 + tl));
    ip[8] = 64;
    ip[9] = 6;
    p32(ip + 12, PEER);
    p32(ip + 16, ME);
    p16(ip + 10, net_checksum(ip, 20, 0));
    p16(t, sport);
    p16(t + 2, dport);
    p32(t + 4, seq);
    p32(t + 8, ack);
    t[12] = (uint8_t)((hl / 4) << 4);
    t[13] = flags;
    p16(t + 14, win);
    if (olen)
        memcpy(t + 20, opt, olen);
    if (n)
        memcpy(t + hl, data, n);
    uint32_t sum = (PEER >> 16) + (PEER & 0xffff) + (ME >> 16) + (ME & 0xffff) + 6 + (uint32_t)tl;
    p16(t + 16, net_checksum(t, tl, sum));
    (void)net_input(&st, f, 14 + 20 + tl, now);
}

/* A segment from PEER with an MSS option when mss is not 0, and n bytes of data. */
static inline void input_seg(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                             uint16_t win, const uint8_t *data, size_t n, uint16_t mss, uint64_t now)
{
    uint8_t o[4] = {2, 4, (uint8_t)(mss >> 8), (uint8_t)mss};
    input_opts(sport, dport, seq, ack, flags, win, o, mss ? 4 : 0, data, n, now);
}

/* The stack at ME (MAC 02:00:00:00:00:02) with TCP on it, PEER's MAC learnt, at 1000 ms;
 * nonzero if a step failed. */
static inline int harness_start(void)
{
    const uint8_t mac[6] = {2, 0, 0, 0, 0, 2};
    net_link l = {NULL, cap, rnd};
    rnd_value = 0x11223344;
    if (net_init(&st, &l, mac, 1000) != NET_OK || net_set_ipv4(&st, ME, 0xffffff00, 0) != NET_OK ||
        net_tcp_init(&tcp, &st) != NET_OK)
        return -1;
    teach_arp(1000);
    nout = 0;
    return 0;
}

#endif
