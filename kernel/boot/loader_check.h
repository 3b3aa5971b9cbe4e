/* The boot pre-flight: everything about a decoded manifest that the decoder alone cannot
 * judge (the ELF images in the boot image, rights against what each object allows,
 * overlapping mappings, device addresses against the platform, memory), checked before
 * the loader creates a single object, so a bad system never half-boots. */
#ifndef ANVAYA_KERNEL_LOADER_CHECK_H
#define ANVAYA_KERNEL_LOADER_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/dtb.h"
#include "boot/manifest.h"

/* The loader's fixed sizes (loader.c uses these): objects, and the most page-table pages
 * its pool may hold. The pool itself is exactly what the check computes (pt_pages): one
 * page table per 2 MiB of mappings, so a system of large heaps gets the tables it needs
 * and a small one wastes nothing; 2,048 pages (8 MiB) bound the boot memory it takes. */
#define LOADER_CHECK_MAX_OBJECTS 1024u
#define LOADER_CHECK_PT_POOL_MAX 2048u
/* Mappings plus ELF segments of one address space the overlap check holds at once. */
#define LOADER_CHECK_MAX_RANGES 1024u

struct loader_check_platform {
    const uint8_t *image;            /* the boot image header: ELF offsets count from here */
    uint64_t image_size;             /* bytes of the boot image */
    const struct dtb_inventory *inv; /* RAM and the interrupt controller */
    uint64_t free_pages;             /* what the boot page allocator can still hand out */
};

struct loader_check_report {
    uint64_t pages_needed; /* boot pages the loader will take (its page-table pool included) */
    uint32_t pt_pages;     /* page-table pages the loader's mappings need from that pool */
    /* The refusal, "record index (context): field value problem"; empty when it fits. */
    char message[MANIFEST_MESSAGE_MAX];
};

/* `m` must have passed manifest_open. True when the loader can build the system exactly
 * as described; otherwise false with out->message naming the record and the field. */
bool loader_check(const struct manifest_view *m, const struct loader_check_platform *pf,
                  struct loader_check_report *out);

#endif
