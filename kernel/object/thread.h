/* Threads: priority-ordered wait queues and the state changes every blocking object uses. */
#ifndef ANVAYA_KERNEL_THREAD_H
#define ANVAYA_KERNEL_THREAD_H

#include "object/object.h"

void thread_init(struct thread *t, struct cspace *cs, struct vspace *vs, uint8_t priority);

/* Queues keep threads by priority, highest first, FIFO among equals. */
void tq_insert(struct thread_queue *q, struct thread *t);
void tq_remove(struct thread_queue *q, struct thread *t);
struct thread *tq_pop(struct thread_queue *q);

/* A partial frame (thread.frame_partial) made whole: its t0..t6 slots become the zeros
 * the thread will resume with. Whatever reads a stopped or faulted thread's registers
 * (fault records, debuggers, thread.restart) finds every slot true. */
void thread_frame_complete(struct thread *t);

/* Set the syscall result registers of a thread that is not running. */
void thread_set_result(struct thread *t, uint64_t err);

/* Take a blocked thread out of whatever it waits on and make it ready with `err` as
 * its syscall result. Used by cancel, revoke and destruction. */
void thread_abort_wait(struct thread *t, uint64_t err);

/* The server owing `client` a reply will not give it: a caller gets `err` as its
 * result; a thread waiting on its fault handler stops instead. */
void thread_release_caller(struct thread *client, uint64_t err);

/* Stop a thread for good (its last capability went, or it faulted with no handler). */
void thread_stop(struct thread *t);

/* Record the registers `t` starts with and load them into its frame (a2 = 0). */
void thread_set_start(struct thread *t, const struct thread_start *start);

/* thread.stop of a thread that is not stopped (the caller checked): it leaves whatever
 * it runs in or waits on (a syscall wait ends with ANV_E_CANCELLED, seen if it is
 * resumed; a fault wait keeps its registers), a caller it owed a reply to is released
 * with ANV_E_CANCELLED, and it ends TS_INACTIVE. Returns whether a caller was released. */
bool thread_suspend(struct thread *t);

/* thread.restart of a stopped thread that has a start state (the caller checked): its
 * frame goes back to that state with a2 = `arg`, no IPC or fault state is left (a caller
 * still owed a reply is released with ANV_E_CANCELLED), and it is made ready. */
void thread_restart(struct thread *t, uint64_t arg);

#endif
