/* fuzz_net_tcpopt.c: lib/net's TCP option parser alone (MSS, window scale, SACK-permitted
 * and SACK blocks). The input's first byte picks the data offset (20 to 60 bytes), the
 * rest fills the header after its fixed 20 bytes; the header is allocated at exactly that
 * length, so a read past the options is caught. */
#include "net_tcp.h"

#include <stdbool.h>
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
    /* SACK blocks: at most 4, each read from a kind-5 option of length 2 + 8n inside the
     * header whose bytes say exactly those edges; unused slots stay zero. */
    if (o.nsack > NET_TCP_SACK_BLOCKS)
        abort();
    for (unsigned b = o.nsack; b < NET_TCP_SACK_BLOCKS; b++)
        if (o.sack[b].start || o.sack[b].end)
            abort();
    if (o.nsack > 0) {
        size_t olen = 2u + 8u * o.nsack;
        bool found = false;
        for (size_t i = 20; i + olen <= doff && !found; i++) {
            if (h[i] != 5 || h[i + 1] != olen)
                continue;
            bool same = true;
            for (unsigned b = 0; b < o.nsack; b++) {
                const uint8_t *q = h + i + 2 + 8u * b;
                uint32_t s = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
                uint32_t e = (uint32_t)q[4] << 24 | (uint32_t)q[5] << 16 | (uint32_t)q[6] << 8 | q[7];
                if (s != o.sack[b].start || e != o.sack[b].end)
                    same = false;
            }
            found = same;
        }
        if (!found)
            abort();
    }
    /* Offsets the parser must refuse, whatever the bytes. */
    if (net_tcp_parse_options(h, 19, &o) != NET_ERR_ARG || net_tcp_parse_options(h, 64, &o) != NET_ERR_ARG)
        abort();
    free(h);
    return 0;
}
