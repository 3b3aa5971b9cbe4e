/* The platform the fuzzed pre-flight runs against (QEMU virt with 256 MiB, as the QEMU
 * suite boots it), and the checksum fix-up that lets mutations past the CRC. */
#ifndef ANVAYA_FUZZ_PLATFORM_H
#define ANVAYA_FUZZ_PLATFORM_H

#include <stdint.h>
#include <string.h>

#include "boot/loader_check.h"
#include "boot/manifest.h"

static inline struct loader_check_platform fuzz_platform(const uint8_t *image, uint64_t size)
{
    static struct dtb_inventory inv;
    memset(&inv, 0, sizeof inv);
    inv.memory_count = 1;
    inv.memory[0].base = 0x80000000u;
    inv.memory[0].size = 256u << 20;
    inv.plic.present = 1;
    inv.plic.base = 0xc000000u;
    inv.plic.size = 0x600000u;
    inv.plic_ndev = 95;
    struct loader_check_platform pf = {image, size, &inv, 65000};
    return pf;
}

/* Recompute the manifest CRC-32 in place over min(total_size, size) bytes, so a mutated
 * manifest is judged on its contents, not refused at the checksum. */
static inline void fuzz_reseal(uint8_t *m, size_t size)
{
    if (size < sizeof(struct manifest_header))
        return;
    uint32_t total = (uint32_t)m[12] | (uint32_t)m[13] << 8 | (uint32_t)m[14] << 16 |
                     (uint32_t)m[15] << 24;
    if (total > size)
        total = (uint32_t)size;
    memset(m + 16, 0, 4);
    uint32_t crc = manifest_crc32(m, total);
    for (int k = 0; k < 4; k++)
        m[16 + k] = (uint8_t)(crc >> (8 * k));
}

#endif
