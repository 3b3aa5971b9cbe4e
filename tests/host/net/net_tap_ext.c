/* net_tap_ext.c: DHCP and DNS commands of the tap harness (none until those modules). */
#include "net_tap_ext.h"

int tap_ext_command(net_stack *s, const char *line)
{
    (void)s;
    (void)line;
    return 0;
}

void tap_ext_poll(net_stack *s, uint64_t now_ms)
{
    (void)s;
    (void)now_ms;
}
