/* Writes the fuzz seeds: real store images made by the store itself (empty, files, a
 * directory tree, a large file, a sparse file of block-map height 3, an inode table of
 * height 1, a quota), each behind the harness's mode byte. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTORS 256u

static uint8_t img[SECTORS * STORE_SECTOR];

static int m_read(void *c, uint64_t lba, uint32_t n, void *b)
{
    (void)c;
    memcpy(b, img + lba * STORE_SECTOR, (size_t)n * STORE_SECTOR);
    return 0;
}

static int m_write(void *c, uint64_t lba, uint32_t n, const void *b)
{
    (void)c;
    memcpy(img + lba * STORE_SECTOR, b, (size_t)n * STORE_SECTOR);
    return 0;
}

static int m_flush(void *c)
{
    (void)c;
    return 0;
}

static void ok(store_err e, const char *what)
{
    if (e != STORE_OK) {
        fprintf(stderr, "make_store_seeds: %s: %s\n", what, store_strerror(e));
        exit(1);
    }
}

static void save(const char *dir, const char *name, uint8_t mode)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(&mode, 1, 1, f) != 1 || fwrite(img, 1, sizeof img, f) != sizeof img ||
        fclose(f) != 0) {
        fprintf(stderr, "make_store_seeds: cannot write %s\n", path);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    static uint64_t mem[(1u << 20) / 8];
    store_dev dev = {NULL, m_read, m_write, m_flush, SECTORS, STORE_SECTOR};
    store s;
    store_root r;
    uint8_t data[20000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + (i >> 8));
    for (int kind = 0; kind < 4; kind++) {
        memset(img, 0, sizeof img);
        ok(store_mkfs(&dev, 256), "mkfs");
        ok(store_mount(&s, &dev, mem, sizeof mem), "mount");
        ok(store_root_handle(&s, &r), "root");
        const char *name = "empty.img";
        if (kind == 1) {
            name = "files.img";
            ok(store_mkdir(&s, &r, "d"), "mkdir");
            ok(store_create(&s, &r, "d/a"), "create");
            ok(store_write(&s, &r, "d/a", 0, data, 700), "write");
            ok(store_create(&s, &r, "big"), "create");
            ok(store_write(&s, &r, "big", 0, data, sizeof data), "write");
            ok(store_set_quota(&s, &r, "d", 5000, 10), "quota");
        } else if (kind == 2) {
            name = "tree.img";
            char p[32];
            ok(store_mkdir(&s, &r, "t"), "mkdir");
            for (int i = 0; i < 40; i++) {
                snprintf(p, sizeof p, "t/f%d", i);
                ok(store_create(&s, &r, p), "create");
                ok(store_write(&s, &r, p, 0, data + i, 20 + (size_t)i), "write");
            }
            ok(store_mkdir(&s, &r, "t/sub"), "mkdir");
            ok(store_rename(&s, &r, "t/f3", "t/sub/g"), "rename");
        } else if (kind == 3) {
            name = "sparse.img";
            ok(store_create(&s, &r, "s"), "create");
            ok(store_write(&s, &r, "s", 0, data, 600), "write");
            ok(store_write(&s, &r, "s", 3u << 20, data, 600), "write");
            ok(store_write(&s, &r, "s", 300u << 20, data, 600), "write");
        }
        ok(store_sync(&s), "sync");
        /* A second commit, so both superblocks hold a tree. */
        ok(store_mkdir(&s, &r, "last"), "mkdir");
        ok(store_sync(&s), "sync");
        char n2[64];
        save(argv[1], name, 0);
        snprintf(n2, sizeof n2, "sealed-%s", name);
        save(argv[1], n2, (uint8_t)(1 | (s.sb_slot << 1) | 4));
    }
    return 0;
}
