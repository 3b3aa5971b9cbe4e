/* Periodic tick from the SBI TIME extension. Deadlines are absolute, so a late interrupt
 * does not stretch the following periods. */
#include "timer.h"

#include "csr.h"
#include "sbi.h"

static uint64_t timer_period;
static uint64_t timer_next_deadline;
static uint64_t timer_count;

void timer_init(uint64_t timebase_hz)
{
    timer_period = timebase_hz / TIMER_HZ;
    if (timer_period == 0)
        timer_period = 1;
    timer_next_deadline = arch_read_time() + timer_period;
    sbi_set_timer(timer_next_deadline);
    csr_set(sie, SIE_STIE);
}

uint64_t timer_tick(void)
{
    uint64_t now = arch_read_time();
    timer_next_deadline += timer_period;
    /* After a long stall, skip missed deadlines instead of firing a burst. */
    if (timer_next_deadline <= now)
        timer_next_deadline = now + timer_period;
    sbi_set_timer(timer_next_deadline);
    return ++timer_count;
}

uint64_t timer_ticks(void)
{
    return timer_count;
}

uint64_t timer_period_cycles(void)
{
    return timer_period;
}
