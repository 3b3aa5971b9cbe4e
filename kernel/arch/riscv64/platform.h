/* Leaving the machine: clean shutdown through SBI, failure through the sifive,test
 * finisher the DTB names (SBI reset always makes QEMU exit 0, so failures need it). */
#ifndef ANVAYA_ARCH_PLATFORM_H
#define ANVAYA_ARCH_PLATFORM_H

#include <stdint.h>

void platform_set_finisher(uintptr_t mmio_base);
__attribute__((noreturn)) void platform_shutdown(void);
__attribute__((noreturn)) void platform_fail(uint32_t code);

#endif
