/* Two of these spin at the same priority, below the client, once its measurements are
 * done; each publishes its latest instret in a shared page. The first instruction count a
 * thread reads after a gap, minus the other thread's last published count, is what one
 * timer-driven switch cost: trap, tick, round robin, address-space switch, return. The
 * spinner that completes the count prints the figure and wakes the client. */
#include <anvaya/sdk.h>
#include <stdio.h>

#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */
#include "bench.h"

#define SWITCHES 32u

int main(void)
{
    volatile struct bench_switch *sw = (volatile struct bench_switch *)BSPIN_SW;
    uint64_t last = instret();
    for (;;) {
        uint64_t now = instret();
        sw->last[BSPIN_INDEX] = now;
        uint64_t other = sw->last[1 - BSPIN_INDEX];
        if (now - last > 64 && other > last && sw->count < SWITCHES) {
            /* A gap, and the other thread ran in it (a tick alone leaves it behind us): its
             * last count is the instruction before the timer took it. */
            sw->sum += now - other;
            if (++sw->count == SWITCHES) {
                row("timer-driven switch, 2 spaces", sw->sum, 0, SWITCHES);
                anv_console_flush();
                anv_ntfn_signal(BSPIN_HANDLE_DONE_TO_BCLIENT_SWITCHED);
            }
        }
        last = now;
    }
}
