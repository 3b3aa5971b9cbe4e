/* Boot entry points shared between the boot sequence and the system start. */
#ifndef ANVAYA_KERNEL_BOOT_H
#define ANVAYA_KERNEL_BOOT_H

#include <stdint.h>

#include "dtb.h"

void kernel_main(uint64_t hartid, uint64_t dtb_pa);
/* Build the system from the image's manifest and run it; never returns. */
__attribute__((noreturn)) void boot_start_system(const struct dtb_inventory *inv);

#endif
