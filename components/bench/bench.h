/* Request labels shared by the benchmark client and server. */
#ifndef ANVAYA_BENCH_H
#define ANVAYA_BENCH_H

#define BENCH_ECHO 1     /* reply at once with the same number of words */
#define BENCH_TAKE_CAP 2 /* delete the transferred capability, reply */
#define BENCH_PINGPONG 3 /* (sent) then answer each notification with one of ours */

#include <stdint.h>

/* Shared by the two switch spinners and the client (a dataport page). */
struct bench_switch {
    uint64_t last[2]; /* latest instret each spinner saw */
    uint64_t sum;     /* instructions across measured switches */
    uint64_t count;   /* switches measured */
};

#endif
