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

/* Move checked capabilities: copies of the sender's caps_out[] into `dst`, their handles
 * in the receiver's caps_in[], one ANV_AUDIT_TRANSFER record each (subject the sender,
 * object the object transferred, arg the rights given). Cannot fail: both sides were
 * checked. */
static void ipc_move_caps(const struct thread *sender, struct thread *receiver, uint32_t ncaps,
                          struct cap **dst)
{
    for (uint32_t i = 0; i < ncaps; i++) {
        struct cap *src = 0;
        int err = cspace_lookup(sender->cspace, sender->ipc_buffer->caps_out[i], &src);
        KASSERT(err == ANV_OK);
        (void)err;
        uint32_t rights = src->rights & (uint32_t)sender->ipc_buffer->caps_out_rights[i];
        cap_derive(dst[i], src, rights, 0);
        receiver->ipc_buffer->caps_in[i] = cap_handle(dst[i]);
        audit_log(ANV_AUDIT_TRANSFER, sender->hdr.id, src->obj->id, rights, ANV_OK);
    }
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

/* Move one message from sender to receiver: an error with nothing moved, or ANV_OK with
 * the message delivered. */
/*@ requires ipc_thread_ok(sender) && \valid_read(epcap_of_sender);
    requires \valid(receiver) && cspace_valid(receiver->cspace);
    requires receiver->ipc_buffer == \null || \valid(receiver->ipc_buffer);
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

/* After delivery: a call makes the receiver owe the sender a reply, which may carry
 * capabilities only if the capability the call went through (`epcap`) had GRANT. */
static void ipc_after_delivery(struct thread *sender, struct thread *receiver, bool is_call,
                               const struct cap *epcap)
{
    if (receiver->reply_to) /* it dropped an earlier reply: that caller is told, not stranded */
        thread_release_caller(receiver->reply_to, ANV_E_CANCELLED);
    if (is_call) {
        receiver->reply_to = sender;
        sender->replier = receiver;
        sender->call_grant = (epcap->rights & ANV_RIGHT_GRANT) != 0;
        sched_block(sender, TS_BLOCKED_REPLY);
    } else {
        thread_set_result(sender, ANV_OK);
        sched_make_ready(sender);
    }
    sched_make_ready(receiver);
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

static void ipc_reply_to_fault(struct thread *client, uint32_t action)
{
    client->is_fault_msg = 0;
    /* An exit record's reply is only an acknowledgement: the process has ended. */
    if (action == ANV_FAULT_STOP || client->exited) {
        sched_remove(client);
        client->state = TS_INACTIVE;
        return;
    }
    if (action == ANV_FAULT_SKIP)
        client->frame.sepc += client->fault_insn_len;
    sched_make_ready(client);
}

/* Every check of a reply, both sides, the free slots found into `dst`; changes nothing
 * else, so a refused reply is still owed. */
/*@ requires ipc_thread_ok(server);
    requires \valid_read(client) && cspace_valid(client->cspace);
    requires \valid(dst + (0 .. ANV_IPC_MAX_CAPS - 1));
    requires \separated(dst + (0 .. ANV_IPC_MAX_CAPS - 1), client, client->cspace,
                        client->cspace->slots + (0 .. client->cspace->size - 1));
    requires \separated(dst + (0 .. ANV_IPC_MAX_CAPS - 1), server, server->cspace,
                        server->cspace->slots + (0 .. server->cspace->size - 1), server->ipc_buffer);
    assigns dst[0 .. ANV_IPC_MAX_CAPS - 1];
    ensures \result == ANV_OK ==>
        ipc_bounds_ok(server, client->call_grant != 0 ? 1 : 0, info) &&
        (anv_msginfo_words_of(info) > ANV_IPC_REG_WORDS ==> client->ipc_buffer != \null) &&
        (client->is_fault_msg != 0 ==> anv_msginfo_caps_of(info) == 0) &&
        (client->is_fault_msg == 0 && anv_msginfo_caps_of(info) > 0 ==>
            client->ipc_buffer != \null);
*/
static int ipc_reply_check(const struct thread *server, const struct thread *client,
                           uint64_t info, struct cap **dst)
{
    /* A fault reply only chooses the faulted thread's fate: the thread has no syscall to
     * take capabilities in. */
    if (client->is_fault_msg && anv_msginfo_caps(info) != 0)
        return ANV_E_TOO_MANY_CAPS;
    /* As a send, with the grant right the caller's capability had when its call was
     * delivered (seL4's grant-reply): a server may hand capabilities back only to a
     * caller that could have handed it some. */
    int err = ipc_check_payload(server, client->call_grant != 0, info);
    if (err == ANV_OK && anv_msginfo_words(info) > ANV_IPC_REG_WORDS && client->ipc_buffer == 0)
        err = ANV_E_MSG_TOO_LONG;
    if (err == ANV_OK && !client->is_fault_msg)
        err = ipc_check_receiver_slots(client, anv_msginfo_caps(info), dst);
    return err;
}

/*@ requires ipc_thread_ok(server);
    requires server->reply_to == \null || (\valid(server->reply_to) &&
        \separated(server, server->reply_to) && cspace_valid(server->reply_to->cspace) &&
        (server->reply_to->ipc_buffer == \null || \valid(server->reply_to->ipc_buffer)));
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

    /* From here on nothing can fail. */
    server->reply_to = 0;
    client->replier = 0;
    if (client->is_fault_msg) {
        ipc_reply_to_fault(client, anv_msginfo_label(info));
        return ANV_OK;
    }
    uint64_t *c = client->frame.regs;
    const uint64_t *s = server->frame.regs;
    c[REG_A0] = ANV_OK;
    c[REG_A1] = anv_msginfo(anv_msginfo_label(info), words, ncaps);
    c[REG_A2] = s[REG_A2];
    c[REG_A3] = s[REG_A3];
    c[REG_A4] = s[REG_A4];
    c[REG_A5] = s[REG_A5];
    c[REG_A6] = 0;
    ipc_copy_words(client->ipc_buffer, server->ipc_buffer, words);
    ipc_move_caps(server, client, ncaps, dst);
    sched_make_ready(client);
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
