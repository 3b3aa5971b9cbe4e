/* The IPC fastpath: ipc.call to a waiting server and ipc.reply_recv back to a waiting
 * client, for register-only messages without capabilities, when the thread woken is the
 * one the scheduler would run next. It leaves exactly the state the general path would
 * (same registers, same queues, same reply links) in far fewer steps; anything unusual
 * falls back to the general path before a single field changes. */
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

static inline void fp_copy_words(uint64_t *dst, const uint64_t *src)
{
    dst[REG_A2] = src[REG_A2];
    dst[REG_A3] = src[REG_A3];
    dst[REG_A4] = src[REG_A4];
    dst[REG_A5] = src[REG_A5];
}

struct thread *fastpath_call(struct thread *client)
{
    uint64_t *cr = client->frame.regs;
    uint64_t info = cr[REG_A1];
    if (!fp_simple_info(info))
        return 0;
    struct cap *epcap = fp_endpoint(client, cr[REG_A0], ANV_RIGHT_WRITE);
    if (!epcap)
        return 0;
    struct endpoint *ep = (struct endpoint *)epcap->obj;
    struct thread *server = ep->queue.head;
    if (!server || ep->queue_is_senders || server->reply_to ||
        sched_ready.head != client || !fp_can_switch(client, server))
        return 0;

    /* Deliver. */
    uint64_t *sr = server->frame.regs;
    fp_copy_words(sr, cr);
    sr[REG_A0] = ANV_OK;
    sr[REG_A1] = info;
    sr[REG_A6] = epcap->badge;
    if (server->ipc_buffer)
        server->ipc_buffer->badge = epcap->badge;
    struct thread *next = server->q_next;
    ep->queue.head = next;
    if (next)
        next->q_prev = 0;
    ep->queue.length--;
    server->q_next = 0;
    server->q_owner = 0;
    server->blocked_on = 0;
    server->blocked_cap = 0;

    /* The client waits for the reply; the server runs. As on the general path, the
     * reply may carry capabilities only if this call's capability had GRANT. */
    client->is_call = 1;
    client->is_fault_msg = 0;
    client->call_grant = (epcap->rights & ANV_RIGHT_GRANT) != 0;
    server->reply_to = client;
    client->replier = server;
    sched_handoff(client, TS_BLOCKED_REPLY, server);
    return server;
}

struct thread *fastpath_reply_recv(struct thread *server)
{
    uint64_t *sr = server->frame.regs;
    uint64_t info = sr[REG_A1];
    struct thread *client = server->reply_to;
    if (!client || client->is_fault_msg || !fp_simple_info(info))
        return 0;
    struct cap *epcap = fp_endpoint(server, sr[REG_A0], ANV_RIGHT_READ);
    if (!epcap)
        return 0;
    struct endpoint *ep = (struct endpoint *)epcap->obj;
    /* Only an empty endpoint: with senders queued the server would not block, and a
     * queue of receivers needs the ordered insert. */
    if (ep->queue.head || sched_ready.head != server || !fp_can_switch(server, client))
        return 0;

    /* Reply. */
    uint64_t *cr = client->frame.regs;
    fp_copy_words(cr, sr);
    cr[REG_A0] = ANV_OK;
    cr[REG_A1] = info;
    cr[REG_A6] = 0;
    server->reply_to = 0;
    client->replier = 0;

    /* The server waits on its endpoint; the client runs. */
    ep->queue_is_senders = 0;
    ep->queue.head = server;
    ep->queue.length = 1;
    server->blocked_on = &ep->hdr;
    server->blocked_cap = epcap;
    sched_handoff(server, TS_BLOCKED_RECV, client);
    server->q_owner = &ep->queue; /* after the handoff, which clears the ready links */
    return client;
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
