/* Memory pools: the only source of memory after boot. mem.frame_alloc and page-table
 * pages draw from a pool, and no pool ever hands out more than its quota. */
#ifndef ANVAYA_KERNEL_POOL_H
#define ANVAYA_KERNEL_POOL_H

#include "object/object.h"

/* Bytes of bookkeeping a pool of `pages` pages needs (bitmap plus frame objects). */
#define POOL_BITMAP_WORDS(pages) (((pages) + 63u) / 64u)
#define POOL_MEGA_PAGES 512u /* 2 MiB */

void pool_init(struct pool *p, uint64_t base_paddr, uint32_t pages, uint32_t quota_pages,
               uint64_t *bitmap, struct frame *frame_meta);
uint32_t pool_available(const struct pool *p);
/* A zeroed page as a frame object with no capability yet; ANV_E_QUOTA when spent. */
int pool_alloc_frame(struct pool *p, struct frame **out);
/* A run of `pages` physically contiguous zeroed pages as one frame object (2 MiB aligned
 * when it is at least POOL_MEGA_PAGES long and such a run is free): ANV_E_INVALID_ARG for
 * 0 or more than the pool holds, ANV_E_QUOTA when the quota or the free runs fall short.
 * Changes nothing on failure. */
int pool_alloc_run(struct pool *p, uint32_t pages, struct frame **out);
/* The last capability to a pool frame went: every page of its run goes back. */
void pool_frame_release(struct frame *f);
/* A zeroed page for a page table, counted against the quota. */
int pool_alloc_page(struct pool *p, uint64_t *paddr);
void pool_free_page(struct pool *p, uint64_t paddr);

#endif
