/* Faults on purpose: a load from an unmapped address must reach kt_main as a fault
 * record, not stop the kernel. */
#include <stdint.h>

#define KT_FAULT_ADDRESS 0xdead0000u

int main(void)
{
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)KT_FAULT_ADDRESS;
    return (int)*p;
}
