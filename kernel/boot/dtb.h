/* Bounded reader of the flattened device tree OpenSBI hands the kernel: it fills a
 * fixed-size inventory and names precisely what is wrong with a malformed blob. */
#ifndef ANVAYA_KERNEL_DTB_H
#define ANVAYA_KERNEL_DTB_H

#include <stddef.h>
#include <stdint.h>

#define DTB_MAX_SIZE (1u << 20)   /* larger blobs are refused */
#define DTB_MAX_MEMORY 8
#define DTB_MAX_RESERVED 16
#define DTB_MAX_CPUS 8
#define DTB_MAX_VIRTIO 16
#define DTB_MAX_DEPTH 16
#define DTB_PATH_MAX 96
#define DTB_COMPAT_MAX 64

enum dtb_status {
    DTB_OK = 0,
    DTB_E_NULL,             /* no blob */
    DTB_E_TRUNCATED_HEADER, /* buffer shorter than the header */
    DTB_E_BAD_MAGIC,
    DTB_E_BAD_VERSION,
    DTB_E_BAD_TOTALSIZE,    /* totalsize exceeds the buffer or DTB_MAX_SIZE, or is smaller than the header */
    DTB_E_BAD_LAYOUT,       /* a block offset or size runs outside totalsize, or blocks overlap */
    DTB_E_BAD_ALIGNMENT,    /* a block offset is not aligned as the spec requires */
    DTB_E_RSVMAP_TRUNCATED, /* memory reservation map has no terminating entry in bounds */
    DTB_E_STRUCT_TRUNCATED, /* the structure block ends inside a token or node */
    DTB_E_BAD_TOKEN,
    DTB_E_BAD_NODE_NAME,    /* node name not terminated inside the structure block */
    DTB_E_PROP_OVERRUN,     /* property value runs past the structure block */
    DTB_E_BAD_STRING_OFFSET,/* property name offset outside the strings block or unterminated */
    DTB_E_TOO_DEEP,         /* nesting beyond DTB_MAX_DEPTH */
    DTB_E_BAD_CELLS,        /* #address-cells / #size-cells out of range (0..2, size 0..2) */
    DTB_E_BAD_REG,          /* reg length not a multiple of the cell tuple */
    DTB_E_TABLE_FULL,       /* more entries than a fixed table holds */
    DTB_E_NO_MEMORY_NODE,
    DTB_E_PATH_TOO_LONG,    /* a node path or stdout-path does not fit DTB_PATH_MAX (with its NUL) */
    DTB_E_COUNT
};

struct dtb_range {
    uint64_t base;
    uint64_t size;
};

struct dtb_device {
    char path[DTB_PATH_MAX];         /* full node path, e.g. /soc/serial@10000000 */
    char compatible[DTB_COMPAT_MAX]; /* first compatible string */
    uint64_t base;                   /* first reg entry */
    uint64_t size;
    uint32_t irq;                    /* first cell of interrupts, 0 when absent */
    uint32_t present;
};

struct dtb_inventory {
    uint32_t totalsize;
    char model[DTB_COMPAT_MAX];
    char stdout_path[DTB_PATH_MAX];  /* /chosen/stdout-path, without any ":options" suffix */
    char bootargs[DTB_PATH_MAX];     /* /chosen/bootargs (QEMU -append), cut to fit */

    struct dtb_range memory[DTB_MAX_MEMORY]; /* every reg entry of every device_type=memory node */
    uint32_t memory_count;

    struct dtb_range rsvmap[DTB_MAX_RESERVED];   /* memory reservation block */
    uint32_t rsvmap_count;
    struct dtb_range reserved[DTB_MAX_RESERVED]; /* reg of /reserved-memory children */
    uint32_t reserved_count;

    uint32_t cpu_count;
    uint32_t cpu_hartid[DTB_MAX_CPUS];
    uint64_t timebase_frequency;

    struct dtb_device uart;   /* node named by stdout-path, else the first ns16550a */
    struct dtb_device plic;   /* riscv,plic0 or sifive,plic-1.0.0 */
    uint32_t plic_ndev;       /* riscv,ndev */
    struct dtb_device test;   /* sifive,test0 (finisher used for failing exits) */
    struct dtb_device virtio[DTB_MAX_VIRTIO]; /* every virtio,mmio node, in blob order */
    uint32_t virtio_count;
};

struct dtb_error {
    enum dtb_status status;
    uint32_t offset;  /* byte offset into the blob where the problem was found */
};

/* Parse the blob at `blob`, reading at most `len` bytes. Fills `inv` (zeroed first) and
 * returns DTB_OK, or returns an error with `err` naming the status and blob offset.
 * Never reads outside [blob, blob + len). */
enum dtb_status dtb_parse(const void *blob, size_t len, struct dtb_inventory *inv,
                          struct dtb_error *err);

/* Human-readable text for a status, e.g. "bad magic". */
const char *dtb_strerror(enum dtb_status status);

#endif
