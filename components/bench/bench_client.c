/* Benchmark client: counts retired instructions (rdinstret, exact under QEMU
 * -icount shift=0) per kernel operation and prints one table row per operation. */
#include <anvaya/sdk.h>
#include <stdio.h>

#include "bclient_gen.h"
#include "bench.h"

#define EP BCLIENT_HANDLE_SRV
#define POOL anv_handle_make(ANV_SLOT_POOL, 0)
#define ROUNDS 1000u
#define MAP_VADDR 0x32000000ull

static inline uint64_t instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

/* The loop itself costs something: measure it empty and subtract. */
static uint64_t loop_overhead(void)
{
    uint64_t t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++) {
    }
    return instret() - t0;
}

static void row(const char *what, uint64_t total, uint64_t overhead, uint32_t rounds)
{
    uint64_t net = total > overhead ? total - overhead : 0;
    printf("bench: %-44s %8lu instructions\n", what, (unsigned long)(net / rounds));
}

static void bench_ipc(const char *what, uint32_t words, uint64_t overhead)
{
    uint64_t reply;
    anv_ipc_call(EP, anv_msginfo(BENCH_ECHO, words, 0), &reply); /* warm up */
    uint64_t t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++)
        anv_ipc_call(EP, anv_msginfo(BENCH_ECHO, words, 0), &reply);
    row(what, instret() - t0, overhead, ROUNDS);
}

int main(void)
{
    uint64_t overhead = loop_overhead();
    uint64_t v, reply;
    printf("bench: start (%u rounds each)\n", ROUNDS);

    uint64_t t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++)
        anv_abi_version(&v);
    row("null syscall (abi.version)", instret() - t0, overhead, ROUNDS);

    bench_ipc("ipc call+reply_recv, 0 words, 2 spaces", 0, overhead);
    bench_ipc("ipc call+reply_recv, 4 words, 2 spaces", 4, overhead);
    bench_ipc("ipc call+reply_recv, 64 bytes, 2 spaces", 8, overhead);

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
    anv_mem_map(frame, MAP_VADDR, ANV_RIGHT_READ, &map); /* page tables exist from now on */
    anv_mem_unmap(map);
    t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++) {
        anv_mem_map(frame, MAP_VADDR, ANV_RIGHT_READ, &map);
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
        printf("bench: %-44s %8lu instructions\n", "timer tick, trap to return (mean)",
               (unsigned long)(sum / gaps));
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
