/* The scheduler: one priority-ordered ready queue (the running thread stays at its
 * head), CPU time charged exactly at every switch and enforced by budgets, and the
 * timeout list for wait_one. */
#include "core/sched.h"

#include <stdbool.h>

#include "core/panic.h"
#include "object/thread.h"

struct thread_queue sched_ready;
struct thread *sched_running;
struct thread *sched_all[SCHED_MAX_THREADS];
uint32_t sched_count;
struct thread *sched_sleepers;
static uint64_t sched_time;
/* Stands for "nobody" while the hart idles, so sched_accounted is never NULL and the trap
 * path reads its switch_work without a test. No budget: never charged. */
static struct thread sched_idle;
struct thread *sched_accounted = &sched_idle;
static uint64_t sched_accounted_since;

void sched_init(void)
{
    struct thread_queue empty = {0, 0};
    sched_ready = empty;
    sched_running = 0;
    sched_count = 0;
    sched_sleepers = 0;
    sched_time = 0;
    sched_accounted = &sched_idle;
    sched_accounted_since = 0;
}

int sched_admit(struct thread *t, uint64_t budget, uint64_t period)
{
    if (sched_count >= SCHED_MAX_THREADS)
        return ANV_E_QUOTA;
    if (budget != 0 && (period == 0 || budget > period || period > SCHED_MAX_PERIOD))
        return ANV_E_INVALID_ARG;
    t->budget = budget;
    t->period = period;
    if (budget != 0)
        t->switch_work |= THREAD_SWITCH_BUDGET;
    else
        t->switch_work &= (uint8_t)~THREAD_SWITCH_BUDGET;
    t->budget_left = (int64_t)budget;
    t->next_replenish = sched_accounted_since + period;
    t->slice_left = SCHED_SLICE_TICKS;
    sched_all[sched_count++] = t;
    return ANV_OK;
}

/*@ requires \valid_read(t);
    assigns \nothing;
*/
static bool sched_out_of_budget(const struct thread *t)
{
    return t->budget != 0 && t->budget_left <= 0;
}

/* ACSL (proved by WP, tests/proof/wp/; docs/assurance.md, property 4): the scheduler's
 * functions the IPC operations call write queue and timeout links and `t`'s state only,
 * keep the pool closed and never touch a reply link. */
/*@ requires pool_ok && in_pool(t);
    requires t->q_owner == \null || t->q_owner == &sched_ready;
    assigns t->state, sched_ready.head, sched_ready.length, t->q_owner,
            sched_all[0 .. sched_count - 1]->q_next, sched_all[0 .. sched_count - 1]->q_prev;
    ensures pool_sep;
    ensures pool_closed;
    ensures \old(t->q_owner) == \null ==> t->state == TS_READY || t->state == TS_THROTTLED;
    ensures \old(t->q_owner) != \null ==> t->state == \old(t->state);
    ensures \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
        sched_all[i]->q_owner == \old(sched_all[i]->q_owner);
    ensures links_kept{Pre, Post}(t);
*/
void sched_make_ready(struct thread *t)
{
    if (t->q_owner == &sched_ready)
        return;
    if (sched_out_of_budget(t)) {
        t->state = TS_THROTTLED;
        return;
    }
    t->state = TS_READY;
    tq_insert(&sched_ready, t);
}

static void sched_throttle(struct thread *t)
{
    if (t->q_owner == &sched_ready)
        tq_remove(&sched_ready, t);
    if (sched_running == t)
        sched_running = 0;
    t->state = TS_THROTTLED;
}

/* Charge the thread whose time has been running since the last switch, up to `now`. A
 * ready thread whose budget that spends leaves the ready queue at once. */
static void sched_charge(uint64_t now)
{
    struct thread *t = sched_accounted;
    uint64_t used = now > sched_accounted_since ? now - sched_accounted_since : 0;
    sched_accounted_since = now;
    if (t->budget == 0)
        return;
    t->cpu_time += used;
    t->budget_left -= (int64_t)used;
    if (t->budget_left <= 0 && t->state == TS_READY)
        sched_throttle(t);
}

void sched_account(struct thread *in, uint64_t now)
{
    sched_charge(now);
    sched_accounted = in ? in : &sched_idle;
    /* The budget runs out before the next tick: ask for an interrupt then, so even a
     * thread that sleeps through every tick is stopped when it has spent its share. */
    if (in && in->budget != 0)
        sched_arch_budget_deadline(now + (in->budget_left > 0 ? (uint64_t)in->budget_left : 1));
}

void sched_budget_expired(uint64_t now)
{
    sched_charge(now);
    if (sched_accounted->budget != 0 && sched_accounted->budget_left > 0)
        sched_arch_budget_deadline(now + (uint64_t)sched_accounted->budget_left);
}

/*@ requires pool_ok && in_pool(t);
    assigns sched_ready.head, sched_ready.length, t->q_owner, sched_running, sched_sleepers,
            sched_all[0 .. sched_count - 1]->q_next, sched_all[0 .. sched_count - 1]->q_prev,
            sched_all[0 .. sched_count - 1]->sleep_next, t->on_sleep_list, t->wait_deadline;
    ensures pool_sep;
    ensures pool_closed;
    ensures \old(t->q_owner) == &sched_ready ==> t->q_owner == \null;
    ensures \old(t->q_owner) != &sched_ready ==> t->q_owner == \old(t->q_owner);
    ensures \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
        sched_all[i]->q_owner == \old(sched_all[i]->q_owner);
    ensures links_kept{Pre, Post}(\null);
*/
void sched_remove(struct thread *t)
{
    if (t->q_owner == &sched_ready)
        tq_remove(&sched_ready, t);
    if (sched_running == t)
        sched_running = 0;
    sched_sleep_remove(t);
}

/*@ requires pool_ok && in_pool(t);
    assigns t->state, sched_ready.head, sched_ready.length, t->q_owner, sched_running,
            sched_all[0 .. sched_count - 1]->q_next, sched_all[0 .. sched_count - 1]->q_prev;
    ensures pool_sep;
    ensures pool_closed;
    ensures t->state == state;
    ensures \old(t->q_owner) == &sched_ready ==> t->q_owner == \null;
    ensures \old(t->q_owner) != &sched_ready ==> t->q_owner == \old(t->q_owner);
    ensures \forall integer i; 0 <= i < sched_count ==> sched_all[i] != t ==>
        sched_all[i]->q_owner == \old(sched_all[i]->q_owner);
    ensures links_kept{Pre, Post}(t);
*/
void sched_block(struct thread *t, enum thread_state state)
{
    if (t->q_owner == &sched_ready)
        tq_remove(&sched_ready, t);
    if (sched_running == t)
        sched_running = 0;
    t->state = state;
}

void sched_yield_thread(struct thread *t)
{
    /* Reinsertion puts it behind every ready thread of its own priority. */
    if (t->q_owner == &sched_ready) {
        tq_remove(&sched_ready, t);
        tq_insert(&sched_ready, t);
    }
    t->slice_left = SCHED_SLICE_TICKS;
}

struct thread *sched_choose(void)
{
    sched_running = sched_ready.head;
    return sched_running;
}

struct thread *sched_current(void)
{
    return sched_running;
}

uint64_t sched_now(void)
{
    return sched_time;
}

void sched_sleep_add(struct thread *t, uint64_t deadline)
{
    t->wait_deadline = deadline;
    if (t->on_sleep_list)
        return;
    t->sleep_next = sched_sleepers;
    sched_sleepers = t;
    t->on_sleep_list = true;
}

/*@ requires pool_ok && in_pool(t);
    assigns sched_sleepers, sched_all[0 .. sched_count - 1]->sleep_next, t->on_sleep_list,
            t->wait_deadline;
    ensures pool_sep;
    ensures pool_closed;
    ensures links_kept{Pre, Post}(\null);
*/
void sched_sleep_remove(struct thread *t)
{
    if (!t->on_sleep_list)
        return;
    /* A flagged thread missing from the list, or a list longer than the threads there
     * are, is a broken list: clearing the flag anyway would hide it and could leave the
     * thread linked where the next wake-up walks. */
    struct thread **pp = &sched_sleepers;
    /*@ loop invariant pp == &sched_sleepers ||
            \exists integer k; 0 <= k < sched_count && pp == &sched_all[k]->sleep_next;
        loop invariant 0 <= guard < SCHED_MAX_THREADS;
        loop assigns guard, pp;
        loop variant SCHED_MAX_THREADS - guard;
    */
    for (uint32_t guard = 0; *pp != t; guard++) {
        if (*pp == 0)
            panic("sched: thread %u marked on the timeout list but not on it", t->hdr.id);
        if (guard + 1 >= SCHED_MAX_THREADS)
            panic("sched: timeout list longer than %u threads", SCHED_MAX_THREADS);
        pp = &(*pp)->sleep_next;
    }
    *pp = t->sleep_next;
    t->sleep_next = 0;
    t->on_sleep_list = false;
    t->wait_deadline = 0;
}

static void sched_wake_sleepers(uint64_t now)
{
    struct thread *t = sched_sleepers;
    for (uint32_t guard = 0; t; guard++) {
        if (guard >= SCHED_MAX_THREADS)
            panic("sched: timeout list longer than %u threads", SCHED_MAX_THREADS);
        struct thread *next = t->sleep_next;
        if (t->wait_deadline != 0 && now >= t->wait_deadline && t->state == TS_BLOCKED_WAIT) {
            /* wait_one reports which source fired: the timeout. */
            t->frame.regs[REG_A1] = ANV_WAIT_TIMEOUT;
            t->frame.regs[REG_A2] = 0;
            thread_abort_wait(t, ANV_OK);
        }
        t = next;
    }
}

void sched_tick(uint64_t tick, uint64_t now)
{
    sched_time = tick;
    /* What ran since the last switch, charged exactly; the thread keeps running (and
     * being charged) from here unless that spent its budget. */
    sched_charge(now);
    struct thread *cur = sched_running;
    if (cur && cur->state == TS_READY && --cur->slice_left == 0)
        sched_yield_thread(cur);
    for (uint32_t i = 0; i < sched_count; i++) {
        struct thread *t = sched_all[i];
        if (t->budget == 0 || now < t->next_replenish)
            continue;
        /* Unused budget does not carry over; an overrun (never more than one interrupt's
         * latency) is paid back from the new period. */
        t->budget_left = t->budget_left < 0 ? (int64_t)t->budget + t->budget_left
                                            : (int64_t)t->budget;
        t->next_replenish += t->period;
        if (t->next_replenish <= now)
            t->next_replenish = now + t->period;
        if (t->state == TS_THROTTLED)
            sched_make_ready(t);
    }
    sched_wake_sleepers(tick);
    /* The thread that had the CPU keeps being charged; if it goes on running and its
     * budget ends before the next tick, it needs the budget interrupt again. */
    struct thread *acc = sched_accounted;
    if (acc->budget != 0 && acc->state == TS_READY && acc->budget_left > 0)
        sched_arch_budget_deadline(now + (uint64_t)acc->budget_left);
}

struct thread *const *sched_threads(uint32_t *count)
{
    *count = sched_count;
    return sched_all;
}
