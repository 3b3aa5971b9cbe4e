/* How portable kernel code reaches physical memory: through the direct map on the
 * target, and as plain host pointers when the same code is compiled for host tests. */
#ifndef ANVAYA_KERNEL_KMEM_H
#define ANVAYA_KERNEL_KMEM_H

#include <stdint.h>

#ifdef ANV_HOST_TEST
static inline void *kmem_pa_to_kva(uint64_t pa)
{
    return (void *)(uintptr_t)pa;
}
static inline uint64_t kmem_kva_to_pa(const void *va)
{
    return (uint64_t)(uintptr_t)va;
}
#else
#include "arch/riscv64/memlayout.h"
static inline void *kmem_pa_to_kva(uint64_t pa)
{
    return phys_to_virt(pa);
}
static inline uint64_t kmem_kva_to_pa(const void *va)
{
    return virt_to_phys(va);
}
#endif

void kmem_zero_page(uint64_t pa);

#endif
