/* The FP scenario's disturber: above the two computing threads, with a budget of 1 ms in
 * every 10, so at every tick it preempts whichever of them is running. It is an FP thread
 * too: its first read of the registers must be zero although they held another thread's
 * values, and it then keeps its own known, non-zero pattern in all 32 F registers and in
 * fcsr and checks, every time it runs, that nobody changed them. */
#include <anvaya/sdk.h>
#include <stdio.h>

#include "fp_regs.h"

#define FILL(i) "li t0, 0x7D15000000000000 + " #i " * 0x10101\n\tfmv.d.x f" #i ", t0\n\t"
#define CHECK(i)                                                                           \
    "fmv.x.d t0, f" #i "\n\tli t1, 0x7D15000000000000 + " #i " * 0x10101\n\t"              \
    "beq t0, t1, 4f\n\taddi %[bad], %[bad], 1\n4:\n\t"
#define FCSR_PATTERN 0x7Fu /* round up (frm 3) and every accrued flag */
#define GAP_UNITS 5000u    /* 0.5 ms without running: our budget ran out, this is a refill */
#define REPORT_ROUNDS 100u

/* Fill the registers, then check them until `rounds` refills have passed; returns the
 * number of registers (and fcsr) found changed. */
static uint64_t fpd_guard(uint64_t rounds, uint64_t *checks)
{
    uint64_t bad = 0, seen = 0, n = 0, last = 0, gap = GAP_UNITS, pattern = FCSR_PATTERN;
    __asm__ volatile(
        FP_ALL(FILL)
        "fscsr %[pat]\n\t"
        "rdtime %[last]\n"
        "1:\n\t" FP_ALL(CHECK)
        "frcsr t0\n\t"
        "beq t0, %[pat], 5f\n\t"
        "addi %[bad], %[bad], 1\n"
        "5:\n\t"
        "addi %[n], %[n], 1\n\t"
        "rdtime t0\n\t"
        "sub t1, t0, %[last]\n\t"
        "mv %[last], t0\n\t"
        "bltu t1, %[gap], 1b\n\t"
        "addi %[seen], %[seen], 1\n\t"
        "bltu %[seen], %[rounds], 1b\n\t"
        : [bad] "+r"(bad), [seen] "+r"(seen), [n] "+r"(n), [last] "+r"(last)
        : [gap] "r"(gap), [pat] "r"(pattern), [rounds] "r"(rounds)
        : "t0", "t1", FP_CLOBBERS, "memory");
    *checks = n;
    return bad;
}

int main(void)
{
    unsigned long first = fp_first_read();
    uint64_t checks = 0;
    uint64_t bad = fpd_guard(REPORT_ROUNDS, &checks);
    printf("fpd: first-read=0x%lx, %u refills, %lu checks of 32 registers and fcsr, %lu changed\n",
           first, REPORT_ROUNDS, (unsigned long)checks, (unsigned long)bad);
    /* Go on preempting the others (and checking) until the system shuts down. */
    for (uint32_t i = 0; i < 1000000u; i++) {
        bad = fpd_guard(REPORT_ROUNDS, &checks);
        if (bad != 0)
            printf("fpd: FAIL %lu registers changed\n", (unsigned long)bad);
    }
    return 0;
}
