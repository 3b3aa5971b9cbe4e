/* The virtio-mmio transport (virtio 1.x, section 4.2) and split virtqueues (section 2.7)
 * for the user-space drivers: probing a slot, status and feature negotiation, and one
 * queue laid out in a DMA buffer, for modern (version 2) and legacy (version 1) devices. */
#ifndef ANVAYA_VIRTIO_MMIO_H
#define ANVAYA_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_MMIO_MAGIC 0x74726976u /* "virt" */
#define VIRTIO_ID_BLOCK 2u
#define VIRTIO_ID_NET 1u
#define VIRTIO_ID_RNG 4u

#define VIRTIO_F_VERSION_1 32u

#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_MAX_SIZE 64u

enum virtio_error {
    VIRTIO_OK = 0,
    VIRTIO_E_NO_DEVICE,    /* no slot holds a device of the wanted ID */
    VIRTIO_E_FEATURES,     /* the device refused the features we can drive */
    VIRTIO_E_QUEUE,        /* the queue is missing, in use, or does not fit the buffer */
    VIRTIO_E_NEEDS_RESET,  /* the device reported an internal error */
    VIRTIO_E_FULL,         /* no free descriptor */
    VIRTIO_E_BAD_USED,     /* the device returned a descriptor we did not give it */
};

const char *virtio_strerror(enum virtio_error e);

struct virtio_dev {
    volatile uint32_t *regs;
    uint32_t version;   /* 2: modern, 1: legacy */
    uint32_t device_id;
    uint64_t features;  /* negotiated */
};

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq {
    uint16_t size;
    uint16_t index;          /* queue number on the device */
    volatile struct virtq_desc *desc;
    volatile uint16_t *avail; /* flags, idx, ring[size] */
    volatile uint16_t *used;  /* flags, idx, then {u32 id, u32 len}[size] */
    uint16_t last_used;
    uint16_t avail_idx;
    uint16_t free_count;
    uint16_t free_head;
    uint16_t next_free[VIRTQ_MAX_SIZE];
    bool in_flight[VIRTQ_MAX_SIZE];
};

struct virtio_found {
    struct virtio_dev dev;
    uint32_t slot;      /* index into the slots given */
    uint64_t dma_pa;    /* the DMA buffer's physical address */
    uint32_t dma_pages;
};

/* What every driver does first: learn its DMA buffer's physical address (its capability
 * `dma`, which must hold at least `dma_bytes`) and find its device among the slots. On
 * failure it says why on the console, as `<who>: ...`, and returns false. */
bool virtio_driver_find(const char *who, uint64_t dma, uint64_t dma_bytes,
                        volatile void *const *slots, uint32_t count, uint32_t device_id,
                        struct virtio_found *out);

/* The slot among `count` that holds a device of `device_id` (magic and version checked,
 * device ID 0 means an empty slot), or VIRTIO_E_NO_DEVICE. */
enum virtio_error virtio_probe(volatile void *const *slots, uint32_t count, uint32_t device_id,
                               uint32_t *slot, struct virtio_dev *dev);
/* Reset, acknowledge, negotiate: accept `wanted` & what the device offers (plus
 * VERSION_1 on a modern device, which it must offer), FEATURES_OK checked. */
enum virtio_error virtio_negotiate(struct virtio_dev *dev, uint64_t wanted);
/* Lay queue `index` out in the DMA memory [va, va + bytes) at physical `pa` (page
 * aligned) with at most `want` entries, and give it to the device. */
enum virtio_error virtq_setup(struct virtio_dev *dev, struct virtq *q, uint16_t index,
                              volatile void *va, uint64_t pa, uint32_t bytes, uint16_t want);
/* DRIVER_OK: the device may now use its queues. */
void virtio_driver_ok(struct virtio_dev *dev);
/* A chain of `n` buffers (physical address, length, device-writable); *head names it. */
enum virtio_error virtq_add(struct virtq *q, const uint64_t *pa, const uint32_t *len,
                            const bool *device_writes, uint32_t n, uint16_t *head);
void virtq_kick(struct virtio_dev *dev, struct virtq *q);
/* One completed chain, if any: true with its head and the bytes the device wrote. */
bool virtq_take_used(struct virtq *q, uint16_t *head, uint32_t *written, enum virtio_error *err);
/* The device's interrupt among the notification `bits` a wait returned: if it is there,
 * acknowledged at the device (whatever its cause: the driver looks at its queues anyway)
 * and at the kernel (irq.ack on `irq`, a failure said as `<who>: ...`); true then. */
bool virtio_take_interrupt(struct virtio_dev *dev, const char *who, uint64_t bits,
                           uint64_t irq_bit, uint64_t irq);
/* Read and acknowledge the interrupt status (bit 0: used buffer, bit 1: config change). */
uint32_t virtio_ack_interrupt(struct virtio_dev *dev);
bool virtio_needs_reset(const struct virtio_dev *dev);
/* Device-specific configuration space, byte `offset`. */
uint32_t virtio_config32(const struct virtio_dev *dev, uint32_t offset);

#endif
