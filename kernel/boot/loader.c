/* The manifest loader. Every kernel object the system will ever have, every CSpace slot
 * and every initial mapping comes from here; after it returns nothing is allocated
 * except from pools. It builds what the boot plan (plan.h) says, which the pre-flight
 * computed and checked: sizes, pages, page tables, owners, entry points and budgets come
 * from the plan, and nothing here judges the manifest again. */
#include "boot/loader.h"
#include "boot/plan.h"

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

static struct kobj *loader_objects[PLAN_MAX_OBJECTS];
static uint8_t *boot_heap_cur;
static struct plan_heap boot_heap;
static uint64_t loader_pages;

/* Kernel object memory, carved from boot pages by the plan's own arithmetic (so the
 * pre-flight counted exactly these runs); never freed. */
static void *boot_alloc(uint64_t size)
{
    uint64_t run = plan_heap_take(&boot_heap, size);
    if (run != 0) {
        uint64_t pa = pmem_boot_alloc_pages((uint32_t)run);
        if (pa == 0)
            panic("loader: out of memory for kernel objects");
        loader_pages += run;
        boot_heap_cur = phys_to_virt(pa);
        for (uint64_t i = 0; i < run * ANV_PAGE_SIZE; i++)
            boot_heap_cur[i] = 0;
    }
    void *p = boot_heap_cur;
    boot_heap_cur += plan_heap_round(size);
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

/* Object `o` from its plan: the heap pieces plan_object_cost lists for its type, in that
 * order, and its own pages. Device frames were checked against the platform there. */
static struct kobj *loader_make_object(const struct manifest_object *o,
                                       const struct plan_object *po)
{
    void *piece[PLAN_PIECES] = {0};
    for (uint32_t k = 0; k < PLAN_PIECES; k++)
        if (po->piece[k] != 0)
            piece[k] = boot_alloc(po->piece[k]);
    switch (o->type) {
    case ANV_OBJ_CSPACE: {
        struct cspace *cs = piece[0];
        cspace_init(cs, piece[1], o->size);
        cs->hdr.flags |= KOBJ_PINNED;
        invariants_register_cspace(cs);
        return &cs->hdr;
    }
    case ANV_OBJ_THREAD: {
        struct thread *t = piece[0];
        thread_init(t, 0, 0, 0);
        t->hdr.flags |= KOBJ_PINNED;
        return &t->hdr;
    }
    case ANV_OBJ_ENDPOINT: {
        struct endpoint *ep = piece[0];
        ep_init(ep);
        return &ep->hdr;
    }
    case ANV_OBJ_NOTIFICATION: {
        struct notification *n = piece[0];
        ntfn_init(n);
        return &n->hdr;
    }
    case ANV_OBJ_FRAME: {
        struct frame *f = piece[0];
        kobj_init(&f->hdr, ANV_OBJ_FRAME);
        f->hdr.flags |= KOBJ_PINNED;
        f->pages = o->size;
        f->is_device = (o->flags & MANIFEST_OBJ_F_DEVICE) != 0;
        f->is_dma = (o->flags & MANIFEST_OBJ_F_DMA) != 0;
        f->paddr = f->is_device ? o->paddr : boot_pages(po->pages);
        return &f->hdr;
    }
    case ANV_OBJ_VSPACE: {
        struct vspace *vs = piece[0];
        if (vs_init(vs, &loader_pt_pool, 0) != ANV_OK)
            panic("loader: no page-table memory for an address space");
        return &vs->hdr;
    }
    case ANV_OBJ_POOL: {
        struct pool *p = piece[0];
        pool_init(p, boot_pages(po->pages), po->pages, po->pages, piece[1], piece[2]);
        return &p->hdr;
    }
    case ANV_OBJ_IRQ: {
        struct irq_handler *h = piece[0];
        kobj_init(&h->hdr, ANV_OBJ_IRQ);
        return &h->hdr;
    }
    case ANV_OBJ_AUDIT:
    case ANV_OBJ_CONSOLE:
    case ANV_OBJ_SYSCTL: {
        struct kobj *k = piece[0];
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

/* Load every segment of the ELF the plan found into fresh pages and map it. Writable
 * segments are also recorded in the process record, pointing at their bytes in the boot
 * image, so thread.restart can load them again (read-only and executable pages cannot
 * have changed). */
static void loader_load_elf(const struct plan_process *pp, struct vspace *vs, struct proc *proc,
                            const char *name)
{
    const uint8_t *elf = pp->elf;
    static struct elf_info info;
    /* The pre-flight inspected these very bytes: the segments are the ones it counted. */
    enum elf_status st = elf_inspect(elf, (size_t)pp->elf_size, &info);
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
        const char *l = ANV_RIGHT_LETTERS;
        kprintf(" %u=%s:%c%c%c%c", s, c->type < ANV_OBJ_COUNT ? type_names[c->type] : "?",
                (c->rights & ANV_RIGHT_READ) ? l[0] : '-', (c->rights & ANV_RIGHT_WRITE) ? l[1] : '-',
                (c->rights & ANV_RIGHT_EXEC) ? l[2] : '-', (c->rights & ANV_RIGHT_GRANT) ? l[3] : '-');
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

void loader_load(const struct manifest_view *m, const struct boot_plan *plan,
                 const struct dtb_inventory *inv, struct loader_stats *stats)
{
    uint32_t nobj = plan->object_count;
    {
        static uint64_t pt_bitmap[POOL_BITMAP_WORDS(PLAN_PT_POOL_MAX)];
        uint32_t pool_pages = plan->pt_pages ? plan->pt_pages : 1u; /* never empty */
        uint64_t pa = boot_pages(pool_pages);
        pool_init(&loader_pt_pool, pa, pool_pages, pool_pages, pt_bitmap, 0);
    }

    for (uint32_t i = 0; i < nobj; i++) {
        struct manifest_object o = {0};
        manifest_object(m, i, &o);
        loader_objects[i] = loader_make_object(&o, &plan->objects[i]);
    }
    /* IRQs once every notification exists (the pre-flight proved each names one). */
    for (uint32_t i = 0; i < nobj; i++) {
        struct manifest_object o = {0};
        manifest_object(m, i, &o);
        if (o.type != ANV_OBJ_IRQ)
            continue;
        if (irq_bind((struct irq_handler *)loader_objects[i], o.irq,
                     (struct notification *)loader_objects[o.notification], o.badge) != ANV_OK)
            panic("loader: irq %u cannot be bound", o.irq);
    }

    for (uint32_t p = 0; p < plan->process_count; p++) {
        struct manifest_process mp = {0};
        manifest_process(m, p, &mp);
        const char *name = manifest_string(m, mp.name);
        struct cspace *cs = (struct cspace *)loader_objects[mp.cspace_object];
        struct vspace *vs = (struct vspace *)loader_objects[mp.vspace_object];

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

        if (plan->processes[p].elf != NULL)
            loader_load_elf(&plan->processes[p], vs, proc, name);

        for (uint32_t k = mp.first_mapping; k < mp.first_mapping + mp.mapping_count; k++) {
            struct manifest_mapping mm = {0};
            manifest_mapping(m, k, &mm);
            const struct frame *f = (const struct frame *)loader_objects[mm.object];
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
            const struct plan_thread *pt = &plan->threads[k];
            struct thread *t = (struct thread *)loader_objects[mt.thread_object];
            const struct frame *buf = (const struct frame *)loader_objects[mt.ipcbuf_object];
            t->cspace = cs;
            t->vspace = vs;
            t->priority = (uint8_t)mt.priority;
            t->ipc_buffer = phys_to_virt(buf->paddr);
            t->ipc_buffer_vaddr = mt.ipcbuf_vaddr;
            const struct cap *fault = &cs->slots[ANV_SLOT_FAULT];
            t->fault_ep_slot = (ANV_SLOT_FAULT < cs->size && fault->obj) ? ANV_SLOT_FAULT : 0;
            t->fault_badge = t->hdr.id;
            if (sched_admit(t, pt->budget, pt->period) != ANV_OK)
                panic("loader: too many threads");
            /* Held threads are created whole but stopped: their controller starts them. */
            proc_start_thread(proc, t, &pt->start, (mt.flags & MANIFEST_THREAD_F_HELD) != 0);
            stats->threads++;
        }
        stats->processes++;
    }
    /* A VSpace no process uses keeps no pointer to the loader's pool (boot data): nothing
     * maps into it after boot. */
    for (uint32_t i = 0; i < nobj; i++)
        if (loader_objects[i]->type == ANV_OBJ_VSPACE && plan->objects[i].owner == PLAN_NONE)
            ((struct vspace *)loader_objects[i])->pt_pool = 0;
    /* What was built must be what was planned: a difference is a loader bug, and the
     * pre-flight's refusals would no longer be the whole truth. */
    if (loader_pages != plan->pages_needed)
        panic("loader: took %lu boot pages, the plan counted %lu", (unsigned long)loader_pages,
              (unsigned long)plan->pages_needed);
    if (loader_pt_pool.used_pages != plan->pt_pages)
        panic("loader: %u page-table pages in use, the plan counted %u",
              loader_pt_pool.used_pages, plan->pt_pages);
    stats->objects = nobj;
    stats->pages_used = loader_pages;
}
