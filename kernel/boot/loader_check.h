/* The boot pre-flight: everything about a decoded manifest that the decoder alone cannot
 * judge (the ELF images in the boot image, rights against what each object allows,
 * overlapping mappings, device addresses against the platform, memory), checked while it
 * computes the boot plan and before the loader creates a single object from that plan,
 * so a bad system never half-boots. */
#ifndef ANVAYA_KERNEL_LOADER_CHECK_H
#define ANVAYA_KERNEL_LOADER_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/dtb.h"
#include "boot/manifest.h"
#include "boot/plan.h"

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

/* `m` must have passed manifest_open. Fills `plan` and returns true when the loader can
 * build the system exactly as described (loader_load then builds from that plan);
 * otherwise false with out->message naming the record and the field, and the plan is
 * unusable. */
bool loader_check(const struct manifest_view *m, const struct loader_check_platform *pf,
                  struct boot_plan *plan, struct loader_check_report *out);

#endif
