/* The system loader: turns a validated manifest into kernel objects, filled CSpaces,
 * mapped ELF images and ready threads. Runs once, before the first thread. */
#ifndef ANVAYA_KERNEL_LOADER_H
#define ANVAYA_KERNEL_LOADER_H

#include <stdint.h>

#include "boot/dtb.h"
#include "boot/manifest.h"
#include "boot/plan.h"

struct loader_stats {
    uint32_t processes, objects, slots, mappings, threads;
    uint64_t pages_used;
};

/* Build the system `m` describes from `plan`, which loader_check filled and accepted for
 * this manifest (so nothing here can run out: the boot pages, the page-table pool, the
 * scheduler's table are what it counted); `inv` gives the boot arguments. Panics only on
 * a kernel bug: a result that differs from the plan. */
void loader_load(const struct manifest_view *m, const struct boot_plan *plan,
                 const struct dtb_inventory *inv, struct loader_stats *stats);

#endif
