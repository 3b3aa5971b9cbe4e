/* Notifications and wait_one: asynchronous events that never carry data, so signalling
 * never blocks and a pending signal is never lost. */
#include "object/notification.h"

#include "core/panic.h"
#include "core/sched.h"
#include "object/thread.h"

void ntfn_init(struct notification *n)
{
    kobj_init(&n->hdr, ANV_OBJ_NOTIFICATION);
    n->bits = 0;
    n->waiters.head = 0;
    n->waiters.length = 0;
}

static void ntfn_deliver(struct thread *t, uint64_t bits)
{
    t->frame.regs[REG_A1] = ANV_WAIT_NOTIFIED;
    t->frame.regs[REG_A2] = bits;
}

void ntfn_signal(struct notification *n, uint64_t badge)
{
    n->bits |= badge ? badge : 1;
    struct thread *t = n->waiters.head;
    if (!t)
        return;
    tq_remove(&n->waiters, t);
    ntfn_deliver(t, n->bits);
    n->bits = 0;
    t->blocked_on = 0;
    t->blocked_cap = 0;
    sched_sleep_remove(t);
    thread_set_result(t, ANV_OK);
    sched_make_ready(t);
}

int ntfn_wait(struct thread *t, struct notification *n, struct cap *via, uint64_t deadline)
{
    if (n && n->bits) {
        ntfn_deliver(t, n->bits);
        n->bits = 0;
        return ANV_OK;
    }
    if (n && n->waiters.length >= NTFN_MAX_WAITERS)
        return ANV_E_QUEUE_FULL;
    sched_block(t, TS_BLOCKED_WAIT);
    if (n) {
        t->blocked_on = &n->hdr;
        t->blocked_cap = via;
        tq_insert(&n->waiters, t);
    }
    if (deadline)
        sched_sleep_add(t, deadline);
    return ANV_OK;
}

/* ACSL (proved by WP; docs/assurance.md, property 4): out of its notification's queue
 * if it is on it, nothing else. */
/*@ requires pool_ok && in_pool(t);
    requires t->blocked_on != \null ==> queue_ok(ntfn_queue_of(t));
    assigns *ntfn_queue_of(t), t->q_owner,
            sched_all[0 .. sched_count - 1]->q_next, sched_all[0 .. sched_count - 1]->q_prev;
    ensures pool_sep;
    ensures pool_closed;
    ensures \old(t->blocked_on) != \null && \old(t->q_owner) == \old(ntfn_queue_of(t)) ==>
        t->q_owner == \null;
    ensures !(\old(t->blocked_on) != \null && \old(t->q_owner) == \old(ntfn_queue_of(t))) ==>
        t->q_owner == \old(t->q_owner);
    ensures links_kept{Pre, Post}(\null);
*/
void ntfn_dequeue(struct thread *t)
{
    struct notification *n = (struct notification *)t->blocked_on;
    if (n && t->q_owner == &n->waiters)
        tq_remove(&n->waiters, t);
}

/* As for endpoints: a walk that cannot finish is a broken kernel, never a silent stop
 * that leaves waiters on a freed notification. */
void ntfn_destroy(struct notification *n)
{
    for (uint32_t guard = 0; n->waiters.head; guard++) {
        struct thread *t = n->waiters.head;
        if (guard >= NTFN_MAX_WAITERS)
            panic("notification %u: more than %u waiters", n->hdr.id, NTFN_MAX_WAITERS);
        thread_abort_wait(t, ANV_E_REVOKED);
        if (t->q_owner == &n->waiters)
            panic("notification %u: thread %u (state %u) stays queued on it", n->hdr.id,
                  t->hdr.id, (unsigned)t->state);
    }
}

void ntfn_cap_removed(struct cap *c)
{
    struct notification *n = (struct notification *)c->obj;
    struct thread *t = n->waiters.head;
    for (uint32_t guard = 0; t; guard++) {
        if (guard >= NTFN_MAX_WAITERS)
            panic("notification %u: more than %u waiters", n->hdr.id, NTFN_MAX_WAITERS);
        struct thread *next = t->q_next;
        if (t->blocked_cap == c) {
            thread_abort_wait(t, ANV_E_REVOKED);
            if (t->q_owner == &n->waiters)
                panic("notification %u: thread %u (state %u) stays queued on it", n->hdr.id,
                      t->hdr.id, (unsigned)t->state);
        }
        t = next;
    }
}
