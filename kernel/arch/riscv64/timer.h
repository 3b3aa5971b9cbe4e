/* The supervisor timer, programmed through SBI: a periodic tick for preemption and
 * budgets, with a tick counter the scheduler and wait_one timeouts read. */
#ifndef ANVAYA_ARCH_TIMER_H
#define ANVAYA_ARCH_TIMER_H

#include <stdint.h>

#define TIMER_HZ 100

void timer_init(uint64_t timebase_hz);
/* Acknowledge the interrupt and program the next tick; returns the new tick count. */
uint64_t timer_tick(void);
uint64_t timer_ticks(void);
uint64_t timer_period_cycles(void);

#endif
