/* The NIC test's client: every frame received goes back with its Ethernet addresses
 * swapped and its EtherType kept, so the test can compare what returns byte for byte,
 * received and sent by batch (NetDevice's receive_batch and send_batch). A frame of
 * EtherType 0x88B5 (local experimental) ends the run with a report. */
#include <stdio.h>

#include "netecho_gen.h"
#include "../virtio_net/netdev_frames.h"

#define ETHERTYPE_STOP 0x88B5u

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
    volatile uint16_t *tx_len = (volatile uint16_t *)(uintptr_t)(frames + NETDEV_TX_LENGTHS);
    const volatile uint16_t *rx_len =
        (const volatile uint16_t *)(uintptr_t)(frames + NETDEV_RX_LENGTHS);
    uint32_t sent = 0;
    int none = net_echo_nic_send_batch(0, &sent);
    int many = net_echo_nic_send_batch(NETDEV_BATCH + 1, &sent);
    tx_len[0] = 60;
    tx_len[1] = 1515;
    int bad = net_echo_nic_send_batch(2, &sent);
    printf("netecho: send_batch 0 -> %d, %u -> %d, 2 with a 1515-byte second -> %d\n", none,
           NETDEV_BATCH + 1, many, bad);
    anv_console_flush();
    uint32_t echoed = 0, bytes = 0, timeouts = 0;
    bool stop = false;
    for (uint32_t n = 0; n < 100000 && !stop; n++) {
        uint32_t count = 0;
        e = net_echo_nic_receive_batch(500, &count);
        if (e == NET_DEVICE_E_TIMEOUT) {
            if (++timeouts > 4)
                break;
            continue;
        }
        if (e != ANV_OK || count == 0 || count > NETDEV_BATCH) {
            printf("netecho: receive failed (%d, %u frames)\n", e, count);
            break;
        }
        uint32_t out = 0;
        for (uint32_t f = 0; f < count; f++) {
            const volatile uint8_t *rx = frames + netdev_rx_slot(f);
            uint32_t len = rx_len[f];
            if (len < NETDEV_FRAME_MIN || len > NETDEV_FRAME_MAX) {
                printf("netecho: the driver gave a %u-byte frame\n", len);
                continue;
            }
            uint32_t type = ((uint32_t)rx[12] << 8) | rx[13];
            if (type == ETHERTYPE_STOP) {
                stop = true;
                break;
            }
            volatile uint8_t *tx = frames + netdev_tx_slot(out);
            for (uint32_t i = 0; i < 6; i++) {
                tx[i] = rx[6 + i];
                tx[6 + i] = rx[i];
            }
            for (uint32_t i = 12; i < len; i++)
                tx[i] = rx[i];
            tx_len[out++] = (uint16_t)len;
            echoed++;
            bytes += len;
        }
        if (out == 0)
            continue;
        e = net_echo_nic_send_batch(out, &sent);
        if (e != ANV_OK || sent != out)
            printf("netecho: send of %u frames failed (%d, %u sent)\n", out, e, sent);
    }
    uint32_t rx = 0, tx = 0, dropped = 0, irqs = 0;
    e = net_echo_nic_counters(&rx, &tx, &dropped, &irqs);
    printf("netecho: echoed %u frames, %u bytes; driver %d: rx %u tx %u dropped %u interrupts %u\n",
           echoed, bytes, e, rx, tx, dropped, irqs);
    anv_console_flush();
    anv_system_shutdown(NET_ECHO_HANDLE_SYSCTL, 0);
    return 0;
}
