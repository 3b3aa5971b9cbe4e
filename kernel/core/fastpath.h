/* The IPC fastpath for the common call/reply_recv round trip (see fastpath.c). */
#ifndef ANVAYA_KERNEL_FASTPATH_H
#define ANVAYA_KERNEL_FASTPATH_H

#include "object/object.h"

/* Each returns the thread that now heads the ready queue, or NULL (nothing changed) when
 * the general path must handle the call. */
struct thread *fastpath_call(struct thread *client);
struct thread *fastpath_reply_recv(struct thread *server);
/* By t's a7 (ipc.call or ipc.reply_recv), the matching fastpath; NULL for any other
 * number. trap_entry.S makes the same choice by number before any C runs (its constants
 * are checked against abi.h in trap.c); the host stress test calls this one. */
struct thread *fastpath_try(struct thread *t);

#endif
