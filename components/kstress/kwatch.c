/* Watchdog of the stress run: every tick it cancels whatever random call left the stress
 * thread blocked, and shuts the system down once the shared report says it finished. */
#include <anvaya/sdk.h>
#include <stdio.h>

#include "kstress.h"
#include "kwatch_gen.h"

#define REPORT ((volatile struct kstress_report *)KWATCH_REPORT)

int main(void)
{
    uint64_t cancels = 0, tokens = 0;
    for (;;) {
        uint64_t result = 0, bits = 0;
        anv_wait_one(KWATCH_HANDLE_EVENTS, 1, &result, &bits);
        if (REPORT->magic == KSTRESS_DONE_MAGIC) {
            printf("kwatch: stress finished after %lu syscalls; unblocked it %lu times by "
                   "ipc.cancel and %lu by cancel_token\n",
                   (unsigned long)REPORT->calls, (unsigned long)cancels, (unsigned long)tokens);
            uint64_t ok = REPORT->by_error[ANV_OK], sum = 0;
            printf("kwatch: results by error code:");
            for (unsigned e = 0; e < 32; e++) {
                sum += REPORT->by_error[e];
                if (REPORT->by_error[e])
                    printf(" %u:%lu", e, (unsigned long)REPORT->by_error[e]);
            }
            printf("\nkwatch: %lu succeeded, %lu refused, %lu counted\n", (unsigned long)ok,
                   (unsigned long)(sum - ok), (unsigned long)sum);
            printf("kwatch: successes by syscall:");
            for (unsigned nr = 0; nr < KSTRESS_MAX_SYSCALLS; nr++)
                if (REPORT->ok_by_syscall[nr])
                    printf(" %u:%lu", nr, (unsigned long)REPORT->ok_by_syscall[nr]);
            printf("\n");
            anv_system_shutdown(KWATCH_HANDLE_SYSCTL, 0);
        }
        if (anv_ipc_cancel(KWATCH_HANDLE_CONTROL_KSTRESS) == ANV_OK)
            cancels++;
        if (anv_cancel_token(KWATCH_HANDLE_CONTROL_KSTRESS) == ANV_OK)
            tokens++;
    }
}
