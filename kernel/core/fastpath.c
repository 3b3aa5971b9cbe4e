/* The IPC fastpath: ipc.call to a waiting server and ipc.reply_recv back to a waiting
 * client, for register-only messages without capabilities, when the thread woken is the
 * one the scheduler would run next. It leaves exactly the state the general path would
 * (same registers, same queues, same reply links) in far fewer steps; anything unusual
 * falls back to the general path before a single field changes.
 *
 * Each direction is two parts: the *take* (every check, then every change to kernel
 * objects) and the *delivery* (the message registers of the thread woken). The kernel's
 * trap_entry.S calls the take directly and delivers in registers, without the woken
 * thread's frame; everything else (the host tests, trap_entry.S's own fallback when the
 * switch needs more work) runs the take and fastpath_deliver() one after the other. */
#include "core/fastpath.h"

#include "core/sched.h"
#include "object/thread.h"

/* The general path's lookup, inlined: handle -> endpoint cap with `right`, or NULL. */
static inline struct cap *fp_endpoint(const struct thread *t, uint64_t handle, uint32_t right)
{
    uint32_t slot = anv_handle_slot(handle);
    const struct cspace *cs = t->cspace;
    if ((handle >> 56) != ((uint64_t)ANV_HANDLE_TAG_SOFT << 4) || slot == 0 || slot >= cs->size)
        return 0;
    struct cap *c = &cs->slots[slot];
    if (c->generation != anv_handle_generation(handle) || c->obj == 0 ||
        c->type != ANV_OBJ_ENDPOINT || !(c->rights & right))
        return 0;
    return c;
}

/* A register-only message: at most ANV_IPC_REG_WORDS words, no capabilities, no
 * reserved bits. A reply with capabilities therefore always takes the general path,
 * which checks the caller's grant right and its free slots. */
static inline bool fp_simple_info(uint64_t info)
{
    return (info & 0xFFFFFFFFu) <= ANV_IPC_REG_WORDS;
}

/* `in` may run now in place of `out`: it must land at the head of the ready queue, as
 * the general path puts it after every ready thread of its own priority or more. */
static inline bool fp_can_switch(const struct thread *out, const struct thread *in)
{
    return (!out->q_next || out->q_next->priority < in->priority) &&
           !(in->budget != 0 && in->budget_left <= 0);
}

struct fastpath_hit fastpath_call_take(struct thread *client)
{
    struct fastpath_hit none = {0, 0};
    const uint64_t *cr = client->frame.regs;
    if (!fp_simple_info(cr[REG_A1]))
        return none;
    struct cap *epcap = fp_endpoint(client, cr[REG_A0], ANV_RIGHT_WRITE);
    if (!epcap)
        return none;
    struct endpoint *ep = (struct endpoint *)epcap->obj;
    struct thread *server = ep->queue.head;
    if (!server || ep->queue_is_senders || server->reply_to ||
        sched_ready.head != client || !fp_can_switch(client, server))
        return none;

    /* Deliver (the words: fastpath_deliver or trap_entry.S), the badge also into the
     * server's IPC buffer, as the general path does. */
    uint64_t badge = epcap->badge;
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
    server->reply_to = client;
    client->replier = server;
    sched_handoff_in(client, server);
    client->q_next = 0;
    client->q_prev = 0;
    client->q_owner = 0;
    client->state = TS_BLOCKED_REPLY;
    struct fastpath_hit hit = {server, badge};
    return hit;
}

struct fastpath_hit fastpath_reply_recv_take(struct thread *server)
{
    struct fastpath_hit none = {0, 0};
    const uint64_t *sr = server->frame.regs;
    struct thread *client = server->reply_to;
    if (!client || client->is_fault_msg || !fp_simple_info(sr[REG_A1]))
        return none;
    struct cap *epcap = fp_endpoint(server, sr[REG_A0], ANV_RIGHT_READ);
    if (!epcap)
        return none;
    struct endpoint *ep = (struct endpoint *)epcap->obj;
    /* Only an empty endpoint: with senders queued the server would not block, and a
     * queue of receivers needs the ordered insert. */
    if (ep->queue.head || sched_ready.head != server || !fp_can_switch(server, client))
        return none;

    /* Reply (the words: fastpath_deliver or trap_entry.S). */
    server->reply_to = 0;
    client->replier = 0;

    /* The server waits on its endpoint; the client runs. */
    sched_handoff_in(server, client);
    ep->queue_is_senders = 0;
    ep->queue.head = server;
    ep->queue.length = 1;
    server->q_next = 0;
    server->q_prev = 0;
    server->q_owner = &ep->queue;
    server->state = TS_BLOCKED_RECV;
    server->blocked_on = &ep->hdr;
    server->blocked_cap = epcap;
    struct fastpath_hit hit = {client, 0};
    return hit;
}

struct thread *fastpath_call(struct thread *client)
{
    struct fastpath_hit hit = fastpath_call_take(client);
    if (hit.next)
        fastpath_deliver(hit.next, client, hit.badge);
    return hit.next;
}

struct thread *fastpath_reply_recv(struct thread *server)
{
    struct fastpath_hit hit = fastpath_reply_recv_take(server);
    if (hit.next)
        fastpath_deliver(hit.next, server, hit.badge);
    return hit.next;
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
