/* The RFC 0010 syscall layer: decode registers, resolve and check every capability, then
 * call the object operation. A handler that returns an error has changed nothing. */
#include "core/syscall.h"

#include "core/audit.h"
#include "core/console.h"
#include "object/cspace.h"
#include "object/endpoint.h"
#include "object/frame.h"
#include "core/invariants.h"
#include "object/irq.h"
#include "object/notification.h"
#include "object/pool.h"
#include "object/process.h"
#include "core/sched.h"
#include "object/thread.h"
#include "object/vspace.h"


/*@ requires \valid_read(t);
    assigns \nothing;
    ensures own_cspace: \result == t->cspace;
*/
static struct cspace *own(struct thread *t)
{
    return t->cspace;
}

/* A refused lookup changes nothing (docs/assurance.md, item 3; group wp_refusals). The
 * success path is not specified here (it writes r[A1..A4]). */
/*@ requires \valid(t) && cspace_valid(t->cspace) && \valid(r + (0 .. 31));
    behavior refused:
      assumes cspace_resolve(t->cspace, r[REG_A0]) != ANV_OK;
      assigns \nothing;
      ensures refused_result: \result == cspace_resolve(t->cspace, r[REG_A0]);
*/
static __attribute__((noinline)) int sys_cap_identify(struct thread *t, uint64_t *r)
{
    struct cap *c;
    int err = cspace_lookup(own(t), r[REG_A0], &c);
    if (err != ANV_OK)
        return err;
    r[REG_A1] = c->type;
    r[REG_A2] = c->rights;
    r[REG_A3] = c->badge;
    r[REG_A4] = c->obj->id;
    return ANV_OK;
}

/* A refused delegation changes nothing (docs/assurance.md, item 3; group wp_refusals).
 * The assigns names, in the state before the call, the source (the slot r[A0] names),
 * the target CSpace (the caller's, or the one r[A1] names) and the destination slot
 * r[A2] in it: a delegation writes that slot, the source's first-child link and its old
 * first child's back link, the object's count, cap_live, one audit record and r[A1]. */
/*@ requires \valid(t) && cspace_valid(t->cspace) && \valid(r + (0 .. 31));
    assigns (r[REG_A1] == ANV_HANDLE_NULL ? t->cspace :
             (struct cspace *)cspace_slot_of(t->cspace, r[REG_A1])->obj)->slots[r[REG_A2]],
            cspace_slot_of(t->cspace, r[REG_A0])->first_child,
            cspace_slot_of(t->cspace, r[REG_A0])->first_child->prev_sibling,
            cspace_slot_of(t->cspace, r[REG_A0])->obj->refs,
            cap_live, audit_seq, audit_ring[0 .. ANV_AUDIT_RING - 1], r[REG_A1];
    ensures refused_caps: \result != ANV_OK ==> caps_unchanged{Pre, Post};
    ensures refused_refs: \result != ANV_OK ==> refs_unchanged{Pre, Post};
    ensures refused_audit: \result != ANV_OK ==> audit_unchanged{Pre, Post};
    ensures refused_live: \result != ANV_OK ==> cap_live == \old(cap_live);
    ensures refused_regs: \result != ANV_OK ==> \forall integer i; 0 <= i < 32 ==> r[i] == \old(r[i]);
*/
static __attribute__((noinline)) int sys_cap_delegate(struct thread *t, uint64_t *r)
{
    struct cap *src, *dst;
    struct cspace *target = own(t);
    int err = cspace_lookup(own(t), r[REG_A0], &src);
    if (err == ANV_OK && r[REG_A1] != ANV_HANDLE_NULL) {
        struct cap *cs_cap;
        err = cspace_lookup_cap(own(t), r[REG_A1], ANV_OBJ_CSPACE, ANV_RIGHT_WRITE, &cs_cap);
        if (err == ANV_OK)
            target = (struct cspace *)cs_cap->obj;
    }
    if (err == ANV_OK)
        err = cspace_dynamic_slot(target, r[REG_A2], &dst);
    if (err == ANV_OK)
        err = r[REG_A3] > 0xFFFFFFFFu ? ANV_E_INVALID_ARG
                                      : cap_derive_check(src, (uint32_t)r[REG_A3], r[REG_A4]);
    if (err != ANV_OK)
        return err;
    cap_derive(dst, src, (uint32_t)r[REG_A3], r[REG_A4]);
    audit_log(ANV_AUDIT_DELEGATE, t->hdr.id, src->obj->id, r[REG_A3], ANV_OK);
    r[REG_A1] = cap_handle(dst);
    return ANV_OK;
}

/* A refused lookup changes nothing (docs/assurance.md, item 3; group wp_refusals). The
 * success path is not specified here (cap_revoke is proved in wp_revoke). */
/*@ requires \valid(t) && cspace_valid(t->cspace) && \valid(r + (0 .. 31));
    behavior refused:
      assumes cspace_resolve(t->cspace, r[REG_A0]) != ANV_OK;
      assigns \nothing;
      ensures refused_result: \result == cspace_resolve(t->cspace, r[REG_A0]);
*/
static __attribute__((noinline)) int sys_cap_revoke(struct thread *t, uint64_t *r)
{
    struct cap *c;
    int err = cspace_lookup(own(t), r[REG_A0], &c);
    if (err != ANV_OK)
        return err;
    uint32_t id = c->obj->id;
    uint32_t n = cap_revoke(c);
    audit_log(ANV_AUDIT_REVOKE, t->hdr.id, id, n, ANV_OK);
    r[REG_A1] = n;
    return ANV_OK;
}

/* A refused lookup changes nothing (docs/assurance.md, item 3; group wp_refusals). On
 * success (behavior deleted, group wp_delete_call), given the derivation tree's
 * invariants at the slot the handle names, cap_delete's contract holds: the tree's links
 * stay valid, paired and filled, the slot is emptied and no capability names it as its
 * parent, its children have its parent, every other capability keeps its object. */
/*@ requires \valid(t) && cspace_valid(t->cspace) && \valid(r + (0 .. 31));
    behavior refused:
      assumes cspace_resolve(t->cspace, r[REG_A0]) != ANV_OK;
      assigns \nothing;
      ensures refused_result: \result == cspace_resolve(t->cspace, r[REG_A0]);
    behavior deleted:
      assumes cspace_resolve(t->cspace, r[REG_A0]) == ANV_OK;
      requires tree: cdt_links_valid && cdt_paired && cdt_filled && cap_live > 0;
      requires slot: \let c = cspace_slot_of(t->cspace, r[REG_A0]);
          cap_ok(c) && c->owner == t->cspace && \valid_read(c->obj) &&
          !cdt_below(c, c) && cdt_listed(c);
      ensures deleted_result: \result == ANV_OK;
      ensures deleted_tree: cdt_links_valid && cdt_paired && cdt_filled;
      ensures deleted_slot: \let c = \old(cspace_slot_of(t->cspace, r[REG_A0]));
          c->obj == \null && c->parent == \null && c->first_child == \null &&
          \forall struct cap *x; cap_ok(x) ==> x->parent != c;
      ensures deleted_children: \let c = \old(cspace_slot_of(t->cspace, r[REG_A0]));
          \forall struct cap *x; cap_ok(x) && \old(x->parent) == c ==>
              x->parent == \old(c->parent);
      ensures deleted_others: \let c = \old(cspace_slot_of(t->cspace, r[REG_A0]));
          \forall struct cap *x; cap_ok(x) && x != c ==> x->obj == \old(x->obj);
*/
static __attribute__((noinline)) int sys_cap_delete(struct thread *t, uint64_t *r)
{
    struct cap *c;
    int err = cspace_lookup(own(t), r[REG_A0], &c);
    if (err != ANV_OK)
        return err;
    uint32_t id = c->obj->id;
    cap_delete(c);
    audit_log(ANV_AUDIT_DELETE, t->hdr.id, id, 0, ANV_OK);
    return ANV_OK;
}

static __attribute__((noinline)) int sys_ipc_send(struct thread *t, uint64_t *r, bool is_call)
{
    struct cap *ep;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_ENDPOINT, ANV_RIGHT_WRITE, &ep);
    if (err != ANV_OK)
        return err;
    return ep_send(t, ep, r[REG_A1], is_call);
}

static __attribute__((noinline)) int sys_ipc_receive(struct thread *t, uint64_t *r)
{
    struct cap *ep;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_ENDPOINT, ANV_RIGHT_READ, &ep);
    if (err != ANV_OK)
        return err;
    return ep_receive(t, ep);
}

static __attribute__((noinline)) int sys_ipc_reply_recv(struct thread *t, uint64_t *r)
{
    struct cap *ep;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_ENDPOINT, ANV_RIGHT_READ, &ep);
    if (err != ANV_OK)
        return err;
    if (t->reply_to) {
        err = ipc_reply(t, r[REG_A1]);
        if (err != ANV_OK)
            return err;
    }
    return ep_receive(t, ep);
}

static __attribute__((noinline)) int sys_ipc_cancel(struct thread *t, uint64_t *r)
{
    struct cap *c;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_THREAD, ANV_RIGHT_WRITE, &c);
    if (err != ANV_OK)
        return err;
    struct thread *target = (struct thread *)c->obj;
    if (target->state != TS_BLOCKED_SEND && target->state != TS_BLOCKED_RECV &&
        target->state != TS_BLOCKED_REPLY)
        return ANV_E_NOTHING_PENDING;
    if (target->is_fault_msg)
        return ANV_E_BUSY; /* a fault is resolved by replying to it, not by cancel */
    thread_abort_wait(target, ANV_E_CANCELLED);
    r[REG_A1] = 1;
    return ANV_OK;
}

static __attribute__((noinline)) int sys_wait_one(struct thread *t, uint64_t *r)
{
    struct cap *c = 0;
    struct notification *n = 0;
    if (r[REG_A0] != ANV_HANDLE_NULL) {
        int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_NOTIFICATION, ANV_RIGHT_READ, &c);
        if (err != ANV_OK)
            return err;
        n = (struct notification *)c->obj;
    }
    uint64_t timeout = r[REG_A1];
    if (n == 0 && timeout == 0)
        return ANV_E_INVALID_ARG;
    if (timeout > (1ull << 40))
        return ANV_E_INVALID_ARG;
    return ntfn_wait(t, n, c, timeout ? sched_now() + timeout : 0);
}

static __attribute__((noinline)) int sys_cancel_token(struct thread *t, uint64_t *r)
{
    struct cap *c;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_THREAD, ANV_RIGHT_WRITE, &c);
    if (err != ANV_OK)
        return err;
    struct thread *target = (struct thread *)c->obj;
    if (target->state != TS_BLOCKED_WAIT)
        return ANV_E_NOTHING_PENDING;
    thread_abort_wait(target, ANV_E_CANCELLED);
    return ANV_OK;
}

static __attribute__((noinline)) int sys_ntfn_signal(struct thread *t, uint64_t *r)
{
    struct cap *c;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_NOTIFICATION, ANV_RIGHT_WRITE, &c);
    if (err != ANV_OK)
        return err;
    ntfn_signal((struct notification *)c->obj, c->badge);
    return ANV_OK;
}

static __attribute__((noinline)) int sys_frame_alloc(struct thread *t, uint64_t *r)
{
    struct cap *pc, *dst;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_POOL, ANV_RIGHT_WRITE, &pc);
    if (err == ANV_OK)
        err = cspace_dynamic_slot(own(t), r[REG_A1], &dst);
    uint64_t pages = r[REG_A2];
    if (err == ANV_OK && (pages == 0 || pages > ANV_FRAME_MAX_PAGES))
        err = ANV_E_INVALID_ARG;
    struct frame *f = 0;
    if (err == ANV_OK)
        err = pool_alloc_run((struct pool *)pc->obj, (uint32_t)pages, &f);
    if (err != ANV_OK)
        return err;
    /* The frame descends from the pool capability: revoking the pool reclaims it. Frames
     * of a pool are never executable (RFC 0010, W^X): code only ever comes from the boot
     * image, so no page can be written through one mapping and run through another. */
    cap_install(dst, &f->hdr, ANV_OBJ_FRAME, ANV_RIGHT_READ | ANV_RIGHT_WRITE, 0, pc);
    r[REG_A1] = cap_handle(dst);
    return ANV_OK;
}

static __attribute__((noinline)) int sys_mem_map(struct thread *t, uint64_t *r)
{
    struct cap *fc, *slot;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_FRAME, 0, &fc);
    if (err != ANV_OK)
        return err;
    uint64_t vaddr = r[REG_A1];
    uint64_t rights = r[REG_A2];
    if (rights > ANV_RIGHTS_ALL || (rights & ANV_RIGHT_GRANT))
        return ANV_E_INVALID_ARG;
    if ((rights & ANV_RIGHT_WRITE) && (rights & ANV_RIGHT_EXEC))
        return ANV_E_WX;
    if ((rights & ~(uint64_t)fc->rights) != 0)
        return ANV_E_RIGHTS;
    err = cspace_dynamic_slot(own(t), r[REG_A3], &slot);
    if (err != ANV_OK)
        return err;
    err = frame_map(fc, t->vspace, vaddr, (uint32_t)rights, slot);
    if (err != ANV_OK)
        return err;
    r[REG_A1] = cap_handle(slot);
    return ANV_OK;
}

/* Only frames declared for DMA answer: a driver must tell its device where its buffers
 * are, and no other component learns where any frame is in physical memory. */
static __attribute__((noinline)) int sys_frame_paddr(struct thread *t, uint64_t *r)
{
    struct cap *fc;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_FRAME, ANV_RIGHT_WRITE, &fc);
    if (err != ANV_OK)
        return err;
    const struct frame *f = (const struct frame *)fc->obj;
    if (!f->is_dma)
        return ANV_E_WRONG_TYPE;
    r[REG_A1] = f->paddr;
    r[REG_A2] = f->pages;
    return ANV_OK;
}

static __attribute__((noinline)) int sys_proc_exit(struct thread *t, uint64_t *r)
{
    audit_log(ANV_AUDIT_EXIT, t->hdr.id, t->hdr.id, r[REG_A0], ANV_OK);
    fault_exit(t, r[REG_A0]);
    return ANV_OK;
}

static __attribute__((noinline)) int sys_mem_unmap(struct thread *t, uint64_t *r)
{
    struct cap *c;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_MAPPING, 0, &c);
    if (err != ANV_OK)
        return err;
    cap_delete(c);
    return ANV_OK;
}

static __attribute__((noinline)) int sys_thread_resume(struct thread *t, uint64_t *r)
{
    struct cap *c;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_THREAD, ANV_RIGHT_WRITE, &c);
    if (err != ANV_OK)
        return err;
    struct thread *target = (struct thread *)c->obj;
    /* An exited thread has nothing to resume: it can only be started again. */
    if (target->state != TS_INACTIVE || target->exited)
        return ANV_E_BUSY;
    sched_make_ready(target);
    return ANV_OK;
}

static __attribute__((noinline)) int sys_thread_stop(struct thread *t, uint64_t *r)
{
    struct cap *c;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_THREAD, ANV_RIGHT_WRITE, &c);
    if (err != ANV_OK)
        return err;
    struct thread *target = (struct thread *)c->obj;
    if (target == t)
        return ANV_E_INVALID_ARG; /* a thread ends itself by other means (anv_exit) */
    if (target->state == TS_INACTIVE)
        return ANV_E_BUSY;
    bool released = thread_suspend(target);
    audit_log(ANV_AUDIT_THREAD_STOP, t->hdr.id, target->hdr.id, released ? 1 : 0, ANV_OK);
    return ANV_OK;
}

static __attribute__((noinline)) int sys_thread_restart(struct thread *t, uint64_t *r)
{
    struct cap *c;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_THREAD, ANV_RIGHT_WRITE, &c);
    if (err != ANV_OK)
        return err;
    struct thread *target = (struct thread *)c->obj;
    uint64_t flags = r[REG_A1];
    if ((flags & ~(uint64_t)ANV_RESTART_ALL) != 0)
        return ANV_E_INVALID_ARG;
    /* Only threads the loader made have a start state (and a process to reload). */
    if (target->start.pc == 0 || ((flags & ANV_RESTART_RELOAD) && target->proc == 0))
        return ANV_E_INVALID_ARG;
    if (target->state != TS_INACTIVE)
        return ANV_E_BUSY;
    /* Reloading memory under a running sibling would change it mid-flight. */
    if ((flags & ANV_RESTART_RELOAD) && !proc_all_stopped(target->proc))
        return ANV_E_BUSY;
    uint32_t deleted = 0;
    if (flags & ANV_RESTART_RELOAD)
        deleted = proc_reload(target->proc);
    thread_restart(target, r[REG_A2]);
    audit_log(ANV_AUDIT_THREAD_RESTART, t->hdr.id, target->hdr.id,
              ((uint64_t)deleted << 32) | flags, ANV_OK);
    return ANV_OK;
}

static __attribute__((noinline)) int sys_audit_read(struct thread *t, uint64_t *r)
{
    struct cap *c;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_AUDIT, ANV_RIGHT_READ, &c);
    if (err != ANV_OK)
        return err;
    struct audit_record rec;
    err = audit_get(r[REG_A1], &rec);
    r[REG_A7] = audit_next_seq();
    if (err != ANV_OK)
        return err;
    r[REG_A1] = rec.seq;
    r[REG_A2] = rec.event;
    r[REG_A3] = rec.subject;
    r[REG_A4] = rec.object;
    r[REG_A5] = rec.arg;
    r[REG_A6] = rec.result;
    return ANV_OK;
}

static __attribute__((noinline)) int sys_debug_write(struct thread *t, uint64_t *r)
{
    struct cap *c;
    char buf[ANV_DEBUG_WRITE_MAX];
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_CONSOLE, ANV_RIGHT_WRITE, &c);
    if (err != ANV_OK)
        return err;
    uint64_t len = r[REG_A2];
    if (len > ANV_DEBUG_WRITE_MAX)
        return ANV_E_INVALID_ARG;
    err = vs_copy_in(t->vspace, r[REG_A1], buf, (size_t)len);
    if (err != ANV_OK)
        return err;
    console_write(buf, (size_t)len);
    return ANV_OK;
}

static __attribute__((noinline)) int sys_system_shutdown(struct thread *t, uint64_t *r)
{
    struct cap *c;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_SYSCTL, ANV_RIGHT_WRITE, &c);
    if (err != ANV_OK)
        return err;
    syscall_shutdown_hook(r[REG_A1]);
    return ANV_OK;
}

static __attribute__((noinline)) int sys_irq_ack(struct thread *t, uint64_t *r)
{
    struct cap *c;
    int err = cspace_lookup_cap(own(t), r[REG_A0], ANV_OBJ_IRQ, ANV_RIGHT_WRITE, &c);
    if (err != ANV_OK)
        return err;
    return irq_ack((struct irq_handler *)c->obj);
}

/* Errors that mean someone tried to use authority they do not have. */
static bool syscall_error_is_denial(int err)
{
    return err == ANV_E_BAD_HANDLE || err == ANV_E_STALE_HANDLE || err == ANV_E_EMPTY_SLOT ||
           err == ANV_E_WRONG_TYPE || err == ANV_E_RIGHTS || err == ANV_E_WX ||
           err == ANV_E_RESERVED_SLOT;
}

void syscall_dispatch(struct thread *t)
{
    uint64_t *r = t->frame.regs;
    uint64_t nr = r[REG_A7];
    int err;
    switch (nr) {
    case ANV_SYS_ABI_VERSION:
        r[REG_A1] = ANV_ABI_VERSION;
        err = ANV_OK;
        break;
    case ANV_SYS_CAP_IDENTIFY: err = sys_cap_identify(t, r); break;
    case ANV_SYS_CAP_DELEGATE: err = sys_cap_delegate(t, r); break;
    case ANV_SYS_CAP_REVOKE: err = sys_cap_revoke(t, r); break;
    case ANV_SYS_CAP_DELETE: err = sys_cap_delete(t, r); break;
    case ANV_SYS_IPC_SEND: err = sys_ipc_send(t, r, false); break;
    case ANV_SYS_IPC_CALL: err = sys_ipc_send(t, r, true); break;
    case ANV_SYS_IPC_RECEIVE: err = sys_ipc_receive(t, r); break;
    case ANV_SYS_IPC_REPLY: err = ipc_reply(t, r[REG_A1]); break;
    case ANV_SYS_IPC_REPLY_RECV: err = sys_ipc_reply_recv(t, r); break;
    case ANV_SYS_IPC_CANCEL: err = sys_ipc_cancel(t, r); break;
    case ANV_SYS_WAIT_ONE: err = sys_wait_one(t, r); break;
    case ANV_SYS_CANCEL_TOKEN: err = sys_cancel_token(t, r); break;
    case ANV_SYS_NTFN_SIGNAL: err = sys_ntfn_signal(t, r); break;
    case ANV_SYS_MEM_FRAME_ALLOC: err = sys_frame_alloc(t, r); break;
    case ANV_SYS_MEM_MAP: err = sys_mem_map(t, r); break;
    case ANV_SYS_MEM_UNMAP: err = sys_mem_unmap(t, r); break;
    case ANV_SYS_THREAD_YIELD:
        sched_yield_thread(t);
        err = ANV_OK;
        break;
    case ANV_SYS_THREAD_RESUME: err = sys_thread_resume(t, r); break;
    case ANV_SYS_AUDIT_READ: err = sys_audit_read(t, r); break;
    case ANV_SYS_DEBUG_WRITE: err = sys_debug_write(t, r); break;
    case ANV_SYS_SYSTEM_SHUTDOWN: err = sys_system_shutdown(t, r); break;
    case ANV_SYS_IRQ_ACK: err = sys_irq_ack(t, r); break;
    case ANV_SYS_THREAD_STOP: err = sys_thread_stop(t, r); break;
    case ANV_SYS_THREAD_RESTART: err = sys_thread_restart(t, r); break;
    case ANV_SYS_MEM_FRAME_PADDR: err = sys_frame_paddr(t, r); break;
    case ANV_SYS_PROC_EXIT: err = sys_proc_exit(t, r); break;
    default: err = ANV_E_NOSYS; break;
    }
    if (err != ANV_OK) {
        r[REG_A0] = (uint64_t)err;
        if (syscall_error_is_denial(err))
            audit_log(ANV_AUDIT_DENIED, t->hdr.id, 0, nr, (uint32_t)err);
    } else if (t->state == TS_READY) {
        r[REG_A0] = ANV_OK;
    }
#ifdef ANV_DEBUG_CHECKS
    if (invariants_enabled)
        invariants_check_all();
#endif
}
