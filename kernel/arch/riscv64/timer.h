/* The supervisor timer, programmed through SBI: a periodic tick for preemption, budget
 * refills and wait_one timeouts, and a one-off deadline when a budget runs out between
 * ticks. */
#ifndef ANVAYA_ARCH_TIMER_H
#define ANVAYA_ARCH_TIMER_H

#include <stdint.h>

#define TIMER_HZ 100

void timer_init(uint64_t timebase_hz);
/* The timer interrupt: a tick (sched_tick, next tick programmed) or a budget deadline
 * (sched_budget_expired), or both. */
void timer_interrupt(void);
uint64_t timer_ticks(void);
uint64_t timer_period_cycles(void);

#endif
