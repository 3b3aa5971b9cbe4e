/* The IPC fastpath: ipc.call to a waiting server and ipc.reply_recv back to a waiting
 * client, for register-only messages without capabilities, when the thread woken is the
 * one the scheduler would run next. It leaves exactly the state the general path would
 * (same registers, same queues, same reply links) in far fewer steps; anything unusual
 * falls back to the general path before a single field of kernel state changes (the
 * thread's lookup memo, below, is not state: only the fastpath reads it).
 *
 * Each direction is two parts: the *take* (every check, then every change to kernel
 * objects) and the *delivery* (the message registers of the thread woken). The kernel's
 * trap_entry.S calls the take directly and delivers in registers, without the woken
 * thread's frame; everything else (the host tests, trap_entry.S's own fallback when the
 * switch needs more work) runs the take and fastpath_deliver() one after the other. */
#include <stddef.h>

#include "core/fastpath.h"

#include "core/sched.h"
#include "object/cspace.h"
#include "object/thread.h"

/* A capability's rights and generation as one word (fp_rights_gen): the generation's
 * unit in it. */
#define FP_GEN_UNIT ((uint64_t)1 << 32)

/* ACSL (proved by WP, tests/proof/wp/, groups wp_fastpath and wp_fastpath_frames;
 * docs/assurance.md, property 4): the kernel's invariants the takes rely on, stated as
 * their preconditions. */
/*@ // A buffer the badge may be written to: none, or one apart from every thread and the
    // scheduler's globals.
    predicate fp_buffer_ok{L}(struct anv_ipc_buffer *b) =
        b == \null || (\valid(b) &&
            (\forall integer i; 0 <= i < sched_count ==> \separated(b, sched_all[i])) &&
            \separated(b, sched_all + (0 .. SCHED_MAX_THREADS - 1), &sched_count,
                        &sched_ready, &sched_running, &sched_sleepers));

    // An endpoint an endpoint capability names: apart from every thread and the
    // scheduler's globals, its queue's head NULL or a thread of the pool at the head of
    // this queue; a queued receiver is blocked in receive and owes no reply (a receive
    // gives up the reply it owes before it blocks: RFC 0010 section 4.7).
    predicate fp_ep_ok{L}(struct endpoint *ep) =
        \valid(ep) && queue_ok(&ep->queue) &&
        (\forall integer i; 0 <= i < sched_count ==> \separated(ep, sched_all[i])) &&
        \separated(ep, sched_all + (0 .. SCHED_MAX_THREADS - 1), &sched_count, &sched_ready,
                    &sched_running, &sched_sleepers) &&
        (ep->queue.head != \null ==> ep->queue.head->q_owner == &ep->queue) &&
        (ep->queue.head != \null && ep->queue_is_senders == 0 ==>
            ep->queue.head->state == TS_BLOCKED_RECV && ep->queue.head->reply_to == \null &&
            fp_buffer_ok(ep->queue.head->ipc_buffer));

    logic struct endpoint *fp_ep_of{L}(struct cap *c) = (struct endpoint *)c->obj;

    // The thread's CSpace: handles resolve in it, its slots and record are apart from the
    // thread, slot 0 holds nothing (the loader never fills it) and every endpoint
    // capability names an endpoint as above.
    predicate fp_cspace_ok{L}(struct thread *t) =
        cspace_valid(t->cspace) && \separated(t, t->cspace) &&
        \separated(t, t->cspace->slots + (0 .. t->cspace->size - 1)) &&
        t->cspace->slots[0].type == ANV_OBJ_NULL &&
        \forall integer k; 0 <= k < t->cspace->size ==>
            t->cspace->slots[k].type == ANV_OBJ_ENDPOINT ==>
                fp_ep_ok(fp_ep_of(t->cspace->slots + k));

    // The reply link depends on the pool's links and states only: a step that keeps
    // every thread's links and state keeps it (used at each step of the takes, where
    // the whole function's stores are in the provers' context).
    predicate fp_table_kept{L1, L2} =
        \at(sched_count, L1) == \at(sched_count, L2) &&
        \forall integer i; 0 <= i < \at(sched_count, L1) ==>
            \at(sched_all[i], L1) == \at(sched_all[i], L2);
    predicate fp_links_kept{L1, L2} =
        \forall integer i; 0 <= i < \at(sched_count, L1) ==>
            \at(sched_all[i]->replier, L1) == \at(sched_all[i]->replier, L2) &&
            \at(sched_all[i]->reply_to, L1) == \at(sched_all[i]->reply_to, L2);
    predicate fp_states_kept{L1, L2} =
        \forall integer i; 0 <= i < \at(sched_count, L1) ==>
            \at(sched_all[i]->state, L1) == \at(sched_all[i]->state, L2);
    lemma fp_replier_pairs_kept{L1, L2}:
        fp_table_kept{L1, L2} ==> fp_links_kept{L1, L2} ==>
        replier_pairs{L1} ==> replier_pairs{L2};
    lemma fp_reply_to_pairs_kept{L1, L2}:
        fp_table_kept{L1, L2} ==> fp_links_kept{L1, L2} ==>
        reply_to_pairs{L1} ==> reply_to_pairs{L2};
    lemma fp_reply_states_kept{L1, L2}:
        fp_table_kept{L1, L2} ==> fp_links_kept{L1, L2} ==> fp_states_kept{L1, L2} ==>
        \forall struct thread *t; reply_states_but{L1}(t) ==> reply_states_but{L2}(t);

    // The general path's lookup of handle h for one right (cspace_lookup_cap with
    // ANV_OBJ_ENDPOINT and that right) succeeds: at the slot the handle names.
    predicate fp_lookup_finds{L}(struct thread *t, uint64_t h, integer right) =
        cspace_resolve(t->cspace, h) == ANV_OK &&
        cspace_slot_of(t->cspace, h)->type == ANV_OBJ_ENDPOINT &&
        (cspace_slot_of(t->cspace, h)->rights & right) == right;

    // A memo is empty or what such a lookup found: its handle well formed, naming its
    // slot, in range (a thread's CSpace is set once at boot, never moved), and the word
    // it kept the handle's generation above rights that include the right. It says
    // nothing of what the slot holds now: the hit compares the slot's word with it.
    // Over the CSpace record's size and slot array as values (fp_memo_in), so that a take
    // can state it of the record as it was at its entry.
    predicate fp_memo_in{L}(integer size, struct cap *slots, struct ep_lookup_memo *m,
                            integer right) =
        m->cap == \null ||
        (anv_handle_tag_of(m->handle) == ANV_HANDLE_TAG_SOFT &&
         anv_handle_reserved_of(m->handle) == 0 &&
         0 < anv_handle_slot_of(m->handle) < size &&
         m->cap == slots + anv_handle_slot_of(m->handle) &&
         m->rights_gen / FP_GEN_UNIT == anv_handle_generation_of(m->handle) &&
         (m->rights_gen % FP_GEN_UNIT & right) == right);
    predicate fp_memo_ok{L}(struct thread *t, struct ep_lookup_memo *m, integer right) =
        fp_memo_in(t->cspace->size, t->cspace->slots, m, right);

    // Every thread's IPC buffer as the badge store needs it (fp_buffer_ok).
    predicate fp_buffers_ok{L} =
        \forall integer i; 0 <= i < sched_count ==> fp_buffer_ok(sched_all[i]->ipc_buffer);

    // What a take writes besides its memo, field by field: a decline leaves all of it as
    // it was (the takes' assigns name nothing else). A thread's queue, wait and reply
    // fields and its buffer's badge; an endpoint's queue.
    predicate fp_thread_kept{L1, L2}(struct thread *x) =
        \at(x->q_next, L1) == \at(x->q_next, L2) && \at(x->q_prev, L1) == \at(x->q_prev, L2) &&
        \at(x->q_owner, L1) == \at(x->q_owner, L2) && \at(x->state, L1) == \at(x->state, L2) &&
        \at(x->reply_to, L1) == \at(x->reply_to, L2) &&
        \at(x->replier, L1) == \at(x->replier, L2) &&
        \at(x->blocked_on, L1) == \at(x->blocked_on, L2) &&
        \at(x->blocked_cap, L1) == \at(x->blocked_cap, L2) &&
        \at(x->is_call, L1) == \at(x->is_call, L2) &&
        \at(x->is_fault_msg, L1) == \at(x->is_fault_msg, L2) &&
        \at(x->call_grant, L1) == \at(x->call_grant, L2) &&
        (\at(x->ipc_buffer, L1) != \null ==>
            \at(x->ipc_buffer->badge, L1) == \at(\at(x->ipc_buffer, L1)->badge, L2));
    predicate fp_ep_kept{L1, L2}(struct endpoint *e) =
        \at(e->queue.head, L1) == \at(e->queue.head, L2) &&
        \at(e->queue.length, L1) == \at(e->queue.length, L2) &&
        \at(e->queue_is_senders, L1) == \at(e->queue_is_senders, L2);
    // A decline by thread t: the ready queue, every thread of the pool and every endpoint
    // t's CSpace names are as they were.
    predicate fp_ready_kept{L1, L2} =
        \at(sched_ready.head, L1) == \at(sched_ready.head, L2) &&
        \at(sched_running, L1) == \at(sched_running, L2);
    predicate fp_pool_kept{L1, L2} =
        \forall integer i; 0 <= i < \at(sched_count, L1) ==>
            fp_thread_kept{L1, L2}(\at(sched_all[i], L1));
    predicate fp_eps_kept{L1, L2}(struct thread *t) =
        \forall integer k; 0 <= k < \at(t->cspace->size, L1) ==>
            \at(t->cspace->slots[k].type, L1) == ANV_OBJ_ENDPOINT ==>
                fp_ep_kept{L1, L2}(fp_ep_of{L1}(\at(t->cspace->slots + k, L1)));
*/

/* GCC would split a take to inline its early returns into fastpath_call() and
 * fastpath_reply_recv(), leaving at the symbol trap_entry.S calls only a jump to the
 * rest; noipa keeps each take one function. */
#if defined(__GNUC__) && !defined(__clang__)
#define FP_WHOLE __attribute__((noipa))
#else
#define FP_WHOLE
#endif

/* The general path's lookup, inlined: handle -> endpoint cap with `right`, or NULL.
 *
 * First the memo of the last lookup this thread's call (or reply_recv) made: the same
 * handle names the same slot (the slot index is in the handle, whose tag and reserved
 * bits were checked when the memo was made; a thread's CSpace is set once at boot by the
 * loader and its slot array never moves, so the slot is still in range). What the slot
 * holds is tested again as the full lookup tests it (generation, type, right), because
 * the generation alone does not name one filling of a slot: it is 32 bits and wraps
 * after 2^32 deletions (cap_clear in object/cspace.c), and a slot refilled with another
 * type or fewer rights at the same generation must be refused here as the full lookup
 * refuses it. So the memo returns exactly what the full lookup would (proved: the
 * contract's found and not_found), and saves the decode, the bounds test and the slot's
 * address. Rights and generation are compared as the one word they share in struct cap
 * with the word the memo kept: equal means the same generation and the very rights that
 * passed the right's test then.
 *
 * Then the full lookup, with fewer tests than the general path's, each omitted one
 * implied by one that is made:
 * - the tag and the generation are one comparison: handle / 2^24 (a shift) is the
 *   handle's top byte (tag and reserved bits) above its 32-bit generation, so it equals
 *   TAG_SOFT * 2^36 + c->generation exactly when the tag is TAG_SOFT, the reserved bits
 *   are zero and the generations match. Made after the slot is read, which is harmless:
 *   the slot index is in range by then and a mismatch changes nothing;
 * - slot 0 and an empty slot need no test of their own: both hold ANV_OBJ_NULL (slot 0 is
 *   never filled and an empty slot carries no type: inv_check_slot checks both after
 *   every syscall of a checked build), so the type test refuses them.
 * A lookup that succeeds becomes the memo, even when the take then declines: the memo is
 * not state anything else reads (the differential test compares all but it). */
_Static_assert(offsetof(struct cap, generation) == offsetof(struct cap, rights) + 4 &&
                   offsetof(struct cap, rights) % 8 == 0,
               "rights and generation must share one aligned word");

/* A capability's rights and generation as one word: one load on RV64 (the word is
 * 8-aligned, asserted above; may_alias because it reads two uint32_t fields). RISC-V is
 * little-endian, so the word is the generation times FP_GEN_UNIT plus the rights. WP's
 * typed memory does not relate a 64-bit load to the two 32-bit fields it covers, so for
 * the proofs the word is composed from the fields: the one assumption of the memo's
 * proof (docs/assurance.md, "What is assumed"), checked on every memo hit by the
 * differential host test. */
typedef uint64_t __attribute__((may_alias, aligned(8))) fp_word;
/*@ requires \valid_read(c);
    assigns \nothing;
    ensures \result == c->generation * FP_GEN_UNIT + c->rights;
*/
static inline uint64_t fp_rights_gen(const struct cap *c)
{
#ifdef __FRAMAC__
    return c->generation * FP_GEN_UNIT + c->rights;
#else
    return *(const fp_word *)(const void *)&c->rights;
#endif
}

/*@ requires pool_sep && in_pool(t) && fp_cspace_ok(t);
    requires memo == &t->call_memo || memo == &t->recv_memo;
    requires one_right: right == ANV_RIGHT_READ || right == ANV_RIGHT_WRITE;
    requires fp_memo_ok(t, memo, right);
    assigns memo->handle, memo->cap, memo->rights_gen;
    ensures \result == \null || (\valid_read(\result) && \result->type == ANV_OBJ_ENDPOINT &&
        fp_ep_ok(fp_ep_of(\result)));
    ensures in_cspace: \result == \null || cspace_slot_in(\result, t->cspace);
    // Exactly what the general path's lookup finds, memo or not.
    ensures found: fp_lookup_finds(t, handle, right) ==>
        \result == cspace_slot_of(t->cspace, handle);
    ensures not_found: !fp_lookup_finds(t, handle, right) ==> \result == \null;
    ensures memo_kept: fp_memo_ok(t, memo, right);
*/
static inline struct cap *fp_endpoint(struct thread *t, uint64_t handle, uint32_t right,
                                      struct ep_lookup_memo *memo)
{
    struct cap *c = memo->cap;
    if (handle == memo->handle && c && fp_rights_gen(c) == memo->rights_gen &&
        c->type == ANV_OBJ_ENDPOINT) {
        //@ assert memo_hit: fp_ep_ok(fp_ep_of(c));
        //@ assert memo_in: cspace_slot_in(c, t->cspace);
        /*@ assert memo_found: fp_lookup_finds(t, handle, right) &&
                c == cspace_slot_of(t->cspace, handle); */
        return c;
    }
    uint32_t slot = anv_handle_slot(handle);
    const struct cspace *cs = t->cspace;
    if (slot >= cs->size)
        return 0;
    c = &cs->slots[slot];
    /*@ assert full_test: fp_lookup_finds(t, handle, right) <==>
            (handle / ANV_HANDLE_GEN_UNIT ==
                ANV_HANDLE_TAG_SOFT * (ANV_HANDLE_TAG_UNIT / ANV_HANDLE_GEN_UNIT) + c->generation &&
             c->type == ANV_OBJ_ENDPOINT && (c->rights & right) == right); */
    if (handle / ANV_HANDLE_GEN_UNIT !=
            ANV_HANDLE_TAG_SOFT * (ANV_HANDLE_TAG_UNIT / ANV_HANDLE_GEN_UNIT) + c->generation ||
        c->type != ANV_OBJ_ENDPOINT || (c->rights & right) != right)
        return 0;
    //@ assert full_hit: fp_ep_ok(fp_ep_of(c));
    //@ assert full_in: c == cs->slots + slot && slot < cs->size;
    memo->handle = handle;
    memo->cap = c;
    memo->rights_gen = fp_rights_gen(c);
    return c;
}

/* A register-only message: at most ANV_IPC_REG_WORDS words, no capabilities, no
 * reserved bits. A reply with capabilities therefore always takes the general path,
 * which checks the caller's grant right and its free slots. The low 32 bits are
 * sign-extended rather than zero-extended (one instruction on RV64 instead of two): a
 * value with bit 31 set becomes one above 2^63, refused as it should be, and every
 * other value is unchanged, so the test is the same. */
/*@ assigns \nothing; */
static inline bool fp_simple_info(uint64_t info)
{
    return (uint64_t)(int64_t)(int32_t)(uint32_t)info <= ANV_IPC_REG_WORDS;
}

/* `in` may run now in place of `out`: it must land at the head of the ready queue, as
 * the general path puts it after every ready thread of its own priority or more. */
/*@ requires \valid_read(out) && \valid_read(in);
    requires out->q_next == \null || \valid_read(out->q_next);
    assigns \nothing;
    ensures \result != 0 ==> out->q_next == \null || out->q_next->priority < in->priority;
*/
static inline bool fp_can_switch(const struct thread *out, const struct thread *in)
{
    return (!out->q_next || out->q_next->priority < in->priority) &&
           !(in->budget != 0 && in->budget_left <= 0);
}

/* The stores of a call that link the two threads and switch (split out of the take so
 * that its proof does not carry the lookup's; GCC inlines it, the same instructions). */
/*@ requires pool_ok && reply_links && in_pool(client) && in_pool(server) && server != client;
    requires \offset(server) == 0 && \offset(client) == 0;
    requires client->state == TS_READY && client->replier == \null;
    requires server->state == TS_BLOCKED_RECV && server->reply_to == \null &&
        server->replier == \null;
    requires client->q_next != server;
    requires client->q_next == \null || \offset(client->q_next) == 0;
    assigns server->reply_to, client->replier,
            server->q_prev, server->q_next, server->q_owner, server->state,
            client->q_next->q_prev, sched_ready.head, sched_running,
            client->q_next, client->q_prev, client->q_owner, client->state;
    ensures pool_sep && pool_closed;
    ensures replier_pairs && reply_to_pairs && reply_states_but(\null);
    ensures server->reply_to == client && client->replier == server &&
        client->state == TS_BLOCKED_REPLY && server->state == TS_READY &&
        sched_ready.head == server && sched_running == server;
*/
static inline void fp_call_commit(struct thread *client, struct thread *server)
{
    /*@ assert no_replier: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->replier != server; */
    /*@ assert no_reply_to: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->reply_to != client; */
    /*@ ghost L: ; */
    server->reply_to = client;
    client->replier = server;
    /*@ assert l1: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != client ==>
            sched_all[i]->replier == \at(sched_all[i]->replier, L); */
    /*@ assert l2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != server ==>
            sched_all[i]->reply_to == \at(sched_all[i]->reply_to, L); */
    /*@ assert l3: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->state == \at(sched_all[i]->state, L); */
    //@ assert l4: replier_pairs && reply_to_pairs && reply_states_but(client);
    //@ assert l5: pool_sep && pool_closed;
    /*@ ghost H: ; */
    sched_handoff_in(client, server);
    //@ assert h1: fp_table_kept{H, Here} && fp_links_kept{H, Here};
    /*@ assert h2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != server ==>
            sched_all[i]->state == \at(sched_all[i]->state, H); */
    //@ assert h3: replier_pairs && reply_to_pairs;
    //@ assert h4: reply_states_but(client);
    /*@ ghost C: ; */
    client->q_next = 0;
    client->q_prev = 0;
    client->q_owner = 0;
    client->state = TS_BLOCKED_REPLY;
    //@ assert c1: fp_table_kept{C, Here} && fp_links_kept{C, Here};
    /*@ assert c2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != client ==>
            sched_all[i]->state == \at(sched_all[i]->state, C); */
    //@ assert c3: replier_pairs && reply_to_pairs;
    //@ assert c4: reply_states_but(\null);
}

/*@ requires pool_ok && in_pool(client) && reply_links;
    requires client->state == TS_READY;
    requires fp_cspace_ok(client) && fp_memo_ok(client, &client->call_memo, ANV_RIGHT_WRITE);
    requires fp_buffers_ok;
    assigns client->call_memo,
            sched_all[0 .. sched_count - 1]->q_next, sched_all[0 .. sched_count - 1]->q_prev,
            sched_all[0 .. sched_count - 1]->q_owner, sched_all[0 .. sched_count - 1]->state,
            sched_all[0 .. sched_count - 1]->reply_to,
            sched_all[0 .. sched_count - 1]->replier,
            sched_all[0 .. sched_count - 1]->blocked_on,
            sched_all[0 .. sched_count - 1]->blocked_cap,
            sched_all[0 .. sched_count - 1]->is_call,
            sched_all[0 .. sched_count - 1]->is_fault_msg,
            sched_all[0 .. sched_count - 1]->call_grant,
            sched_all[0 .. sched_count - 1]->ipc_buffer->badge,
            client->q_next->q_prev,
            ((struct endpoint *)client->cspace->slots[0 .. client->cspace->size - 1].obj)
                ->queue.head,
            ((struct endpoint *)client->cspace->slots[0 .. client->cspace->size - 1].obj)
                ->queue.length,
            sched_ready.head, sched_running;
    ensures memo_kept: fp_memo_in(\at(client->cspace->size, Pre), \at(client->cspace->slots, Pre),
                                  &client->call_memo, ANV_RIGHT_WRITE);
    ensures declined_ready: \result.next == \null ==> fp_ready_kept{Pre, Post};
    ensures declined_pool: \result.next == \null ==> fp_pool_kept{Pre, Post};
    ensures declined_eps: \result.next == \null ==> fp_eps_kept{Pre, Post}(client);
    ensures hit_pool: \result.next != \null ==> pool_sep && pool_closed;
    ensures hit_links: \result.next != \null ==>
        replier_pairs && reply_to_pairs && reply_states_but(\null);
    ensures hit_badge: \result.next != \null ==>
        \result.badge == \at(cspace_slot_of(client->cspace, handle)->badge, Pre);
    ensures hit_linked: \result.next != \null ==> in_pool(\result.next) &&
        \result.next->reply_to == client && client->replier == \result.next &&
        client->state == TS_BLOCKED_REPLY && \result.next->state == TS_READY &&
        sched_ready.head == \result.next && sched_running == \result.next;
*/
FP_WHOLE fastpath_hit_t fastpath_call_take(uint64_t handle, uint64_t info, struct thread *client)
{
    if (!fp_simple_info(info))
        return fastpath_hit(0, 0);
    struct cap *epcap = fp_endpoint(client, handle, ANV_RIGHT_WRITE, &client->call_memo);
    /*@ assert memo_made: fp_memo_in(\at(client->cspace->size, Pre),
            \at(client->cspace->slots, Pre), &client->call_memo, ANV_RIGHT_WRITE); */
    if (!epcap)
        return fastpath_hit(0, 0);
    struct endpoint *ep = (struct endpoint *)epcap->obj;
    /*@ assert ep_named: \exists integer k; 0 <= k < client->cspace->size &&
            ep == (struct endpoint *)client->cspace->slots[k].obj; */
    struct thread *server = ep->queue.head;
    /* A queued receiver owes no reply (server->reply_to is 0): a receive gives up the
     * reply it owes before it blocks (RFC 0010 section 4.7; inv_check_thread checks it),
     * so the general path's test of it is not repeated here. */
    if (!server || ep->queue_is_senders || sched_ready.head != client ||
        !fp_can_switch(client, server))
        return fastpath_hit(0, 0);

    /* The assertions are steps of the proof (docs/assurance.md), as in thread.c. */
    /*@ assert checked: in_pool(server) && server != client && \offset(server) == 0 &&
            \offset(client) == 0 && server->replier == \null && client->replier == \null &&
            server->reply_to == \null && server->state == TS_BLOCKED_RECV &&
            fp_buffer_ok(server->ipc_buffer) &&
            (server->q_next == \null || \offset(server->q_next) == 0) &&
            (client->q_next == \null || \offset(client->q_next) == 0); */
    /*@ assert f0: fp_table_kept{Pre, Here} && fp_links_kept{Pre, Here} &&
            fp_states_kept{Pre, Here}; */
    //@ assert a0: replier_pairs && reply_to_pairs && reply_states_but(\null);
    /* Deliver (the words: fastpath_deliver or trap_entry.S), the badge also into the
     * server's IPC buffer, as the general path does. */
    uint64_t badge = epcap->badge;
    /*@ ghost A: ; */

    if (server->ipc_buffer)
        server->ipc_buffer->badge = badge;
    struct thread *epnext = server->q_next;
    ep->queue.head = epnext;
    if (epnext)
        epnext->q_prev = 0;
    ep->queue.length--;
    server->blocked_on = 0;
    server->blocked_cap = 0;

    /* The client waits for the reply; the server runs. As on the general path, the
     * reply may carry capabilities only if this call's capability had GRANT. */
    client->is_call = 1;
    client->is_fault_msg = 0;
    client->call_grant = (epcap->rights & ANV_RIGHT_GRANT) != 0;
    /*@ assert a1: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->state == \at(sched_all[i]->state, A) &&
            sched_all[i]->replier == \at(sched_all[i]->replier, A) &&
            sched_all[i]->reply_to == \at(sched_all[i]->reply_to, A); */
    //@ assert a1k: fp_table_kept{A, Here} && fp_links_kept{A, Here} && fp_states_kept{A, Here};
    //@ assert a2: replier_pairs && reply_to_pairs && reply_states_but(\null);
    //@ assert a3: pool_sep && pool_closed;
    /* The memo as the lookup left it, through the stores and the commit (memo_kept: of
     * the CSpace record as it was at the entry, which the lookup does not write). */
    /*@ assert m_stored: client->call_memo.handle == \at(client->call_memo.handle, A) &&
            client->call_memo.cap == \at(client->call_memo.cap, A) &&
            client->call_memo.rights_gen == \at(client->call_memo.rights_gen, A); */
    /*@ ghost B: ; */
    fp_call_commit(client, server);
    /*@ assert m_committed: client->call_memo.handle == \at(client->call_memo.handle, B) &&
            client->call_memo.cap == \at(client->call_memo.cap, B) &&
            client->call_memo.rights_gen == \at(client->call_memo.rights_gen, B); */
    return fastpath_hit(server, badge);
}

/* The stores of a reply the take has checked (split out as fp_call_commit). */
/*@ requires pool_ok && reply_links && in_pool(server) && in_pool(client) && server != client;
    requires \offset(server) == 0 && \offset(client) == 0;
    requires server->state == TS_READY && server->replier == \null;
    requires server->reply_to == client && client->replier == server;
    requires server->q_next != client;
    requires server->q_next == \null || \offset(server->q_next) == 0;
    requires fp_ep_ok(ep);
    assigns server->reply_to, client->replier,
            client->q_prev, client->q_next, client->q_owner, client->state,
            server->q_next->q_prev, sched_ready.head, sched_running,
            ep->queue_is_senders, ep->queue.head, ep->queue.length,
            server->q_next, server->q_prev, server->q_owner, server->state,
            server->blocked_on, server->blocked_cap;
    ensures pool_sep && pool_closed;
    ensures replier_pairs && reply_to_pairs && reply_states_but(\null);
    ensures server->reply_to == \null && client->replier == \null &&
        client->state == TS_READY && sched_ready.head == client && sched_running == client;
    ensures server->state == TS_BLOCKED_RECV && server->q_owner == &ep->queue &&
        ep->queue.head == server && ep->queue.length == 1;
*/
static inline void fp_reply_commit(struct thread *server, struct thread *client,
                                   struct endpoint *ep, struct cap *epcap)
{
    /*@ assert only_client: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->replier == server ==> sched_all[i] == client; */
    /*@ assert only_server: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->reply_to == client ==> sched_all[i] == server; */
    /*@ ghost L: ; */

    /* Reply (the words: fastpath_deliver or trap_entry.S). */
    server->reply_to = 0;
    client->replier = 0;
    /*@ assert l1: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != client ==>
            sched_all[i]->replier == \at(sched_all[i]->replier, L); */
    /*@ assert l2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != server ==>
            sched_all[i]->reply_to == \at(sched_all[i]->reply_to, L); */
    //@ assert l3: fp_table_kept{L, Here} && fp_states_kept{L, Here};
    //@ assert l4: replier_pairs && reply_to_pairs;
    //@ assert l5: reply_states_but(client);
    //@ assert l6: pool_sep && pool_closed;
    /*@ ghost H: ; */

    /* The server waits on its endpoint; the client runs. */
    sched_handoff_in(server, client);
    //@ assert h1: fp_table_kept{H, Here} && fp_links_kept{H, Here};
    /*@ assert h2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != client ==>
            sched_all[i]->state == \at(sched_all[i]->state, H); */
    //@ assert h3: replier_pairs && reply_to_pairs;
    //@ assert h4: reply_states_but(\null);
    /*@ ghost C: ; */
    ep->queue_is_senders = 0;
    ep->queue.head = server;
    ep->queue.length = 1;
    server->q_next = 0;
    server->q_prev = 0;
    server->q_owner = &ep->queue;
    server->state = TS_BLOCKED_RECV;
    server->blocked_on = &ep->hdr;
    server->blocked_cap = epcap;
    //@ assert c1: fp_table_kept{C, Here} && fp_links_kept{C, Here};
    /*@ assert c2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != server ==>
            sched_all[i]->state == \at(sched_all[i]->state, C); */
    //@ assert c3: replier_pairs && reply_to_pairs;
    //@ assert c4: reply_states_but(\null);
}

/*@ requires pool_ok && in_pool(server) && reply_links;
    requires server->state == TS_READY;
    requires fp_cspace_ok(server) && fp_memo_ok(server, &server->recv_memo, ANV_RIGHT_READ);
    requires fp_buffers_ok;
    assigns server->recv_memo,
            sched_all[0 .. sched_count - 1]->q_next, sched_all[0 .. sched_count - 1]->q_prev,
            sched_all[0 .. sched_count - 1]->q_owner, sched_all[0 .. sched_count - 1]->state,
            sched_all[0 .. sched_count - 1]->reply_to,
            sched_all[0 .. sched_count - 1]->replier,
            sched_all[0 .. sched_count - 1]->blocked_on,
            sched_all[0 .. sched_count - 1]->blocked_cap,
            server->q_next->q_prev,
            ((struct endpoint *)server->cspace->slots[0 .. server->cspace->size - 1].obj)
                ->queue.head,
            ((struct endpoint *)server->cspace->slots[0 .. server->cspace->size - 1].obj)
                ->queue.length,
            ((struct endpoint *)server->cspace->slots[0 .. server->cspace->size - 1].obj)
                ->queue_is_senders,
            sched_ready.head, sched_running;
    ensures memo_kept: fp_memo_in(\at(server->cspace->size, Pre), \at(server->cspace->slots, Pre),
                                  &server->recv_memo, ANV_RIGHT_READ);
    ensures declined_ready: \result.next == \null ==> fp_ready_kept{Pre, Post};
    ensures declined_pool: \result.next == \null ==> fp_pool_kept{Pre, Post};
    ensures declined_eps: \result.next == \null ==> fp_eps_kept{Pre, Post}(server);
    ensures hit_pool: \result.next != \null ==> pool_sep && pool_closed;
    ensures hit_links: \result.next != \null ==>
        replier_pairs && reply_to_pairs && reply_states_but(\null);
    ensures hit_cut: \result.next != \null ==> \result.next == \old(server->reply_to) &&
        server->reply_to == \null && \result.next->replier == \null &&
        \result.next->state == TS_READY && sched_ready.head == \result.next &&
        sched_running == \result.next;
    ensures hit_badge: \result.next != \null ==> \result.badge == 0 &&
        in_pool(\result.next) && \result.next != server;
    ensures hit_queued: \result.next != \null ==> server->state == TS_BLOCKED_RECV &&
        \valid(server->q_owner) && server->q_owner->head == server &&
        server->q_owner->length == 1;
*/
FP_WHOLE fastpath_hit_t fastpath_reply_recv_take(uint64_t handle, uint64_t info,
                                                 struct thread *server)
{
    struct thread *client = server->reply_to;
    if (!client || client->is_fault_msg || !fp_simple_info(info))
        return fastpath_hit(0, 0);
    struct cap *epcap = fp_endpoint(server, handle, ANV_RIGHT_READ, &server->recv_memo);
    /*@ assert memo_made: fp_memo_in(\at(server->cspace->size, Pre),
            \at(server->cspace->slots, Pre), &server->recv_memo, ANV_RIGHT_READ); */
    if (!epcap)
        return fastpath_hit(0, 0);
    struct endpoint *ep = (struct endpoint *)epcap->obj;
    /*@ assert ep_named: \exists integer k; 0 <= k < server->cspace->size &&
            ep == (struct endpoint *)server->cspace->slots[k].obj; */
    /* Only an empty endpoint: with senders queued the server would not block, and a
     * queue of receivers needs the ordered insert. */
    if (ep->queue.head || sched_ready.head != server || !fp_can_switch(server, client))
        return fastpath_hit(0, 0);

    /* The assertions are steps of the proof, as in fastpath_call_take. */
    /*@ assert checked: in_pool(client) && client != server && \offset(server) == 0 &&
            \offset(client) == 0 && client->replier == server && server->replier == \null &&
            (server->q_next == \null || \offset(server->q_next) == 0); */
    /*@ assert f0: fp_table_kept{Pre, Here} && fp_links_kept{Pre, Here} &&
            fp_states_kept{Pre, Here}; */
    //@ assert a0: replier_pairs && reply_to_pairs && reply_states_but(\null);
    /* The memo as the lookup left it, through the commit (as in fastpath_call_take). */
    /*@ ghost B: ; */
    fp_reply_commit(server, client, ep, epcap);
    /*@ assert m_committed: server->recv_memo.handle == \at(server->recv_memo.handle, B) &&
            server->recv_memo.cap == \at(server->recv_memo.cap, B) &&
            server->recv_memo.rights_gen == \at(server->recv_memo.rights_gen, B); */
    return fastpath_hit(client, 0);
}

struct thread *fastpath_call(struct thread *client)
{
    fastpath_hit_t hit =
        fastpath_call_take(client->frame.regs[REG_A0], client->frame.regs[REG_A1], client);
    struct thread *next = fastpath_hit_next(hit);
    if (next)
        fastpath_deliver(next, client, fastpath_hit_badge(hit));
    return next;
}

struct thread *fastpath_reply_recv(struct thread *server)
{
    fastpath_hit_t hit =
        fastpath_reply_recv_take(server->frame.regs[REG_A0], server->frame.regs[REG_A1], server);
    struct thread *next = fastpath_hit_next(hit);
    if (next)
        fastpath_deliver(next, server, fastpath_hit_badge(hit));
    return next;
}

struct thread *fastpath_try(struct thread *t)
{
    uint64_t nr = t->frame.regs[REG_A7];
    if (nr == ANV_SYS_IPC_CALL)
        return fastpath_call(t);
    if (nr == ANV_SYS_IPC_REPLY_RECV)
        return fastpath_reply_recv(t);
    return 0;
}
