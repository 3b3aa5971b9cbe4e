/* The syscall entry: one function per RFC 0010 call behind a single dispatcher. */
#ifndef ANVAYA_KERNEL_SYSCALL_H
#define ANVAYA_KERNEL_SYSCALL_H

#include <stdint.h>

#include "object/object.h"

/* Run the syscall in t's saved registers. Results land in t's frame now, or later in
 * the frame of a thread that blocked. */
void syscall_dispatch(struct thread *t);

/* system.shutdown, provided by the system layer (0: clean, else a failure code). */
void syscall_shutdown_hook(uint64_t code);

/* The instruction at t's sepc, as user memory holds it (2 or 4 bytes, *len says which);
 * false when it cannot be read. */
bool fault_fetch_insn(const struct thread *t, uint32_t *insn, uint32_t *len);
/* A U-mode exception: becomes a fault message to the thread's fault endpoint. */
void fault_raise(struct thread *t, uint64_t scause, uint64_t stval);
/* proc.exit: every other thread of t's process stops, and t sends an exit record
 * (ANV_EXIT_LABEL, the status) to its fault endpoint; t stays stopped whatever the
 * handler replies, until thread.restart. */
void fault_exit(struct thread *t, uint64_t status);

#endif
