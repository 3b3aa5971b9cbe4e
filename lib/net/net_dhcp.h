/* net_dhcp.h: a DHCPv4 client (RFC 2131) over lib/net: discover, offer, request, ack,
 * renewal at T1 (unicast), rebinding at T2 (broadcast), expiry, NAK and restart. */
#ifndef NET_DHCP_H
#define NET_DHCP_H

#include "net.h"

#define NET_DHCP_MAX_DNS 3u

typedef enum net_dhcp_state {
    NET_DHCP_IDLE = 0,
    NET_DHCP_SELECTING, /* DISCOVER sent, waiting for an OFFER */
    NET_DHCP_REQUESTING,
    NET_DHCP_BOUND,
    NET_DHCP_RENEWING,
    NET_DHCP_REBINDING,
} net_dhcp_state;

typedef struct net_dhcp_lease {
    uint32_t ip, mask, router, server;
    uint32_t dns[NET_DHCP_MAX_DNS];
    uint8_t ndns;
    uint32_t lease_s, t1_s, t2_s;
} net_dhcp_lease;

typedef struct net_dhcp {
    net_stack *s;
    net_dhcp_state state;
    uint32_t xid;
    uint8_t tries;
    uint64_t retry_ms;                        /* next retransmission */
    uint64_t bound_ms, t1_ms, t2_ms, end_ms; /* of the current lease */
    uint32_t offer_ip, offer_server;
    net_dhcp_lease lease;
    uint32_t binds, renewals, naks, bad, ignored;
} net_dhcp;

/* Binds UDP port 68 on s, clears s's address and sends the first DISCOVER. */
net_err net_dhcp_start(net_dhcp *d, net_stack *s);
/* Retransmissions and the lease's timers; call as often as net_poll. */
void net_dhcp_poll(net_dhcp *d, uint64_t now_ms);
/* Releases the port (the address stays as it is). */
net_err net_dhcp_stop(net_dhcp *d);
const char *net_dhcp_state_name(net_dhcp_state st);

/* Parses a server's message (the UDP payload) for the client with this xid and MAC:
 * sets *type (DHCP message type), *yiaddr and the lease's options. Exposed for the
 * fuzzer and the unit tests. */
net_err net_dhcp_parse(const uint8_t *msg, size_t len, uint32_t xid, const uint8_t mac[6],
                       uint8_t *type, uint32_t *yiaddr, net_dhcp_lease *opts);

#endif
