/* The boot pre-flight (loader_check.h). The decoder proved every index, count and range
 * of the manifest; this proves the system it describes can be built: each ELF is in the
 * boot image and valid, no capability or mapping is wider than its object allows, no
 * two mappings of an address space overlap, device frames name neither RAM nor the
 * interrupt controller, and the memory, page tables, objects and threads fit. It reads
 * only; loader_load runs after it and creates everything. Plain C over the decoded view,
 * so the host fuzzers run it too. Every loop is bounded by a manifest count the decoder
 * capped (MANIFEST_MAX_*) or by the fixed limits above. */
#include "boot/loader_check.h"

#include <stdarg.h>

#include "boot/elf.h"
#include "object/irq.h"
#include "object/object.h"
#include "object/pool.h"
#include "object/process.h"
#include "core/sched.h"

#define RIGHTS_RW (ANV_RIGHT_READ | ANV_RIGHT_WRITE)
#define LC_PAGE ((uint64_t)ANV_PAGE_SIZE)
#define LC_NONE MANIFEST_NONE

/* Why a frame may never be executable: the memory is data by construction. */
enum lc_data {
    LC_DATA_NONE = 0,
    LC_DATA_DEVICE,
    LC_DATA_IPCBUF,
    LC_DATA_STACK,
    LC_DATA_HEAP,
};

static const char *const lc_data_what[] = {
    "", "a device frame", "an IPC buffer", "a thread's stack", "a process's heap",
};

/* One page range of an address space: a manifest mapping or an ELF segment. */
struct lc_range {
    uint64_t start, end; /* [start, end), page-aligned */
    uint32_t mapping;    /* mapping index, or LC_NONE for an ELF segment */
    uint32_t segment;    /* segment index for an ELF segment */
};

/* Scratch for one check; static because the kernel stack is small and boot runs once. */
static uint32_t lc_owner[LOADER_CHECK_MAX_OBJECTS]; /* process or thread using the object */
static uint8_t lc_data[LOADER_CHECK_MAX_OBJECTS];   /* enum lc_data */
static struct lc_range lc_ranges[LOADER_CHECK_MAX_RANGES];
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
    static const char letters[4] = {'r', 'w', 'x', 'g'};
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

static uint32_t lc_object_max(const struct manifest_object *o, uint32_t index)
{
    uint32_t max = lc_type_max(o->type);
    if (o->type == ANV_OBJ_FRAME && lc_data[index] != LC_DATA_NONE)
        max &= ~ANV_RIGHT_EXEC;
    return max;
}

static bool lc_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Capacity of the loader's fixed tables and of the scheduler. */
static bool lc_capacity(const struct manifest_view *m, struct loader_check_report *out)
{
    uint32_t nobj = manifest_count(m, MANIFEST_T_OBJECT);
    uint32_t nthr = manifest_count(m, MANIFEST_T_THREAD);
    if (nobj > LOADER_CHECK_MAX_OBJECTS)
        return lc_fail(out, "table 1 (objects): count %u over the loader's limit %u", nobj,
                       LOADER_CHECK_MAX_OBJECTS);
    if (nthr > SCHED_MAX_THREADS)
        return lc_fail(out, "table 4 (threads): count %u over the scheduler's limit %u", nthr,
                       (unsigned)SCHED_MAX_THREADS);
    return true;
}

/* Device frames against the platform, IRQ objects against the interrupt controller. */
static bool lc_objects(const struct manifest_view *m, const struct loader_check_platform *pf,
                       struct loader_check_report *out)
{
    static uint32_t irq_owner[IRQ_MAX];
    const struct dtb_inventory *inv = pf->inv;
    struct manifest_object o = {0};
    for (uint32_t q = 0; q < IRQ_MAX; q++)
        irq_owner[q] = LC_NONE;
    for (uint32_t i = 0; manifest_object(m, i, &o); i++) {
        const char *name = manifest_string(m, o.name);
        lc_owner[i] = LC_NONE;
        lc_data[i] = LC_DATA_NONE;
        if (o.type == ANV_OBJ_FRAME && (o.flags & MANIFEST_OBJ_F_DEVICE)) {
            uint64_t bytes = (uint64_t)o.size * LC_PAGE;
            lc_data[i] = LC_DATA_DEVICE;
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
        if (o.irq == 0 || o.irq >= IRQ_MAX)
            return lc_fail(out, "object %u (\"%s\"): irq %u outside 1..%u", i, name, o.irq,
                           (unsigned)IRQ_MAX - 1);
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
static bool lc_claim(uint32_t obj, uint32_t user, uint32_t *previous)
{
    *previous = lc_owner[obj];
    if (lc_owner[obj] != LC_NONE && lc_owner[obj] != user)
        return false;
    lc_owner[obj] = user;
    return true;
}

/* Each CSpace and VSpace is one process's, each thread object one thread record's: the
 * loader fills them per record and would otherwise fill one twice. */
static bool lc_ownership(const struct manifest_view *m, struct loader_check_report *out)
{
    struct manifest_process p = {0};
    struct manifest_thread t = {0};
    uint32_t prev = 0;
    for (uint32_t i = 0; manifest_process(m, i, &p); i++) {
        const char *name = manifest_string(m, p.name);
        if (!lc_claim(p.cspace_object, i, &prev))
            return lc_fail(out,
                           "process %u (\"%s\"): cspace_object %u is already the CSpace of "
                           "process %u",
                           i, name, p.cspace_object, prev);
        if (!lc_claim(p.vspace_object, i, &prev))
            return lc_fail(out,
                           "process %u (\"%s\"): vspace_object %u is already the address "
                           "space of process %u",
                           i, name, p.vspace_object, prev);
    }
    for (uint32_t i = 0; manifest_thread(m, i, &t); i++) {
        manifest_process(m, t.process, &p);
        if (!lc_claim(t.thread_object, i, &prev))
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
static void lc_mark_data(const struct manifest_view *m)
{
    struct manifest_process p = {0};
    struct manifest_thread t = {0};
    struct manifest_mapping mm = {0};
    for (uint32_t i = 0; manifest_thread(m, i, &t); i++) {
        if (lc_data[t.ipcbuf_object] == LC_DATA_NONE)
            lc_data[t.ipcbuf_object] = LC_DATA_IPCBUF;
        manifest_process(m, t.process, &p);
        if (lc_mapping_at(m, &p, t.stack_top - 1, &mm) != LC_NONE &&
            lc_data[mm.object] == LC_DATA_NONE)
            lc_data[mm.object] = LC_DATA_STACK;
    }
    for (uint32_t i = 0; manifest_process(m, i, &p); i++)
        if (p.heap_size && lc_mapping_at(m, &p, p.heap_base, &mm) != LC_NONE &&
            lc_data[mm.object] == LC_DATA_NONE)
            lc_data[mm.object] = LC_DATA_HEAP;
}

/* Slot rights within what the object allows. */
static bool lc_slots(const struct manifest_view *m, struct loader_check_report *out)
{
    struct manifest_slot s = {0};
    struct manifest_object o = {0};
    struct manifest_process p = {0};
    char have[5], max[5];
    for (uint32_t i = 0; manifest_slot(m, i, &s); i++) {
        manifest_object(m, s.object, &o);
        uint32_t allowed = lc_object_max(&o, s.object);
        if (!(s.rights & ~allowed))
            continue;
        manifest_process(m, s.process, &p);
        const char *pname = manifest_string(m, p.name);
        if (o.type == ANV_OBJ_FRAME && lc_data[s.object] != LC_DATA_NONE)
            return lc_fail(out,
                           "slot %u (process \"%s\", slot %u): rights 0x%x (%s) give x on "
                           "object %u (\"%s\"), %s, never executable",
                           i, pname, s.slot, s.rights, lc_rights(s.rights, have), s.object,
                           manifest_string(m, o.name), lc_data_what[lc_data[s.object]]);
        return lc_fail(out,
                       "slot %u (process \"%s\", slot %u): rights 0x%x (%s) wider than a %s "
                       "allows (%s)",
                       i, pname, s.slot, s.rights, lc_rights(s.rights, have),
                       manifest_type_name(o.type), lc_rights(allowed, max));
    }
    return true;
}

/* The process's ELF image: present in the boot image and valid. Fills lc_elf. */
static bool lc_image(const struct manifest_view *m, const struct loader_check_platform *pf,
                     uint32_t pi, const struct manifest_process *p, struct loader_check_report *out)
{
    struct manifest_image img = {0};
    lc_elf.segment_count = 0;
    lc_elf.entry = 0;
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

static bool lc_mapping_rights(const struct manifest_view *m, const struct manifest_process *p,
                              struct loader_check_report *out)
{
    struct manifest_mapping mm = {0};
    struct manifest_object o = {0};
    char have[5], max[5];
    const char *pname = manifest_string(m, p->name);
    for (uint32_t k = 0; k < p->mapping_count; k++) {
        uint32_t i = p->first_mapping + k;
        manifest_mapping(m, i, &mm);
        manifest_object(m, mm.object, &o);
        if ((mm.rights & ANV_RIGHT_EXEC) && lc_data[mm.object] != LC_DATA_NONE)
            return lc_fail(out,
                           "mapping %u (process \"%s\"): rights 0x%x (%s) give x on object %u "
                           "(\"%s\"), %s, never executable",
                           i, pname, mm.rights, lc_rights(mm.rights, have), mm.object,
                           manifest_string(m, o.name), lc_data_what[lc_data[mm.object]]);
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
static void lc_range_text(const struct lc_range *r, char *buf, uint32_t size)
{
    if (r->mapping != LC_NONE)
        manifest_format(buf, size, "mapping %u at [0x%lx, 0x%lx)", r->mapping,
                        (unsigned long)r->start, (unsigned long)r->end);
    else
        manifest_format(buf, size, "ELF segment %u at [0x%lx, 0x%lx)", r->segment,
                        (unsigned long)r->start, (unsigned long)r->end);
}

/* Page-table pages a sorted, overlap-free set of user ranges needs in Sv39: the root, one
 * table per 1 GiB region touched and one per 2 MiB region touched. */
static uint32_t lc_page_tables(uint32_t n)
{
    uint64_t tables = 1;
    uint64_t last_gib = ~0ull, last_mib = ~0ull;
    for (uint32_t k = 0; k < n; k++) {
        uint64_t first_g = lc_ranges[k].start >> 30, end_g = (lc_ranges[k].end - 1) >> 30;
        uint64_t first_m = lc_ranges[k].start >> 21, end_m = (lc_ranges[k].end - 1) >> 21;
        tables += end_g - first_g + 1 - (first_g == last_gib ? 1 : 0);
        tables += end_m - first_m + 1 - (first_m == last_mib ? 1 : 0);
        last_gib = end_g;
        last_mib = end_m;
    }
    /* User space is 256 GiB: at most 1 + 256 + 131072 tables, well inside 32 bits. */
    return (uint32_t)tables;
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
    if ((uint64_t)lc_elf.segment_count + p->mapping_count > LOADER_CHECK_MAX_RANGES)
        return lc_fail(out,
                       "process %u (\"%s\"): mapping_count %u: more than %u mappings and ELF "
                       "segments in one address space",
                       pi, pname, p->mapping_count, LOADER_CHECK_MAX_RANGES);
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
    /* Insertion sort by start (n <= LOADER_CHECK_MAX_RANGES); then any overlap shows as a
     * range starting before the furthest end seen so far. */
    for (uint32_t k = 1; k < n; k++) {
        struct lc_range r = lc_ranges[k];
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
            const struct lc_range *a = &lc_ranges[far], *b = &lc_ranges[k];
            if (b->mapping == LC_NONE || (a->mapping != LC_NONE && a->mapping > b->mapping)) {
                const struct lc_range *t = a;
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
    *pt = lc_page_tables(n);
    return true;
}

/* Each thread can start: an entry point, its IPC buffer mapped where it says, a stack. */
static bool lc_threads(const struct manifest_view *m, uint32_t pi, const struct manifest_process *p,
                       struct loader_check_report *out)
{
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
    }
    return true;
}

/* boot_alloc in loader.c: 16-byte pieces carved from runs of fresh pages; a piece that
 * does not fit the current run starts a new one and the rest of the old is lost. */
struct lc_heap {
    uint64_t left;  /* bytes left in the current run */
    uint64_t pages; /* pages taken for runs */
};

static void lc_alloc(struct lc_heap *h, uint64_t size)
{
    size = (size + 15) & ~(uint64_t)15;
    if (size > h->left) {
        uint64_t pages = (size + LC_PAGE - 1) / LC_PAGE;
        h->pages += pages;
        h->left = pages * LC_PAGE;
    }
    h->left -= size;
}

/* Pages an object costs the loader besides kernel-object memory: its own pages. */
static uint64_t lc_object_pages(const struct manifest_object *o, struct lc_heap *h)
{
    switch (o->type) {
    case ANV_OBJ_CSPACE:
        lc_alloc(h, sizeof(struct cspace));
        lc_alloc(h, (uint64_t)o->size * sizeof(struct cap));
        return 0;
    case ANV_OBJ_THREAD:
        lc_alloc(h, sizeof(struct thread));
        return 0;
    case ANV_OBJ_ENDPOINT:
        lc_alloc(h, sizeof(struct endpoint));
        return 0;
    case ANV_OBJ_NOTIFICATION:
        lc_alloc(h, sizeof(struct notification));
        return 0;
    case ANV_OBJ_FRAME:
        lc_alloc(h, sizeof(struct frame));
        return (o->flags & MANIFEST_OBJ_F_DEVICE) ? 0 : o->size;
    case ANV_OBJ_VSPACE:
        lc_alloc(h, sizeof(struct vspace));
        return 0; /* root: pt pool */
    case ANV_OBJ_POOL:
        lc_alloc(h, sizeof(struct pool));
        lc_alloc(h, (uint64_t)POOL_BITMAP_WORDS((uint64_t)o->size) * 8);
        lc_alloc(h, (uint64_t)o->size * sizeof(struct frame));
        return o->size;
    case ANV_OBJ_IRQ:
        lc_alloc(h, sizeof(struct irq_handler));
        return 0;
    default:
        lc_alloc(h, sizeof(struct kobj));
        return 0;
    }
}

/* What the loader takes from the boot allocator, against what it has; the largest single
 * consumer is named, since that is the record to shrink. */
static bool lc_memory(const struct manifest_view *m, const struct loader_check_platform *pf,
                      uint64_t elf_pages, uint32_t big_image, uint64_t big_image_pages,
                      struct loader_check_report *out)
{
    struct manifest_object o = {0};
    struct lc_heap h = {0, 0};
    uint64_t pages = (out->pt_pages ? out->pt_pages : 1u) + elf_pages;
    uint64_t big = 0;
    uint32_t big_obj = LC_NONE;
    for (uint32_t i = 0; manifest_object(m, i, &o); i++) {
        uint64_t before = h.pages;
        uint64_t own = lc_object_pages(&o, &h);
        pages += own;
        if (own + (h.pages - before) > big) {
            big = own + (h.pages - before);
            big_obj = i;
        }
    }
    /* Then, process by process, its record for thread.restart (process.h). */
    for (uint32_t i = 0; i < manifest_count(m, MANIFEST_T_PROCESS); i++)
        lc_alloc(&h, sizeof(struct proc));
    pages += h.pages;
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
                  struct loader_check_report *out)
{
    struct manifest_process p = {0};
    struct manifest_object o = {0};
    out->message[0] = '\0';
    out->pages_needed = 0;
    out->pt_pages = 0;
    if (!lc_capacity(m, out) || !lc_objects(m, pf, out) || !lc_ownership(m, out))
        return false;
    lc_mark_data(m);
    if (!lc_slots(m, out))
        return false;

    /* A VSpace no process uses still takes a root page table from the loader's pool. */
    uint32_t pt = 0;
    for (uint32_t i = 0; manifest_object(m, i, &o); i++)
        if (o.type == ANV_OBJ_VSPACE && lc_owner[i] == LC_NONE)
            pt++;
    uint64_t elf_pages = 0, big_image_pages = 0;
    uint32_t big_image = LC_NONE;
    for (uint32_t i = 0; manifest_process(m, i, &p); i++) {
        uint32_t tables = 0;
        if (!lc_image(m, pf, i, &p, out) || !lc_mapping_rights(m, &p, out) ||
            !lc_address_space(m, i, &p, &tables, out) || !lc_threads(m, i, &p, out))
            return false;
        uint64_t seg_pages = 0;
        for (uint32_t s = 0; s < lc_elf.segment_count; s++)
            seg_pages += lc_elf.segments[s].mem_size / LC_PAGE;
        elf_pages += seg_pages;
        if (seg_pages > big_image_pages) {
            big_image_pages = seg_pages;
            big_image = p.image;
        }
        pt += tables;
        /* The loader maps every process from one pool, sized from this sum, before any
         * process has a pool of its own. */
        if (pt > LOADER_CHECK_PT_POOL_MAX)
            return lc_fail(out,
                           "process %u (\"%s\"): mappings and ELF segments need %u page-table "
                           "pages, which brings the loader's pool to %u, above its limit of %u",
                           i, manifest_string(m, p.name), tables, pt, LOADER_CHECK_PT_POOL_MAX);
    }
    out->pt_pages = pt;
    return lc_memory(m, pf, elf_pages, big_image, big_image_pages, out);
}
