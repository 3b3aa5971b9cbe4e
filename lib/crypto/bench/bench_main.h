/* The lib/crypto benchmark workload (bench_main.c), shared by the host and rv64 drivers. */
#ifndef BENCH_MAIN_H
#define BENCH_MAIN_H

enum { BENCH_VERIFY = 1, BENCH_SHA512 = 2, BENCH_VERIFY_PREPARED = 3 };

/* Returns 0 when every operation succeeded. */
int bench_run(unsigned mode, unsigned long n);

#endif
