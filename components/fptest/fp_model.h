/* The FP scenario's computation, as plain C: 29 chains of the logistic map
 * x <- (x * (1 - x)) * r, in double with round-to-nearest (kind FPMODEL_DOUBLE) or in
 * float with round-toward-zero (FPMODEL_FLOAT). The components compute the same thing in
 * inline assembly with every F register live; the host program (tests/qemu/fp_expected.c)
 * runs this model to give the QEMU test the exact bit patterns to expect. */
#ifndef ANVAYA_FP_MODEL_H
#define ANVAYA_FP_MODEL_H

#include <stdint.h>

#define FPMODEL_CHAINS 29u /* f0-f28; f29 is the temporary, f30 holds 1, f31 holds r */
#define FPMODEL_DOUBLE 0
#define FPMODEL_FLOAT 1
#define FPMODEL_R_DOUBLE 0x400F333333333333ull /* 3.9 */
#define FPMODEL_ONE_DOUBLE 0x3FF0000000000000ull
#define FPMODEL_R_FLOAT 0x4079999Au            /* 3.9f */
#define FPMODEL_ONE_FLOAT 0x3F800000u

/* Chain i's starting value, as the bit pattern of a double or a float in [0.125, 0.25). */
uint64_t fpmodel_seed(int kind, uint32_t chain);
/* Run `iterations` steps of every chain from its seed; out[i] = chain i's bits (a float's
 * in the low 32 bits). Sets and restores the rounding mode. Returns 0, or -1 when kind is
 * unknown or the rounding mode cannot be set. */
int fpmodel_run(int kind, uint64_t iterations, uint64_t out[FPMODEL_CHAINS]);

#endif
