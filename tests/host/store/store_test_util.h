/* What the store's host tests share: a RAM block device that records every write and
 * flush (and can fail on demand), and an order-independent digest of a store's tree. */
#ifndef STORE_TEST_UTIL_H
#define STORE_TEST_UTIL_H

#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct simev {
    uint32_t flush; /* 1: a flush; 0: a one-sector write */
    uint32_t lba;
    uint8_t data[STORE_SECTOR];
} simev;

typedef struct simdev {
    store_dev dev;
    uint8_t *img;
    uint64_t sectors;
    int record;
    simev *log;
    size_t nlog, caplog;
    uint64_t bytes_written;
    long fail_write_after; /* -1: never; else the write with this index fails */
    long fail_read_lba;    /* -1: never; else reads touching this sector fail */
    long writes;
} simdev;

static inline int sim_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    simdev *d = ctx;
    if (lba >= d->sectors || count > d->sectors - lba)
        return -1;
    if (d->fail_read_lba >= 0 && (uint64_t)d->fail_read_lba >= lba &&
        (uint64_t)d->fail_read_lba < lba + count)
        return -1;
    memcpy(buf, d->img + lba * STORE_SECTOR, (size_t)count * STORE_SECTOR);
    return 0;
}

static inline void sim_log(simdev *d, uint32_t flush, uint64_t lba, const uint8_t *data)
{
    if (d->nlog == d->caplog) {
        d->caplog = d->caplog ? d->caplog * 2 : 1024;
        d->log = realloc(d->log, d->caplog * sizeof(simev));
        if (d->log == NULL)
            abort();
    }
    simev *e = &d->log[d->nlog++];
    e->flush = flush;
    e->lba = (uint32_t)lba;
    if (data != NULL)
        memcpy(e->data, data, STORE_SECTOR);
}

static inline int sim_write(void *ctx, uint64_t lba, uint32_t count, const void *buf)
{
    simdev *d = ctx;
    if (lba >= d->sectors || count > d->sectors - lba)
        return -1;
    if (d->fail_write_after >= 0 && d->writes >= d->fail_write_after)
        return -1;
    d->writes++;
    memcpy(d->img + lba * STORE_SECTOR, buf, (size_t)count * STORE_SECTOR);
    d->bytes_written += (uint64_t)count * STORE_SECTOR;
    if (d->record)
        for (uint32_t i = 0; i < count; i++)
            sim_log(d, 0, lba + i, (const uint8_t *)buf + (size_t)i * STORE_SECTOR);
    return 0;
}

static inline int sim_flush(void *ctx)
{
    simdev *d = ctx;
    if (d->record)
        sim_log(d, 1, 0, NULL);
    return 0;
}

static inline void sim_init(simdev *d, uint64_t sectors)
{
    memset(d, 0, sizeof *d);
    d->img = calloc(sectors, STORE_SECTOR);
    if (d->img == NULL)
        abort();
    d->sectors = sectors;
    d->fail_write_after = -1;
    d->fail_read_lba = -1;
    d->dev.ctx = d;
    d->dev.read = sim_read;
    d->dev.write = sim_write;
    d->dev.flush = sim_flush;
    d->dev.block_count = sectors;
    d->dev.block_size = STORE_SECTOR;
}

static inline void sim_free(simdev *d)
{
    free(d->img);
    free(d->log);
    memset(d, 0, sizeof *d);
}

static inline uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static inline uint64_t hash_bytes(uint64_t h, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* One entry's contribution: path, type and contents; the tree's digest is their sum, so
 * the order of directory slots does not matter. */
static inline uint64_t entry_hash(const char *path, uint32_t type, const uint8_t *data, uint64_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = hash_bytes(h, path, strlen(path) + 1);
    h = hash_bytes(h, &type, sizeof type);
    h = hash_bytes(h, &len, sizeof len);
    if (data != NULL)
        h = hash_bytes(h, data, (size_t)len);
    return mix64(h);
}

/* Digest of the subtree at path (recursive); returns STORE_OK or the first error. */
static inline store_err tree_digest_at(store *s, const store_root *r, const char *path, uint64_t *sum,
                                uint64_t *count, int depth)
{
    uint64_t cookie = 0;
    store_dirent d;
    static uint8_t buf[1 << 22];
    for (int n = 0; n < 100000; n++) {
        store_err e = store_list(s, r, path, &cookie, &d);
        if (e == STORE_E_END)
            return STORE_OK;
        if (e != STORE_OK)
            return e;
        char child[STORE_PATH_MAX + 1];
        snprintf(child, sizeof child, "%s%s%s", path, path[0] ? "/" : "", d.name);
        (*count)++;
        if (d.type == STORE_T_DIR) {
            *sum += entry_hash(child, STORE_T_DIR, NULL, 0);
            if (depth > 60)
                return STORE_E_PATHTOOLONG;
            e = tree_digest_at(s, r, child, sum, count, depth + 1);
            if (e != STORE_OK)
                return e;
        } else {
            size_t got = 0;
            if (d.size > sizeof buf)
                return STORE_E_TOOBIG;
            e = store_read(s, r, child, 0, buf, sizeof buf, &got);
            if (e != STORE_OK)
                return e;
            if (got != d.size)
                return STORE_E_CORRUPT;
            *sum += entry_hash(child, STORE_T_FILE, buf, got);
        }
    }
    return STORE_E_TOOBIG;
}

static inline store_err tree_digest(store *s, uint64_t *sum)
{
    store_root r;
    uint64_t count = 0;
    store_err e = store_root_handle(s, &r);
    *sum = 0;
    if (e != STORE_OK)
        return e;
    return tree_digest_at(s, &r, "", sum, &count, 0);
}

static inline void *store_test_mem(uint64_t sectors, uint64_t inode_max, uint32_t cache, size_t *len)
{
    *len = store_mem_size(sectors, inode_max, cache);
    void *m = aligned_alloc(8, (*len + 7) & ~(size_t)7);
    if (m == NULL)
        abort();
    return m;
}

static inline uint64_t check_problems(store *s)
{
    uint64_t p = 0;
    if (store_check(s, NULL, NULL, &p) != STORE_OK)
        return UINT64_MAX;
    return p;
}

#endif
