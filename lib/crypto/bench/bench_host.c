/* Host driver of the lib/crypto benchmark: bench_host verify|prepared|sha512 N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_main.h"

int main(int argc, char **argv)
{
    unsigned mode = 0;
    if (argc == 3)
        mode = !strcmp(argv[1], "verify") ? BENCH_VERIFY : !strcmp(argv[1], "prepared") ?
               BENCH_VERIFY_PREPARED : !strcmp(argv[1], "sha512") ? BENCH_SHA512 : 0;
    if (!mode) {
        fprintf(stderr, "usage: %s verify|prepared|sha512 N\n", argv[0]);
        return 2;
    }
    unsigned long n = strtoul(argv[2], NULL, 10);
    int r = bench_run(mode, n);
    if (r)
        fprintf(stderr, "bench: an operation failed\n");
    return r;
}
