/* Periodic tick from the SBI TIME extension, plus the one-off budget deadline the
 * scheduler asks for. Deadlines are absolute, so a late interrupt does not stretch the
 * following periods. */
#include "timer.h"

#include "csr.h"
#include "sbi.h"

#include <stdbool.h>

#include "core/sched.h"

static uint64_t timer_period;
static uint64_t timer_next_deadline;
static uint64_t timer_count;
static uint64_t timer_budget_deadline; /* 0: none */
static uint64_t timer_armed;           /* what the SBI timer is set to */

static void timer_arm(void)
{
    uint64_t target = timer_next_deadline;
    if (timer_budget_deadline != 0 && timer_budget_deadline < target)
        target = timer_budget_deadline;
    if (target != timer_armed) {
        timer_armed = target;
        sbi_set_timer(target);
    }
}

void timer_init(uint64_t timebase_hz)
{
    timer_period = timebase_hz / TIMER_HZ;
    if (timer_period == 0)
        timer_period = 1;
    timer_next_deadline = arch_read_time() + timer_period;
    timer_arm();
    csr_set(sie, SIE_STIE);
}

void timer_interrupt(void)
{
    uint64_t now = arch_read_time();
    bool budget_due = timer_budget_deadline != 0 && now >= timer_budget_deadline;
    if (budget_due)
        timer_budget_deadline = 0;
    if (now >= timer_next_deadline) {
        timer_next_deadline += timer_period;
        /* After a long stall, skip missed deadlines instead of firing a burst. */
        if (timer_next_deadline <= now)
            timer_next_deadline = now + timer_period;
        timer_arm();
        sched_tick(++timer_count, now);
    } else {
        timer_arm();
        if (budget_due)
            sched_budget_expired(now);
    }
}

void sched_arch_budget_deadline(uint64_t deadline)
{
    /* Only one deadline is kept: the thread entered last is the one that runs. */
    if (deadline >= timer_next_deadline)
        deadline = 0;
    if (deadline == timer_budget_deadline)
        return;
    timer_budget_deadline = deadline;
    timer_arm();
}

uint64_t timer_ticks(void)
{
    return timer_count;
}

uint64_t timer_period_cycles(void)
{
    return timer_period;
}
