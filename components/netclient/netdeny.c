/* The network stack's client with no grants at all: every request that would reach the
 * network or take a port must come back DENIED (and the stack says so on the console),
 * while asking for the interface's address, which needs no grant, still works. */
#include <stdio.h>
#include <string.h>

#include "netdeny_gen.h"

static const char *verdict(int e)
{
    return e == SOCKET_E_DENIED ? "DENIED" : e == ANV_OK ? "ok" : "other";
}

int main(void)
{
    const uint32_t server = (uint32_t)NET_DENY_CONFIG_SERVER_IP;
    uint32_t s = 0;
    int c = net_deny_net_tcp_connect(server, 5001, &s);
    int l = net_deny_net_tcp_listen(7, &s);
    int b = net_deny_net_udp_bind(53, &s);
    struct anv_bytes_128 name = {.len = 17};
    memcpy(name.data, "alias.anvaya.test", 17);
    uint32_t ip = 0, aliases = 0;
    int r = net_deny_net_lookup(&name, &ip, &aliases);
    printf("netdeny: connect %d (%s), listen %d (%s), bind %d (%s), lookup %d (%s)\n", c,
           verdict(c), l, verdict(l), b, verdict(b), r, verdict(r));
    uint32_t mask = 0, gw = 0, dns = 0;
    int a = SOCKET_E_AGAIN;
    for (uint32_t tries = 0; a == SOCKET_E_AGAIN && tries < 120; tries++) {
        a = net_deny_net_address(&ip, &mask, &gw, &dns);
        if (a == SOCKET_E_AGAIN)
            (void)anv_wait_one(NET_DENY_HANDLE_EVENTS, 50, NULL, NULL);
    }
    printf("netdeny: address -> %s\n", verdict(a));
    anv_console_flush();
    for (;;)
        (void)anv_wait_one(ANV_HANDLE_NULL, 1000, NULL, NULL);
}
