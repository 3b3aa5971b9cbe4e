/* Boot entry points shared between the boot sequence and the system start. */
#ifndef ANVAYA_KERNEL_BOOT_H
#define ANVAYA_KERNEL_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/dtb.h"

/* The page-aligned blocks of code and of data only boot uses (kernel.ld). */
extern char __boot_start[], __boot_end[], __boot_data_start[], __boot_data_end[];

/* From OpenSBI's hand-off to a built system (boot_start_system); returns to entry.S. */
void kernel_main(uint64_t hartid, uint64_t dtb_pa);
/* Whether the space-separated boot argument list contains `word` exactly. */
bool boot_has_arg(const char *args, const char *word);
/* Size of the boot image behind the kernel (0: none); panics on a malformed header. */
uint64_t boot_image_size(void);
/* Build the system from the image's manifest, ready for its first thread; returns to
 * entry.S, which drops the boot blocks and enters that thread (shuts down without an
 * image). */
void boot_start_system(const struct dtb_inventory *inv, uint64_t image_size);

#endif
