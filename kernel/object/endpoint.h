/* Endpoints: synchronous IPC with badges, capability transfer and one-shot replies. */
#ifndef ANVAYA_KERNEL_ENDPOINT_H
#define ANVAYA_KERNEL_ENDPOINT_H

#include "object/object.h"

void ep_init(struct endpoint *ep);

/* Validate a message the thread wants to send through `epcap`: bounds, grant right,
 * every transferred capability. Changes nothing. */
int ipc_check_message(const struct thread *sender, const struct cap *epcap, uint64_t info);

/* ipc.send / ipc.call by the running thread. Either delivers to a waiting receiver or
 * queues the sender; returns an error (nothing changed) or ANV_OK. */
int ep_send(struct thread *sender, struct cap *epcap, uint64_t info, bool is_call);
/* ipc.receive by the running thread: takes a queued sender or blocks. */
int ep_receive(struct thread *receiver, struct cap *epcap);
/* ipc.reply by the running thread to the caller it owes a reply. Capabilities go as in
 * a send, allowed only if the caller's capability had GRANT when its call was delivered
 * (ANV_E_RIGHTS), never on a fault reply (ANV_E_TOO_MANY_CAPS). A refused reply changes
 * nothing: the reply is still owed. */
int ipc_reply(struct thread *server, uint64_t info);

/* Kernel-made call carrying a fault record to the thread's fault endpoint. Returns
 * ANV_OK when sent or queued, or an error when there is no usable fault endpoint. */
int ep_send_fault(struct thread *t, struct cap *fault_ep);

void ep_dequeue(struct thread *t);
void ep_destroy(struct endpoint *ep);
/* A capability to the endpoint is going: threads blocked through it are aborted. */
void ep_cap_removed(struct cap *c);

#endif
