/* Usable physical memory: DTB memory ranges minus firmware, DTB and kernel reservations,
 * and the one-way boot allocator over what is left. */
#include "boot/pmem.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
    return v & ~(a - 1);
}

static enum pmem_status pmem_push(struct pmem_map *out, uint64_t base, uint64_t end)
{
    base = align_up(base, PMEM_PAGE);
    end = align_down(end, PMEM_PAGE);
    if (end <= base)
        return PMEM_OK;
    if (out->count >= PMEM_MAX_RANGES)
        return PMEM_E_TABLE_FULL;
    /* Insertion keeps the table sorted by base. */
    uint32_t i = out->count;
    while (i > 0 && out->usable[i - 1].base > base) {
        out->usable[i] = out->usable[i - 1];
        i--;
    }
    out->usable[i].base = base;
    out->usable[i].size = end - base;
    out->count++;
    return PMEM_OK;
}

enum pmem_status pmem_build(struct pmem_map *out, const struct pmem_range *memory,
                            uint32_t memory_count, const struct pmem_range *exclude,
                            uint32_t exclude_count)
{
    out->count = 0;
    for (uint32_t m = 0; m < memory_count; m++) {
        if (memory[m].base + memory[m].size < memory[m].base)
            return PMEM_E_OVERFLOW;
        /* Work list of pieces of this memory range still to be clipped. */
        struct pmem_range pieces[PMEM_MAX_RANGES];
        uint32_t npieces = 1;
        pieces[0] = memory[m];
        for (uint32_t e = 0; e < exclude_count; e++) {
            uint64_t xs = exclude[e].base;
            uint64_t xe = exclude[e].base + exclude[e].size;
            if (xe < xs)
                return PMEM_E_OVERFLOW;
            struct pmem_range next[PMEM_MAX_RANGES];
            uint32_t nnext = 0;
            for (uint32_t p = 0; p < npieces; p++) {
                uint64_t ps = pieces[p].base, pe = pieces[p].base + pieces[p].size;
                if (xe <= ps || xs >= pe) {
                    if (nnext >= PMEM_MAX_RANGES)
                        return PMEM_E_TABLE_FULL;
                    next[nnext++] = pieces[p];
                    continue;
                }
                if (xs > ps) {
                    if (nnext >= PMEM_MAX_RANGES)
                        return PMEM_E_TABLE_FULL;
                    next[nnext].base = ps;
                    next[nnext++].size = xs - ps;
                }
                if (xe < pe) {
                    if (nnext >= PMEM_MAX_RANGES)
                        return PMEM_E_TABLE_FULL;
                    next[nnext].base = xe;
                    next[nnext++].size = pe - xe;
                }
            }
            for (uint32_t p = 0; p < nnext; p++)
                pieces[p] = next[p];
            npieces = nnext;
        }
        for (uint32_t p = 0; p < npieces; p++) {
            enum pmem_status st = pmem_push(out, pieces[p].base, pieces[p].base + pieces[p].size);
            if (st != PMEM_OK)
                return st;
        }
    }
    return PMEM_OK;
}

uint64_t pmem_total(const struct pmem_map *map)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < map->count; i++)
        total += map->usable[i].size;
    return total;
}

static struct pmem_map *pmem_boot_map;
static uint32_t pmem_boot_range;
static uint64_t pmem_boot_next;

void pmem_boot_init(struct pmem_map *map)
{
    pmem_boot_map = map;
    pmem_boot_range = 0;
    pmem_boot_next = map->count ? map->usable[0].base : 0;
}

uint64_t pmem_boot_alloc_pages(uint32_t pages)
{
    uint64_t bytes = (uint64_t)pages * PMEM_PAGE;
    for (; pmem_boot_map && pmem_boot_range < pmem_boot_map->count; pmem_boot_range++) {
        const struct pmem_range *r = &pmem_boot_map->usable[pmem_boot_range];
        if (pmem_boot_next < r->base)
            pmem_boot_next = r->base;
        if (r->base + r->size - pmem_boot_next >= bytes) {
            uint64_t pa = pmem_boot_next;
            pmem_boot_next += bytes;
            return pa;
        }
    }
    return 0;
}

uint64_t pmem_boot_remaining(void)
{
    uint64_t left = 0;
    if (!pmem_boot_map)
        return 0;
    for (uint32_t i = pmem_boot_range; i < pmem_boot_map->count; i++) {
        const struct pmem_range *r = &pmem_boot_map->usable[i];
        uint64_t start = pmem_boot_next > r->base ? pmem_boot_next : r->base;
        left += r->base + r->size - start;
    }
    return left;
}
