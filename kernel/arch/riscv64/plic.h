/* The platform-level interrupt controller, S-mode context of hart 0. */
#ifndef ANVAYA_ARCH_PLIC_H
#define ANVAYA_ARCH_PLIC_H

#include <stdint.h>

void plic_init(uintptr_t base, uint32_t ndev);
/* Claim every pending interrupt and route it to its handler object. */
void plic_handle(void);

#endif
