/* Host driver of the lib/crypto benchmark: bench_host verify|sha512 N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_main.h"

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "verify") && strcmp(argv[1], "sha512"))) {
        fprintf(stderr, "usage: %s verify|sha512 N\n", argv[0]);
        return 2;
    }
    unsigned long n = strtoul(argv[2], NULL, 10);
    int r = bench_run(strcmp(argv[1], "verify") ? BENCH_SHA512 : BENCH_VERIFY, n);
    if (r)
        fprintf(stderr, "bench: an operation failed\n");
    return r;
}
