/* U-mode faults and exits: the kernel never stops for them. The faulting (or exiting)
 * thread sends a record to its fault endpoint and waits for the handler's verdict. */
#include "core/audit.h"
#include "core/console.h"
#include "object/cspace.h"
#include "object/endpoint.h"
#include "core/sched.h"
#include "object/process.h"
#include "core/syscall.h"
#include "object/thread.h"
#include "object/vspace.h"

bool fault_fetch_insn(const struct thread *t, uint32_t *insn, uint32_t *len)
{
    uint16_t half[2] = {0, 0};
    if (vs_copy_in(t->vspace, t->frame.sepc, &half[0], 2) != ANV_OK)
        return false;
    *len = (half[0] & 3u) == 3u ? 4 : 2;
    if (*len == 4 && vs_copy_in(t->vspace, t->frame.sepc + 2, &half[1], 2) != ANV_OK)
        return false;
    *insn = (uint32_t)half[0] | ((uint32_t)half[1] << 16);
    return true;
}

static uint32_t fault_insn_length(const struct thread *t)
{
    uint32_t insn = 0, len = 4;
    return fault_fetch_insn(t, &insn, &len) ? len : 4;
}

/* Send t's pending record (fault or exit) to its fault endpoint, where its handler
 * decides; with no handler it just stops. */
static void fault_deliver(struct thread *t, const char *what)
{
    struct cap *ep = 0;
    int err = ANV_E_EMPTY_SLOT;
    if (t->fault_ep_slot != 0 && t->fault_ep_slot < t->cspace->size) {
        struct cap *c = &t->cspace->slots[t->fault_ep_slot];
        if (c->obj && c->type == ANV_OBJ_ENDPOINT && (c->rights & ANV_RIGHT_WRITE)) {
            ep = c;
            err = ANV_OK;
        }
    }
    if (err == ANV_OK)
        err = ep_send_fault(t, ep);
    if (err != ANV_OK) {
        kprintf("%s: thread %u stopped, no handler (word0=0x%lx sepc=0x%lx word2=0x%lx)\n",
                what, t->hdr.id, t->fault_words[0], t->fault_words[1], t->fault_words[2]);
        sched_remove(t);
        t->state = TS_INACTIVE;
    }
}

void fault_raise(struct thread *t, uint64_t scause, uint64_t stval)
{
    thread_frame_complete(t); /* a fault trap saved everything; this only guards */
    t->fault_label = ANV_FAULT_LABEL;
    t->fault_words[0] = scause;
    t->fault_words[1] = t->frame.sepc;
    t->fault_words[2] = stval;
    t->fault_words[3] = t->fault_badge;
    t->fault_insn_len = fault_insn_length(t);
    audit_log(ANV_AUDIT_FAULT, t->hdr.id, 0, scause, ANV_OK);
    fault_deliver(t, "fault");
}

void fault_exit(struct thread *t, uint64_t status)
{
    /* The process ends as a whole: its other threads stop first, so the supervisor that
     * receives the record sees a process with nothing left running. */
    if (t->proc) {
        struct thread *s = t->proc->threads;
        for (uint32_t i = 0; s && i < t->proc->thread_count; i++, s = s->proc_next)
            if (s != t && s->state != TS_INACTIVE) {
                bool released = thread_suspend(s);
                audit_log(ANV_AUDIT_THREAD_STOP, t->hdr.id, s->hdr.id, released ? 1 : 0, ANV_OK);
            }
    }
    thread_frame_complete(t);
    t->exited = 1;
    t->fault_label = ANV_EXIT_LABEL;
    t->fault_words[0] = status;
    t->fault_words[1] = t->frame.sepc - 4; /* the ecall: trap_from_user moved past it */
    t->fault_words[2] = 0;
    t->fault_words[3] = t->fault_badge;
    t->fault_insn_len = 4;
    fault_deliver(t, "exit");
}
