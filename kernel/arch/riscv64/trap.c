/* Trap dispatch: decode scause and hand the event to the kernel object that owns it. */
#include "trap.h"

#include <stdbool.h>
#include <stddef.h>

#include "core/console.h"
#include "core/fastpath.h"
#include "core/invariants.h"
#include "core/panic.h"
#include "core/sched.h"
#include "core/syscall.h"
#include "object/vspace.h"
#include "csr.h"
#include "fpu.h"
#include "mmu.h"
#include "plic.h"
#include "timer.h"
#include "trap_layout.h"

/* trap_entry.S decodes these before any C runs: its copies must be the C definitions. */
_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE, "trap frame size");
_Static_assert(offsetof(struct trap_frame, sepc) == TRAP_F_SEPC, "trap frame sepc");
_Static_assert(offsetof(struct trap_frame, stval) == TRAP_F_STVAL, "trap frame stval");
_Static_assert(offsetof(struct thread, frame_partial) - offsetof(struct thread, frame) ==
                   TRAP_F_PARTIAL,
               "frame_partial follows the frame");
_Static_assert(offsetof(struct thread, frame) == TRAP_T_FRAME, "thread frame");
_Static_assert(offsetof(struct thread, switch_work) == TRAP_T_SWITCH_WORK, "thread switch_work");
_Static_assert(offsetof(struct thread, vspace) == TRAP_T_VSPACE, "thread vspace");
_Static_assert(offsetof(struct vspace, satp) == TRAP_VS_SATP, "vspace satp");
_Static_assert(offsetof(struct vspace, asid_generation) == TRAP_VS_ASID_GEN,
               "vspace asid_generation");
_Static_assert(sizeof(((struct thread *)0)->switch_work) == 1, "switch_work is one byte");
_Static_assert(sizeof(((struct vspace *)0)->asid_generation) == 4, "asid_generation is a word");
_Static_assert(sizeof(mmu_asid_generation) == 4, "mmu_asid_generation is a word");
_Static_assert(ANV_OK == 0, "the fastpath entry returns ANV_OK with li a0, 0");
_Static_assert(EXC_ECALL_U == TRAP_EXC_ECALL_U, "ecall cause");
_Static_assert(ANV_SYS_ABI_VERSION == TRAP_SYS_ABI_VERSION, "abi.version number");
_Static_assert(ANV_SYS_IPC_CALL == TRAP_SYS_IPC_CALL, "ipc.call number");
_Static_assert(ANV_SYS_IPC_REPLY_RECV == TRAP_SYS_IPC_REPLY_RECV, "ipc.reply_recv number");
/* trap_entry.S marks a frame partial with the low byte of a7, the syscall number. */
_Static_assert((TRAP_SYS_IPC_CALL & 0xFF) != 0 && (TRAP_SYS_IPC_REPLY_RECV & 0xFF) != 0,
               "the IPC numbers' low bytes mark a frame partial");
_Static_assert(ANV_ABI_VERSION == TRAP_ABI_VERSION_HI << 12, "abi.version's one lui");

static void trap_interrupt(uint64_t code);

static volatile int trap_selftest_armed;
static volatile uint64_t trap_selftest_hits;

void trap_init(void)
{
    csr_write(stvec, (uint64_t)(uintptr_t)arch_trap_entry);
    /* U-mode may read cycle, time and instret: benchmarks and timeouts need them, and
     * they reveal nothing a thread could not measure by counting its own loop. */
    csr_write(scounteren, 7);
    fpu_init();
}

static const char *trap_exception_name(uint64_t code)
{
    switch (code) {
    case EXC_INST_MISALIGNED: return "instruction address misaligned";
    case EXC_INST_ACCESS: return "instruction access fault";
    case EXC_ILLEGAL_INST: return "illegal instruction";
    case EXC_BREAKPOINT: return "breakpoint";
    case EXC_LOAD_MISALIGNED: return "load address misaligned";
    case EXC_LOAD_ACCESS: return "load access fault";
    case EXC_STORE_MISALIGNED: return "store address misaligned";
    case EXC_STORE_ACCESS: return "store access fault";
    case EXC_ECALL_U: return "environment call from U-mode";
    case EXC_ECALL_S: return "environment call from S-mode";
    case EXC_INST_PAGE_FAULT: return "instruction page fault";
    case EXC_LOAD_PAGE_FAULT: return "load page fault";
    case EXC_STORE_PAGE_FAULT: return "store page fault";
    default: return "unknown exception";
    }
}

void trap_from_kernel(struct trap_frame *frame)
{
    uint64_t cause = frame->scause;
    if (cause & SCAUSE_INTERRUPT) {
        trap_interrupt(cause & ~SCAUSE_INTERRUPT);
        return;
    }
    if (cause == EXC_BREAKPOINT && trap_selftest_armed) {
        /* Skip the ebreak: 2 bytes when compressed, else 4. */
        uint16_t insn = *(const uint16_t *)(uintptr_t)frame->sepc;
        frame->sepc += (insn & 3) == 3 ? 4 : 2;
        trap_selftest_hits++;
        return;
    }
    panic_trap(trap_exception_name(cause), cause, frame->sepc, frame->stval);
}

/* Take a real breakpoint trap with known values in every callee-saved register and
 * check that the vector gave each one back. Returns the number of registers that
 * came back wrong (0 means the round trip is sound). */
int trap_selftest(void)
{
    /* s0 is left out: it may be the frame pointer, which asm must not clobber. */
    uint64_t out[11];
    trap_selftest_armed = 1;
    __asm__ volatile("li s1, 0x5101\n li s2, 0x5102\n li s3, 0x5103\n"
                     "li s4, 0x5104\n li s5, 0x5105\n li s6, 0x5106\n li s7, 0x5107\n"
                     "li s8, 0x5108\n li s9, 0x5109\n li s10, 0x510a\n li s11, 0x510b\n"
                     ".option push\n .option norvc\n ebreak\n .option pop\n"
                     "sd s1, 0(%0)\n sd s2, 8(%0)\n sd s3, 16(%0)\n"
                     "sd s4, 24(%0)\n sd s5, 32(%0)\n sd s6, 40(%0)\n sd s7, 48(%0)\n"
                     "sd s8, 56(%0)\n sd s9, 64(%0)\n sd s10, 72(%0)\n sd s11, 80(%0)\n"
                     :
                     : "r"(out)
                     : "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
                       "memory");
    trap_selftest_armed = 0;
    int bad = trap_selftest_hits == 1 ? 0 : 1;
    for (int i = 0; i < 11; i++)
        if (out[i] != 0x5101u + (uint64_t)i)
            bad++;
    return bad;
}

static void trap_interrupt(uint64_t code)
{
    if (code == IRQ_S_TIMER)
        timer_interrupt();
    else if (code == IRQ_S_EXT)
        plic_handle();
}

static inline __attribute__((always_inline, noreturn)) void trap_enter_space(struct thread *t)
{
    mmu_switch_to(t->vspace);
    arch_return_to_user(&t->frame);
}

/* A switch from a thread with a budget or FP state, or to one: charge the time since the
 * last switch (the FPU owner is always the last FP thread entered, so the outgoing
 * thread's FP bit says whether FS is on). */
static __attribute__((noreturn, noinline)) void trap_enter_switch(struct thread *t,
                                                                   const struct thread *out)
{
    if ((out->switch_work | t->switch_work) & THREAD_SWITCH_BUDGET)
        sched_account(t, arch_read_time());
    else
        sched_note_switch(t);
    if ((out->switch_work | t->switch_work) & THREAD_SWITCH_FP)
        fpu_switch_to(t);
    trap_enter_space(t);
}

/* Enter a thread. The one entered last again (a syscall that did not block): nothing to
 * do but restore its registers, its address space is the one installed. Another one:
 * unless both have no budget and no FP state, charge the CPU time since the last switch
 * and hand the FPU over (trap_enter_switch); switch address space only when it changes
 * (mmu.c: with ASIDs, no TLB flush). */
static inline __attribute__((always_inline, noreturn)) void trap_enter(struct thread *t)
{
    struct thread *out = sched_accounted;
    if (t != out) {
        if ((out->switch_work | t->switch_work) != 0)
            trap_enter_switch(t, out);
        sched_note_switch(t);
        trap_enter_space(t);
    }
    arch_return_to_user(&t->frame);
}

/* An illegal instruction from a thread with FS Off may be its first FP instruction: then
 * it becomes an FP thread and runs the instruction again. Out of line: the syscall path
 * should not pay for its stack frame. */
static __attribute__((noinline)) bool trap_fp_first_use(struct thread *t)
{
    uint32_t insn = 0, len = 0;
    return !(t->switch_work & THREAD_SWITCH_FP) && fault_fetch_insn(t, &insn, &len) &&
           fpu_first_use(t, insn, len);
}

static inline struct thread *trap_thread_of(struct trap_frame *frame)
{
    return (struct thread *)((char *)frame - offsetof(struct thread, frame));
}

/* ipc.call and ipc.reply_recv enter with a partial frame (trap_entry.S), which calls
 * fastpath_call_take / fastpath_reply_recv_take itself and, when the take succeeds and
 * the switch needs nothing but an ASID-tagged satp write (no budget, no FP, the woken
 * thread's frame partial), enters the woken thread in assembly with its message in
 * registers. The three ways out of that decision in C: */

/* The take declined (it changed nothing but its lookup memo, which nothing else reads):
 * the general path, which needs nothing the partial frame lacks. */
void trap_ipc_general(struct trap_frame *frame)
{
    syscall_dispatch(trap_thread_of(frame));
    trap_exit_to_user();
}

/* The take succeeded but entering `next` needs more than trap_entry.S does (CPU charging,
 * the FPU, a fresh ASID, a whole frame to give back): deliver into its frame and enter
 * it as any thread is entered. */
void trap_ipc_enter(struct trap_frame *from, struct thread *next, uint64_t badge)
{
    fastpath_deliver(next, trap_thread_of(from), badge);
    trap_enter(next);
}

#ifdef ANV_DEBUG_CHECKS
/* A checked build runs the invariant checker after every fastpath take, as after every
 * syscall; then trap_entry.S goes on as in a release build. */
void trap_ipc_check(void)
{
    if (invariants_enabled)
        invariants_check_all();
}
#endif

void trap_from_user(struct trap_frame *frame, uint64_t cause)
{
    struct thread *t = trap_thread_of(frame);
    if (cause == EXC_ECALL_U) {
        frame->sepc += 4;
        syscall_dispatch(t);
    } else if (cause & SCAUSE_INTERRUPT) {
        trap_interrupt(cause & ~SCAUSE_INTERRUPT);
    } else if (cause != EXC_ILLEGAL_INST || !trap_fp_first_use(t)) {
        fault_raise(t, cause, csr_read(stval));
    }
    trap_exit_to_user();
}

/* Nothing to run: wait with interrupts on, each one handled on the kernel trap path. The
 * time until the next thread runs is nobody's. */
static __attribute__((noinline, noreturn)) void trap_idle(void)
{
    if (sched_accounted->switch_work & THREAD_SWITCH_FP)
        fpu_park();
    sched_account(0, arch_read_time());
    struct thread *t = 0;
    while (t == 0) {
        csr_set(sstatus, SSTATUS_SIE);
        arch_wfi();
        csr_clear(sstatus, SSTATUS_SIE);
        t = sched_choose();
    }
    trap_enter(t);
}

void trap_exit_to_user(void)
{
    struct thread *t = sched_choose();
    if (t == 0)
        trap_idle();
    trap_enter(t);
}
