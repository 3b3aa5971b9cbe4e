/* PLIC driver: enabling lines for IRQ handler objects, claim on external interrupts,
 * complete when the driver acknowledges. Context 1 is hart 0 in S-mode on QEMU virt. */
#include "plic.h"

#include "object/irq.h"
#include "csr.h"

#define PLIC_CONTEXT 1
#define PLIC_PRIORITY(irq) (4u * (irq))
#define PLIC_ENABLE(ctx) (0x2000u + 0x80u * (ctx))
#define PLIC_THRESHOLD(ctx) (0x200000u + 0x1000u * (ctx))
#define PLIC_CLAIM(ctx) (0x200004u + 0x1000u * (ctx))

static uintptr_t plic_base;
static uint32_t plic_ndev;

static volatile uint32_t *plic_reg(uint32_t off)
{
    return (volatile uint32_t *)(plic_base + off);
}

void plic_init(uintptr_t base, uint32_t ndev)
{
    plic_base = base;
    plic_ndev = ndev;
    *plic_reg(PLIC_THRESHOLD(PLIC_CONTEXT)) = 0;
    csr_set(sie, SIE_SEIE);
}

void irq_arch_enable(uint32_t irq)
{
    if (plic_base == 0 || irq == 0 || irq > plic_ndev)
        return;
    *plic_reg(PLIC_PRIORITY(irq)) = 1;
    *plic_reg(PLIC_ENABLE(PLIC_CONTEXT) + 4 * (irq / 32)) |= 1u << (irq % 32);
}

void irq_arch_complete(uint32_t irq)
{
    if (plic_base != 0)
        *plic_reg(PLIC_CLAIM(PLIC_CONTEXT)) = irq;
}

void plic_handle(void)
{
    if (plic_base == 0)
        return;
    /* Bounded by the number of sources: each claim takes one pending line. */
    for (uint32_t i = 0; i <= plic_ndev; i++) {
        uint32_t irq = *plic_reg(PLIC_CLAIM(PLIC_CONTEXT));
        if (irq == 0)
            break;
        irq_deliver(irq);
    }
}
