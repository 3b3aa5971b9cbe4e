/* fuzz_net_tcpopt.c: lib/net's TCP option parser alone. The input's first byte picks the
 * data offset (20 to 60 bytes), the rest fills the header after its fixed 20 bytes; the
 * header is allocated at exactly that length, so a read past the options is caught. */
#include "net_tcp.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t doff = 20u + 4u * (data[0] % 11u);
    uint8_t *h = malloc(doff);
    if (!h)
        abort();
    memset(h, 0, doff);
    size_t n = size - 1 < doff - 20u ? size - 1 : doff - 20u;
    memcpy(h + 20, data + 1, n);
    net_tcp_opts o;
    if (net_tcp_parse_options(h, doff, &o) != NET_OK)
        abort();
    if (o.mss < 64u || (!o.has_mss && o.mss != 536u))
        abort();
    if (o.wscale > 14u || (o.has_wscale && o.wscale != (o.wscale_sent > 14u ? 14u : o.wscale_sent)))
        abort();
    if (!o.has_wscale && (o.wscale || o.wscale_sent))
        abort();
    /* Offsets the parser must refuse, whatever the bytes. */
    if (net_tcp_parse_options(h, 19, &o) != NET_ERR_ARG || net_tcp_parse_options(h, 64, &o) != NET_ERR_ARG)
        abort();
    free(h);
    return 0;
}
