/* The manifest loader. Every kernel object the system will ever have, every CSpace slot
 * and every initial mapping comes from here; after it returns nothing is allocated
 * except from pools. The manifest decoder already proved indices and ranges valid. */
#include "boot/loader.h"
#include "boot/loader_check.h"

#include "arch/riscv64/memlayout.h"
#include "boot/boot.h"
#include "core/console.h"
#include "object/cspace.h"
#include "boot/elf.h"
#include "object/endpoint.h"
#include "core/invariants.h"
#include "object/irq.h"
#include "core/kmem.h"
#include "lib/mem.h"
#include "object/notification.h"
#include "core/panic.h"
#include "boot/pmem.h"
#include "object/pool.h"
#include "object/process.h"
#include "core/sched.h"
#include "object/thread.h"
#include "object/vspace.h"

#define LOADER_MAX_OBJECTS LOADER_CHECK_MAX_OBJECTS

static struct kobj *loader_objects[LOADER_MAX_OBJECTS];
static uint8_t *boot_heap_cur;
static uint64_t boot_heap_left;
static uint64_t loader_pages;

/* Kernel object memory, carved from boot pages; never freed. */
static void *boot_alloc(uint64_t size)
{
    size = (size + 15) & ~(uint64_t)15;
    if (size > boot_heap_left) {
        uint32_t pages = (uint32_t)((size + ANV_PAGE_SIZE - 1) / ANV_PAGE_SIZE);
        uint64_t pa = pmem_boot_alloc_pages(pages);
        if (pa == 0)
            panic("loader: out of memory for kernel objects");
        loader_pages += pages;
        boot_heap_cur = phys_to_virt(pa);
        boot_heap_left = (uint64_t)pages * ANV_PAGE_SIZE;
        for (uint64_t i = 0; i < boot_heap_left; i++)
            boot_heap_cur[i] = 0;
    }
    void *p = boot_heap_cur;
    boot_heap_cur += size;
    boot_heap_left -= size;
    return p;
}

static uint64_t boot_pages(uint32_t pages)
{
    uint64_t pa = pmem_boot_alloc_pages(pages);
    if (pa == 0)
        panic("loader: out of memory (%u pages)", pages);
    loader_pages += pages;
    for (uint32_t i = 0; i < pages; i++)
        kmem_zero_page(pa + (uint64_t)i * ANV_PAGE_SIZE);
    return pa;
}

static struct pool loader_pt_pool;
static const struct dtb_inventory *loader_inv;

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Device frames reach physical memory directly: they must not name RAM (which holds the
 * kernel and every other process) nor the interrupt controller the kernel drives. */
static void loader_check_device(const struct manifest_object *o, uint64_t bytes)
{
    for (uint32_t i = 0; i < loader_inv->memory_count; i++)
        if (ranges_overlap(o->paddr, bytes, loader_inv->memory[i].base,
                           loader_inv->memory[i].size))
            panic("loader: device frame at 0x%lx overlaps RAM", o->paddr);
    if (loader_inv->plic.present &&
        ranges_overlap(o->paddr, bytes, loader_inv->plic.base, loader_inv->plic.size))
        panic("loader: device frame at 0x%lx overlaps the interrupt controller", o->paddr);
}

static struct kobj *loader_make_object(const struct manifest_object *o)
{
    switch (o->type) {
    case ANV_OBJ_CSPACE: {
        struct cspace *cs = boot_alloc(sizeof *cs);
        struct cap *slots = boot_alloc((uint64_t)o->size * sizeof(struct cap));
        cspace_init(cs, slots, o->size);
        cs->hdr.flags |= KOBJ_PINNED;
        invariants_register_cspace(cs);
        return &cs->hdr;
    }
    case ANV_OBJ_THREAD: {
        struct thread *t = boot_alloc(sizeof *t);
        thread_init(t, 0, 0, 0);
        t->hdr.flags |= KOBJ_PINNED;
        return &t->hdr;
    }
    case ANV_OBJ_ENDPOINT: {
        struct endpoint *ep = boot_alloc(sizeof *ep);
        ep_init(ep);
        return &ep->hdr;
    }
    case ANV_OBJ_NOTIFICATION: {
        struct notification *n = boot_alloc(sizeof *n);
        ntfn_init(n);
        return &n->hdr;
    }
    case ANV_OBJ_FRAME: {
        struct frame *f = boot_alloc(sizeof *f);
        kobj_init(&f->hdr, ANV_OBJ_FRAME);
        f->hdr.flags |= KOBJ_PINNED;
        f->pages = o->size ? o->size : 1;
        f->is_device = (o->flags & MANIFEST_OBJ_F_DEVICE) != 0;
        f->is_dma = (o->flags & MANIFEST_OBJ_F_DMA) != 0;
        if (f->is_device)
            loader_check_device(o, (uint64_t)f->pages * ANV_PAGE_SIZE);
        f->paddr = f->is_device ? o->paddr : boot_pages(f->pages);
        return &f->hdr;
    }
    case ANV_OBJ_VSPACE: {
        struct vspace *vs = boot_alloc(sizeof *vs);
        if (vs_init(vs, &loader_pt_pool, 0) != ANV_OK)
            panic("loader: no page-table memory for an address space");
        return &vs->hdr;
    }
    case ANV_OBJ_POOL: {
        struct pool *p = boot_alloc(sizeof *p);
        uint32_t pages = o->size;
        uint64_t *bitmap = boot_alloc((uint64_t)POOL_BITMAP_WORDS(pages) * 8);
        struct frame *meta = boot_alloc((uint64_t)pages * sizeof(struct frame));
        pool_init(p, boot_pages(pages), pages, pages, bitmap, meta);
        return &p->hdr;
    }
    case ANV_OBJ_IRQ: {
        struct irq_handler *h = boot_alloc(sizeof *h);
        kobj_init(&h->hdr, ANV_OBJ_IRQ);
        return &h->hdr;
    }
    case ANV_OBJ_AUDIT:
    case ANV_OBJ_CONSOLE:
    case ANV_OBJ_SYSCTL: {
        struct kobj *k = boot_alloc(sizeof *k);
        kobj_init(k, (uint8_t)o->type);
        k->flags |= KOBJ_PINNED;
        return k;
    }
    default:
        panic("loader: object type %u cannot be created from a manifest", o->type);
    }
}

static void loader_map_pages(struct vspace *vs, uint64_t vaddr, uint64_t paddr, uint32_t pages,
                             uint32_t rights, const char *what)
{
    for (uint32_t i = 0; i < pages; i++) {
        uint64_t va = vaddr + (uint64_t)i * ANV_PAGE_SIZE;
        int err = vs_map_check(vs, va, rights);
        if (err != ANV_OK)
            panic("loader: cannot map %s at 0x%lx (error %d)", what, va, err);
        vs_map(vs, va, paddr + (uint64_t)i * ANV_PAGE_SIZE, rights);
    }
}

/* Load every segment into fresh pages and map it. Writable segments are also recorded
 * in the process record, pointing at their bytes in the boot image, so thread.restart can
 * load them again (read-only and executable pages cannot have changed). */
static uint64_t loader_load_elf(const struct manifest_image *img, const uint8_t *image,
                                uint64_t image_size, struct vspace *vs, struct proc *proc,
                                const char *name)
{
    if (img->size == 0 || img->offset > image_size || img->size > image_size - img->offset)
        panic("loader: image of %s is missing from the boot image", name);
    const uint8_t *elf = image + img->offset;
    struct elf_info info;
    enum elf_status st = elf_inspect(elf, (size_t)img->size, &info);
    if (st != ELF_OK)
        panic("loader: ELF of %s: %s", name, elf_strerror(st));
    for (uint32_t s = 0; s < info.segment_count; s++) {
        const struct elf_segment *seg = &info.segments[s];
        struct proc_segment ps = {
            .pages = (uint32_t)(seg->mem_size / ANV_PAGE_SIZE),
            .offset = seg->seg_vaddr - seg->vaddr,
            .file = elf + seg->file_off,
            .file_size = seg->file_size,
        };
        ps.paddr = boot_pages(ps.pages);
        proc_segment_fill(&ps);
        if ((seg->rights & ANV_RIGHT_WRITE) && proc_add_segment(proc, &ps) != ANV_OK)
            panic("loader: %s has more writable segments than a process record keeps", name);
        loader_map_pages(vs, seg->vaddr, ps.paddr, ps.pages, seg->rights, name);
    }
    return info.entry;
}

/* Budgets and periods are charged in clock units (the `time` CSR's rate, from the DTB). */
static uint64_t clock_units_of(uint32_t us)
{
    uint64_t hz = loader_inv->timebase_frequency;
    uint64_t units = (uint64_t)us * hz / 1000000u;
    return us != 0 && units == 0 ? 1 : units;
}

/* With the boot argument anvaya.report=cspace: what the loader put in a process's CSpace,
 * in the form processes report it themselves (anvaya/report.h) and the QEMU tests compare
 * with the generated CSpace manifest. */
static void loader_report_cspace(const char *name, const struct cspace *cs)
{
    static const char *const type_names[ANV_OBJ_COUNT] = ANV_OBJ_NAMES;
    uint32_t on_line = 0;
    for (uint32_t s = 1; s < cs->size; s++) {
        const struct cap *c = &cs->slots[s];
        if (c->obj == 0)
            continue;
        if (on_line == 0)
            kprintf("cspace %s:", name);
        kprintf(" %u=%s:%c%c%c%c", s, c->type < ANV_OBJ_COUNT ? type_names[c->type] : "?",
                (c->rights & ANV_RIGHT_READ) ? 'r' : '-', (c->rights & ANV_RIGHT_WRITE) ? 'w' : '-',
                (c->rights & ANV_RIGHT_EXEC) ? 'x' : '-', (c->rights & ANV_RIGHT_GRANT) ? 'g' : '-');
        if (c->badge != 0)
            kprintf(":0x%lx", (unsigned long)c->badge);
        if (++on_line == 8) {
            kprintf("\n");
            on_line = 0;
        }
    }
    if (on_line != 0)
        kprintf("\n");
}

void loader_load(const struct manifest_view *m, const uint8_t *image, uint64_t image_size,
                 const struct dtb_inventory *inv, uint32_t pt_pages, struct loader_stats *stats)
{
    loader_inv = inv;
    uint32_t nobj = manifest_count(m, MANIFEST_T_OBJECT);
    if (nobj > LOADER_MAX_OBJECTS)
        panic("loader: %u objects, at most %u supported", nobj, LOADER_MAX_OBJECTS);
    {
        static uint64_t pt_bitmap[POOL_BITMAP_WORDS(LOADER_CHECK_PT_POOL_MAX)];
        if (pt_pages > LOADER_CHECK_PT_POOL_MAX)
            panic("loader: a page-table pool of %u pages, at most %u", pt_pages,
                  LOADER_CHECK_PT_POOL_MAX);
        uint32_t pool_pages = pt_pages ? pt_pages : 1u; /* a pool is never empty */
        uint64_t pa = boot_pages(pool_pages);
        pool_init(&loader_pt_pool, pa, pool_pages, pool_pages, pt_bitmap, 0);
    }

    for (uint32_t i = 0; i < nobj; i++) {
        struct manifest_object o = {0};
        manifest_object(m, i, &o);
        loader_objects[i] = loader_make_object(&o);
    }
    /* IRQs once every notification exists. */
    for (uint32_t i = 0; i < nobj; i++) {
        struct manifest_object o = {0};
        manifest_object(m, i, &o);
        if (o.type != ANV_OBJ_IRQ)
            continue;
        if (o.notification == MANIFEST_NONE ||
            loader_objects[o.notification]->type != ANV_OBJ_NOTIFICATION)
            panic("loader: irq %u has no notification", o.irq);
        if (irq_bind((struct irq_handler *)loader_objects[i], o.irq,
                     (struct notification *)loader_objects[o.notification], o.badge) != ANV_OK)
            panic("loader: irq %u cannot be bound", o.irq);
    }

    uint32_t nproc = manifest_count(m, MANIFEST_T_PROCESS);
    for (uint32_t p = 0; p < nproc; p++) {
        struct manifest_process mp = {0};
        manifest_process(m, p, &mp);
        const char *name = manifest_string(m, mp.name);
        struct cspace *cs = (struct cspace *)loader_objects[mp.cspace_object];
        struct vspace *vs = (struct vspace *)loader_objects[mp.vspace_object];
        if (cs->hdr.type != ANV_OBJ_CSPACE || vs->hdr.type != ANV_OBJ_VSPACE)
            panic("loader: process %s lacks a CSpace or address space", name);

        uint32_t manifest_top = 0;
        for (uint32_t s = mp.first_slot; s < mp.first_slot + mp.slot_count; s++) {
            struct manifest_slot ms = {0};
            manifest_slot(m, s, &ms);
            struct cap *dst;
            if (cspace_empty_slot(cs, ms.slot, &dst) != ANV_OK)
                panic("loader: %s slot %u out of range or filled twice", name, ms.slot);
            struct kobj *obj = loader_objects[ms.object];
            cap_install(dst, obj, obj->type, ms.rights, ms.badge, 0);
            dst->placed = 1;
            if (ms.slot > manifest_top)
                manifest_top = ms.slot;
            stats->slots++;
        }
        /* Run-time capabilities never land in a slot the manifest placed or reserves. */
        cspace_set_first_dynamic(cs, manifest_top);
        if (boot_has_arg(inv->bootargs, "anvaya.report=cspace"))
            loader_report_cspace(name, cs);
        /* The record thread.restart uses to put the process back as it is now. */
        struct proc *proc = boot_alloc(sizeof *proc);
        proc_init(proc, cs, manifest_top);

        uint64_t entry = 0;
        if (mp.image != MANIFEST_NONE) {
            struct manifest_image img = {0};
            manifest_image(m, mp.image, &img);
            entry = loader_load_elf(&img, image, image_size, vs, proc, name);
        }

        for (uint32_t k = mp.first_mapping; k < mp.first_mapping + mp.mapping_count; k++) {
            struct manifest_mapping mm = {0};
            manifest_mapping(m, k, &mm);
            struct frame *f = (struct frame *)loader_objects[mm.object];
            if (f->hdr.type != ANV_OBJ_FRAME || mm.pages > f->pages)
                panic("loader: %s mapping %u is not a frame range", name, k);
            loader_map_pages(vs, mm.vaddr, f->paddr, mm.pages, mm.rights, name);
            stats->mappings++;
        }

        /* Page tables for later mem.map calls come from the process's own pool. */
        const struct cap *pool_cap = &cs->slots[ANV_SLOT_POOL];
        vs->pt_pool = (ANV_SLOT_POOL < cs->size && pool_cap->obj && pool_cap->type == ANV_OBJ_POOL)
                          ? (struct pool *)pool_cap->obj
                          : 0;

        for (uint32_t k = mp.first_thread; k < mp.first_thread + mp.thread_count; k++) {
            struct manifest_thread mt = {0};
            manifest_thread(m, k, &mt);
            struct thread *t = (struct thread *)loader_objects[mt.thread_object];
            struct frame *buf = (struct frame *)loader_objects[mt.ipcbuf_object];
            if (t->hdr.type != ANV_OBJ_THREAD || buf->hdr.type != ANV_OBJ_FRAME)
                panic("loader: %s thread %u is malformed", name, k);
            if (t->proc != 0)
                panic("loader: %s thread %u is already a thread of a process", name, k);
            t->cspace = cs;
            t->vspace = vs;
            t->priority = (uint8_t)mt.priority;
            t->ipc_buffer = phys_to_virt(buf->paddr);
            t->ipc_buffer_vaddr = mt.ipcbuf_vaddr;
            const struct thread_start start = {
                .pc = mt.entry ? mt.entry : entry,
                .sp = mt.stack_top,
                .tp = mt.ipcbuf_vaddr,
                .a0 = cs->size,
                .a1 = k - mp.first_thread, /* its index in the process */
            };
            const struct cap *fault = &cs->slots[ANV_SLOT_FAULT];
            t->fault_ep_slot = (ANV_SLOT_FAULT < cs->size && fault->obj) ? ANV_SLOT_FAULT : 0;
            t->fault_badge = t->hdr.id;
            uint64_t budget =
                (mt.flags & MANIFEST_THREAD_F_PASSIVE) ? 0 : clock_units_of(mt.budget_us);
            uint64_t period = budget ? clock_units_of(mt.period_us) : 0;
            /* A budget of the whole period is no limit: do not account it at all. */
            if (budget >= period)
                budget = period = 0;
            if (sched_admit(t, budget, period) != ANV_OK)
                panic("loader: too many threads");
            if (start.pc == 0)
                panic("loader: %s thread %u has no entry point", name, k);
            /* Held threads are created whole but stopped: their controller starts them. */
            proc_start_thread(proc, t, &start, (mt.flags & MANIFEST_THREAD_F_HELD) != 0);
            stats->threads++;
        }
        stats->processes++;
    }
    stats->objects = nobj;
    stats->pages_used = loader_pages;
}
