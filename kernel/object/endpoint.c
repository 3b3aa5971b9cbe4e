/* Endpoints: rendezvous of sender and receiver, message and capability transfer, the
 * one-shot reply of ipc.call, fault messages. Every operation validates the whole message
 * before it moves a single word, so a refused message leaves both sides untouched. */
#include "object/endpoint.h"

#include "core/audit.h"
#include "object/cspace.h"
#include "core/panic.h"
#include "core/sched.h"
#include "object/thread.h"

void ep_init(struct endpoint *ep)
{
    kobj_init(&ep->hdr, ANV_OBJ_ENDPOINT);
    ep->queue.head = 0;
    ep->queue.length = 0;
    ep->queue_is_senders = 0;
}

/* ACSL (proved by WP, tests/proof/wp/; docs/assurance.md). A thread whose message the
 * kernel reads: its CSpace resolves handles, its IPC buffer (if any) is readable. */
/*@ predicate ipc_thread_ok{L}(struct thread *t) =
        \valid_read(t) && cspace_valid(t->cspace) &&
        (t->ipc_buffer == \null || \valid_read(t->ipc_buffer));

    // What a message that passed the sender-side checks is: within the bounds, its long
    // words and capabilities in an IPC buffer, every capability to transfer resolving in
    // the sender's CSpace to something that may be copied.
    predicate ipc_bounds_ok{L}(struct thread *t, integer may_grant, uint64_t info) =
        anv_msginfo_words_of(info) <= ANV_IPC_MAX_WORDS &&
        anv_msginfo_caps_of(info) <= ANV_IPC_MAX_CAPS &&
        (anv_msginfo_words_of(info) > ANV_IPC_REG_WORDS ==> t->ipc_buffer != \null) &&
        (anv_msginfo_caps_of(info) > 0 ==> may_grant != 0 && t->ipc_buffer != \null);
    predicate ipc_payload_ok{L}(struct thread *t, integer may_grant, uint64_t info) =
        ipc_bounds_ok(t, may_grant, info) &&
        \forall integer i; 0 <= i < anv_msginfo_caps_of(info) ==>
            cspace_resolve(t->cspace, t->ipc_buffer->caps_out[i]) == ANV_OK &&
            cspace_slot_of(t->cspace, t->ipc_buffer->caps_out[i])->type != ANV_OBJ_MAPPING;
*/

/*@ requires \valid_read(t);
    assigns \nothing;
    ensures t->is_fault_msg == 0 ==> \result == t->frame.regs[REG_A1];
*/
static uint64_t msg_info_of(const struct thread *t)
{
    if (t->is_fault_msg)
        return anv_msginfo(t->fault_label, 4, 0);
    return t->frame.regs[REG_A1];
}

/* The checks a message (or a reply) passes on the sender's side: bounds, the right to
 * transfer (`may_grant`), and every capability to transfer. Changes nothing. */
/*@ requires ipc_thread_ok(sender);
    assigns \nothing;
    ensures \result == ANV_OK ==> ipc_payload_ok(sender, may_grant, info);
*/
static int ipc_check_payload(const struct thread *sender, bool may_grant, uint64_t info)
{
    uint32_t words = anv_msginfo_words(info);
    uint32_t ncaps = anv_msginfo_caps(info);
    if (words > ANV_IPC_MAX_WORDS)
        return ANV_E_MSG_TOO_LONG;
    if ((info & 0xFFFFF000u) != 0) /* reserved bits 31..12 */
        return ANV_E_INVALID_ARG;
    if (ncaps > ANV_IPC_MAX_CAPS)
        return ANV_E_TOO_MANY_CAPS;
    if (words > ANV_IPC_REG_WORDS && sender->ipc_buffer == 0)
        return ANV_E_MSG_TOO_LONG;
    if (ncaps == 0)
        return ANV_OK;
    if (!may_grant)
        return ANV_E_RIGHTS;
    if (sender->ipc_buffer == 0)
        return ANV_E_INVALID_ARG;
    /*@ loop invariant 0 <= i <= ncaps;
        loop invariant \forall integer j; 0 <= j < i ==>
            cspace_resolve(sender->cspace, sender->ipc_buffer->caps_out[j]) == ANV_OK &&
            cspace_slot_of(sender->cspace, sender->ipc_buffer->caps_out[j])->type !=
                ANV_OBJ_MAPPING;
        loop assigns i;
        loop variant ncaps - i;
    */
    for (uint32_t i = 0; i < ncaps; i++) {
        struct cap *src;
        int err = cspace_lookup(sender->cspace, sender->ipc_buffer->caps_out[i], &src);
        if (err != ANV_OK)
            return err;
        uint64_t mask = sender->ipc_buffer->caps_out_rights[i];
        if (mask & ~(uint64_t)ANV_RIGHTS_ALL)
            return ANV_E_INVALID_ARG;
        err = cap_derive_check(src, src->rights & (uint32_t)mask, 0);
        if (err != ANV_OK)
            return err;
    }
    return ANV_OK;
}

/*@ requires ipc_thread_ok(sender) && \valid_read(epcap);
    assigns \nothing;
    ensures \result == ANV_OK ==>
        ipc_payload_ok(sender, (epcap->rights & ANV_RIGHT_GRANT) != 0 ? 1 : 0, info);
*/
int ipc_check_message(const struct thread *sender, const struct cap *epcap, uint64_t info)
{
    return ipc_check_payload(sender, (epcap->rights & ANV_RIGHT_GRANT) != 0, info);
}

/* The receiving side of a transfer of `ncaps` capabilities: an IPC buffer for the handles
 * and that many free slots (lowest first) into `dst`. Changes nothing. */
/*@ requires \valid_read(receiver) && cspace_valid(receiver->cspace);
    requires \valid(dst + (0 .. ncaps - 1));
    requires \separated(dst + (0 .. ncaps - 1), receiver, receiver->cspace,
                        receiver->cspace->slots + (0 .. receiver->cspace->size - 1));
    assigns dst[0 .. ncaps - 1];
    ensures \result == ANV_OK && ncaps > 0 ==> receiver->ipc_buffer != \null;
    ensures \result == ANV_OK ==> \forall integer k; 0 <= k < ncaps ==>
        \base_addr(dst[k]) == \base_addr(receiver->cspace->slots) &&
        receiver->cspace->slots <= dst[k] < receiver->cspace->slots + receiver->cspace->size &&
        dst[k]->obj == \null;
    ensures \result == ANV_OK ==> \forall integer k; 0 <= k < ncaps ==>
        cspace_slot_in(dst[k], receiver->cspace);
    ensures \result == ANV_OK ==> \forall integer k1, k2; 0 <= k1 < k2 < ncaps ==>
        dst[k1] < dst[k2];
*/
static int ipc_check_receiver_slots(const struct thread *receiver, uint32_t ncaps,
                                    struct cap **dst)
{
    if (ncaps == 0)
        return ANV_OK;
    if (receiver->ipc_buffer == 0)
        return ANV_E_NO_SLOTS;
    return cspace_find_free(receiver->cspace, ncaps, dst);
}

/* ACSL for the transfer's frame (proved by WP; docs/assurance.md, property 4). Each fact
 * about where a transfer stores has a value form (_v: of no memory but the allocation,
 * the CSpace records, slot arrays, sizes and IPC buffers its arguments), and the form
 * of the threads' current values is its instance: ipc_move_caps takes the values at its
 * entry, and a fact of no memory is kept by every step as it is. */
/*@ // A whole slot of the array `slots` of `size` slots; or a pointer apart from it (what
    // lets the provers tell a store to one capability from a read of another).
    predicate slot_v(struct cap *p, struct cap *slots, integer size) =
        \exists integer x; 0 <= x < size && p == slots + x;
    // Two whole slots of one array, one below the other, are apart.
    lemma slot_v_apart: \forall struct cap *p, *q, *a, integer n;
        slot_v(p, a, n) && slot_v(q, a, n) && p < q ==> \separated(p, q);
    predicate slot_or_apart_v(struct cap *p, struct cap *slots, integer size) =
        slot_v(p, slots, size) || \separated(p, slots + (0 .. size - 1));
    predicate slot_or_apart{L}(struct cap *p, struct cspace *cs) =
        cspace_slot_in(p, cs) || \separated(p, cs->slots + (0 .. cs->size - 1));

    // Where a transfer from `s` into `r` stores: the sender's CSpace record `sc` (its slot
    // array `sa` of `sn` slots) and IPC buffer `sb`, the receiver's `rc`, `ra`, `rn`, `rb`,
    // both threads and the audit log and counters, told apart (s and r may share a CSpace,
    // then the one slot array).
    predicate move_apart_v(struct thread *s, struct thread *r, struct cspace *sc,
                           struct cap *sa, integer sn, struct anv_ipc_buffer *sb,
                           struct cspace *rc, struct cap *ra, integer rn,
                           struct anv_ipc_buffer *rb) =
        (sc == rc || \separated(sa + (0 .. sn - 1), ra + (0 .. rn - 1))) &&
        \separated(sa + (0 .. sn - 1), rc, s, r,
                   audit_ring + (0 .. ANV_AUDIT_RING - 1), &audit_seq, &cap_live) &&
        \separated(ra + (0 .. rn - 1), sc, s, r,
                   audit_ring + (0 .. ANV_AUDIT_RING - 1), &audit_seq, &cap_live) &&
        \separated(sb, rb, sc, rc, sa + (0 .. sn - 1), ra + (0 .. rn - 1),
                   audit_ring + (0 .. ANV_AUDIT_RING - 1), &audit_seq, &cap_live) &&
        \separated(rb, s, r) && \separated(sc, r, s) && \separated(rc, r, s);
    // The same of the threads' current values, stated out (not as an instance of the
    // value form: ipc_move_cap's goals, which read it, are several times slower so).
    predicate move_apart{L}(struct thread *s, struct thread *r) =
        (s->cspace == r->cspace ||
            \separated(s->cspace->slots + (0 .. s->cspace->size - 1),
                       r->cspace->slots + (0 .. r->cspace->size - 1))) &&
        \separated(s->cspace->slots + (0 .. s->cspace->size - 1), r->cspace, s, r,
                   audit_ring + (0 .. ANV_AUDIT_RING - 1), &audit_seq, &cap_live) &&
        \separated(r->cspace->slots + (0 .. r->cspace->size - 1), s->cspace, s, r,
                   audit_ring + (0 .. ANV_AUDIT_RING - 1), &audit_seq, &cap_live) &&
        \separated(s->ipc_buffer, r->ipc_buffer, s->cspace, r->cspace,
                   s->cspace->slots + (0 .. s->cspace->size - 1),
                   r->cspace->slots + (0 .. r->cspace->size - 1),
                   audit_ring + (0 .. ANV_AUDIT_RING - 1), &audit_seq, &cap_live) &&
        \separated(r->ipc_buffer, s, r) && \separated(s->cspace, r, s) &&
        \separated(r->cspace, r, s);

    // An object a slot of the sender names: apart from both slot arrays, its count apart
    // from the fields of both CSpace records a transfer reads.
    predicate move_obj_v(struct kobj *o, struct cspace *sc, struct cap *sa, integer sn,
                         struct cspace *rc, struct cap *ra, integer rn) =
        \valid(o) && \separated(o, sa + (0 .. sn - 1), ra + (0 .. rn - 1)) &&
        \separated(&o->refs, &sc->size, &sc->first_dynamic, &rc->size, &rc->first_dynamic);
    predicate move_obj_ok{L}(struct kobj *o, struct thread *s, struct thread *r) =
        \valid(o) &&
        \separated(o, s->cspace->slots + (0 .. s->cspace->size - 1),
                   r->cspace->slots + (0 .. r->cspace->size - 1)) &&
        \separated(&o->refs, &s->cspace->size, &s->cspace->first_dynamic,
                   &r->cspace->size, &r->cspace->first_dynamic);

    // A first child of a slot of the sender: a whole slot of either array or apart from
    // it, and apart from the threads and the records.
    predicate move_child_v(struct cap *p, struct thread *s, struct thread *r,
                           struct cspace *sc, struct cap *sa, integer sn,
                           struct cspace *rc, struct cap *ra, integer rn) =
        \valid(p) && slot_or_apart_v(p, sa, sn) && slot_or_apart_v(p, ra, rn) &&
        \separated(p, s, r, sc, rc);
    predicate move_child_ok{L}(struct cap *p, struct thread *s, struct thread *r) =
        \valid(p) && slot_or_apart(p, s->cspace) && slot_or_apart(p, r->cspace) &&
        \separated(p, s, r, s->cspace, r->cspace);

    // The slot the sender's i-th handle names.
    logic struct cap *move_src{L}(struct thread *s, integer i) =
        cspace_slot_of(s->cspace, s->ipc_buffer->caps_out[i]);
*/

/* Slots, an array of them, apart from every thread of the pool and the scheduler's
 * globals; and what a transfer or a reply writes, apart from what the reply link and the
 * scheduler read. */
/*@ predicate caps_apart_pool{L}(struct cap *p, integer n) =
        (\forall integer k; 0 <= k < sched_count ==> \separated(p + (0 .. n - 1), sched_all[k])) &&
        \separated(p + (0 .. n - 1), sched_all + (0 .. SCHED_MAX_THREADS - 1), &sched_count,
                   &sched_ready, &sched_running, &sched_sleepers);

    // What a reply from `s` to `c` writes, apart from what the reply link and the
    // scheduler read: the transfer's (move_apart), both slot arrays and the audit log apart
    // from the pool, every object's count apart from the threads' states, every first
    // child a slot apart from the pool and the objects and holding a capability (so it is
    // none of the empty destination slots).
    predicate reply_apart{L}(struct thread *s, struct thread *c) =
        move_apart(s, c) &&
        caps_apart_pool(s->cspace->slots, s->cspace->size) &&
        caps_apart_pool(c->cspace->slots, c->cspace->size) &&
        (\forall integer k; 0 <= k < sched_count ==>
            \separated(sched_all[k], s->ipc_buffer, c->ipc_buffer,
                       audit_ring + (0 .. ANV_AUDIT_RING - 1), &audit_seq, &cap_live)) &&
        (\forall integer x; 0 <= x < s->cspace->size ==> s->cspace->slots[x].obj != \null ==>
            move_obj_ok(s->cspace->slots[x].obj, s, c) &&
            \separated(&s->cspace->slots[x].obj->refs, &sched_count, &sched_ready.length) &&
            \forall integer k; 0 <= k < sched_count ==>
                \separated(&s->cspace->slots[x].obj->refs, &sched_all[k]->state)) &&
        (\forall integer x; 0 <= x < s->cspace->size ==>
            s->cspace->slots[x].first_child != \null ==>
                move_child_ok(s->cspace->slots[x].first_child, s, c) &&
                s->cspace->slots[x].first_child->obj != \null &&
                caps_apart_pool(s->cspace->slots[x].first_child, 1)) &&
        (\forall integer x, y; 0 <= x < s->cspace->size && 0 <= y < s->cspace->size ==>
            s->cspace->slots[x].first_child != \null && s->cspace->slots[y].obj != \null ==>
                \separated(s->cspace->slots[x].first_child, s->cspace->slots[y].obj));
*/


/*@ // What the reply link and the scheduler read, the same in two states: the table,
    // every thread's links and state, the ready queue's and the timeout list's heads.
    predicate pool_frame{L1, L2} =
        \at(sched_count, L1) == \at(sched_count, L2) &&
        (\forall integer i; 0 <= i < SCHED_MAX_THREADS ==>
            \at(sched_all[i], L1) == \at(sched_all[i], L2)) &&
        \at(sched_ready.head, L1) == \at(sched_ready.head, L2) &&
        \at(sched_sleepers, L1) == \at(sched_sleepers, L2);
    predicate pool_links_frame{L1, L2} =
        \forall integer i; 0 <= i < \at(sched_count, L1) ==>
            \at(sched_all[i]->replier, L1) == \at(sched_all[i]->replier, L2) &&
            \at(sched_all[i]->reply_to, L1) == \at(sched_all[i]->reply_to, L2) &&
            \at(sched_all[i]->state, L1) == \at(sched_all[i]->state, L2);
    predicate pool_queues_frame{L1, L2} =
        \forall integer i; 0 <= i < \at(sched_count, L1) ==>
            \at(sched_all[i]->q_next, L1) == \at(sched_all[i]->q_next, L2) &&
            \at(sched_all[i]->q_prev, L1) == \at(sched_all[i]->q_prev, L2) &&
            \at(sched_all[i]->sleep_next, L1) == \at(sched_all[i]->sleep_next, L2) &&
            \at(sched_all[i]->q_owner, L1) == \at(sched_all[i]->q_owner, L2);
*/

/* One capability of a transfer: a copy of `src`, the slot the sender's i-th handle names,
 * into the empty slot `to`, its handle in the receiver's caps_in[i], its
 * ANV_AUDIT_TRANSFER record (subject the sender, object the object transferred, arg the
 * rights given). It writes `to`, the source's child link and the count of its object,
 * caps_in[i] and the audit log. */
/*@ requires ipc_thread_ok(sender) && \valid_read(receiver) && cspace_valid(receiver->cspace);
    requires i < ANV_IPC_MAX_CAPS && sender->ipc_buffer != \null && \valid(receiver->ipc_buffer);
    requires move_apart(sender, receiver);
    requires cspace_slot_in(src, sender->cspace) && src->obj != \null;
    requires cspace_slot_in(to, receiver->cspace) && to->obj == \null && to->owner == receiver->cspace;
    requires move_obj_ok(src->obj, sender, receiver);
    requires src->first_child == \null ||
        (move_child_ok(src->first_child, sender, receiver) &&
         \separated(src->first_child, to, src->obj) && caps_apart_pool(src->first_child, 1));
    requires caps_apart_pool(sender->cspace->slots, sender->cspace->size) &&
        caps_apart_pool(receiver->cspace->slots, receiver->cspace->size);
    requires \forall integer k; 0 <= k < sched_count ==>
        \separated(sched_all[k], receiver->ipc_buffer, audit_ring + (0 .. ANV_AUDIT_RING - 1),
                   &audit_seq, &cap_live) &&
        \separated(&src->obj->refs, &sched_all[k]->state);
    requires \separated(&src->obj->refs, &sched_count, &sched_ready.length);
    assigns to->obj, to->type, to->placed, to->rights, to->badge, to->first_child,
            to->map_vaddr, to->map_vspace, to->parent, to->next_sibling, to->prev_sibling,
            src->first_child, src->first_child->prev_sibling, src->obj->refs,
            receiver->ipc_buffer->caps_in[i], cap_live, audit_seq,
            audit_ring[0 .. ANV_AUDIT_RING - 1];
    ensures src->first_child == to;
    // The frame the caller's loop reads, stated here where it is one call deep.
    ensures threads: sender->cspace == \old(sender->cspace) &&
        sender->ipc_buffer == \old(sender->ipc_buffer) &&
        receiver->cspace == \old(receiver->cspace) &&
        receiver->ipc_buffer == \old(receiver->ipc_buffer);
    ensures records: sender->cspace->size == \old(sender->cspace->size) &&
        sender->cspace->first_dynamic == \old(sender->cspace->first_dynamic) &&
        sender->cspace->slots == \old(sender->cspace->slots) &&
        receiver->cspace->size == \old(receiver->cspace->size) &&
        receiver->cspace->first_dynamic == \old(receiver->cspace->first_dynamic) &&
        receiver->cspace->slots == \old(receiver->cspace->slots);
    // No thread: the table and the two list heads are as they were (the rest of the
    // pool's fields by the assigns clause and the separation required).
    ensures pool: pool_frame{Pre, Post};
*/
static void ipc_move_cap(const struct thread *sender, struct thread *receiver, uint32_t i,
                         struct cap *src, struct cap *to)
{
    const struct kobj *obj = src->obj;
    uint32_t rights = src->rights & (uint32_t)sender->ipc_buffer->caps_out_rights[i];
    cap_derive(to, src, rights, 0);
    receiver->ipc_buffer->caps_in[i] = cap_handle(to);
    audit_log(ANV_AUDIT_TRANSFER, sender->hdr.id, obj->id, rights, ANV_OK);
}

/*@ // Both threads as ipc_move_cap requires them, by value (move_at says the threads hold
    // the values), and where the transfer stores told apart.
    predicate move_ctx_v(struct thread *s, struct thread *r, struct cspace *sc,
                         struct cap *sa, integer sn, struct anv_ipc_buffer *sb,
                         struct cspace *rc, struct cap *ra, integer rn,
                         struct anv_ipc_buffer *rb) =
        \valid_read(s) && \valid_read(r) && \valid_read(sc) && \valid_read(rc) &&
        0 < sn <= ANV_HANDLE_SLOT_MASK + 1 && 0 < rn <= ANV_HANDLE_SLOT_MASK + 1 &&
        \valid(sa + (0 .. sn - 1)) && \valid(ra + (0 .. rn - 1)) &&
        \separated(sc, sa + (0 .. sn - 1)) && \separated(rc, ra + (0 .. rn - 1)) &&
        sb != \null && \valid_read(sb) && \valid(rb) &&
        move_apart_v(s, r, sc, sa, sn, sb, rc, ra, rn, rb);
    // The threads hold those values: the CSpace records, their slot arrays and sizes, the
    // IPC buffers (and cspace_valid's lower bound of the dynamic slots).
    predicate move_at{L}(struct thread *s, struct thread *r, struct cspace *sc,
                         struct cap *sa, integer sn, struct anv_ipc_buffer *sb,
                         struct cspace *rc, struct cap *ra, integer rn,
                         struct anv_ipc_buffer *rb) =
        s->cspace == sc && sc->slots == sa && sc->size == sn && s->ipc_buffer == sb &&
        1 <= sc->first_dynamic &&
        r->cspace == rc && rc->slots == ra && rc->size == rn && r->ipc_buffer == rb &&
        1 <= rc->first_dynamic;
    // Both slot arrays and the receiver's buffer apart from the pool (part of reply_apart).
    predicate move_pool_apart{L}(struct thread *s, struct thread *r) =
        caps_apart_pool(s->cspace->slots, s->cspace->size) &&
        caps_apart_pool(r->cspace->slots, r->cspace->size) &&
        \forall integer j; 0 <= j < sched_count ==>
            \valid_read(sched_all[j]) &&
            \separated(sched_all[j], r->ipc_buffer, audit_ring + (0 .. ANV_AUDIT_RING - 1),
                       &audit_seq, &cap_live);
*/

/* The slot the sender's i-th handle names; the handle resolves (the caller checked it). */
/*@ requires ipc_thread_ok(sender) && sender->ipc_buffer != \null && i < ANV_IPC_MAX_CAPS;
    requires cspace_resolve(sender->cspace, sender->ipc_buffer->caps_out[i]) == ANV_OK;
    assigns \nothing;
    ensures \result == move_src(sender, i) && \result->obj != \null;
    ensures 0 < anv_handle_slot_of(sender->ipc_buffer->caps_out[i]) < sender->cspace->size;
*/
static struct cap *ipc_move_source(const struct thread *sender, uint32_t i)
{
    struct cap *src = 0;
    int err = cspace_lookup(sender->cspace, sender->ipc_buffer->caps_out[i], &src);
    KASSERT(err == ANV_OK);
    (void)err;
    return src;
}

/* Step i of a transfer: ipc_move_cap(sender, receiver, i, src[i], dst[i]), its
 * requirements stated by value with what the transfer took at its entry as ghost
 * parameters: the sender's CSpace record `sc`, its slot array `sa` of `sn` slots and IPC
 * buffer `sb`, the receiver's `rc`, `ra`, `rn`, `rb`. The loop of ipc_move_steps keeps
 * facts of no memory as they are, so only the steps turn them into ipc_move_cap's; and
 * the step states what it leaves of the later sources and destinations, index by index,
 * from their separations at i. */
/*@ requires i < ncaps <= ANV_IPC_MAX_CAPS;
    requires at: move_at(sender, receiver, sc, sa, sn, sb, rc, ra, rn, rb);
    requires ctx: move_ctx_v(sender, receiver, sc, sa, sn, sb, rc, ra, rn, rb);
    requires pool_apart: move_pool_apart(sender, receiver);
    requires lists: \valid_read(src + (0 .. ncaps - 1)) && \valid_read(dst + (0 .. ncaps - 1)) &&
        \separated(src + (0 .. ncaps - 1), dst[i]) && \separated(src + (0 .. ncaps - 1), src[i]) &&
        \separated(dst + (0 .. ncaps - 1), dst[i]) && \separated(dst + (0 .. ncaps - 1), src[i]);
    requires src: slot_v(src[i], sa, sn) && src[i]->obj != \null;
    requires to: slot_v(dst[i], ra, rn) && dst[i]->obj == \null && dst[i]->owner == rc;
    requires obj: move_obj_v(src[i]->obj, sc, sa, sn, rc, ra, rn) &&
        \separated(&src[i]->obj->refs, &sched_count, &sched_ready.length) &&
        \forall integer j; 0 <= j < sched_count ==>
            \separated(&src[i]->obj->refs, &sched_all[j]->state);
    requires child: src[i]->first_child == \null ||
        (move_child_v(src[i]->first_child, sender, receiver, sc, sa, sn, rc, ra, rn) &&
         \separated(src[i]->first_child, dst[i], src[i]->obj) &&
         caps_apart_pool(src[i]->first_child, 1)) ||
        (slot_v(src[i]->first_child, ra, rn) && \separated(src[i]->first_child, dst[i]));
    requires child_lists: src[i]->first_child != \null ==>
        \separated(src + (0 .. ncaps - 1), src[i]->first_child) &&
        \separated(dst + (0 .. ncaps - 1), src[i]->first_child);
    // The later destinations and sources apart from what this step writes (a later source
    // may be this one, or its first child).
    requires later: \forall integer k; i < k < ncaps ==>
        \valid(dst[k]) && \valid(src[k]) &&
        \separated(dst[k], dst[i]) && \separated(dst[k], src[i]) &&
        \separated(src[k], dst[i]) && (src[k] == src[i] || \separated(src[k], src[i])) &&
        (src[i]->first_child == \null ||
         (\separated(dst[k], src[i]->first_child) &&
          (src[k] == src[i]->first_child || \separated(src[k], src[i]->first_child))));
    assigns dst[i]->obj, dst[i]->type, dst[i]->placed, dst[i]->rights, dst[i]->badge,
            dst[i]->first_child, dst[i]->map_vaddr, dst[i]->map_vspace, dst[i]->parent,
            dst[i]->next_sibling, dst[i]->prev_sibling,
            src[i]->first_child, src[i]->first_child->prev_sibling, src[i]->obj->refs,
            receiver->ipc_buffer->caps_in[i], cap_live, audit_seq,
            audit_ring[0 .. ANV_AUDIT_RING - 1];
    ensures at: move_at(sender, receiver, sc, sa, sn, sb, rc, ra, rn, rb);
    ensures pool_apart: move_pool_apart(sender, receiver);
    ensures lists: \forall integer k; 0 <= k < ncaps ==>
        src[k] == \old(src[k]) && dst[k] == \old(dst[k]);
    ensures linked: src[i]->first_child == dst[i];
    ensures later: \forall integer k; i < k < ncaps ==>
        dst[k]->obj == \old(dst[k]->obj) && dst[k]->owner == \old(dst[k]->owner) &&
        src[k]->obj == \old(src[k]->obj) &&
        (src[k] != src[i] ==> src[k]->first_child == \old(src[k]->first_child));
    ensures pool: pool_frame{Pre, Post};
    ensures pool_links: pool_links_frame{Pre, Post};
    ensures pool_queues: pool_queues_frame{Pre, Post};
*/
static void ipc_move_step(const struct thread *sender, struct thread *receiver, uint32_t i,
                          uint32_t ncaps, struct cap *const *src, struct cap **dst)
    /*@ ghost (struct cspace *sc, struct cap *sa, uint32_t sn, struct anv_ipc_buffer *sb,
               struct cspace *rc, struct cap *ra, uint32_t rn, struct anv_ipc_buffer *rb) */
{
    ipc_move_cap(sender, receiver, i, src[i], dst[i]);
}

/* The steps of a transfer: ipc_move_step for each source src[i] into dst[i], in order. The
 * sources and destinations are as ipc_move_caps found them, and what the steps read is
 * given by value (the ghost parameters, as ipc_move_step's) with the facts of no memory
 * stated of it: a function of its own so that its loop's goals carry only these. */
/*@ requires n: 0 < ncaps <= ANV_IPC_MAX_CAPS;
    requires at: move_at(sender, receiver, sc, sa, sn, sb, rc, ra, rn, rb);
    requires ctx: move_ctx_v(sender, receiver, sc, sa, sn, sb, rc, ra, rn, rb);
    requires pool_apart: move_pool_apart(sender, receiver);
    requires lists: \valid_read(src + (0 .. ncaps - 1)) && \valid_read(dst + (0 .. ncaps - 1)) &&
        \separated(src + (0 .. ncaps - 1), dst + (0 .. ncaps - 1)) &&
        \separated(src + (0 .. ncaps - 1), sa + (0 .. sn - 1), ra + (0 .. rn - 1)) &&
        \separated(dst + (0 .. ncaps - 1), sa + (0 .. sn - 1), ra + (0 .. rn - 1));
    // The sources: whole slots of the sender's array holding a capability, their objects
    // as ipc_move_step requires them;
    requires srcs: \forall integer k; 0 <= k < ncaps ==>
        slot_v(src[k], sa, sn) && \valid(src[k]) && src[k]->obj != \null &&
        move_obj_v(src[k]->obj, sc, sa, sn, rc, ra, rn) &&
        \separated(&src[k]->obj->refs, &sched_count, &sched_ready.length) &&
        \forall integer j; 0 <= j < sched_count ==>
            \separated(&src[k]->obj->refs, &sched_all[j]->state);
    // their first children, apart from the destinations, both lists and every source (or
    // one of them);
    requires kids: \forall integer k; 0 <= k < ncaps ==> src[k]->first_child != \null ==>
        move_child_v(src[k]->first_child, sender, receiver, sc, sa, sn, rc, ra, rn) &&
        caps_apart_pool(src[k]->first_child, 1) &&
        \separated(src[k]->first_child, src[k]->obj) &&
        \separated(src[k]->first_child, dst + (0 .. ncaps - 1)) &&
        \separated(src[k]->first_child, src + (0 .. ncaps - 1)) &&
        (\forall integer j; 0 <= j < ncaps ==> \separated(src[k]->first_child, dst[j])) &&
        \forall integer m; 0 <= m < ncaps ==>
            src[m] == src[k]->first_child || \separated(src[m], src[k]->first_child);
    // the destinations: distinct empty whole slots of the receiver's array, owned by it;
    requires dsts: \forall integer j; 0 <= j < ncaps ==>
        slot_v(dst[j], ra, rn) && \valid(dst[j]) && dst[j]->obj == \null &&
        dst[j]->owner == rc;
    requires dd: \forall integer j1, j2; 0 <= j1 < j2 < ncaps ==> \separated(dst[j1], dst[j2]);
    requires lists_apart: \forall integer j; 0 <= j < ncaps ==>
        \separated(src + (0 .. ncaps - 1), dst[j]) && \separated(dst + (0 .. ncaps - 1), dst[j]) &&
        \separated(src + (0 .. ncaps - 1), src[j]) && \separated(dst + (0 .. ncaps - 1), src[j]);
    // and each source apart from each destination, and one with or apart from another.
    requires sd: \forall integer k, j; 0 <= k < ncaps && 0 <= j < ncaps ==>
        \separated(src[k], dst[j]);
    requires ss: \forall integer k, m; 0 <= k < ncaps && 0 <= m < ncaps ==>
        src[k] == src[m] || \separated(src[k], src[m]);
    assigns dst[0 .. ncaps - 1]->obj, dst[0 .. ncaps - 1]->type, dst[0 .. ncaps - 1]->placed,
            dst[0 .. ncaps - 1]->rights, dst[0 .. ncaps - 1]->badge,
            dst[0 .. ncaps - 1]->first_child, dst[0 .. ncaps - 1]->map_vaddr,
            dst[0 .. ncaps - 1]->map_vspace, dst[0 .. ncaps - 1]->parent,
            dst[0 .. ncaps - 1]->next_sibling, (ra + (0 .. rn - 1))->prev_sibling,
            src[0 .. ncaps - 1]->first_child, src[0 .. ncaps - 1]->first_child->prev_sibling,
            src[0 .. ncaps - 1]->obj->refs, rb->caps_in[0 .. ncaps - 1], cap_live, audit_seq,
            audit_ring[0 .. ANV_AUDIT_RING - 1];
    ensures at: move_at(sender, receiver, sc, sa, sn, sb, rc, ra, rn, rb);
    ensures pool: pool_frame{Pre, Post};
    ensures pool_links: pool_links_frame{Pre, Post};
    ensures pool_queues: pool_queues_frame{Pre, Post};
*/
static void ipc_move_steps(const struct thread *sender, struct thread *receiver,
                           uint32_t ncaps, struct cap *const *src, struct cap **dst)
    /*@ ghost (struct cspace *sc, struct cap *sa, uint32_t sn, struct anv_ipc_buffer *sb,
               struct cspace *rc, struct cap *ra, uint32_t rn, struct anv_ipc_buffer *rb) */
{
    /*@ loop invariant bound: 0 <= i <= ncaps;
        loop invariant at: move_at(sender, receiver, sc, sa, sn, sb, rc, ra, rn, rb);
        loop invariant pool_apart: move_pool_apart(sender, receiver);
        loop invariant pool: pool_frame{Pre, Here};
        // pool_links_frame{Pre, Here}, stated out (the table and the count are unchanged
        // globals): as the predicate, its preservation timed out.
        loop invariant pool_links: \forall integer j; 0 <= j < sched_count ==>
            sched_all[j]->replier == \at(sched_all[j]->replier, Pre) &&
            sched_all[j]->reply_to == \at(sched_all[j]->reply_to, Pre) &&
            sched_all[j]->state == \at(sched_all[j]->state, Pre);
        loop invariant pool_queues: pool_queues_frame{Pre, Here};
        loop invariant lists: \forall integer k; 0 <= k < ncaps ==>
            src[k] == \at(src[k], Pre) && dst[k] == \at(dst[k], Pre);
        loop invariant empty: \forall integer k; i <= k < ncaps ==>
            dst[k]->obj == \null && dst[k]->owner == rc;
        loop invariant objs: \forall integer k; i <= k < ncaps ==>
            src[k]->obj == \at(src[k]->obj, Pre);
        // A later source's first child: the one at the entry or an earlier destination,
        // and in either case apart from its own and the later destinations, both lists
        // and every source (or one of them).
        loop invariant children: \forall integer k; i <= k < ncaps ==>
            (src[k]->first_child == \at(src[k]->first_child, Pre) ||
             (src[k]->first_child != \null && slot_v(src[k]->first_child, ra, rn) &&
              \separated(src[k]->first_child, \at(dst[k], Pre)))) &&
            (src[k]->first_child != \null ==>
                \separated(src[k]->first_child, dst + (0 .. ncaps - 1)) &&
                \separated(src[k]->first_child, src + (0 .. ncaps - 1)) &&
                (\forall integer m; k <= m < ncaps ==>
                    \separated(src[k]->first_child, \at(dst[m], Pre))) &&
                (\forall integer m; 0 <= m < ncaps ==>
                    \at(src[m], Pre) == src[k]->first_child ||
                    \separated(\at(src[m], Pre), src[k]->first_child)));
        loop invariant refs_pool: \forall integer k; 0 <= k < ncaps ==>
            \forall integer j; 0 <= j < sched_count ==>
                \separated(&\at(src[k]->obj, Pre)->refs, &sched_all[j]->state);
        loop invariant kids_pool: \forall integer k; 0 <= k < ncaps ==>
            \at(src[k]->first_child, Pre) != \null ==>
                caps_apart_pool(\at(src[k]->first_child, Pre), 1);
        loop assigns i,
            \at(dst[0 .. ncaps - 1], Pre)->obj, \at(dst[0 .. ncaps - 1], Pre)->type,
            \at(dst[0 .. ncaps - 1], Pre)->placed, \at(dst[0 .. ncaps - 1], Pre)->rights,
            \at(dst[0 .. ncaps - 1], Pre)->badge, \at(dst[0 .. ncaps - 1], Pre)->first_child,
            \at(dst[0 .. ncaps - 1], Pre)->map_vaddr, \at(dst[0 .. ncaps - 1], Pre)->map_vspace,
            \at(dst[0 .. ncaps - 1], Pre)->parent, \at(dst[0 .. ncaps - 1], Pre)->next_sibling,
            (ra + (0 .. rn - 1))->prev_sibling, \at(src[0 .. ncaps - 1], Pre)->first_child,
            \at(src[0 .. ncaps - 1]->first_child, Pre)->prev_sibling,
            \at(src[0 .. ncaps - 1]->obj, Pre)->refs, rb->caps_in[0 .. ncaps - 1], cap_live,
            audit_seq, audit_ring[0 .. ANV_AUDIT_RING - 1];
        loop variant ncaps - i;
    */
    for (uint32_t i = 0; i < ncaps; i++)
        ipc_move_step(sender, receiver, i, ncaps, src, dst)
            /*@ ghost (sc, sa, sn, sb, rc, ra, rn, rb) */;
}

/* Move checked capabilities, caps_out[0 .. ncaps - 1] into `dst`. Cannot fail: both sides
 * were checked. It writes the receiver's slots, the links and counts of what it copies,
 * the receiver's caps_in[] and the audit log, and nothing else (no thread: the contract).
 * It looks every source up first, so that the steps read no handle (each step's source
 * is then a value no step changes), takes what the steps read (the ghost values), and
 * hands both lists to ipc_move_steps. The contract is what ipc_reply's proof uses; every
 * goal of this function and of ipc_move_steps proves but parts of their assigns clauses
 * (docs/assurance.md, "What is not proved"). */
/*@ requires ipc_thread_ok(sender) && \valid_read(receiver) && cspace_valid(receiver->cspace);
    requires ncaps <= ANV_IPC_MAX_CAPS;
    requires ncaps > 0 ==> sender->ipc_buffer != \null && \valid(receiver->ipc_buffer);
    requires reply_apart(sender, receiver);
    // The pool's threads valid (pool_sep says so): none is where the call's assigns clause
    // puts a first child's prev_sibling when the source has no child (at NULL).
    requires pool_valid: \forall integer k; 0 <= k < sched_count ==> \valid_read(sched_all[k]);
    requires \valid_read(dst + (0 .. ncaps - 1));
    requires \separated(dst + (0 .. ncaps - 1), sender, receiver, sender->cspace,
                        receiver->cspace, receiver->ipc_buffer,
                        sender->cspace->slots + (0 .. sender->cspace->size - 1),
                        receiver->cspace->slots + (0 .. receiver->cspace->size - 1));
    requires \forall integer k; 0 <= k < ncaps ==>
        cspace_slot_in(dst[k], receiver->cspace) && dst[k]->obj == \null &&
        dst[k]->owner == receiver->cspace;
    requires \forall integer k1, k2; 0 <= k1 < k2 < ncaps ==> dst[k1] < dst[k2];
    // The sender's handles resolve: the caller's check (ipc_reply_check) ends with it.
    requires resolve: \forall integer k; 0 <= k < ncaps ==>
        cspace_resolve(sender->cspace, sender->ipc_buffer->caps_out[k]) == ANV_OK;
    requires \forall integer x; 0 <= x < sender->cspace->size ==>
        sender->cspace->slots[x].obj != \null ==>
            move_obj_ok(sender->cspace->slots[x].obj, sender, receiver);
    requires \forall integer x; 0 <= x < sender->cspace->size ==>
        sender->cspace->slots[x].first_child != \null ==>
            move_child_ok(sender->cspace->slots[x].first_child, sender, receiver) &&
            \separated(sender->cspace->slots[x].first_child, dst + (0 .. ncaps - 1)) &&
            \forall integer k; 0 <= k < ncaps ==> sender->cspace->slots[x].first_child != dst[k];
    requires \forall integer x, y; 0 <= x < sender->cspace->size &&
        0 <= y < sender->cspace->size ==>
        sender->cspace->slots[x].first_child != \null && sender->cspace->slots[y].obj != \null ==>
            \separated(sender->cspace->slots[x].first_child, sender->cspace->slots[y].obj);
    assigns receiver->cspace->slots[0 .. receiver->cspace->size - 1].obj,
            receiver->cspace->slots[0 .. receiver->cspace->size - 1].type,
            receiver->cspace->slots[0 .. receiver->cspace->size - 1].placed,
            receiver->cspace->slots[0 .. receiver->cspace->size - 1].rights,
            receiver->cspace->slots[0 .. receiver->cspace->size - 1].badge,
            receiver->cspace->slots[0 .. receiver->cspace->size - 1].first_child,
            receiver->cspace->slots[0 .. receiver->cspace->size - 1].map_vaddr,
            receiver->cspace->slots[0 .. receiver->cspace->size - 1].map_vspace,
            receiver->cspace->slots[0 .. receiver->cspace->size - 1].parent,
            receiver->cspace->slots[0 .. receiver->cspace->size - 1].next_sibling,
            receiver->cspace->slots[0 .. receiver->cspace->size - 1].prev_sibling,
            sender->cspace->slots[0 .. sender->cspace->size - 1].first_child,
            sender->cspace->slots[0 .. sender->cspace->size - 1].first_child->prev_sibling,
            sender->cspace->slots[0 .. sender->cspace->size - 1].obj->refs,
            receiver->ipc_buffer->caps_in[0 .. ncaps - 1], cap_live, audit_seq,
            audit_ring[0 .. ANV_AUDIT_RING - 1];
    ensures threads: sender->cspace == \old(sender->cspace) &&
        sender->ipc_buffer == \old(sender->ipc_buffer) &&
        receiver->cspace == \old(receiver->cspace) &&
        receiver->ipc_buffer == \old(receiver->ipc_buffer);
    ensures pool: pool_frame{Pre, Post};
    ensures pool_links: pool_links_frame{Pre, Post};
    ensures pool_queues: pool_queues_frame{Pre, Post};
*/
static void ipc_move_caps(const struct thread *sender, struct thread *receiver, uint32_t ncaps,
                          struct cap **dst)
{
    if (ncaps == 0)
        return;
    struct cap *src[ANV_IPC_MAX_CAPS] = {0};
    /*@ ghost struct cspace *sc = sender->cspace; */
    /*@ ghost struct cap *sa = sender->cspace->slots; */
    /*@ ghost uint32_t sn = sender->cspace->size; */
    /*@ ghost struct anv_ipc_buffer *sb = sender->ipc_buffer; */
    /*@ ghost struct cspace *rc = receiver->cspace; */
    /*@ ghost struct cap *ra = receiver->cspace->slots; */
    /*@ ghost uint32_t rn = receiver->cspace->size; */
    /*@ ghost struct anv_ipc_buffer *rb = receiver->ipc_buffer; */
    /*@ assert sender_buffer: sb != \null && \valid_read(sb); */
    /*@ assert receiver_buffer: \valid(rb); */
    uint32_t found = 0;
    /*@ loop invariant 0 <= found <= ncaps;
        loop invariant \forall integer k; 0 <= k < found ==>
            src[k] == move_src(sender, k) && src[k]->obj != \null &&
            0 < anv_handle_slot_of(sender->ipc_buffer->caps_out[k]) < sender->cspace->size;
        loop assigns found, src[0 .. ANV_IPC_MAX_CAPS - 1];
        loop variant ncaps - found;
    */
    for (; found < ncaps; found++)
        src[found] = ipc_move_source(sender, found);
    /*@ assert found == ncaps; */
    /*@ assert apart: move_apart(sender, receiver); */
    /*@ assert records: \valid_read(sc) && \valid_read(rc); */
    /*@ assert src_at: \forall integer k; 0 <= k < ncaps ==>
            src[k] == sa + anv_handle_slot_of(sb->caps_out[k]) &&
            0 < anv_handle_slot_of(sb->caps_out[k]) < sn && src[k]->obj != \null; */
    /*@ assert src_slot: \forall integer k; 0 <= k < ncaps ==> slot_v(src[k], sa, sn); */
    /*@ assert dst_slot: \forall integer j; 0 <= j < ncaps ==> slot_v(dst[j], ra, rn); */
    /*@ assert dst_apart: \forall integer j1, j2; 0 <= j1 < j2 < ncaps ==>
            \separated(dst[j1], dst[j2]); */
    ipc_move_steps(sender, receiver, ncaps, src, dst)
        /*@ ghost (sc, sa, sn, sb, rc, ra, rn, rb) */;
}

/* The long part of a message: words ANV_IPC_REG_WORDS..words-1 of mr[] (the first ones
 * travel in registers). Callers checked `words` against ANV_IPC_MAX_WORDS and that both
 * buffers exist when there is a long part: the contract makes WP prove it at each call. */
/*@ requires words_bounded: words <= ANV_IPC_MAX_WORDS;
    requires buffers_present: words > ANV_IPC_REG_WORDS ==> \valid(to) && \valid_read(from);
    assigns to->mr[ANV_IPC_REG_WORDS .. words - 1];
    ensures \separated(to, from) ==> \forall integer i; ANV_IPC_REG_WORDS <= i < words ==>
        to->mr[i] == from->mr[i];
*/
static inline void ipc_copy_words(struct anv_ipc_buffer *to, const struct anv_ipc_buffer *from,
                                  uint32_t words)
{
    /*@ loop invariant ANV_IPC_REG_WORDS <= i && (words > ANV_IPC_REG_WORDS ==> i <= words);
        loop invariant \separated(to, from) ==> \forall integer j; ANV_IPC_REG_WORDS <= j < i ==>
            to->mr[j] == from->mr[j];
        loop assigns i, to->mr[ANV_IPC_REG_WORDS .. words - 1];
        loop variant words - i;
    */
    for (uint32_t i = ANV_IPC_REG_WORDS; i < words; i++)
        to->mr[i] = from->mr[i];
}

/* Every check of a delivery, both sides: the sender's message (unless it is a fault
 * record, which the kernel made) and the receiver's buffer and free slots, found into
 * `dst`. Changes nothing else, so a refused delivery leaves both threads as they were. */
/*@ requires ipc_thread_ok(sender) && \valid_read(epcap);
    requires \valid_read(receiver) && cspace_valid(receiver->cspace);
    requires \valid(dst + (0 .. ANV_IPC_MAX_CAPS - 1));
    requires \separated(dst + (0 .. ANV_IPC_MAX_CAPS - 1), receiver, receiver->cspace,
                        receiver->cspace->slots + (0 .. receiver->cspace->size - 1));
    requires \separated(dst + (0 .. ANV_IPC_MAX_CAPS - 1), sender, sender->cspace,
                        sender->cspace->slots + (0 .. sender->cspace->size - 1), sender->ipc_buffer,
                        epcap);
    assigns dst[0 .. ANV_IPC_MAX_CAPS - 1];
    ensures \result == ANV_OK && sender->is_fault_msg == 0 ==>
        ipc_bounds_ok(sender, (epcap->rights & ANV_RIGHT_GRANT) != 0 ? 1 : 0, info);
    ensures \result == ANV_OK && sender->is_fault_msg == 0 ==>
        (anv_msginfo_words_of(info) > ANV_IPC_REG_WORDS ==> receiver->ipc_buffer != \null) &&
        (anv_msginfo_caps_of(info) > 0 ==> receiver->ipc_buffer != \null);
*/
static int ipc_transfer_check(const struct thread *sender, const struct thread *receiver,
                              const struct cap *epcap, uint64_t info, struct cap **dst)
{
    if (sender->is_fault_msg)
        return ANV_OK;
    /* Handles may have gone stale while the sender was queued: check again. */
    int err = ipc_check_message(sender, epcap, info);
    if (err != ANV_OK)
        return err;
    if (anv_msginfo_words(info) > ANV_IPC_REG_WORDS && receiver->ipc_buffer == 0)
        return ANV_E_MSG_TOO_LONG;
    return ipc_check_receiver_slots(receiver, anv_msginfo_caps(info), dst);
}

/* What a refused transfer keeps of each thread: its registers and its IPC buffer. */
/*@ predicate ipc_regs_unchanged{L1, L2}(struct thread *t) = \forall integer i; 0 <= i < 32 ==>
        \at(t->frame.regs[i], L1) == \at(t->frame.regs[i], L2);
    predicate ipc_buffer_unchanged{L1, L2}(struct anv_ipc_buffer *b) = b != \null ==>
        \at(b->badge, L1) == \at(b->badge, L2) &&
        (\forall integer i; 0 <= i < ANV_IPC_MAX_WORDS ==> \at(b->mr[i], L1) == \at(b->mr[i], L2)) &&
        \forall integer i; 0 <= i < ANV_IPC_MAX_CAPS ==>
            \at(b->caps_out[i], L1) == \at(b->caps_out[i], L2) &&
            \at(b->caps_in[i], L1) == \at(b->caps_in[i], L2) &&
            \at(b->caps_out_rights[i], L1) == \at(b->caps_out_rights[i], L2);
*/

/* Move one message from sender to receiver: an error with nothing moved, or ANV_OK with
 * the message delivered. */
/*@ requires ipc_thread_ok(sender) && \valid_read(epcap_of_sender);
    requires \valid(receiver) && cspace_valid(receiver->cspace);
    requires receiver->ipc_buffer == \null || \valid(receiver->ipc_buffer);
    ensures refused_caps: \result != ANV_OK ==>
        caps_unchanged{Pre, Post} && refs_unchanged{Pre, Post};
    ensures refused_counts: \result != ANV_OK ==>
        cap_live == \old(cap_live) && audit_unchanged{Pre, Post};
    ensures refused_threads: \result != ANV_OK ==>
        receiver->ipc_buffer == \old(receiver->ipc_buffer) &&
        sender->ipc_buffer == \old(sender->ipc_buffer) &&
        ipc_regs_unchanged{Pre, Post}(receiver) && ipc_regs_unchanged{Pre, Post}(sender) &&
        ipc_buffer_unchanged{Pre, Post}(receiver->ipc_buffer) &&
        ipc_buffer_unchanged{Pre, Post}(sender->ipc_buffer);
*/
static int ipc_transfer(struct thread *sender, struct thread *receiver, uint64_t badge,
                        const struct cap *epcap_of_sender)
{
    uint64_t info = msg_info_of(sender);
    uint32_t words = anv_msginfo_words(info);
    uint32_t ncaps = anv_msginfo_caps(info);
    struct cap *dst[ANV_IPC_MAX_CAPS];

    int err = ipc_transfer_check(sender, receiver, epcap_of_sender, info, dst);
    if (err != ANV_OK)
        return err;

    /* From here on nothing can fail. */
    uint64_t *rregs = receiver->frame.regs;
    if (sender->is_fault_msg) {
        rregs[REG_A2] = sender->fault_words[0];
        rregs[REG_A3] = sender->fault_words[1];
        rregs[REG_A4] = sender->fault_words[2];
        rregs[REG_A5] = sender->fault_words[3];
    } else {
        const uint64_t *sregs = sender->frame.regs;
        rregs[REG_A2] = sregs[REG_A2];
        rregs[REG_A3] = sregs[REG_A3];
        rregs[REG_A4] = sregs[REG_A4];
        rregs[REG_A5] = sregs[REG_A5];
        ipc_copy_words(receiver->ipc_buffer, sender->ipc_buffer, words);
        ipc_move_caps(sender, receiver, ncaps, dst);
    }
    rregs[REG_A1] = anv_msginfo(anv_msginfo_label(info), words, ncaps);
    rregs[REG_A6] = badge;
    if (receiver->ipc_buffer)
        receiver->ipc_buffer->badge = badge;
    rregs[REG_A0] = ANV_OK;
    return ANV_OK;
}

/* A call delivered: `server` owes `client` the reply, both ends set at once (the
 * converse of ipc_reply_cut below). Neither was linked before. */
/*@ requires pool_ok && in_pool(server) && in_pool(client) && server != client;
    requires replier_pairs && reply_to_pairs;
    requires server->reply_to == \null && client->replier == \null;
    assigns server->reply_to, client->replier;
    ensures pool_sep;
    ensures pool_closed;
    ensures server->reply_to == client && client->replier == server;
    ensures replier_pairs;
    ensures reply_to_pairs;
*/
static inline void ipc_call_link(struct thread *server, struct thread *client)
{
    //@ assert offsets: \offset(server) == 0 && \offset(client) == 0;
    /*@ assert no_replier: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->replier != server; */
    /*@ assert no_reply_to: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->reply_to != client; */
    server->reply_to = client;
    client->replier = server;
    /*@ assert replier_frame: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i] != client ==> sched_all[i]->replier == \at(sched_all[i]->replier, Pre);
    */
    /*@ assert reply_to_frame: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i] != server ==> sched_all[i]->reply_to == \at(sched_all[i]->reply_to, Pre);
    */
}

/* After delivery and the release of the receiver's earlier caller: a call links the
 * two and blocks the sender for the reply, a send completes; the receiver runs again.
 * ACSL (proved by WP, tests/proof/wp/; docs/assurance.md, property 4): the reply link
 * holds after, and a call leaves the two linked and the sender waiting for the reply,
 * given the state ipc_after_delivery passes on (its callers', ep_deliver_or_queue and
 * ep_receive: not proved, see "assumed"; the release's, proved): two threads of the
 * pool, neither waiting for a reply, each on the ready queue or on none (the one just
 * taken off the endpoint's queue), the receiver owing no reply. The assertions are
 * steps of the proof, as in thread.c. */
/*@ requires pool_ok && in_pool(sender) && in_pool(receiver) && sender != receiver;
    requires reply_links;
    requires sender->state != TS_BLOCKED_REPLY && receiver->state != TS_BLOCKED_REPLY;
    requires sender->q_owner == \null || sender->q_owner == &sched_ready;
    requires receiver->q_owner == \null || receiver->q_owner == &sched_ready;
    requires receiver->reply_to == \null;
    requires is_call != 0 ==> \valid_read(epcap);
    ensures pool_sep;
    ensures pool_closed;
    ensures replier_pairs;
    ensures reply_to_pairs;
    ensures reply_states_but(\null);
    ensures is_call != 0 ==> receiver->reply_to == sender && sender->replier == receiver &&
        sender->state == TS_BLOCKED_REPLY;
*/
static void ipc_link_and_wake(struct thread *sender, struct thread *receiver, bool is_call,
                              const struct cap *epcap)
{
    //@ assert apart: \offset(sender) == 0 && \offset(receiver) == 0 && \separated(sender, receiver);
    //@ assert sender_free: sender->replier == \null;
    //@ assert receiver_free: receiver->replier == \null;
    if (is_call) {
        /*@ ghost L: ; */
        ipc_call_link(receiver, sender);
        /*@ assert l1: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i]->state == \at(sched_all[i]->state, L); */
        //@ assert l2: receiver->q_owner == \at(receiver->q_owner, L);
        //@ assert l3: sender->q_owner == \at(sender->q_owner, L);
        //@ assert l4: replier_pairs;
        //@ assert l5: reply_to_pairs;
        //@ assert l6: reply_states_but(sender);
        /*@ ghost G: ; */
        sender->call_grant = (epcap->rights & ANV_RIGHT_GRANT) != 0;
        /*@ assert g1: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i]->state == \at(sched_all[i]->state, G) &&
                sched_all[i]->replier == \at(sched_all[i]->replier, G) &&
                sched_all[i]->reply_to == \at(sched_all[i]->reply_to, G); */
        //@ assert g2: pool_sep && pool_closed;
        //@ assert g3: replier_pairs;
        //@ assert g4: reply_to_pairs;
        //@ assert g5: reply_states_but(sender);
        //@ assert g6: receiver->q_owner == \at(receiver->q_owner, L);
        //@ assert g7: sender->q_owner == \at(sender->q_owner, L);
        /*@ ghost B: ; */
        sched_block(sender, TS_BLOCKED_REPLY);
        /*@ assert b1: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i]->replier == \at(sched_all[i]->replier, B) &&
                sched_all[i]->reply_to == \at(sched_all[i]->reply_to, B); */
        /*@ assert b2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != sender ==>
                sched_all[i]->state == \at(sched_all[i]->state, B); */
        //@ assert b3: replier_pairs;
        //@ assert b4: reply_to_pairs;
        /*@ assert b5: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != sender ==>
                link_state_ok(sched_all[i]); */
        //@ assert b6: link_state_ok(sender);
        //@ assert b7: receiver->q_owner == \at(receiver->q_owner, B);
        //@ assert b8: receiver->replier == \null && receiver->state != TS_BLOCKED_REPLY;
        //@ assert b9: receiver->reply_to == sender && sender->replier == receiver;
        /* The receiver runs again, in both branches: the proof follows one path each. */
        /*@ ghost M: ; */
        sched_make_ready(receiver);
        /*@ assert r1: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i]->replier == \at(sched_all[i]->replier, M) &&
                sched_all[i]->reply_to == \at(sched_all[i]->reply_to, M); */
        /*@ assert r2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != receiver ==>
                sched_all[i]->state == \at(sched_all[i]->state, M); */
        //@ assert r3: replier_pairs;
        //@ assert r4: reply_to_pairs;
        /*@ assert r5: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != receiver ==>
                link_state_ok(sched_all[i]); */
        //@ assert r6: link_state_ok(receiver);
        /*@ assert r7: receiver->reply_to == sender && sender->replier == receiver &&
                sender->state == TS_BLOCKED_REPLY; */
        //@ assert r8: reply_states_but(\null);
    } else {
        thread_set_result(sender, ANV_OK);
        /*@ ghost S: ; */
        sched_make_ready(sender);
        /*@ assert k1: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i]->replier == \at(sched_all[i]->replier, S) &&
                sched_all[i]->reply_to == \at(sched_all[i]->reply_to, S); */
        /*@ assert k2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != sender ==>
                sched_all[i]->state == \at(sched_all[i]->state, S); */
        //@ assert k3: replier_pairs;
        //@ assert k4: reply_to_pairs;
        /*@ assert k5: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != sender ==>
                link_state_ok(sched_all[i]); */
        //@ assert k6: link_state_ok(sender);
        //@ assert k7: receiver->q_owner == \at(receiver->q_owner, S);
        //@ assert k8: receiver->replier == \null && receiver->state != TS_BLOCKED_REPLY;
        /*@ ghost N: ; */
        sched_make_ready(receiver);
        /*@ assert w1: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i]->replier == \at(sched_all[i]->replier, N) &&
                sched_all[i]->reply_to == \at(sched_all[i]->reply_to, N); */
        /*@ assert w2: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != receiver ==>
                sched_all[i]->state == \at(sched_all[i]->state, N); */
        //@ assert w3: replier_pairs;
        //@ assert w4: reply_to_pairs;
        /*@ assert w5: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != receiver ==>
                link_state_ok(sched_all[i]); */
        //@ assert w6: link_state_ok(receiver);
        //@ assert w7: reply_states_but(\null);
    }
}

/* After delivery: a call makes the receiver owe the sender a reply, which may carry
 * capabilities only if the capability the call went through (`epcap`) had GRANT.
 * ACSL (proved by WP; docs/assurance.md, property 4): the reply link holds after, given
 * ipc_link_and_wake's preconditions except that the receiver may still owe an earlier
 * caller its reply; that caller is then on no queue, as a thread waiting for a reply is
 * (the kernel's invariant, assumed here). The assertions are steps of the proof. */
/*@ requires pool_ok && in_pool(sender) && in_pool(receiver) && sender != receiver;
    requires reply_links;
    requires sender->state != TS_BLOCKED_REPLY && receiver->state != TS_BLOCKED_REPLY;
    requires sender->q_owner == \null || sender->q_owner == &sched_ready;
    requires receiver->q_owner == \null || receiver->q_owner == &sched_ready;
    requires receiver->reply_to != \null ==> receiver->reply_to->q_owner == \null;
    requires is_call != 0 ==> \valid_read(epcap);
    ensures pool_sep;
    ensures pool_closed;
    ensures replier_pairs;
    ensures reply_to_pairs;
    ensures reply_states_but(\null);
    ensures is_call != 0 ==> receiver->reply_to == sender && sender->replier == receiver &&
        sender->state == TS_BLOCKED_REPLY;
*/
static void ipc_after_delivery(struct thread *sender, struct thread *receiver, bool is_call,
                               const struct cap *epcap)
{
    /* It dropped an earlier reply: that caller is told, not stranded. */
    if (receiver->reply_to) {
        /*@ assert caller_waits: in_pool(receiver->reply_to) &&
                receiver->reply_to->replier == receiver &&
                receiver->reply_to->state == TS_BLOCKED_REPLY; */
        /*@ assert caller_apart: receiver->reply_to != sender &&
                receiver->reply_to != receiver; */
        thread_release_caller(receiver->reply_to, ANV_E_CANCELLED);
        /*@ assert d1: sender->state == \at(sender->state, Pre) &&
                sender->q_owner == \at(sender->q_owner, Pre); */
        /*@ assert d2: receiver->state == \at(receiver->state, Pre) &&
                receiver->q_owner == \at(receiver->q_owner, Pre); */
        //@ assert d3: receiver->reply_to == \null;
        //@ assert d4: in_pool(sender) && in_pool(receiver);
    }
    ipc_link_and_wake(sender, receiver, is_call, epcap);
}

/* Hand the message of `sender` (its flags already set) to a waiting receiver, or queue
 * the sender on the endpoint. An error leaves everything as it was. */
static int ep_deliver_or_queue(struct thread *sender, struct cap *epcap)
{
    struct endpoint *ep = (struct endpoint *)epcap->obj;
    if (!ep->queue_is_senders && ep->queue.head) {
        struct thread *receiver = ep->queue.head;
        int err = ipc_transfer(sender, receiver, epcap->badge, epcap);
        if (err != ANV_OK)
            return err;
        tq_remove(&ep->queue, receiver);
        receiver->blocked_on = 0;
        receiver->blocked_cap = 0;
        ipc_after_delivery(sender, receiver, sender->is_call, epcap);
        return ANV_OK;
    }
    if (ep->queue.length >= ANV_IPC_QUEUE_MAX)
        return ANV_E_QUEUE_FULL;
    sched_block(sender, TS_BLOCKED_SEND);
    ep->queue_is_senders = 1;
    sender->blocked_on = &ep->hdr;
    sender->blocked_cap = epcap;
    sender->blocked_badge = epcap->badge;
    tq_insert(&ep->queue, sender);
    return ANV_OK;
}

int ep_send(struct thread *sender, struct cap *epcap, uint64_t info, bool is_call)
{
    int err = ipc_check_message(sender, epcap, info);
    if (err != ANV_OK)
        return err;
    sender->is_call = is_call;
    sender->is_fault_msg = 0;
    return ep_deliver_or_queue(sender, epcap);
}

int ep_send_fault(struct thread *t, struct cap *fault_ep)
{
    t->is_call = 1;
    t->is_fault_msg = 1;
    int err = ep_deliver_or_queue(t, fault_ep);
    if (err != ANV_OK)
        t->is_fault_msg = 0;
    return err;
}

int ep_receive(struct thread *receiver, struct cap *epcap)
{
    struct endpoint *ep = (struct endpoint *)epcap->obj;
    /* Queued senders whose message became invalid while waiting get their error and
     * leave; the loop is bounded by the queue bound, and a queue longer than that is a
     * broken kernel, not a reason to block behind senders. */
    for (uint32_t guard = 0; ep->queue_is_senders && ep->queue.head; guard++) {
        if (guard >= ANV_IPC_QUEUE_MAX)
            panic("endpoint %u: more than %u senders queued", ep->hdr.id, ANV_IPC_QUEUE_MAX);
        struct thread *sender = ep->queue.head;
        const struct cap *via = sender->blocked_cap;
        int err = ipc_transfer(sender, receiver, sender->blocked_badge, via);
        tq_remove(&ep->queue, sender);
        sender->blocked_on = 0;
        sender->blocked_cap = 0;
        if (err != ANV_OK) {
            thread_set_result(sender, (uint64_t)err);
            sched_make_ready(sender);
            continue;
        }
        ipc_after_delivery(sender, receiver, sender->is_call, via);
        return ANV_OK;
    }
    if (ep->queue.head && !ep->queue_is_senders && ep->queue.length >= ANV_IPC_QUEUE_MAX)
        return ANV_E_QUEUE_FULL;
    /* Receiving again without replying gives up the reply now, as it does when a message
     * is delivered at once: the caller must not wait for the next message, which may
     * never come. */
    if (receiver->reply_to)
        thread_release_caller(receiver->reply_to, ANV_E_CANCELLED);
    sched_block(receiver, TS_BLOCKED_RECV);
    ep->queue_is_senders = 0;
    receiver->blocked_on = &ep->hdr;
    receiver->blocked_cap = epcap;
    tq_insert(&ep->queue, receiver);
    return ANV_OK;
}

/* The reply to a fault message: the faulted thread (its reply link already cut) is
 * stopped or resumes. (Proved by WP to keep the reply link, with ipc_reply below: the
 * assertions are steps of that proof, as in thread.c.) */
/*@ requires pool_ok && in_pool(client) && client->q_owner == \null;
    requires replier_pairs && reply_to_pairs && reply_states_but(client);
    requires client->replier == \null;
    ensures pool_sep;
    ensures pool_closed;
    ensures replier_pairs;
    ensures reply_to_pairs;
    ensures reply_states_but(\null);
*/
static void ipc_reply_to_fault(struct thread *client, uint32_t action)
{
    client->is_fault_msg = 0;
    /* An exit record's reply is only an acknowledgement: the process has ended. */
    if (action == ANV_FAULT_STOP || client->exited) {
        /*@ ghost W: ; */
        sched_remove(client);
        /*@ assert rs: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i]->state == \at(sched_all[i]->state, W); */
        /*@ assert rr: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i]->replier == \at(sched_all[i]->replier, W); */
        //@ assert r1: replier_pairs;
        //@ assert r2: reply_to_pairs;
        //@ assert r3: reply_states_but(client);
        //@ assert r4: client->replier == \null;
        /*@ ghost R: ; */
        client->state = TS_INACTIVE;
        /*@ assert f1: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != client ==>
                sched_all[i]->state == \at(sched_all[i]->state, R); */
        /*@ assert f2: \forall integer i; 0 <= i < sched_count ==>
                sched_all[i]->replier == \at(sched_all[i]->replier, R); */
        /*@ assert f3: \forall integer i; 0 <= i < sched_count ==> sched_all[i] != client ==>
                link_state_ok(sched_all[i]); */
        //@ assert f4: link_state_ok(client);
        return;
    }
    if (action == ANV_FAULT_SKIP)
        client->frame.sepc += client->fault_insn_len;
    //@ assert m1: replier_pairs;
    //@ assert m2: reply_to_pairs;
    //@ assert m3: reply_states_but(client);
    //@ assert m4: client->replier == \null && client->q_owner == \null;
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

/* Every check of a reply, both sides, the free slots found into `dst`; changes nothing
 * else, so a refused reply is still owed. The receiver's slots are looked for before the
 * sender's checks, and their result is the last reported, after the sender's errors: the
 * same error as checking in the other order, and what the sender's checks establish (the
 * handles resolve) holds at the return with no store after it, which is what ipc_reply's
 * proof needs (the frame across the search of slots is one the provers did not manage;
 * docs/assurance.md). */
/*@ requires ipc_thread_ok(server);
    requires \valid_read(client) && cspace_valid(client->cspace);
    requires \valid(dst + (0 .. ANV_IPC_MAX_CAPS - 1));
    requires \separated(dst + (0 .. ANV_IPC_MAX_CAPS - 1), client, client->cspace,
                        client->cspace->slots + (0 .. client->cspace->size - 1));
    requires \separated(dst + (0 .. ANV_IPC_MAX_CAPS - 1), server, server->cspace,
                        server->cspace->slots + (0 .. server->cspace->size - 1), server->ipc_buffer);
    assigns dst[0 .. ANV_IPC_MAX_CAPS - 1];
    ensures \result == ANV_OK ==>
        ipc_payload_ok(server, client->call_grant != 0 ? 1 : 0, info) &&
        (anv_msginfo_words_of(info) > ANV_IPC_REG_WORDS ==> client->ipc_buffer != \null) &&
        (client->is_fault_msg != 0 ==> anv_msginfo_caps_of(info) == 0) &&
        (client->is_fault_msg == 0 && anv_msginfo_caps_of(info) > 0 ==>
            client->ipc_buffer != \null);
    ensures \result == ANV_OK && client->is_fault_msg == 0 ==>
        \forall integer k; 0 <= k < anv_msginfo_caps_of(info) ==>
            cspace_slot_in(dst[k], client->cspace) && dst[k]->obj == \null;
    ensures \result == ANV_OK && client->is_fault_msg == 0 ==>
        \forall integer k1, k2; 0 <= k1 < k2 < anv_msginfo_caps_of(info) ==> dst[k1] < dst[k2];
*/
static int ipc_reply_check(const struct thread *server, const struct thread *client,
                           uint64_t info, struct cap **dst)
{
    uint32_t ncaps = anv_msginfo_caps(info);
    /* A fault reply only chooses the faulted thread's fate: the thread has no syscall to
     * take capabilities in. */
    if (client->is_fault_msg && ncaps != 0)
        return ANV_E_TOO_MANY_CAPS;
    /* More than ANV_IPC_MAX_CAPS is the sender's error, reported below; dst has no room. */
    int slots = ANV_OK;
    if (!client->is_fault_msg && ncaps <= ANV_IPC_MAX_CAPS)
        slots = ipc_check_receiver_slots(client, ncaps, dst);
    /* As a send, with the grant right the caller's capability had when its call was
     * delivered (seL4's grant-reply): a server may hand capabilities back only to a
     * caller that could have handed it some. */
    int err = ipc_check_payload(server, client->call_grant != 0, info);
    if (err == ANV_OK && anv_msginfo_words(info) > ANV_IPC_REG_WORDS && client->ipc_buffer == 0)
        err = ANV_E_MSG_TOO_LONG;
    if (err == ANV_OK)
        err = slots;
    return err;
}

/* The link of a reply cut, both ends: the server owes `client` nothing and `client`
 * waits for no one (thread_cut_reply_link's stores, where the server is known). */
/*@ requires pool_ok && in_pool(server) && in_pool(client) && reply_links;
    requires server->reply_to == client && client->replier == server;
    assigns server->reply_to, client->replier;
    ensures pool_sep;
    ensures pool_closed;
    ensures client->replier == \null;
    ensures replier_pairs;
    ensures reply_to_pairs;
    ensures reply_states_but(client);
*/
static inline void ipc_reply_cut(struct thread *server, struct thread *client)
{
    //@ assert server_offset: \offset(server) == 0 && \offset(client) == 0;
    /*@ assert only_client: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->replier == server ==> sched_all[i] == client; */
    /*@ assert only_server: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i]->reply_to == client ==> sched_all[i] == server; */
    server->reply_to = 0;
    client->replier = 0;
    /*@ assert replier_frame: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i] != client ==> sched_all[i]->replier == \at(sched_all[i]->replier, Pre);
    */
    /*@ assert reply_to_frame: \forall integer i; 0 <= i < sched_count ==>
            sched_all[i] != server ==> sched_all[i]->reply_to == \at(sched_all[i]->reply_to, Pre);
    */
}


/* A reply: the client owed one gets the message and runs again; or an error with nothing
 * changed, the reply still owed. Proved by WP to keep the reply link (the assertions are
 * steps of that proof, as in thread.c). */
/*@ requires pool_ok && in_pool(server) && reply_links;
    requires ipc_thread_ok(server);
    requires server->reply_to == \null || (\valid(server->reply_to) &&
        \separated(server, server->reply_to) && cspace_valid(server->reply_to->cspace) &&
        (server->reply_to->ipc_buffer == \null || \valid(server->reply_to->ipc_buffer)));
    requires server->reply_to != \null ==> server->reply_to->q_owner == \null &&
        (\forall integer k; 0 <= k < server->reply_to->cspace->size ==>
            server->reply_to->cspace->slots[k].owner == server->reply_to->cspace) &&
        reply_apart(server, server->reply_to);
    ensures pool_sep;
    ensures pool_closed;
    ensures replier_pairs;
    ensures reply_to_pairs;
    ensures reply_states_but(\null);
*/
int ipc_reply(struct thread *server, uint64_t info)
{
    struct thread *client = server->reply_to;
    if (client == 0)
        return ANV_E_NOTHING_PENDING;
    uint32_t words = anv_msginfo_words(info);
    uint32_t ncaps = anv_msginfo_caps(info);
    struct cap *dst[ANV_IPC_MAX_CAPS];
    int err = ipc_reply_check(server, client, info, dst);
    if (err != ANV_OK)
        return err; /* the reply is still owed */

    /* From here on nothing can fail. The message goes first, then the link is cut and
     * the client made ready: each step writes what the others do not read, so the
     * order is free, and this one is the order the proof (wp_reply) goes in. */
    //@ assert client_in_pool: in_pool(client) && \offset(client) == 0;
    //@ assert client_waits: client->replier == server;
    if (client->is_fault_msg) {
        ipc_reply_cut(server, client);
        ipc_reply_to_fault(client, anv_msginfo_label(info));
        return ANV_OK;
    }
    //@ assert s1: replier_pairs;
    //@ assert s2: reply_to_pairs;
    //@ assert s3: reply_states_but(\null);
    /*@ ghost T: ; */
    ipc_move_caps(server, client, ncaps, dst);
    //@ assert t1: pool_frame{T, Here};
    //@ assert t2: pool_links_frame{T, Here};
    //@ assert t3: pool_queues_frame{T, Here};
    //@ assert v1: replier_pairs;
    //@ assert v2: reply_to_pairs;
    //@ assert v3: reply_states_but(\null);
    /*@ ghost U: ; */
    ipc_copy_words(client->ipc_buffer, server->ipc_buffer, words);
    //@ assert u1: pool_frame{U, Here};
    //@ assert u2: pool_links_frame{U, Here};
    //@ assert u3: pool_queues_frame{U, Here};
    //@ assert t10: server->reply_to == client && client->replier == server;
    //@ assert t11: client->q_owner == \null;
    //@ assert t12: pool_sep && pool_closed;
    //@ assert t13: replier_pairs;
    //@ assert t14: reply_to_pairs;
    //@ assert t15: reply_states_but(\null);
    uint64_t *c = client->frame.regs;
    const uint64_t *s = server->frame.regs;
    c[REG_A0] = ANV_OK;
    c[REG_A1] = anv_msginfo(anv_msginfo_label(info), words, ncaps);
    c[REG_A2] = s[REG_A2];
    c[REG_A3] = s[REG_A3];
    c[REG_A4] = s[REG_A4];
    c[REG_A5] = s[REG_A5];
    c[REG_A6] = 0;
    ipc_reply_cut(server, client);
    //@ assert m1: replier_pairs;
    //@ assert m2: reply_to_pairs;
    //@ assert m3: reply_states_but(client);
    //@ assert m4: client->replier == \null && client->q_owner == \null;
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
    return ANV_OK;
}

/* ACSL (proved by WP; docs/assurance.md, property 4): out of its endpoint's queue if it
 * is on it, nothing else but the fault flag. */
/*@ requires pool_ok && in_pool(t);
    requires t->blocked_on != \null ==> queue_ok(ep_queue_of(t));
    assigns *ep_queue_of(t), t->q_owner, t->is_fault_msg,
            sched_all[0 .. sched_count - 1]->q_next, sched_all[0 .. sched_count - 1]->q_prev;
    ensures pool_sep;
    ensures pool_closed;
    ensures \old(t->blocked_on) != \null && \old(t->q_owner) == \old(ep_queue_of(t)) ==>
        t->q_owner == \null;
    ensures !(\old(t->blocked_on) != \null && \old(t->q_owner) == \old(ep_queue_of(t))) ==>
        t->q_owner == \old(t->q_owner);
    ensures \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
        sched_all[i]->q_owner == \old(sched_all[i]->q_owner);
    ensures links_kept{Pre, Post}(\null);
*/
void ep_dequeue(struct thread *t)
{
    struct endpoint *ep = (struct endpoint *)t->blocked_on;
    if (ep && t->q_owner == &ep->queue)
        tq_remove(&ep->queue, t);
    t->is_fault_msg = 0;
}

/* A queue that outgrows its bound, or a thread that cannot leave it, is a broken kernel:
 * stopping the walk would leave threads blocked on an endpoint being freed. */
void ep_destroy(struct endpoint *ep)
{
    for (uint32_t guard = 0; ep->queue.head; guard++) {
        struct thread *t = ep->queue.head;
        if (guard >= ANV_IPC_QUEUE_MAX)
            panic("endpoint %u: more than %u threads queued", ep->hdr.id, ANV_IPC_QUEUE_MAX);
        thread_abort_wait(t, ANV_E_REVOKED);
        if (t->q_owner == &ep->queue)
            panic("endpoint %u: thread %u (state %u) stays queued on it", ep->hdr.id, t->hdr.id,
                  (unsigned)t->state);
    }
}

void ep_cap_removed(struct cap *c)
{
    struct endpoint *ep = (struct endpoint *)c->obj;
    struct thread *t = ep->queue.head;
    for (uint32_t guard = 0; t; guard++) {
        if (guard >= ANV_IPC_QUEUE_MAX)
            panic("endpoint %u: more than %u threads queued", ep->hdr.id, ANV_IPC_QUEUE_MAX);
        struct thread *next = t->q_next;
        if (t->blocked_cap == c) {
            thread_abort_wait(t, ANV_E_REVOKED);
            if (t->q_owner == &ep->queue)
                panic("endpoint %u: thread %u (state %u) stays queued on it", ep->hdr.id,
                      t->hdr.id, (unsigned)t->state);
        }
        t = next;
    }
}
