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

/* The fastpath's switch, sched_handoff_in, is at the end (its contract uses the
 * predicates below). */

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

/* The table of every thread (sched_admit registers each once, at creation) and the
 * timeout list's head: named here for the WP contracts, which speak of every thread as
 * sched_all[0 .. sched_count - 1]. Only sched.c writes them. */
extern struct thread *sched_all[SCHED_MAX_THREADS];
extern uint32_t sched_count;
extern struct thread *sched_sleepers;

/* ACSL (proved by WP, tests/proof/wp/; docs/assurance.md, property 4). The thread pool is
 * the scheduler's table. `pool_sep`: its threads are valid, pairwise apart and apart
 * from the scheduler's globals; `pool_closed`: every thread pointer a thread or the
 * scheduler holds (links, queues, the timeout list) is NULL or a thread of the pool. */
/*@ predicate in_pool{L}(struct thread *x) =
        \exists integer k; 0 <= k < sched_count && sched_all[k] == x;
    predicate pool_or_null{L}(struct thread *x) = x == \null || in_pool(x);

    predicate pool_sep{L} =
        sched_count <= SCHED_MAX_THREADS &&
        (\forall integer i; 0 <= i < sched_count ==> \valid(sched_all[i])) &&
        (\forall integer i, j; 0 <= i < sched_count && 0 <= j < sched_count && i != j ==>
            \base_addr(sched_all[i]) != \base_addr(sched_all[j])) &&
        (\forall integer i; 0 <= i < sched_count ==> \offset(sched_all[i]) == 0) &&
        (\forall integer i; 0 <= i < sched_count ==>
            \separated(sched_all[i], sched_all + (0 .. SCHED_MAX_THREADS - 1), &sched_count,
                        &sched_ready, &sched_running, &sched_sleepers));

    predicate pool_closed{L} =
        pool_or_null(sched_ready.head) && pool_or_null(sched_sleepers) &&
        \forall integer i; 0 <= i < sched_count ==>
            pool_or_null(sched_all[i]->q_next) && pool_or_null(sched_all[i]->q_prev) &&
            pool_or_null(sched_all[i]->sleep_next) &&
            pool_or_null(sched_all[i]->reply_to) && pool_or_null(sched_all[i]->replier);

    predicate pool_ok{L} = pool_sep && pool_closed;

    // A queue the pool's threads may be on (the ready queue, an endpoint's, a
    // notification's): apart from every thread and from the scheduler's other globals,
    // its head NULL or in the pool.
    predicate queue_ok{L}(struct thread_queue *q) =
        \valid(q) && pool_or_null(q->head) &&
        (\forall integer i; 0 <= i < sched_count ==> \separated(q, sched_all[i])) &&
        \separated(q, sched_all + (0 .. SCHED_MAX_THREADS - 1), &sched_count, &sched_running,
                    &sched_sleepers) &&
        (q == &sched_ready || \separated(q, &sched_ready));

    // The queue a thread blocked on an endpoint or a notification is on.
    logic struct thread_queue *ep_queue_of{L}(struct thread *t) =
        &((struct endpoint *)t->blocked_on)->queue;
    logic struct thread_queue *ntfn_queue_of{L}(struct thread *t) =
        &((struct notification *)t->blocked_on)->waiters;

    // Property 4, the reply link: a client's `replier` is set exactly while it waits for
    // a reply, and then the server's `reply_to` names it back; a server's `reply_to`
    // names a client whose `replier` names it. Stated over pairs of the pool, so that
    // every thread it reads is one named by an index: with pool_closed (every link NULL
    // or a thread of the pool) it is the same as "a non-NULL `replier` names a thread
    // whose `reply_to` names it back", and the provers need no witness to find that
    // thread after a call (the frames below are stated per index too).
    predicate link_state_ok{L}(struct thread *t) =
        t->replier != \null <==> t->state == TS_BLOCKED_REPLY;
    // The invariant while `t` alone may be between its link and its state; with `t`
    // NULL (no thread of the pool is NULL), the invariant itself.
    predicate replier_pairs{L} =
        \forall integer i, j; 0 <= i < sched_count && 0 <= j < sched_count ==>
            sched_all[i]->replier == sched_all[j] ==> sched_all[j]->reply_to == sched_all[i];
    predicate reply_to_pairs{L} =
        \forall integer i, j; 0 <= i < sched_count && 0 <= j < sched_count ==>
            sched_all[i]->reply_to == sched_all[j] ==> sched_all[j]->replier == sched_all[i];
    predicate reply_states_but{L}(struct thread *t) =
        \forall integer i; 0 <= i < sched_count ==>
            sched_all[i] != t ==> link_state_ok(sched_all[i]);
    predicate reply_links_but{L}(struct thread *t) =
        replier_pairs && reply_to_pairs && reply_states_but(t);
    predicate reply_links{L} = reply_links_but(\null);

    // What the scheduler and queue functions keep: the table, every thread's links, and
    // every thread's state but `t`'s.
    predicate links_kept{L1, L2}(struct thread *t) =
        \at(sched_count, L1) == \at(sched_count, L2) &&
        (\forall integer i; 0 <= i < SCHED_MAX_THREADS ==>
            \at(sched_all[i], L1) == \at(sched_all[i], L2)) &&
        \forall integer i; 0 <= i < \at(sched_count, L1) ==>
            \at(sched_all[i]->reply_to, L1) == \at(sched_all[i]->reply_to, L2) &&
            \at(sched_all[i]->replier, L1) == \at(sched_all[i]->replier, L2) &&
            (\at(sched_all[i], L1) != t ==>
                \at(sched_all[i]->state, L1) == \at(sched_all[i]->state, L2));
*/

/* The fastpath's switch: `in` takes the place of `out` (the head of the ready queue) at
 * the head and runs. The caller has checked that the general path would make exactly
 * this choice (`in` outranks every other ready thread and has budget left) and then
 * sets `out`'s own queue fields and state, which depend on where `out` goes. */
/*@ requires pool_ok && in_pool(out) && in_pool(in) && out != in && out->q_next != in;
    assigns in->q_prev, in->q_next, in->q_owner, in->state, out->q_next->q_prev,
            sched_ready.head, sched_running;
    ensures in->q_prev == \null && in->q_next == \old(out->q_next);
    ensures \old(out->q_next) != \null ==> \old(out->q_next)->q_prev == in;
    ensures in->q_owner == &sched_ready && in->state == TS_READY;
    ensures sched_ready.head == in && sched_running == in;
*/
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

#endif
