/* Page-granular helpers over the kernel's view of physical memory. */
#include "core/kmem.h"

#include "lib/mem.h"

/* Eight stores a step: pages are zeroed by the thousand when a region grows, and a plain
 * store loop spends as much on its counter as on the stores. The attribute keeps GCC from
 * turning the loop back into a memset call. */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void kmem_zero_page(uint64_t pa)
{
    uint64_t *p = kmem_pa_to_kva(pa);
    for (uint32_t i = 0; i < 4096 / sizeof(uint64_t); i += 8) {
        p[i] = 0;
        p[i + 1] = 0;
        p[i + 2] = 0;
        p[i + 3] = 0;
        p[i + 4] = 0;
        p[i + 5] = 0;
        p[i + 6] = 0;
        p[i + 7] = 0;
    }
}
