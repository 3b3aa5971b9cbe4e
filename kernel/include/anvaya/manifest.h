/* The system image manifest format: the versioned, checksummed binary description of
 * every process, object, CSpace slot, mapping and thread the boot loader instantiates.
 * Written by the generator (codegen/emitters/image.py), read by kernel/boot/manifest.c.
 * All integers little-endian; the layout is described in docs/system-image-manifest.md. */
#ifndef ANVAYA_MANIFEST_FORMAT_H
#define ANVAYA_MANIFEST_FORMAT_H

#include <stdint.h>

#define MANIFEST_MAGIC 0x4D4E5641u /* bytes "AVNM" */
#define MANIFEST_VERSION_MAJOR 1
#define MANIFEST_VERSION_MINOR 0
#define MANIFEST_NONE 0xFFFFFFFFu /* an absent index (image, notification) */

/* Tables, in the order of manifest_header.tables[]. */
#define MANIFEST_T_PROCESS 0
#define MANIFEST_T_OBJECT 1
#define MANIFEST_T_SLOT 2
#define MANIFEST_T_MAPPING 3
#define MANIFEST_T_THREAD 4
#define MANIFEST_T_IMAGE 5
#define MANIFEST_T_STRING 6 /* NUL-terminated names; entry_size 1, count = bytes */
#define MANIFEST_T_COUNT 7

/* Object flags. */
#define MANIFEST_OBJ_F_DEVICE 0x1u /* frames at a fixed physical address (MMIO) */
#define MANIFEST_OBJ_F_DMA 0x2u    /* RAM frames for DMA: contiguous, and mem.frame_paddr
                                    * tells their holder where they are */
#define MANIFEST_OBJ_F_ALL (MANIFEST_OBJ_F_DEVICE | MANIFEST_OBJ_F_DMA)
/* Mapping flags. */
#define MANIFEST_MAP_F_DEVICE 0x1u /* map uncached (device memory) */
/* Thread flags. */
/* No budget at all (budget_us 0): the loader admits the thread with budget 0, which the
 * scheduler reads as unlimited. It runs at its own priority whenever it is ready, is
 * never throttled, and its time is charged to no one, not to its callers (the kernel has
 * no scheduling-context donation): only its own code bounds how long it runs. */
#define MANIFEST_THREAD_F_PASSIVE 0x1u
#define MANIFEST_THREAD_F_HELD 0x2u    /* created stopped: its controller starts it (thread.resume) */
#define MANIFEST_THREAD_F_ALL (MANIFEST_THREAD_F_PASSIVE | MANIFEST_THREAD_F_HELD)

/* Bounds the decoder enforces so every count fits the loader's fixed tables. */
#define MANIFEST_MAX_PROCESSES 1024u
#define MANIFEST_MAX_OBJECTS 65536u
#define MANIFEST_MAX_SLOTS 262144u
#define MANIFEST_MAX_MAPPINGS 65536u
#define MANIFEST_MAX_THREADS 4096u
#define MANIFEST_MAX_IMAGES 1024u
#define MANIFEST_MAX_STRINGS (1u << 20)
#define MANIFEST_MAX_CSPACE_SLOTS (1u << 24)
#define MANIFEST_MAX_POOL_PAGES (1u << 20)

struct manifest_table_desc {
    uint32_t offset;     /* from the start of the blob, 8-byte aligned */
    uint32_t count;      /* entries */
    uint32_t entry_size; /* bytes per entry, must equal the size below */
    uint32_t reserved;   /* zero */
};

struct manifest_header {
    uint32_t magic;
    uint16_t version_major;
    uint16_t version_minor;
    uint32_t header_size; /* sizeof(struct manifest_header) */
    uint32_t total_size;  /* bytes covered by the checksum */
    uint32_t crc32;       /* CRC-32 (IEEE) of total_size bytes with this field zero */
    uint32_t abi_version; /* ANV_ABI_VERSION the system was generated against */
    uint32_t flags;       /* zero */
    uint32_t table_count; /* MANIFEST_T_COUNT */
    struct manifest_table_desc tables[MANIFEST_T_COUNT];
};

struct manifest_process {
    uint32_t name;          /* string offset */
    uint32_t image;         /* image index */
    uint32_t cspace_object; /* object index of its CSpace */
    uint32_t vspace_object; /* object index of its VSpace */
    uint32_t cspace_slots;  /* CSpace size, equals the CSpace object's size */
    uint32_t first_slot;    /* its slots are slot[first_slot .. first_slot+slot_count) */
    uint32_t slot_count;
    uint32_t first_mapping;
    uint32_t mapping_count;
    uint32_t first_thread;
    uint32_t thread_count;
    uint32_t flags; /* zero */
    uint64_t heap_base;
    uint64_t heap_size;
};

struct manifest_object {
    uint32_t type;  /* ANV_OBJ_* */
    uint32_t flags; /* MANIFEST_OBJ_F_* */
    uint32_t name;  /* string offset */
    uint32_t size;  /* frames and pools: pages; CSpace: slots; otherwise 0 */
    uint64_t paddr; /* device frames: page-aligned physical address; otherwise 0 */
    uint32_t irq;   /* IRQ objects: the interrupt number */
    uint32_t notification; /* IRQ objects: object index signalled, or MANIFEST_NONE */
    uint64_t badge; /* IRQ objects: bits signalled on the notification */
};

struct manifest_slot {
    uint32_t process;
    uint32_t slot;   /* index in the process's CSpace, ascending within a process */
    uint32_t object; /* object index */
    uint32_t rights; /* ANV_RIGHT_* */
    uint64_t badge;
};

struct manifest_mapping {
    uint32_t process;
    uint32_t object; /* a frame object */
    uint64_t vaddr;  /* page-aligned user address */
    uint32_t pages;  /* from the object's first page; at most the object's size */
    uint32_t rights; /* ANV_RIGHT_READ/WRITE/EXEC, never WRITE and EXEC together */
    uint32_t flags;  /* MANIFEST_MAP_F_* */
    uint32_t reserved;
};

struct manifest_thread {
    uint32_t process;
    uint32_t thread_object;
    uint32_t ipcbuf_object;
    uint32_t priority;  /* 0..255, higher runs first */
    uint32_t budget_us; /* microseconds of CPU per period (0 with the passive flag) */
    uint32_t period_us;
    uint32_t flags;     /* MANIFEST_THREAD_F_* */
    uint32_t reserved;
    uint64_t entry;     /* 0: the image's ELF entry point */
    uint64_t stack_top; /* initial sp, page-aligned */
    uint64_t ipcbuf_vaddr;
};

struct manifest_image {
    uint32_t name;      /* string offset: the instance the ELF was built for */
    uint32_t flags;     /* zero */
    uint64_t load_base; /* lowest address its linker script places code at */
    uint64_t offset;    /* filled by the image packer: ELF position in the boot image */
    uint64_t size;      /* filled by the image packer: 0 means not yet packed */
    uint64_t entry;     /* filled by the image packer: ELF entry point */
};

#endif
