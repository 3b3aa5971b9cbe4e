/* Request labels shared by the benchmark client and server. */
#ifndef ANVAYA_BENCH_H
#define ANVAYA_BENCH_H

#define BENCH_ECHO 1     /* reply at once with the same number of words */
#define BENCH_TAKE_CAP 2 /* delete the transferred capability, reply */
#define BENCH_PINGPONG 3 /* (sent) then answer each notification with one of ours */

#include <stdint.h>

#include <anvaya/sdk.h>

#define ROUNDS 1000u

/* Measuring (bench_measure.c): instret counts every retired instruction, exactly under
 * QEMU -icount shift=0. */
static inline uint64_t instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}
/* What an empty measuring loop of ROUNDS costs, to subtract. */
uint64_t loop_overhead(void);
/* Print one table row: (total - overhead) / rounds. */
void row(const char *what, uint64_t total, uint64_t overhead, uint32_t rounds);
/* ROUNDS calls of `words` words to an echo server on `ep`, after one warm-up call. */
void bench_ipc(anv_handle_t ep, const char *what, uint32_t words, uint64_t overhead);

/* Shared by the two switch spinners and the client (a dataport page). */
struct bench_switch {
    uint64_t last[2]; /* latest instret each spinner saw */
    uint64_t sum;     /* instructions across measured switches */
    uint64_t count;   /* switches measured */
};

#endif
