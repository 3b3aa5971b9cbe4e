/* Machine exit paths used by shutdown and panic. */
#include "platform.h"

#include "csr.h"
#include "sbi.h"

#define FINISHER_FAIL 0x3333u
#define SRST_SHUTDOWN 0
#define SRST_REASON_NONE 0
#define SRST_REASON_FAILURE 1

static uintptr_t platform_finisher;

void platform_set_finisher(uintptr_t mmio_base)
{
    platform_finisher = mmio_base;
}

static __attribute__((noreturn)) void platform_halt(void)
{
    csr_write(sie, 0);
    for (;;)
        arch_wfi();
}

void platform_shutdown(void)
{
    sbi_system_reset(SRST_SHUTDOWN, SRST_REASON_NONE);
    platform_halt();
}

void platform_fail(uint32_t code)
{
    if (code == 0 || code > 0xFFFF)
        code = 1;
    if (platform_finisher != 0)
        *(volatile uint32_t *)platform_finisher = FINISHER_FAIL | (code << 16);
    /* No finisher: still stop, reporting the failure reason to the firmware. */
    sbi_system_reset(SRST_SHUTDOWN, SRST_REASON_FAILURE);
    platform_halt();
}
