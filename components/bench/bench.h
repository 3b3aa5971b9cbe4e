/* Request labels shared by the benchmark client and server. */
#ifndef ANVAYA_BENCH_H
#define ANVAYA_BENCH_H

#define BENCH_ECHO 1     /* reply at once with the same number of words */
#define BENCH_TAKE_CAP 2 /* delete the transferred capability, reply */
#define BENCH_PINGPONG 3 /* (sent) then answer each notification with one of ours */

#endif
