/* net_tap.c: runs lib/net natively on a Linux tap device so the real-peer tests can talk
 * to it from a network namespace. Creates the tap named on the command line (or, with
 * --udp LPORT RPORT, exchanges frames as UDP datagrams on 127.0.0.1 the way QEMU's
 * dgram/socket backends do, e.g. with tools/net_relay.py), prints "ready", then obeys one
 * command per line on stdin and reports events on stdout:
 *   config IP MASK GW | ping IP COUNT SIZE | udpecho PORT | udplisten PORT
 *   udpsend SRCPORT IP PORT TEXT | stats | advance MS | quit
 * (plus dhcp/dns commands when built with those modules). */
#include "net.h"
#include "net_tap_ext.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int tap_fd = -1;
static uint64_t clock_offset;
static net_stack stack;

struct ping_state {
    uint32_t dst;
    unsigned count, sent, received, size;
    uint64_t next_ms, done_ms;
    int active;
};
static struct ping_state ping;

uint64_t tap_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + clock_offset;
}

unsigned tap_drop_tcp;

static int tcp_needs_retransmit(const uint8_t *ip, size_t len)
{
    size_t ihl = (size_t)(ip[0] & 15u) * 4u, total = ((size_t)ip[2] << 8) | ip[3];
    if (ihl < 20 || total > len || ihl + 20 > total)
        return 0;
    const uint8_t *t = ip + ihl;
    size_t doff = (size_t)(t[12] >> 4) * 4u;
    return (t[13] & 0x02u) || total > ihl + doff;
}

static net_err tap_send(void *ctx, const uint8_t *frame, size_t len)
{
    (void)ctx;
    /* Only SYNs and segments that carry data, so that each loss needs a retransmission. */
    if (tap_drop_tcp && len >= 54 && frame[12] == 0x08 && frame[13] == 0 && frame[23] == 6 &&
        tcp_needs_retransmit(frame + 14, len - 14)) {
        tap_drop_tcp--;
        return NET_OK; /* lost on the wire, as far as both ends can tell */
    }
    ssize_t n = write(tap_fd, frame, len);
    return n == (ssize_t)len ? NET_OK : NET_ERR_LINK;
}

static void tap_random(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    size_t got = 0;
    for (int tries = 0; got < len && tries < 16; tries++) {
        ssize_t n = getrandom(buf + got, len - got, 0);
        if (n > 0)
            got += (size_t)n;
    }
    if (got < len) {
        fprintf(stderr, "net_tap: getrandom failed\n");
        exit(2);
    }
}

char *tap_ipstr(uint32_t ip, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255u, (ip >> 8) & 255u, ip & 255u);
    return buf;
}

int tap_parse_ip(const char *s, uint32_t *ip)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1)
        return -1;
    *ip = ntohl(a.s_addr);
    return 0;
}

static void on_echo(void *ctx, uint32_t src, uint16_t ident, uint16_t seq, const uint8_t *data,
                    size_t len)
{
    char b[16];
    (void)ctx;
    if (!ping.active || src != ping.dst || ident != 0x4e54)
        return;
    /* The payload is ours: byte i is (seq + i) & 255. */
    for (size_t i = 0; i < len; i++)
        if (data[i] != (uint8_t)(seq + i)) {
            printf("echo-reply seq=%u corrupt at %zu\n", seq, i);
            return;
        }
    ping.received++;
    printf("echo-reply from=%s seq=%u len=%zu\n", tap_ipstr(src, b), seq, len);
}

static void on_udp(void *ctx, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                   const uint8_t *data, size_t len)
{
    char b[16], d[16];
    int echo = ctx != NULL;
    printf("udp from=%s:%u to=%s:%u len=%zu data=%.*s\n", tap_ipstr(src, b), sport,
           tap_ipstr(dst, d), dport, len, (int)(len > 64 ? 64 : len), (const char *)data);
    if (echo) {
        net_err e = net_udp_send(&stack, 0, dport, src, sport, data, len);
        if (e != NET_OK && e != NET_ERR_PENDING)
            printf("udp echo send failed: %s\n", net_strerror(e));
    }
}

static void ping_poll(uint64_t now)
{
    static uint8_t payload[NET_FRAG_MAX];
    if (!ping.active)
        return;
    if (ping.sent < ping.count && now >= ping.next_ms) {
        uint16_t seq = (uint16_t)(ping.sent + 1);
        for (size_t i = 0; i < ping.size; i++)
            payload[i] = (uint8_t)(seq + i);
        net_err e = net_ping(&stack, ping.dst, 0x4e54, seq, payload, ping.size);
        if (e != NET_OK && e != NET_ERR_PENDING)
            printf("ping send failed: %s\n", net_strerror(e));
        ping.sent++;
        ping.next_ms = now + 200;
        if (ping.sent == ping.count)
            ping.done_ms = now + 1500;
    }
    if ((ping.sent == ping.count && now >= ping.done_ms) ||
        (ping.sent == ping.count && ping.received == ping.count)) {
        printf("ping done sent=%u received=%u\n", ping.sent, ping.received);
        ping.active = 0;
    }
}

static void print_stats(void)
{
    const net_stats *st = &stack.stats;
    printf("stats rx=%u tx=%u arp_bad=%u ip_bad_header=%u ip_bad_checksum=%u ip_bad_length=%u "
           "frag_reassembled=%u frag_timeout=%u icmp_bad_checksum=%u icmp_echo_replied=%u "
           "udp_bad=%u udp_bad_checksum=%u udp_no_port=%u tx_errors=%u tx_frags=%u "
           "arp_queue_dropped=%u rx_short=%u rx_not_for_us=%u arp_own_claimed=%u "
           "arp_mac_change_ignored=%u ip_bad_source=%u ip_not_for_us=%u udp_no_port=%u "
           "icmp_unreach_sent=%u\n",
           st->rx_frames, st->tx_frames, st->arp_bad, st->ip_bad_header, st->ip_bad_checksum,
           st->ip_bad_length, st->frag_reassembled, st->frag_timeout, st->icmp_bad_checksum,
           st->icmp_echo_replied, st->udp_bad, st->udp_bad_checksum, st->udp_no_port,
           st->tx_errors, st->tx_frags, st->arp_queue_dropped, st->rx_short, st->rx_not_for_us,
           st->arp_own_claimed, st->arp_mac_change_ignored, st->ip_bad_source,
           st->ip_not_for_us, st->udp_no_port, st->icmp_unreach_sent);
}

static int command(char *line)
{
    char a[64], b[64], c[64], text[256];
    unsigned u1, u2;
    uint32_t ip, mask, gw;
    net_err e;
    line[strcspn(line, "\r\n")] = 0;
    if (sscanf(line, "config %63s %63s %63s", a, b, c) == 3) {
        if (tap_parse_ip(a, &ip) || tap_parse_ip(b, &mask) || tap_parse_ip(c, &gw))
            return printf("error bad address\n"), 0;
        e = net_set_ipv4(&stack, ip, mask, gw);
        printf("config %s\n", net_strerror(e));
    } else if (sscanf(line, "ping %63s %u %u", a, &u1, &u2) == 3) {
        if (tap_parse_ip(a, &ip) || u1 == 0 || u1 > 100 || u2 > NET_FRAG_MAX - 8)
            return printf("error bad ping\n"), 0;
        memset(&ping, 0, sizeof ping);
        ping.dst = ip;
        ping.count = u1;
        ping.size = u2;
        ping.active = 1;
        ping.next_ms = tap_now_ms();
    } else if (sscanf(line, "udpecho %u", &u1) == 1) {
        e = net_udp_bind(&stack, (uint16_t)u1, on_udp, &stack);
        printf("udpecho %s\n", net_strerror(e));
    } else if (sscanf(line, "udplisten %u", &u1) == 1) {
        e = net_udp_bind(&stack, (uint16_t)u1, on_udp, NULL);
        printf("udplisten %s\n", net_strerror(e));
    } else if (sscanf(line, "udpsend %u %63s %u %255s", &u1, a, &u2, text) == 4) {
        if (tap_parse_ip(a, &ip))
            return printf("error bad address\n"), 0;
        e = net_udp_send(&stack, 0, (uint16_t)u1, ip, (uint16_t)u2, (const uint8_t *)text,
                         strlen(text));
        printf("udpsend %s\n", net_strerror(e));
    } else if (strcmp(line, "stats") == 0) {
        print_stats();
    } else if (sscanf(line, "advance %u", &u1) == 1) {
        clock_offset += u1;
        printf("advanced %u\n", u1);
    } else if (sscanf(line, "droptcp %u", &u1) == 1) {
        tap_drop_tcp = u1;
        printf("droptcp %u\n", u1);
    } else if (strcmp(line, "quit") == 0) {
        return 1;
    } else if (!tap_ext_command(&stack, line)) {
        printf("error unknown command: %s\n", line);
    }
    return 0;
}

/* A UDP socket on 127.0.0.1:lport connected to 127.0.0.1:rport: one datagram, one frame. */
static int udp_open(const char *lport, const char *rport)
{
    char *end;
    long lp = strtol(lport, &end, 10), rp;
    if (*end || lp <= 0 || lp > 65535)
        return fprintf(stderr, "net_tap: bad port %s\n", lport), -1;
    rp = strtol(rport, &end, 10);
    if (*end || rp <= 0 || rp > 65535)
        return fprintf(stderr, "net_tap: bad port %s\n", rport), -1;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return perror("net_tap: socket"), -1;
    int big = 4 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big) < 0)
        perror("net_tap: SO_RCVBUF/SO_SNDBUF (continuing with the defaults)");
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)lp);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
        return perror("net_tap: bind"), close(fd), -1;
    a.sin_port = htons((uint16_t)rp);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        return perror("net_tap: connect"), close(fd), -1;
    return fd;
}

int main(int argc, char **argv)
{
    static uint8_t frame[65536];
    static char line[512];
    struct ifreq ifr;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 4 && strcmp(argv[1], "--udp") == 0) {
        tap_fd = udp_open(argv[2], argv[3]);
        if (tap_fd < 0)
            return 2;
    } else if (argc == 2 && strlen(argv[1]) < IFNAMSIZ) {
        tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
        if (tap_fd < 0) {
            perror("net_tap: /dev/net/tun");
            return 77;
        }
        memset(&ifr, 0, sizeof ifr);
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        memcpy(ifr.ifr_name, argv[1], strlen(argv[1]));
        if (ioctl(tap_fd, TUNSETIFF, &ifr) < 0) {
            perror("net_tap: TUNSETIFF");
            return 2;
        }
    } else {
        fprintf(stderr, "usage: net_tap TAPNAME | net_tap --udp LOCALPORT REMOTEPORT\n");
        return 2;
    }
    uint8_t mac[6] = {0x02, 0x4e, 0x54, 0, 0, 0};
    tap_random(NULL, mac + 3, 3);
    net_link link = {NULL, tap_send, tap_random};
    if (net_init(&stack, &link, mac, tap_now_ms()) != NET_OK)
        return 2;
    net_set_echo_handler(&stack, on_echo, NULL);
    printf("ready mac=%02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3], mac[4],
           mac[5]);
    size_t llen = 0;
    for (;;) {
        struct pollfd pf[2] = {{tap_fd, POLLIN, 0}, {0, POLLIN, 0}};
        int r = poll(pf, 2, 20);
        if (r < 0 && errno != EINTR)
            return 2;
        /* Bounded per wakeup so stdin and timers are never starved. */
        for (int i = 0; i < 64 && (pf[0].revents & (POLLIN | POLLERR)); i++) {
            ssize_t n = read(tap_fd, frame, sizeof frame);
            if (n <= 0)
                break;
            (void)net_input(&stack, frame, (size_t)n, tap_now_ms());
        }
        if (pf[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(0, line + llen, sizeof line - 1 - llen);
            if (n <= 0)
                return 0;
            llen += (size_t)n;
            line[llen] = 0;
            char *nl;
            while ((nl = strchr(line, '\n')) != NULL) {
                *nl = 0;
                if (command(line))
                    return 0;
                size_t rest = llen - (size_t)(nl + 1 - line);
                memmove(line, nl + 1, rest + 1);
                llen = rest;
            }
            if (llen == sizeof line - 1)
                llen = 0; /* an overlong line is dropped */
        }
        uint64_t now = tap_now_ms();
        net_poll(&stack, now);
        ping_poll(now);
        tap_ext_poll(&stack, now);
    }
}
