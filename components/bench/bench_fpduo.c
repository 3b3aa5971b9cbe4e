/* FP context switches: two threads of one address space (built with the FP SDK) call each
 * other as bduo's do, first without touching FP (they are not FP threads yet, FS stays
 * Off), then as FP threads that each write an F register between calls, so every switch
 * saves the registers of one and loads the other's, then as FP threads that leave their
 * registers unchanged (state clean: loaded, never saved). Runs below bduo. */
#include <anvaya/sdk.h>

#include "bench.h"
#include "bfpduo_gen.h"

#define BENCH_FP_ECHO 4 /* write an F register, then reply like BENCH_ECHO */

/* One FP instruction that changes f1: sstatus.FS becomes Dirty. */
static inline void dirty_fp(void)
{
    __asm__ volatile("fadd.d f1, f1, f2" ::: "f1");
}

int anv_thread_main(uint32_t index)
{
    (void)index;
    uint64_t info = 0, badge = 0;
    int err = anv_ipc_receive(BFP_DUO_HANDLE_SERVICE, &info, &badge);
    for (;;) {
        if (err != ANV_OK) {
            err = anv_ipc_receive(BFP_DUO_HANDLE_SERVICE, &info, &badge);
            continue;
        }
        if (anv_msginfo_label(info) == BENCH_FP_ECHO)
            dirty_fp();
        err = anv_ipc_reply_recv(BFP_DUO_HANDLE_SERVICE, anv_msginfo(0, 0, 0), &info, &badge);
    }
}

static void bench_fp_calls(uint32_t label, int dirty, const char *what, uint64_t overhead)
{
    uint64_t reply;
    if (dirty)
        dirty_fp();
    anv_ipc_call(BFP_DUO_HANDLE_PEER, anv_msginfo(label, 0, 0), &reply); /* warm up */
    uint64_t t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++) {
        if (dirty)
            dirty_fp();
        anv_ipc_call(BFP_DUO_HANDLE_PEER, anv_msginfo(label, 0, 0), &reply);
    }
    row(what, instret() - t0, overhead, ROUNDS);
}

int main(void)
{
    uint64_t overhead = loop_overhead();
    bench_fp_calls(BENCH_ECHO, 0, "ipc 0 words, 1 space, FP build, FP unused", overhead);
    bench_fp_calls(BENCH_FP_ECHO, 1, "the same, 2 FP threads, both dirty FP", overhead);
    bench_fp_calls(BENCH_ECHO, 0, "the same, 2 FP threads, FP state clean", overhead);
    anv_console_flush();
    return 0;
}
