/* The Sv39 hardware hooks: TLB maintenance and switching address spaces. */
#include "object/vspace.h"
#include "csr.h"

void vs_arch_flush_page(uint64_t vaddr)
{
    __asm__ volatile("sfence.vma %0, zero" ::"r"(vaddr) : "memory");
}

void vs_arch_flush_all(void)
{
    arch_sfence_vma_all();
}

void vs_arch_activate(const struct vspace *vs)
{
    csr_write(satp, vs->satp);
    arch_sfence_vma_all();
}
