/* The kernel's own mappings: its image mapped page by page with the least rights each part
 * needs (W^X), the rest of the direct map read-write and never executable, and the
 * boot-only blocks zeroed and unmapped once the system is built. */
#ifndef ANVAYA_ARCH_KMAP_H
#define ANVAYA_ARCH_KMAP_H

#include <stdint.h>

/* Replace entry.S's gigapages (physical RAM read-write-execute, the identity map for the
 * jump to the high half) with the W^X map. Before the loader creates the first address
 * space: every space copies the kernel half of the root table as it is then, and the
 * copies point at the same lower-level tables, so later changes reach every space. */
void kmap_protect_kernel(void);

/* Zero and unmap .boot.* (kernel.ld); runs after the last boot code returned (entry.S),
 * and says how much went. Nothing runs or reads boot code or data after this. */
void kmap_release_boot(void);

#endif
