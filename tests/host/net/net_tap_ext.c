/* net_tap_ext.c: the tap harness's DHCP and DNS commands:
 *   dhcp                 start the client; "dhcp bound ..." / "dhcp renewed ..." follow
 *   dhcpstate            print the state and counters
 *   dnsserver IP         resolve through IP (default: the DHCP lease's first server)
 *   dns NAME             "dns NAME ok addrs=A,B hops=N canonical=C ttl=T" or "dns NAME err=..." */
#include "net_tap_ext.h"

#include "net_dhcp.h"
#include "net_dns.h"

#include <stdio.h>
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
        return 0;
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
}
