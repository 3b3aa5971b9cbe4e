/* Process records and thread.restart's RELOAD: putting a process's memory image and
 * CSpace back to what the loader made, so a restarted service starts as it first did. */
#include "object/process.h"

#include "object/cspace.h"
#include "core/kmem.h"
#include "lib/mem.h"
#include "core/panic.h"
#include "core/sched.h"
#include "object/thread.h"

void proc_init(struct proc *p, struct cspace *cs, uint32_t manifest_top)
{
    struct proc zero = {0};
    *p = zero;
    p->cspace = cs;
    p->manifest_top = manifest_top;
}

void proc_segment_fill(const struct proc_segment *s)
{
    uint64_t bytes = (uint64_t)s->pages * ANV_PAGE_SIZE;
    KASSERT(s->offset <= bytes && s->file_size <= bytes - s->offset);
    uint8_t *dst = kmem_pa_to_kva(s->paddr);
    /* Zero before and after the file bytes rather than the whole run: a reload of a large
     * .data then writes each byte once. */
    memset(dst, 0, (size_t)s->offset);
    memcpy(dst + s->offset, s->file, (size_t)s->file_size);
    memset(dst + s->offset + s->file_size, 0, (size_t)(bytes - s->offset - s->file_size));
}

int proc_add_segment(struct proc *p, const struct proc_segment *s)
{
    if (p->segment_count >= PROC_MAX_SEGMENTS)
        return ANV_E_QUOTA;
    p->segments[p->segment_count++] = *s;
    return ANV_OK;
}

void proc_start_thread(struct proc *p, struct thread *t, const struct thread_start *start,
                       bool held)
{
    KASSERT(t->proc == 0 && t->state == TS_INACTIVE);
    t->proc = p;
    t->proc_next = p->threads;
    p->threads = t;
    p->thread_count++;
    thread_set_start(t, start);
    /* A held thread stays in the very state thread.stop leaves (TS_INACTIVE, on no
     * queue), so thread.resume and thread.restart start it like any stopped thread. */
    if (!held)
        sched_make_ready(t);
}

bool proc_all_stopped(const struct proc *p)
{
    const struct thread *t = p->threads;
    for (uint32_t i = 0; t && i < p->thread_count; i++, t = t->proc_next)
        if (t->state != TS_INACTIVE)
            return false;
    return true;
}

uint32_t proc_reload(struct proc *p)
{
    KASSERT(proc_all_stopped(p));
    for (uint32_t i = 0; i < p->segment_count; i++)
        proc_segment_fill(&p->segments[i]);
    /* Every capability the manifest did not place was acquired at run time (transfers,
     * frame_alloc, mem.map, delegation), wherever it sits. cap_delete is cap.delete's own
     * path: a mapping unmaps, a pool frame's last capability returns its pages, children
     * elsewhere move up to the parent. */
    uint32_t deleted = 0;
    struct cspace *cs = p->cspace;
#ifdef ANV_DEBUG_CHECKS
    /* No syscall puts a capability below first_dynamic (ANV_E_RESERVED_SLOT), so only the
     * loader's are there: the scan can start at first_dynamic. */
    for (uint32_t s = 1; s < cs->first_dynamic && s < cs->size; s++)
        KASSERT(cs->slots[s].obj == 0 || cs->slots[s].placed);
#endif
    for (uint32_t s = cs->first_dynamic; s < cs->size; s++) {
        if (cs->slots[s].obj == 0 || cs->slots[s].placed)
            continue;
        cap_delete(&cs->slots[s]);
        deleted++;
    }
    return deleted;
}
