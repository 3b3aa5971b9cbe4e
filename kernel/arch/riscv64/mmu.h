/* Installing an address space on the hart (satp with its ASID) and TLB maintenance. */
#ifndef ANVAYA_ARCH_MMU_H
#define ANVAYA_ARCH_MMU_H

#include "object/object.h"

#include "asid.h"
#include "csr.h"

/* The space whose satp is installed (NULL until the first user thread runs). */
extern const struct vspace *mmu_active;
/* The generation of ASIDs in use; ASID_GENERATION_NONE until the first activation probes
 * the hart, and for good when it has no ASIDs: no space ever holds that generation. */
extern uint32_t mmu_asid_generation;

/* Install `vs`: its ASID (assigned now if it has none of the current generation), and a
 * full TLB flush only when ASIDs are handed out again (rollover) or the hart has none. */
void mmu_activate(struct vspace *vs);

/* The switch the trap path makes when entering a thread: nothing when its space is the
 * one installed, one satp write when it still holds a live ASID (its TLB entries are
 * still good), mmu_activate otherwise. */
static inline __attribute__((always_inline)) void mmu_switch_to(struct vspace *vs)
{
    if (vs == mmu_active)
        return;
    if (vs->asid_generation == mmu_asid_generation) {
        csr_write(satp, vs->satp);
        mmu_active = vs;
        return;
    }
    mmu_activate(vs);
}

#endif
