/* The FP scenario's reference computation (fp_model.h), built for the host (the expected
 * values) and for the guest (fpa checks its assembly against it after its restart). */
#include "fp_model.h"

#include <fenv.h>
#include <string.h>

uint64_t fpmodel_seed(int kind, uint32_t chain)
{
    if (kind == FPMODEL_FLOAT)
        return 0x3E000000u + (uint64_t)chain * 0x12345u;
    return 0x3FC0000000000000ull + (uint64_t)chain * 0x123456789ull;
}

static double bits_double(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static float bits_float(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

int fpmodel_run(int kind, uint64_t iterations, uint64_t out[FPMODEL_CHAINS])
{
    if (kind != FPMODEL_DOUBLE && kind != FPMODEL_FLOAT)
        return -1;
    int saved = fegetround();
    if (fesetround(kind == FPMODEL_FLOAT ? FE_TOWARDZERO : FE_TONEAREST) != 0)
        return -1;
    if (kind == FPMODEL_DOUBLE) {
        volatile double one = bits_double(FPMODEL_ONE_DOUBLE), r = bits_double(FPMODEL_R_DOUBLE);
        double x[FPMODEL_CHAINS];
        for (uint32_t i = 0; i < FPMODEL_CHAINS; i++)
            x[i] = bits_double(fpmodel_seed(kind, i));
        for (uint64_t n = 0; n < iterations; n++)
            for (uint32_t i = 0; i < FPMODEL_CHAINS; i++) {
                double t = one - x[i];
                x[i] = x[i] * t;
                x[i] = x[i] * r;
            }
        for (uint32_t i = 0; i < FPMODEL_CHAINS; i++)
            memcpy(&out[i], &x[i], sizeof x[i]);
    } else {
        volatile float one = bits_float(FPMODEL_ONE_FLOAT), r = bits_float(FPMODEL_R_FLOAT);
        float x[FPMODEL_CHAINS];
        for (uint32_t i = 0; i < FPMODEL_CHAINS; i++)
            x[i] = bits_float((uint32_t)fpmodel_seed(kind, i));
        for (uint64_t n = 0; n < iterations; n++)
            for (uint32_t i = 0; i < FPMODEL_CHAINS; i++) {
                float t = one - x[i];
                x[i] = x[i] * t;
                x[i] = x[i] * r;
            }
        for (uint32_t i = 0; i < FPMODEL_CHAINS; i++) {
            uint32_t b;
            memcpy(&b, &x[i], sizeof b);
            out[i] = b;
        }
    }
    return fesetround(saved) == 0 ? 0 : -1;
}
