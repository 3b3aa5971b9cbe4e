/* The two-threaded service of the service-manager test: thread 1 faults on the first run;
 * init then stops both threads and restarts the process, reloading its image once. Each
 * thread reports the run init passed it and what it found in .data, which a reload puts
 * back to its initial value. */
#include <stdio.h>

#include "twin_gen.h"
#include "../common/fault.h"

static volatile uint32_t twin_starts = 0; /* .data/.bss: reloaded with the image */

static void report(uint32_t index)
{
    uint32_t seen = ++twin_starts;
    printf("twin: thread %u run %lu, starts seen since load %u\n", index,
           (unsigned long)anv_restart_arg(), seen);
    anv_console_flush();
}

static _Noreturn void idle(void)
{
    for (;;)
        (void)anv_wait_one(ANV_HANDLE_NULL, 1000, NULL, NULL);
}

int anv_thread_main(uint32_t index)
{
    report(index);
    if (anv_restart_arg() == 0) {
        printf("twin: thread %u faulting on purpose\n", index);
        anv_console_flush();
        demo_fault_now(index);
    }
    idle();
}

int main(void)
{
    report(0);
    idle();
}
