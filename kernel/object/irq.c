/* IRQ routing: one handler object per interrupt line, fixed table, no allocation. */
#include "object/irq.h"

#include "object/notification.h"

static struct irq_handler *irq_table[ANV_IRQ_MAX];

int irq_bind(struct irq_handler *h, uint32_t irq, struct notification *n, uint64_t badge)
{
    /* The object already exists (its id may be in audit records, capabilities may hold
     * it): binding routes a line to it and keeps its identity and references. */
    if (irq == 0 || irq >= ANV_IRQ_MAX || n == 0 || h->hdr.type != ANV_OBJ_IRQ)
        return ANV_E_INVALID_ARG;
    if (irq_table[irq] != 0)
        return ANV_E_BUSY;
    h->hdr.flags |= KOBJ_PINNED;
    h->irq = irq;
    h->ntfn = n;
    h->badge = badge;
    h->pending = false;
    irq_table[irq] = h;
    irq_arch_enable(irq);
    return ANV_OK;
}

void irq_deliver(uint32_t irq)
{
    struct irq_handler *h = irq < ANV_IRQ_MAX ? irq_table[irq] : 0;
    if (h == 0) {
        irq_arch_complete(irq); /* nobody owns it: drop it rather than wedge the line */
        return;
    }
    h->pending = true;
    ntfn_signal(h->ntfn, h->badge);
}

int irq_ack(struct irq_handler *h)
{
    if (!h->pending)
        return ANV_E_NOTHING_PENDING;
    h->pending = false;
    irq_arch_complete(h->irq);
    return ANV_OK;
}
