/* The boot image: the kernel's flat binary padded to the end of its BSS, then this
 * header, the system manifest and every component ELF (tools/mkimage.py writes it).
 * Offsets are from the start of this header; all integers little-endian. */
#ifndef ANVAYA_BOOTIMAGE_H
#define ANVAYA_BOOTIMAGE_H

#include <stdint.h>

#define BOOTIMAGE_MAGIC 0x4D495641u /* bytes "AVIM" */
#define BOOTIMAGE_VERSION 1
#define BOOTIMAGE_MAX_SIZE (64u << 20)

struct bootimage_header {
    uint32_t magic;
    uint32_t version;
    uint64_t total_size;      /* header, manifest and ELFs */
    uint64_t manifest_offset;
    uint64_t manifest_size;
};

#endif
