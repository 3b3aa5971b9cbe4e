/* The kernel's own Sv39 mappings (kmap.h): built once at boot from static tables, so no
 * memory is taken from the system's pools, and narrowed once more when boot is over. */
#include "kmap.h"

#include <stdbool.h>
#include <stddef.h>

#include "boot/boot.h"
#include "core/console.h"
#include "core/kmem.h"
#include "core/panic.h"
#include "csr.h"
#include "memlayout.h"
#include "object/vspace.h"

#define KMAP_ENTRIES 512u
#define KMAP_PAGE 0x1000ull
#define KMAP_MEGAPAGE 0x200000ull
#define KMAP_GIGAPAGE 0x40000000ull
/* The root table's entry for the direct map's first gigapage (KERNEL_VIRT_OFFSET). */
#define KMAP_DIRECT_FIRST 256u
/* 2 MiB tables for the kernel image: it is about 200 KiB, so one suffices; the second
 * lets it straddle a megapage boundary. kmap_protect_kernel refuses a larger image. */
#define KMAP_IMAGE_TABLES 2u

#define KMAP_LEAF (PTE_V | PTE_G | PTE_A)
#define KMAP_RX (KMAP_LEAF | PTE_R | PTE_X)
#define KMAP_RO (KMAP_LEAF | PTE_R)
#define KMAP_RW (KMAP_LEAF | PTE_R | PTE_W | PTE_D)

extern uint64_t boot_root_pt[KMAP_ENTRIES];
extern char __rodata_start[];

/* The gigapage that holds the kernel, as megapages, and the image's megapages as pages. */
static uint64_t kmap_kernel_giga[KMAP_ENTRIES] __attribute__((aligned(4096)));
static uint64_t kmap_image[KMAP_IMAGE_TABLES][KMAP_ENTRIES] __attribute__((aligned(4096)));
static uint64_t kmap_image_base; /* physical address the first image table maps */
static uint32_t kmap_image_tables;

static uint64_t kmap_pte(uint64_t pa, uint64_t flags)
{
    return ((pa >> 12) << 10) | flags;
}

static uint64_t kmap_table_pte(const uint64_t *table)
{
    return kmap_pte(virt_to_phys(table), PTE_V);
}

/* The rights a page of the kernel image's megapages gets, by what kernel.ld put there. */
static uint64_t kmap_image_rights(uint64_t va)
{
    if (va >= (uint64_t)(uintptr_t)__text_start && va < (uint64_t)(uintptr_t)__rodata_start)
        return KMAP_RX;
    if (va >= (uint64_t)(uintptr_t)__rodata_start && va < (uint64_t)(uintptr_t)__boot_start)
        return KMAP_RO;
    if (va >= (uint64_t)(uintptr_t)__boot_start && va < (uint64_t)(uintptr_t)__boot_end)
        return KMAP_RX; /* boot's code and constants, until kmap_release_boot */
    return KMAP_RW; /* data and bss, the boot image behind the kernel, the rest of RAM */
}

void kmap_protect_kernel(void)
{
    const uint64_t start = virt_to_phys(__kernel_start);
    const uint64_t end = virt_to_phys(__kernel_end);
    const uint64_t giga = start & ~(KMAP_GIGAPAGE - 1);
    const uint64_t first_mega = start & ~(KMAP_MEGAPAGE - 1);
    const uint64_t tables = (end - first_mega + KMAP_MEGAPAGE - 1) / KMAP_MEGAPAGE;
    if (tables > KMAP_IMAGE_TABLES || ((end - 1) & ~(KMAP_GIGAPAGE - 1)) != giga ||
        giga >= KERNEL_DIRECT_MAP_SIZE)
        panic("kmap: the kernel image [0x%lx, 0x%lx) does not fit %u megapages of one gigapage",
              start, end, KMAP_IMAGE_TABLES);

    for (uint32_t m = 0; m < KMAP_ENTRIES; m++)
        kmap_kernel_giga[m] = kmap_pte(giga + m * KMAP_MEGAPAGE, KMAP_RW);
    for (uint32_t t = 0; t < tables; t++) {
        const uint64_t mega = first_mega + t * KMAP_MEGAPAGE;
        for (uint32_t p = 0; p < KMAP_ENTRIES; p++) {
            const uint64_t pa = mega + p * KMAP_PAGE;
            kmap_image[t][p] = kmap_pte(pa, kmap_image_rights(pa + KERNEL_VIRT_OFFSET));
        }
        kmap_kernel_giga[(mega - giga) / KMAP_MEGAPAGE] = kmap_table_pte(kmap_image[t]);
    }
    kmap_image_base = first_mega;
    kmap_image_tables = (uint32_t)tables;

    for (uint32_t g = 0; g < KERNEL_DIRECT_MAP_SIZE / KMAP_GIGAPAGE; g++)
        boot_root_pt[KMAP_DIRECT_FIRST + g] = kmap_pte(g * KMAP_GIGAPAGE, KMAP_RW);
    boot_root_pt[KMAP_DIRECT_FIRST + giga / KMAP_GIGAPAGE] = kmap_table_pte(kmap_kernel_giga);
    /* The identity gigapage was only for the jump to the high half. */
    boot_root_pt[giga / KMAP_GIGAPAGE] = 0;
    arch_sfence_vma_all();
    vs_set_kernel_root(virt_to_phys(boot_root_pt));
}

/* The image table entry for a kernel virtual address (inside the image's megapages). */
static uint64_t *kmap_image_pte(uint64_t va)
{
    const uint64_t off = virt_to_phys((const void *)(uintptr_t)va) - kmap_image_base;
    KASSERT(off < (uint64_t)kmap_image_tables * KMAP_MEGAPAGE);
    return &kmap_image[off / KMAP_MEGAPAGE][(off % KMAP_MEGAPAGE) / KMAP_PAGE];
}

static void kmap_set_range(const char *from, const char *to, uint64_t flags_or_zero)
{
    for (uint64_t va = (uint64_t)(uintptr_t)from; va < (uint64_t)(uintptr_t)to; va += KMAP_PAGE) {
        uint64_t *pte = kmap_image_pte(va);
        *pte = flags_or_zero ? kmap_pte(*pte >> 10 << 12, flags_or_zero) : 0;
    }
}

void kmap_release_boot(void)
{
    /* Writable first (boot's code is read-execute), then zeroed, so nothing of it is left
     * in memory either, then gone. */
    kmap_set_range(__boot_start, __boot_end, KMAP_RW);
    arch_sfence_vma_all();
    const size_t code = (size_t)(__boot_end - __boot_start);
    const size_t data = (size_t)(__boot_data_end - __boot_data_start);
    for (size_t off = 0; off < code; off += KMAP_PAGE)
        kmem_zero_page(virt_to_phys(__boot_start + off));
    for (size_t off = 0; off < data; off += KMAP_PAGE)
        kmem_zero_page(virt_to_phys(__boot_data_start + off));
    kmap_set_range(__boot_start, __boot_end, 0);
    kmap_set_range(__boot_data_start, __boot_data_end, 0);
    arch_sfence_vma_all();
    kprintf("boot: %lu KiB of code and data only boot uses (.boot.*) zeroed and unmapped\n",
            (unsigned long)(code + data) / 1024);
}
