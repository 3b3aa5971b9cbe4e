/* The IPC fastpath: ipc.call to a waiting server and ipc.reply_recv back to a waiting
 * client, for register-only messages without capabilities, when the thread woken may run
 * at once. It does exactly what the general path would do (same results, same queue
 * states) in far fewer steps; anything unusual falls back to the general path. */
#include "fastpath.h"

#include "cspace.h"
#include "invariants.h"
#include "sched.h"
#include "thread.h"

/* The general path's lookup, inlined: handle -> endpoint cap with `right`, or NULL. */
static inline struct cap *fp_endpoint(const struct thread *t, uint64_t handle, uint32_t right)
{
    if (anv_handle_tag(handle) != ANV_HANDLE_TAG_SOFT || anv_handle_reserved(handle) != 0)
        return 0;
    uint32_t slot = anv_handle_slot(handle);
    const struct cspace *cs = t->cspace;
    if (slot == 0 || slot >= cs->size)
        return 0;
    struct cap *c = &cs->slots[slot];
    if (c->generation != anv_handle_generation(handle) || c->obj == 0 ||
        c->type != ANV_OBJ_ENDPOINT || !(c->rights & right))
        return 0;
    return c;
}

/* A register-only message: at most ANV_IPC_REG_WORDS words, no capabilities, no
 * reserved bits. */
static inline bool fp_simple_info(uint64_t info)
{
    return (info & 0xFFFFFFFFu) <= ANV_IPC_REG_WORDS;
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
    const struct thread_queue *ready = sched_ready_queue();
    /* The client runs, so it heads the ready queue. The server must land at the head in
     * its place, as the general path would put it there only if no other ready thread
     * has its priority or more. */
    if (!server || ep->queue_is_senders || server->reply_to || ready->head != client ||
        (client->q_next && client->q_next->priority >= server->priority) ||
        client->vspace == 0 || server->vspace == 0)
        return 0;

    /* Deliver. */
    uint64_t *sr = server->frame.regs;
    fp_copy_words(sr, cr);
    sr[REG_A0] = ANV_OK;
    sr[REG_A1] = info;
    sr[REG_A6] = epcap->badge;
    if (server->ipc_buffer)
        server->ipc_buffer->badge = epcap->badge;
    tq_remove(&ep->queue, server);
    server->blocked_on = 0;
    server->blocked_cap = 0;

    /* The client waits for the reply; the server runs. */
    client->is_call = 1;
    client->is_fault_msg = 0;
    server->reply_to = client;
    client->replier = server;
    sched_block(client, TS_BLOCKED_REPLY);
    sched_make_ready(server);
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
    const struct thread_queue *ready = sched_ready_queue();
    if ((ep->queue_is_senders && ep->queue.head) || ready->head != server ||
        (server->q_next && server->q_next->priority >= client->priority) ||
        (ep->queue.head == 0 ? false : ep->queue.length >= ANV_IPC_QUEUE_MAX))
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
    sched_block(server, TS_BLOCKED_RECV);
    ep->queue_is_senders = 0;
    server->blocked_on = &ep->hdr;
    server->blocked_cap = epcap;
    tq_insert(&ep->queue, server);
    sched_make_ready(client);
    return client;
}
