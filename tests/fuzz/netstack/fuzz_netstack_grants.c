/* fuzz_netstack_grants.c: the network stack's grant parser on any bytes, then the check
 * on the table it made: a parse either fails granting nothing or yields a table within
 * its bounds whose every entry the check honours. */
#include "netstack_grants.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct netstack_grants g;
    size_t where = 0;
    netstack_grant_err e = netstack_grants_parse((const char *)data, size, &g, &where);
    if (e != NETSTACK_GRANT_OK) {
        if (g.count != 0 || where >= size || e >= NETSTACK_GRANT_E__COUNT)
            abort();
        return 0;
    }
    if (g.count > NETSTACK_GRANTS_MAX)
        abort();
    for (uint32_t i = 0; i < g.count; i++) {
        const struct netstack_grant *x = &g.g[i];
        if (x->op >= NETSTACK_OP__COUNT)
            abort();
        uint32_t ip = x->ip ? x->ip : 0x01020304u;
        uint16_t port = x->port ? x->port : 4242u;
        if (!netstack_grant_check(&g, (netstack_op)x->op, ip, port))
            abort();
    }
    return 0;
}
