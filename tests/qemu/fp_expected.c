/* The FP scenario's expected values: runs components/fptest/fp_model.c on the host (IEEE
 * double and float, no fused operations) and prints each chain's bits, one per line:
 * `fp_expected <double|float> <iterations>`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_model.h"

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "double") != 0 && strcmp(argv[1], "float") != 0)) {
        fprintf(stderr, "usage: fp_expected <double|float> <iterations>\n");
        return 2;
    }
    char *end = NULL;
    unsigned long long n = strtoull(argv[2], &end, 10);
    if (end == argv[2] || *end != '\0' || n > 100000000ull) {
        fprintf(stderr, "fp_expected: bad iteration count '%s'\n", argv[2]);
        return 2;
    }
    uint64_t out[FPMODEL_CHAINS];
    if (fpmodel_run(strcmp(argv[1], "float") == 0 ? FPMODEL_FLOAT : FPMODEL_DOUBLE, n, out) != 0) {
        fprintf(stderr, "fp_expected: cannot set the rounding mode\n");
        return 1;
    }
    for (unsigned i = 0; i < FPMODEL_CHAINS; i++)
        printf("%016llx\n", (unsigned long long)out[i]);
    return 0;
}
