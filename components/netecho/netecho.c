/* The NIC test's client: every frame received goes back with its Ethernet addresses
 * swapped and its EtherType kept, so the test can compare what returns byte for byte.
 * A frame of EtherType 0x88B5 (local experimental) ends the run with a report. */
#include <stdio.h>

#include "netecho_gen.h"

#define ETHERTYPE_STOP 0x88B5u
#define RX_OFFSET 4096u

int main(void)
{
    volatile uint8_t *frames = (volatile uint8_t *)NET_ECHO_FRAMES;
    struct anv_bytes_6 mac = {0};
    uint32_t mtu = 0;
    int e = net_echo_nic_info(&mac, &mtu);
    printf("netecho: info %d mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u\n", e, mac.data[0],
           mac.data[1], mac.data[2], mac.data[3], mac.data[4], mac.data[5], mtu);
    int short_frame = net_echo_nic_send(13);
    int long_frame = net_echo_nic_send(1515);
    printf("netecho: send 13 -> %d, send 1515 -> %d\n", short_frame, long_frame);
    anv_console_flush();
    uint32_t echoed = 0, bytes = 0, timeouts = 0;
    for (uint32_t n = 0; n < 100000; n++) {
        uint32_t len = 0;
        e = net_echo_nic_receive(500, &len);
        if (e == NET_DEVICE_E_TIMEOUT) {
            if (++timeouts > 4)
                break;
            continue;
        }
        if (e != ANV_OK) {
            printf("netecho: receive failed (%d)\n", e);
            break;
        }
        const volatile uint8_t *rx = frames + RX_OFFSET;
        uint32_t type = ((uint32_t)rx[12] << 8) | rx[13];
        if (type == ETHERTYPE_STOP)
            break;
        for (uint32_t i = 0; i < 6; i++) {
            frames[i] = rx[6 + i];
            frames[6 + i] = rx[i];
        }
        for (uint32_t i = 12; i < len; i++)
            frames[i] = rx[i];
        e = net_echo_nic_send(len);
        if (e != ANV_OK)
            printf("netecho: send of %u bytes failed (%d)\n", len, e);
        echoed++;
        bytes += len;
    }
    uint32_t rx = 0, tx = 0, dropped = 0, irqs = 0;
    e = net_echo_nic_counters(&rx, &tx, &dropped, &irqs);
    printf("netecho: echoed %u frames, %u bytes; driver %d: rx %u tx %u dropped %u interrupts %u\n",
           echoed, bytes, e, rx, tx, dropped, irqs);
    anv_console_flush();
    anv_system_shutdown(NET_ECHO_HANDLE_SYSCTL, 0);
    return 0;
}
