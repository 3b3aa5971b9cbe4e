/* The boot plan's arithmetic (plan.h): what an object costs, how the boot heap carves
 * pieces, how many page tables an address space needs, clock units. One definition, read
 * by the pre-flight that fills the plan and by the loader that builds it. */
#include "boot/plan.h"

#include "object/irq.h"
#include "object/pool.h"
#include "object/process.h"

#define PLAN_PAGE ((uint64_t)ANV_PAGE_SIZE)

uint64_t plan_heap_round(uint64_t size)
{
    return (size + 15) & ~(uint64_t)15;
}

uint64_t plan_heap_take(struct plan_heap *h, uint64_t size)
{
    uint64_t run = 0;
    size = plan_heap_round(size);
    if (size > h->left) {
        run = (size + PLAN_PAGE - 1) / PLAN_PAGE;
        h->pages += run;
        h->left = run * PLAN_PAGE;
    }
    h->left -= size;
    return run;
}

void plan_object_cost(const struct manifest_object *o, struct plan_object *po)
{
    for (uint32_t k = 0; k < PLAN_PIECES; k++)
        po->piece[k] = 0;
    po->pages = 0;
    switch (o->type) {
    case ANV_OBJ_CSPACE:
        po->piece[0] = sizeof(struct cspace);
        po->piece[1] = (uint64_t)o->size * sizeof(struct cap);
        break;
    case ANV_OBJ_THREAD:
        po->piece[0] = sizeof(struct thread);
        break;
    case ANV_OBJ_ENDPOINT:
        po->piece[0] = sizeof(struct endpoint);
        break;
    case ANV_OBJ_NOTIFICATION:
        po->piece[0] = sizeof(struct notification);
        break;
    case ANV_OBJ_FRAME:
        po->piece[0] = sizeof(struct frame);
        po->pages = (o->flags & MANIFEST_OBJ_F_DEVICE) ? 0 : o->size;
        break;
    case ANV_OBJ_VSPACE:
        po->piece[0] = sizeof(struct vspace);
        break;
    case ANV_OBJ_POOL:
        po->piece[0] = sizeof(struct pool);
        po->piece[1] = (uint64_t)POOL_BITMAP_WORDS((uint64_t)o->size) * 8;
        po->piece[2] = (uint64_t)o->size * sizeof(struct frame);
        po->pages = o->size;
        break;
    case ANV_OBJ_IRQ:
        po->piece[0] = sizeof(struct irq_handler);
        break;
    default:
        po->piece[0] = sizeof(struct kobj);
        break;
    }
}

uint32_t plan_page_tables(const struct plan_range *ranges, uint32_t n)
{
    uint64_t tables = 1;
    uint64_t last_gib = ~0ull, last_mib = ~0ull;
    for (uint32_t k = 0; k < n; k++) {
        uint64_t first_g = ranges[k].start >> 30, end_g = (ranges[k].end - 1) >> 30;
        uint64_t first_m = ranges[k].start >> 21, end_m = (ranges[k].end - 1) >> 21;
        tables += end_g - first_g + 1 - (first_g == last_gib ? 1 : 0);
        tables += end_m - first_m + 1 - (first_m == last_mib ? 1 : 0);
        last_gib = end_g;
        last_mib = end_m;
    }
    /* User space is 256 GiB: at most 1 + 256 + 131072 tables, well inside 32 bits. */
    return (uint32_t)tables;
}

uint64_t plan_clock_units(uint32_t us, uint64_t hz)
{
    uint64_t units = (uint64_t)us * hz / 1000000u;
    return us != 0 && units == 0 ? 1 : units;
}
