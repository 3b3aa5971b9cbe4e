/* Starting the system: find the boot image behind the kernel, validate its manifest,
 * load it, and enter the first thread. (system.shutdown is core/panic.c's: it runs after
 * boot.) */
#include "arch/riscv64/csr.h"
#include "arch/riscv64/kmap.h"
#include "arch/riscv64/memlayout.h"
#include "arch/riscv64/platform.h"
#include "arch/riscv64/plic.h"
#include "boot/boot.h"
#include "core/console.h"
#include "core/invariants.h"
#include "boot/loader.h"
#include "boot/loader_check.h"
#include "boot/manifest.h"
#include "core/panic.h"
#include "boot/pmem.h"
#include "core/sched.h"

#include <anvaya/bootimage.h>

uint64_t boot_image_size(void)
{
    const struct bootimage_header *h = (const struct bootimage_header *)__kernel_end;
    if (h->magic != BOOTIMAGE_MAGIC)
        return 0;
    if (h->version != BOOTIMAGE_VERSION)
        panic("boot image: version %u, this kernel reads %u", h->version, BOOTIMAGE_VERSION);
    if (h->total_size < sizeof *h || h->total_size > BOOTIMAGE_MAX_SIZE)
        panic("boot image: size 0x%lx out of range", h->total_size);
    if (h->manifest_offset < sizeof *h || h->manifest_offset > h->total_size ||
        h->manifest_size > h->total_size - h->manifest_offset)
        panic("boot image: manifest outside the image");
    return h->total_size;
}

void boot_start_system(const struct dtb_inventory *inv, uint64_t image_size)
{
    if (image_size == 0) {
        kprintf("system: no boot image behind the kernel, shutting down\n");
        platform_shutdown();
    }
    const uint8_t *image = (const uint8_t *)__kernel_end;
    const struct bootimage_header *h = (const struct bootimage_header *)image;
    struct manifest_view view;
    enum manifest_error merr =
        manifest_open(&view, image + h->manifest_offset, (size_t)h->manifest_size);
    if (merr != MANIFEST_OK)
        panic("manifest: %s", view.message);
    /* Everything else the loader would trip over, before it creates anything: a bad
     * system stops here whole rather than half-built. */
    static struct loader_check_report check;
    static struct boot_plan plan;
    const struct loader_check_platform pf = {image, image_size, inv,
                                             pmem_boot_remaining() / PMEM_PAGE};
    if (!loader_check(&view, &pf, &plan, &check))
        panic("manifest: %s", check.message);
    kprintf("manifest: checked, the system needs %lu pages (%u for page tables), %lu free\n",
            check.pages_needed, check.pt_pages, pf.free_pages);

    kmap_protect_kernel();
    sched_init();
    /* Before the loader: binding an IRQ handler enables its line at the controller. */
    if (inv->plic.present)
        plic_init((uintptr_t)phys_to_virt(inv->plic.base), inv->plic_ndev);
    struct loader_stats st = {0};
    loader_load(&view, &plan, inv, &st);
    kprintf("loader: %u processes, %u objects, %u slots, %u mappings, %u threads, %lu KiB\n",
            st.processes, st.objects, st.slots, st.mappings, st.threads, st.pages_used * 4);
#ifdef ANV_DEBUG_CHECKS
    invariants_enabled = true;
    invariants_check_all();
#endif
    /* Every entry to U-mode relies on these (trap_entry.S never restores sstatus): sret
     * to user mode with interrupts on; the FPU stays off, so no thread has FP state. */
    csr_clear(sstatus, SSTATUS_SPP | SSTATUS_FS_MASK | SSTATUS_SUM);
    csr_set(sstatus, SSTATUS_SPIE);
}
