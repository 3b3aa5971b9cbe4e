/* Fixed-priority preemptive scheduling, round robin among equals, with a CPU budget per
 * period for each thread (see docs/scheduling.md for the policy and its guarantees). */
#ifndef ANVAYA_KERNEL_SCHED_H
#define ANVAYA_KERNEL_SCHED_H

#include "object/object.h"

#define SCHED_MAX_THREADS 64
#define SCHED_SLICE_TICKS 2
#define SCHED_MAX_PERIOD (1ull << 48) /* clock units: far beyond any real period */

void sched_init(void);
/* Register a thread with the scheduler (once, at creation), with a budget of CPU time per
 * period in clock units (budget 0: unlimited). */
int sched_admit(struct thread *t, uint64_t budget, uint64_t period);

void sched_make_ready(struct thread *t);
void sched_remove(struct thread *t);
/* The running thread gives up the CPU in a blocked state. */
void sched_block(struct thread *t, enum thread_state state);
void sched_yield_thread(struct thread *t);

/* The ready queue and the running thread, visible so the IPC fastpath can switch in O(1)
 * without a call; everything else goes through the functions above and below. */
extern struct thread_queue sched_ready;
extern struct thread *sched_running;

/* The fastpath's switch: `in` takes the place of `out` (the head of the ready queue) at
 * the head and runs. The caller has checked that the general path would make exactly
 * this choice (`in` outranks every other ready thread and has budget left) and then
 * sets `out`'s own queue fields and state, which depend on where `out` goes. */
static inline void sched_handoff_in(const struct thread *out, struct thread *in)
{
    struct thread *next = out->q_next;
    in->q_prev = 0;
    in->q_next = next;
    if (next)
        next->q_prev = in;
    in->q_owner = &sched_ready;
    in->state = TS_READY;
    sched_ready.head = in;
    sched_running = in;
}

/* Highest-priority ready thread, which becomes current; NULL when all are idle. */
struct thread *sched_choose(void);
struct thread *sched_current(void);

/* One timer tick, the `tick`th, at clock time `now`: charge the running thread exactly,
 * refill budgets whose period ended, wake expired timeouts, rotate equal priorities. */
void sched_tick(uint64_t tick, uint64_t now);
/* The tick count (wait_one timeouts are in ticks). */
uint64_t sched_now(void);

/* A switch at clock time `now` to `in` (NULL: the hart goes idle): the time since the
 * last switch is charged to the thread that had it. Called wherever a different thread
 * is entered, fastpath included, so no thread can run uncharged. */
void sched_account(struct thread *in, uint64_t now);
/* The thread whose CPU time is running now (the last one entered; a zeroed stand-in when
 * the hart idles, never NULL). A switch between two threads whose switch_work is 0 (no
 * budget, no FP state) needs no clock reading: neither is ever charged, so the trap path
 * only records the new thread (sched_note_switch). */
extern struct thread *sched_accounted;

static inline void sched_note_switch(struct thread *in)
{
    sched_accounted = in;
}
/* The budget interrupt sched_account asked for came: charge, throttle if spent. */
void sched_budget_expired(uint64_t now);
/* Architecture hook: interrupt at clock time `deadline` if that comes before the next
 * tick (the tick still comes on time). */
void sched_arch_budget_deadline(uint64_t deadline);

void sched_sleep_add(struct thread *t, uint64_t deadline);
void sched_sleep_remove(struct thread *t);

/* For the invariant checker and tests. */
struct thread *const *sched_threads(uint32_t *count);

#endif
