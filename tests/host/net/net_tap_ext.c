/* net_tap_ext.c: the tap harness's DHCP and DNS commands:
 *   dhcp                 start the client; "dhcp bound ..." / "dhcp renewed ..." follow
 *   dhcpstate            print the state and counters
 *   dnsserver IP         resolve through IP (default: the DHCP lease's first server)
 *   dns NAME             "dns NAME ok addrs=A,B hops=N canonical=C ttl=T" or "dns NAME err=..." */
#include "net_tap_ext.h"

#include "net_dhcp.h"
#include "net_dns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static net_dhcp dhcp;
static net_dns dns;
static int dhcp_on, dns_on;
static uint32_t last_binds, last_renewals;
static net_dhcp_state last_state;

static void print_lease(const char *what)
{
    char a[16], b[16], c[16], d[16], e[16];
    const net_dhcp_lease *l = &dhcp.lease;
    printf("dhcp %s ip=%s mask=%s router=%s server=%s dns=%s lease=%u t1=%u t2=%u\n", what,
           tap_ipstr(l->ip, a), tap_ipstr(l->mask, b), tap_ipstr(l->router, c),
           tap_ipstr(l->server, d), tap_ipstr(l->ndns ? l->dns[0] : 0, e), l->lease_s, l->t1_s,
           l->t2_s);
}

static void on_dns(void *ctx, const char *name, const net_dns_result *r)
{
    char a[16];
    (void)ctx;
    if (r->err != NET_OK) {
        printf("dns %s err=%s\n", name, net_strerror(r->err));
        return;
    }
    printf("dns %s ok addrs=", name);
    for (unsigned i = 0; i < r->naddrs; i++)
        printf("%s%s", i ? "," : "", tap_ipstr(r->addrs[i], a));
    printf(" hops=%u canonical=%s ttl=%u\n", r->cname_hops, r->canonical, r->ttl);
}

int tap_ext_command(net_stack *s, const char *line)
{
    char name[300];
    uint32_t ip;
    if (strcmp(line, "dhcp") == 0) {
        net_err e = net_dhcp_start(&dhcp, s);
        dhcp_on = e == NET_OK;
        printf("dhcp start %s\n", net_strerror(e));
    } else if (strcmp(line, "dhcpstate") == 0) {
        printf("dhcpstate state=%s binds=%u renewals=%u naks=%u bad=%u ignored=%u\n",
               net_dhcp_state_name(dhcp.state), dhcp.binds, dhcp.renewals, dhcp.naks, dhcp.bad,
               dhcp.ignored);
    } else if (sscanf(line, "dnsserver %15s", name) == 1) {
        if (tap_parse_ip(name, &ip))
            return printf("error bad address\n"), 1;
        net_err e = net_dns_init(&dns, s, ip);
        dns_on = e == NET_OK;
        printf("dnsserver %s\n", net_strerror(e));
    } else if (strcmp(line, "dnsstats") == 0) {
        printf("dnsstats sent=%u mismatched=%u malformed=%u\n", dns.sent, dns.mismatched,
               dns.malformed);
    } else if (sscanf(line, "dns %299s", name) == 1) {
        if (!dns_on && dhcp_on && dhcp.lease.ndns)
            dns_on = net_dns_init(&dns, s, dhcp.lease.dns[0]) == NET_OK;
        if (!dns_on)
            return printf("dns %s err=no server\n", name), 1;
        net_err e = net_dns_query(&dns, name, on_dns, NULL);
        if (e != NET_OK)
            printf("dns %s err=%s\n", name, net_strerror(e));
    } else {
        return tap_tcp_command(s, line);
    }
    return 1;
}

void tap_ext_poll(net_stack *s, uint64_t now_ms)
{
    (void)s;
    if (dhcp_on) {
        net_dhcp_poll(&dhcp, now_ms);
        if (dhcp.binds != last_binds)
            print_lease("bound");
        if (dhcp.renewals != last_renewals)
            print_lease("renewed");
        if (dhcp.state != last_state)
            printf("dhcp state=%s\n", net_dhcp_state_name(dhcp.state));
        last_binds = dhcp.binds;
        last_renewals = dhcp.renewals;
        last_state = dhcp.state;
    }
    if (dns_on)
        net_dns_poll(&dns, now_ms);
    tap_tcp_poll(now_ms);
}

/* ---- TCP ------------------------------------------------------------------------------
 *   tcplisten PORT             accept connections on PORT and echo what they send,
 *                              closing when the peer closes
 *   tcpsink PORT               accept connections on PORT and read (and hash) all they
 *                              send, closing when the peer closes
 *   tcpconnect IP PORT N       connect, send N pattern bytes, close; report what came back
 *   tcpsource IP PORT N        the same with N pseudo-random bytes (xorshift, no period
 *                              a misplaced segment could hide in)
 *   tcpabort                   reset the client connection
 * Events: "tcp accepted h=", "tcp connected h=", "tcp state h= state=",
 *         "tcp closed h= err= received= sent= sum= rxsha256= txsha256=" (SHA-256 by
 *         OpenSSL of everything received and sent). */
#include "net_tcp.h"

#include <openssl/evp.h>

static net_tcp tcp;
static int tcp_on;
static uint16_t tcp_listen_port, tcp_sink_port;
struct tcp_app {
    int used, echo, sink, random;
    size_t to_send, sent, received;
    uint32_t rx_sum, rng;
    net_tcp_state last;
    int closing;
    EVP_MD_CTX *rx_sha, *tx_sha;
};
static struct tcp_app apps[NET_TCP_CONNS];
static int client_h = -1;

static uint8_t pattern(size_t i) { return (uint8_t)(i * 31u + 7u); }

static uint8_t xorshift_byte(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return (uint8_t)(*x >> 24);
}

static void app_start(int h, int echo, int sink)
{
    struct tcp_app *ap = &apps[h];
    memset(ap, 0, sizeof *ap);
    ap->used = 1;
    ap->echo = echo;
    ap->sink = sink;
    ap->rng = 0x9e3779b9u;
    ap->rx_sha = EVP_MD_CTX_new();
    ap->tx_sha = EVP_MD_CTX_new();
    if (!ap->rx_sha || !ap->tx_sha || !EVP_DigestInit_ex(ap->rx_sha, EVP_sha256(), NULL) ||
        !EVP_DigestInit_ex(ap->tx_sha, EVP_sha256(), NULL)) {
        fprintf(stderr, "net_tap: EVP sha256 unavailable\n");
        exit(2);
    }
}

static void hex_digest(EVP_MD_CTX *ctx, char out[65])
{
    unsigned char md[32];
    unsigned n = 0;
    if (!EVP_DigestFinal_ex(ctx, md, &n) || n != 32)
        memset(md, 0, sizeof md);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    EVP_MD_CTX_free(ctx);
}

static void tcp_ensure(net_stack *s)
{
    if (!tcp_on && net_tcp_init(&tcp, s) == NET_OK)
        tcp_on = 1;
}

int tap_tcp_command(net_stack *s, const char *line)
{
    char a[64];
    unsigned port, n;
    uint32_t ip;
    if (sscanf(line, "tcplisten %u", &port) == 1) {
        tcp_ensure(s);
        net_err e = net_tcp_listen(&tcp, (uint16_t)port);
        tcp_listen_port = (uint16_t)port;
        printf("tcplisten %s\n", net_strerror(e));
    } else if (sscanf(line, "tcpsink %u", &port) == 1) {
        tcp_ensure(s);
        net_err e = net_tcp_listen(&tcp, (uint16_t)port);
        tcp_sink_port = (uint16_t)port;
        printf("tcpsink %s\n", net_strerror(e));
    } else if (sscanf(line, "tcpconnect %63s %u %u", a, &port, &n) == 3 ||
               sscanf(line, "tcpsource %63s %u %u", a, &port, &n) == 3) {
        tcp_ensure(s);
        if (tap_parse_ip(a, &ip))
            return printf("error bad address\n"), 1;
        net_err e;
        int h = net_tcp_connect(&tcp, ip, (uint16_t)port, &e);
        printf("tcpconnect %s h=%d\n", net_strerror(e), h);
        if (h >= 0) {
            app_start(h, 0, 0);
            apps[h].random = strncmp(line, "tcpsource", 9) == 0;
            apps[h].to_send = n;
            apps[h].last = NET_TCP_SYN_SENT;
            client_h = h;
        }
    } else if (strcmp(line, "tcpabort") == 0) {
        printf("tcpabort %s\n", net_strerror(net_tcp_abort(&tcp, client_h)));
    } else if (strcmp(line, "tcpstats") == 0) {
        const net_tcp_stats *t = &tcp.stats;
        printf("tcpstats rx=%u bad=%u bad_checksum=%u rst_sent=%u rst_rx=%u retransmits=%u "
               "out_of_order=%u dropped=%u rtt_samples=%u dup_acks=%u fast_retransmits=%u "
               "partial_acks=%u timeouts=%u ooo_queued=%u ooo_dropped=%u "
               "half_open_evicted=%u ack_unacceptable=%u sack_blocks=%u sack_bad=%u "
               "sack_full=%u sack_recoveries=%u sack_rexmits=%u\n", t->rx, t->bad, t->bad_checksum,
               t->rst_sent, t->rst_rx, t->retransmits, t->out_of_order, t->dropped,
               t->rtt_samples, t->dup_acks, t->fast_retransmits, t->partial_acks, t->timeouts,
               t->ooo_queued, t->ooo_dropped, t->half_open_evicted, t->ack_unacceptable,
               t->sack_blocks, t->sack_bad, t->sack_full, t->sack_recoveries, t->sack_rexmits);
    } else if (strcmp(line, "tcpconns") == 0) { /* one line per slot in use */
        char b[16];
        for (unsigned i = 0; i < NET_TCP_CONNS; i++) {
            const struct net_tcp_conn *c = &tcp.c[i];
            if (c->in_use)
                printf("tcpconn h=%u state=%s peer=%s:%u lport=%u rcv_nxt=%u snd_una=%u "
                       "snd_nxt=%u wnd=%u\n", i, net_tcp_state_name((net_tcp_state)c->state),
                       tap_ipstr(c->rip, b), c->rport, c->lport, c->rcv_nxt, c->snd_una,
                       c->snd_nxt, NET_TCP_BUF - c->rlen);
        }
        printf("tcpconns done\n");
    } else {
        return 0;
    }
    return 1;
}

void tap_tcp_poll(uint64_t now)
{
    static uint8_t buf[4096];
    char b[16];
    if (!tcp_on)
        return;
    net_tcp_poll(&tcp, now);
    int h;
    for (int pass = 0; pass < 2; pass++) {
        uint16_t port = pass ? tcp_sink_port : tcp_listen_port;
        while (port && (h = net_tcp_accept(&tcp, port)) >= 0) {
            app_start(h, !pass, pass);
            apps[h].last = NET_TCP_ESTABLISHED;
            printf("tcp accepted h=%d from=%s:%u\n", h, tap_ipstr(tcp.c[h].rip, b),
                   tcp.c[h].rport);
        }
    }
    for (h = 0; h < (int)NET_TCP_CONNS; h++) {
        struct tcp_app *ap = &apps[h];
        if (!ap->used)
            continue;
        net_tcp_state st = net_tcp_get_state(&tcp, h);
        if (!ap->echo && !ap->sink) { /* client: push the pattern, then close */
            while (ap->sent < ap->to_send && (st == NET_TCP_ESTABLISHED || st == NET_TCP_CLOSE_WAIT)) {
                size_t k = ap->to_send - ap->sent;
                if (k > sizeof buf)
                    k = sizeof buf;
                size_t room = NET_TCP_BUF - tcp.c[h].slen;
                if (k > room)
                    k = room; /* generate only what is taken: the stream must not skip */
                if (k == 0)
                    break;
                for (size_t i = 0; i < k; i++)
                    buf[i] = ap->random ? xorshift_byte(&ap->rng) : pattern(ap->sent + i);
                long w = net_tcp_send(&tcp, h, buf, k);
                if (w != (long)k) {
                    printf("tcp send took %ld of %zu\n", w, k);
                    break;
                }
                EVP_DigestUpdate(ap->tx_sha, buf, k);
                ap->sent += (size_t)w;
            }
            if (ap->sent == ap->to_send && !ap->closing &&
                (st == NET_TCP_ESTABLISHED || st == NET_TCP_CLOSE_WAIT)) {
                ap->closing = 1;
                net_err e = net_tcp_close(&tcp, h);
                if (e != NET_OK)
                    printf("tcp close failed: %s\n", net_strerror(e));
            }
        }
        for (int k = 0; k < (ap->sink ? 64 : 16); k++) {
            size_t want = sizeof buf;
            if (ap->echo) { /* read only what can be echoed: the rest waits in the window */
                size_t room = NET_TCP_BUF - tcp.c[h].slen;
                if (room < want)
                    want = room;
                if (want == 0)
                    break;
            }
            long r = net_tcp_recv(&tcp, h, buf, want);
            if (r <= 0) {
                if (r < 0 && (ap->echo || ap->sink) && !ap->closing &&
                    net_tcp_get_state(&tcp, h) == NET_TCP_CLOSE_WAIT && tcp.c[h].slen == 0) {
                    ap->closing = 1;
                    (void)net_tcp_close(&tcp, h);
                }
                break;
            }
            for (long i = 0; i < r; i++)
                ap->rx_sum = ap->rx_sum * 31u + buf[i];
            EVP_DigestUpdate(ap->rx_sha, buf, (size_t)r);
            ap->received += (size_t)r;
            if (ap->echo) {
                long w = net_tcp_send(&tcp, h, buf, (size_t)r);
                if (w > 0)
                    EVP_DigestUpdate(ap->tx_sha, buf, (size_t)w);
                /* The echo waits for room: the peer reads as it writes. */
                if (w != r)
                    printf("tcp echo short write %ld of %ld\n", w, r);
                ap->sent += (size_t)(w > 0 ? w : 0);
            }
        }
        st = net_tcp_get_state(&tcp, h);
        if (st != ap->last) {
            printf("tcp state h=%d state=%s\n", h, net_tcp_state_name(st));
            if (st == NET_TCP_ESTABLISHED && !ap->echo)
                printf("tcp connected h=%d\n", h);
            ap->last = st;
        }
        if (st == NET_TCP_CLOSED) {
            char rx[65], tx[65];
            hex_digest(ap->rx_sha, rx);
            hex_digest(ap->tx_sha, tx);
            printf("tcp closed h=%d err=%s received=%zu sent=%zu sum=%08x rxsha256=%s "
                   "txsha256=%s\n", h, net_strerror(net_tcp_error(&tcp, h)), ap->received,
                   ap->sent, ap->rx_sum, rx, tx);
            ap->used = 0;
            net_tcp_release(&tcp, h);
        }
    }
}
