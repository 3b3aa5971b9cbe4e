/* Sv39 address-space identifiers: which ASID each address space runs under, and when the
 * TLB must be flushed because an ASID is handed out again. */
#ifndef ANVAYA_ARCH_ASID_H
#define ANVAYA_ARCH_ASID_H

#include <stdbool.h>
#include <stdint.h>

#include "object/object.h"

/* ASIDs are handed out in generations: 1..max once each, then the whole TLB is flushed,
 * the generation advances and every space gets a fresh one when it next runs. ASID 0 is
 * the boot page table's. A space whose generation is not the current one can have no
 * TLB entry tagged with its (old) ASID. */
struct asid_allocator {
    uint32_t max;        /* largest ASID the hart implements; 0: none (flush every switch) */
    uint32_t next;       /* next unused ASID of this generation */
    uint32_t generation; /* 1 on, never 0: a space's generation 0 means "never had one" */
};

/* A generation no space is ever given (asid_assign skips it and 0). */
#define ASID_GENERATION_NONE 0xFFFFFFFFu

/* `bits`: the ASID width the hart implements (0..16). */
void asid_init(struct asid_allocator *a, uint32_t bits);

/* Make `vs` hold a valid ASID of the current generation (vs->asid, vs->satp updated).
 * Returns true when the caller must flush the whole TLB after installing it: the
 * generation rolled over (every ASID may be reused), or the hart has no ASIDs. */
bool asid_assign(struct asid_allocator *a, struct vspace *vs);

/* Whether TLB entries tagged with vs->asid can exist (it holds an ASID of the current
 * generation): only then does a change to its mappings need a flush. */
bool asid_live(const struct asid_allocator *a, const struct vspace *vs);

#endif
