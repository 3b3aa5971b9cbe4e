/* The target-side functions the portable kernel sources call, replaced by recorders so
 * host tests can run the object code natively and observe what it asked the hardware
 * (or the system layer) to do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/console.h"
#include "object/irq.h"
#include "kernel_stubs.h"
#include "core/panic.h"
#include "core/sched.h"
#include "core/syscall.h"
#include "object/thread.h"
#include "object/vspace.h"

struct stub_state stubs;

void stubs_reset(void)
{
    memset(&stubs, 0, sizeof(stubs));
}

static void stub_capture(const char *s, size_t len)
{
    size_t room = STUB_CONSOLE_MAX - 1 - stubs.console_len;
    size_t n = len < room ? len : room;
    memcpy(stubs.console + stubs.console_len, s, n);
    stubs.console_len += n;
    stubs.console[stubs.console_len] = '\0';
}

/* A kernel panic (KASSERT included) is a test failure, not a process abort: cmocka's
 * fail_msg unwinds to the test runner so the remaining tests still run. abort() only
 * covers a panic outside any test, and keeps the noreturn promise. */
void panic(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    stubs.panics++;
    if (stubs.panic_jmp) {
        memcpy(stubs.panic_msg, msg, sizeof(stubs.panic_msg));
        longjmp(*stubs.panic_jmp, 1);
    }
    if (stubs.on_panic)
        stubs.on_panic();
    fail_msg("kernel panic: %s", msg);
    abort();
}

void panic_trap(const char *reason, uint64_t scause, uint64_t sepc, uint64_t stval)
{
    panic("%s: scause=0x%lx sepc=0x%016lx stval=0x%016lx", reason, scause, sepc, stval);
}

/* kprintf is how the invariant checker names a violation, so it also goes to stderr
 * where the test log keeps it. */
void kprintf(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
    stubs.kprintf_calls++;
    stub_capture(msg, len);
    fputs(msg, stderr);
}

void console_write(const char *s, size_t len)
{
    stub_capture(s, len);
}

void console_putc(char ch)
{
    stub_capture(&ch, 1);
}

void vs_arch_flush_page(const struct vspace *vs, uint64_t vaddr)
{
    (void)vs;
    stubs.flushes++;
    stubs.last_flush = vaddr;
}

void sched_arch_budget_deadline(uint64_t deadline)
{
    stubs.budget_deadline = deadline;
}

void fpu_forget(struct thread *t)
{
    t->switch_work &= (uint8_t)~THREAD_SWITCH_FP;
}

void vs_arch_flush_all(const struct vspace *vs)
{
    (void)vs;
    stubs.flushes_all++;
}

void vs_arch_activate(struct vspace *vs)
{
    (void)vs;
}

void irq_arch_enable(uint32_t irq)
{
    (void)irq;
    stubs.irq_enables++;
}

void irq_arch_complete(uint32_t irq)
{
    stubs.irq_completes++;
    stubs.last_irq_complete = irq;
}

/* system.shutdown must not end the test process: record it and return, as a hook that
 * declined to stop would. */
void syscall_shutdown_hook(uint64_t code)
{
    stubs.shutdown_calls++;
    stubs.shutdown_code = code;
}
