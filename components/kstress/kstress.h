/* What the stress thread tells its watchdog through their shared page. */
#ifndef ANVAYA_KSTRESS_H
#define ANVAYA_KSTRESS_H

#include <stdint.h>

#define KSTRESS_CALLS 100000u
#define KSTRESS_MAX_SYSCALLS 32u
#define KSTRESS_DONE_MAGIC 0x5D0E5D0E5D0E5D0Eull

struct kstress_report {
    uint64_t magic;  /* KSTRESS_DONE_MAGIC once finished */
    uint64_t calls;
    uint64_t by_error[32]; /* results counted by ANV_ error code */
    uint64_t ok_by_syscall[KSTRESS_MAX_SYSCALLS]; /* successes counted by syscall number */
};

#endif
