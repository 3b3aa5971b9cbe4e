/* Deliberate faults for the demo's fault scenarios: a store to the unmapped first pages
 * of every address space, a store into the component's own code, a jump into its own
 * data. The last two show from inside a running process that no page is both writable
 * and executable. */
#ifndef ANVAYA_DEMO_FAULT_H
#define ANVAYA_DEMO_FAULT_H

#include <stdint.h>

/* Read through a volatile so the compiler neither sees nor warns about the null-page store. */
static volatile uintptr_t demo_null_page_address = 8;

static inline void demo_fault_now(uint64_t value)
{
    *(volatile uint64_t *)demo_null_page_address = value;
}

/* A store to `code`, an address in the text segment (mapped read+execute). */
static inline void demo_fault_store_to(uintptr_t code)
{
    *(volatile uint32_t *)code = 0;
}

/* A call to `data`, an address in a writable segment (never mapped executable). */
static inline void demo_fault_execute(uintptr_t data)
{
    ((void (*)(void))data)();
}

#endif
