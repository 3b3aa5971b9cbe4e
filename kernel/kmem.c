/* Page-granular helpers over the kernel's view of physical memory. */
#include "kmem.h"

#include "lib/mem.h"

void kmem_zero_page(uint64_t pa)
{
    memset(kmem_pa_to_kva(pa), 0, 4096);
}
