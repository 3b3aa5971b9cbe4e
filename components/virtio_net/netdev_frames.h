/* The layout of NetDevice's frames dataport (idl/interfaces/netdev.idl), shared by the
 * virtio-net driver and its clients (the network stack, the NIC test's echo client). */
#ifndef ANVAYA_NETDEV_FRAMES_H
#define ANVAYA_NETDEV_FRAMES_H

#include <stdint.h>

/* One page of lengths, then NETDEV_BATCH transmit slots, then NETDEV_BATCH receive slots
 * of NETDEV_SLOT_BYTES each. Slot 0 of each is also where send and receive (one frame)
 * work. A length is believed only up to NETDEV_FRAME_MAX and never past its slot. */
#define NETDEV_BATCH 16u
#define NETDEV_SLOT_BYTES 2048u
#define NETDEV_FRAME_MAX 1514u
#define NETDEV_FRAME_MIN 14u
#define NETDEV_TX_LENGTHS 0u                 /* uint16_t[NETDEV_BATCH]: frames to send */
#define NETDEV_RX_LENGTHS 64u                /* uint16_t[NETDEV_BATCH]: frames received */
#define NETDEV_TX_SLOTS 4096u
#define NETDEV_RX_SLOTS (NETDEV_TX_SLOTS + NETDEV_BATCH * NETDEV_SLOT_BYTES)
#define NETDEV_FRAMES_BYTES (NETDEV_RX_SLOTS + NETDEV_BATCH * NETDEV_SLOT_BYTES)

_Static_assert(NETDEV_FRAME_MAX <= NETDEV_SLOT_BYTES, "a frame fits its slot");
_Static_assert(NETDEV_RX_LENGTHS >= NETDEV_TX_LENGTHS + 2u * NETDEV_BATCH, "length tables apart");
_Static_assert(NETDEV_RX_LENGTHS + 2u * NETDEV_BATCH <= NETDEV_TX_SLOTS, "lengths fit their page");
_Static_assert(NETDEV_FRAMES_BYTES == 69632u, "the dataport is 68K (netdev.idl's users)");

static inline uint32_t netdev_tx_slot(uint32_t i)
{
    return NETDEV_TX_SLOTS + i * NETDEV_SLOT_BYTES;
}

static inline uint32_t netdev_rx_slot(uint32_t i)
{
    return NETDEV_RX_SLOTS + i * NETDEV_SLOT_BYTES;
}

#endif
