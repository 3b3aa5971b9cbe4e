/* A deliberate page fault for the demo's fault scenarios: a store to address 8, which lies
 * in the unmapped first pages of every address space. */
#ifndef ANVAYA_DEMO_FAULT_H
#define ANVAYA_DEMO_FAULT_H

#include <stdint.h>

/* Read through a volatile so the compiler neither sees nor warns about the null-page store. */
static volatile uintptr_t demo_fault_address = 8;

static inline void demo_fault_now(uint64_t value)
{
    *(volatile uint64_t *)demo_fault_address = value;
}

#endif
