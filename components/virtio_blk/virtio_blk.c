/* The virtio-blk driver: finds a block device among the virtio-mmio slots, negotiates
 * what it can drive (FLUSH, BLK_SIZE, SEG_MAX, SIZE_MAX, RO), and serves BlockDevice to
 * the block service. A read or write is cut into requests of at most CHUNK bytes that are
 * all handed to the device before the first completion is awaited, so several are in
 * flight at once. Every completion comes by interrupt; a device error is returned to the
 * caller as it is, never retried, and a device that stops answering is reset and reported. */
#include <stdio.h>

/* The instance's generated header: every instance has its own CSpace layout. */
#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */
#include "../virtio/virtio_mmio.h"
#include "../common/dataport_copy.h"

#define VIRTIO_BLK_F_SIZE_MAX 1u
#define VIRTIO_BLK_F_SEG_MAX 2u
#define VIRTIO_BLK_F_RO 5u
#define VIRTIO_BLK_F_BLK_SIZE 6u
#define VIRTIO_BLK_F_FLUSH 9u

#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_S_OK 0u

#define SECTOR 512u
#define RING_BYTES 8192u          /* the legacy layout needs the used ring on page 2 */
#define HDR_OFFSET RING_BYTES     /* request headers and status bytes */
#define DATA_OFFSET (RING_BYTES + 4096u)
#define DATA_BYTES (64u * 1024u)
#define CHUNK 8192u               /* bytes per device request */
#define MAX_REQS (DATA_BYTES / CHUNK)
#define QUEUE_SIZE 32u            /* 3 descriptors per request */
#define TIMEOUT_TICKS 200u        /* 2 s at 100 Hz */

struct blk_req_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

struct blk_slot {
    struct blk_req_hdr hdr;
    uint8_t status;
    uint8_t pad[15];
};

_Static_assert(sizeof(struct blk_slot) == 32, "request slot layout");
_Static_assert(HDR_OFFSET + MAX_REQS * sizeof(struct blk_slot) <= DATA_OFFSET, "headers fit");
_Static_assert(DATA_OFFSET + DATA_BYTES <= VIRTIO_BLK_QUEUE_SIZE, "data area fits the DMA buffer");

static struct virtio_dev blk_dev;
static struct virtq blk_q;
static uint32_t blk_slot_index;
static uint64_t blk_pa;
static uint64_t blk_capacity;     /* sectors */
static uint32_t blk_block_size = SECTOR;
static bool blk_read_only, blk_has_flush, blk_broken;
static uint32_t blk_requests, blk_interrupts, blk_max_in_flight, blk_errors;

#ifndef VIRTIO_BLK_VIRTIO_COUNT
/* Pinned to one slot (idl/components/virtio_pinned.idl). */
#define VIRTIO_BLK_VIRTIO_COUNT 1u
#define VIRTIO_BLK_VIRTIO_REGS_LIST {VIRTIO_BLK_VIRTIO_REGS}
#define VIRTIO_BLK_VIRTIO_IRQ_BIT_LIST {VIRTIO_BLK_VIRTIO_IRQ_BIT}
#define VIRTIO_BLK_VIRTIO_IRQ_HANDLE_LIST {VIRTIO_BLK_HANDLE_VIRTIO_IRQ}
#endif
static volatile void *const blk_slots[] = VIRTIO_BLK_VIRTIO_REGS_LIST;
static const uint64_t blk_irq_bits[] = VIRTIO_BLK_VIRTIO_IRQ_BIT_LIST;
static const anv_handle_t blk_irqs[] = VIRTIO_BLK_VIRTIO_IRQ_HANDLE_LIST;

static volatile struct blk_slot *slot_at(uint32_t k)
{
    return (volatile struct blk_slot *)((volatile uint8_t *)VIRTIO_BLK_QUEUE + HDR_OFFSET) + k;
}

static volatile uint8_t *data_area(void)
{
    return (volatile uint8_t *)VIRTIO_BLK_QUEUE + DATA_OFFSET;
}

static int blk_start(void)
{
    enum virtio_error ve = virtio_negotiate(&blk_dev, (1ull << VIRTIO_BLK_F_SIZE_MAX) |
                                                          (1ull << VIRTIO_BLK_F_SEG_MAX) |
                                                          (1ull << VIRTIO_BLK_F_RO) |
                                                          (1ull << VIRTIO_BLK_F_BLK_SIZE) |
                                                          (1ull << VIRTIO_BLK_F_FLUSH));
    if (ve == VIRTIO_OK)
        ve = virtq_setup(&blk_dev, &blk_q, 0, VIRTIO_BLK_QUEUE, blk_pa, RING_BYTES, QUEUE_SIZE);
    if (ve != VIRTIO_OK) {
        printf("virtio-blk: %s\n", virtio_strerror(ve));
        return -1;
    }
    uint64_t f = blk_dev.features;
    blk_capacity = (uint64_t)virtio_config32(&blk_dev, 0) | ((uint64_t)virtio_config32(&blk_dev, 4) << 32);
    blk_read_only = (f >> VIRTIO_BLK_F_RO) & 1;
    blk_has_flush = (f >> VIRTIO_BLK_F_FLUSH) & 1;
    uint32_t seg_max = (f >> VIRTIO_BLK_F_SEG_MAX) & 1 ? virtio_config32(&blk_dev, 12) : 0;
    uint32_t size_max = (f >> VIRTIO_BLK_F_SIZE_MAX) & 1 ? virtio_config32(&blk_dev, 8) : 0;
    if ((f >> VIRTIO_BLK_F_BLK_SIZE) & 1) {
        uint32_t bs = virtio_config32(&blk_dev, 20);
        /* Believe only a power of two from a sector to a page. */
        if (bs >= SECTOR && bs <= 4096 && (bs & (bs - 1)) == 0)
            blk_block_size = bs;
    }
    /* One data segment per request, CHUNK bytes: a device must take that much. */
    if ((seg_max != 0 && seg_max < 1) || (size_max != 0 && size_max < CHUNK)) {
        printf("virtio-blk: device limits (seg_max %u, size_max %u) below one %u-byte segment\n",
               seg_max, size_max, CHUNK);
        return -1;
    }
    virtio_driver_ok(&blk_dev);
    printf("virtio-blk: device in slot %u (%s), %lu sectors, block %u, seg_max %u, "
           "size_max %u%s%s, queue of %u\n", blk_slot_index,
           blk_dev.version == 2 ? "modern" : "legacy", (unsigned long)blk_capacity,
           blk_block_size, seg_max, size_max, blk_read_only ? ", read-only" : "",
           blk_has_flush ? ", flush" : "", blk_q.size);
    return 0;
}

/* The device did not answer: reset it (which drops every request it holds, so no late
 * completion can land in a buffer we reuse) and set it up again. */
static void blk_recover(void)
{
    printf("virtio-blk: no answer in time, resetting the device\n");
    blk_broken = blk_start() != 0;
}

/* Hand `n` prepared requests to the device, then collect every completion. Returns the
 * first error (device status, timeout), having waited for all of them either way. */
static int blk_run(uint32_t n, const uint32_t *data_len, bool device_writes_data)
{
    uint16_t heads[MAX_REQS + 1];
    for (uint32_t k = 0; k < n; k++) {
        uint64_t pa[3];
        uint32_t len[3];
        bool wr[3];
        uint32_t parts = 0;
        uint64_t slot_pa = blk_pa + HDR_OFFSET + k * sizeof(struct blk_slot);
        pa[parts] = slot_pa;
        len[parts] = sizeof(struct blk_req_hdr);
        wr[parts++] = false;
        if (data_len[k] != 0) {
            pa[parts] = blk_pa + DATA_OFFSET + k * CHUNK;
            len[parts] = data_len[k];
            wr[parts++] = device_writes_data;
        }
        pa[parts] = slot_pa + 16; /* status */
        len[parts] = 1;
        wr[parts++] = true;
        slot_at(k)->status = 0xFF;
        if (virtq_add(&blk_q, pa, len, wr, parts, &heads[k]) != VIRTIO_OK)
            return BLOCK_DEVICE_E_IO; /* cannot happen: the queue holds MAX_REQS chains */
    }
    virtq_kick(&blk_dev, &blk_q);
    if (n > blk_max_in_flight)
        blk_max_in_flight = n;
    int result = ANV_OK;
    uint32_t done = 0;
    /* Wait for the interrupt first, then take every completion it covers: each batch
     * consumes the interrupts it caused, so none is left pending for the next one. */
    for (uint32_t waits = 0; done < n && waits < 4 * n + 4; waits++) {
        uint64_t res = 0, bits = 0;
        int err = anv_wait_one(VIRTIO_BLK_HANDLE_EVENTS, TIMEOUT_TICKS, &res, &bits);
        if (err != ANV_OK || res == ANV_WAIT_TIMEOUT) {
            blk_errors++;
            blk_recover();
            return BLOCK_DEVICE_E_TIMEOUT;
        }
        if (!virtio_take_interrupt(&blk_dev, "virtio-blk", bits, blk_irq_bits[blk_slot_index],
                                   blk_irqs[blk_slot_index]))
            continue;
        blk_interrupts++;
        uint16_t head = 0;
        uint32_t written = 0;
        enum virtio_error ve = VIRTIO_OK;
        while (done < n && virtq_take_used(&blk_q, &head, &written, &ve)) {
            done++;
            blk_requests++;
            uint32_t k = MAX_REQS;
            for (uint32_t j = 0; j < n; j++)
                if (heads[j] == head)
                    k = j;
            if (ve != VIRTIO_OK || k == MAX_REQS || slot_at(k)->status != VIRTIO_BLK_S_OK) {
                blk_errors++;
                if (result == ANV_OK)
                    result = BLOCK_DEVICE_E_IO;
            }
        }
    }
    if (done < n) {
        blk_recover();
        return BLOCK_DEVICE_E_TIMEOUT;
    }
    return result;
}

/* Check a transfer of `count` sectors at `sector` through io[offset..]. */
static int blk_check(uint64_t sector, uint32_t count, uint32_t offset)
{
    if (blk_broken)
        return BLOCK_DEVICE_E_IO;
    uint64_t bytes = (uint64_t)count * SECTOR;
    if (count == 0 || bytes > DATA_BYTES || offset > VIRTIO_BLK_IO_SIZE ||
        bytes > VIRTIO_BLK_IO_SIZE - offset || sector > blk_capacity ||
        count > blk_capacity - sector)
        return BLOCK_DEVICE_E_RANGE;
    return ANV_OK;
}

static int blk_transfer(uint32_t type, uint64_t sector, uint32_t count, uint32_t offset)
{
    int err = blk_check(sector, count, offset);
    if (err != ANV_OK)
        return err;
    if (type == VIRTIO_BLK_T_OUT && blk_read_only)
        return BLOCK_DEVICE_E_READ_ONLY;
    uint32_t bytes = count * SECTOR;
    uint32_t n = (bytes + CHUNK - 1) / CHUNK;
    uint32_t lens[MAX_REQS] = {0};
    volatile uint8_t *io = (volatile uint8_t *)VIRTIO_BLK_IO + offset;
    volatile uint8_t *data = data_area();
    for (uint32_t k = 0; k < n; k++) {
        lens[k] = bytes - k * CHUNK < CHUNK ? bytes - k * CHUNK : CHUNK;
        volatile struct blk_slot *s = slot_at(k);
        s->hdr.type = type;
        s->hdr.reserved = 0;
        s->hdr.sector = sector + (uint64_t)k * (CHUNK / SECTOR);
    }
    if (type == VIRTIO_BLK_T_OUT)
        dataport_copy(data, io, bytes);
    err = blk_run(n, lens, type == VIRTIO_BLK_T_IN);
    if (err == ANV_OK && type == VIRTIO_BLK_T_IN)
        dataport_copy(io, data, bytes);
    return err;
}

int virtio_blk_disk_info(uint64_t badge, struct block_info *info)
{
    (void)badge;
    info->sectors = blk_capacity;
    info->block_size = blk_block_size;
    info->max_sectors = DATA_BYTES / SECTOR;
    info->read_only = blk_read_only;
    info->flush = blk_has_flush;
    return blk_broken ? BLOCK_DEVICE_E_IO : ANV_OK;
}

int virtio_blk_disk_read(uint64_t badge, uint64_t sector, uint32_t count, uint32_t offset)
{
    (void)badge;
    return blk_transfer(VIRTIO_BLK_T_IN, sector, count, offset);
}

int virtio_blk_disk_write(uint64_t badge, uint64_t sector, uint32_t count, uint32_t offset)
{
    (void)badge;
    return blk_transfer(VIRTIO_BLK_T_OUT, sector, count, offset);
}

int virtio_blk_disk_flush(uint64_t badge)
{
    (void)badge;
    if (blk_broken)
        return BLOCK_DEVICE_E_IO;
    /* Without FLUSH the device has no volatile cache: each write completed is durable. */
    if (!blk_has_flush)
        return ANV_OK;
    volatile struct blk_slot *s = slot_at(0);
    s->hdr.type = VIRTIO_BLK_T_FLUSH;
    s->hdr.reserved = 0;
    s->hdr.sector = 0;
    uint32_t none = 0;
    return blk_run(1, &none, false);
}

int virtio_blk_disk_counters(uint64_t badge, uint32_t *requests, uint32_t *interrupts,
                             uint32_t *max_in_flight, uint32_t *errors)
{
    (void)badge;
    *requests = blk_requests;
    *interrupts = blk_interrupts;
    *max_in_flight = blk_max_in_flight;
    *errors = blk_errors;
    return ANV_OK;
}

int main(void)
{
    struct virtio_found f;
    if (!virtio_driver_find("virtio-blk", VIRTIO_BLK_HANDLE_QUEUE, VIRTIO_BLK_QUEUE_SIZE, blk_slots,
                            VIRTIO_BLK_VIRTIO_COUNT, VIRTIO_ID_BLOCK, &f))
        return 1;
    blk_dev = f.dev;
    blk_slot_index = f.slot;
    blk_pa = f.dma_pa;
    if (blk_start() != 0)
        return 1;
    anv_console_flush();
    return virtio_blk_serve();
}
