/* Pools: a bitmap over a fixed run of pages plus a preallocated frame object per page,
 * so handing out a frame never needs memory the pool does not already account for. */
#include "object/pool.h"

#include <stdbool.h>

#include "core/kmem.h"
#include "core/panic.h"

void pool_init(struct pool *p, uint64_t base_paddr, uint32_t pages, uint32_t quota_pages,
               uint64_t *bitmap, struct frame *frame_meta)
{
    kobj_init(&p->hdr, ANV_OBJ_POOL);
    p->hdr.flags |= KOBJ_PINNED;
    p->base_paddr = base_paddr;
    p->total_pages = pages;
    p->used_pages = 0;
    p->quota_pages = quota_pages < pages ? quota_pages : pages;
    p->free_bitmap = bitmap;
    p->frame_meta = frame_meta;
    for (uint32_t w = 0; w < POOL_BITMAP_WORDS(pages); w++)
        bitmap[w] = 0;
    for (uint32_t i = 0; i < pages; i++)
        bitmap[i / 64] |= 1ull << (i % 64);
}

uint32_t pool_available(const struct pool *p)
{
    return p->quota_pages - p->used_pages;
}

/* Index of the lowest set bit of a non-zero word (no Zbb, and no libgcc in the kernel). */
static uint32_t lowest_bit(uint64_t bits)
{
    uint32_t n = 0;
    for (uint32_t step = 32; step > 0; step >>= 1) {
        if ((bits & ((1ull << step) - 1)) == 0) {
            bits >>= step;
            n += step;
        }
    }
    return n;
}

static int pool_take(struct pool *p, uint32_t *index)
{
    if (p->used_pages >= p->quota_pages)
        return ANV_E_QUOTA;
    for (uint32_t w = 0; w < POOL_BITMAP_WORDS(p->total_pages); w++) {
        uint64_t bits = p->free_bitmap[w];
        if (bits == 0)
            continue;
        uint32_t b = lowest_bit(bits);
        p->free_bitmap[w] &= ~(1ull << b);
        p->used_pages++;
        *index = w * 64 + b;
        kmem_zero_page(p->base_paddr + (uint64_t)*index * ANV_PAGE_SIZE);
        return ANV_OK;
    }
    return ANV_E_QUOTA;
}

static void pool_give_back(struct pool *p, uint32_t index)
{
    KASSERT(index < p->total_pages);
    KASSERT(!(p->free_bitmap[index / 64] & (1ull << (index % 64))));
    p->free_bitmap[index / 64] |= 1ull << (index % 64);
    p->used_pages--;
}

static bool pool_page_free(const struct pool *p, uint32_t index)
{
    return (p->free_bitmap[index / 64] >> (index % 64)) & 1u;
}

/* First run of `pages` free pages whose first page's physical address is a multiple of
 * `align` bytes; one pass over the bitmap. */
static bool pool_find_run(const struct pool *p, uint32_t pages, uint64_t align, uint32_t *first)
{
    uint32_t run = 0;
    uint32_t start = 0;
    for (uint32_t i = 0; i < p->total_pages; i++) {
        if (!pool_page_free(p, i)) {
            run = 0;
            continue;
        }
        if (run == 0) {
            if (((p->base_paddr + (uint64_t)i * ANV_PAGE_SIZE) & (align - 1)) != 0)
                continue;
            start = i;
        }
        if (++run == pages) {
            *first = start;
            return true;
        }
    }
    return false;
}

int pool_alloc_run(struct pool *p, uint32_t pages, struct frame **out)
{
    if (pages == 0 || pages > p->total_pages)
        return ANV_E_INVALID_ARG;
    if (pages > pool_available(p))
        return ANV_E_QUOTA;
    uint32_t first = 0;
    /* A run of 2 MiB or more starts on a 2 MiB boundary when it can, so it can be mapped
     * with megapages (one page-table entry per 2 MiB, no level-0 table). */
    bool found = (pages >= POOL_MEGA_PAGES &&
                  pool_find_run(p, pages, (uint64_t)POOL_MEGA_PAGES * ANV_PAGE_SIZE, &first)) ||
                 pool_find_run(p, pages, ANV_PAGE_SIZE, &first);
    if (!found)
        return ANV_E_QUOTA; /* enough pages, but not contiguous */
    for (uint32_t i = first; i < first + pages; i++) {
        p->free_bitmap[i / 64] &= ~(1ull << (i % 64));
        kmem_zero_page(p->base_paddr + (uint64_t)i * ANV_PAGE_SIZE);
    }
    p->used_pages += pages;
    struct frame *f = &p->frame_meta[first];
    kobj_init(&f->hdr, ANV_OBJ_FRAME);
    f->paddr = p->base_paddr + (uint64_t)first * ANV_PAGE_SIZE;
    f->pool = p;
    f->pages = pages;
    f->is_device = 0;
    f->is_dma = 0;
    *out = f;
    return ANV_OK;
}

int pool_alloc_frame(struct pool *p, struct frame **out)
{
    uint32_t index;
    int err = pool_take(p, &index);
    if (err != ANV_OK)
        return err;
    struct frame *f = &p->frame_meta[index];
    kobj_init(&f->hdr, ANV_OBJ_FRAME);
    f->paddr = p->base_paddr + (uint64_t)index * ANV_PAGE_SIZE;
    f->pool = p;
    f->pages = 1;
    f->is_device = 0;
    f->is_dma = 0;
    *out = f;
    return ANV_OK;
}

void pool_frame_release(struct frame *f)
{
    if (f->pool == 0)
        return;
    uint32_t first = (uint32_t)((f->paddr - f->pool->base_paddr) / ANV_PAGE_SIZE);
    KASSERT(f->pages >= 1 && f->pages <= f->pool->total_pages - first);
    for (uint32_t i = 0; i < f->pages; i++)
        pool_give_back(f->pool, first + i);
    f->hdr.type = ANV_OBJ_NULL;
}

int pool_alloc_page(struct pool *p, uint64_t *paddr)
{
    uint32_t index;
    int err = pool_take(p, &index);
    if (err != ANV_OK)
        return err;
    *paddr = p->base_paddr + (uint64_t)index * ANV_PAGE_SIZE;
    return ANV_OK;
}

void pool_free_page(struct pool *p, uint64_t paddr)
{
    pool_give_back(p, (uint32_t)((paddr - p->base_paddr) / ANV_PAGE_SIZE));
}
