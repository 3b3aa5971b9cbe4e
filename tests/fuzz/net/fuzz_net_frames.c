/* fuzz_net_frames.c: the whole frame input path (Ethernet, ARP, IPv4 and reassembly,
 * ICMP, UDP, and through UDP the DHCP client and the DNS resolver) on a sequence of
 * frames cut from the input (TCP too: a listener on port 80 and, configured, a
 * connection to 192.0.2.1:80 from port 49152 with ISN 0): [u8 clock step][u16 length][frame]... Randomness is all
 * zeros, so the DHCP xid (0), the DNS port (49152) and ID (0) are reachable. */
#include "net.h"
#include "net_dhcp.h"
#include "net_dns.h"
#include "net_tcp.h"

#include <stdlib.h>
#include <string.h>

static net_stack st;
static net_dhcp dhcp;
static net_dns dns;
static net_tcp tcp;
static size_t sent_bytes;

static net_err sink(void *ctx, const uint8_t *f, size_t len)
{
    (void)ctx;
    /* Touch every byte, so a frame built from uninitialised or freed memory shows. */
    for (size_t i = 0; i < len; i++)
        sent_bytes += f[i];
    return NET_OK;
}

static void zeros(void *ctx, uint8_t *b, size_t n)
{
    (void)ctx;
    memset(b, 0, n);
}

static void echo(void *ctx, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp,
                 const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)dst;
    (void)net_udp_send(&st, 0, dp, src, sp, data, len);
}

static void on_dns(void *ctx, const char *name, const net_dns_result *r)
{
    (void)ctx;
    (void)name;
    if (r->naddrs > NET_DNS_ADDRS || strlen(r->canonical) > NET_DNS_NAME_MAX)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t mac[6] = {2, 0, 0, 0, 0, 2};
    net_link link = {NULL, sink, zeros};
    uint64_t now = 0;
    if (net_init(&st, &link, mac, 0) != NET_OK || net_dhcp_start(&dhcp, &st) != NET_OK ||
        net_tcp_init(&tcp, &st) != NET_OK || net_tcp_listen(&tcp, 80) != NET_OK)
        abort();
    int client = -1;
    /* The first byte chooses: a DHCP client still selecting, or a configured host. */
    if (size > 0 && (data[0] & 1u)) {
        if (net_set_ipv4(&st, 0xc0000202u, 0xffffff00u, 0xc0000201u) != NET_OK ||
            net_udp_bind(&st, 7, echo, NULL) != NET_OK ||
            net_dns_init(&dns, &st, 0xc0000201u) != NET_OK ||
            net_dns_query(&dns, "www.example.test", on_dns, NULL) != NET_OK)
            abort();
        client = net_tcp_connect(&tcp, 0xc0000201u, 80, NULL);
        if (client < 0)
            abort();
    }
    size_t off = size > 0 ? 1 : 0;
    for (int k = 0; k < 64 && off + 3 <= size; k++) {
        now += (uint64_t)data[off] * 100u;
        size_t len = ((size_t)data[off + 1] << 8) | data[off + 2];
        off += 3;
        if (len > size - off)
            len = size - off;
        uint8_t *copy = malloc(len ? len : 1); /* exactly len bytes: ASan sees overreads */
        if (!copy)
            abort();
        memcpy(copy, data + off, len);
        (void)net_input(&st, copy, len, now);
        free(copy);
        off += len;
        net_poll(&st, now);
        net_dhcp_poll(&dhcp, now);
        net_dns_poll(&dns, now);
        net_tcp_poll(&tcp, now);
        if (!net_tcp_consistent(&tcp))
            abort();
        /* Drive the connections as an application would: accept, read, echo, close. */
        uint8_t buf[2048];
        int h = net_tcp_accept(&tcp, 80);
        for (int i = 0; i < (int)NET_TCP_CONNS; i++) {
            long r = net_tcp_recv(&tcp, i, buf, sizeof buf);
            if (r > 0)
                (void)net_tcp_send(&tcp, i, buf, (size_t)r);
            else if (r < 0 && net_tcp_get_state(&tcp, i) == NET_TCP_CLOSE_WAIT)
                (void)net_tcp_close(&tcp, i);
        }
        if (client >= 0 && (data[off - 1] & 7u) == 1)
            (void)net_tcp_send(&tcp, client, data, size < 3000 ? size : 3000);
        (void)h;
    }
    return 0;
}
