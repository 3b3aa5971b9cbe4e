/* An FP computing thread of the FP scenario: 29 logistic-map chains (fp_model.h) in
 * inline assembly with all 32 F registers live for the whole run (f0-f28 the chains, f29
 * the temporary, f30 = 1, f31 = r), in double with round-to-nearest (fpa) or in float with
 * round-toward-zero set in fcsr (fpb). An equal-priority peer and a disturber above both
 * use FP too, so its registers are saved and restored across every preemption (counted
 * from jumps in rdtime) and every yield it makes with the registers live. It prints the
 * chains' bit patterns, fcsr and the counts, and exits; fmain restarts it once, and its
 * new life must start from zeroed registers. */
#include <anvaya/sdk.h>
#include <stdio.h>

#include "fp_model.h"
#include "fp_regs.h"

#ifndef FPCALC_KIND
#error "FPCALC_KIND must be FPMODEL_DOUBLE or FPMODEL_FLOAT"
#endif
#if FPCALC_KIND == FPMODEL_DOUBLE
#define NAME "fpa"
#define FP_LOAD(i) "fld f" #i ", " #i "*8(%[x])\n\t"
#define FP_STORE(i) "fsd f" #i ", " #i "*8(%[x])\n\t"
#define FP_STEP(i)                                                                         \
    "fsub.d f29, f30, f" #i "\n\tfmul.d f" #i ", f" #i ", f29\n\tfmul.d f" #i ", f" #i     \
    ", f31\n\t"
#define FP_LOAD_K "fld f30, 0(%[k])\n\tfld f31, 8(%[k])\n\t"
#define FRM 0u /* round to nearest, ties to even */
#else
#define NAME "fpb"
#define FP_LOAD(i) "flw f" #i ", " #i "*8(%[x])\n\t"
#define FP_STORE(i) "fsw f" #i ", " #i "*8(%[x])\n\t"
#define FP_STEP(i)                                                                         \
    "fsub.s f29, f30, f" #i "\n\tfmul.s f" #i ", f" #i ", f29\n\tfmul.s f" #i ", f" #i     \
    ", f31\n\t"
#define FP_LOAD_K "flw f30, 0(%[k])\n\tflw f31, 8(%[k])\n\t"
#define FRM 1u /* round toward zero */
#endif

/* A first life's run: about 12 s on QEMU for each (QEMU computes round-to-nearest doubles on
 * the host's FPU, round-toward-zero floats in software, so fpb does fewer). */
#if FPCALC_KIND == FPMODEL_DOUBLE
#define ITERATIONS 8000000u
#else
#define ITERATIONS 2600000u
#endif
#define SHORT_ITERATIONS 500u /* the restarted life's */
#define GAP_UNITS 1000u     /* 100 us between two clock reads: another thread ran */
#define YIELD_MASK 1023     /* yield every 1024 iterations, registers live */

struct fpcalc_run {
    uint64_t x[FPMODEL_CHAINS];
    uint64_t preempted, yields, fcsr;
};

static void fpcalc_compute(struct fpcalc_run *run, uint64_t iterations)
{
    uint64_t k[2], n = iterations, last = 0, gaps = 0, yields = 0, fcsr = 0;
    uint64_t gap = GAP_UNITS, frm = FRM;
    for (uint32_t i = 0; i < FPMODEL_CHAINS; i++)
        run->x[i] = fpmodel_seed(FPCALC_KIND, i);
#if FPCALC_KIND == FPMODEL_DOUBLE
    k[0] = FPMODEL_ONE_DOUBLE;
    k[1] = FPMODEL_R_DOUBLE;
#else
    k[0] = FPMODEL_ONE_FLOAT;
    k[1] = FPMODEL_R_FLOAT;
#endif
    if (n == 0)
        return;
    __asm__ volatile(
        "fsrm %[frm]\n\t" FP_CHAINS(FP_LOAD) FP_LOAD_K
        "rdtime %[last]\n"
        "1:\n\t" FP_CHAINS(FP_STEP)
        "rdtime t0\n\t"
        "sub t1, t0, %[last]\n\t"
        "mv %[last], t0\n\t"
        "bltu t1, %[gap], 2f\n\t"
        "addi %[gaps], %[gaps], 1\n"
        "2:\n\t"
        "andi t1, %[n], %[ymask]\n\t"
        "bnez t1, 3f\n\t"
        "li a7, %[yield]\n\t"
        "ecall\n\t"
        "addi %[yields], %[yields], 1\n\t"
        "rdtime %[last]\n" /* a yield is not a preemption */
        "3:\n\t"
        "addi %[n], %[n], -1\n\t"
        "bnez %[n], 1b\n\t" FP_CHAINS(FP_STORE)
        "frcsr %[fcsr]\n\t"
        : [n] "+r"(n), [last] "+r"(last), [gaps] "+r"(gaps), [yields] "+r"(yields),
          [fcsr] "=r"(fcsr)
        : [x] "r"(run->x), [k] "r"(k), [gap] "r"(gap), [frm] "r"(frm),
          [ymask] "i"(YIELD_MASK), [yield] "i"(ANV_SYS_THREAD_YIELD)
        : "t0", "t1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", FP_CLOBBERS, "memory");
    for (uint32_t i = 0; i < FPMODEL_CHAINS; i++)
        run->x[i] &= FPCALC_KIND == FPMODEL_DOUBLE ? ~0ull : 0xFFFFFFFFull;
    run->preempted = gaps;
    run->yields = yields;
    run->fcsr = fcsr;
}

/* Four values a line: a line shorter than the SDK's console buffer (128) leaves in one
 * debug.write, so another process's output cannot land inside it. */
static void fpcalc_print(uint64_t life, uint64_t iterations, const struct fpcalc_run *run)
{
    for (uint32_t i = 0; i < FPMODEL_CHAINS; i += 4) {
        char line[200];
        int used = snprintf(line, sizeof line, NAME ": life=%lu n=%lu x[%u..]",
                            (unsigned long)life, (unsigned long)iterations, i);
        for (uint32_t j = i; j < i + 4 && j < FPMODEL_CHAINS && used > 0 &&
                             (size_t)used < sizeof line; j++)
            used += snprintf(line + used, sizeof line - (size_t)used, " %016lx",
                             (unsigned long)run->x[j]);
        printf("%s\n", line);
    }
    printf(NAME ": life=%lu n=%lu fcsr=0x%lx preempted=%lu yields=%lu\n", (unsigned long)life,
           (unsigned long)iterations, (unsigned long)run->fcsr, (unsigned long)run->preempted,
           (unsigned long)run->yields);
}

static struct fpcalc_run run;

int main(void)
{
    uint64_t life = anv_restart_arg();
    /* Before anything else touches FP: the kernel must hand us zeroes, whatever the
     * other FP threads (or our own previous life) left in the hardware. */
    unsigned long first = fp_first_read();
    printf(NAME ": life=%lu first-read=0x%lx\n", (unsigned long)life, first);
    uint64_t n = life == 0 ? ITERATIONS : SHORT_ITERATIONS;
    fpcalc_compute(&run, n);
    fpcalc_print(life, n, &run);
    if (life != 0) {
        /* The same computation in C on this thread must agree with the assembly. */
        uint64_t model[FPMODEL_CHAINS];
        int err = fpmodel_run(FPCALC_KIND, n, model);
        uint32_t same = 0;
        for (uint32_t i = 0; i < FPMODEL_CHAINS; i++)
            same += err == 0 && model[i] == run.x[i];
        printf(NAME ": life=%lu C model agrees on %u of %u chains\n", (unsigned long)life, same,
               FPMODEL_CHAINS);
    }
    anv_proc_exit(0);
}
