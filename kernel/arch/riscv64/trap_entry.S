/* Trap vector and return-to-user. sscratch holds the running thread's trap frame while
 * U-mode runs and zero while the kernel runs, which tells the vector where it came from.
 * A user frame holds the registers and sepc; kernel frames (idle-time interrupts, kernel
 * faults) also hold sstatus, scause and stval.
 *
 * Three ways in from U-mode, decided before anything but t5 is saved:
 * - abi.version is answered here and returns at once (nothing else is touched);
 * - ipc.call and ipc.reply_recv save only what survives an ecall (RFC 0010 section 1:
 *   t0..t6 do not), mark the frame partial (thread.frame_partial) and call the
 *   fastpath's take; on a hit the woken thread is entered here with its message in
 *   registers (.Lipc_hit), otherwise trap.c takes the general path;
 * - everything else (other syscalls, interrupts, faults) saves the whole frame. */
#include "trap_layout.h"

#define FRAME_SIZE TRAP_FRAME_SIZE
#define F_SEPC TRAP_F_SEPC
#define F_SSTATUS TRAP_F_SSTATUS
#define F_SCAUSE TRAP_F_SCAUSE
#define F_STVAL TRAP_F_STVAL
#define F_PARTIAL TRAP_F_PARTIAL

/* Register x<n> lives at offset 8 * n of a frame; each macro below stores (sd) or loads
 * (ld) one set of them. The whole-frame set leaves out sp, t5 and t6, which the entry
 * moves itself (they hold its frame pointer and scratch values while it decides). */
#define REGS_GPRS 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29
/* What an ecall preserves besides a0..a7 (which the fastpath entry saves as arguments). */
#define REGS_KEPT 1, 2, 3, 4, 8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27
#define REGS_ARGS 10, 11, 12, 13, 14, 15, 16, 17

.macro FRAME_REGS op, base, regs:vararg
    .irp r, \regs
    \op x\r, (8 * \r)(\base)
    .endr
.endm

.macro SAVE_GPRS base
    FRAME_REGS sd, \base, REGS_GPRS
.endm
.macro LOAD_GPRS base
    FRAME_REGS ld, \base, REGS_GPRS
.endm
.macro SAVE_KEPT base
    FRAME_REGS sd, \base, REGS_KEPT
.endm
.macro LOAD_KEPT base
    FRAME_REGS ld, \base, REGS_KEPT
.endm
.macro SAVE_ARGS base
    FRAME_REGS sd, \base, REGS_ARGS
.endm
.macro LOAD_ARGS base
    FRAME_REGS ld, \base, REGS_ARGS
.endm

    .section .text
    .balign 4
    .global arch_trap_entry
arch_trap_entry:
    csrrw   t6, sscratch, t6
    beqz    t6, .Lfrom_kernel

    /* From U-mode: t6 = frame of the running thread, sscratch = user t6. t5 is saved
     * first so it can hold scause; an ecall then needs no other user temporary. */
    sd      t5, 240(t6)
    csrr    t5, scause
    addi    t5, t5, -TRAP_EXC_ECALL_U
    bnez    t5, .Lsave_all
    /* The IPC numbers first: the round trip is the path worth the fewest tests. */
    addi    t5, a7, -TRAP_SYS_IPC_CALL
    beqz    t5, .Lipc_call
    addi    t5, t5, TRAP_SYS_IPC_CALL - TRAP_SYS_IPC_REPLY_RECV
    beqz    t5, .Lipc_reply_recv
#ifndef ANV_DEBUG_CHECKS
    /* A checked build takes abi.version to C too: its invariant checker runs after
     * every syscall, and the stress test counts that it did. */
    beqz    a7, .Lnull_syscall
#endif

.Lsave_all:
    sd      sp, 16(t6)
    SAVE_GPRS t6
    csrr    t5, sscratch
    sd      t5, 248(t6)
    sb      zero, F_PARTIAL(t6)
    csrw    sscratch, zero
    csrr    t0, sepc
    sd      t0, F_SEPC(t6)
    /* scause travels in a1 and stval stays in its CSR until a fault needs it; sstatus
     * needs no saving: every return to U-mode wants SPP = U and SPIE = 1, which is what
     * both a trap from U-mode and an sret leave there. */
    csrr    a1, scause
    /* One kernel stack: the kernel never blocks inside C, every path ends by returning
     * to some thread through arch_return_to_user. */
    lla     sp, boot_stack_top
    mv      a0, t6
    call    trap_from_user
1:  j       1b

    /* abi.version: a0 = ANV_OK, a1 = the version, every other register as it was. It
     * changes no kernel state, so nothing (accounting, invariants) needs to know. */
.Lnull_syscall:
    csrr    t5, sepc
    addi    t5, t5, 4
    csrw    sepc, t5
    li      a0, 0
    lui     a1, TRAP_ABI_VERSION_HI
    ld      t5, 240(t6)
    csrrw   t6, sscratch, t6
    sret

    /* ipc.call, ipc.reply_recv: the registers an ecall preserves, a0..a7 and sepc past
     * the ecall. t0..t6 of the thread are left unsaved (the frame is marked partial: the
     * flag is any non-zero byte, here the syscall number's, 7 or 9, checked in trap.c).
     * Then the fastpath's take (fastpath.c, the same C the host tests run) with the
     * handle and msginfo where they arrived (a0, a1) and the thread in a2: every check
     * and every change to kernel objects, or nothing (but its lookup memo) and NULL. s0
     * keeps the sender's frame across the call (its own s0 is saved). */
.macro IPC_ENTRY take
    SAVE_KEPT t6
    SAVE_ARGS t6
    csrr    t5, sepc
    addi    t5, t5, 4
    sd      t5, F_SEPC(t6)
    sb      a7, F_PARTIAL(t6)
    csrw    sscratch, zero
    lla     sp, boot_stack_top
    mv      s0, t6
    addi    a2, t6, -TRAP_T_FRAME
    call    \take
    bnez    a0, .Lipc_hit
    mv      a0, s0
    call    trap_ipc_general
.endm
.Lipc_call:
    IPC_ENTRY fastpath_call_take
.Lipc_reply_recv:
    IPC_ENTRY fastpath_reply_recv_take

    /* The take succeeded: a0 = the thread to run (at the head of the ready queue), a1 =
     * the badge for its a6, s0 = the sender's frame. Enter it here when that is trap.c's
     * trap_enter at its cheapest: neither thread has switch work (no budget to charge, no
     * FP state), its frame is partial (no temporaries to give back) and its space is
     * installed or holds a live ASID (one satp write, no flush). Otherwise trap_ipc_enter
     * delivers into its frame and enters it in C. Nothing changes before the decision. */
.Lipc_hit:
#ifdef ANV_DEBUG_CHECKS
    mv      s1, a0
    mv      s2, a1
    call    trap_ipc_check
    mv      a0, s1
    mv      a1, s2
#endif
    lla     t0, sched_accounted
    ld      t1, 0(t0)
    lbu     t2, TRAP_T_SWITCH_WORK(t1)
    lbu     t3, TRAP_T_SWITCH_WORK(a0)
    or      t2, t2, t3
    bnez    t2, .Lipc_enter_c
    addi    t6, a0, TRAP_T_FRAME
    lbu     t2, F_PARTIAL(t6)
    beqz    t2, .Lipc_enter_c
    ld      t2, TRAP_T_VSPACE(a0)
    lla     t3, mmu_active
    ld      t4, 0(t3)
    beq     t2, t4, 1f
    lw      t4, TRAP_VS_ASID_GEN(t2)
    lw      t5, mmu_asid_generation
    bne     t4, t5, .Lipc_enter_c
    ld      t4, TRAP_VS_SATP(t2)
    csrw    satp, t4
    sd      t2, 0(t3)
1:  sd      a0, 0(t0)               /* sched_note_switch */
    /* The message straight from the sender's saved registers into the ones the woken
     * thread resumes with (fastpath_deliver writes the same values into a frame): a0 =
     * ANV_OK, a1..a5 = msginfo and words, a6 = badge; a7 and the kept registers its own. */
    ld      t0, F_SEPC(t6)
    csrw    sepc, t0
    csrw    sscratch, t6
    mv      a6, a1
    li      a0, 0
    ld      a1, (8 * 11)(s0)
    ld      a2, (8 * 12)(s0)
    ld      a3, (8 * 13)(s0)
    ld      a4, (8 * 14)(s0)
    ld      a5, (8 * 15)(s0)
    ld      a7, (8 * 17)(t6)
    LOAD_KEPT t6
    li      t0, 0
    li      t1, 0
    li      t2, 0
    li      t3, 0
    li      t4, 0
    li      t5, 0
    li      t6, 0
    sret
.Lipc_enter_c:
    mv      a2, a1
    mv      a1, a0
    mv      a0, s0
    call    trap_ipc_enter

.Lfrom_kernel:
    csrrw   t6, sscratch, t6
    addi    sp, sp, -FRAME_SIZE
    SAVE_GPRS sp
    sd      x30, 240(sp)
    sd      x31, 248(sp)
    addi    t0, sp, FRAME_SIZE
    sd      t0, 16(sp)
    csrr    t0, sepc
    sd      t0, F_SEPC(sp)
    csrr    t0, sstatus
    sd      t0, F_SSTATUS(sp)
    csrr    t0, scause
    sd      t0, F_SCAUSE(sp)
    csrr    t0, stval
    sd      t0, F_STVAL(sp)
    mv      a0, sp
    call    trap_from_kernel
    ld      t0, F_SEPC(sp)
    csrw    sepc, t0
    ld      t0, F_SSTATUS(sp)
    csrw    sstatus, t0
    LOAD_GPRS sp
    ld      x30, 240(sp)
    ld      x31, 248(sp)
    addi    sp, sp, FRAME_SIZE
    sret

    /* void arch_return_to_user(struct trap_frame *frame). A partial frame has no
     * temporaries to give back: they return zero, so no kernel value reaches the thread. */
    .global arch_return_to_user
arch_return_to_user:
    ld      t0, F_SEPC(a0)
    csrw    sepc, t0
    csrw    sscratch, a0
    mv      t6, a0
    lbu     t0, F_PARTIAL(t6)
    bnez    t0, .Lreturn_partial
    ld      sp, 16(t6)
    LOAD_GPRS t6
    ld      x30, 240(t6)
    ld      t6, 248(t6)
    sret
.Lreturn_partial:
    LOAD_KEPT t6
    LOAD_ARGS t6
    li      t0, 0
    li      t1, 0
    li      t2, 0
    li      t3, 0
    li      t4, 0
    li      t5, 0
    li      t6, 0
    sret
