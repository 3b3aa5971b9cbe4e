/* The file store component: lib/store (the same store.c as tools/anvaya-store) over the
 * block service, serving Files. Each client (numbered by its badge, 1..4, in sorted
 * instance-name order) has its own root and quotas, granted by its connection in the
 * system description (the generated grant table), below which every path it names
 * resolves, and its own dataport. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The instance's generated header: every instance has its own CSpace layout. */
#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */
#include "../../lib/store/store.h"
#include "../common/dataport_copy.h"

#define CLIENTS 4u
/* Client k moves its data through dataport clientk: a fifth has none. */
_Static_assert(FILE_STORE_FILES_GRANT_COUNT <= CLIENTS,
               "the file store serves at most 4 clients (dataports client1..client4)");
#define CACHE_NODES 256u
#define INODES_MAX 4096u
#define IO_SECTORS (FILE_STORE_DISK_SIZE / STORE_SECTOR)

struct client {
    bool present;
    store_root root;
    volatile uint8_t *buf;
    uint32_t buf_size;
};

static store fs;
static struct client clients[CLIENTS + 1];
/* A write with a part of a block is copied here before the store sees it, so a client
 * that rewrites its dataport during the call cannot make the store write bytes other than
 * those it checksummed (whole blocks need no copy: dev_write_sum). 64-bit words:
 * dataport_copy moves words, and the store reads bytes. */
static uint64_t staging[FILE_STORE_CLIENT1_SIZE / 8];

/* ---- the block device under the store: the block service, through the disk dataport ---- */

static int dev_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    (void)ctx;
    uint8_t *out = buf;
    const volatile uint8_t *io = (const volatile uint8_t *)FILE_STORE_DISK;
    for (uint32_t done = 0; done < count;) {
        uint32_t n = count - done < IO_SECTORS ? count - done : IO_SECTORS;
        int err = file_store_block_read(lba + done, n, 0);
        if (err != ANV_OK)
            return err;
        dataport_copy(out + (size_t)done * STORE_SECTOR, io, (size_t)n * STORE_SECTOR);
        done += n;
    }
    return 0;
}

static int dev_write(void *ctx, uint64_t lba, uint32_t count, const void *buf)
{
    (void)ctx;
    const uint8_t *in = buf;
    volatile uint8_t *io = (volatile uint8_t *)FILE_STORE_DISK;
    for (uint32_t done = 0; done < count;) {
        uint32_t n = count - done < IO_SECTORS ? count - done : IO_SECTORS;
        dataport_copy(io, in + (size_t)done * STORE_SECTOR, (size_t)n * STORE_SECTOR);
        int err = file_store_block_write(lba + done, n, 0);
        if (err != ANV_OK)
            return err;
        done += n;
    }
    return 0;
}

/* Whole data blocks (store_use_write_sum): copied once from wherever the store's caller
 * had them, a client's dataport included, into the disk dataport, and checksummed in the
 * same pass (store_crc32c_copy_sectors): each word is loaded once and the sum is of the value
 * stored, so the checksums are of the very bytes the block service writes, whatever the
 * client does to its own dataport meanwhile. */
_Static_assert(STORE_SUM_RUN <= IO_SECTORS, "a checksummed run fits the disk dataport");
static int dev_write_sum(void *ctx, uint64_t lba, uint32_t count, const void *buf, uint32_t *sums)
{
    (void)ctx;
    if (count > IO_SECTORS)
        return -1;
    store_crc32c_copy_sectors((volatile uint8_t *)FILE_STORE_DISK, (const volatile uint8_t *)buf,
                              count, sums);
    return file_store_block_write(lba, count, 0);
}

/* Runs of whole data blocks for store_read (store_use_read_sum): from the disk dataport
 * straight into the caller's buffer (a client's dataport), checksummed as they are copied;
 * the store compares the sums and never reads buf back. */
static int dev_read_sum(void *ctx, uint64_t lba, uint32_t count, void *buf, uint32_t *sums)
{
    (void)ctx;
    if (count > IO_SECTORS)
        return -1;
    int err = file_store_block_read(lba, count, 0);
    if (err != ANV_OK)
        return err;
    store_crc32c_copy_sectors((volatile uint8_t *)buf, (const volatile uint8_t *)FILE_STORE_DISK,
                              count, sums);
    return 0;
}

static int dev_flush(void *ctx)
{
    (void)ctx;
    return file_store_block_flush();
}

static store_dev dev = {.read = dev_read, .write = dev_write, .flush = dev_flush};

/* ---- requests ---------------------------------------------------------------------- */

static int result(store_err e)
{
    return e == STORE_OK ? ANV_OK : 600 + (int)e;
}

static const struct client *client_of(uint64_t badge)
{
    uint64_t k = badge & 0xFFFFFFu;
    return k >= 1 && k <= CLIENTS && clients[k].present ? &clients[k] : NULL;
}

/* A path from the wire: a NUL inside it would make it mean less than it says. */
static bool path_of(const struct anv_bytes_128 *p, char out[129])
{
    if (p->len > 128 || memchr(p->data, 0, p->len) != NULL)
        return false;
    memcpy(out, p->data, p->len);
    out[p->len] = '\0';
    return true;
}

#define PREAMBLE(path_in)                                                                  \
    const struct client *c = client_of(badge);                                             \
    char path[129];                                                                        \
    if (c == NULL)                                                                         \
        return FILES_E_INVAL;                                                              \
    if (!path_of(path_in, path))                                                           \
        return FILES_E_TOO_LONG

int file_store_files_create(uint64_t badge, const struct anv_bytes_128 *p)
{
    PREAMBLE(p);
    return result(store_create(&fs, &c->root, path));
}

int file_store_files_mkdir(uint64_t badge, const struct anv_bytes_128 *p)
{
    PREAMBLE(p);
    return result(store_mkdir(&fs, &c->root, path));
}

int file_store_files_write(uint64_t badge, const struct anv_bytes_128 *p, uint64_t offset,
                           uint32_t length)
{
    PREAMBLE(p);
    if (length > c->buf_size)
        return FILES_E_TOO_LONG;
    /* Whole blocks: the store hands them to dev_write_sum straight from the client's
     * dataport, which copies and checksums them once. A write with a part of a block
     * goes through staging, since the store reads those parts itself. */
    if (offset % STORE_SECTOR == 0 && length % STORE_SECTOR == 0)
        return result(store_write(&fs, &c->root, path, offset,
                                  (const uint8_t *)(uintptr_t)c->buf, length));
    dataport_copy(staging, c->buf, length);
    return result(store_write(&fs, &c->root, path, offset, (const uint8_t *)staging, length));
}

int file_store_files_read(uint64_t badge, const struct anv_bytes_128 *p, uint64_t offset,
                          uint32_t length, uint32_t *got)
{
    PREAMBLE(p);
    if (length > c->buf_size)
        return FILES_E_TOO_LONG;
    /* Straight into the client's dataport: the store only writes it (whole blocks through
     * dev_read_sum, checksummed as they are copied; parts of blocks from its own buffer). */
    size_t n = 0;
    store_err e = store_read(&fs, &c->root, path, offset, (uint8_t *)(uintptr_t)c->buf, length, &n);
    if (e != STORE_OK)
        return result(e);
    *got = (uint32_t)n;
    return ANV_OK;
}

int file_store_files_truncate(uint64_t badge, const struct anv_bytes_128 *p, uint64_t size)
{
    PREAMBLE(p);
    return result(store_truncate(&fs, &c->root, path, size));
}

int file_store_files_rename(uint64_t badge, const struct anv_bytes_128 *from,
                            const struct anv_bytes_128 *to)
{
    PREAMBLE(from);
    char dest[129];
    if (!path_of(to, dest))
        return FILES_E_TOO_LONG;
    return result(store_rename(&fs, &c->root, path, dest));
}

int file_store_files_unlink(uint64_t badge, const struct anv_bytes_128 *p)
{
    PREAMBLE(p);
    return result(store_unlink(&fs, &c->root, path));
}

int file_store_files_rmdir(uint64_t badge, const struct anv_bytes_128 *p)
{
    PREAMBLE(p);
    return result(store_rmdir(&fs, &c->root, path));
}

int file_store_files_stat(uint64_t badge, const struct anv_bytes_128 *p, struct file_stat *st)
{
    PREAMBLE(p);
    store_stat s;
    store_err e = store_stat_path(&fs, &c->root, path, &s);
    if (e != STORE_OK)
        return result(e);
    *st = (struct file_stat){s.type, s.size, s.entries, s.used_bytes, s.used_entries,
                             s.quota_bytes, s.quota_entries};
    return ANV_OK;
}

int file_store_files_list(uint64_t badge, const struct anv_bytes_128 *p, uint64_t *cookie,
                          struct anv_bytes_54 *name, uint32_t *type, uint64_t *size)
{
    PREAMBLE(p);
    store_dirent d;
    store_err e = store_list(&fs, &c->root, path, cookie, &d);
    if (e != STORE_OK)
        return result(e);
    size_t n = strlen(d.name);
    memcpy(name->data, d.name, n);
    name->len = (uint32_t)n;
    *type = d.type;
    *size = d.size;
    return ANV_OK;
}

int file_store_files_sync(uint64_t badge)
{
    if (client_of(badge) == NULL)
        return FILES_E_INVAL;
    return result(store_sync(&fs));
}

/* ---- start ------------------------------------------------------------------------- */

/* The client's root, made (with every directory above it) if missing; its quotas set. */
static store_err open_root(const char *path, uint64_t qbytes, uint64_t qentries, store_root *out)
{
    store_root top;
    store_err e = store_root_handle(&fs, &top);
    if (e != STORE_OK)
        return e;
    char part[STORE_PATH_MAX + 1];
    size_t len = strlen(path);
    if (len > STORE_PATH_MAX)
        return STORE_E_PATHTOOLONG;
    for (size_t i = 0; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        memcpy(part, path, i);
        part[i] = '\0';
        e = store_mkdir(&fs, &top, part);
        if (e != STORE_OK && e != STORE_E_EXIST)
            return e;
    }
    e = store_open_subtree(&fs, &top, path, out);
    if (e == STORE_OK && (qbytes || qentries))
        e = store_set_quota(&fs, &top, path, qbytes ? qbytes : STORE_UNLIMITED,
                            qentries ? qentries : STORE_UNLIMITED);
    return e;
}

int main(void)
{
    struct block_info info = {0};
    int err = file_store_block_info(&info);
    if (err != ANV_OK || info.block_size == 0) {
        printf("fstore: the block service answered info with %d\n", err);
        return 1;
    }
    dev.block_count = info.sectors;
    dev.block_size = STORE_SECTOR;
    size_t need = store_mem_size(info.sectors, INODES_MAX, CACHE_NODES);
    void *mem = malloc(need);
    if (mem == NULL) {
        printf("fstore: no memory for a store of %lu sectors (%lu bytes)\n",
               (unsigned long)info.sectors, (unsigned long)need);
        return 1;
    }
    store_err e = store_mount(&fs, &dev, mem, need);
    if (e == STORE_OK)
        e = store_use_write_sum(&fs, dev_write_sum);
    if (e == STORE_OK)
        e = store_use_read_sum(&fs, dev_read_sum);
    if (e != STORE_OK) {
        char why[160];
        (void)store_fault_format(store_last_fault(&fs), why, sizeof why);
        printf("fstore: mount refused: %s (%s)\n", store_strerror(e), why);
        return 2;
    }
    const struct {
        volatile void *buf;
        uint32_t size;
    } bufs[CLIENTS] = {
        {FILE_STORE_CLIENT1, FILE_STORE_CLIENT1_SIZE},
        {FILE_STORE_CLIENT2, FILE_STORE_CLIENT2_SIZE},
        {FILE_STORE_CLIENT3, FILE_STORE_CLIENT3_SIZE},
        {FILE_STORE_CLIENT4, FILE_STORE_CLIENT4_SIZE},
    };
    for (uint32_t k = 0; k < FILE_STORE_FILES_GRANT_COUNT; k++) {
        const struct file_store_files_grant *g = &file_store_files_grants[k];
        char root[sizeof g->root.data + 1];
        /* A root with a NUL inside would open less than the system description says. */
        if (g->root.len == 0 || g->root.len > sizeof g->root.data ||
            memchr(g->root.data, 0, g->root.len) != NULL) {
            printf("fstore: client %s has no usable root (a non-empty path)\n",
                   file_store_files_grant_clients[k]);
            return 2;
        }
        memcpy(root, g->root.data, g->root.len);
        root[g->root.len] = '\0';
        struct client *c = &clients[k + 1];
        e = open_root(root, g->quota_bytes, g->quota_entries, &c->root);
        if (e != STORE_OK) {
            printf("fstore: root '%s' of client %s: %s\n", root, file_store_files_grant_clients[k],
                   store_strerror(e));
            return 2;
        }
        c->present = true;
        c->buf = (volatile uint8_t *)bufs[k].buf;
        c->buf_size = bufs[k].size;
    }
    e = store_sync(&fs);
    printf("fstore: mounted %lu sectors (generation of the roots synced: %s)\n",
           (unsigned long)info.sectors, store_strerror(e));
    anv_console_flush();
    return file_store_serve();
}
