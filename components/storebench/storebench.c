/* The storage benchmark: instructions (rdinstret, exact under -icount shift=0, every
 * process and the kernel counted) per 4 KiB write + sync and per 4 KiB read, through the
 * file store and straight through the block service to the driver, and for 1 MiB written
 * sequentially in 64 KiB pieces each way and read back so. The time the system spends
 * waiting for the disk is not counted (see work()). */
#include <stdio.h>
#include <string.h>

#include "sbench_gen.h"

#define ROUNDS 50u
#define MIB (1024u * 1024u)
#define PIECE (64u * 1024u)

static uint64_t instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

/* Instructions retired minus those of the idle counter (components/storebench/idle.c,
 * four per turn): under -icount the counter also runs while the guest waits for the
 * host's disk, so without this the figures would follow the host's load. The idle
 * thread never runs while this one does (one hart), so the two reads agree. */
static uint64_t work(void)
{
    const volatile uint64_t *turns = (const volatile uint64_t *)STORE_BENCH_CLIENT_IDLE;
    uint64_t idle = *turns;
    return instret() - 4u * idle;
}

static void row(const char *what, uint64_t total, uint32_t per)
{
    printf("storebench: %-46s %10lu instructions\n", what, (unsigned long)(total / per));
}

static void ratio(const char *what, uint64_t raw, uint64_t store)
{
    printf("storebench: store/raw %s ratio %lu.%03lu (raw instructions / store instructions)\n",
           what, (unsigned long)(raw / store), (unsigned long)(raw * 1000 / store % 1000));
}

int main(void)
{
    volatile uint8_t *fb = (volatile uint8_t *)STORE_BENCH_CLIENT_FBUF;
    volatile uint8_t *bb = (volatile uint8_t *)STORE_BENCH_CLIENT_BBUF;
    for (uint32_t i = 0; i < PIECE; i++)
        fb[i] = bb[i] = (uint8_t)(i * 7u);
    struct anv_bytes_128 f4 = {.len = 2}, big = {.len = 3};
    memcpy(f4.data, "f4", 2);
    memcpy(big.data, "big", 3);
    int err = store_bench_client_files_create(&f4) | store_bench_client_files_create(&big);
    err |= store_bench_client_files_write(&f4, 0, 4096) | store_bench_client_files_sync();
    uint32_t got = 0;

    uint64_t t0 = work();
    for (uint32_t r = 0; r < ROUNDS; r++)
        err |= store_bench_client_files_write(&f4, 0, 4096) | store_bench_client_files_sync();
    row("file store: 4 KiB write + sync", work() - t0, ROUNDS);
    t0 = work();
    for (uint32_t r = 0; r < ROUNDS; r++)
        err |= store_bench_client_files_read(&f4, 0, 4096, &got);
    row("file store: 4 KiB read", work() - t0, ROUNDS);
    t0 = work();
    for (uint32_t r = 0; r < ROUNDS; r++)
        err |= store_bench_client_block_write(0, 8, 0) | store_bench_client_block_flush();
    row("raw driver: 4 KiB write + flush", work() - t0, ROUNDS);
    t0 = work();
    for (uint32_t r = 0; r < ROUNDS; r++)
        err |= store_bench_client_block_read(0, 8, 0);
    row("raw driver: 4 KiB read", work() - t0, ROUNDS);

    t0 = work();
    for (uint32_t off = 0; off < MIB; off += PIECE)
        err |= store_bench_client_files_write(&big, off, PIECE);
    err |= store_bench_client_files_sync();
    uint64_t store_mib = work() - t0;
    row("file store: 1 MiB sequential write + sync", store_mib, 1);
    t0 = work();
    for (uint32_t off = 0; off < MIB; off += PIECE)
        err |= store_bench_client_block_write(off / 512u, PIECE / 512u, 0);
    err |= store_bench_client_block_flush();
    uint64_t raw_mib = work() - t0;
    row("raw driver: 1 MiB sequential write + flush", raw_mib, 1);
    ratio("sequential write", raw_mib, store_mib);

    /* The same MiB read back in 64 KiB pieces each way, every piece checked. */
    uint32_t short_reads = 0;
    t0 = work();
    for (uint32_t off = 0; off < MIB; off += PIECE) {
        err |= store_bench_client_files_read(&big, off, PIECE, &got);
        short_reads += got != PIECE;
    }
    uint64_t store_rd = work() - t0;
    row("file store: 1 MiB sequential read", store_rd, 1);
    t0 = work();
    for (uint32_t off = 0; off < MIB; off += PIECE)
        err |= store_bench_client_block_read(off / 512u, PIECE / 512u, 0);
    uint64_t raw_rd = work() - t0;
    row("raw driver: 1 MiB sequential read", raw_rd, 1);
    ratio("sequential read", raw_rd, store_rd);
    ratio("sequential write + read", raw_mib + raw_rd, store_mib + store_rd);
    /* The last piece of each read holds what was written (byte i of a piece is i * 7). */
    for (uint32_t i = 0; i < PIECE; i += 509u)
        if (fb[i] != (uint8_t)(i * 7u) || bb[i] != (uint8_t)(i * 7u))
            short_reads++;
    if (short_reads != 0) {
        printf("storebench: %u pieces read back short or wrong\n", short_reads);
        err |= 1;
    }
    printf("storebench: done (errors %d)\n", err);
    anv_console_flush();
    anv_system_shutdown(STORE_BENCH_CLIENT_HANDLE_SYSCTL, err != 0);
    return 0;
}
