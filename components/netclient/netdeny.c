/* The network stack's client with no grants at all: every request that would reach the
 * network or take a port must come back DENIED (and the stack says so on the console),
 * while asking for the interface's address, which needs no grant, still works. It then
 * makes the calls a careless or hostile client could: socket calls on capabilities it
 * does not hold (an empty slot, where another client's socket would be in that client's
 * own CSpace; a slot that holds no endpoint; its Sockets capability itself), a forged
 * socket badge, lengths past its dataport, a name with a NUL; each gets its own error
 * and the stack carries on. */
#include <stdio.h>
#include <string.h>

#include "netdeny_gen.h"

static const char *verdict(int e)
{
    return e == NET_E_DENIED ? "DENIED" : e == ANV_OK ? "ok" : "other";
}

int main(void)
{
    const uint32_t server = (uint32_t)NET_DENY_CONFIG_SERVER_IP;
    anv_handle_t s = ANV_HANDLE_NULL;
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
    int a = NET_E_AGAIN;
    for (uint32_t tries = 0; a == NET_E_AGAIN && tries < 120; tries++) {
        a = net_deny_net_address(&ip, &mask, &gw, &dns);
        if (a == NET_E_AGAIN)
            (void)anv_wait_one(NET_DENY_HANDLE_EVENTS, 50, NULL, NULL);
    }
    printf("netdeny: address -> %s\n", verdict(a));
    uint32_t n = 0, st = 0;
    /* A handle names a slot of the caller's own CSpace: the first run-time slot is where
     * netclient's first socket is in netclient's CSpace, and is empty in ours. */
    const anv_handle_t empty = ((anv_handle_t)ANV_HANDLE_TAG_SOFT << ANV_HANDLE_TAG_SHIFT) |
                               NET_DENY_SLOT_FIRST_DYNAMIC;
    const anv_handle_t beyond = ((anv_handle_t)ANV_HANDLE_TAG_SOFT << ANV_HANDLE_TAG_SHIFT) |
                                (NET_DENY_CSPACE_SLOTS + 5u);
    int bad[8];
    bad[0] = net_deny_socket_tcp_send(empty, 10, &n);
    bad[1] = net_deny_socket_tcp_recv(beyond, 10, &n);
    bad[2] = net_deny_socket_tcp_status(NET_DENY_HANDLE_BUF, &st, &n); /* a frame */
    bad[3] = net_deny_socket_tcp_status(NET_DENY_HANDLE_NET, &st, &n); /* not a socket */
    bad[4] = net_deny_socket_close(ANV_HANDLE_NULL);
    /* Forging a socket's badge: the only way to set a badge is cap.delegate on an
     * unbadged endpoint, and ours carries the stack's client badge already. */
    anv_handle_t forged = ANV_HANDLE_NULL;
    bad[5] = anv_cap_delegate(NET_DENY_HANDLE_NET, ANV_HANDLE_NULL, NET_DENY_SLOT_FIRST_DYNAMIC,
                              ANV_RIGHT_WRITE, UINT64_C(1) << 48 | UINT64_C(1) << 16 | 1u << 8,
                              &forged);
    struct anv_bytes_128 nul = {.len = 5};
    memcpy(nul.data, "a\0b.c", 5);
    bad[6] = net_deny_net_lookup(&nul, &ip, &aliases);
    bad[7] = net_deny_socket_udp_sendto(empty, server, 53, NET_DENY_BUF_SIZE + 1);
    printf("netdeny: bad calls %d %d %d %d %d %d %d %d\n", bad[0], bad[1], bad[2], bad[3],
           bad[4], bad[5], bad[6], bad[7]);
    anv_console_flush();
    for (;;)
        (void)anv_wait_one(ANV_HANDLE_NULL, 1000, NULL, NULL);
}
