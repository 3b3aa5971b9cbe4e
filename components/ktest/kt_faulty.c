/* Faults on purpose, three times: a load from an unmapped address, an illegal
 * instruction and a load from the kernel's half of the address space. Each must reach
 * kt_main as a fault record, never stop the kernel; kt_main lets the first two continue
 * after the faulting instruction and stops the thread at the third.
 *
 * kt_main later restarts it (thread.restart) with a non-zero argument: it then reports its
 * run counter and that argument through one more fault, so kt_main sees whether .data was
 * reloaded. */
#include <anvaya/sdk.h>
#include <stdint.h>

#include "ktest.h"

#define KT_FAULT_ADDRESS 0xdead0000u
#define KT_KERNEL_ADDRESS 0xFFFFFFC080200000ull

/* Initialised, so in .data: a restart without RELOAD counts on from the last run, one with
 * RELOAD from the image's value again. */
static volatile uint64_t kt_runs = KT_RUNS_INITIAL;

int main(void)
{
    uint64_t runs = ++kt_runs;
    uint64_t arg = anv_restart_arg();
    if (arg != 0) {
        (void)*(volatile uint8_t *)(uintptr_t)KT_REPORT_ADDRESS(runs, arg);
        return 0;
    }
    volatile uint64_t *unmapped = (volatile uint64_t *)(uintptr_t)KT_FAULT_ADDRESS;
    volatile uint64_t *kernel = (volatile uint64_t *)(uintptr_t)KT_KERNEL_ADDRESS;
    uint64_t sum = *unmapped;
    /* unimp as a full 32-bit instruction (a write to the read-only cycle CSR). */
    __asm__ volatile(".option push\n.option norvc\nunimp\n.option pop" ::: "memory");
    sum += *kernel;
    return (int)sum;
}
