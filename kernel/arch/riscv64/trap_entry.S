/* Trap vector and return-to-user. sscratch holds the running thread's trap frame while
 * U-mode runs and zero while the kernel runs, which tells the vector where it came from.
 * A user frame holds the registers and sepc; kernel frames (idle-time interrupts, kernel
 * faults) also hold sstatus, scause and stval.
 *
 * Three ways in from U-mode, decided before anything but t5 is saved:
 * - abi.version is answered here and returns at once (nothing else is touched);
 * - ipc.call and ipc.reply_recv save only what survives an ecall (RFC 0010 section 1:
 *   t0..t6 do not), mark the frame partial (thread.frame_partial) and go to
 *   trap_ecall_ipc, which tries the fastpath and otherwise takes the general path;
 * - everything else (other syscalls, interrupts, faults) saves the whole frame. */
#include "trap_layout.h"

#define FRAME_SIZE TRAP_FRAME_SIZE
#define F_SEPC TRAP_F_SEPC
#define F_SSTATUS TRAP_F_SSTATUS
#define F_SCAUSE TRAP_F_SCAUSE
#define F_STVAL TRAP_F_STVAL
#define F_PARTIAL TRAP_F_PARTIAL

.macro SAVE_GPRS base
    sd x1, 8(\base)
    sd x3, 24(\base)
    sd x4, 32(\base)
    sd x5, 40(\base)
    sd x6, 48(\base)
    sd x7, 56(\base)
    sd x8, 64(\base)
    sd x9, 72(\base)
    sd x10, 80(\base)
    sd x11, 88(\base)
    sd x12, 96(\base)
    sd x13, 104(\base)
    sd x14, 112(\base)
    sd x15, 120(\base)
    sd x16, 128(\base)
    sd x17, 136(\base)
    sd x18, 144(\base)
    sd x19, 152(\base)
    sd x20, 160(\base)
    sd x21, 168(\base)
    sd x22, 176(\base)
    sd x23, 184(\base)
    sd x24, 192(\base)
    sd x25, 200(\base)
    sd x26, 208(\base)
    sd x27, 216(\base)
    sd x28, 224(\base)
    sd x29, 232(\base)
.endm

.macro LOAD_GPRS base
    ld x1, 8(\base)
    ld x3, 24(\base)
    ld x4, 32(\base)
    ld x5, 40(\base)
    ld x6, 48(\base)
    ld x7, 56(\base)
    ld x8, 64(\base)
    ld x9, 72(\base)
    ld x10, 80(\base)
    ld x11, 88(\base)
    ld x12, 96(\base)
    ld x13, 104(\base)
    ld x14, 112(\base)
    ld x15, 120(\base)
    ld x16, 128(\base)
    ld x17, 136(\base)
    ld x18, 144(\base)
    ld x19, 152(\base)
    ld x20, 160(\base)
    ld x21, 168(\base)
    ld x22, 176(\base)
    ld x23, 184(\base)
    ld x24, 192(\base)
    ld x25, 200(\base)
    ld x26, 208(\base)
    ld x27, 216(\base)
    ld x28, 224(\base)
    ld x29, 232(\base)
.endm

/* What an ecall preserves besides a0..a7 (which the fastpath entry saves as arguments). */
.macro SAVE_KEPT base
    sd x1, 8(\base)
    sd x2, 16(\base)
    sd x3, 24(\base)
    sd x4, 32(\base)
    sd x8, 64(\base)
    sd x9, 72(\base)
    sd x18, 144(\base)
    sd x19, 152(\base)
    sd x20, 160(\base)
    sd x21, 168(\base)
    sd x22, 176(\base)
    sd x23, 184(\base)
    sd x24, 192(\base)
    sd x25, 200(\base)
    sd x26, 208(\base)
    sd x27, 216(\base)
.endm

.macro LOAD_KEPT base
    ld x1, 8(\base)
    ld x2, 16(\base)
    ld x3, 24(\base)
    ld x4, 32(\base)
    ld x8, 64(\base)
    ld x9, 72(\base)
    ld x18, 144(\base)
    ld x19, 152(\base)
    ld x20, 160(\base)
    ld x21, 168(\base)
    ld x22, 176(\base)
    ld x23, 184(\base)
    ld x24, 192(\base)
    ld x25, 200(\base)
    ld x26, 208(\base)
    ld x27, 216(\base)
.endm

.macro SAVE_ARGS base
    sd x10, 80(\base)
    sd x11, 88(\base)
    sd x12, 96(\base)
    sd x13, 104(\base)
    sd x14, 112(\base)
    sd x15, 120(\base)
    sd x16, 128(\base)
    sd x17, 136(\base)
.endm

.macro LOAD_ARGS base
    ld x10, 80(\base)
    ld x11, 88(\base)
    ld x12, 96(\base)
    ld x13, 104(\base)
    ld x14, 112(\base)
    ld x15, 120(\base)
    ld x16, 128(\base)
    ld x17, 136(\base)
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
#ifndef ANV_DEBUG_CHECKS
    /* A checked build takes abi.version to C too: its invariant checker runs after
     * every syscall, and the stress test counts that it did. */
    beqz    a7, .Lnull_syscall
#endif
    addi    t5, a7, -TRAP_SYS_IPC_CALL
    beqz    t5, .Lipc_call
    addi    t5, a7, -TRAP_SYS_IPC_REPLY_RECV
    beqz    t5, .Lipc_reply_recv

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
     * the ecall. t0..t6 of the thread are left unsaved (the frame is marked partial). */
.macro IPC_ENTRY handler
    SAVE_KEPT t6
    SAVE_ARGS t6
    csrr    t5, sepc
    addi    t5, t5, 4
    sd      t5, F_SEPC(t6)
    li      t5, 1
    sb      t5, F_PARTIAL(t6)
    csrw    sscratch, zero
    lla     sp, boot_stack_top
    mv      a0, t6
    call    \handler
.endm
.Lipc_call:
    IPC_ENTRY trap_ipc_call
.Lipc_reply_recv:
    IPC_ENTRY trap_ipc_reply_recv

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
