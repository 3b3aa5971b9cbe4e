/* The storage benchmark's idle counter: the lowest-priority thread of its system, so it
 * runs exactly when every other thread waits. Each turn of its loop is four instructions
 * and adds one to the shared count; the client takes 4 x (turns) off what rdinstret says,
 * which leaves the instructions the system itself executed. */
#include <anvaya/sdk.h>

#include "sbidle_gen.h"

int main(void)
{
    volatile uint64_t *turns = (volatile uint64_t *)STORE_BENCH_IDLE_COUNT;
    /* ld, addi, sd, j: a trap may fall between any two, and the count stays exact but for
     * the turn in progress (at most three instructions per wait). */
    __asm__ volatile("1: ld t0, 0(%0)\n"
                     "   addi t0, t0, 1\n"
                     "   sd t0, 0(%0)\n"
                     "   j 1b\n"
                     :
                     : "r"(turns)
                     : "t0", "memory");
    return 0;
}
