/* The block test's main client: checks the disk's bytes through its partition (the host
 * wrote them), writes and reads back, is refused everything outside its partition and its
 * buffer, sees whether an earlier boot left its marker, and shuts the system down once
 * the peer is done. */
#include <stdio.h>

#include "blktester_gen.h"
#include "pattern.h"

#define S BLKTEST_SECTOR

static volatile uint8_t *buf(void)
{
    return (volatile uint8_t *)BLK_TESTER_BUF;
}

/* Bytes of `count` sectors at our `sector` in buf[offset..] that differ from the image. */
static uint32_t differ_from_pattern(uint32_t sector, uint32_t count, uint32_t offset)
{
    uint32_t bad = 0;
    for (uint32_t i = 0; i < count * S; i++) {
        uint64_t abs = (uint64_t)(BLKTEST_TESTER_FIRST + sector) * S + i;
        bad += buf()[offset + i] != blktest_pattern(abs);
    }
    return bad;
}

int main(void)
{
    struct block_info info = {0};
    int e = blk_tester_block_info(&info);
    printf("blktester: info %d: %lu sectors, block %u, max %u, read-only %d, flush %d\n", e,
           (unsigned long)info.sectors, info.block_size, info.max_sectors, info.read_only,
           info.flush);

    /* A whole 64 KiB read: eight device requests in flight at once. */
    e = blk_tester_block_read(100, 128, 0);
    printf("blktester: read 128 sectors at 100: %d, %u bytes differ from the image\n", e,
           differ_from_pattern(100, 128, 0));

    /* An earlier boot's marker at sector 10? */
    e = blk_tester_block_read(10, 1, 0);
    uint32_t marked = 0;
    for (uint32_t i = 0; i < S; i++)
        marked += buf()[i] == blktest_marker(BLKTEST_TESTER_MARK, i);
    printf("blktester: sector 10 before writing: %d, %s\n", e,
           marked == S ? "holds the marker (an earlier boot wrote it)" : "as the image was made");

    for (uint32_t i = 0; i < 16 * S; i++)
        buf()[4096 + i] = blktest_marker(BLKTEST_TESTER_MARK, i % S + (i / S) * S);
    int w = blk_tester_block_write(10, 16, 4096);
    int f = blk_tester_block_flush();
    for (uint32_t i = 0; i < 16 * S; i++)
        buf()[4096 + i] = 0;
    int r = blk_tester_block_read(10, 16, 4096);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < 16 * S; i++)
        bad += buf()[4096 + i] != blktest_marker(BLKTEST_TESTER_MARK, i % S + (i / S) * S);
    printf("blktester: write 16 at 10: %d, flush %d, read back %d, %u bytes differ\n", w, f, r, bad);

    /* Refusals, each before the driver hears of it. */
    int past_end = blk_tester_block_read(BLKTEST_PART_SECTORS, 1, 0);
    int straddle = blk_tester_block_read(BLKTEST_PART_SECTORS - 8, 9, 0);
    int huge = blk_tester_block_read(0xFFFFFFFFFFFFFFF0ull, 32, 0);
    int zero = blk_tester_block_read(0, 0, 0);
    int too_many = blk_tester_block_read(0, 129, 0);
    int off_buf = blk_tester_block_read(0, 2, 64 * 1024 - S);
    printf("blktester: refused past-end %d straddle %d wrap %d zero %d too-many %d "
           "past-buffer %d\n", past_end, straddle, huge, zero, too_many, off_buf);

    uint64_t bits = 0, result = 0;
    e = anv_wait_one(BLK_TESTER_HANDLE_EVENTS, 1000, &result, &bits);
    printf("blktester: peer done: %s\n",
           e == ANV_OK && (bits & BLK_TESTER_EVENT_PEER_DONE) ? "yes" : "no");
    uint32_t requests = 0, interrupts = 0, in_flight = 0, errors = 0;
    e = blk_tester_block_counters(&requests, &interrupts, &in_flight, &errors);
    printf("blktester: driver %d: %u requests, %u interrupts, at most %u in flight, %u errors\n",
           e, requests, interrupts, in_flight, errors);
    anv_console_flush();
    anv_system_shutdown(BLK_TESTER_HANDLE_SYSCTL, 0);
    return 0;
}
