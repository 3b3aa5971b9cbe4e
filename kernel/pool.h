/* Memory pools: the only source of memory after boot. mem.frame_alloc and page-table
 * pages draw from a pool, and no pool ever hands out more than its quota. */
#ifndef ANVAYA_KERNEL_POOL_H
#define ANVAYA_KERNEL_POOL_H

#include "object.h"

/* Bytes of bookkeeping a pool of `pages` pages needs (bitmap plus frame objects). */
#define POOL_BITMAP_WORDS(pages) (((pages) + 63u) / 64u)

void pool_init(struct pool *p, uint64_t base_paddr, uint32_t pages, uint32_t quota_pages,
               uint64_t *bitmap, struct frame *frame_meta);
uint32_t pool_available(const struct pool *p);
/* A zeroed page as a frame object with no capability yet; ANV_E_QUOTA when spent. */
int pool_alloc_frame(struct pool *p, struct frame **out);
void pool_frame_release(struct frame *f);
/* A zeroed page for a page table, counted against the quota. */
int pool_alloc_page(struct pool *p, uint64_t *paddr);
void pool_free_page(struct pool *p, uint64_t paddr);

#endif
