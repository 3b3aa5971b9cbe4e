/* Benchmark client: counts retired instructions (rdinstret, exact under QEMU
 * -icount shift=0) per kernel operation and prints one table row per operation. */
#include <anvaya/sdk.h>
#include <stdio.h>

#include "bclient_gen.h"
#include "bench.h"

#define EP BCLIENT_HANDLE_SRV
#define POOL anv_handle_make(ANV_SLOT_POOL, 0)
#define MAP_VADDR 0x32000000ull
#define RNG_ROUNDS 100u
#define REGION_VADDR 0x40000000ull   /* 1 GiB aligned: its own level-1 table */
#define REGION16_VADDR 0x80000000ull /* another: 4 KiB entries at REGION_VADDR leave a
                                      * level-0 table there, which no megapage replaces */
#define GROW_ROUNDS 8u

/* Rows for one growth of `pages`: the allocation (the kernel zeroes every page), the
 * mapping, and both. */
static void grow(const char *alloc_row, const char *map_row, const char *both_row,
                 uint32_t pages, uint64_t vaddr)
{
    uint64_t alloc = 0, map_sum = 0;
    for (uint32_t i = 0; i <= GROW_ROUNDS; i++) {
        anv_handle_t run = 0, map = 0;
        uint64_t t0 = instret();
        int err = anv_mem_frame_alloc_pages(POOL, 62, pages, &run);
        uint64_t t1 = instret();
        if (err == ANV_OK)
            err = anv_mem_map(run, vaddr, ANV_RIGHT_READ | ANV_RIGHT_WRITE, 63, &map);
        uint64_t t2 = instret();
        if (err != ANV_OK) {
            printf("bench: %s failed (%d)\n", both_row, err);
            return;
        }
        if (i > 0) { /* the first round is the warm-up */
            alloc += t1 - t0;
            map_sum += t2 - t1;
        }
        if (anv_mem_unmap(map) != ANV_OK || anv_cap_delete(run) != ANV_OK) {
            printf("bench: %s: cannot give the region back\n", both_row);
            return;
        }
    }
    row(alloc_row, alloc, 0, GROW_ROUNDS);
    row(map_row, map_sum, 0, GROW_ROUNDS);
    row(both_row, alloc + map_sum, 0, GROW_ROUNDS);
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

    /* What reading the clock costs (the kernel reads it at every switch). */
    t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++) {
        uint64_t now;
        __asm__ volatile("rdtime %0" : "=r"(now));
        (void)now;
    }
    row("rdtime (user mode)", instret() - t0, overhead, ROUNDS);

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

    /* A 2 MiB megapage: one frame of 512 pages (2 MiB aligned), one leaf entry. */
    anv_handle_t mega = 0;
    anv_mem_frame_alloc_pages(POOL, 62, 512, &mega);
    anv_mem_map(mega, REGION_VADDR, ANV_RIGHT_READ, 63, &map); /* the level-1 table */
    anv_mem_unmap(map);
    t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++) {
        anv_mem_map(mega, REGION_VADDR, ANV_RIGHT_READ, 63, &map);
        anv_mem_unmap(map);
    }
    row("mem.map + mem.unmap, one 2 MiB megapage", instret() - t0, overhead, ROUNDS);
    anv_cap_delete(mega);

    /* Growing a region as memory.grow would: one contiguous run of frames from the pool
     * (zeroed by the kernel) and one mem.map of it at a 2 MiB-aligned address; 1 MiB is 256
     * 4 KiB entries, 16 MiB eight megapages. Given back outside the measurement. */
    grow("frame_alloc_pages, 256 pages (1 MiB, zeroed)", "mem.map of 1 MiB (256 4 KiB entries)",
         "grow a region by 1 MiB (alloc + map)", 256, REGION_VADDR);
    grow("frame_alloc_pages, 4096 pages (16 MiB)", "mem.map of 16 MiB (8 megapages)",
         "grow a region by 16 MiB (alloc + map)", 4096, REGION16_VADDR);

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

    uint64_t pa = 0;
    t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++)
        anv_mem_frame_paddr(BCLIENT_HANDLE_PROBE, &pa, NULL);
    row("mem.frame_paddr of a DMA buffer", instret() - t0, overhead, ROUNDS);
    /* Through the driver and the device: IPC to the driver, one virtqueue request, its
     * completion interrupt, the reply with 64 bytes. */
    struct anv_bytes_64 random = {0};
    t0 = instret();
    for (volatile uint32_t i = 0; i < RNG_ROUNDS; i++)
        bclient_entropy_read(64, &random);
    row("virtio-rng: Entropy.read of 64 bytes", instret() - t0, overhead, RNG_ROUNDS);
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
