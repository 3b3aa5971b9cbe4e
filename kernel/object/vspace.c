/* Sv39 address spaces. User mappings are 4 KiB leaves, or 2 MiB leaves where a range is
 * aligned for one, in the lower half; the upper half (entries 256..511 of the root) is the
 * kernel's, copied from its root without PTE_U. */
#include "object/vspace.h"

#include "core/kmem.h"
#include "core/panic.h"
#include "object/pool.h"

#define VS_LEVELS 3
#define VS_ENTRIES 512
#define VS_KERNEL_FIRST 256
#define VS_MEGA_SIZE (512ull * ANV_PAGE_SIZE)
#define VS_FLUSH_ALL_PAGES 32u

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
    vs->asid_generation = 0;
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

/* Walk to the leaf entry for vaddr without allocating; NULL if a table is missing (then
 * *missing says how many tables a 4 KiB mapping there would add). A 2 MiB leaf is
 * returned as its level-1 entry, with *leaf_level 1; a 4 KiB one with *leaf_level 0. */
static uint64_t *vs_walk_leaf(const struct vspace *vs, uint64_t vaddr, uint32_t *missing,
                              int *leaf_level)
{
    uint64_t *table = vs_table(vs->root_paddr);
    for (int level = VS_LEVELS - 1; level > 0; level--) {
        uint64_t *pte = &table[vpn(vaddr, level)];
        if (!(*pte & PTE_V)) {
            if (missing)
                *missing = (uint32_t)level;
            return 0;
        }
        if (*pte & (PTE_R | PTE_W | PTE_X)) {
            if (level != 1)
                return 0; /* gigapages are never made for user space */
            if (missing)
                *missing = 0;
            if (leaf_level)
                *leaf_level = 1;
            return pte;
        }
        table = vs_table(pte_paddr(*pte));
    }
    if (missing)
        *missing = 0;
    if (leaf_level)
        *leaf_level = 0;
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

static int vs_rights_check(uint32_t rights)
{
    if (rights & ~(uint32_t)(ANV_RIGHT_READ | ANV_RIGHT_WRITE | ANV_RIGHT_EXEC))
        return ANV_E_INVALID_ARG;
    if ((rights & ANV_RIGHT_WRITE) && (rights & ANV_RIGHT_EXEC))
        return ANV_E_WX;
    if (!(rights & ANV_RIGHT_READ))
        return ANV_E_INVALID_ARG; /* Sv39 reserves W without R; X-only is not offered */
    return ANV_OK;
}

/* The level-1 table covering vaddr, or NULL when the root has none yet. */
static uint64_t *vs_l1_table(const struct vspace *vs, uint64_t vaddr)
{
    uint64_t rpte = vs_table(vs->root_paddr)[vpn(vaddr, 2)];
    return (rpte & PTE_V) ? vs_table(pte_paddr(rpte)) : 0;
}

/* A 2 MiB chunk is mapped with one megapage leaf when the virtual and physical addresses
 * are both 2 MiB aligned, the whole chunk is in the range, and nothing (no table, no
 * leaf) is there yet. The check and the mapping ask this same question in the same
 * order, so they always agree. */
static bool vs_chunk_aligned(uint64_t va, uint64_t pa, uint64_t end)
{
    return (va & (VS_MEGA_SIZE - 1)) == 0 && (pa & (VS_MEGA_SIZE - 1)) == 0 &&
           end - va >= VS_MEGA_SIZE;
}

static bool vs_chunk_empty(const uint64_t *l1, uint64_t va)
{
    return l1 == 0 || !(l1[vpn(va, 1)] & PTE_V);
}

static uint64_t vs_chunk_end(uint64_t va, uint64_t end)
{
    uint64_t next = (va | (VS_MEGA_SIZE - 1)) + 1;
    return next < end ? next : end;
}

int vs_map_range_check(const struct vspace *vs, uint64_t vaddr, uint64_t paddr, uint32_t pages,
                       uint32_t rights, uint32_t *tables_needed)
{
    if (pages == 0 || pages > VS_MAX_RANGE_PAGES)
        return ANV_E_INVALID_ARG;
    uint64_t bytes = (uint64_t)pages * ANV_PAGE_SIZE;
    if ((vaddr & (ANV_PAGE_SIZE - 1)) != 0 || (paddr & (ANV_PAGE_SIZE - 1)) != 0 ||
        vaddr < ANV_USER_BASE || vaddr >= ANV_USER_TOP || bytes > ANV_USER_TOP - vaddr)
        return ANV_E_BAD_ADDRESS;
    int err = vs_rights_check(rights);
    if (err != ANV_OK)
        return err;
    uint64_t end = vaddr + bytes;
    uint32_t tables = 0;
    uint64_t gib_counted = ~0ull; /* the last 1 GiB region whose new level-1 table we counted */
    /* One step per 2 MiB chunk, each page inside it looked at once: at most pages + chunks
     * iterations in all. */
    for (uint64_t va = vaddr; va < end;) {
        uint64_t chunk_end = vs_chunk_end(va, end);
        const uint64_t *l1 = vs_l1_table(vs, va);
        bool mega = vs_chunk_aligned(va, paddr + (va - vaddr), end) && vs_chunk_empty(l1, va);
        if (l1 == 0) {
            if ((va >> 30) != gib_counted) {
                tables++;
                gib_counted = va >> 30;
            }
            if (!mega)
                tables++;
        } else if (!mega) {
            uint64_t l1pte = l1[vpn(va, 1)];
            if (!(l1pte & PTE_V)) {
                tables++;
            } else if (l1pte & (PTE_R | PTE_W | PTE_X)) {
                return ANV_E_OVERLAP;
            } else {
                const uint64_t *l0 = vs_table(pte_paddr(l1pte));
                for (uint64_t p = va; p < chunk_end; p += ANV_PAGE_SIZE)
                    if (l0[vpn(p, 0)] & PTE_V)
                        return ANV_E_OVERLAP;
            }
        }
        va = chunk_end;
    }
    if (tables > 0 && (!vs->pt_pool || pool_available(vs->pt_pool) < tables))
        return ANV_E_QUOTA;
    if (tables_needed)
        *tables_needed = tables;
    return ANV_OK;
}

/* The next-level table under entry `index` of `table`, made from the page-table pool if
 * missing. vs_map_range_check counted every table this can be asked for against the
 * pool's quota, so the pool cannot be empty here: if it is, an invariant is broken and
 * writing through a failed allocation would corrupt memory, so stop. */
static uint64_t *vs_table_under(struct vspace *vs, uint64_t *table, uint32_t index)
{
    uint64_t *pte = &table[index];
    if (!(*pte & PTE_V)) {
        uint64_t pt = 0;
        int err = vs->pt_pool ? pool_alloc_page(vs->pt_pool, &pt) : ANV_E_QUOTA;
        if (err != ANV_OK)
            panic("vspace: page-table page unavailable after the check (error %d)", err);
        vs->pt_pages++;
        *pte = ((pt >> 12) << 10) | PTE_V;
    }
    KASSERT(!(*pte & (PTE_R | PTE_W | PTE_X)));
    return vs_table(pte_paddr(*pte));
}

void vs_map_range(struct vspace *vs, uint64_t vaddr, uint64_t paddr, uint32_t pages,
                  uint32_t rights)
{
    uint64_t end = vaddr + (uint64_t)pages * ANV_PAGE_SIZE;
    uint64_t flags = vs_pte_flags(rights);
    for (uint64_t va = vaddr; va < end;) {
        uint64_t chunk_end = vs_chunk_end(va, end);
        uint64_t pa = paddr + (va - vaddr);
        bool mega = vs_chunk_aligned(va, pa, end) && vs_chunk_empty(vs_l1_table(vs, va), va);
        uint64_t *l1 = vs_table_under(vs, vs_table(vs->root_paddr), vpn(va, 2));
        if (mega) {
            l1[vpn(va, 1)] = ((pa >> 12) << 10) | flags;
        } else {
            uint64_t *l0 = vs_table_under(vs, l1, vpn(va, 1));
            for (uint64_t p = va; p < chunk_end; p += ANV_PAGE_SIZE) {
                KASSERT(!(l0[vpn(p, 0)] & PTE_V));
                l0[vpn(p, 0)] = (((pa + (p - va)) >> 12) << 10) | flags;
            }
        }
        va = chunk_end;
    }
    /* A hart may cache an invalid entry, and a space's entries now survive switches
     * (ASIDs): the new leaves must not be hidden behind one. */
    if (pages > VS_FLUSH_ALL_PAGES) {
        vs_arch_flush_all(vs);
    } else {
        for (uint64_t va = vaddr; va < end; va += ANV_PAGE_SIZE)
            vs_arch_flush_page(vs, va);
    }
}

int vs_map_check(const struct vspace *vs, uint64_t vaddr, uint32_t rights)
{
    return vs_map_range_check(vs, vaddr, 0, 1, rights, 0);
}

void vs_map(struct vspace *vs, uint64_t vaddr, uint64_t paddr, uint32_t rights)
{
    vs_map_range(vs, vaddr, paddr, 1, rights);
}

void vs_unmap_range(struct vspace *vs, uint64_t vaddr, uint32_t pages)
{
    uint64_t end = vaddr + (uint64_t)pages * ANV_PAGE_SIZE;
    /* Past a few dozen pages one full flush is cheaper than a flush per page. */
    bool flush_all = pages > VS_FLUSH_ALL_PAGES;
    for (uint64_t va = vaddr; va < end;) {
        int level = 0;
        uint64_t *leaf = vs_walk_leaf(vs, va, 0, &level);
        uint64_t step = level == 1 ? VS_MEGA_SIZE - (va & (VS_MEGA_SIZE - 1)) : ANV_PAGE_SIZE;
        if (leaf && (*leaf & PTE_V)) {
            *leaf = 0;
            if (!flush_all)
                vs_arch_flush_page(vs, va);
        }
        va += step;
    }
    if (flush_all)
        vs_arch_flush_all(vs);
}

void vs_unmap(struct vspace *vs, uint64_t vaddr)
{
    vs_unmap_range(vs, vaddr, 1);
}

uint64_t vs_translate(const struct vspace *vs, uint64_t vaddr, uint32_t *rights)
{
    if (vaddr >= ANV_USER_TOP)
        return 0;
    int level = 0;
    uint64_t *leaf = vs_walk_leaf(vs, vaddr & ~(uint64_t)(ANV_PAGE_SIZE - 1), 0, &level);
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
    uint64_t offset_mask = level == 1 ? VS_MEGA_SIZE - 1 : ANV_PAGE_SIZE - 1;
    return pte_paddr(*leaf) + (vaddr & offset_mask);
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
