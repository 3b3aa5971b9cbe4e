/* The crash test's writer. Record n goes to file ring/<n % 16>: 8 bytes of n, then
 * record_len(n) - 8 bytes of a pattern of n. Each record is written whole, synced, then
 * acknowledged ("writer: ack n"); a record acknowledged is on the disk whatever happens
 * next. At start every file is read and checked: a record must be whole and belong to its
 * file, and the highest one says where to go on. */
#include <stdio.h>
#include <string.h>

#include "crwriter_gen.h"

#define FILES 16u

static uint32_t record_len(uint64_t n)
{
    return 8u + (uint32_t)((n * 2654435761u) % 12000u);
}

static uint8_t record_byte(uint64_t n, uint32_t i)
{
    return (uint8_t)((n * 131u) ^ (i * 7u) ^ (i >> 9));
}

static void name_of(uint32_t k, struct anv_bytes_128 *p)
{
    int len = snprintf((char *)p->data, sizeof p->data, "ring/%u", k);
    p->len = (uint32_t)len;
}

int main(void)
{
    volatile uint8_t *buf = (volatile uint8_t *)FS_WRITER_BUF;
    struct anv_bytes_128 dir = {.len = 4};
    memcpy(dir.data, "ring", 4);
    int m = fs_writer_files_mkdir(&dir);
    uint64_t highest = 0;
    uint32_t present = 0, bad = 0;
    for (uint32_t k = 0; k < FILES; k++) {
        struct anv_bytes_128 p;
        name_of(k, &p);
        uint32_t got = 0;
        int e = fs_writer_files_read(&p, 0, 16384, &got);
        if (e == FILES_E_NOENT)
            continue;
        uint64_t n = 0;
        for (uint32_t i = 0; i < 8 && i < got; i++)
            n |= (uint64_t)buf[i] << (8 * i);
        bool ok = e == ANV_OK && got >= 8 && n % FILES == k && got == record_len(n);
        for (uint32_t i = 8; ok && i < got; i++)
            ok = buf[i] == record_byte(n, i);
        if (!ok) {
            printf("writer: BAD record in ring/%u (read %d, %u bytes, n %lu)\n", k, e, got,
                   (unsigned long)n);
            bad++;
            continue;
        }
        present++;
        if (n > highest)
            highest = n;
    }
    printf("writer: start (mkdir %d): %u records checked, %u bad, highest %lu\n", m, present, bad,
           (unsigned long)highest);
    anv_console_flush();
    for (uint64_t n = highest + 1;; n++) {
        struct anv_bytes_128 p;
        name_of((uint32_t)(n % FILES), &p);
        uint32_t len = record_len(n);
        for (uint32_t i = 0; i < 8; i++)
            buf[i] = (uint8_t)(n >> (8 * i));
        for (uint32_t i = 8; i < len; i++)
            buf[i] = record_byte(n, i);
        int e = fs_writer_files_create(&p);
        if (e != ANV_OK && e != FILES_E_EXIST) {
            printf("writer: create ring/%lu failed (%d)\n", (unsigned long)(n % FILES), e);
            return 1;
        }
        /* Shrink first, then write: the file ends as exactly this record. */
        e = fs_writer_files_truncate(&p, 0);
        if (e == ANV_OK)
            e = fs_writer_files_write(&p, 0, len);
        if (e == ANV_OK)
            e = fs_writer_files_sync();
        if (e != ANV_OK) {
            printf("writer: record %lu failed (%d)\n", (unsigned long)n, e);
            return 1;
        }
        printf("writer: ack %lu\n", (unsigned long)n);
        anv_console_flush();
    }
}
