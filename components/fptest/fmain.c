/* The FP scenario's supervisor (integer only, never an FP thread): waits for fpa and fpb
 * to exit, restarts fpa with thread.restart (its FP state must be cleared), waits for that
 * life to exit too and shuts the system down. */
#include <anvaya/sdk.h>
#include <stdio.h>

#include "fmain_gen.h"

/* Receive one exit record; reply STOP. Returns the exiting instance's badge, 0 on error. */
static uint64_t fmain_take_exit(uint64_t *status)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    uint64_t info = 0, badge = 0;
    if (anv_ipc_receive(FMAIN_HANDLE_FAULTS, &info, &badge) != ANV_OK)
        return 0;
    uint32_t label = anv_msginfo_label(info);
    *status = b->mr[0];
    if (anv_ipc_reply(anv_msginfo(ANV_FAULT_STOP, 0, 0)) != ANV_OK)
        return 0;
    if (label != ANV_EXIT_LABEL) {
        printf("fmain: FAIL record label 0x%x from badge 0x%lx (scause %lu)\n", label,
               (unsigned long)badge, (unsigned long)*status);
        return 0;
    }
    return badge;
}

int main(void)
{
    int failures = 0;
    uint64_t seen = 0, status = 0;
    for (int i = 0; i < 2; i++) {
        uint64_t badge = fmain_take_exit(&status);
        if (badge == 0 || status != 0)
            failures++;
        seen |= badge;
    }
    if (seen != (FMAIN_FAULTS_FAULT_FPA | FMAIN_FAULTS_FAULT_FPB))
        failures++;
    int err = anv_thread_restart(FMAIN_HANDLE_CONTROL_FPA, 0, 1);
    printf("fmain: fpa and fpb exited, restart fpa: %d\n", err);
    if (err != ANV_OK || fmain_take_exit(&status) != FMAIN_FAULTS_FAULT_FPA || status != 0)
        failures++;
    printf("fmain: done, %d failures\n", failures);
    return anv_system_shutdown(FMAIN_HANDLE_SYSCTL, failures ? 1 : 0);
}
