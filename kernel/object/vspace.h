/* Address spaces: Sv39 page tables whose pages come from a pool, the kernel half shared
 * by every space and never user-accessible, and W^X for every user page. */
#ifndef ANVAYA_KERNEL_VSPACE_H
#define ANVAYA_KERNEL_VSPACE_H

#include <stdbool.h>
#include <stddef.h>

#include "object/object.h"

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_G (1ull << 5)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)

/* The kernel's root table, whose upper half every address space shares. */
void vs_set_kernel_root(uint64_t root_paddr);

/* A new space with a root page from `pt_pool` (or `root_paddr` when given at boot). */
int vs_init(struct vspace *vs, struct pool *pt_pool, uint64_t root_paddr);

/* The most pages one range operation takes (a pool holds at most 2^20). */
#define VS_MAX_RANGE_PAGES (1u << 20)

/* Validate mapping `pages` contiguous physical pages from `paddr` at `vaddr`, as a whole:
 * alignment and range (ANV_E_BAD_ADDRESS), W+X (ANV_E_WX), R missing, unknown bits or no
 * pages (ANV_E_INVALID_ARG), any page already mapped (ANV_E_OVERLAP), and the page tables
 * the whole range needs beyond what the pool has left (ANV_E_QUOTA). Changes nothing;
 * *tables_needed (may be NULL) is how many page-table pages the mapping will take. */
int vs_map_range_check(const struct vspace *vs, uint64_t vaddr, uint64_t paddr, uint32_t pages,
                       uint32_t rights, uint32_t *tables_needed);
/* Map after a successful vs_map_range_check with the same arguments; cannot fail. Chunks
 * where both addresses are 2 MiB aligned become megapages. */
void vs_map_range(struct vspace *vs, uint64_t vaddr, uint64_t paddr, uint32_t pages,
                  uint32_t rights);
/* Remove every leaf in the range (megapages whole) and flush them from the TLB. */
void vs_unmap_range(struct vspace *vs, uint64_t vaddr, uint32_t pages);
/* One page: the range operations with pages = 1. */
int vs_map_check(const struct vspace *vs, uint64_t vaddr, uint32_t rights);
void vs_map(struct vspace *vs, uint64_t vaddr, uint64_t paddr, uint32_t rights);
void vs_unmap(struct vspace *vs, uint64_t vaddr);
/* Physical address and ANV_RIGHT_* of a user page; 0 when not mapped. */
uint64_t vs_translate(const struct vspace *vs, uint64_t vaddr, uint32_t *rights);
/* Copy from user memory by walking the tables, so a bad pointer is an error, never a
 * kernel fault. Needs every byte readable by the user. */
int vs_copy_in(const struct vspace *vs, uint64_t vaddr, void *dst, size_t len);
uint64_t vs_satp(const struct vspace *vs);

/* Architecture hooks: flush one user page of `vs`, or every user page of it, from the
 * TLB (its ASID's entries only; nothing when it holds no live ASID); install a space. */
void vs_arch_flush_page(const struct vspace *vs, uint64_t vaddr);
void vs_arch_flush_all(const struct vspace *vs);
void vs_arch_activate(struct vspace *vs);

#endif
