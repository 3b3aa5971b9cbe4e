/* Lazy floating-point state for user threads: the F and D registers are live in the
 * hardware for at most one thread (the owner), saved only when another thread needs them
 * and only if the owner changed them. Threads that never use FP run with sstatus.FS Off. */
#ifndef ANVAYA_ARCH_FPU_H
#define ANVAYA_ARCH_FPU_H

#include <stdbool.h>
#include <stdint.h>

struct fp_state {
    uint64_t f[32];
    uint64_t fcsr;
};

struct thread;

/* Boot: FS Off, no owner. */
void fpu_init(void);
/* The hart goes idle after an FP thread: FS Off (the registers stay its, saved later if
 * dirty), so that whoever runs next starts from FS Off as the trap path assumes. */
void fpu_park(void);
/* Entering thread `t` after another one: make sstatus.FS and the registers right for it. */
void fpu_switch_to(struct thread *t);
/* An illegal-instruction trap from `t`, which has not used FP yet: if the instruction is
 * an F/D one, `t` becomes an FP thread with zeroed registers and the instruction is run
 * again; false when it is not an FP instruction (a real fault). */
bool fpu_first_use(struct thread *t, uint32_t insn, uint32_t insn_len);
/* `t` restarts: it starts again as a thread that never used FP. */
void fpu_forget(struct thread *t);
/* Is the instruction (2 or 4 bytes, as fetched) an F or D extension instruction or an
 * access to fflags, frm or fcsr? */
bool fpu_insn_is_fp(uint32_t insn, uint32_t insn_len);

/* The register file, in fpu_regs.S. */
void fpu_save_regs(struct fp_state *s);
void fpu_load_regs(const struct fp_state *s);

#endif
