/* The system loader: turns a validated manifest into kernel objects, filled CSpaces,
 * mapped ELF images and ready threads. Runs once, before the first thread. */
#ifndef ANVAYA_KERNEL_LOADER_H
#define ANVAYA_KERNEL_LOADER_H

#include <stdint.h>

#include "boot/dtb.h"
#include "boot/manifest.h"

struct loader_stats {
    uint32_t processes, objects, slots, mappings, threads;
    uint64_t pages_used;
};

/* `image` is the boot image header's kernel address; `inv` the DTB inventory, against
 * which device frames are checked (never RAM, never the interrupt controller); pt_pages
 * the page-table pages loader_check computed for every address space. Panics
 * with the reason on any inconsistency: a manifest that passed manifest_open only fails
 * here on resources or on device addresses the platform does not allow. */
void loader_load(const struct manifest_view *m, const uint8_t *image, uint64_t image_size,
                 const struct dtb_inventory *inv, uint32_t pt_pages,
                 struct loader_stats *stats);

#endif
