/* The saved register state of a trap: the full user context of a thread lives here. */
#ifndef ANVAYA_ARCH_TRAP_H
#define ANVAYA_ARCH_TRAP_H

#include <stdint.h>

/* Layout is fixed by trap_entry.S (trap_layout.h): regs[n] is xn, then the trap CSRs. A
 * thread's frame uses regs and sepc only; sstatus, scause and stval are filled for
 * kernel-mode traps. A thread's frame is partial (thread.frame_partial) after an ipc.call
 * or ipc.reply_recv: t0..t6 were not saved and the thread gets them back as zero. */
struct trap_frame {
    uint64_t regs[32];
    uint64_t sepc;
    uint64_t sstatus;
    uint64_t scause;
    uint64_t stval;
};

#define REG_RA 1
#define REG_SP 2
#define REG_GP 3
#define REG_TP 4
#define REG_A0 10
#define REG_A1 11
#define REG_A2 12
#define REG_A3 13
#define REG_A4 14
#define REG_A5 15
#define REG_A6 16
#define REG_A7 17

extern char arch_trap_entry[];
__attribute__((noreturn)) void arch_return_to_user(struct trap_frame *frame);

void trap_init(void);
/* Boot check: take a breakpoint with known callee-saved registers; returns how many
 * came back wrong (0: the vector saves and restores them). */
int trap_selftest(void);
__attribute__((noreturn)) void trap_from_user(struct trap_frame *frame, uint64_t scause);
/* ipc.call / ipc.reply_recv with a partial frame, from trap_entry.S after the fastpath
 * take (trap.c): the general path when it declined; entering the woken thread in C when
 * the switch needs more than the assembly does; the checked build's invariant check. */
struct thread;
__attribute__((noreturn)) void trap_ipc_general(struct trap_frame *frame);
__attribute__((noreturn)) void trap_ipc_enter(struct trap_frame *from, struct thread *next,
                                              uint64_t badge);
void trap_ipc_check(void);
void trap_from_kernel(struct trap_frame *frame);
/* Pick the next thread (idling until there is one) and enter it. */
__attribute__((noreturn)) void trap_exit_to_user(void);

#endif
