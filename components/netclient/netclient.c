/* The network stack's scripted test client (tests/qemu/test_netstack.py checks every
 * line it prints against what Linux saw): its address, six lookups, a TCP transfer each
 * way with a Linux server hashed on both ends, an echo server for a Linux client, and
 * requests it holds no grant for. Every wait is on the stack's event with a timeout. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */
#include "sha256.h"

/* The finished digest of h as 64 hex digits. */
static void netclient_digest_hex(crypto_sha256_ctx *h, char hex[65])
{
    uint8_t digest[32];
    crypto_sha256_final(h, digest);
    crypto_sha256_hex(digest, hex);
}

#define WAIT_TICKS 50u  /* 0.5 s: the longest nap between two asks if no event comes */
#define PHASE_MS 60000u /* a phase that takes longer has failed */
/* A transfer's own limit: 16 MiB through the lossy relay (test_netstack_loss.py) takes
 * up to about a minute each way. */
#define TRANSFER_MS 180000u
#define TIME_PER_MS 10000u
#define CHUNK NET_CLIENT_BUF_SIZE
#define TCP_ESTABLISHED 3u

static volatile uint8_t *const buf = (volatile uint8_t *)NET_CLIENT_BUF;
static uint8_t chunk[CHUNK];

static uint64_t now_ms(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t / TIME_PER_MS;
}

/* Retired instructions, every process and the kernel: exact under QEMU's -icount shift=0
 * (tools/netstack_bench.py), meaningless without it. */
static uint64_t rdinstret(void)
{
    uint64_t n;
    __asm__ volatile("rdinstret %0" : "=r"(n));
    return n;
}

/* The stack's own instruction count (Socket.stats), and its frame counters on the console. */
static uint64_t stack_work(uint64_t *nic)
{
    uint32_t rx = 0, tx = 0, bad = 0, rexmit = 0;
    uint64_t ins = 0;
    (void)net_client_net_stats(&rx, &tx, &bad, &rexmit, &ins, nic);
    return ins;
}

static void nap(void)
{
    uint64_t res = 0, bits = 0;
    (void)anv_wait_one(NET_CLIENT_HANDLE_EVENTS, WAIT_TICKS, &res, &bits);
}

static const char *ip_text(uint32_t ip)
{
    static char t[4][16];
    static unsigned k;
    char *o = t[k++ % 4];
    (void)snprintf(o, 16, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)(ip >> 16) & 255u,
                   (unsigned)(ip >> 8) & 255u, (unsigned)ip & 255u);
    return o;
}

static const char *err_name(int e)
{
    switch (e) {
    case ANV_OK: return "ok";
    case NET_E_DENIED: return "DENIED";
    case NET_E_AGAIN: return "AGAIN";
    case NET_E_INVAL: return "INVAL";
    case NET_E_NOSOCK: return "NOSOCK";
    case NET_E_NOSPACE: return "NOSPACE";
    case NET_E_INUSE: return "INUSE";
    case NET_E_NOADDR: return "NOADDR";
    case NET_E_CLOSED: return "CLOSED";
    case NET_E_RESET: return "RESET";
    case NET_E_CONNREFUSED: return "CONNREFUSED";
    case NET_E_TIMEOUT: return "TIMEOUT";
    case NET_E_NXDOMAIN: return "NXDOMAIN";
    case NET_E_NODATA: return "NODATA";
    case NET_E_TRUNCATED: return "TRUNCATED";
    case NET_E_SERVFAIL: return "SERVFAIL";
    case NET_E_STATE: return "STATE";
    case NET_E_NETWORK: return "NETWORK";
    case ANV_E_BAD_HANDLE: return "BAD_HANDLE";
    case ANV_E_STALE_HANDLE: return "STALE_HANDLE";
    case ANV_E_EMPTY_SLOT: return "EMPTY_SLOT";
    case ANV_E_RIGHTS: return "RIGHTS";
    case ANV_E_NO_SLOTS: return "NO_SLOTS";
    default: return "other";
    }
}

static int lookup(const char *name)
{
    struct anv_bytes_128 n = {0};
    size_t len = strlen(name);
    memcpy(n.data, name, len);
    n.len = (uint32_t)len;
    uint32_t ip = 0, aliases = 0;
    int e = NET_E_AGAIN;
    uint64_t i0 = rdinstret();
    for (uint64_t end = now_ms() + PHASE_MS; e == NET_E_AGAIN && now_ms() < end;) {
        e = net_client_net_lookup(&n, &ip, &aliases);
        if (e == NET_E_AGAIN)
            nap();
    }
    printf("netclient: instructions lookup %s %lu\n", name, (unsigned long)(rdinstret() - i0));
    if (e == ANV_OK)
        printf("netclient: lookup %s -> %s (%u aliases)\n", name, ip_text(ip), aliases);
    else
        printf("netclient: lookup %s -> error %d (%s)\n", name, e, err_name(e));
    anv_console_flush();
    return e;
}

/* Sends n bytes of a fixed pseudo-random stream, then reads until the peer closes; both
 * directions hashed. */
static int transfer(anv_handle_t sock, uint32_t n)
{
    crypto_sha256_ctx hs, hr;
    crypto_sha256_init(&hs);
    crypto_sha256_init(&hr);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    uint64_t t0 = now_ms(), end = t0 + TRANSFER_MS, i0 = rdinstret(), own = 0;
    uint64_t n_start = 0, n_sent = 0, n_end = 0;
    uint64_t w_start = stack_work(&n_start);
    uint32_t sent = 0;
    while (sent < n && now_ms() < end) {
        uint32_t len = n - sent < CHUNK ? n - sent : CHUNK;
        uint64_t w0 = rdinstret();
        for (uint32_t i = 0; i < len; i++) {
            if (i % 8 == 0) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
            }
            chunk[i] = (uint8_t)(x >> (8 * (i % 8)));
        }
        crypto_sha256_update(&hs, chunk, len);
        own += rdinstret() - w0;
        for (uint32_t off = 0; off < len && now_ms() < end;) {
            for (uint32_t i = off; i < len; i++)
                buf[i - off] = chunk[i];
            uint32_t taken = 0;
            int e = net_client_socket_tcp_send(sock, len - off, &taken);
            if (e == NET_E_AGAIN) {
                nap();
                continue;
            }
            if (e != ANV_OK) {
                printf("netclient: send failed after %u bytes: %d (%s)\n", sent + off, e, err_name(e));
                return e;
            }
            off += taken;
        }
        sent += len;
    }
    uint64_t t1 = now_ms(), i1 = rdinstret();
    char hex[65];
    netclient_digest_hex(&hs, hex);
    printf("netclient: tcp sent %u bytes in %u ms sha256 %s\n", sent, (unsigned)(t1 - t0), hex);
    uint64_t w_sent = stack_work(&n_sent);
    printf("netclient: instructions sending %lu, of them making and hashing the data %lu, "
           "the stack's own %lu, in the NIC's send %lu\n", (unsigned long)(i1 - i0),
           (unsigned long)own, (unsigned long)(w_sent - w_start),
           (unsigned long)(n_sent - n_start));
    anv_console_flush();
    uint32_t got = 0;
    int e = ANV_OK;
    uint64_t t2 = 0, i2 = 0;
    own = 0;
    for (end = now_ms() + TRANSFER_MS; now_ms() < end;) {
        uint32_t len = 0;
        e = net_client_socket_tcp_recv(sock, CHUNK, &len);
        if (e == NET_E_AGAIN) {
            nap();
            continue;
        }
        if (e != ANV_OK)
            break;
        if (got == 0) {
            t2 = now_ms();
            i2 = rdinstret();
        }
        uint64_t w0 = rdinstret();
        for (uint32_t i = 0; i < len; i++)
            chunk[i] = buf[i];
        crypto_sha256_update(&hr, chunk, len);
        own += rdinstret() - w0;
        got += len;
    }
    uint64_t t3 = now_ms(), i3 = rdinstret();
    netclient_digest_hex(&hr, hex);
    printf("netclient: tcp received %u bytes in %u ms sha256 %s (ended %s)\n", got,
           (unsigned)(t3 - (t2 ? t2 : t3)), hex, err_name(e));
    uint64_t w_end = stack_work(&n_end);
    printf("netclient: instructions receiving %lu, of them hashing the data %lu, the stack's "
           "own %lu, in the NIC's send %lu\n", (unsigned long)(i2 ? i3 - i2 : 0),
           (unsigned long)own, (unsigned long)(w_end - w_sent), (unsigned long)(n_end - n_sent));
    anv_console_flush();
    return e == NET_E_CLOSED ? ANV_OK : e;
}

static int until_established(anv_handle_t sock)
{
    for (uint64_t end = now_ms() + PHASE_MS; now_ms() < end;) {
        uint32_t state = 0, unsent = 0;
        int e = net_client_socket_tcp_status(sock, &state, &unsent);
        if (e != ANV_OK)
            return e;
        if (state == TCP_ESTABLISHED)
            return ANV_OK;
        if (state == 0) { /* closed before it was established: send says why */
            uint32_t taken = 0;
            e = net_client_socket_tcp_send(sock, 0, &taken);
            return e == ANV_OK ? (int)NET_E_CLOSED : e;
        }
        nap();
    }
    return NET_E_TIMEOUT;
}

/* One connection of a Linux client, echoed until it closes its side. */
static int echo_server(uint16_t port)
{
    anv_handle_t l = ANV_HANDLE_NULL;
    int e = net_client_net_tcp_listen(port, &l);
    printf("netclient: listen on %u -> %s\n", port, err_name(e));
    anv_console_flush();
    if (e != ANV_OK)
        return e;
    anv_handle_t s = ANV_HANDLE_NULL;
    uint32_t ip = 0;
    uint16_t rport = 0;
    e = NET_E_AGAIN;
    for (uint64_t end = now_ms() + PHASE_MS; e == NET_E_AGAIN && now_ms() < end;) {
        e = net_client_socket_tcp_accept(l, &s, &ip, &rport);
        if (e == NET_E_AGAIN)
            nap();
    }
    if (e != ANV_OK) {
        printf("netclient: accept -> %d (%s)\n", e, err_name(e));
        return e;
    }
    printf("netclient: accepted %s:%u\n", ip_text(ip), rport);
    anv_console_flush();
    uint32_t echoed = 0;
    crypto_sha256_ctx h;
    crypto_sha256_init(&h);
    for (uint64_t end = now_ms() + PHASE_MS; now_ms() < end;) {
        uint32_t len = 0;
        e = net_client_socket_tcp_recv(s, CHUNK, &len);
        if (e == NET_E_AGAIN) {
            nap();
            continue;
        }
        if (e != ANV_OK)
            break;
        for (uint32_t i = 0; i < len; i++)
            chunk[i] = buf[i];
        crypto_sha256_update(&h, chunk, len);
        for (uint32_t off = 0; off < len && now_ms() < end;) {
            for (uint32_t i = off; i < len; i++)
                buf[i - off] = chunk[i];
            uint32_t taken = 0;
            int se = net_client_socket_tcp_send(s, len - off, &taken);
            if (se == NET_E_AGAIN) {
                nap();
                continue;
            }
            if (se != ANV_OK) {
                e = se;
                break;
            }
            off += taken;
        }
        echoed += len;
    }
    char hex[65];
    netclient_digest_hex(&h, hex);
    int ce = net_client_socket_close(s);
    int le = net_client_socket_close(l);
    printf("netclient: echoed %u bytes sha256 %s (ended %s, close %s/%s)\n", echoed, hex,
           err_name(e), err_name(ce), err_name(le));
    anv_console_flush();
    return e == NET_E_CLOSED ? ANV_OK : e;
}

/* ---- the goodput benchmark (bench_bytes) ---------------------------------------- */

/* The benchmark's stream is a pattern of BENCH_PERIOD bytes repeated: so that neither
 * side spends more on making or checking the data than a copy, which SHA-256 (over a
 * hundred instructions a byte here) would not allow. The period is a multiple of 8 (word
 * compares line up) and not a power of two; data lost, repeated or misplaced shows unless
 * it is a whole number of periods long. pat holds a period and a chunk more, so any
 * chunk of the stream is one contiguous window of it. */
#define BENCH_PERIOD 65528u
static _Alignas(8) uint8_t pat[BENCH_PERIOD + CHUNK];

/* xorshift64 from the transfer's seed, eight bytes a step, little-endian (the Linux side
 * of tests/qemu/test_netstack_bench.py makes the same bytes). */
static void bench_pattern(void)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (uint32_t i = 0; i < BENCH_PERIOD; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        for (uint32_t k = 0; k < 8; k++)
            pat[i + k] = (uint8_t)(x >> (8 * k));
    }
    memcpy(pat + BENCH_PERIOD, pat, CHUNK);
}

/* Whether the n bytes at a (8-aligned base, stream position pos at a + pos % 8) are the
 * pattern's from position pos: word compares, the pattern's words aligned the same way. */
static bool bench_check(const uint8_t *a, uint64_t pos, uint32_t n)
{
    const uint8_t *p = pat + pos % BENCH_PERIOD;
    uint32_t i = 0;
    for (; i < n && ((uintptr_t)(a + i) & 7u) != 0; i++)
        if (a[i] != p[i])
            return false;
    for (; i + 8 <= n; i += 8)
        if (*(const uint64_t *)(const void *)(a + i) != *(const uint64_t *)(const void *)(p + i))
            return false;
    for (; i < n; i++)
        if (a[i] != p[i])
            return false;
    return true;
}

/* The dataport as plain memory for the SDK's word-wide memcpy: the IPC call that follows
 * (an external call) orders the copy before the stack reads it. */
static uint8_t *dataport(void) { return (uint8_t *)(uintptr_t)buf; }

static int bench(anv_handle_t sock, uint32_t n)
{
    static _Alignas(8) uint8_t in[CHUNK + 8];
    uint64_t n0 = 0, n1 = 0, n2 = 0;
    uint64_t w0 = stack_work(&n0), t0 = now_ms(), i0 = rdinstret();
    uint64_t end = t0 + TRANSFER_MS;
    uint32_t sent = 0;
    while (sent < n && now_ms() < end) {
        uint32_t len = n - sent < CHUNK ? n - sent : CHUNK;
        memcpy(dataport(), pat + sent % BENCH_PERIOD, len);
        uint32_t taken = 0;
        int e = net_client_socket_tcp_send(sock, len, &taken);
        if (e == NET_E_AGAIN) {
            nap();
            continue;
        }
        if (e != ANV_OK) {
            printf("netclient: bench send failed after %u bytes: %d (%s)\n", sent, e, err_name(e));
            anv_console_flush();
            return e;
        }
        sent += taken;
    }
    uint64_t t1 = now_ms(), i1 = rdinstret(), w1 = stack_work(&n1);
    printf("netclient: bench sent %u bytes in %u ms; instructions %lu, the stack's own %lu, in "
           "the NIC's send %lu\n", sent, (unsigned)(t1 - t0), (unsigned long)(i1 - i0),
           (unsigned long)(w1 - w0), (unsigned long)(n1 - n0));
    anv_console_flush();
    uint64_t got = 0;
    bool ok = true;
    int e = ANV_OK;
    uint64_t t2 = 0, i2 = 0;
    for (end = now_ms() + TRANSFER_MS; now_ms() < end;) {
        uint32_t len = 0;
        e = net_client_socket_tcp_recv(sock, CHUNK, &len);
        if (e == NET_E_AGAIN) {
            nap();
            continue;
        }
        if (e != ANV_OK || len > CHUNK)
            break;
        if (got == 0) {
            t2 = now_ms();
            i2 = rdinstret();
        }
        uint8_t *at = in + got % 8u; /* stream position got lies at in + got % 8 */
        memcpy(at, dataport(), len);
        if (ok && !bench_check(at, got, len)) {
            printf("netclient: bench data differs from the pattern within bytes %lu..%lu\n",
                   (unsigned long)got, (unsigned long)(got + len));
            ok = false;
        }
        got += len;
    }
    uint64_t t3 = now_ms(), i3 = rdinstret(), w3 = stack_work(&n2);
    printf("netclient: bench received %lu bytes in %u ms, pattern %s (ended %s); instructions "
           "%lu, the stack's own %lu, in the NIC's send %lu\n", (unsigned long)got,
           (unsigned)(t3 - (t2 ? t2 : t3)), ok ? "ok" : "BAD", err_name(e),
           (unsigned long)(i2 ? i3 - i2 : 0), (unsigned long)(w3 - w1), (unsigned long)(n2 - n1));
    anv_console_flush();
    return ok && got == n && e == NET_E_CLOSED ? ANV_OK : NET_E_INVAL;
}

static int bench_main(void)
{
    bench_pattern();
    anv_handle_t s = ANV_HANDLE_NULL;
    int e = net_client_net_tcp_connect((uint32_t)NET_CLIENT_CONFIG_SERVER_IP,
                                       (uint16_t)NET_CLIENT_CONFIG_SERVER_PORT, &s);
    if (e == ANV_OK)
        e = until_established(s);
    printf("netclient: bench connect -> %s\n", err_name(e));
    anv_console_flush();
    if (e == ANV_OK) {
        e = bench(s, (uint32_t)NET_CLIENT_CONFIG_BENCH_BYTES);
        int ce = net_client_socket_close(s);
        if (e == ANV_OK)
            e = ce;
    }
    printf("netclient: bench done -> %s\n", err_name(e));
    anv_console_flush();
    return e;
}

int main(void)
{
    uint32_t ip = 0, mask = 0, gw = 0, dns = 0;
    int e = NET_E_AGAIN;
    for (uint64_t end = now_ms() + PHASE_MS; e == NET_E_AGAIN && now_ms() < end;) {
        e = net_client_net_address(&ip, &mask, &gw, &dns);
        if (e == NET_E_AGAIN)
            nap();
    }
    if (e != ANV_OK) {
        printf("netclient: no address: %d (%s)\n", e, err_name(e));
        anv_system_shutdown(NET_CLIENT_HANDLE_SYSCTL, 1);
        return 1;
    }
    printf("netclient: address %s mask %s gateway %s dns %s\n", ip_text(ip), ip_text(mask),
           ip_text(gw), ip_text(dns));
    anv_console_flush();
    if (NET_CLIENT_CONFIG_BENCH_BYTES != 0) {
        e = bench_main();
        anv_system_shutdown(NET_CLIENT_HANDLE_SYSCTL, e == ANV_OK ? 0u : 1u);
        return e;
    }
    int failures = 0;
    /* dnsmasq's names (tests/qemu/test_netstack.py): an A record, a CNAME, a chain of three,
     * a name that does not exist, one with no A record, and one whose answer does not fit
     * in 512 bytes (the stack asks it again over TCP). */
    failures += lookup("target.anvaya.test") != ANV_OK;
    failures += lookup("alias.anvaya.test") != ANV_OK;
    failures += lookup("chain.anvaya.test") != ANV_OK;
    failures += lookup("nosuch.anvaya.test") != NET_E_NXDOMAIN;
    failures += lookup("v6only.anvaya.test") != NET_E_NODATA;
    failures += lookup("big.anvaya.test") != ANV_OK;

    const uint32_t server = (uint32_t)NET_CLIENT_CONFIG_SERVER_IP;
    anv_handle_t s = ANV_HANDLE_NULL;
    uint64_t i0 = rdinstret();
    e = net_client_net_tcp_connect(server, (uint16_t)NET_CLIENT_CONFIG_SERVER_PORT, &s);
    if (e == ANV_OK)
        e = until_established(s);
    printf("netclient: instructions connect %lu\n", (unsigned long)(rdinstret() - i0));
    printf("netclient: connect %s:%u -> %s\n", ip_text(server),
           (unsigned)NET_CLIENT_CONFIG_SERVER_PORT, err_name(e));
    anv_console_flush();
    if (e == ANV_OK) {
        failures += transfer(s, (uint32_t)NET_CLIENT_CONFIG_TRANSFER_BYTES) != ANV_OK;
        failures += net_client_socket_close(s) != ANV_OK;
    } else {
        failures++;
    }

    failures += echo_server((uint16_t)NET_CLIENT_CONFIG_ECHO_PORT) != ANV_OK;
    /* The port is free again once its listener is closed, and listening twice is INUSE. */
    anv_handle_t l1 = ANV_HANDLE_NULL, l2 = ANV_HANDLE_NULL;
    int again1 = net_client_net_tcp_listen((uint16_t)NET_CLIENT_CONFIG_ECHO_PORT, &l1);
    int twice = net_client_net_tcp_listen((uint16_t)NET_CLIENT_CONFIG_ECHO_PORT, &l2);
    int closed = net_client_socket_close(l1);
    printf("netclient: listen on %u again -> %s, a second time -> %s, close -> %s\n",
           (unsigned)NET_CLIENT_CONFIG_ECHO_PORT, err_name(again1), err_name(twice), err_name(closed));
    failures += again1 != ANV_OK || twice != NET_E_INUSE || closed != ANV_OK;

    /* Not granted: another port of the same server, and a port to listen on. */
    e = net_client_net_tcp_connect(server, (uint16_t)(NET_CLIENT_CONFIG_SERVER_PORT + 1), &s);
    printf("netclient: connect %s:%u (not granted) -> %s\n", ip_text(server),
           (unsigned)NET_CLIENT_CONFIG_SERVER_PORT + 1, err_name(e));
    failures += e != NET_E_DENIED;
    e = net_client_net_tcp_listen(8, &s);
    printf("netclient: listen on 8 (not granted) -> %s\n", err_name(e));
    failures += e != NET_E_DENIED;
    /* Granted: any UDP port, datagrams to the server's address. */
    anv_handle_t u = ANV_HANDLE_NULL;
    e = net_client_net_udp_bind(4000, &u);
    if (e == ANV_OK) {
        static const char hello[] = "netclient udp hello";
        for (uint32_t i = 0; i < sizeof hello - 1; i++)
            buf[i] = (uint8_t)hello[i];
        e = net_client_socket_udp_sendto(u, server, 9999, sizeof hello - 1);
    }
    printf("netclient: udp 4000 -> %s:9999 -> %s\n", ip_text(server), err_name(e));
    failures += e != ANV_OK;
    /* Linux answers with the bytes reversed. */
    uint32_t from = 0, got = 0;
    uint16_t from_port = 0;
    e = NET_E_AGAIN;
    for (uint64_t end = now_ms() + 10000u; e == NET_E_AGAIN && now_ms() < end;) {
        e = net_client_socket_udp_recvfrom(u, &from, &from_port, &got);
        if (e == NET_E_AGAIN)
            nap();
    }
    char reply[64] = {0};
    for (uint32_t i = 0; e == ANV_OK && i < got && i < sizeof reply - 1; i++)
        reply[i] = (char)buf[i];
    printf("netclient: udp from %s:%u -> %s, %u bytes '%s'\n", ip_text(from), from_port,
           err_name(e), got, reply);
    failures += e != ANV_OK;
    e = net_client_socket_udp_sendto(u, server + 1, 9999, 1);
    printf("netclient: udp 4000 -> %s:9999 (not granted) -> %s\n", ip_text(server + 1), err_name(e));
    failures += e != NET_E_DENIED;
    failures += net_client_socket_close(u) != ANV_OK;
    /* close revoked the capability: its slot in our CSpace was emptied, the handle is stale. */
    e = net_client_socket_close(u);
    int se = net_client_socket_udp_sendto(u, server, 9999, 1);
    printf("netclient: close of a closed socket -> %s, sendto on it -> %s\n", err_name(e),
           err_name(se));
    failures += e != ANV_E_STALE_HANDLE || se != ANV_E_STALE_HANDLE;

    /* More sockets than free slots: the reply with one capability too many finds our
     * CSpace full, the kernel refuses it, the stack closes that socket again and answers
     * ANV_E_NO_SLOTS. Closing the others frees everything: a bind works again. */
    anv_handle_t many[8];
    const uint32_t free_slots = NET_CLIENT_CSPACE_SLOTS - NET_CLIENT_SLOT_FIRST_DYNAMIC;
    uint32_t opened = 0;
    int full = ANV_OK;
    for (uint32_t i = 0; i < 8u && full == ANV_OK; i++) {
        full = net_client_net_udp_bind((uint16_t)(4100u + i), &many[opened]);
        if (full == ANV_OK)
            opened++;
    }
    int closes = ANV_OK;
    for (uint32_t i = 0; i < opened; i++) {
        int ce = net_client_socket_close(many[i]);
        if (closes == ANV_OK)
            closes = ce;
    }
    e = net_client_net_udp_bind((uint16_t)(4100u + opened), &u);
    int ue = e == ANV_OK ? net_client_socket_close(u) : e;
    printf("netclient: sockets until the CSpace is full: %u of %u free slots, then %s; closed "
           "-> %s; bind again -> %s, close -> %s\n", opened, free_slots, err_name(full),
           err_name(closes), err_name(e), err_name(ue));
    failures += opened != free_slots || full != ANV_E_NO_SLOTS || closes != ANV_OK ||
                e != ANV_OK || ue != ANV_OK;

    uint32_t rx = 0, tx = 0, bad = 0, rexmit = 0;
    uint64_t ins = 0, nic = 0;
    e = net_client_net_stats(&rx, &tx, &bad, &rexmit, &ins, &nic);
    printf("netclient: stack stats %s: rx %u tx %u bad %u retransmits %u\n", err_name(e), rx, tx,
           bad, rexmit);
    printf("netclient: done, %d failures\n", failures);
    anv_console_flush();
    anv_system_shutdown(NET_CLIENT_HANDLE_SYSCTL, failures ? 1u : 0u);
    return failures;
}
