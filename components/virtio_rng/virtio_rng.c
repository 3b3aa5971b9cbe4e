/* The virtio-rng driver: probes the virtio-mmio slots for an entropy device (ID 4), gives
 * it one virtqueue in its DMA buffer, and serves Entropy.read by handing the device a
 * device-writable buffer and waiting for the interrupt. A request the device does not
 * answer in time, or answers with nothing, is an error to the caller, never retried. */
#include <stdio.h>

/* The instance's generated header: every instance of VirtioRng has its own CSpace layout. */
#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */
#include "../virtio/virtio_mmio.h"

#define QUEUE_BYTES 8192u      /* the ring area: the legacy layout puts used on page 2 */
#define DATA_OFFSET QUEUE_BYTES
#define REQUEST_MAX 64u
#define TIMEOUT_TICKS 100u     /* 1 s at 100 Hz */

static struct virtio_dev rng_dev;
static struct virtq rng_q;
static uint32_t rng_slot;
static uint64_t rng_dma_pa;
static uint32_t rng_requests, rng_bytes, rng_interrupts;

#ifndef VIRTIO_RNG_VIRTIO_COUNT
/* Pinned to one slot (idl/components/virtio_pinned.idl). */
#define VIRTIO_RNG_VIRTIO_COUNT 1u
#define VIRTIO_RNG_VIRTIO_REGS_LIST {VIRTIO_RNG_VIRTIO_REGS}
#define VIRTIO_RNG_VIRTIO_IRQ_BIT_LIST {VIRTIO_RNG_VIRTIO_IRQ_BIT}
#define VIRTIO_RNG_VIRTIO_IRQ_HANDLE_LIST {VIRTIO_RNG_HANDLE_VIRTIO_IRQ}
#endif
static volatile void *const rng_slots[] = VIRTIO_RNG_VIRTIO_REGS_LIST;
static const uint64_t rng_irq_bits[] = VIRTIO_RNG_VIRTIO_IRQ_BIT_LIST;
static const anv_handle_t rng_irqs[] = VIRTIO_RNG_VIRTIO_IRQ_HANDLE_LIST;

static int rng_setup(void)
{
    struct virtio_found f;
    if (!virtio_driver_find("virtio-rng", VIRTIO_RNG_HANDLE_QUEUE, VIRTIO_RNG_QUEUE_SIZE, rng_slots,
                            VIRTIO_RNG_VIRTIO_COUNT, VIRTIO_ID_RNG, &f))
        return -1;
    rng_dev = f.dev;
    rng_slot = f.slot;
    rng_dma_pa = f.dma_pa;
    enum virtio_error ve = virtio_negotiate(&rng_dev, 0);
    if (ve == VIRTIO_OK)
        ve = virtq_setup(&rng_dev, &rng_q, 0, VIRTIO_RNG_QUEUE, rng_dma_pa, QUEUE_BYTES, 8);
    if (ve != VIRTIO_OK) {
        printf("virtio-rng: %s\n", virtio_strerror(ve));
        return -1;
    }
    virtio_driver_ok(&rng_dev);
    printf("virtio-rng: device in slot %u (%s, version %u), queue of %u at DMA 0x%lx\n",
           rng_slot, rng_dev.version == 2 ? "modern" : "legacy", rng_dev.version, rng_q.size,
           (unsigned long)rng_dma_pa);
    return 0;
}

/* One request: wait for its completion interrupt, ack it at the device and the kernel,
 * then take the used entry, which must be the one we gave. */
static int rng_fetch(uint32_t length, uint8_t *out, uint32_t *got)
{
    uint64_t pa = rng_dma_pa + DATA_OFFSET;
    uint32_t len = length;
    bool writes = true;
    uint16_t head = 0;
    if (virtq_add(&rng_q, &pa, &len, &writes, 1, &head) != VIRTIO_OK)
        return ENTROPY_E_DEVICE;
    virtq_kick(&rng_dev, &rng_q);
    /* The completion interrupt says the used ring moved; a few wake-ups for other bits
     * (none are expected) are tolerated, a silent device is a timeout. */
    for (uint32_t waits = 0; waits < 4; waits++) {
        uint64_t result = 0, bits = 0;
        int err = anv_wait_one(VIRTIO_RNG_HANDLE_EVENTS, TIMEOUT_TICKS, &result, &bits);
        if (err != ANV_OK || result == ANV_WAIT_TIMEOUT)
            return ENTROPY_E_TIMEOUT;
        if (!virtio_take_interrupt(&rng_dev, "virtio-rng", bits, rng_irq_bits[rng_slot],
                                   rng_irqs[rng_slot]))
            continue;
        rng_interrupts++;
        if (virtio_needs_reset(&rng_dev))
            return ENTROPY_E_DEVICE;
        uint16_t done = 0;
        uint32_t written = 0;
        enum virtio_error ve = VIRTIO_OK;
        if (!virtq_take_used(&rng_q, &done, &written, &ve))
            continue;
        if (ve != VIRTIO_OK || done != head || written == 0 || written > length)
            return ENTROPY_E_DEVICE;
        const volatile uint8_t *src = (const volatile uint8_t *)VIRTIO_RNG_QUEUE + DATA_OFFSET;
        for (uint32_t i = 0; i < written; i++)
            out[i] = src[i];
        *got = written;
        return ANV_OK;
    }
    return ENTROPY_E_TIMEOUT;
}

int virtio_rng_entropy_read(uint64_t badge, uint32_t length, struct anv_bytes_64 *data)
{
    (void)badge;
    if (length == 0 || length > REQUEST_MAX)
        return ENTROPY_E_TOO_LONG;
    uint32_t have = 0;
    /* The device may return fewer bytes than asked: ask again for the rest, each answer a
     * fresh completion, at most `length` rounds. */
    for (uint32_t round = 0; have < length && round < length; round++) {
        uint32_t got = 0;
        int err = rng_fetch(length - have, data->data + have, &got);
        if (err != ANV_OK)
            return err;
        have += got;
        rng_requests++;
    }
    if (have < length)
        return ENTROPY_E_DEVICE;
    data->len = have;
    rng_bytes += have;
    return ANV_OK;
}

int virtio_rng_entropy_counters(uint64_t badge, uint32_t *requests, uint32_t *octets,
                                uint32_t *interrupts)
{
    (void)badge;
    *requests = rng_requests;
    *octets = rng_bytes;
    *interrupts = rng_interrupts;
    return ANV_OK;
}

int main(void)
{
    if (rng_setup() != 0)
        return 1;
    anv_console_flush();
    return virtio_rng_serve();
}
