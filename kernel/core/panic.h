/* Stopping the kernel on a broken invariant: the message, then a failing QEMU exit. */
#ifndef ANVAYA_KERNEL_PANIC_H
#define ANVAYA_KERNEL_PANIC_H

#include <stdint.h>

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
__attribute__((noreturn)) void panic_trap(const char *reason, uint64_t scause, uint64_t sepc,
                                          uint64_t stval);

#if defined(__FRAMAC__)
/* For WP: panic does not return (the attribute alone does not tell it; GCC holds the
 * code to it), so a path through a panic proves nothing after it, and it writes no state
 * any proof reads (it prints and stops). An assumption: panic itself is not analysed. */
/*@ assigns \nothing;
    ensures \false; */
void panic(const char *fmt, ...);
/* Under Frama-C (the proof suite, docs/assurance.md) every KASSERT is a proof obligation:
 * WP must show the condition holds wherever the code asserts it. Never compiled. */
/*@ requires kassert: cond != 0;
    assigns \nothing; */
void panic_kassert_proof(int cond);
#define KASSERT(cond) panic_kassert_proof((cond) != 0)
#elif defined(ANV_DEBUG_CHECKS)
#define KASSERT(cond)                                                                      \
    do {                                                                                   \
        if (!(cond))                                                                       \
            panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__);              \
    } while (0)
#else
#define KASSERT(cond) ((void)0)
#endif

#endif
