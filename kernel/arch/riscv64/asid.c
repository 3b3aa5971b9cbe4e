/* ASID allocation by generations (see asid.h): plain C, so the host tests run the same
 * rollover logic the kernel does. */
#include "arch/riscv64/asid.h"

#include "object/vspace.h"

void asid_init(struct asid_allocator *a, uint32_t bits)
{
    if (bits > 16)
        bits = 16; /* Sv39 has 16 ASID bits at most */
    a->max = bits ? (1u << bits) - 1u : 0;
    a->next = 1;
    a->generation = 1;
}

bool asid_live(const struct asid_allocator *a, const struct vspace *vs)
{
    return a->max == 0 || vs->asid_generation == a->generation;
}

bool asid_assign(struct asid_allocator *a, struct vspace *vs)
{
    if (a->max == 0) {
        /* Every space shares ASID 0: the TLB holds only the last one's entries. */
        if (vs->asid != 0) {
            vs->asid = 0;
            vs->satp = vs_satp(vs);
        }
        return true;
    }
    if (vs->asid_generation == a->generation)
        return false;
    bool flush = false;
    if (a->next > a->max) {
        /* Every ASID of this generation is taken: after the flush none is in use. */
        a->generation++;
        if (a->generation == 0 || a->generation == ASID_GENERATION_NONE)
            a->generation = 1; /* 0 stays "never assigned", NONE stays nobody's */
        a->next = 1;
        flush = true;
    }
    vs->asid = (uint16_t)a->next++;
    vs->asid_generation = a->generation;
    vs->satp = vs_satp(vs);
    return flush;
}
