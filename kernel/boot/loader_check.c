/* The boot pre-flight (loader_check.h). The decoder proved every index, count and range
 * of the manifest; this fills the boot plan (plan.h) and proves the system can be built
 * from it: each ELF is in the boot image and valid, no capability or mapping is wider
 * than its object allows, no two mappings of an address space overlap, device frames
 * name neither RAM nor the interrupt controller, and the memory, page tables, objects
 * and threads fit. It reads the manifest only; loader_load builds from the plan after it.
 * Plain C over the decoded view, so the host fuzzers run it too. Every loop is bounded by
 * a manifest count the decoder capped (MANIFEST_MAX_*) or by the plan's fixed limits. */
#include "boot/loader_check.h"

#include <stdarg.h>

#include "boot/elf.h"
#include "object/irq.h"
#include "object/process.h"

#define RIGHTS_RW (ANV_RIGHT_READ | ANV_RIGHT_WRITE)
#define LC_PAGE ((uint64_t)ANV_PAGE_SIZE)
#define LC_NONE PLAN_NONE

static const char *const lc_data_what[] = {
    "", "a device frame", "an IPC buffer", "a thread's stack", "a process's heap",
};

/* Scratch for one check; static because the kernel stack is small and boot runs once. */
static struct plan_range lc_ranges[PLAN_MAX_RANGES];
static struct elf_info lc_elf;

static bool lc_fail(struct loader_check_report *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool lc_fail(struct loader_check_report *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    manifest_vformat(out->message, sizeof out->message, fmt, ap);
    va_end(ap);
    return false;
}

/* Rights as letters, "rw" or "-" for none, in a caller's 5-byte buffer. */
static const char *lc_rights(uint32_t r, char buf[5])
{
    static const char letters[] = ANV_RIGHT_LETTERS;
    uint32_t n = 0;
    for (uint32_t k = 0; k < 4; k++)
        if (r & (1u << k))
            buf[n++] = letters[k];
    if (n == 0)
        buf[n++] = '-';
    buf[n] = '\0';
    return buf;
}

/* The widest rights a capability to an object of this type can carry: the rights that
 * mean something for the type (RFC 0010 §5), plus READ on the CSpace, thread and VSpace
 * capabilities every process is given as r/w. Frames are narrowed further by lc_data. */
static uint32_t lc_type_max(uint32_t type)
{
    switch (type) {
    case ANV_OBJ_ENDPOINT:
        return RIGHTS_RW | ANV_RIGHT_GRANT;
    case ANV_OBJ_FRAME:
        /* Never executable (W^X across mappings, RFC 0010): code comes only from ELF
         * segments, which no capability names. */
        return RIGHTS_RW;
    case ANV_OBJ_CSPACE:
    case ANV_OBJ_THREAD:
    case ANV_OBJ_VSPACE:
    case ANV_OBJ_NOTIFICATION:
        return RIGHTS_RW;
    case ANV_OBJ_POOL:    /* frame_alloc */
    case ANV_OBJ_IRQ:     /* ack */
    case ANV_OBJ_CONSOLE: /* write */
    case ANV_OBJ_SYSCTL:  /* shutdown */
        return ANV_RIGHT_WRITE;
    case ANV_OBJ_AUDIT:
        return ANV_RIGHT_READ; /* read */
    default:
        return 0;
    }
}

static uint32_t lc_object_max(const struct boot_plan *plan, const struct manifest_object *o,
                              uint32_t index)
{
    uint32_t max = lc_type_max(o->type);
    if (o->type == ANV_OBJ_FRAME && plan->objects[index].data != PLAN_DATA_NONE)
        max &= ~ANV_RIGHT_EXEC;
    return max;
}

static bool lc_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Capacity of the loader's fixed tables and of the scheduler. */
static bool lc_capacity(const struct manifest_view *m, struct boot_plan *plan,
                        struct loader_check_report *out)
{
    uint32_t nobj = manifest_count(m, MANIFEST_T_OBJECT);
    uint32_t nproc = manifest_count(m, MANIFEST_T_PROCESS);
    uint32_t nthr = manifest_count(m, MANIFEST_T_THREAD);
    if (nobj > PLAN_MAX_OBJECTS)
        return lc_fail(out, "table 1 (objects): count %u over the loader's limit %u", nobj,
                       PLAN_MAX_OBJECTS);
    if (nthr > SCHED_MAX_THREADS)
        return lc_fail(out, "table 4 (threads): count %u over the scheduler's limit %u", nthr,
                       (unsigned)SCHED_MAX_THREADS);
    /* Each process owns two objects (lc_ownership), so this only ever names a system the
     * ownership check would refuse anyway. */
    if (nproc > PLAN_MAX_PROCESSES)
        return lc_fail(out, "table 0 (processes): count %u over the loader's limit %u", nproc,
                       PLAN_MAX_PROCESSES);
    plan->object_count = nobj;
    plan->process_count = nproc;
    plan->thread_count = nthr;
    return true;
}

/* Device frames against the platform, IRQ objects against the interrupt controller. */
static bool lc_objects(const struct manifest_view *m, const struct loader_check_platform *pf,
                       struct boot_plan *plan, struct loader_check_report *out)
{
    static uint32_t irq_owner[ANV_IRQ_MAX];
    const struct dtb_inventory *inv = pf->inv;
    struct manifest_object o = {0};
    for (uint32_t q = 0; q < ANV_IRQ_MAX; q++)
        irq_owner[q] = LC_NONE;
    for (uint32_t i = 0; manifest_object(m, i, &o); i++) {
        const char *name = manifest_string(m, o.name);
        struct plan_object *po = &plan->objects[i];
        plan_object_cost(&o, po);
        po->owner = LC_NONE;
        po->data = PLAN_DATA_NONE;
        if (o.type == ANV_OBJ_FRAME && (o.flags & MANIFEST_OBJ_F_DEVICE)) {
            uint64_t bytes = (uint64_t)o.size * LC_PAGE;
            po->data = PLAN_DATA_DEVICE;
            /* A device frame reaches physical memory directly: RAM holds the kernel and
             * every other process, and the interrupt controller is the kernel's. */
            for (uint32_t r = 0; r < inv->memory_count && r < DTB_MAX_MEMORY; r++)
                if (lc_overlap(o.paddr, bytes, inv->memory[r].base, inv->memory[r].size))
                    return lc_fail(out,
                                   "object %u (\"%s\"): paddr [0x%lx, 0x%lx) overlaps RAM "
                                   "[0x%lx, 0x%lx)",
                                   i, name, (unsigned long)o.paddr,
                                   (unsigned long)(o.paddr + bytes),
                                   (unsigned long)inv->memory[r].base,
                                   (unsigned long)(inv->memory[r].base + inv->memory[r].size));
            if (inv->plic.present && lc_overlap(o.paddr, bytes, inv->plic.base, inv->plic.size))
                return lc_fail(out,
                               "object %u (\"%s\"): paddr [0x%lx, 0x%lx) overlaps the "
                               "interrupt controller [0x%lx, 0x%lx)",
                               i, name, (unsigned long)o.paddr, (unsigned long)(o.paddr + bytes),
                               (unsigned long)inv->plic.base,
                               (unsigned long)(inv->plic.base + inv->plic.size));
        }
        if (o.type != ANV_OBJ_IRQ)
            continue;
        /* The loader binds each IRQ object once every notification exists: all of this
         * would otherwise fail half-way through building. */
        if (o.notification == MANIFEST_NONE)
            return lc_fail(out, "object %u (\"%s\"): notification none: an irq must signal one", i,
                           name);
        if (o.irq == 0 || o.irq >= ANV_IRQ_MAX)
            return lc_fail(out, "object %u (\"%s\"): irq %u outside 1..%u", i, name, o.irq,
                           (unsigned)ANV_IRQ_MAX - 1);
        if (!inv->plic.present)
            return lc_fail(out,
                           "object %u (\"%s\"): irq %u, but the platform has no interrupt "
                           "controller",
                           i, name, o.irq);
        if (o.irq > inv->plic_ndev)
            return lc_fail(out, "object %u (\"%s\"): irq %u above the controller's %u sources", i,
                           name, o.irq, inv->plic_ndev);
        if (irq_owner[o.irq] != LC_NONE)
            return lc_fail(out, "object %u (\"%s\"): irq %u already bound by object %u", i, name,
                           o.irq, irq_owner[o.irq]);
        irq_owner[o.irq] = i;
    }
    return true;
}

/* Claim object `obj` for `user`; false when another record already uses it. */
static bool lc_claim(struct boot_plan *plan, uint32_t obj, uint32_t user, uint32_t *previous)
{
    uint32_t *owner = &plan->objects[obj].owner;
    *previous = *owner;
    if (*owner != LC_NONE && *owner != user)
        return false;
    *owner = user;
    return true;
}

/* Each CSpace and VSpace is one process's, each thread object one thread record's: the
 * loader fills them per record and would otherwise fill one twice. */
static bool lc_ownership(const struct manifest_view *m, struct boot_plan *plan,
                         struct loader_check_report *out)
{
    struct manifest_process p = {0};
    struct manifest_thread t = {0};
    uint32_t prev = 0;
    for (uint32_t i = 0; manifest_process(m, i, &p); i++) {
        const char *name = manifest_string(m, p.name);
        if (!lc_claim(plan, p.cspace_object, i, &prev))
            return lc_fail(out,
                           "process %u (\"%s\"): cspace_object %u is already the CSpace of "
                           "process %u",
                           i, name, p.cspace_object, prev);
        if (!lc_claim(plan, p.vspace_object, i, &prev))
            return lc_fail(out,
                           "process %u (\"%s\"): vspace_object %u is already the address "
                           "space of process %u",
                           i, name, p.vspace_object, prev);
    }
    for (uint32_t i = 0; manifest_thread(m, i, &t); i++) {
        manifest_process(m, t.process, &p);
        if (!lc_claim(plan, t.thread_object, i, &prev))
            return lc_fail(out, "thread %u (process \"%s\"): thread_object %u is already thread %u",
                           i, manifest_string(m, p.name), t.thread_object, prev);
    }
    return true;
}

/* The mapping of process `p` that covers `vaddr`, or LC_NONE. */
static uint32_t lc_mapping_at(const struct manifest_view *m, const struct manifest_process *p,
                              uint64_t vaddr, struct manifest_mapping *found)
{
    for (uint32_t k = 0; k < p->mapping_count; k++) {
        uint32_t i = p->first_mapping + k;
        manifest_mapping(m, i, found);
        if (vaddr >= found->vaddr && vaddr - found->vaddr < (uint64_t)found->pages * LC_PAGE)
            return i;
    }
    return LC_NONE;
}

/* IPC buffers, stacks and heaps hold data: never executable, whoever maps them. */
static void lc_mark_data(const struct manifest_view *m, struct boot_plan *plan)
{
    struct plan_object *po = plan->objects;
    struct manifest_process p = {0};
    struct manifest_thread t = {0};
    struct manifest_mapping mm = {0};
    for (uint32_t i = 0; manifest_thread(m, i, &t); i++) {
        if (po[t.ipcbuf_object].data == PLAN_DATA_NONE)
            po[t.ipcbuf_object].data = PLAN_DATA_IPCBUF;
        manifest_process(m, t.process, &p);
        if (lc_mapping_at(m, &p, t.stack_top - 1, &mm) != LC_NONE &&
            po[mm.object].data == PLAN_DATA_NONE)
            po[mm.object].data = PLAN_DATA_STACK;
    }
    for (uint32_t i = 0; manifest_process(m, i, &p); i++)
        if (p.heap_size && lc_mapping_at(m, &p, p.heap_base, &mm) != LC_NONE &&
            po[mm.object].data == PLAN_DATA_NONE)
            po[mm.object].data = PLAN_DATA_HEAP;
}

/* Slot rights within what the object allows. */
static bool lc_slots(const struct manifest_view *m, const struct boot_plan *plan,
                     struct loader_check_report *out)
{
    struct manifest_slot s = {0};
    struct manifest_object o = {0};
    struct manifest_process p = {0};
    char have[5], max[5];
    for (uint32_t i = 0; manifest_slot(m, i, &s); i++) {
        manifest_object(m, s.object, &o);
        uint32_t allowed = lc_object_max(plan, &o, s.object);
        uint8_t data = plan->objects[s.object].data;
        if (!(s.rights & ~allowed))
            continue;
        manifest_process(m, s.process, &p);
        const char *pname = manifest_string(m, p.name);
        if (o.type == ANV_OBJ_FRAME && data != PLAN_DATA_NONE)
            return lc_fail(out,
                           "slot %u (process \"%s\", slot %u): rights 0x%x (%s) give x on "
                           "object %u (\"%s\"), %s, never executable",
                           i, pname, s.slot, s.rights, lc_rights(s.rights, have), s.object,
                           manifest_string(m, o.name), lc_data_what[data]);
        return lc_fail(out,
                       "slot %u (process \"%s\", slot %u): rights 0x%x (%s) wider than a %s "
                       "allows (%s)",
                       i, pname, s.slot, s.rights, lc_rights(s.rights, have),
                       manifest_type_name(o.type), lc_rights(allowed, max));
    }
    return true;
}

/* The process's ELF image: present in the boot image and valid. Fills lc_elf (no
 * segments without an image) and the process's plan. */
static bool lc_image(const struct manifest_view *m, const struct loader_check_platform *pf,
                     uint32_t pi, const struct manifest_process *p, struct plan_process *pp,
                     struct loader_check_report *out)
{
    struct manifest_image img = {0};
    lc_elf.segment_count = 0;
    lc_elf.entry = 0;
    pp->elf = NULL;
    pp->elf_size = 0;
    pp->elf_pages = 0;
    if (p->image == MANIFEST_NONE)
        return true;
    manifest_image(m, p->image, &img);
    const char *iname = manifest_string(m, img.name);
    if (img.size == 0)
        return lc_fail(out,
                       "image %u (\"%s\"): size 0: no ELF packed into the boot image for "
                       "process %u",
                       p->image, iname, pi);
    if (img.offset > pf->image_size || img.size > pf->image_size - img.offset)
        return lc_fail(out,
                       "image %u (\"%s\"): offset 0x%lx + size 0x%lx outside the boot image "
                       "(0x%lx bytes)",
                       p->image, iname, (unsigned long)img.offset, (unsigned long)img.size,
                       (unsigned long)pf->image_size);
    enum elf_status st = elf_inspect(pf->image + img.offset, (size_t)img.size, &lc_elf);
    if (st != ELF_OK)
        return lc_fail(out, "image %u (\"%s\"): ELF at offset 0x%lx (0x%lx bytes): %s", p->image,
                       iname, (unsigned long)img.offset, (unsigned long)img.size, elf_strerror(st));
    if (img.entry != 0 && img.entry != lc_elf.entry)
        return lc_fail(out, "image %u (\"%s\"): entry 0x%lx, but the ELF's entry is 0x%lx",
                       p->image, iname, (unsigned long)img.entry, (unsigned long)lc_elf.entry);
    pp->elf = pf->image + img.offset;
    pp->elf_size = img.size;
    for (uint32_t s = 0; s < lc_elf.segment_count; s++)
        pp->elf_pages += lc_elf.segments[s].mem_size / LC_PAGE;
    return true;
}

/* Union of the rights process `pi` holds on object `obj` through its own slots. */
static uint32_t lc_slot_rights(const struct manifest_view *m, const struct manifest_process *p,
                               uint32_t obj, uint32_t *slot_count)
{
    struct manifest_slot s = {0};
    uint32_t rights = 0;
    *slot_count = 0;
    for (uint32_t k = 0; k < p->slot_count; k++) {
        manifest_slot(m, p->first_slot + k, &s);
        if (s.object == obj) {
            rights |= s.rights;
            (*slot_count)++;
        }
    }
    return rights;
}

static bool lc_mapping_rights(const struct manifest_view *m, const struct boot_plan *plan,
                              const struct manifest_process *p, struct loader_check_report *out)
{
    struct manifest_mapping mm = {0};
    struct manifest_object o = {0};
    char have[5], max[5];
    const char *pname = manifest_string(m, p->name);
    for (uint32_t k = 0; k < p->mapping_count; k++) {
        uint32_t i = p->first_mapping + k;
        manifest_mapping(m, i, &mm);
        manifest_object(m, mm.object, &o);
        uint8_t data = plan->objects[mm.object].data;
        if ((mm.rights & ANV_RIGHT_EXEC) && data != PLAN_DATA_NONE)
            return lc_fail(out,
                           "mapping %u (process \"%s\"): rights 0x%x (%s) give x on object %u "
                           "(\"%s\"), %s, never executable",
                           i, pname, mm.rights, lc_rights(mm.rights, have), mm.object,
                           manifest_string(m, o.name), lc_data_what[data]);
        if (mm.rights & ANV_RIGHT_EXEC)
            return lc_fail(out,
                           "mapping %u (process \"%s\"): rights 0x%x (%s) give x on object %u "
                           "(\"%s\"), a frame, never executable: code comes from ELF segments",
                           i, pname, mm.rights, lc_rights(mm.rights, have), mm.object,
                           manifest_string(m, o.name));
        uint32_t held = 0;
        uint32_t slot_rights = lc_slot_rights(m, p, mm.object, &held);
        if (held > 0 && (mm.rights & ~slot_rights))
            return lc_fail(out,
                           "mapping %u (process \"%s\"): rights 0x%x (%s) wider than its own "
                           "capability to object %u (\"%s\") allows (%s)",
                           i, pname, mm.rights, lc_rights(mm.rights, have), mm.object,
                           manifest_string(m, o.name), lc_rights(slot_rights, max));
    }
    return true;
}

/* Describe range r for a message: "mapping 4 [a, b)" or "ELF segment 1 [a, b)". */
static void lc_range_text(const struct plan_range *r, char *buf, uint32_t size)
{
    if (r->mapping != LC_NONE)
        manifest_format(buf, size, "mapping %u at [0x%lx, 0x%lx)", r->mapping,
                        (unsigned long)r->start, (unsigned long)r->end);
    else
        manifest_format(buf, size, "ELF segment %u at [0x%lx, 0x%lx)", r->segment,
                        (unsigned long)r->start, (unsigned long)r->end);
}

/* The address space of process pi: its ELF segments and every manifest mapping, none
 * overlapping another. Returns the page-table pages it needs through *pt. */
static bool lc_address_space(const struct manifest_view *m, uint32_t pi,
                             const struct manifest_process *p, uint32_t *pt,
                             struct loader_check_report *out)
{
    struct manifest_mapping mm = {0};
    const char *pname = manifest_string(m, p->name);
    uint32_t n = 0;
    if ((uint64_t)lc_elf.segment_count + p->mapping_count > PLAN_MAX_RANGES)
        return lc_fail(out,
                       "process %u (\"%s\"): mapping_count %u: more than %u mappings and ELF "
                       "segments in one address space",
                       pi, pname, p->mapping_count, PLAN_MAX_RANGES);
    for (uint32_t s = 0; s < lc_elf.segment_count; s++) {
        lc_ranges[n].start = lc_elf.segments[s].vaddr;
        lc_ranges[n].end = lc_elf.segments[s].vaddr + lc_elf.segments[s].mem_size;
        lc_ranges[n].mapping = LC_NONE;
        lc_ranges[n++].segment = s;
    }
    for (uint32_t k = 0; k < p->mapping_count; k++) {
        manifest_mapping(m, p->first_mapping + k, &mm);
        lc_ranges[n].start = mm.vaddr;
        lc_ranges[n].end = mm.vaddr + (uint64_t)mm.pages * LC_PAGE;
        lc_ranges[n].mapping = p->first_mapping + k;
        lc_ranges[n++].segment = LC_NONE;
    }
    /* Insertion sort by start (n <= PLAN_MAX_RANGES); then any overlap shows as a
     * range starting before the furthest end seen so far. */
    for (uint32_t k = 1; k < n; k++) {
        struct plan_range r = lc_ranges[k];
        uint32_t j = k;
        for (; j > 0 && lc_ranges[j - 1].start > r.start; j--)
            lc_ranges[j] = lc_ranges[j - 1];
        lc_ranges[j] = r;
    }
    uint32_t far = 0;
    for (uint32_t k = 1; k < n; k++) {
        if (lc_ranges[k].start < lc_ranges[far].end) {
            /* Name a manifest mapping as the record: ELF segments never overlap each other
             * (elf_inspect), so one of the two is a mapping. */
            const struct plan_range *a = &lc_ranges[far], *b = &lc_ranges[k];
            if (b->mapping == LC_NONE || (a->mapping != LC_NONE && a->mapping > b->mapping)) {
                const struct plan_range *t = a;
                a = b;
                b = t;
            }
            char other[80];
            lc_range_text(a, other, sizeof other);
            return lc_fail(out, "mapping %u (process \"%s\"): vaddr [0x%lx, 0x%lx) overlaps %s",
                           b->mapping, pname, (unsigned long)b->start, (unsigned long)b->end,
                           other);
        }
        if (lc_ranges[k].end > lc_ranges[far].end)
            far = k;
    }
    *pt = plan_page_tables(lc_ranges, n);
    return true;
}

/* Each thread can start: an entry point, its IPC buffer mapped where it says, a stack.
 * Fills its start state and budget into the plan. */
static bool lc_threads(const struct manifest_view *m, const struct loader_check_platform *pf,
                       uint32_t pi, const struct manifest_process *p, struct boot_plan *plan,
                       struct loader_check_report *out)
{
    struct manifest_object cs = {0};
    manifest_object(m, p->cspace_object, &cs);
    struct manifest_thread t = {0};
    struct manifest_mapping mm = {0};
    const char *pname = manifest_string(m, p->name);
    for (uint32_t k = 0; k < p->thread_count; k++) {
        uint32_t i = p->first_thread + k;
        manifest_thread(m, i, &t);
        if (t.entry == 0 && p->image == MANIFEST_NONE)
            return lc_fail(out,
                           "thread %u (process \"%s\"): entry 0, and process %u has no image "
                           "to take it from",
                           i, pname, pi);
        uint32_t at = lc_mapping_at(m, p, t.ipcbuf_vaddr, &mm);
        if (at == LC_NONE || mm.object != t.ipcbuf_object || mm.vaddr != t.ipcbuf_vaddr)
            return lc_fail(out,
                           "thread %u (process \"%s\"): ipcbuf_vaddr 0x%lx is not where its "
                           "ipcbuf_object %u is mapped",
                           i, pname, (unsigned long)t.ipcbuf_vaddr, t.ipcbuf_object);
        if ((mm.rights & RIGHTS_RW) != RIGHTS_RW)
            return lc_fail(out,
                           "thread %u (process \"%s\"): ipcbuf_vaddr 0x%lx mapped by mapping "
                           "%u without r/w",
                           i, pname, (unsigned long)t.ipcbuf_vaddr, at);
        at = lc_mapping_at(m, p, t.stack_top - 1, &mm);
        if (at == LC_NONE || !(mm.rights & ANV_RIGHT_WRITE))
            return lc_fail(out,
                           "thread %u (process \"%s\"): stack_top 0x%lx has no writable "
                           "mapping below it",
                           i, pname, (unsigned long)t.stack_top);
        struct plan_thread *pt = &plan->threads[i];
        pt->start.pc = t.entry ? t.entry : lc_elf.entry;
        pt->start.sp = t.stack_top;
        pt->start.tp = t.ipcbuf_vaddr;
        pt->start.a0 = cs.size;
        pt->start.a1 = k; /* its index in the process */
        uint64_t hz = pf->inv->timebase_frequency;
        pt->budget = (t.flags & MANIFEST_THREAD_F_PASSIVE) ? 0 : plan_clock_units(t.budget_us, hz);
        pt->period = pt->budget ? plan_clock_units(t.period_us, hz) : 0;
        /* A budget of the whole period is no limit: do not account it at all. */
        if (pt->budget >= pt->period)
            pt->budget = pt->period = 0;
    }
    return true;
}

/* What the loader takes from the boot allocator, against what it has; the largest single
 * consumer is named, since that is the record to shrink. */
static bool lc_memory(const struct manifest_view *m, const struct loader_check_platform *pf,
                      struct boot_plan *plan, uint64_t elf_pages, uint32_t big_image,
                      uint64_t big_image_pages, struct loader_check_report *out)
{
    struct manifest_object o = {0};
    struct plan_heap h = {0, 0};
    uint64_t pages = (plan->pt_pages ? plan->pt_pages : 1u) + elf_pages;
    uint64_t big = 0;
    uint32_t big_obj = LC_NONE;
    /* In the loader's order: every object, then process by process its record for
     * thread.restart (process.h). */
    for (uint32_t i = 0; i < plan->object_count; i++) {
        const struct plan_object *po = &plan->objects[i];
        uint64_t before = h.pages;
        for (uint32_t k = 0; k < PLAN_PIECES; k++)
            if (po->piece[k] != 0)
                plan_heap_take(&h, po->piece[k]);
        pages += po->pages;
        if (po->pages + (h.pages - before) > big) {
            big = po->pages + (h.pages - before);
            big_obj = i;
        }
    }
    for (uint32_t i = 0; i < plan->process_count; i++)
        plan_heap_take(&h, sizeof(struct proc));
    pages += h.pages;
    plan->heap_pages = h.pages;
    plan->pages_needed = pages;
    out->pages_needed = pages;
    if (pages <= pf->free_pages)
        return true;
    if (big_obj != LC_NONE && (big >= big_image_pages || big_image == LC_NONE)) {
        manifest_object(m, big_obj, &o);
        return lc_fail(out,
                       "object %u (\"%s\"): size %u pages: the system needs %lu pages, %lu free",
                       big_obj, manifest_string(m, o.name), o.size, (unsigned long)pages,
                       (unsigned long)pf->free_pages);
    }
    if (big_image == LC_NONE) /* nothing but the loader's own page-table pool */
        return lc_fail(out, "header: the system needs %lu pages, %lu free", (unsigned long)pages,
                       (unsigned long)pf->free_pages);
    struct manifest_image img = {0};
    manifest_image(m, big_image, &img);
    return lc_fail(out,
                   "image %u (\"%s\"): ELF segments of %lu pages: the system needs %lu pages, "
                   "%lu free",
                   big_image, manifest_string(m, img.name), (unsigned long)big_image_pages,
                   (unsigned long)pages, (unsigned long)pf->free_pages);
}

bool loader_check(const struct manifest_view *m, const struct loader_check_platform *pf,
                  struct boot_plan *plan, struct loader_check_report *out)
{
    struct manifest_process p = {0};
    out->message[0] = '\0';
    out->pages_needed = 0;
    out->pt_pages = 0;
    plan->object_count = plan->process_count = plan->thread_count = 0;
    plan->pt_pages = 0;
    plan->heap_pages = plan->pages_needed = 0;
    if (!lc_capacity(m, plan, out) || !lc_objects(m, pf, plan, out) ||
        !lc_ownership(m, plan, out))
        return false;
    lc_mark_data(m, plan);
    if (!lc_slots(m, plan, out))
        return false;

    /* A VSpace no process uses still takes a root page table from the loader's pool. */
    uint32_t pt = 0;
    struct manifest_object o = {0};
    for (uint32_t i = 0; manifest_object(m, i, &o); i++)
        if (o.type == ANV_OBJ_VSPACE && plan->objects[i].owner == LC_NONE)
            pt++;
    uint64_t elf_pages = 0, big_image_pages = 0;
    uint32_t big_image = LC_NONE;
    for (uint32_t i = 0; manifest_process(m, i, &p); i++) {
        struct plan_process *pp = &plan->processes[i];
        if (!lc_image(m, pf, i, &p, pp, out) || !lc_mapping_rights(m, plan, &p, out) ||
            !lc_address_space(m, i, &p, &pp->pt_pages, out) ||
            !lc_threads(m, pf, i, &p, plan, out))
            return false;
        elf_pages += pp->elf_pages;
        if (pp->elf_pages > big_image_pages) {
            big_image_pages = pp->elf_pages;
            big_image = p.image;
        }
        pt += pp->pt_pages;
        /* The loader maps every process from one pool, sized from this sum, before any
         * process has a pool of its own. */
        if (pt > PLAN_PT_POOL_MAX)
            return lc_fail(out,
                           "process %u (\"%s\"): mappings and ELF segments need %u page-table "
                           "pages, which brings the loader's pool to %u, above its limit of %u",
                           i, manifest_string(m, p.name), pp->pt_pages, pt, PLAN_PT_POOL_MAX);
    }
    plan->pt_pages = pt;
    out->pt_pages = pt;
    return lc_memory(m, pf, plan, elf_pages, big_image, big_image_pages, out);
}
