/* fuzz_net_dhcp.c: the DHCP message parser alone (xid 0, MAC 02:00:00:00:00:02). */
#include "net_dhcp.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t mac[6] = {2, 0, 0, 0, 0, 2};
    uint8_t *m = malloc(size ? size : 1);
    if (!m)
        abort();
    memcpy(m, data, size);
    uint8_t type;
    uint32_t yi;
    net_dhcp_lease l;
    net_err e = net_dhcp_parse(m, size, 0, mac, &type, &yi, &l);
    if (e == NET_OK && l.ndns > NET_DHCP_MAX_DNS)
        abort();
    free(m);
    return 0;
}
