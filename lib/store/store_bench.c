/* Store benchmark (not a test): write amplification (device bytes per user byte,
 * metadata and superblocks included) for 4 KiB, 64 KiB and 1 MiB files, and the loops
 * tools/store-bench.sh runs under callgrind for instructions per 4 KiB write+sync, per
 * 4 KiB read and per 1 MiB written in 64 KiB pieces + sync (the guest benchmark's
 * workload, with the device requests it makes counted). */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ramdev {
    uint8_t *img;
    uint64_t sectors, written, writes, flushes, reads;
} ramdev;

static int r_read(void *c, uint64_t lba, uint32_t n, void *b)
{
    ramdev *d = c;
    if (lba >= d->sectors || n > d->sectors - lba)
        return -1;
    memcpy(b, d->img + lba * STORE_SECTOR, (size_t)n * STORE_SECTOR);
    d->reads++;
    return 0;
}

static int r_write(void *c, uint64_t lba, uint32_t n, const void *b)
{
    ramdev *d = c;
    if (lba >= d->sectors || n > d->sectors - lba)
        return -1;
    memcpy(d->img + lba * STORE_SECTOR, b, (size_t)n * STORE_SECTOR);
    d->written += (uint64_t)n * STORE_SECTOR;
    d->writes++;
    return 0;
}

static int r_flush(void *c)
{
    ((ramdev *)c)->flushes++;
    return 0;
}

static ramdev rd;
static store_dev dev;
static store st;
static store_root root;
static void *mem;
static uint8_t data[1u << 20];

static void ok(store_err e, const char *what)
{
    if (e != STORE_OK) {
        fprintf(stderr, "store-bench: %s: %s\n", what, store_strerror(e));
        exit(1);
    }
}

static void fresh_nodes(uint64_t sectors, uint32_t nodes)
{
    free(rd.img);
    memset(&rd, 0, sizeof rd);
    rd.img = calloc(sectors, STORE_SECTOR);
    rd.sectors = sectors;
    dev = (store_dev){&rd, r_read, r_write, r_flush, sectors, STORE_SECTOR};
    size_t len = store_mem_size(sectors, 4096, nodes);
    free(mem);
    mem = aligned_alloc(8, (len + 7) & ~(size_t)7);
    ok(store_mkfs(&dev, 4096), "mkfs");
    ok(store_mount(&st, &dev, mem, len), "mount");
    ok(store_root_handle(&st, &root), "root");
}

static void fresh(uint64_t sectors)
{
    fresh_nodes(sectors, 512);
}

/* Files of `size` bytes, each created, written in one call and synced (per_sync files per
 * sync); returns device bytes per user byte. */
static double amplification(size_t size, int files, int per_sync)
{
    fresh(262144); /* 128 MiB */
    uint64_t w0 = rd.written;
    char name[32];
    for (int i = 0; i < files; i++) {
        snprintf(name, sizeof name, "f%04d", i);
        ok(store_create(&st, &root, name), "create");
        ok(store_write(&st, &root, name, 0, data, size), "write");
        if ((i + 1) % per_sync == 0)
            ok(store_sync(&st), "sync");
    }
    ok(store_sync(&st), "sync");
    return (double)(rd.written - w0) / ((double)size * files);
}

__attribute__((noinline)) void bench_write_sync(void);
__attribute__((noinline)) void bench_write_sync(void)
{
    ok(store_write(&st, &root, "bench", 0, data, 4096), "write");
    ok(store_sync(&st), "sync");
}

__attribute__((noinline)) void bench_read(void);
__attribute__((noinline)) void bench_read(void)
{
    static uint8_t buf[4096];
    size_t got;
    ok(store_read(&st, &root, "bench", 0, buf, sizeof buf, &got), "read");
    if (got != sizeof buf)
        exit(1);
}

/* The guest benchmark's sequential write (components/storebench): 1 MiB in 64 KiB pieces,
 * then a sync, into the same file each time (as the guest's single run does, over a file
 * that already exists). */
__attribute__((noinline)) void bench_seq(void);
__attribute__((noinline)) void bench_seq(void)
{
    for (uint32_t off = 0; off < (1u << 20); off += 65536)
        ok(store_write(&st, &root, "big", off, data + off, 65536), "write");
    ok(store_sync(&st), "sync");
}

__attribute__((noinline)) void bench_mount(void);
__attribute__((noinline)) void bench_mount(void)
{
    size_t len = store_mem_size(rd.sectors, 4096, 512);
    ok(store_mount(&st, &dev, mem, len), "mount");
}

int main(int argc, char **argv)
{
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 2654435761u >> 13);
    if (argc == 3 && strcmp(argv[1], "mount") == 0) {
        /* For callgrind: mount a 128 MiB store holding N files of 4 KiB in 16 directories. */
        int n = atoi(argv[2]);
        fresh(262144);
        char name[32];
        for (int d = 0; d < 16; d++) {
            snprintf(name, sizeof name, "d%02d", d);
            ok(store_mkdir(&st, &root, name), "mkdir");
        }
        for (int i = 0; i < n; i++) {
            snprintf(name, sizeof name, "d%02d/f%04d", i % 16, i);
            ok(store_create(&st, &root, name), "create");
            ok(store_write(&st, &root, name, 0, data, 4096), "write");
        }
        ok(store_sync(&st), "sync");
        bench_mount();
        printf("mounted a store of %d files of 4 KiB\n", n);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "seq") == 0) {
        /* For callgrind: the guest's file store (a 4 MiB store, 4,096 inodes, 256 cached
         * nodes, the client's root "bench"), N runs of bench_seq. */
        int n = atoi(argv[2]);
        fresh_nodes(8192, 256);
        store_root top = root;
        ok(store_mkdir(&st, &top, "bench"), "mkdir");
        ok(store_open_subtree(&st, &top, "bench", &root), "subtree");
        ok(store_create(&st, &root, "f4"), "create");
        ok(store_create(&st, &root, "big"), "create");
        ok(store_write(&st, &root, "f4", 0, data, 4096), "write");
        ok(store_sync(&st), "sync");
        uint64_t w0 = rd.writes, r0 = rd.reads, f0 = rd.flushes, b0 = rd.written;
        for (int i = 0; i < n; i++)
            bench_seq();
        int k = n > 0 ? n : 1;
        printf("1 MiB in 64 KiB pieces + sync: %" PRIu64 " device writes, %" PRIu64
               " reads, %" PRIu64 " flushes, %" PRIu64 " bytes written, per run\n",
               (rd.writes - w0) / (uint64_t)k, (rd.reads - r0) / (uint64_t)k,
               (rd.flushes - f0) / (uint64_t)k, (rd.written - b0) / (uint64_t)k);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "loop") == 0) {
        /* For callgrind: a store with a few files, warmed up, then N measured calls. */
        int n = atoi(argv[2]);
        fresh(65536);
        char name[32];
        for (int i = 0; i < 20; i++) {
            snprintf(name, sizeof name, "other%02d", i);
            ok(store_create(&st, &root, name), "create");
            ok(store_write(&st, &root, name, 0, data, 4096), "write");
        }
        ok(store_create(&st, &root, "bench"), "create");
        ok(store_write(&st, &root, "bench", 0, data, 4096), "write");
        ok(store_sync(&st), "sync");
        for (int i = 0; i < 3; i++) {
            ok(store_write(&st, &root, "bench", 0, data, 4096), "write");
            ok(store_sync(&st), "sync");
        }
        uint64_t w0 = rd.written, q0 = rd.writes, r0 = rd.reads;
        for (int i = 0; i < n; i++)
            bench_write_sync();
        uint64_t k = (uint64_t)(n > 0 ? n : 1);
        uint64_t per = (rd.written - w0) / k;
        printf("write+sync of 4 KiB: %" PRIu64 " device writes, %" PRIu64 " reads per call\n",
               (rd.writes - q0) / k, (rd.reads - r0) / k);
        for (int i = 0; i < n; i++)
            bench_read();
        printf("write+sync of 4 KiB over an existing file: %" PRIu64 " bytes to the device\n", per);
        return 0;
    }
    printf("| file size | files per sync | device bytes per user byte |\n|---|---:|---:|\n");
    static const struct { size_t size; int files; } cases[] = {
        {4096, 256}, {65536, 64}, {1u << 20, 16}};
    for (size_t c = 0; c < 3; c++) {
        int per[] = {1, 16};
        for (int k = 0; k < 2; k++)
            printf("| %zu KiB | %d | %.3f |\n", cases[c].size / 1024, per[k],
                   amplification(cases[c].size, cases[c].files, per[k]));
    }
    return 0;
}
