/* The Anvaya file store: a crash-consistent copy-on-write store of directories and files
 * over an abstract block device, in caller-supplied memory (docs/store-format.md). */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_SECTOR 512u        /* the unit of everything on disk */
#define STORE_NAME_MAX 54u       /* bytes in one name component */
#define STORE_PATH_MAX 1024u     /* bytes in a path, without its NUL */
#define STORE_PATH_DEPTH 64u     /* components in a path */
#define STORE_UNLIMITED UINT64_MAX
#define STORE_INODES_MAX 131072u /* 32 * 64^2: the inode table at its greatest height */
#define STORE_MIN_SECTORS 16u
#define STORE_MIN_NODES 64u  /* cached metadata nodes, at the least */
#define STORE_GATHER 32u     /* nodes a commit writes in one device request, at most */
#define STORE_DCACHE 4u      /* directory blocks kept after a lookup read them */

typedef enum store_err {
    STORE_OK = 0,
    STORE_E_IO,            /* the device reported an error */
    STORE_E_CORRUPT,       /* a checksum or a structure on disk is wrong (see the fault) */
    STORE_E_NOSTORE,       /* neither superblock is valid */
    STORE_E_DEVICE,        /* unsupported device geometry */
    STORE_E_NOMEM,         /* the working memory given is too small */
    STORE_E_INVAL,         /* a bad argument */
    STORE_E_NOENT,
    STORE_E_EXIST,
    STORE_E_NOTDIR,
    STORE_E_ISDIR,
    STORE_E_NOTEMPTY,
    STORE_E_NOSPC,         /* the disk is full */
    STORE_E_QUOTA_BYTES,   /* a subtree's byte quota would be exceeded */
    STORE_E_QUOTA_ENTRIES, /* a subtree's entry quota would be exceeded */
    STORE_E_NOINODE,       /* the inode table is full */
    STORE_E_NAMETOOLONG,
    STORE_E_PATHTOOLONG,
    STORE_E_ABSOLUTE,      /* a path starting with '/' */
    STORE_E_DOTDOT,        /* a '.' or '..' component */
    STORE_E_EMPTYNAME,     /* an empty component ("a//b", "a/") */
    STORE_E_NEEDNAME,      /* the operation needs a name, the path names the root */
    STORE_E_CYCLE,         /* a directory renamed into its own subtree */
    STORE_E_TOOBIG,        /* a file or a single write beyond what the store can hold */
    STORE_E_STALE,         /* a root handle whose directory is gone */
    STORE_E_BUSY,          /* check asked with changes not yet synced */
    STORE_E_BROKEN,        /* an earlier failure mid-operation: remount */
    STORE_E_END,           /* no more directory entries */
    STORE_E_COUNT
} store_err;

const char *store_strerror(store_err e);

/* The block device. Every function returns STORE_OK or any other value for failure. The
 * store needs block_size == STORE_SECTOR (virtio-blk addresses 512-byte sectors). */
typedef struct store_dev {
    void *ctx;
    int (*read)(void *ctx, uint64_t lba, uint32_t count, void *buf);
    int (*write)(void *ctx, uint64_t lba, uint32_t count, const void *buf);
    int (*flush)(void *ctx);
    uint64_t block_count;
    uint32_t block_size;
} store_dev;

/* Optional (store_use_write_sum): writes count sectors from buf like store_dev.write and
 * puts in sums[i] the CRC32C of sector i exactly as the device took it (from its own copy,
 * not from buf again). count is at most STORE_SUM_RUN. */
typedef int (*store_write_sum_fn)(void *ctx, uint64_t lba, uint32_t count, const void *buf,
                                  uint32_t *sums);
#define STORE_SUM_RUN 128u /* sectors per store_write_sum_fn or store_read_sum_fn call, at most */

/* Optional (store_use_read_sum): reads count sectors into buf like store_dev.read and puts
 * in sums[i] the CRC32C of sector i as it was put into buf (computed while copying, from
 * the same loads, not by reading buf again). count is at most STORE_SUM_RUN. */
typedef int (*store_read_sum_fn)(void *ctx, uint64_t lba, uint32_t count, void *buf,
                                 uint32_t *sums);

/* What a failure was about: set with every STORE_E_CORRUPT (and IO) result. */
typedef enum store_obj {
    STORE_OBJ_NONE = 0,
    STORE_OBJ_SUPER,
    STORE_OBJ_ITAB,    /* an inode-table node: level, index */
    STORE_OBJ_INODE,   /* ino */
    STORE_OBJ_BMAP,    /* a block-map node of inode ino: level, index */
    STORE_OBJ_DATA,    /* data block index of inode ino */
    STORE_OBJ_DIRENT,  /* directory ino, entry index */
    STORE_OBJ_SECTOR,  /* a sector as such (double use, leak) */
} store_obj;

typedef struct store_fault {
    store_err err;
    store_obj obj;
    uint32_t level;
    uint64_t ino;
    uint64_t index;
    uint64_t sector;
    const char *what;
} store_fault;

/* "checksum mismatch: inode 5 data block 3 (sector 812)"; returns the length (always
 * NUL-terminated when len > 0). */
size_t store_fault_format(const store_fault *f, char *buf, size_t len);

/* A client's root: a directory inside the store. Paths resolve below it only. */
typedef struct store_root {
    uint64_t ino;
    uint64_t birth;
} store_root;

enum { STORE_T_FILE = 1, STORE_T_DIR = 2 };

typedef struct store_stat {
    uint32_t type;
    uint64_t ino;
    uint64_t size;          /* bytes (a directory: bytes of its entry table) */
    uint64_t entries;       /* a directory's own entries */
    uint64_t used_bytes;    /* a directory's subtree: bytes of files below it */
    uint64_t used_entries;  /* a directory's subtree: files and directories below it */
    uint64_t quota_bytes;   /* STORE_UNLIMITED when none */
    uint64_t quota_entries;
} store_stat;

typedef struct store_dirent {
    char name[STORE_NAME_MAX + 1];
    uint32_t type;
    uint64_t ino;
    uint64_t size;
} store_dirent;

/* One cache slot: a metadata node by its logical identity, never by disk address. */
typedef struct store_centry {
    uint8_t kind, level, dirty, used;
    uint32_t next;
    uint32_t stamp;
    uint32_t pad;
    uint64_t ino, idx;
    uint8_t data[STORE_SECTOR];
} store_centry;

/* A block pointer as the store keeps it in memory: a sector and the CRC32C of its bytes. */
typedef struct store_sptr {
    uint32_t addr, crc;
} store_sptr;

/* A directory block as last read (and verified) or written: valid while the directory's
 * pointer to block blk is still {addr, crc} and sector addr has not been freed. */
typedef struct store_dblock {
    uint64_t ino, blk;
    uint32_t addr, crc; /* addr 0: empty */
    uint8_t data[STORE_SECTOR];
} store_dblock;

typedef struct store_stats {
    uint64_t sectors_written, sectors_read, writes, reads, flushes, commits;
} store_stats;

/* The store's state. The caller owns it; its fields are private to store.c. */
typedef struct store {
    const store_dev *dev;
    uint64_t gen, sectors, inode_max, next_birth;
    uint32_t itab_height, sb_slot;
    uint8_t roots[256];
    uint64_t *live, *committed, *check_map, *inodes, *seen, *reach, *bad;
    uint32_t *hash;
    store_centry *cache;
    uint32_t ncache, nhash, ndirty, stamp;
    uint64_t avail, pending_free, alloc_cursor, inode_cursor, ninodes;
    int sb_dirty;
    void *check_ctx;
    store_err broken;
    store_fault fault;
    store_stats stats;
    uint8_t tmp[STORE_SECTOR], tmp2[STORE_SECTOR];
    uint8_t walk[8][STORE_SECTOR];
    /* A commit gathers nodes bound for consecutive sectors here: one request per row. */
    uint8_t gather[STORE_GATHER][STORE_SECTOR];
    store_dblock dcache[STORE_DCACHE];
    uint32_t dcache_next, dcache_lo, dcache_hi; /* every kept sector in [lo, hi]; 0, 0: none */
    store_write_sum_fn write_sum;
    store_read_sum_fn read_sum;
    uint32_t sums[STORE_SUM_RUN];
    store_sptr run[STORE_SUM_RUN]; /* a read run's pointers, looked up before the request */
} store;

/* Bytes of working memory a store of `sectors` sectors and `inode_max` inodes needs with
 * a cache of `cache_nodes` metadata nodes (at least STORE_MIN_NODES). */
size_t store_mem_size(uint64_t sectors, uint64_t inode_max, uint32_t cache_nodes);

/* Writes an empty store (a root directory) over the whole device. */
store_err store_mkfs(const store_dev *dev, uint64_t inode_max);

/* Mounts: picks the newest valid superblock, reads and verifies every metadata node and
 * rebuilds the free-space map. mem must be 8-byte aligned; the cache takes what is left
 * after the maps. */
store_err store_mount(store *s, const store_dev *dev, void *mem, size_t memlen);
/* After store_mount (which forgets it): whole data blocks go to the device through fn,
 * and their pointers take the checksums fn returns. The store then never reads the bytes
 * of a whole block itself, so a caller may hand store_write a buffer that another party
 * can change during the call (a client's dataport) and no separate copy: what the device
 * took is what is checksummed. Parts of blocks are still copied once into the store's
 * own buffer first. fn NULL: back to store_dev.write and the store's own checksums. */
store_err store_use_write_sum(store *s, store_write_sum_fn fn);
/* After store_mount (which forgets it): runs of whole data blocks that store_read asks for
 * come through fn, and the store compares the sums fn gives with the blocks' pointers
 * instead of checksumming buf itself. store_read then writes the caller's buffer but never
 * reads it, so it may be memory another party maps (a client's dataport): a mismatch is
 * refused as ever (STORE_E_CORRUPT, the buffer zeroed). fn NULL: back to store_dev.read. */
store_err store_use_read_sum(store *s, store_read_sum_fn fn);

/* The fault of the last failure (err STORE_OK when none). */
const store_fault *store_last_fault(const store *s);

store_err store_root_handle(store *s, store_root *out);
store_err store_open_subtree(store *s, const store_root *root, const char *path, store_root *out);

store_err store_create(store *s, const store_root *root, const char *path);
store_err store_mkdir(store *s, const store_root *root, const char *path);
store_err store_write(store *s, const store_root *root, const char *path, uint64_t off,
                      const void *buf, size_t len);
store_err store_read(store *s, const store_root *root, const char *path, uint64_t off,
                     void *buf, size_t len, size_t *got);
store_err store_truncate(store *s, const store_root *root, const char *path, uint64_t size);
store_err store_rename(store *s, const store_root *root, const char *from, const char *to);
store_err store_unlink(store *s, const store_root *root, const char *path);
store_err store_rmdir(store *s, const store_root *root, const char *path);
store_err store_stat_path(store *s, const store_root *root, const char *path, store_stat *out);
/* *cookie starts at 0; STORE_E_END after the last entry. */
store_err store_list(store *s, const store_root *root, const char *path, uint64_t *cookie,
                     store_dirent *out);
store_err store_set_quota(store *s, const store_root *root, const char *path, uint64_t bytes,
                          uint64_t entries);
store_err store_sync(store *s);

/* Verifies every checksum (metadata and data) and every reference of the synced store.
 * report (may be NULL) gets one line per problem; *problems their number. */
typedef void (*store_report_fn)(void *ctx, const char *line);
store_err store_check(store *s, store_report_fn report, void *ctx, uint64_t *problems);

/* One line per inode: its fields and its block map as runs of blocks to sectors. */
store_err store_dump(store *s, store_report_fn out, void *ctx);

/* The largest write that fits the cache in one operation. */
uint64_t store_max_write(const store *s);

/* CRC32C of len bytes after crc (0 to start): with carry-less multiplication where the
 * build has it (Zbc in -march, or the portable model), else store_crc32c_sw; both give the
 * same value for every input (crc32c.c). */
uint32_t store_crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t store_crc32c_sw(uint32_t crc, const void *buf, size_t len);
/* Copies len bytes from src to dst and returns their CRC32C after crc, in one pass: each
 * byte of src is read once and the checksum is of the value stored to dst, so a src that
 * another party rewrites meanwhile (a client's dataport) still gives the checksum of
 * exactly what dst now holds. The same value as store_crc32c on dst afterwards. */
uint32_t store_crc32c_copy(uint32_t crc, volatile void *dst, const volatile void *src, size_t len);
/* store_crc32c_copy of count whole sectors, sums[i] the CRC32C (from 0) of sector i: the
 * file store's data path, with nothing per sector but the sum (crc32c.c). */
void store_crc32c_copy_sectors(volatile void *dst, const volatile void *src, uint32_t count,
                               uint32_t *sums);
/* 1 when store_crc32c is the carry-less multiplication path. */
int store_crc32c_uses_clmul(void);

/* Little-endian fields, shared with the tool's dump. */
uint32_t store_get32(const uint8_t *p);
uint64_t store_get64(const uint8_t *p);

#endif
