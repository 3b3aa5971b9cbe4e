/* The virtio-mmio transport and split virtqueues: everything a driver does to a virtio
 * device short of its own requests. Every value read from the device (queue sizes, used
 * entries) is checked before it is believed. */
#include "virtio_mmio.h"

#include <stdio.h>

#include <anvaya/sdk.h>

#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEVICE_FEATURES 0x010
#define R_DEVICE_FEATURES_SEL 0x014
#define R_DRIVER_FEATURES 0x020
#define R_DRIVER_FEATURES_SEL 0x024
#define R_GUEST_PAGE_SIZE 0x028 /* legacy */
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_ALIGN 0x03c     /* legacy */
#define R_QUEUE_PFN 0x040       /* legacy */
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_STATUS 0x060
#define R_INTERRUPT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC_LOW 0x080
#define R_QUEUE_DESC_HIGH 0x084
#define R_QUEUE_DRIVER_LOW 0x090
#define R_QUEUE_DRIVER_HIGH 0x094
#define R_QUEUE_DEVICE_LOW 0x0a0
#define R_QUEUE_DEVICE_HIGH 0x0a4
#define R_CONFIG 0x100

#define S_ACKNOWLEDGE 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 0x40u
#define S_FAILED 0x80u

#define LEGACY_ALIGN 4096u

static inline uint32_t rd(const struct virtio_dev *d, uint32_t off)
{
    return d->regs[off / 4];
}

static inline void wr(const struct virtio_dev *d, uint32_t off, uint32_t v)
{
    d->regs[off / 4] = v;
}

/* Ring updates must reach memory before the device is told, and the used index must be
 * read before the entries it covers. */
static inline void virtio_fence(void)
{
    __asm__ volatile("fence rw, rw" ::: "memory");
}

const char *virtio_strerror(enum virtio_error e)
{
    switch (e) {
    case VIRTIO_OK: return "ok";
    case VIRTIO_E_NO_DEVICE: return "no such device in any virtio-mmio slot";
    case VIRTIO_E_FEATURES: return "device refused the features";
    case VIRTIO_E_QUEUE: return "queue missing, in use or too large for its buffer";
    case VIRTIO_E_NEEDS_RESET: return "device needs a reset";
    case VIRTIO_E_FULL: return "no free descriptor";
    case VIRTIO_E_BAD_USED: return "device returned a descriptor it was not given";
    }
    return "unknown error";
}

enum virtio_error virtio_probe(volatile void *const *slots, uint32_t count, uint32_t device_id,
                               uint32_t *slot, struct virtio_dev *dev)
{
    for (uint32_t i = 0; i < count; i++) {
        struct virtio_dev d = {.regs = (volatile uint32_t *)slots[i]};
        if (rd(&d, R_MAGIC) != VIRTIO_MMIO_MAGIC)
            continue;
        d.version = rd(&d, R_VERSION);
        d.device_id = rd(&d, R_DEVICE_ID);
        if ((d.version != 1 && d.version != 2) || d.device_id != device_id)
            continue;
        *slot = i;
        *dev = d;
        return VIRTIO_OK;
    }
    return VIRTIO_E_NO_DEVICE;
}

bool virtio_driver_find(const char *who, uint64_t dma, uint64_t dma_bytes,
                        volatile void *const *slots, uint32_t count, uint32_t device_id,
                        struct virtio_found *out)
{
    int err = anv_mem_frame_paddr(dma, &out->dma_pa, &out->dma_pages);
    if (err != ANV_OK || (uint64_t)out->dma_pages * ANV_PAGE_SIZE < dma_bytes) {
        printf("%s: no DMA address for the queue (%d)\n", who, err);
        return false;
    }
    enum virtio_error ve = virtio_probe(slots, count, device_id, &out->slot, &out->dev);
    if (ve != VIRTIO_OK) {
        printf("%s: %s\n", who, virtio_strerror(ve));
        return false;
    }
    return true;
}

static uint64_t device_features(const struct virtio_dev *d)
{
    wr(d, R_DEVICE_FEATURES_SEL, 0);
    uint64_t lo = rd(d, R_DEVICE_FEATURES);
    if (d->version == 1)
        return lo; /* legacy devices have 32 feature bits */
    wr(d, R_DEVICE_FEATURES_SEL, 1);
    return lo | ((uint64_t)rd(d, R_DEVICE_FEATURES) << 32);
}

enum virtio_error virtio_negotiate(struct virtio_dev *dev, uint64_t wanted)
{
    wr(dev, R_STATUS, 0); /* reset */
    wr(dev, R_STATUS, S_ACKNOWLEDGE);
    wr(dev, R_STATUS, S_ACKNOWLEDGE | S_DRIVER);
    uint64_t offered = device_features(dev);
    if (dev->version == 2) {
        if (!(offered & (1ull << VIRTIO_F_VERSION_1))) {
            wr(dev, R_STATUS, S_FAILED);
            return VIRTIO_E_FEATURES;
        }
        wanted |= 1ull << VIRTIO_F_VERSION_1;
    }
    uint64_t accept = offered & wanted;
    wr(dev, R_DRIVER_FEATURES_SEL, 0);
    wr(dev, R_DRIVER_FEATURES, (uint32_t)accept);
    if (dev->version == 2) {
        wr(dev, R_DRIVER_FEATURES_SEL, 1);
        wr(dev, R_DRIVER_FEATURES, (uint32_t)(accept >> 32));
        wr(dev, R_STATUS, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
        if (!(rd(dev, R_STATUS) & S_FEATURES_OK)) {
            wr(dev, R_STATUS, S_FAILED);
            return VIRTIO_E_FEATURES;
        }
    } else {
        wr(dev, R_GUEST_PAGE_SIZE, LEGACY_ALIGN);
    }
    dev->features = accept;
    return VIRTIO_OK;
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + a - 1) & ~(a - 1);
}

enum virtio_error virtq_setup(struct virtio_dev *dev, struct virtq *q, uint16_t index,
                              volatile void *va, uint64_t pa, uint32_t bytes, uint16_t want)
{
    wr(dev, R_QUEUE_SEL, index);
    uint32_t max = rd(dev, R_QUEUE_NUM_MAX);
    bool busy = dev->version == 2 ? rd(dev, R_QUEUE_READY) != 0 : rd(dev, R_QUEUE_PFN) != 0;
    if (max == 0 || busy || (pa & (LEGACY_ALIGN - 1)) != 0)
        return VIRTIO_E_QUEUE;
    uint32_t n = want < max ? want : max;
    if (n > VIRTQ_MAX_SIZE)
        n = VIRTQ_MAX_SIZE;
    /* Sizes are powers of two (split rings index modulo the size). */
    while (n & (n - 1))
        n &= n - 1;
    uint32_t desc_bytes = 16 * n;
    uint32_t avail_off = desc_bytes;
    uint32_t avail_end = avail_off + 6 + 2 * n;
    uint32_t used_off = dev->version == 2 ? align_up(avail_end, 4) : align_up(avail_end, LEGACY_ALIGN);
    uint32_t used_end = used_off + 6 + 8 * n;
    if (n == 0 || used_end > bytes)
        return VIRTIO_E_QUEUE;
    volatile uint8_t *base = va;
    for (uint32_t i = 0; i < used_end; i++)
        base[i] = 0;
    q->size = (uint16_t)n;
    q->index = index;
    q->desc = (volatile struct virtq_desc *)base;
    q->avail = (volatile uint16_t *)(base + avail_off);
    q->used = (volatile uint16_t *)(base + used_off);
    q->last_used = 0;
    q->avail_idx = 0;
    q->free_count = (uint16_t)n;
    q->free_head = 0;
    for (uint32_t i = 0; i < n; i++) {
        q->next_free[i] = (uint16_t)(i + 1);
        q->in_flight[i] = false;
    }
    wr(dev, R_QUEUE_NUM, n);
    if (dev->version == 2) {
        wr(dev, R_QUEUE_DESC_LOW, (uint32_t)pa);
        wr(dev, R_QUEUE_DESC_HIGH, (uint32_t)(pa >> 32));
        wr(dev, R_QUEUE_DRIVER_LOW, (uint32_t)(pa + avail_off));
        wr(dev, R_QUEUE_DRIVER_HIGH, (uint32_t)((pa + avail_off) >> 32));
        wr(dev, R_QUEUE_DEVICE_LOW, (uint32_t)(pa + used_off));
        wr(dev, R_QUEUE_DEVICE_HIGH, (uint32_t)((pa + used_off) >> 32));
        wr(dev, R_QUEUE_READY, 1);
    } else {
        wr(dev, R_QUEUE_ALIGN, LEGACY_ALIGN);
        wr(dev, R_QUEUE_PFN, (uint32_t)(pa / LEGACY_ALIGN));
    }
    return VIRTIO_OK;
}

void virtio_driver_ok(struct virtio_dev *dev)
{
    uint32_t s = S_ACKNOWLEDGE | S_DRIVER | S_DRIVER_OK;
    if (dev->version == 2)
        s |= S_FEATURES_OK;
    wr(dev, R_STATUS, s);
}

enum virtio_error virtq_add(struct virtq *q, const uint64_t *pa, const uint32_t *len,
                            const bool *device_writes, uint32_t n, uint16_t *head)
{
    if (n == 0 || n > q->free_count)
        return VIRTIO_E_FULL;
    uint16_t first = q->free_head;
    uint16_t d = first;
    for (uint32_t i = 0; i < n; i++) {
        uint16_t next = q->next_free[d];
        q->desc[d].addr = pa[i];
        q->desc[d].len = len[i];
        q->desc[d].flags = (uint16_t)((device_writes[i] ? VIRTQ_DESC_F_WRITE : 0) |
                                      (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        q->desc[d].next = i + 1 < n ? next : 0;
        q->in_flight[d] = i == 0;
        if (i + 1 < n)
            d = next;
        else
            q->free_head = next;
    }
    q->free_count = (uint16_t)(q->free_count - n);
    q->avail[2 + (q->avail_idx % q->size)] = first;
    virtio_fence();
    q->avail_idx++;
    q->avail[1] = q->avail_idx;
    *head = first;
    return VIRTIO_OK;
}

void virtq_kick(struct virtio_dev *dev, struct virtq *q)
{
    virtio_fence();
    wr(dev, R_QUEUE_NOTIFY, q->index);
}

bool virtq_take_used(struct virtq *q, uint16_t *head, uint32_t *written, enum virtio_error *err)
{
    *err = VIRTIO_OK;
    uint16_t used_idx = q->used[1];
    virtio_fence();
    if (used_idx == q->last_used)
        return false;
    volatile const uint32_t *elem = (volatile const uint32_t *)(q->used + 2) +
                                    2 * (q->last_used % q->size);
    uint32_t id = elem[0];
    uint32_t len = elem[1];
    q->last_used++;
    /* A device that names a descriptor we never handed it is not believed. */
    if (id >= q->size || !q->in_flight[id]) {
        *err = VIRTIO_E_BAD_USED;
        return true;
    }
    q->in_flight[id] = false;
    /* Give the chain back to the free list, bounded by the queue size. */
    uint16_t d = (uint16_t)id;
    uint32_t freed = 1;
    while ((q->desc[d].flags & VIRTQ_DESC_F_NEXT) && freed < q->size) {
        d = q->desc[d].next % q->size;
        freed++;
    }
    q->next_free[d] = q->free_head;
    q->free_head = (uint16_t)id;
    q->free_count = (uint16_t)(q->free_count + freed);
    *head = (uint16_t)id;
    *written = len;
    return true;
}

uint32_t virtio_ack_interrupt(struct virtio_dev *dev)
{
    uint32_t status = rd(dev, R_INTERRUPT_STATUS);
    if (status)
        wr(dev, R_INTERRUPT_ACK, status);
    return status;
}

bool virtio_take_interrupt(struct virtio_dev *dev, const char *who, uint64_t bits,
                           uint64_t irq_bit, uint64_t irq)
{
    if (!(bits & irq_bit))
        return false;
    (void)virtio_ack_interrupt(dev); /* the status says which cause; callers look anyway */
    int err = anv_irq_ack(irq);
    if (err != ANV_OK)
        printf("%s: irq.ack failed (%d)\n", who, err);
    return true;
}

bool virtio_needs_reset(const struct virtio_dev *dev)
{
    return (rd(dev, R_STATUS) & S_NEEDS_RESET) != 0;
}

uint32_t virtio_config32(const struct virtio_dev *dev, uint32_t offset)
{
    return rd(dev, R_CONFIG + (offset & ~3u));
}
