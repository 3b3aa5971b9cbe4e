/* Calls into OpenSBI (SBI v0.2+ extensions and the legacy console) from S-mode. */
#ifndef ANVAYA_ARCH_SBI_H
#define ANVAYA_ARCH_SBI_H

#include <stdint.h>

struct sbi_ret {
    long error;
    long value;
};

void sbi_console_putchar(int ch);
void sbi_set_timer(uint64_t stime_value);
/* SBI system reset: type 0 shutdown; reason 0 none, 1 system failure. Does not return
 * when the firmware honours it. */
void sbi_system_reset(uint32_t type, uint32_t reason);
long sbi_probe_extension(long extension_id);

#endif
