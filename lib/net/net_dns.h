/* net_dns.h: a DNS stub resolver (RFC 1035) over lib/net's UDP: A queries with a random
 * transaction ID and source port, retries with a timeout, CNAME chains followed, and
 * NXDOMAIN, no-data and server failure reported as errors; a truncated answer is asked
 * again over TCP (RFC 7766) when the resolver was given lib/net's TCP. */
#ifndef NET_DNS_H
#define NET_DNS_H

#include "net.h"
#include "net_tcp.h"

#ifndef NET_DNS_QUERIES
#define NET_DNS_QUERIES 4u /* queries in flight at once */
#endif
#define NET_DNS_ADDRS 8u        /* addresses kept from one answer */
#define NET_DNS_NAME_MAX 255u   /* wire form, RFC 1035 2.3.4 */
#define NET_DNS_CNAME_HOPS 8u   /* longest alias chain followed */
#define NET_DNS_TIMEOUT_MS 1000u
#define NET_DNS_TRIES 3u
#ifndef NET_DNS_TCP_MAX
#define NET_DNS_TCP_MAX 2048u /* the longest answer taken over TCP (its length prefix aside) */
#endif
#define NET_DNS_TCP_TIMEOUT_MS 5000u /* connect, ask and read the whole answer */

typedef struct net_dns_result {
    net_err err;
    uint32_t addrs[NET_DNS_ADDRS];
    uint8_t naddrs;
    uint8_t cname_hops; /* aliases followed to reach the addresses */
    uint32_t ttl;       /* smallest TTL among the records used */
    uint16_t total;     /* A records of the final name in the answer (may exceed naddrs) */
    uint8_t via_tcp;    /* the UDP answer was truncated; this one came over TCP */
    char canonical[NET_DNS_NAME_MAX + 1]; /* the name the addresses belong to, dotted */
} net_dns_result;

/* Called exactly once per successful net_dns_query, with the result or the error. */
typedef void (*net_dns_fn)(void *ctx, const char *name, const net_dns_result *r);

struct net_dns;
struct net_dns_query {
    struct net_dns *dns;
    uint8_t used, tries;
    uint16_t id, port;
    uint64_t deadline_ms;
    uint8_t qname[NET_DNS_NAME_MAX];
    size_t qlen;
    char name[NET_DNS_NAME_MAX + 1];
    net_dns_fn fn;
    void *ctx;
    /* RFC 7766 retry of a truncated answer: lib/net's TCP handle (-1: none), whether the
     * query is out, and the answer read so far (its two-byte length first). */
    int tcp;
    uint8_t tcp_sent;
    uint16_t tcp_have;
    uint8_t tcp_buf[2 + NET_DNS_TCP_MAX];
};

typedef struct net_dns {
    net_stack *s;
    uint32_t server;
    struct net_dns_query q[NET_DNS_QUERIES];
    uint32_t sent, mismatched, malformed;
    net_tcp *tcp; /* NULL: a truncated answer is reported as NET_ERR_TRUNCATED */
    int closing[NET_DNS_QUERIES]; /* TCP handles closing, released once CLOSED (-1: free) */
    uint32_t tcp_retries, tcp_failed;
} net_dns;

net_err net_dns_init(net_dns *d, net_stack *s, uint32_t server);
/* Lets the resolver ask again over TCP (port 53, on t) when a UDP answer is truncated;
 * if that fails too (no connection, a reset, over NET_DNS_TCP_TIMEOUT_MS, an answer
 * longer than NET_DNS_TCP_MAX), the result is NET_ERR_TRUNCATED as without it. */
net_err net_dns_use_tcp(net_dns *d, net_tcp *t);
/* Starts an A query for a dotted name (a trailing dot is allowed). */
net_err net_dns_query(net_dns *d, const char *name, net_dns_fn fn, void *ctx);
/* Retransmissions and timeouts; call as often as net_poll. */
void net_dns_poll(net_dns *d, uint64_t now_ms);

/* Encodes a dotted name into wire labels; returns the length or 0 if invalid. */
size_t net_dns_encode_name(const char *name, uint8_t out[NET_DNS_NAME_MAX]);
/* Parses a response to the query (id, wire qname) into *r; NET_ERR_NOTFOUND means the
 * message answers some other query. Exposed for the fuzzer and the unit tests. */
net_err net_dns_parse(const uint8_t *msg, size_t len, uint16_t id, const uint8_t *qname,
                      size_t qlen, net_dns_result *r);

#endif
