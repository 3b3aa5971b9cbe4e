/* Thread objects: initial state, wait queues, aborting a wait. */
#include "object/thread.h"

#include "object/endpoint.h"
#include "object/notification.h"
#include "core/panic.h"
#include "core/sched.h"

void thread_init(struct thread *t, struct cspace *cs, struct vspace *vs, uint8_t priority)
{
    struct thread zero = {0};
    *t = zero;
    kobj_init(&t->hdr, ANV_OBJ_THREAD);
    t->cspace = cs;
    t->vspace = vs;
    t->priority = priority;
    t->state = TS_INACTIVE;
}

/* ACSL (proved by WP, tests/proof/wp/; docs/assurance.md, property 4): the queue
 * functions write only queue links, and keep every queued thread in the pool. */
/*@ requires pool_ok && in_pool(t) && queue_ok(q) && t->q_owner == \null;
    assigns q->head, q->length, t->q_owner, sched_all[0 .. sched_count - 1]->q_next,
            sched_all[0 .. sched_count - 1]->q_prev;
    ensures pool_sep;
    ensures pool_closed;
    ensures queue_ok(q);
    ensures t->q_owner == q;
    ensures links_kept{Pre, Post}(\null);
*/
void tq_insert(struct thread_queue *q, struct thread *t)
{
    KASSERT(t->q_owner == 0);
    struct thread *prev = 0;
    struct thread *cur = q->head;
    /*@ loop invariant pool_or_null(prev) && pool_or_null(cur);
        loop assigns prev, cur;
    */
    while (cur && cur->priority >= t->priority) {
        prev = cur;
        cur = cur->q_next;
    }
    t->q_prev = prev;
    t->q_next = cur;
    if (cur)
        cur->q_prev = t;
    if (prev)
        prev->q_next = t;
    else
        q->head = t;
    t->q_owner = q;
    q->length++;
}

/*@ requires pool_ok && in_pool(t) && queue_ok(q) && t->q_owner == q;
    assigns q->head, q->length, t->q_owner, sched_all[0 .. sched_count - 1]->q_next,
            sched_all[0 .. sched_count - 1]->q_prev;
    ensures pool_sep;
    ensures pool_closed;
    ensures queue_ok(q);
    ensures t->q_owner == \null;
    ensures \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
        sched_all[i]->q_owner == \old(sched_all[i]->q_owner);
    ensures links_kept{Pre, Post}(\null);
*/
void tq_remove(struct thread_queue *q, struct thread *t)
{
    KASSERT(t->q_owner == q);
    if (t->q_prev)
        t->q_prev->q_next = t->q_next;
    else
        q->head = t->q_next;
    if (t->q_next)
        t->q_next->q_prev = t->q_prev;
    t->q_next = 0;
    t->q_prev = 0;
    t->q_owner = 0;
    q->length--;
}

struct thread *tq_pop(struct thread_queue *q)
{
    struct thread *t = q->head;
    if (t)
        tq_remove(q, t);
    return t;
}

void thread_frame_complete(struct thread *t)
{
    if (!t->frame_partial)
        return;
    static const uint8_t temps[] = {5, 6, 7, 28, 29, 30, 31}; /* t0..t6 */
    for (uint32_t i = 0; i < sizeof temps; i++)
        t->frame.regs[temps[i]] = 0;
    t->frame_partial = 0;
}

/*@ requires \valid(t);
    assigns t->frame.regs[REG_A0];
*/
void thread_set_result(struct thread *t, uint64_t err)
{
    t->frame.regs[REG_A0] = err;
}

/* The server owing `t` a reply no longer does: both ends of the link cut at once, so no
 * late reply can find `t` and no later wait of `t` can be answered by that server. */
/*@ requires pool_ok && in_pool(t) && reply_links_but(t);
    assigns t->replier, t->replier->reply_to;
    ensures pool_sep;
    ensures pool_closed;
    ensures t->replier == \null;
    ensures replier_pairs;
    ensures reply_to_pairs;
    ensures reply_states_but(t);
    ensures \forall integer i; 0 <= i < sched_count ==>
        sched_all[i]->state == \old(sched_all[i]->state);
    ensures q_frame: \forall integer i; 0 <= i < sched_count ==>
        sched_all[i]->q_owner == \old(sched_all[i]->q_owner);
    ensures server_freed: \forall integer i; 0 <= i < sched_count ==>
        sched_all[i] == \old(t->replier) ==> sched_all[i]->reply_to == \null;
    ensures reply_to_frame: \forall integer i; 0 <= i < sched_count ==>
        sched_all[i] != \old(t->replier) ==>
            sched_all[i]->reply_to == \old(sched_all[i]->reply_to);
*/
static void thread_cut_reply_link(struct thread *t)
{
    struct thread *server = t->replier;
    if (server) {
        //@ assert server_in_pool: in_pool(server) && \offset(server) == 0;
        //@ assert server_owes_t: server->reply_to == t;
        /*@ assert only_t: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i]->replier == server ==> sched_all[i] == t; */
        /*@ assert only_server: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i]->reply_to == t ==> sched_all[i] == server; */
        server->reply_to = 0;
        t->replier = 0;
        /*@ assert replier_frame: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i] != t ==> sched_all[i]->replier == \at(sched_all[i]->replier, Pre);
        */
        /*@ assert reply_to_frame: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i] != server ==>
                    sched_all[i]->reply_to == \at(sched_all[i]->reply_to, Pre);
        */
    }
}

/* It waits on no object any more. */
/*@ requires pool_ok && in_pool(t);
    assigns t->blocked_on, t->blocked_cap;
    ensures pool_sep;
    ensures pool_closed;
    ensures links_kept{Pre, Post}(\null);
*/
static void thread_clear_wait(struct thread *t)
{
    t->blocked_on = 0;
    t->blocked_cap = 0;
}

/* A faulted thread has no syscall to fail: when its fault message can no longer be
 * answered it stops, its registers untouched, until thread.resume. (Proved by WP to
 * keep the reply link: docs/assurance.md, property 4. Here and in the two functions
 * below, the assertions after each call are steps of that proof, each proved: they
 * restate the invariant one part at a time after the call, which the provers do not
 * find on their own in a goal that spans several calls.) */
/*@ requires pool_ok && in_pool(t) && reply_links_but(t);
    requires t->state == TS_BLOCKED_SEND ==> t->blocked_on != \null && queue_ok(ep_queue_of(t));
    ensures pool_sep;
    ensures pool_closed;
    ensures replier_pairs;
    ensures reply_to_pairs;
    ensures reply_states_but(\null);
    ensures t->replier == \null;
    ensures t->state == TS_INACTIVE;
    ensures table_kept: sched_count == \old(sched_count) &&
        \forall integer i; 0 <= i < SCHED_MAX_THREADS ==>
            sched_all[i] == \old(sched_all[i]);
    ensures others_frame: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
        sched_all[i]->state == \old(sched_all[i]->state) &&
        sched_all[i]->q_owner == \old(sched_all[i]->q_owner);
    ensures server_freed: \forall integer i; 0 <= i < sched_count ==>
        sched_all[i] == \old(t->replier) ==> sched_all[i]->reply_to == \null;
    ensures reply_to_frame: \forall integer i; 0 <= i < sched_count ==>
        sched_all[i] != \old(t->replier) ==>
            sched_all[i]->reply_to == \old(sched_all[i]->reply_to);
    ensures frees_nothing: \forall struct cap *c;
        \at(\valid_read(c), Pre) ==> \valid_read(c);
*/
static void thread_stop_faulted(struct thread *t)
{
    if (t->state == TS_BLOCKED_SEND)
        ep_dequeue(t);
    //@ assert s1: replier_pairs;
    //@ assert s2: reply_to_pairs;
    //@ assert s3: reply_states_but(t);
    /*@ assert sf1: sched_count == \at(sched_count, Pre) &&
            \forall integer i; 0 <= i < SCHED_MAX_THREADS ==>
                sched_all[i] == \at(sched_all[i], Pre); */
    /*@ assert sf2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
            sched_all[i]->state == \at(sched_all[i]->state, Pre) &&
            sched_all[i]->q_owner == \at(sched_all[i]->q_owner, Pre); */
    /*@ assert sf3: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->reply_to == \at(sched_all[i]->reply_to, Pre); */
    //@ assert sf4: t->replier == \at(t->replier, Pre);
    /*@ ghost C: ; */
    thread_cut_reply_link(t);
    t->is_fault_msg = 0;
    //@ assert c1: replier_pairs;
    //@ assert c2: reply_to_pairs;
    //@ assert c3: reply_states_but(t);
    /*@ assert cf1: sched_count == \at(sched_count, Pre) &&
            \forall integer i; 0 <= i < SCHED_MAX_THREADS ==>
                sched_all[i] == \at(sched_all[i], Pre); */
    /*@ assert cf2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
            sched_all[i]->state == \at(sched_all[i]->state, Pre) &&
            sched_all[i]->q_owner == \at(sched_all[i]->q_owner, Pre); */
    /*@ assert cf3: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i] != \at(t->replier, Pre) ==>
            sched_all[i]->reply_to == \at(sched_all[i]->reply_to, Pre); */
    /*@ assert cf4: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i] == \at(t->replier, Pre) ==> sched_all[i]->reply_to == \null; */
    thread_clear_wait(t);
    //@ assert w1: replier_pairs;
    //@ assert w2: reply_to_pairs;
    //@ assert w3: reply_states_but(t);
    /*@ assert wf1: sched_count == \at(sched_count, Pre) &&
            \forall integer i; 0 <= i < SCHED_MAX_THREADS ==>
                sched_all[i] == \at(sched_all[i], Pre); */
    /*@ assert wf2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
            sched_all[i]->state == \at(sched_all[i]->state, Pre) &&
            sched_all[i]->q_owner == \at(sched_all[i]->q_owner, Pre); */
    /*@ assert wf3: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i] != \at(t->replier, Pre) ==>
            sched_all[i]->reply_to == \at(sched_all[i]->reply_to, Pre); */
    /*@ assert wf4: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i] == \at(t->replier, Pre) ==> sched_all[i]->reply_to == \null; */
    /*@ ghost W: ; */
    sched_remove(t);
    /*@ assert rs: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->state == \at(sched_all[i]->state, W); */
    /*@ assert rr: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->replier == \at(sched_all[i]->replier, W); */
    //@ assert r1: replier_pairs;
    //@ assert r2: reply_to_pairs;
    //@ assert r3: reply_states_but(t);
    //@ assert s5: t->replier == \null;
    /*@ assert rf1: sched_count == \at(sched_count, Pre) &&
            \forall integer i; 0 <= i < SCHED_MAX_THREADS ==>
                sched_all[i] == \at(sched_all[i], Pre); */
    /*@ assert rf2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
            sched_all[i]->state == \at(sched_all[i]->state, Pre) &&
            sched_all[i]->q_owner == \at(sched_all[i]->q_owner, Pre); */
    /*@ assert rf3: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i] != \at(t->replier, Pre) ==>
            sched_all[i]->reply_to == \at(sched_all[i]->reply_to, Pre); */
    /*@ assert rf4: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i] == \at(t->replier, Pre) ==> sched_all[i]->reply_to == \null; */
    /*@ ghost R: ; */
    t->state = TS_INACTIVE;
    /*@ assert f1: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
            sched_all[i]->state == \at(sched_all[i]->state, R); */
    /*@ assert f2: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->replier == \at(sched_all[i]->replier, R); */
    /*@ assert f3: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
            link_state_ok(sched_all[i]); */
    //@ assert f4: link_state_ok(t);
}

/* ACSL (docs/assurance.md, property 4): the reply link holds before and after, and
 * `client` waits for no reply any more; for the delivery (ipc_after_delivery), every
 * other thread keeps its state and queue and the server owes no reply. */
/*@ requires pool_ok && in_pool(client) && reply_links;
    requires client->state == TS_BLOCKED_REPLY && client->q_owner == \null;
    ensures pool_sep;
    ensures pool_closed;
    ensures replier_pairs;
    ensures reply_to_pairs;
    ensures reply_states_but(\null);
    ensures client->replier == \null;
    ensures client->state != TS_BLOCKED_REPLY;
    ensures table_kept: sched_count == \old(sched_count) &&
        \forall integer i; 0 <= i < SCHED_MAX_THREADS ==>
            sched_all[i] == \old(sched_all[i]);
    ensures others_frame: \forall integer i; 0 <= i < sched_count ==>
        sched_all[i] != client ==>
        sched_all[i]->state == \old(sched_all[i]->state) &&
        sched_all[i]->q_owner == \old(sched_all[i]->q_owner);
    ensures server_freed: \forall integer i; 0 <= i < sched_count ==>
        sched_all[i] == \old(client->replier) ==> sched_all[i]->reply_to == \null;
    ensures frees_nothing: \forall struct cap *c;
        \at(\valid_read(c), Pre) ==> \valid_read(c);
*/
void thread_release_caller(struct thread *client, uint64_t err)
{
    thread_cut_reply_link(client);
    /*@ assert x1: sched_count == \at(sched_count, Pre) &&
            \forall integer i; 0 <= i < SCHED_MAX_THREADS ==>
                sched_all[i] == \at(sched_all[i], Pre); */
    /*@ assert x2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != client ==>
            sched_all[i]->state == \at(sched_all[i]->state, Pre) &&
            sched_all[i]->q_owner == \at(sched_all[i]->q_owner, Pre); */
    /*@ assert x3: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i] == \at(client->replier, Pre) ==>
                sched_all[i]->reply_to == \null; */
    if (client->is_fault_msg) {
        thread_stop_faulted(client);
        /*@ assert y1: sched_count == \at(sched_count, Pre) &&
                \forall integer i; 0 <= i < SCHED_MAX_THREADS ==>
                    sched_all[i] == \at(sched_all[i], Pre); */
        /*@ assert y2: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i] != client ==>
                sched_all[i]->state == \at(sched_all[i]->state, Pre) &&
                sched_all[i]->q_owner == \at(sched_all[i]->q_owner, Pre); */
        /*@ assert y3: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i] == \at(client->replier, Pre) ==>
                sched_all[i]->reply_to == \null; */
        return;
    }
    thread_set_result(client, err);
    //@ assert m1: replier_pairs;
    //@ assert m2: reply_to_pairs;
    //@ assert m3: reply_states_but(client);
    //@ assert m4: client->replier == \null && client->q_owner == \null;
    /*@ assert z1: sched_count == \at(sched_count, Pre) &&
            \forall integer i; 0 <= i < SCHED_MAX_THREADS ==>
                sched_all[i] == \at(sched_all[i], Pre); */
    /*@ assert z2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != client ==>
            sched_all[i]->state == \at(sched_all[i]->state, Pre) &&
            sched_all[i]->q_owner == \at(sched_all[i]->q_owner, Pre); */
    /*@ assert z3: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i] == \at(client->replier, Pre) ==>
                sched_all[i]->reply_to == \null; */
    /*@ ghost M: ; */
    sched_make_ready(client);
    /*@ assert k1: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->replier == \at(sched_all[i]->replier, M) &&
            sched_all[i]->reply_to == \at(sched_all[i]->reply_to, M); */
    /*@ assert k2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != client ==>
            sched_all[i]->state == \at(sched_all[i]->state, M); */
    //@ assert k3: replier_pairs;
    //@ assert k4: reply_to_pairs;
    /*@ assert k5: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != client ==>
            link_state_ok(sched_all[i]); */
    //@ assert k6: link_state_ok(client);
}

/* Its wait is the one its state names: on its endpoint's queue in send and receive, on
 * its notification's queue or none in wait_one, on none waiting for a reply (the queue
 * invariant the invariant checker tests; here a precondition). */
/*@ requires pool_ok && in_pool(t) && reply_links;
    requires t->state == TS_BLOCKED_SEND || t->state == TS_BLOCKED_RECV ==>
        t->blocked_on != \null && t->q_owner == ep_queue_of(t) && queue_ok(ep_queue_of(t));
    requires t->state == TS_BLOCKED_WAIT ==>
        (t->q_owner == \null || (t->blocked_on != \null && t->q_owner == ntfn_queue_of(t))) &&
        (t->blocked_on != \null ==> queue_ok(ntfn_queue_of(t)));
    requires t->state == TS_BLOCKED_REPLY ==> t->q_owner == \null;
    ensures pool_sep;
    ensures pool_closed;
    ensures replier_pairs;
    ensures reply_to_pairs;
    ensures reply_states_but(\null);
    ensures t->replier == \null;
    ensures t->state != TS_BLOCKED_REPLY;
*/
void thread_abort_wait(struct thread *t, uint64_t err)
{
    if (t->is_fault_msg) {
        thread_stop_faulted(t);
        return;
    }
    switch (t->state) {
    case TS_BLOCKED_SEND:
    case TS_BLOCKED_RECV:
        ep_dequeue(t);
        break;
    case TS_BLOCKED_WAIT:
        ntfn_dequeue(t);
        //@ assert n1: replier_pairs;
        //@ assert n2: reply_to_pairs;
        //@ assert n3: reply_states_but(t);
        //@ assert n4: t->replier == \null && t->q_owner == \null;
        sched_sleep_remove(t);
        break;
    case TS_BLOCKED_REPLY:
        /* The server still holds reply_to: cut it so a late reply finds no one. */
        thread_cut_reply_link(t);
        break;
    default:
        return;
    }
    //@ assert j1: replier_pairs;
    //@ assert j2: reply_to_pairs;
    //@ assert j3: reply_states_but(t);
    //@ assert j4: t->replier == \null && t->q_owner == \null;
    thread_clear_wait(t);
    thread_set_result(t, err);
    //@ assert m1: replier_pairs;
    //@ assert m2: reply_to_pairs;
    //@ assert m3: reply_states_but(t);
    //@ assert m4: t->replier == \null && t->q_owner == \null;
    /*@ ghost M: ; */
    sched_make_ready(t);
    /*@ assert k1: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->replier == \at(sched_all[i]->replier, M) &&
            sched_all[i]->reply_to == \at(sched_all[i]->reply_to, M); */
    /*@ assert k2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
            sched_all[i]->state == \at(sched_all[i]->state, M); */
    //@ assert k3: replier_pairs;
    //@ assert k4: reply_to_pairs;
    /*@ assert k5: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
            link_state_ok(sched_all[i]); */
    //@ assert k6: link_state_ok(t);
}

void thread_stop(struct thread *t)
{
    thread_frame_complete(t);
    if (t->state != TS_READY && t->state != TS_THROTTLED && t->state != TS_INACTIVE)
        thread_abort_wait(t, ANV_E_REVOKED);
    if (t->reply_to)
        thread_release_caller(t->reply_to, ANV_E_REVOKED);
    sched_remove(t);
    t->state = TS_INACTIVE;
}

/* The whole frame is rebuilt, not patched: a restarted thread must not see any register
 * of its previous life, so everything the start state does not name is zero. */
static void thread_load_start(struct thread *t, uint64_t arg)
{
    struct trap_frame zero = {0};
    t->frame = zero;
    t->frame_partial = 0;
    t->frame.sepc = t->start.pc;
    t->frame.regs[REG_SP] = t->start.sp;
    t->frame.regs[REG_TP] = t->start.tp;
    t->frame.regs[REG_A0] = t->start.a0;
    t->frame.regs[REG_A1] = t->start.a1;
    t->frame.regs[REG_A2] = arg;
}

void thread_set_start(struct thread *t, const struct thread_start *start)
{
    t->start = *start;
    thread_load_start(t, 0);
}

bool thread_suspend(struct thread *t)
{
    KASSERT(t->state != TS_INACTIVE);
    thread_frame_complete(t); /* a stopped thread's frame says what it resumes with */
    /* Blocked: out of its endpoint or notification queue and off the timeout list, its
     * syscall answered ANV_E_CANCELLED. Waiting on a fault reply: out of the endpoint
     * queue or the handler's reply link, registers untouched, already stopped. Ready or
     * throttled: nothing to abort. */
    thread_abort_wait(t, ANV_E_CANCELLED);
    bool released = false;
    if (t->reply_to) {
        /* It was a server mid-call: the caller must not wait for a reply that cannot
         * come while the server is stopped (or comes from a restarted one). */
        thread_release_caller(t->reply_to, ANV_E_CANCELLED);
        released = true;
    }
    sched_remove(t);
    t->state = TS_INACTIVE;
    return released;
}

void thread_restart(struct thread *t, uint64_t arg)
{
    KASSERT(t->state == TS_INACTIVE && t->q_owner == 0 && t->start.pc != 0);
    /* A thread stopped by its fault handler may still owe a reply (it faulted while
     * serving a call); its new life will never give it. */
    if (t->reply_to)
        thread_release_caller(t->reply_to, ANV_E_CANCELLED);
    thread_cut_reply_link(t);
    sched_sleep_remove(t);
    t->is_call = 0;
    t->is_fault_msg = 0;
    t->call_grant = 0;
    t->exited = 0;
    t->fault_label = 0;
    fpu_forget(t); /* it starts again as a thread that never used FP */
    t->blocked_on = 0;
    t->blocked_cap = 0;
    t->blocked_badge = 0;
    for (uint32_t i = 0; i < 4; i++)
        t->fault_words[i] = 0;
    t->fault_insn_len = 0;
    thread_load_start(t, arg);
    sched_make_ready(t);
}
