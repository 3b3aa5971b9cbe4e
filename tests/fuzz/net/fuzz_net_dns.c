/* fuzz_net_dns.c: the DNS response parser alone. The input's first byte picks the
 * query name's length (a prefix of a fixed name), the rest is the message. */
#include "net_dns.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[4] = {"www.example.test", "a", "alias.anvaya.test",
                                         "x.y.z.w.v.u.t.s.r.q.p.o.n.m.l.k.j.i.h.g.f.e.d.c.b.a"};
    if (size < 1)
        return 0;
    uint8_t q[NET_DNS_NAME_MAX];
    size_t ql = net_dns_encode_name(names[data[0] & 3u], q);
    if (ql == 0)
        abort();
    uint8_t *m = malloc(size - 1 ? size - 1 : 1);
    if (!m)
        abort();
    memcpy(m, data + 1, size - 1);
    net_dns_result r;
    uint16_t id = size >= 3 ? (uint16_t)((data[1] << 8) | data[2]) : 0;
    net_err e = net_dns_parse(m, size - 1, id, q, ql, &r);
    if (e == NET_OK && (r.naddrs == 0 || r.naddrs > NET_DNS_ADDRS ||
                        r.cname_hops > NET_DNS_CNAME_HOPS || strlen(r.canonical) > NET_DNS_NAME_MAX))
        abort();
    free(m);
    return 0;
}
