/* net_replay.c: feeds recorded frames to a stack and records what it sends, for the
 * scapy tests (test_scapy.py builds the frames and checks the answers with scapy).
 * The stack is 192.0.2.2/24 gateway 192.0.2.1, MAC 02:00:00:00:00:02, UDP echo on 7.
 * Input records: u32 clock_ms, u16 length, frame (big-endian). Output records: u32 index
 * of the input that caused it, u16 length, frame. Counters go to stderr as name=value. */
#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *out;
static uint32_t cur_index;
static net_stack stack;

static net_err rec_send(void *ctx, const uint8_t *frame, size_t len)
{
    (void)ctx;
    uint8_t h[6] = {(uint8_t)(cur_index >> 24), (uint8_t)(cur_index >> 16),
                    (uint8_t)(cur_index >> 8), (uint8_t)cur_index, (uint8_t)(len >> 8),
                    (uint8_t)len};
    if (fwrite(h, 1, 6, out) != 6 || fwrite(frame, 1, len, out) != len)
        return NET_ERR_LINK;
    return NET_OK;
}

static void fixed_random(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(0x5a + i);
}

static void echo(void *ctx, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                 const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)dst;
    (void)net_udp_send(&stack, 0, dport, src, sport, data, len);
}

int main(int argc, char **argv)
{
    static uint8_t frame[65536];
    if (argc != 3) {
        fprintf(stderr, "usage: net_replay IN OUT\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    out = fopen(argv[2], "wb");
    if (!in || !out) {
        perror("net_replay");
        return 2;
    }
    const uint8_t mac[6] = {2, 0, 0, 0, 0, 2};
    net_link link = {NULL, rec_send, fixed_random};
    if (net_init(&stack, &link, mac, 0) != NET_OK ||
        net_set_ipv4(&stack, 0xc0000202u, 0xffffff00u, 0xc0000201u) != NET_OK ||
        net_udp_bind(&stack, 7, echo, NULL) != NET_OK)
        return 2;
    for (cur_index = 0; cur_index < 100000; cur_index++) {
        uint8_t h[6];
        if (fread(h, 1, 6, in) != 6)
            break;
        uint32_t t = ((uint32_t)h[0] << 24) | ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | h[3];
        size_t len = ((size_t)h[4] << 8) | h[5];
        if (fread(frame, 1, len, in) != len)
            return 2;
        /* A copy of exactly len bytes, so ASan sees any read past the frame. */
        uint8_t *copy = malloc(len ? len : 1);
        if (!copy)
            return 2;
        memcpy(copy, frame, len);
        net_poll(&stack, t);
        (void)net_input(&stack, copy, len, t);
        free(copy);
    }
    const net_stats *s = &stack.stats;
#define P(f) fprintf(stderr, #f "=%u\n", s->f)
    P(rx_frames); P(rx_short); P(rx_not_for_us); P(rx_unknown_type); P(arp_rx); P(arp_bad);
    P(arp_replies_sent); P(arp_learned); P(arp_requests_sent); P(arp_queue_full);
    P(arp_queue_dropped); P(ip_rx); P(ip_bad_header); P(ip_bad_checksum); P(ip_bad_length);
    P(ip_bad_source); P(ip_not_for_us); P(ip_ttl_zero); P(ip_unknown_proto); P(frag_rx);
    P(frag_reassembled); P(frag_overlap); P(frag_too_big); P(frag_no_slot); P(frag_timeout);
    P(frag_bad); P(icmp_rx); P(icmp_bad); P(icmp_bad_checksum); P(icmp_echo_replied);
    P(icmp_echo_reply_rx); P(icmp_unreach_rx); P(icmp_unreach_sent); P(icmp_other); P(udp_rx);
    P(udp_bad); P(udp_bad_checksum); P(udp_no_port); P(tx_frames); P(tx_errors); P(tx_frags);
#undef P
    fclose(in);
    return fclose(out) == 0 ? 0 : 2;
}
