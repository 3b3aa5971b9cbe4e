/* Inline-assembly pieces of the FP scenario: every F register named one by one, so the
 * tests see exactly what the hardware (and the kernel's save and restore) hold. */
#ifndef ANVAYA_FP_REGS_H
#define ANVAYA_FP_REGS_H

#define FP_CHAINS(X)                                                                       \
    X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) \
    X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28)
#define FP_ALL(X) FP_CHAINS(X) X(29) X(30) X(31)

#define FP_CLOBBERS                                                                        \
    "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12", "f13",  \
        "f14", "f15", "f16", "f17", "f18", "f19", "f20", "f21", "f22", "f23", "f24", "f25", \
        "f26", "f27", "f28", "f29", "f30", "f31"

/* OR every F register (as 64-bit patterns) and fcsr into %[acc]; uses t0. */
#define FP_OR_REG(i) "fmv.x.d t0, f" #i "\n\tor %[acc], %[acc], t0\n\t"
#define FP_OR_ALL FP_ALL(FP_OR_REG) "frcsr t0\n\tor %[acc], %[acc], t0\n\t"

/* Read every register and fcsr as the first FP instructions of a thread's life: the
 * first one traps (FS Off) and the kernel makes this an FP thread with zeroed state. */
static inline unsigned long fp_first_read(void)
{
    unsigned long acc = 0;
    __asm__ volatile(FP_OR_ALL : [acc] "+r"(acc) : : "t0");
    return acc;
}

#endif
