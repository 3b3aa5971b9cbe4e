/* The boot plan: what the system a manifest describes needs, computed once from the
 * decoded manifest by the pre-flight (loader_check.c) and then built by the loader
 * (loader.c), which derives nothing itself: each object's kernel memory and pages, who
 * fills it, the page-table pool, every process's ELF and every thread's start state. */
#ifndef ANVAYA_KERNEL_PLAN_H
#define ANVAYA_KERNEL_PLAN_H

#include <stdint.h>

#include "boot/manifest.h"
#include "core/sched.h"
#include "object/object.h"

/* The loader's fixed sizes: objects, and the most page-table pages its pool may hold.
 * The pool itself is exactly what the plan counts (pt_pages): one page table per 2 MiB
 * of mappings, so a system of large heaps gets the tables it needs and a small one
 * wastes nothing; 2,048 pages (8 MiB) bound the boot memory it takes. */
#define PLAN_MAX_OBJECTS 1024u
#define PLAN_PT_POOL_MAX 2048u
/* Every process owns a CSpace and a VSpace object of its own. */
#define PLAN_MAX_PROCESSES (PLAN_MAX_OBJECTS / 2u)
/* Mappings plus ELF segments of one address space the overlap check holds at once. */
#define PLAN_MAX_RANGES 1024u
#define PLAN_NONE MANIFEST_NONE

/* Why a frame may never be executable: the memory is data by construction. */
enum plan_data {
    PLAN_DATA_NONE = 0,
    PLAN_DATA_DEVICE,
    PLAN_DATA_IPCBUF,
    PLAN_DATA_STACK,
    PLAN_DATA_HEAP,
};

/* Pieces of kernel-object memory one object takes from the boot heap, in the order the
 * loader carves them (plan_object_cost says which is which per type). */
#define PLAN_PIECES 3u

struct plan_object {
    uint64_t piece[PLAN_PIECES]; /* bytes, unrounded; 0: no such piece */
    uint32_t pages;              /* fresh zeroed pages of its own: a frame's, a pool's */
    uint32_t owner;              /* process (CSpace, VSpace) or thread record, or PLAN_NONE */
    uint8_t data;                /* enum plan_data */
};

struct plan_process {
    const uint8_t *elf; /* its ELF in the boot image, checked by elf_inspect; NULL: none */
    uint64_t elf_size;
    uint64_t elf_pages; /* pages its ELF segments take */
    uint32_t pt_pages;  /* page tables of its address space, root included */
};

struct plan_thread {
    struct thread_start start; /* pc resolved (its own entry or its image's) */
    uint64_t budget, period;   /* clock units; both 0 when the thread is not limited */
};

struct boot_plan {
    uint32_t object_count, process_count, thread_count;
    uint32_t pt_pages;     /* the loader's page-table pool, every address space's tables */
    uint64_t heap_pages;   /* runs of boot pages the kernel-object memory takes */
    uint64_t pages_needed; /* every boot page the loader takes, the pool included */
    struct plan_object objects[PLAN_MAX_OBJECTS];
    struct plan_process processes[PLAN_MAX_PROCESSES];
    struct plan_thread threads[SCHED_MAX_THREADS];
};

/* The boot heap's arithmetic, shared by the plan and the loader's allocator: pieces
 * rounded to 16 bytes, carved from runs of fresh pages; a piece that does not fit the
 * current run starts a new one and the rest of the old is lost. */
struct plan_heap {
    uint64_t left;  /* bytes left in the current run */
    uint64_t pages; /* pages taken for runs so far */
};

uint64_t plan_heap_round(uint64_t size);
/* Account a piece of `size` bytes; returns the pages of the new run it starts, or 0 when
 * it fits what is left of the current one. */
uint64_t plan_heap_take(struct plan_heap *h, uint64_t size);

/* What object `o` costs: its heap pieces and own pages (fills piece[] and pages only).
 *   cspace:  the cspace, its slots          thread, endpoint, notification, irq: the object
 *   frame:   the frame; pages unless a device   vspace: the vspace (root: the pt pool)
 *   pool:    the pool, its bitmap, one frame record per page; pages   others: a kobj */
void plan_object_cost(const struct manifest_object *o, struct plan_object *po);

/* One page range of an address space: a manifest mapping or an ELF segment. */
struct plan_range {
    uint64_t start, end; /* [start, end), page-aligned */
    uint32_t mapping;    /* mapping index, or PLAN_NONE for an ELF segment */
    uint32_t segment;    /* segment index for an ELF segment */
};

/* Page-table pages a sorted, overlap-free list of ranges needs in Sv39: the root, one
 * table per 1 GiB region touched and one per 2 MiB region touched. */
uint32_t plan_page_tables(const struct plan_range *ranges, uint32_t n);

/* Microseconds in clock units (the `time` CSR's rate, from the DTB); never 0 for a
 * nonzero time. */
uint64_t plan_clock_units(uint32_t us, uint64_t hz);

#endif
