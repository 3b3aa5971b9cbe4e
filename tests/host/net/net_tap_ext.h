/* net_tap_ext.h: the tap harness's DHCP and DNS commands (net_tap_ext.c), kept apart
 * from the frame loop in net_tap.c. */
#ifndef NET_TAP_EXT_H
#define NET_TAP_EXT_H
#include "net.h"
uint64_t tap_now_ms(void);
char *tap_ipstr(uint32_t ip, char buf[16]);
int tap_parse_ip(const char *s, uint32_t *ip);
/* Returns 1 when the line was one of its commands. */
int tap_ext_command(net_stack *s, const char *line);
void tap_ext_poll(net_stack *s, uint64_t now_ms);
/* The TCP part (bottom of net_tap_ext.c). */
int tap_tcp_command(net_stack *s, const char *line);
void tap_tcp_poll(uint64_t now_ms);
/* net_tap.c drops this many outgoing TCP segments (to exercise retransmission). */
extern unsigned tap_drop_tcp;
#endif
