/* Sv39 address spaces. User mappings are 4 KiB leaves in the lower half; the upper half
 * (entries 256..511 of the root) is the kernel's, copied from its root without PTE_U. */
#include "vspace.h"

#include "kmem.h"
#include "pool.h"

#define VS_LEVELS 3
#define VS_ENTRIES 512
#define VS_KERNEL_FIRST 256

static uint64_t vs_kernel_root;

static uint64_t *vs_table(uint64_t paddr)
{
    return (uint64_t *)kmem_pa_to_kva(paddr);
}

static uint64_t pte_paddr(uint64_t pte)
{
    return (pte >> 10) << 12;
}

static uint32_t vpn(uint64_t vaddr, int level)
{
    return (uint32_t)((vaddr >> (12 + 9 * level)) & 0x1FF);
}

void vs_set_kernel_root(uint64_t root_paddr)
{
    vs_kernel_root = root_paddr;
}

int vs_init(struct vspace *vs, struct pool *pt_pool, uint64_t root_paddr)
{
    kobj_init(&vs->hdr, ANV_OBJ_VSPACE);
    vs->hdr.flags |= KOBJ_PINNED;
    vs->pt_pool = pt_pool;
    vs->asid = 0;
    vs->pt_pages = 1;
    if (root_paddr == 0) {
        int err = pool_alloc_page(pt_pool, &root_paddr);
        if (err != ANV_OK)
            return err;
    } else {
        kmem_zero_page(root_paddr);
    }
    vs->root_paddr = root_paddr;
    vs->satp = vs_satp(vs);
    if (vs_kernel_root) {
        uint64_t *dst = vs_table(root_paddr);
        const uint64_t *src = vs_table(vs_kernel_root);
        for (uint32_t i = VS_KERNEL_FIRST; i < VS_ENTRIES; i++)
            dst[i] = src[i];
    }
    return ANV_OK;
}

/* Walk to the leaf entry for vaddr without allocating; NULL if a table is missing.
 * *missing says how many tables a mapping would have to add. */
static uint64_t *vs_walk(const struct vspace *vs, uint64_t vaddr, uint32_t *missing)
{
    uint64_t *table = vs_table(vs->root_paddr);
    for (int level = VS_LEVELS - 1; level > 0; level--) {
        uint64_t pte = table[vpn(vaddr, level)];
        if (!(pte & PTE_V)) {
            if (missing)
                *missing = (uint32_t)level;
            return 0;
        }
        if (pte & (PTE_R | PTE_W | PTE_X))
            return 0; /* a superpage: never created for user space */
        table = vs_table(pte_paddr(pte));
    }
    if (missing)
        *missing = 0;
    return &table[vpn(vaddr, 0)];
}

static uint64_t vs_pte_flags(uint32_t rights)
{
    uint64_t f = PTE_V | PTE_U | PTE_A | PTE_D;
    if (rights & ANV_RIGHT_READ)
        f |= PTE_R;
    if (rights & ANV_RIGHT_WRITE)
        f |= PTE_W;
    if (rights & ANV_RIGHT_EXEC)
        f |= PTE_X;
    return f;
}

int vs_map_check(const struct vspace *vs, uint64_t vaddr, uint32_t rights)
{
    if ((vaddr & (ANV_PAGE_SIZE - 1)) != 0 || vaddr < ANV_USER_BASE || vaddr >= ANV_USER_TOP)
        return ANV_E_BAD_ADDRESS;
    if (rights & ~(uint32_t)(ANV_RIGHT_READ | ANV_RIGHT_WRITE | ANV_RIGHT_EXEC))
        return ANV_E_INVALID_ARG;
    if ((rights & ANV_RIGHT_WRITE) && (rights & ANV_RIGHT_EXEC))
        return ANV_E_WX;
    if (!(rights & ANV_RIGHT_READ))
        return ANV_E_INVALID_ARG; /* Sv39 reserves W without R; X-only is not offered */
    uint32_t missing = 0;
    uint64_t *leaf = vs_walk(vs, vaddr, &missing);
    if (leaf && (*leaf & PTE_V))
        return ANV_E_OVERLAP;
    if (missing > 0 && vs->pt_pool && pool_available(vs->pt_pool) < missing)
        return ANV_E_QUOTA;
    if (missing > 0 && !vs->pt_pool)
        return ANV_E_QUOTA;
    return ANV_OK;
}

void vs_map(struct vspace *vs, uint64_t vaddr, uint64_t paddr, uint32_t rights)
{
    uint64_t *table = vs_table(vs->root_paddr);
    for (int level = VS_LEVELS - 1; level > 0; level--) {
        uint64_t *pte = &table[vpn(vaddr, level)];
        if (!(*pte & PTE_V)) {
            uint64_t pt = 0;
            /* vs_map_check proved the quota covers this. */
            (void)pool_alloc_page(vs->pt_pool, &pt);
            vs->pt_pages++;
            *pte = ((pt >> 12) << 10) | PTE_V;
        }
        table = vs_table(pte_paddr(*pte));
    }
    table[vpn(vaddr, 0)] = ((paddr >> 12) << 10) | vs_pte_flags(rights);
}

void vs_unmap(struct vspace *vs, uint64_t vaddr)
{
    uint64_t *leaf = vs_walk(vs, vaddr, 0);
    if (leaf) {
        *leaf = 0;
        vs_arch_flush_page(vaddr);
    }
}

uint64_t vs_translate(const struct vspace *vs, uint64_t vaddr, uint32_t *rights)
{
    if (vaddr >= ANV_USER_TOP)
        return 0;
    uint64_t *leaf = vs_walk(vs, vaddr & ~(uint64_t)(ANV_PAGE_SIZE - 1), 0);
    if (!leaf || !(*leaf & PTE_V) || !(*leaf & PTE_U))
        return 0;
    if (rights) {
        *rights = 0;
        if (*leaf & PTE_R)
            *rights |= ANV_RIGHT_READ;
        if (*leaf & PTE_W)
            *rights |= ANV_RIGHT_WRITE;
        if (*leaf & PTE_X)
            *rights |= ANV_RIGHT_EXEC;
    }
    return pte_paddr(*leaf) | (vaddr & (ANV_PAGE_SIZE - 1));
}

int vs_copy_in(const struct vspace *vs, uint64_t vaddr, void *dst, size_t len)
{
    unsigned char *out = dst;
    if (vaddr + len < vaddr || vaddr + len > ANV_USER_TOP)
        return ANV_E_BAD_ADDRESS;
    size_t done = 0;
    while (done < len) {
        uint32_t rights = 0;
        uint64_t pa = vs_translate(vs, vaddr + done, &rights);
        if (pa == 0 || !(rights & ANV_RIGHT_READ))
            return ANV_E_BAD_ADDRESS;
        size_t in_page = ANV_PAGE_SIZE - ((vaddr + done) & (ANV_PAGE_SIZE - 1));
        size_t n = len - done < in_page ? len - done : in_page;
        const unsigned char *src = kmem_pa_to_kva(pa);
        for (size_t i = 0; i < n; i++)
            out[done + i] = src[i];
        done += n;
    }
    return ANV_OK;
}

uint64_t vs_satp(const struct vspace *vs)
{
    return (8ull << 60) | ((uint64_t)vs->asid << 44) | (vs->root_paddr >> 12);
}
