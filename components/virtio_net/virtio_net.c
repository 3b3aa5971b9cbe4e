/* The virtio-net driver: finds a network device among the virtio-mmio slots, keeps
 * RX_BUFS receive buffers posted on queue 0 and transmits from TX_BUFS buffers on queue 1,
 * and serves NetDevice to the network stack, one frame or a batch of up to NETDEV_BATCH
 * per call (netdev_frames.h). A received frame is believed only within the length the
 * device reports and the buffer it was given: anything shorter than an Ethernet header or
 * longer than a full frame is dropped and counted. A frame to send is believed only within
 * the length its client wrote, read once from the shared dataport and checked. */
#include <stdio.h>

/* The instance's generated header (instance names are unique across systems). */
#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */
#include "../virtio/virtio_mmio.h"
#include "netdev_frames.h"

#define VIRTIO_NET_F_MAC 5u
#define VIRTIO_F_ANY_LAYOUT 27u

#define RING_BYTES 8192u
#define RX_RING 0u
#define TX_RING RING_BYTES
/* Two descriptors a buffer (the header, then the frame at DATA_AT, so that the frame is
 * word aligned on both sides of each copy); VIRTQ_MAX_SIZE descriptors a queue. */
#define RX_BUFS 32u
#define TX_BUFS 32u
#define BUF_BYTES 2048u
#define DATA_AT 16u
#define RX_DATA (2u * RING_BYTES)
#define TX_DATA (RX_DATA + RX_BUFS * BUF_BYTES)
#define ETH_HEADER NETDEV_FRAME_MIN
#define FRAME_MAX NETDEV_FRAME_MAX

_Static_assert(TX_DATA + TX_BUFS * BUF_BYTES <= VIRTIO_NET_QUEUE_SIZE, "buffers fit the DMA area");
_Static_assert(2u * RX_BUFS <= VIRTQ_MAX_SIZE && 2u * TX_BUFS <= VIRTQ_MAX_SIZE, "queues hold the buffers");
_Static_assert(NETDEV_FRAMES_BYTES <= VIRTIO_NET_FRAMES_SIZE, "the dataport holds the slots");
_Static_assert(DATA_AT + FRAME_MAX <= BUF_BYTES, "a frame fits its buffer");

static struct virtio_dev net_dev;
static struct virtq net_rx, net_tx;
static uint32_t net_slot;
static uint64_t net_pa;
static uint32_t net_hdr_len;
static uint8_t net_mac[6];
static uint16_t rx_head_buf[VIRTQ_MAX_SIZE]; /* descriptor head -> receive buffer index */
static uint16_t tx_head_buf[VIRTQ_MAX_SIZE];
static bool tx_busy[TX_BUFS];
static uint32_t rx_frames, tx_frames, rx_dropped, interrupts;

#ifndef VIRTIO_NET_VIRTIO_COUNT
/* Pinned to one slot (idl/components/virtio_pinned.idl: a system with a second virtio
 * driver, where two probes of every slot would claim each slot twice). */
#define VIRTIO_NET_VIRTIO_COUNT 1u
#define VIRTIO_NET_VIRTIO_REGS_LIST {VIRTIO_NET_VIRTIO_REGS}
#define VIRTIO_NET_VIRTIO_IRQ_BIT_LIST {VIRTIO_NET_VIRTIO_IRQ_BIT}
#define VIRTIO_NET_VIRTIO_IRQ_HANDLE_LIST {VIRTIO_NET_HANDLE_VIRTIO_IRQ}
#endif
static volatile void *const net_slots[] = VIRTIO_NET_VIRTIO_REGS_LIST;
static const uint64_t net_irq_bits[] = VIRTIO_NET_VIRTIO_IRQ_BIT_LIST;
static const anv_handle_t net_irqs[] = VIRTIO_NET_VIRTIO_IRQ_HANDLE_LIST;

static volatile uint8_t *dma(uint32_t offset)
{
    return (volatile uint8_t *)VIRTIO_NET_QUEUE + offset;
}

/* Word by word where both ends are word aligned (every slot and buffer here is): a byte
 * loop through volatile costs about five instructions a byte. */
static void copy_frame(volatile uint8_t *dst, const volatile uint8_t *src, uint32_t n)
{
    uint32_t i = 0;
    if ((((uintptr_t)dst | (uintptr_t)src) & 7u) == 0) {
        volatile uint64_t *d = (volatile uint64_t *)(uintptr_t)dst;
        const volatile uint64_t *w = (const volatile uint64_t *)(uintptr_t)src;
        for (; i + 8 <= n; i += 8)
            d[i / 8] = w[i / 8];
    }
    for (; i < n; i++)
        dst[i] = src[i];
}

static volatile uint8_t *frames(uint32_t offset)
{
    return (volatile uint8_t *)VIRTIO_NET_FRAMES + offset;
}

/* The header in one descriptor, the frame in the next: the legacy layout without
 * ANY_LAYOUT wants them apart, and it keeps the frame word aligned. */
static int post_rx(uint16_t buf)
{
    uint64_t base = net_pa + RX_DATA + (uint64_t)buf * BUF_BYTES;
    uint64_t pa[2] = {base, base + DATA_AT};
    uint32_t len[2] = {net_hdr_len, BUF_BYTES - DATA_AT};
    bool writes[2] = {true, true};
    uint16_t head = 0;
    if (virtq_add(&net_rx, pa, len, writes, 2, &head) != VIRTIO_OK)
        return -1;
    rx_head_buf[head] = buf;
    return 0;
}

static int net_start(void)
{
    uint64_t want = (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_F_ANY_LAYOUT);
    enum virtio_error ve = virtio_negotiate(&net_dev, want);
    if (ve == VIRTIO_OK)
        ve = virtq_setup(&net_dev, &net_rx, 0, dma(RX_RING), net_pa + RX_RING, RING_BYTES, 2 * RX_BUFS);
    if (ve == VIRTIO_OK)
        ve = virtq_setup(&net_dev, &net_tx, 1, dma(TX_RING), net_pa + TX_RING, RING_BYTES, 2 * TX_BUFS);
    if (ve != VIRTIO_OK) {
        printf("virtio-net: %s\n", virtio_strerror(ve));
        return -1;
    }
    /* The modern header always has num_buffers; the legacy one has it only with
     * MRG_RXBUF, which we do not take. */
    net_hdr_len = net_dev.version == 2 ? 12u : 10u;
    if (net_dev.features & (1ull << VIRTIO_NET_F_MAC)) {
        for (uint32_t i = 0; i < 6; i++)
            net_mac[i] = (uint8_t)(virtio_config32(&net_dev, i) >> (8 * (i & 3)));
    } else {
        /* Locally administered, fixed: the device gave none. */
        const uint8_t fallback[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
        for (uint32_t i = 0; i < 6; i++)
            net_mac[i] = fallback[i];
    }
    uint32_t posted = 0;
    for (uint16_t b = 0; b < RX_BUFS && 2u * b + 2u <= net_rx.size; b++, posted++)
        if (post_rx(b) != 0)
            return -1;
    virtio_driver_ok(&net_dev);
    virtq_kick(&net_dev, &net_rx);
    printf("virtio-net: device in slot %u (%s), mac %02x:%02x:%02x:%02x:%02x:%02x, %u receive "
           "buffers posted, header %u bytes\n", net_slot,
           net_dev.version == 2 ? "modern" : "legacy", net_mac[0], net_mac[1], net_mac[2],
           net_mac[3], net_mac[4], net_mac[5], posted,
           net_hdr_len);
    return 0;
}

/* Take back every transmit buffer the device is done with. */
static void reclaim_tx(void)
{
    uint16_t head = 0;
    uint32_t written = 0;
    enum virtio_error ve = VIRTIO_OK;
    for (uint32_t k = 0; k < net_tx.size && virtq_take_used(&net_tx, &head, &written, &ve); k++)
        if (ve == VIRTIO_OK)
            tx_busy[tx_head_buf[head] % TX_BUFS] = false;
}

static void take_interrupt(uint64_t bits)
{
    if (virtio_take_interrupt(&net_dev, "virtio-net", bits, net_irq_bits[net_slot],
                              net_irqs[net_slot]))
        interrupts++;
}

int virtio_net_nic_info(uint64_t badge, struct anv_bytes_6 *mac, uint32_t *mtu)
{
    (void)badge;
    for (uint32_t i = 0; i < 6; i++)
        mac->data[i] = net_mac[i];
    mac->len = 6;
    *mtu = FRAME_MAX - ETH_HEADER;
    return ANV_OK;
}

/* A free transmit buffer, waiting a little for the device to give one back if all are
 * still with it (after telling it about those queued but not yet kicked); TX_BUFS if none. */
static uint32_t free_tx(bool *unkicked)
{
    reclaim_tx();
    for (uint32_t tries = 0; tries <= 10; tries++) {
        for (uint32_t k = 0; k < TX_BUFS; k++)
            if (!tx_busy[k])
                return k;
        if (tries == 10)
            break;
        if (*unkicked) {
            virtq_kick(&net_dev, &net_tx);
            *unkicked = false;
        }
        uint64_t res = 0, bits = 0;
        if (anv_wait_one(VIRTIO_NET_HANDLE_EVENTS, 1, &res, &bits) == ANV_OK)
            take_interrupt(bits);
        reclaim_tx();
    }
    return TX_BUFS;
}

/* One frame of `length` (checked by the caller) from `src` onto the transmit queue, not
 * yet kicked. false: no buffer came back, or the queue refused it. */
static bool queue_tx(const volatile uint8_t *src, uint32_t length, bool *unkicked)
{
    uint32_t b = free_tx(unkicked);
    if (b == TX_BUFS)
        return false;
    volatile uint8_t *buf = dma(TX_DATA + b * BUF_BYTES);
    for (uint32_t i = 0; i < net_hdr_len; i++)
        buf[i] = 0; /* no offloads: no checksum, no segmentation */
    copy_frame(buf + DATA_AT, src, length);
    uint64_t base = net_pa + TX_DATA + b * BUF_BYTES;
    uint64_t pa[2] = {base, base + DATA_AT};
    uint32_t len[2] = {net_hdr_len, length};
    bool writes[2] = {false, false};
    uint16_t head = 0;
    if (virtq_add(&net_tx, pa, len, writes, 2, &head) != VIRTIO_OK)
        return false;
    tx_head_buf[head] = (uint16_t)b;
    tx_busy[b] = true;
    *unkicked = true;
    tx_frames++;
    return true;
}

int virtio_net_nic_send(uint64_t badge, uint32_t length)
{
    (void)badge;
    if (length < ETH_HEADER || length > FRAME_MAX)
        return NET_DEVICE_E_SIZE;
    bool unkicked = false;
    bool ok = queue_tx(frames(netdev_tx_slot(0)), length, &unkicked);
    if (unkicked)
        virtq_kick(&net_dev, &net_tx);
    return ok ? ANV_OK : NET_DEVICE_E_DOWN;
}

int virtio_net_nic_send_batch(uint64_t badge, uint32_t count, uint32_t *sent)
{
    (void)badge;
    if (count == 0 || count > NETDEV_BATCH)
        return ANV_E_INVALID_ARG;
    /* Read once: the client may write the dataport while we look. */
    uint16_t len[NETDEV_BATCH];
    const volatile uint16_t *lens = (const volatile uint16_t *)(uintptr_t)frames(NETDEV_TX_LENGTHS);
    for (uint32_t i = 0; i < count; i++) {
        len[i] = lens[i];
        if (len[i] < ETH_HEADER || len[i] > FRAME_MAX)
            return NET_DEVICE_E_SIZE;
    }
    bool unkicked = false;
    uint32_t n = 0;
    while (n < count && queue_tx(frames(netdev_tx_slot(n)), len[n], &unkicked))
        n++;
    if (unkicked)
        virtq_kick(&net_dev, &net_tx);
    if (n == 0)
        return NET_DEVICE_E_DOWN;
    *sent = n;
    return ANV_OK;
}

/* Up to `max` received frames into receive slots 0.. with their lengths, each buffer
 * straight back to the device (one kick for all). The count, or -1: device trouble. */
static int take_rx(uint32_t max, uint32_t *first_length)
{
    volatile uint16_t *lens = (volatile uint16_t *)(uintptr_t)frames(NETDEV_RX_LENGTHS);
    uint32_t got = 0;
    bool reposted = false;
    int result = 0;
    for (uint32_t k = 0; k < RX_BUFS && got < max; k++) {
        uint16_t head = 0;
        uint32_t written = 0;
        enum virtio_error ve = VIRTIO_OK;
        if (!virtq_take_used(&net_rx, &head, &written, &ve))
            break;
        if (ve != VIRTIO_OK) {
            result = -1;
            break;
        }
        uint16_t b = rx_head_buf[head];
        bool good = b < RX_BUFS && written >= net_hdr_len + ETH_HEADER &&
                    written <= net_hdr_len + FRAME_MAX;
        if (good) {
            uint32_t n = written - net_hdr_len;
            copy_frame(frames(netdev_rx_slot(got)), dma(RX_DATA + b * BUF_BYTES + DATA_AT), n);
            lens[got] = (uint16_t)n;
            if (got == 0)
                *first_length = n;
            got++;
            rx_frames++;
        } else {
            rx_dropped++;
        }
        if (b >= RX_BUFS || post_rx(b) != 0) {
            result = -1;
            break;
        }
        reposted = true;
    }
    if (reposted)
        virtq_kick(&net_dev, &net_rx);
    return result < 0 ? result : (int)got;
}

/* The wait both receives share: frames, or TIMEOUT after `timeout_ticks`. */
static int receive_frames(uint32_t max, uint32_t timeout_ticks, uint32_t *count,
                          uint32_t *first_length)
{
    bool kicked = false;
    for (uint32_t round = 0; round < 64; round++) {
        int got = take_rx(max, first_length);
        if (got < 0)
            return NET_DEVICE_E_DOWN;
        if (got > 0) {
            *count = (uint32_t)got;
            return ANV_OK;
        }
        if (timeout_ticks == 0 || kicked)
            return NET_DEVICE_E_TIMEOUT;
        uint64_t res = 0, bits = 0;
        int err = anv_wait_one(VIRTIO_NET_HANDLE_EVENTS, timeout_ticks, &res, &bits);
        if (err != ANV_OK || res == ANV_WAIT_TIMEOUT)
            return NET_DEVICE_E_TIMEOUT;
        take_interrupt(bits);
        reclaim_tx();
#ifdef VIRTIO_NET_EVENT_KICK
        /* The client wants the driver for a send: end this wait (as its timeout would),
         * after taking any frame that is already there. */
        kicked = (bits & VIRTIO_NET_EVENT_KICK) != 0;
#endif
    }
    return NET_DEVICE_E_TIMEOUT;
}

int virtio_net_nic_receive(uint64_t badge, uint32_t timeout_ticks, uint32_t *length)
{
    (void)badge;
    uint32_t count = 0;
    return receive_frames(1, timeout_ticks, &count, length);
}

int virtio_net_nic_receive_batch(uint64_t badge, uint32_t timeout_ticks, uint32_t *count)
{
    (void)badge;
    uint32_t first = 0;
    return receive_frames(NETDEV_BATCH, timeout_ticks, count, &first);
}

int virtio_net_nic_counters(uint64_t badge, uint32_t *rx, uint32_t *tx, uint32_t *dropped,
                            uint32_t *irqs)
{
    (void)badge;
    *rx = rx_frames;
    *tx = tx_frames;
    *dropped = rx_dropped;
    *irqs = interrupts;
    return ANV_OK;
}

int main(void)
{
    struct virtio_found f;
    if (!virtio_driver_find("virtio-net", VIRTIO_NET_HANDLE_QUEUE, VIRTIO_NET_QUEUE_SIZE, net_slots,
                            VIRTIO_NET_VIRTIO_COUNT, VIRTIO_ID_NET, &f))
        return 1;
    net_dev = f.dev;
    net_slot = f.slot;
    net_pa = f.dma_pa;
    if (net_start() != 0)
        return 1;
    anv_console_flush();
    return virtio_net_serve();
}
