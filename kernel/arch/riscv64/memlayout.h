/* Where things live: every physical address below 4 GiB is reachable in the kernel's
 * direct map at KERNEL_VIRT_OFFSET + pa; user space owns the Sv39 lower half. */
#ifndef ANVAYA_ARCH_MEMLAYOUT_H
#define ANVAYA_ARCH_MEMLAYOUT_H

#include <stdint.h>

/* Also the linker script's (kernel.ld.in gets it from here). */
#define KERNEL_VIRT_OFFSET 0xFFFFFFC000000000ull
#define KERNEL_DIRECT_MAP_SIZE 0x100000000ull /* 4 GiB, four gigapages */

static inline void *phys_to_virt(uint64_t pa)
{
    return (void *)(uintptr_t)(pa + KERNEL_VIRT_OFFSET);
}

static inline uint64_t virt_to_phys(const void *va)
{
    return (uint64_t)(uintptr_t)va - KERNEL_VIRT_OFFSET;
}

extern char __kernel_start[], __kernel_end[], __text_start[], __text_end[], __image_end[];

#endif
