/* Benchmark client: counts retired instructions (rdinstret, exact under QEMU
 * -icount shift=0) per kernel operation and prints one table row per operation. */
#include <anvaya/sdk.h>
#include <stdio.h>

#include "bclient_gen.h"
#include "bench.h"

#define EP BCLIENT_HANDLE_SRV
#define POOL anv_handle_make(ANV_SLOT_POOL, 0)
#define MAP_VADDR 0x32000000ull

int main(void)
{
    uint64_t overhead = loop_overhead();
    uint64_t v, reply;
    printf("bench: start (%u rounds each)\n", ROUNDS);

    uint64_t t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++)
        anv_abi_version(&v);
    row("null syscall (abi.version)", instret() - t0, overhead, ROUNDS);

    bench_ipc(EP, "ipc call+reply_recv, 0 words, 2 spaces", 0, overhead);
    bench_ipc(EP, "ipc call+reply_recv, 4 words, 2 spaces", 4, overhead);
    bench_ipc(EP, "ipc call+reply_recv, 64 bytes, 2 spaces", 8, overhead);

    struct anv_ipc_buffer *b = anv_ipcbuf();
    t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++) {
        b->caps_out[0] = EP;
        b->caps_out_rights[0] = ANV_RIGHT_WRITE;
        anv_ipc_call(EP, anv_msginfo(BENCH_TAKE_CAP, 0, 1), &reply);
    }
    uint64_t with_cap = instret() - t0;
    row("ipc call with 1 cap transfer (+delete)", with_cap, overhead, ROUNDS);

    anv_handle_t frame = 0, map = 0;
    anv_mem_frame_alloc(POOL, 60, &frame);
    anv_mem_map(frame, MAP_VADDR, ANV_RIGHT_READ, 61, &map); /* page tables exist from now on */
    anv_mem_unmap(map);
    t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++) {
        anv_mem_map(frame, MAP_VADDR, ANV_RIGHT_READ, 61, &map);
        anv_mem_unmap(map);
    }
    row("mem.map + mem.unmap, one page", instret() - t0, overhead, ROUNDS);

    t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++) {
        uint64_t result, bits;
        anv_ntfn_signal(BCLIENT_HANDLE_PING_TO_BPONG_PING);
        anv_wait_one(BCLIENT_HANDLE_EVENTS, 0, &result, &bits);
    }
    row("notification signal+wake, round trip", instret() - t0, overhead, ROUNDS);

    /* What a supervisor's restart of a service costs the kernel: stop the (ready) pong
     * thread, then restart it with RELOAD, which copies its writable segments again from
     * the boot image and empties the slots above its manifest's. Pong is at our priority,
     * so it does not run in between. */
    t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++) {
        anv_thread_stop(BCLIENT_HANDLE_CONTROL_BPONG);
        anv_thread_restart(BCLIENT_HANDLE_CONTROL_BPONG, ANV_RESTART_RELOAD, 0);
    }
    row("thread.stop + thread.restart (RELOAD)", instret() - t0, overhead, ROUNDS);
    /* Let the restarted pong run to its wait before the tick is measured. */
    anv_thread_yield();

    /* Timer interrupt: the gap in a tight instret loop when a tick lands. */
    uint64_t last = instret(), worst = 0, gaps = 0, sum = 0;
    for (uint32_t i = 0; i < 2000000 && gaps < 20; i++) {
        uint64_t now = instret();
        if (now - last > 100) {
            sum += now - last;
            gaps++;
            if (now - last > worst)
                worst = now - last;
        }
        last = now;
    }
    if (gaps)
        row("timer tick, trap to return (mean)", sum, 0, (uint32_t)gaps);
    /* Last: the two spinners below us measure timer-driven switches once we block. */
    for (uint32_t i = 0; i < 1000; i++) {
        uint64_t result = 0, bits = 0;
        if (anv_wait_one(BCLIENT_HANDLE_EVENTS, 1000, &result, &bits) == ANV_OK &&
            (bits & BCLIENT_EVENT_SWITCHED))
            break;
    }
    printf("bench: done\n");
    anv_system_shutdown(BCLIENT_HANDLE_SYSCTL, 0);
    return 0;
}
