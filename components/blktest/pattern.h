/* The bytes the block test's disk image starts with, by absolute byte offset: the host
 * writes the same function (tests/qemu/test_blk.py), so every byte read is checkable. */
#ifndef BLKTEST_PATTERN_H
#define BLKTEST_PATTERN_H

#include <stdint.h>

static inline uint8_t blktest_pattern(uint64_t offset)
{
    return (uint8_t)((offset * 7u) ^ (offset >> 9) ^ 0x3Cu);
}

/* What each client writes over the pattern: its own marker, varying by byte. */
static inline uint8_t blktest_marker(uint8_t who, uint32_t i)
{
    return (uint8_t)(who ^ (i * 13u));
}

#define BLKTEST_SECTOR 512u
#define BLKTEST_TESTER_FIRST 64u   /* partition of the tester (system description) */
#define BLKTEST_PEER_FIRST 2048u   /* partition of the peer */
#define BLKTEST_PART_SECTORS 1024u
#define BLKTEST_TESTER_MARK 0xA5u  /* at its sectors 10..25 */
#define BLKTEST_PEER_MARK 0x5Bu    /* at its sectors 0..3 */

#endif
