/* kernel_main: from OpenSBI's hand-off to a running system. Reads the DTB inventory,
 * works out usable memory, checks the trap path and the timer, then starts the system. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/riscv64/csr.h"
#include "arch/riscv64/memlayout.h"
#include "arch/riscv64/platform.h"
#include "arch/riscv64/timer.h"
#include "arch/riscv64/trap.h"
#include "boot/boot.h"
#include "core/console.h"
#include "boot/dtb.h"
#include "core/panic.h"
#include "platform_defaults.h"
#include "boot/pmem.h"
#include "version.h"

static struct dtb_inventory boot_inventory;
static struct pmem_map boot_pmem;

static void boot_print_range(const char *what, uint64_t base, uint64_t size)
{
    kprintf("  %-10s [0x%010lx, 0x%010lx) %lu KiB\n", what, base, base + size, size / 1024);
}

static void boot_print_device(const char *what, const struct dtb_device *d)
{
    if (!d->present) {
        kprintf("  %-10s none\n", what);
        return;
    }
    kprintf("  %-10s %s (%s) reg 0x%lx+0x%lx irq %u\n", what, d->path, d->compatible, d->base,
            d->size, d->irq);
}

static void boot_print_inventory(const struct dtb_inventory *inv, uint64_t dtb_pa)
{
    kprintf("dtb: %u bytes at 0x%lx, model \"%s\"\n", inv->totalsize, dtb_pa, inv->model);
    for (uint32_t i = 0; i < inv->memory_count; i++)
        boot_print_range("memory", inv->memory[i].base, inv->memory[i].size);
    for (uint32_t i = 0; i < inv->rsvmap_count; i++)
        boot_print_range("memreserve", inv->rsvmap[i].base, inv->rsvmap[i].size);
    for (uint32_t i = 0; i < inv->reserved_count; i++)
        boot_print_range("reserved", inv->reserved[i].base, inv->reserved[i].size);
    kprintf("  cpus       %u, timebase %lu Hz, harts:", inv->cpu_count, inv->timebase_frequency);
    for (uint32_t i = 0; i < inv->cpu_count; i++)
        kprintf(" %u", inv->cpu_hartid[i]);
    kprintf("\n");
    boot_print_device("uart", &inv->uart);
    boot_print_device("plic", &inv->plic);
    if (inv->plic.present)
        kprintf("  plic-ndev  %u\n", inv->plic_ndev);
    boot_print_device("finisher", &inv->test);
    kprintf("  virtio     %u devices\n", inv->virtio_count);
    for (uint32_t i = 0; i < inv->virtio_count; i++)
        boot_print_device("virtio", &inv->virtio[i]);
}

/* Everything the kernel must not hand out: reservations, the DTB and the kernel itself. */
static void boot_memory(const struct dtb_inventory *inv, uint64_t dtb_pa, uint64_t image_size)
{
    struct pmem_range memory[DTB_MAX_MEMORY];
    struct pmem_range exclude[2 * DTB_MAX_RESERVED + 2];
    uint32_t nx = 0;
    for (uint32_t i = 0; i < inv->memory_count; i++) {
        memory[i].base = inv->memory[i].base;
        memory[i].size = inv->memory[i].size;
    }
    for (uint32_t i = 0; i < inv->rsvmap_count; i++) {
        exclude[nx].base = inv->rsvmap[i].base;
        exclude[nx++].size = inv->rsvmap[i].size;
    }
    for (uint32_t i = 0; i < inv->reserved_count; i++) {
        exclude[nx].base = inv->reserved[i].base;
        exclude[nx++].size = inv->reserved[i].size;
    }
    exclude[nx].base = dtb_pa;
    exclude[nx++].size = inv->totalsize;
    exclude[nx].base = virt_to_phys(__kernel_start);
    exclude[nx++].size = (uint64_t)(__kernel_end - __kernel_start) + image_size;
    enum pmem_status st = pmem_build(&boot_pmem, memory, inv->memory_count, exclude, nx);
    if (st != PMEM_OK)
        panic("memory map: %s", st == PMEM_E_TABLE_FULL ? "too many ranges" : "range overflow");
    boot_print_range("kernel", exclude[nx - 1].base, exclude[nx - 1].size - image_size);
    if (image_size)
        boot_print_range("image", exclude[nx - 1].base + exclude[nx - 1].size - image_size,
                         image_size);
    for (uint32_t i = 0; i < boot_pmem.count; i++)
        boot_print_range("usable", boot_pmem.usable[i].base, boot_pmem.usable[i].size);
    kprintf("  usable     %lu KiB in %u ranges\n", pmem_total(&boot_pmem) / 1024, boot_pmem.count);
    for (uint32_t i = 0; i < boot_pmem.count; i++)
        if (boot_pmem.usable[i].base + boot_pmem.usable[i].size > KERNEL_DIRECT_MAP_SIZE)
            panic("memory above the 4 GiB direct map is not supported");
    pmem_boot_init(&boot_pmem);
}

/* Whether the space-separated boot argument list contains `word` exactly. */
bool boot_has_arg(const char *args, const char *word)
{
    for (size_t i = 0; args[i] != '\0' && i < DTB_PATH_MAX; i++) {
        if (i > 0 && args[i - 1] != ' ')
            continue;
        size_t k = 0;
        while (word[k] != '\0' && args[i + k] == word[k])
            k++;
        if (word[k] == '\0' && (args[i + k] == ' ' || args[i + k] == '\0'))
            return true;
    }
    return false;
}

static void boot_check_timer(void)
{
    uint64_t start = timer_ticks();
    /* Idle with interrupts on until three ticks arrive through the kernel trap path. */
    for (uint32_t spins = 0; timer_ticks() < start + 3; spins++) {
        if (spins > 1000000u)
            panic("timer: no tick arrived");
        csr_set(sstatus, SSTATUS_SIE);
        arch_wfi();
        csr_clear(sstatus, SSTATUS_SIE);
    }
    kprintf("timer: %lu ticks at %u Hz (%lu timebase cycles each)\n", timer_ticks() - start,
            (unsigned)TIMER_HZ, timer_period_cycles());
}

void kernel_main(uint64_t hartid, uint64_t dtb_pa)
{
    trap_init();
    kprintf("\nAnvaya Nucleus %s (%s) on hart %lu\n", ANVAYA_VERSION, ANVAYA_BUILD_KIND, hartid);

    if (dtb_pa == 0 || dtb_pa >= KERNEL_DIRECT_MAP_SIZE)
        panic("dtb: no device tree from firmware (a1=0x%lx)", dtb_pa);
    struct dtb_error err;
    enum dtb_status st = dtb_parse(phys_to_virt(dtb_pa), DTB_MAX_SIZE, &boot_inventory, &err);
    if (st != DTB_OK) {
        platform_set_finisher((uintptr_t)phys_to_virt(PLATFORM_FINISHER_FALLBACK_PA));
        panic("dtb: %s at offset 0x%x", dtb_strerror(st), err.offset);
    }
    const struct dtb_inventory *inv = &boot_inventory;
    if (inv->test.present)
        platform_set_finisher((uintptr_t)phys_to_virt(inv->test.base));
    if (inv->uart.present)
        console_use_uart((uintptr_t)phys_to_virt(inv->uart.base));
    if (inv->timebase_frequency == 0)
        panic("dtb: /cpus has no timebase-frequency");

    boot_print_inventory(inv, dtb_pa);
    uint64_t image_size = boot_image_size();
    boot_memory(inv, dtb_pa, image_size);

    if (inv->bootargs[0])
        kprintf("bootargs: %s\n", inv->bootargs);
    /* A deliberate kernel fault, so tests can watch the panic path end QEMU. */
    if (boot_has_arg(inv->bootargs, "anvaya.selftest=panic"))
        (void)*(volatile uint64_t *)(uintptr_t)0xFFFFFFFFDEAD0000ull;

    int bad = trap_selftest();
    if (bad != 0)
        panic("trap: register round trip failed (%d mismatches)", bad);
    kprintf("trap: register round trip ok\n");

    timer_init(inv->timebase_frequency);
    boot_check_timer();

    boot_start_system(inv, image_size);
}
