/* The block test's peer: writes its marker over the first four sectors of its partition,
 * reads them back, finds it cannot reach past its partition, and tells the tester. */
#include <stdio.h>

#include "blkpeer_gen.h"
#include "pattern.h"

int main(void)
{
    volatile uint8_t *buf = (volatile uint8_t *)BLK_PEER_BUF;
    for (uint32_t i = 0; i < 4 * BLKTEST_SECTOR; i++)
        buf[i] = blktest_marker(BLKTEST_PEER_MARK, i);
    int w = blk_peer_block_write(0, 4, 0);
    int f = blk_peer_block_flush();
    for (uint32_t i = 0; i < 4 * BLKTEST_SECTOR; i++)
        buf[i] = 0;
    int r = blk_peer_block_read(0, 4, 0);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < 4 * BLKTEST_SECTOR; i++)
        bad += buf[i] != blktest_marker(BLKTEST_PEER_MARK, i);
    /* Its sector 1024 would be the disk's 3072: outside its partition. */
    int beyond = blk_peer_block_read(BLKTEST_PART_SECTORS, 1, 0);
    int straddle = blk_peer_block_write(BLKTEST_PART_SECTORS - 1, 2, 0);
    printf("blkpeer: write %d flush %d read %d, %u bytes differ; beyond %d straddle %d\n", w, f, r,
           bad, beyond, straddle);
    anv_console_flush();
    int err = blk_peer_done_emit();
    if (err != ANV_OK)
        printf("blkpeer: done event failed (%d)\n", err);
    return 0;
}
