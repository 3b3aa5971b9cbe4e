/* Re-seals a store image: recomputes every checksum bottom-up (pointer CRCs and the
 * superblocks' own), written from docs/store-format.md alone, so damage inside a node
 * reaches the store's structural checks instead of stopping at a checksum. Bounded:
 * every sector is visited once, depth is capped. Used by the bad-disk test and the fuzzer. */
#ifndef STORE_RESEAL_H
#define STORE_RESEAL_H

#include "store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { RS_ITAB, RS_INODE, RS_BMAP, RS_DATA };

typedef struct reseal {
    uint8_t *img;
    uint64_t sectors;
    uint8_t *seen;
} reseal;

static inline void rs_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Fixes the children of sector sec (of the given kind) and returns its checksum. */
static inline uint32_t rs_node(reseal *r, uint32_t sec, int kind, uint32_t level, int depth)
{
    if (sec < 2 || sec >= r->sectors)
        return 0;
    uint8_t *b = r->img + (size_t)sec * STORE_SECTOR;
    if (r->seen[sec] || kind == RS_DATA || depth > 8) {
        r->seen[sec] = 1;
        return store_crc32c(0, b, STORE_SECTOR);
    }
    r->seen[sec] = 1;
    uint32_t first = 0, n = 64, off = 0;
    int ckind = RS_DATA;
    uint32_t clevel = 0;
    if (kind == RS_ITAB) {
        ckind = level == 0 ? RS_INODE : RS_ITAB;
        clevel = level == 0 ? 0 : level - 1;
    } else if (kind == RS_INODE) {
        uint32_t h = b[5] > 3 ? 3 : b[5];
        off = 96;
        n = 48;
        ckind = h == 0 ? RS_DATA : RS_BMAP;
        clevel = h == 0 ? 0 : h - 1;
    } else {
        ckind = level == 0 ? RS_DATA : RS_BMAP;
        clevel = level == 0 ? 0 : level - 1;
    }
    for (uint32_t i = first; i < n; i++) {
        uint8_t *p = b + off + i * 8;
        uint32_t addr = store_get32(p);
        if (addr != 0)
            rs_put32(p + 4, rs_node(r, addr, ckind, clevel, depth + 1));
    }
    return store_crc32c(0, b, STORE_SECTOR);
}

/* Re-seals the tree of one superblock (0 or 1; only one, since the older tree may name
 * sectors the newer one reused for something else). */
static inline void store_reseal(uint8_t *img, uint64_t sectors, uint32_t slot)
{
    if (sectors < 2 || slot > 1)
        return;
    reseal r = {img, sectors, calloc(sectors, 1)};
    if (r.seen == NULL)
        return;
    {
        uint8_t *sb = img + (size_t)slot * STORE_SECTOR;
        uint32_t h = store_get32(sb + 48);
        if (h > 2)
            h = 2;
        for (uint32_t i = 0; i < 32; i++) {
            uint8_t *p = sb + 64 + i * 8;
            uint32_t addr = store_get32(p);
            if (addr != 0)
                rs_put32(p + 4, rs_node(&r, addr, h == 0 ? RS_INODE : RS_ITAB, h == 0 ? 0 : h - 1, 0));
        }
        rs_put32(sb + 508, store_crc32c(0, sb, 508));
    }
    free(r.seen);
}

#endif
