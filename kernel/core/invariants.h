/* The kernel invariant checker (debug builds): after every syscall it re-derives what
 * must hold of slots, derivation links, queues and mappings, and panics on a mismatch. */
#ifndef ANVAYA_KERNEL_INVARIANTS_H
#define ANVAYA_KERNEL_INVARIANTS_H

#include <stdbool.h>

#include "object/object.h"

extern bool invariants_enabled;

/* Add a CSpace to those checked (every one the loader creates); a second registration
 * of the same CSpace changes nothing. Never allocates. */
void invariants_register_cspace(struct cspace *cs);
/* How many CSpaces the checker walks. */
uint32_t invariants_cspace_count(void);
/* Returns the number of violations found (after reporting each); the kernel build
 * panics on any. */
unsigned invariants_check_all(void);
unsigned invariants_checks_run(void);

#endif
