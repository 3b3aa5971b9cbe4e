/* IRQ handler objects: a device interrupt becomes a notification signal, and stays
 * masked until the driver acknowledges it with irq.ack. */
#ifndef ANVAYA_KERNEL_IRQ_H
#define ANVAYA_KERNEL_IRQ_H

#include "object/object.h"

/* Lines 1..ANV_IRQ_MAX-1 (anvaya/abi.h, which object.h brings in). */

/* Route line `irq` to the IRQ object `h` (made with kobj_init(ANV_OBJ_IRQ)), signalling
 * `n` with `badge`; the object keeps its id and references. ANV_E_INVALID_ARG for a bad
 * line, no notification or an object that is not an IRQ; ANV_E_BUSY when bound. */
int irq_bind(struct irq_handler *h, uint32_t irq, struct notification *n, uint64_t badge);
/* An interrupt arrived from the controller: signal the bound notification. */
void irq_deliver(uint32_t irq);
int irq_ack(struct irq_handler *h);

/* Controller hooks, implemented per platform. */
void irq_arch_enable(uint32_t irq);
void irq_arch_complete(uint32_t irq);

#endif
