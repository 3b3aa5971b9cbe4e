/* U-mode faults: the kernel never stops for them. The faulting thread sends a fault
 * record to its fault endpoint and waits for the handler's verdict. */
#include "audit.h"
#include "console.h"
#include "cspace.h"
#include "endpoint.h"
#include "sched.h"
#include "syscall.h"
#include "vspace.h"

static uint32_t fault_insn_length(const struct thread *t)
{
    uint16_t half = 0;
    if (vs_copy_in(t->vspace, t->frame.sepc, &half, sizeof(half)) != ANV_OK)
        return 4;
    return (half & 3) == 3 ? 4 : 2;
}

void fault_raise(struct thread *t, uint64_t scause, uint64_t stval)
{
    t->fault_words[0] = scause;
    t->fault_words[1] = t->frame.sepc;
    t->fault_words[2] = stval;
    t->fault_words[3] = t->fault_badge;
    t->fault_insn_len = fault_insn_length(t);
    audit_log(ANV_AUDIT_FAULT, t->hdr.id, 0, scause, ANV_OK);

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
        kprintf("fault: thread %u stopped, no handler (scause=0x%lx sepc=0x%lx stval=0x%lx)\n",
                t->hdr.id, scause, t->frame.sepc, stval);
        sched_remove(t);
        t->state = TS_INACTIVE;
    }
}
