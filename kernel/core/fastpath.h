/* The IPC fastpath for the common call/reply_recv round trip (see fastpath.c). */
#ifndef ANVAYA_KERNEL_FASTPATH_H
#define ANVAYA_KERNEL_FASTPATH_H

#include "object/object.h"

/* Each returns the thread that now heads the ready queue, or NULL (nothing changed) when
 * the general path must handle the call. */
struct thread *fastpath_call(struct thread *client);
struct thread *fastpath_reply_recv(struct thread *server);
/* The one the trap path calls: by t's a7 (ipc.call or ipc.reply_recv), the matching
 * fastpath; NULL for any other number. */
struct thread *fastpath_try(struct thread *t);

#endif
