/* Notifications: a word of event bits that signal ORs in and wait_one takes. */
#ifndef ANVAYA_KERNEL_NOTIFICATION_H
#define ANVAYA_KERNEL_NOTIFICATION_H

#include "object/object.h"

#define NTFN_MAX_WAITERS 16

void ntfn_init(struct notification *n);
/* OR the badge (1 when unbadged) into the word; wakes the highest-priority waiter. */
void ntfn_signal(struct notification *n, uint64_t badge);
/* wait_one by the running thread: returns at once when bits are pending (a1/a2 set),
 * else blocks, with `deadline` (0: none) as timeout. ntfn may be NULL (timeout only). */
int ntfn_wait(struct thread *t, struct notification *n, struct cap *via, uint64_t deadline);
void ntfn_dequeue(struct thread *t);
void ntfn_destroy(struct notification *n);
void ntfn_cap_removed(struct cap *c);

#endif
