/* Physical memory after boot reservations: the usable ranges and the boot-time page
 * allocator that carves kernel objects out of them before the first thread runs. */
#ifndef ANVAYA_KERNEL_PMEM_H
#define ANVAYA_KERNEL_PMEM_H

#include <stdint.h>

#define PMEM_MAX_RANGES 16
#define PMEM_PAGE 4096u

struct pmem_range {
    uint64_t base;
    uint64_t size;
};

struct pmem_map {
    struct pmem_range usable[PMEM_MAX_RANGES];
    uint32_t count;
};

enum pmem_status { PMEM_OK = 0, PMEM_E_TABLE_FULL, PMEM_E_OVERFLOW };

/* usable = page-aligned (memory minus every exclusion). Overlapping or unsorted inputs
 * are fine; the result is sorted by base. */
enum pmem_status pmem_build(struct pmem_map *out, const struct pmem_range *memory,
                            uint32_t memory_count, const struct pmem_range *exclude,
                            uint32_t exclude_count);
uint64_t pmem_total(const struct pmem_map *map);

/* Boot allocator: whole pages (the caller zeroes them) from the usable map, never freed. Returns the
 * physical address, or 0 when memory is exhausted. Only used before the first thread. */
void pmem_boot_init(struct pmem_map *map);
uint64_t pmem_boot_alloc_pages(uint32_t pages);
uint64_t pmem_boot_remaining(void);

#endif
