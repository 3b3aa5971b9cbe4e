/* RISC-V supervisor CSR numbers, bits and accessors used by the kernel. */
#ifndef ANVAYA_ARCH_CSR_H
#define ANVAYA_ARCH_CSR_H

#include <stdint.h>

#define SSTATUS_SIE (1ul << 1)
#define SSTATUS_SPIE (1ul << 5)
#define SSTATUS_SPP (1ul << 8)
#define SSTATUS_FS_MASK (3ul << 13)
#define SSTATUS_SUM (1ul << 18)
#define SSTATUS_MXR (1ul << 19)

#define SIE_SSIE (1ul << 1)
#define SIE_STIE (1ul << 5)
#define SIE_SEIE (1ul << 9)

#define SCAUSE_INTERRUPT (1ul << 63)
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9

#define EXC_INST_MISALIGNED 0
#define EXC_INST_ACCESS 1
#define EXC_ILLEGAL_INST 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8
#define EXC_ECALL_S 9
#define EXC_INST_PAGE_FAULT 12
#define EXC_LOAD_PAGE_FAULT 13
#define EXC_STORE_PAGE_FAULT 15

#define SATP_MODE_SV39 (8ul << 60)

#define csr_read(name)                                                                     \
    __extension__({                                                                                     \
        uint64_t v_;                                                                       \
        __asm__ volatile("csrr %0, " #name : "=r"(v_));                                    \
        v_;                                                                                \
    })
#define csr_write(name, val) __asm__ volatile("csrw " #name ", %0" ::"rK"(val) : "memory")
#define csr_set(name, val) __asm__ volatile("csrs " #name ", %0" ::"rK"(val) : "memory")
#define csr_clear(name, val) __asm__ volatile("csrc " #name ", %0" ::"rK"(val) : "memory")

static inline void arch_sfence_vma_all(void)
{
    __asm__ volatile("sfence.vma" ::: "memory");
}

static inline void arch_wfi(void)
{
    __asm__ volatile("wfi" ::: "memory");
}

static inline uint64_t arch_read_time(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

#endif
