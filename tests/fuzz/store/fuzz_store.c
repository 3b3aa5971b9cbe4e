/* libFuzzer harness for the file store's on-disk parsing: an input is a disk image
 * (its first byte picks whether the harness re-seals its checksums first, so mutations
 * reach the structural checks, whether it writes, whether whole blocks go through
 * write_sum and whether runs of them are read through read_sum); mount, check, list and
 * read everything, then write. */
#include "store.h"
#include "store_reseal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_SECTORS 512u

static uint8_t img[FUZZ_MAX_SECTORS * STORE_SECTOR];
static uint64_t nsec;
static uint64_t mem[(192u << 10) / 8]; /* maps and about 300 cached nodes */

static int f_read(void *ctx, uint64_t lba, uint32_t n, void *buf)
{
    (void)ctx;
    if (lba >= nsec || n > nsec - lba)
        return -1;
    memcpy(buf, img + lba * STORE_SECTOR, (size_t)n * STORE_SECTOR);
    return 0;
}

static int f_write(void *ctx, uint64_t lba, uint32_t n, const void *buf)
{
    (void)ctx;
    if (lba >= nsec || n > nsec - lba)
        return -1;
    memcpy(img + lba * STORE_SECTOR, buf, (size_t)n * STORE_SECTOR);
    return 0;
}

/* The optional whole-block write (store_use_write_sum): checksums taken from the image,
 * as the device took the bytes. */
static int f_write_sum(void *ctx, uint64_t lba, uint32_t n, const void *buf, uint32_t *sums)
{
    if (n == 0 || n > STORE_SUM_RUN || f_write(ctx, lba, n, buf) != 0)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        sums[i] = store_crc32c(0, img + (lba + i) * STORE_SECTOR, STORE_SECTOR);
    return 0;
}

/* The optional read of whole-block runs (store_use_read_sum): copied and checksummed in
 * one pass, as the file store component does from its disk dataport. */
static int f_read_sum(void *ctx, uint64_t lba, uint32_t n, void *buf, uint32_t *sums)
{
    (void)ctx;
    if (n == 0 || n > STORE_SUM_RUN || lba >= nsec || n > nsec - lba)
        return -1;
    store_crc32c_copy_sectors(buf, img + lba * STORE_SECTOR, n, sums);
    return 0;
}

static int f_flush(void *ctx)
{
    (void)ctx;
    return 0;
}

static void check_fault(const store *s)
{
    char msg[200];
    size_t n = store_fault_format(store_last_fault(s), msg, sizeof msg);
    if (n == 0 || n >= sizeof msg || strstr(msg, ": ") == NULL) {
        fprintf(stderr, "fault without a name: '%s'\n", msg);
        abort();
    }
}

static uint8_t buf[1u << 16];

static void walk(store *s, const store_root *r, const char *path, int depth)
{
    uint64_t cookie = 0;
    store_dirent d;
    for (int i = 0; i < 200; i++) {
        store_err e = store_list(s, r, path, &cookie, &d);
        if (e == STORE_E_CORRUPT)
            check_fault(s);
        if (e != STORE_OK)
            return;
        char child[STORE_PATH_MAX + 1];
        snprintf(child, sizeof child, "%s%s%s", path, path[0] ? "/" : "", d.name);
        store_stat st;
        if (store_stat_path(s, r, child, &st) == STORE_E_CORRUPT)
            check_fault(s);
        if (d.type == STORE_T_DIR && depth < 8) {
            walk(s, r, child, depth + 1);
        } else {
            size_t got;
            e = store_read(s, r, child, 0, buf, sizeof buf, &got);
            if (e == STORE_E_CORRUPT)
                check_fault(s);
            if (e == STORE_OK && got > sizeof buf)
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    nsec = size / STORE_SECTOR;
    if (nsec > FUZZ_MAX_SECTORS)
        nsec = FUZZ_MAX_SECTORS;
    memcpy(img, data, (size_t)nsec * STORE_SECTOR);
    if (mode & 1)
        store_reseal(img, nsec, (mode >> 1) & 1);
    store_dev dev = {NULL, f_read, f_write, f_flush, nsec, STORE_SECTOR};
    store s;
    store_err e = store_mount(&s, &dev, mem, sizeof mem);
    if (e != STORE_OK) {
        if (e == STORE_E_CORRUPT || e == STORE_E_NOSTORE)
            check_fault(&s);
        return 0;
    }
    /* Bit 4: data runs come through read_sum, their sums from the copy. */
    if ((mode & 16) && store_use_read_sum(&s, f_read_sum) != STORE_OK)
        abort();
    uint64_t problems;
    if (store_check(&s, NULL, NULL, &problems) != STORE_OK)
        abort();
    if (problems != 0)
        check_fault(&s);
    store_root r;
    if (store_root_handle(&s, &r) != STORE_OK)
        return 0;
    walk(&s, &r, "", 0);
    if (mode & 4) {
        /* Changes on what was read: refused or done, and a clean store stays clean; with
         * bit 3, whole blocks go through write_sum. */
        if ((mode & 8) && store_use_write_sum(&s, f_write_sum) != STORE_OK)
            abort();
        (void)store_mkdir(&s, &r, "fz");
        if (store_create(&s, &r, "fz/f") == STORE_OK) {
            (void)store_write(&s, &r, "fz/f", 100, data, size < 3000 ? size : 3000);
            (void)store_write(&s, &r, "fz/f", 1024, data, size < 2048 ? size & ~(size_t)511 : 2048);
        }
        (void)store_rename(&s, &r, "fz", "fz2");
        (void)store_truncate(&s, &r, "fz2/f", 50);
        if (store_sync(&s) == STORE_OK && problems == 0) {
            store s2;
            if (store_mount(&s2, &dev, mem, sizeof mem) != STORE_OK)
                abort();
            if (store_check(&s2, NULL, NULL, &problems) != STORE_OK)
                abort();
            (void)problems;
        }
    }
    return 0;
}
