/* The measuring loop shared by the benchmark programs: every row of the table is made
 * here, so all rows subtract the same loop cost and print the same way. */
#include <stdio.h>

#include "bench.h"

uint64_t loop_overhead(void)
{
    uint64_t t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++) {
    }
    return instret() - t0;
}

void row(const char *what, uint64_t total, uint64_t overhead, uint32_t rounds)
{
    uint64_t net = total > overhead ? total - overhead : 0;
    printf("bench: %-44s %8lu instructions\n", what, (unsigned long)(net / rounds));
}

void bench_ipc(anv_handle_t ep, const char *what, uint32_t words, uint64_t overhead)
{
    uint64_t reply;
    anv_ipc_call(ep, anv_msginfo(BENCH_ECHO, words, 0), &reply); /* warm up */
    uint64_t t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++)
        anv_ipc_call(ep, anv_msginfo(BENCH_ECHO, words, 0), &reply);
    row(what, instret() - t0, overhead, ROUNDS);
}
