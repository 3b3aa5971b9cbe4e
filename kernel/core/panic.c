/* The kernel's ways to stop: a panic prints the cause so a test log shows it, then ends
 * QEMU with a non-zero status; system.shutdown ends it with the system's own status. */
#include "core/panic.h"

#include <stdarg.h>

#include "arch/riscv64/csr.h"
#include "arch/riscv64/platform.h"
#include "core/console.h"
#include "core/invariants.h"
#include "core/syscall.h"
#include "lib/format.h"

#define PANIC_EXIT_CODE 3

static void panic_sink(void *ctx, char ch)
{
    (void)ctx;
    console_putc(ch);
}

void panic(const char *fmt, ...)
{
    csr_write(sie, 0);
    kprintf("\nPANIC: ");
    va_list ap;
    va_start(ap, fmt);
    format_v(panic_sink, 0, fmt, ap);
    va_end(ap);
    kprintf("\n");
    platform_fail(PANIC_EXIT_CODE);
}

void panic_trap(const char *reason, uint64_t scause, uint64_t sepc, uint64_t stval)
{
    panic("%s: scause=0x%lx sepc=0x%016lx stval=0x%016lx", reason, scause, sepc, stval);
}

void syscall_shutdown_hook(uint64_t code)
{
#ifdef ANV_DEBUG_CHECKS
    kprintf("system: invariant checker ran %u times, no violations\n", invariants_checks_run());
#endif
    if (code == 0) {
        kprintf("system: shutdown\n");
        platform_shutdown();
    }
    kprintf("system: shutdown with failure %lu\n", code);
    platform_fail((uint32_t)code);
}
