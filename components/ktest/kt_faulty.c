/* Faults on purpose, three times: a load from an unmapped address, an illegal
 * instruction and a load from the kernel's half of the address space. Each must reach
 * kt_main as a fault record, never stop the kernel; kt_main lets the first two continue
 * after the faulting instruction and stops the thread at the third. */
#include <stdint.h>

#define KT_FAULT_ADDRESS 0xdead0000u
#define KT_KERNEL_ADDRESS 0xFFFFFFC080200000ull

int main(void)
{
    volatile uint64_t *unmapped = (volatile uint64_t *)(uintptr_t)KT_FAULT_ADDRESS;
    volatile uint64_t *kernel = (volatile uint64_t *)(uintptr_t)KT_KERNEL_ADDRESS;
    uint64_t sum = *unmapped;
    /* unimp as a full 32-bit instruction (a write to the read-only cycle CSR). */
    __asm__ volatile(".option push\n.option norvc\nunimp\n.option pop" ::: "memory");
    sum += *kernel;
    return (int)sum;
}
