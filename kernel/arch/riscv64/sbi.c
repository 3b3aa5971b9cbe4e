/* SBI calls: the only way the kernel reaches M-mode firmware (timer, reset, early console). */
#include "sbi.h"

#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_SRST 0x53525354

static struct sbi_ret sbi_call(long ext, long fid, long a0, long a1, long a2)
{
    register long r_a0 __asm__("a0") = a0;
    register long r_a1 __asm__("a1") = a1;
    register long r_a2 __asm__("a2") = a2;
    register long r_a6 __asm__("a6") = fid;
    register long r_a7 __asm__("a7") = ext;
    __asm__ volatile("ecall"
                     : "+r"(r_a0), "+r"(r_a1)
                     : "r"(r_a2), "r"(r_a6), "r"(r_a7)
                     : "memory");
    struct sbi_ret ret = {r_a0, r_a1};
    return ret;
}

void sbi_console_putchar(int ch)
{
    sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, ch, 0, 0);
}

void sbi_set_timer(uint64_t stime_value)
{
    sbi_call(SBI_EXT_TIME, 0, (long)stime_value, 0, 0);
}

void sbi_system_reset(uint32_t type, uint32_t reason)
{
    sbi_call(SBI_EXT_SRST, 0, (long)type, (long)reason, 0);
}

long sbi_probe_extension(long extension_id)
{
    struct sbi_ret r = sbi_call(SBI_EXT_BASE, 3, extension_id, 0, 0);
    return r.error ? 0 : r.value;
}
