/* The tick dodger (issue 9, hole 3): it reads `time`, blocks in wait_one just before every
 * 10 ms tick and wakes just after it, so a kernel that charged whoever runs at the tick
 * would never charge it. It measures its own CPU time over HD_PERIODS budget periods
 * (the sum of the small steps between consecutive clock reads: any larger step is time it
 * did not run) and reports it to hmain. */
#include <anvaya/sdk.h>
#include <stdio.h>

#include "hdodge_gen.h"
#include "hostile.h"

#define EP HDODGE_HANDLE_SERVICE
#define STEP_UNITS 20u          /* 2 us: a step this small is our own loop */
#define REFILL_GAP_UNITS 300000u /* 30 ms without running: we were throttled */
#define MARGIN_UNITS 3000u      /* block 0.3 ms before the tick */

static uint64_t rdtime(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

struct dodge {
    uint64_t own, dodged, refills, window;
};

/* Spin and dodge ticks until the `refills`-th budget refill; return the time of the first
 * clock read after it. Counting refills, not time, makes the window hold exactly that
 * many budgets even when a refill comes a tick late. */
static uint64_t dodge(uint64_t refills, struct dodge *d)
{
    uint64_t last = rdtime(), wake = last;
    /* Bounded: every pass reads the clock, which moves on; a refill comes every period. */
    for (uint64_t n = 0; n < (1ull << 40); n++) {
        uint64_t now = rdtime(), step = now - last;
        if (step < STEP_UNITS) {
            d->own += step;
        } else {
            wake = now; /* after a preemption or a refill: they happen at ticks */
            if (step > REFILL_GAP_UNITS && ++d->refills == refills)
                return now;
        }
        last = now;
        if (now - wake >= HD_TICK_UNITS - MARGIN_UNITS) {
            uint64_t result = 0, bits = 0;
            if (anv_wait_one(ANV_HANDLE_NULL, 1, &result, &bits) == ANV_OK &&
                result == ANV_WAIT_TIMEOUT)
                d->dodged++;
            wake = last = rdtime();
        }
    }
    return last;
}

int main(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    struct dodge d = {0, 0, 0, 0};
    uint64_t info = 0, badge = 0;
    for (;;) {
        if (anv_ipc_receive(EP, &info, &badge) != ANV_OK)
            continue;
        if (anv_msginfo_label(info) == HD_START) {
            struct dodge sync = {0, 0, 0, 0};
            uint64_t start = dodge(1, &sync);
            d = (struct dodge){0, 0, 0, 0};
            uint64_t end = dodge(HD_PERIODS, &d);
            d.window = end - start;
        } else if (anv_msginfo_label(info) == HD_RESULTS) {
            b->mr[0] = d.own;
            b->mr[1] = d.window;
            b->mr[2] = d.dodged;
            b->mr[3] = d.refills;
            int err = anv_ipc_reply(anv_msginfo(ANV_OK, 4, 0));
            if (err != ANV_OK)
                printf("hdodge: reply failed (%d)\n", err);
        }
    }
}
