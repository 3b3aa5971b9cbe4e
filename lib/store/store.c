/* The file store: copy-on-write trees of 512-byte nodes under two alternating
 * superblocks, every block checksummed (CRC32C) by the pointer to it. Format and
 * invariants: docs/store-format.md. No malloc; every loop has a bound. */
#include "store.h"

#include <string.h>

#define SB_MAGIC 0x31524f5453564e41ull /* "ANVSTOR1" */
#define SB_VERSION 1u
#define INODE_MAGIC 0x4e495641u /* "AVIN" */
#define PTRS_PER_NODE 64u
#define INODE_ROOTS 48u
#define SB_ROOTS 32u
#define BMAP_MAX_HEIGHT 3u
#define ITAB_MAX_HEIGHT 2u
#define INODE_ROOTS_OFF 96u
#define SB_ROOTS_OFF 64u
#define SB_CRC_OFF 508u
#define DIRENT_SIZE 64u
#define DIRENTS_PER_SECTOR (STORE_SECTOR / DIRENT_SIZE)
#define ROOT_INO 1u
#define CACHE_SLACK 12u   /* clean slots an operation needs while it walks */
#define SPACE_RESERVE 32u /* sectors only shrinking operations may use */
#define NIL 0xffffffffu

enum { K_ITAB = 1, K_INODE = 2, K_BMAP = 3 };
enum { F_QUOTA = 1 };

/* Inode fields (byte offsets). */
enum {
    I_MAGIC = 0, I_TYPE = 4, I_HEIGHT = 5, I_FLAGS = 6, I_INO = 8, I_PARENT = 16,
    I_BIRTH = 24, I_SIZE = 32, I_NENT = 40, I_QBYTES = 48, I_QENT = 56, I_UBYTES = 64,
    I_UENT = 72
};

typedef struct skey {
    uint8_t kind, level;
    uint64_t ino, idx;
} skey;

typedef store_sptr sptr;

static const char *const err_text[STORE_E_COUNT] = {
    [STORE_OK] = "success",
    [STORE_E_IO] = "device I/O error",
    [STORE_E_CORRUPT] = "damaged store",
    [STORE_E_NOSTORE] = "no valid superblock (not a store, or both copies damaged)",
    [STORE_E_DEVICE] = "unsupported device (block size must be 512, at least 16 blocks, below 2^32)",
    [STORE_E_NOMEM] = "working memory too small",
    [STORE_E_INVAL] = "invalid argument",
    [STORE_E_NOENT] = "no such file or directory",
    [STORE_E_EXIST] = "already exists",
    [STORE_E_NOTDIR] = "not a directory",
    [STORE_E_ISDIR] = "is a directory",
    [STORE_E_NOTEMPTY] = "directory not empty",
    [STORE_E_NOSPC] = "no space left on the device",
    [STORE_E_QUOTA_BYTES] = "byte quota of a subtree exceeded",
    [STORE_E_QUOTA_ENTRIES] = "entry quota of a subtree exceeded",
    [STORE_E_NOINODE] = "inode table full",
    [STORE_E_NAMETOOLONG] = "name longer than 54 bytes",
    [STORE_E_PATHTOOLONG] = "path longer than 1024 bytes or 64 components",
    [STORE_E_ABSOLUTE] = "absolute path refused (paths are relative to the client's root)",
    [STORE_E_DOTDOT] = "'.' or '..' component refused (nothing is above the client's root)",
    [STORE_E_EMPTYNAME] = "empty path component",
    [STORE_E_NEEDNAME] = "the operation needs a name below the root",
    [STORE_E_CYCLE] = "a directory cannot move into its own subtree",
    [STORE_E_TOOBIG] = "file or write too large",
    [STORE_E_STALE] = "root handle no longer names a directory",
    [STORE_E_BUSY] = "unsynced changes (sync first)",
    [STORE_E_BROKEN] = "an earlier operation failed midway; remount",
    [STORE_E_END] = "end of directory",
};

const char *store_strerror(store_err e)
{
    if ((unsigned)e >= STORE_E_COUNT)
        return "unknown store error";
    return err_text[e];
}

/* CRC32C (store_crc32c) is in crc32c.c. */

/* ---- little-endian fields ---- */

uint32_t store_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t store_get64(const uint8_t *p)
{
    return (uint64_t)store_get32(p) | (uint64_t)store_get32(p + 4) << 32;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

#define get32 store_get32
#define get64 store_get64

static sptr get_ptr(const uint8_t *base, uint32_t slot)
{
    sptr p = {get32(base + slot * 8u), get32(base + slot * 8u + 4)};
    return p;
}

static void set_ptr(uint8_t *base, uint32_t slot, sptr p)
{
    put32(base + slot * 8u, p.addr);
    put32(base + slot * 8u + 4, p.crc);
}

/* ---- faults and their text ---- */

static store_err fault(store *s, store_err e, store_obj obj, uint64_t ino, uint32_t level,
                       uint64_t index, uint64_t sector, const char *what)
{
    s->fault.err = e;
    s->fault.obj = obj;
    s->fault.ino = ino;
    s->fault.level = level;
    s->fault.index = index;
    s->fault.sector = sector;
    s->fault.what = what;
    return e;
}

const store_fault *store_last_fault(const store *s)
{
    return &s->fault;
}

typedef struct fbuf {
    char *buf;
    size_t len, pos;
} fbuf;

static void fb_str(fbuf *f, const char *str)
{
    for (size_t i = 0; str[i] != '\0' && i < 4096; i++) {
        if (f->pos + 1 < f->len)
            f->buf[f->pos] = str[i];
        f->pos++;
    }
}

static void fb_u64(fbuf *f, uint64_t v)
{
    char d[21];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 && n < 20);
    char out[21];
    for (int i = 0; i < n; i++)
        out[i] = d[n - 1 - i];
    out[n] = '\0';
    fb_str(f, out);
}

static void fb_obj(fbuf *f, const store_fault *x)
{
    switch (x->obj) {
    case STORE_OBJ_SUPER:
        fb_str(f, "superblock ");
        fb_u64(f, x->index);
        break;
    case STORE_OBJ_ITAB:
        fb_str(f, "inode-table node level ");
        fb_u64(f, x->level);
        fb_str(f, " index ");
        fb_u64(f, x->index);
        break;
    case STORE_OBJ_INODE:
        fb_str(f, "inode ");
        fb_u64(f, x->ino);
        break;
    case STORE_OBJ_BMAP:
        fb_str(f, "inode ");
        fb_u64(f, x->ino);
        fb_str(f, " block-map node level ");
        fb_u64(f, x->level);
        fb_str(f, " index ");
        fb_u64(f, x->index);
        break;
    case STORE_OBJ_DATA:
        fb_str(f, "inode ");
        fb_u64(f, x->ino);
        fb_str(f, " data block ");
        fb_u64(f, x->index);
        break;
    case STORE_OBJ_DIRENT:
        fb_str(f, "directory inode ");
        fb_u64(f, x->ino);
        fb_str(f, " entry ");
        fb_u64(f, x->index);
        break;
    case STORE_OBJ_SECTOR:
        fb_str(f, "sector");
        break;
    case STORE_OBJ_NONE:
    default:
        fb_str(f, "store");
        break;
    }
    if (x->sector != 0 || x->obj == STORE_OBJ_SECTOR) {
        fb_str(f, x->obj == STORE_OBJ_SECTOR ? " " : " (sector ");
        fb_u64(f, x->sector);
        if (x->obj != STORE_OBJ_SECTOR)
            fb_str(f, ")");
    }
}

size_t store_fault_format(const store_fault *x, char *buf, size_t len)
{
    fbuf f = {buf, len, 0};
    fb_str(&f, x->what != NULL ? x->what : store_strerror(x->err));
    fb_str(&f, ": ");
    fb_obj(&f, x);
    if (len > 0)
        buf[f.pos < len ? f.pos : len - 1] = '\0';
    return f.pos < len ? f.pos : len - 1;
}

/* ---- device access ---- */

static store_err dev_read(store *s, uint64_t lba, uint32_t n, void *buf)
{
    if (lba >= s->sectors || n > s->sectors - lba)
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_SECTOR, 0, 0, 0, lba, "sector out of range");
    if (s->dev->read(s->dev->ctx, lba, n, buf) != 0)
        return fault(s, STORE_E_IO, STORE_OBJ_SECTOR, 0, 0, 0, lba, "device read failed");
    s->stats.reads++;
    s->stats.sectors_read += n;
    return STORE_OK;
}

static store_err dev_write(store *s, uint64_t lba, uint32_t n, const void *buf)
{
    if (s->dev->write(s->dev->ctx, lba, n, buf) != 0)
        return fault(s, STORE_E_IO, STORE_OBJ_SECTOR, 0, 0, 0, lba, "device write failed");
    s->stats.writes++;
    s->stats.sectors_written += n;
    return STORE_OK;
}

static store_err dev_write_sum(store *s, uint64_t lba, uint32_t n, const void *buf)
{
    if (s->write_sum(s->dev->ctx, lba, n, buf, s->sums) != 0)
        return fault(s, STORE_E_IO, STORE_OBJ_SECTOR, 0, 0, 0, lba, "device write failed");
    s->stats.writes++;
    s->stats.sectors_written += n;
    return STORE_OK;
}

static store_err dev_read_sum(store *s, uint64_t lba, uint32_t n, void *buf)
{
    if (lba >= s->sectors || n > s->sectors - lba)
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_SECTOR, 0, 0, 0, lba, "sector out of range");
    if (s->read_sum(s->dev->ctx, lba, n, buf, s->sums) != 0)
        return fault(s, STORE_E_IO, STORE_OBJ_SECTOR, 0, 0, 0, lba, "device read failed");
    s->stats.reads++;
    s->stats.sectors_read += n;
    return STORE_OK;
}

static store_err dev_flush(store *s)
{
    if (s->dev->flush(s->dev->ctx) != 0)
        return fault(s, STORE_E_IO, STORE_OBJ_NONE, 0, 0, 0, 0, "device flush failed");
    s->stats.flushes++;
    return STORE_OK;
}

/* ---- bitmaps and the free-space map ----
 * live: sectors the current (uncommitted) tree uses; committed: sectors the last durable
 * commit uses. A sector may be allocated only when free in both, so nothing the durable
 * tree needs is overwritten before the next superblock is on disk. */

static int bit_get(const uint64_t *m, uint64_t i)
{
    return (int)((m[i >> 6] >> (i & 63)) & 1u);
}

static void bit_set(uint64_t *m, uint64_t i)
{
    m[i >> 6] |= 1ull << (i & 63);
}

static void bit_clr(uint64_t *m, uint64_t i)
{
    m[i >> 6] &= ~(1ull << (i & 63));
}

static uint64_t words(uint64_t bits)
{
    return (bits + 63) / 64;
}

static uint64_t sector_alloc(store *s)
{
    uint64_t n = s->sectors;
    uint64_t cur = s->alloc_cursor;
    if (cur < 2 || cur >= n)
        cur = 2;
    /* One lap over the map at most, a word at a time where the word is full. */
    for (uint64_t step = 0; step < n; step++) {
        uint64_t w = cur >> 6;
        uint64_t used = s->live[w] | s->committed[w];
        if (used == UINT64_MAX && (cur & 63) == 0 && cur + 64 <= n) {
            cur += 64;
            step += 63;
        } else {
            if (cur >= 2 && !bit_get(s->live, cur) && !bit_get(s->committed, cur)) {
                bit_set(s->live, cur);
                s->avail--;
                s->alloc_cursor = cur + 1;
                return cur;
            }
            cur++;
        }
        if (cur >= n)
            cur = 2;
    }
    return 0;
}

/* Up to max free sectors in a row (at least one), the first where sector_alloc would
 * take it: *first, and the count (0 when the disk is full). A write of many blocks then
 * moves in one device request and its block-map leaf is updated in one pass. */
static uint32_t sector_alloc_run(store *s, uint32_t max, uint64_t *first)
{
    uint64_t sec = sector_alloc(s);
    *first = sec;
    if (sec == 0)
        return 0;
    uint32_t n = 1;
    uint64_t cur = sec + 1;
    while (n < max && cur < s->sectors) {
        uint64_t w = cur >> 6;
        uint64_t used = s->live[w] | s->committed[w];
        if (used == 0 && (cur & 63) == 0 && cur + 64 <= s->sectors && max - n >= 64) {
            /* A whole free word: 64 sectors at once. */
            s->live[w] = UINT64_MAX;
            cur += 64;
            n += 64;
            s->avail -= 64;
            continue;
        }
        if ((used >> (cur & 63)) & 1u)
            break;
        bit_set(s->live, cur);
        s->avail--;
        cur++;
        n++;
    }
    s->alloc_cursor = cur;
    return n;
}

static void sector_free(store *s, uint64_t sec)
{
    if (sec < 2 || sec >= s->sectors || !bit_get(s->live, sec))
        return;
    /* A freed sector may be written again after the next commit: forget its contents
     * (the range test first: most freed sectors are file data, far from any kept one). */
    if (sec >= s->dcache_lo && sec <= s->dcache_hi)
        for (uint32_t i = 0; i < STORE_DCACHE; i++)
            if (s->dcache[i].addr == sec)
                s->dcache[i].addr = 0;
    bit_clr(s->live, sec);
    if (bit_get(s->committed, sec))
        s->pending_free++;
    else
        s->avail++;
}

/* ---- the node cache ---- */

static uint32_t key_hash(const store *s, const skey *k)
{
    uint64_t h = (uint64_t)k->kind * 0x9e3779b97f4a7c15ull ^ (uint64_t)k->level * 0x85ebca6bull ^
                 k->ino * 0xc2b2ae3d27d4eb4full ^ k->idx * 0x165667b19e3779f9ull;
    h ^= h >> 29;
    return (uint32_t)(h & (s->nhash - 1));
}

static int key_eq(const store_centry *e, const skey *k)
{
    return e->kind == k->kind && e->level == k->level && e->ino == k->ino && e->idx == k->idx;
}

static store_centry *cache_find(store *s, const skey *k)
{
    uint32_t i = s->hash[key_hash(s, k)];
    for (uint32_t n = 0; i != NIL && n < s->ncache; n++) {
        store_centry *e = &s->cache[i];
        if (key_eq(e, k))
            return e;
        i = e->next;
    }
    return NULL;
}

static void cache_unlink(store *s, store_centry *e)
{
    skey k = {e->kind, e->level, e->ino, e->idx};
    uint32_t *link = &s->hash[key_hash(s, &k)];
    uint32_t self = (uint32_t)(e - s->cache);
    for (uint32_t n = 0; *link != NIL && n < s->ncache; n++) {
        if (*link == self) {
            *link = e->next;
            break;
        }
        link = &s->cache[*link].next;
    }
    if (e->dirty)
        s->ndirty--;
    e->used = 0;
    e->dirty = 0;
}

/* A free slot, or the least recently used clean one. Dirty nodes are never evicted. */
static store_err cache_alloc(store *s, const skey *k, store_centry **out)
{
    store_centry *victim = NULL;
    for (uint32_t i = 0; i < s->ncache; i++) {
        store_centry *e = &s->cache[i];
        if (!e->used) {
            victim = e;
            break;
        }
        if (!e->dirty && (victim == NULL || (uint32_t)(s->stamp - e->stamp) >
                                                (uint32_t)(s->stamp - victim->stamp)))
            victim = e;
    }
    if (victim == NULL)
        return fault(s, STORE_E_NOMEM, STORE_OBJ_NONE, 0, 0, 0, 0, "cache full of unsynced nodes");
    if (victim->used)
        cache_unlink(s, victim);
    victim->kind = k->kind;
    victim->level = k->level;
    victim->ino = k->ino;
    victim->idx = k->idx;
    victim->used = 1;
    victim->dirty = 0;
    victim->stamp = ++s->stamp;
    uint32_t h = key_hash(s, k);
    victim->next = s->hash[h];
    s->hash[h] = (uint32_t)(victim - s->cache);
    *out = victim;
    return STORE_OK;
}

static void cache_drop(store *s, const skey *k)
{
    store_centry *e = cache_find(s, k);
    if (e != NULL)
        cache_unlink(s, e);
}

/* ---- the trees: where a node's pointer lives ---- */

static uint64_t bmap_cap(uint32_t h)
{
    uint64_t c = INODE_ROOTS;
    for (uint32_t i = 0; i < h && i < BMAP_MAX_HEIGHT; i++)
        c *= PTRS_PER_NODE;
    return c;
}

static uint64_t itab_cap(uint32_t h)
{
    uint64_t c = SB_ROOTS;
    for (uint32_t i = 0; i < h && i < ITAB_MAX_HEIGHT; i++)
        c *= PTRS_PER_NODE;
    return c;
}

static store_obj key_obj(const skey *k)
{
    return k->kind == K_ITAB ? STORE_OBJ_ITAB : k->kind == K_INODE ? STORE_OBJ_INODE : STORE_OBJ_BMAP;
}

static store_err node_load(store *s, const skey *k, int create, store_centry **out);

/* Inode fields a loaded inode must satisfy (anything else is damage). */
static store_err inode_validate(store *s, uint64_t ino, const uint8_t *d, uint64_t sector)
{
    const char *bad = NULL;
    uint32_t type = d[I_TYPE], h = d[I_HEIGHT];
    uint64_t size = get64(d + I_SIZE);
    if (get32(d + I_MAGIC) != INODE_MAGIC)
        bad = "inode magic wrong";
    else if (type != STORE_T_FILE && type != STORE_T_DIR)
        bad = "inode type invalid";
    else if (get64(d + I_INO) != ino)
        bad = "inode number does not match its table slot";
    else if (h > BMAP_MAX_HEIGHT)
        bad = "block-map height above 3";
    else if (size > bmap_cap(h) * STORE_SECTOR)
        bad = "size beyond what the block map can hold";
    else if (type == STORE_T_DIR && size % DIRENT_SIZE != 0)
        bad = "directory size not a whole number of entries";
    else if (type == STORE_T_FILE && (get64(d + I_NENT) != 0 || get64(d + I_UBYTES) != 0 ||
                                      get64(d + I_UENT) != 0 || d[I_FLAGS] != 0))
        bad = "file with directory fields set";
    else if (d[I_FLAGS] & ~F_QUOTA)
        bad = "unknown inode flags";
    else if (get64(d + I_PARENT) >= s->inode_max || (ino == ROOT_INO) != (get64(d + I_PARENT) == 0))
        bad = "parent inode number invalid";
    else if (ino == ROOT_INO && type != STORE_T_DIR)
        bad = "root inode is not a directory";
    if (bad != NULL)
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_INODE, ino, 0, 0, sector, bad);
    return STORE_OK;
}

/* Where the pointer to node k lives: in the superblock's roots (*in_sb, slot *slot), or in
 * slot *slot of node *pk (a block map's top level: the roots of inode *pk). */
static store_err parent_of(store *s, const skey *k, skey *pk, uint32_t *slot, int *in_sb)
{
    *in_sb = 0;
    if (k->kind == K_INODE) {
        if (k->ino == 0 || k->ino >= s->inode_max)
            return fault(s, STORE_E_CORRUPT, STORE_OBJ_INODE, k->ino, 0, 0, 0,
                         "inode number out of range");
        if (s->itab_height == 0) {
            *in_sb = 1;
            *slot = (uint32_t)k->ino;
        } else {
            *pk = (skey){K_ITAB, 0, 0, k->ino >> 6};
            *slot = (uint32_t)(k->ino & 63);
        }
        return STORE_OK;
    }
    if (k->kind == K_ITAB) {
        if (k->level + 1u == s->itab_height) {
            *in_sb = 1;
            *slot = (uint32_t)k->idx;
            if (k->idx >= SB_ROOTS)
                return fault(s, STORE_E_CORRUPT, STORE_OBJ_ITAB, 0, k->level, k->idx, 0,
                             "inode-table index beyond the roots");
        } else {
            *pk = (skey){K_ITAB, (uint8_t)(k->level + 1), 0, k->idx >> 6};
            *slot = (uint32_t)(k->idx & 63);
        }
        return STORE_OK;
    }
    store_centry *ie;
    skey ik = {K_INODE, 0, k->ino, 0};
    store_err err = node_load(s, &ik, 0, &ie);
    if (err != STORE_OK)
        return err;
    if (ie == NULL)
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_INODE, k->ino, 0, 0, 0, "inode missing");
    uint32_t h = ie->data[I_HEIGHT];
    if (k->level >= h)
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_BMAP, k->ino, k->level, k->idx, 0,
                     "block-map node above the tree's height");
    if (k->level + 1u == h) {
        *pk = ik;
        *slot = (uint32_t)k->idx;
        if (k->idx >= INODE_ROOTS)
            return fault(s, STORE_E_CORRUPT, STORE_OBJ_BMAP, k->ino, k->level, k->idx, 0,
                         "block-map index beyond the roots");
    } else {
        *pk = (skey){K_BMAP, (uint8_t)(k->level + 1), k->ino, k->idx >> 6};
        *slot = (uint32_t)(k->idx & 63);
    }
    return STORE_OK;
}

static uint8_t *ptr_base(store *s, store_centry *pe)
{
    if (pe == NULL)
        return s->roots;
    return pe->kind == K_INODE ? pe->data + INODE_ROOTS_OFF : pe->data;
}

/* The pointer area holding node k's pointer, its parent loaded (created empty when create
 * is set); *base NULL when the parent is a hole. */
static store_err ptr_slot(store *s, const skey *k, int create, uint8_t **base, uint32_t *slot)
{
    skey pk;
    int in_sb;
    *base = NULL;
    store_err err = parent_of(s, k, &pk, slot, &in_sb);
    if (err != STORE_OK)
        return err;
    if (in_sb) {
        *base = s->roots;
        return STORE_OK;
    }
    store_centry *pe;
    err = node_load(s, &pk, create, &pe);
    if (err != STORE_OK)
        return err;
    if (pe != NULL)
        *base = ptr_base(s, pe);
    return STORE_OK;
}

/* A metadata sector through its parent's pointer: the checksum must match. */
static store_err read_node(store *s, const skey *k, sptr p, uint8_t *buf)
{
    if (p.addr < 2 || p.addr >= s->sectors)
        return fault(s, STORE_E_CORRUPT, key_obj(k), k->ino, k->level, k->idx, p.addr,
                     "pointer outside the store");
    store_err err = dev_read(s, p.addr, 1, buf);
    if (err != STORE_OK) {
        fault(s, err, key_obj(k), k->ino, k->level, k->idx, p.addr, "device read failed");
        return err;
    }
    if (store_crc32c(0, buf, STORE_SECTOR) != p.crc)
        return fault(s, STORE_E_CORRUPT, key_obj(k), k->ino, k->level, k->idx, p.addr,
                     "checksum mismatch");
    if (k->kind == K_INODE)
        return inode_validate(s, k->ino, buf, p.addr);
    return STORE_OK;
}

/* Node k from the cache or the disk; *out NULL for a hole unless create (then an empty node). */
static store_err node_load(store *s, const skey *k, int create, store_centry **out)
{
    *out = NULL;
    store_centry *e = cache_find(s, k);
    if (e != NULL) {
        e->stamp = ++s->stamp;
        *out = e;
        return STORE_OK;
    }
    uint8_t *base;
    uint32_t slot;
    store_err err = ptr_slot(s, k, create, &base, &slot);
    if (err != STORE_OK)
        return err;
    sptr p = {0, 0};
    if (base != NULL)
        p = get_ptr(base, slot);
    if (p.addr == 0 && !create)
        return STORE_OK;
    err = cache_alloc(s, k, &e);
    if (err != STORE_OK)
        return err;
    if (p.addr == 0) {
        memset(e->data, 0, STORE_SECTOR);
    } else {
        err = read_node(s, k, p, e->data);
        if (err != STORE_OK) {
            cache_unlink(s, e);
            return err;
        }
    }
    *out = e;
    return STORE_OK;
}

/* Dirty nodes are rewritten at the next commit; their ancestors become dirty too, so a
 * dirty node's parent is always in the cache when the commit needs it. */
static store_err mark_dirty(store *s, store_centry *e)
{
    for (int depth = 0; depth < 8 && e != NULL; depth++) {
        if (e->dirty)
            return STORE_OK;
        e->dirty = 1;
        s->ndirty++;
        skey k = {e->kind, e->level, e->ino, e->idx}, pk;
        uint32_t slot;
        int in_sb;
        store_err err = parent_of(s, &k, &pk, &slot, &in_sb);
        if (err != STORE_OK)
            return err;
        if (in_sb) {
            s->sb_dirty = 1;
            return STORE_OK;
        }
        err = node_load(s, &pk, 1, &e);
        if (err != STORE_OK)
            return err;
    }
    return STORE_OK;
}

static store_err inode_get(store *s, uint64_t ino, store_centry **out)
{
    skey k = {K_INODE, 0, ino, 0};
    store_err err = node_load(s, &k, 0, out);
    if (err == STORE_OK && *out == NULL)
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_INODE, ino, 0, 0, 0, "inode missing");
    return err;
}

static store_err inode_dirty(store *s, uint64_t ino, store_centry **out)
{
    store_err err = inode_get(s, ino, out);
    if (err == STORE_OK)
        err = mark_dirty(s, *out);
    return err;
}

/* ---- block maps ---- */

static store_err bmap_get(store *s, uint64_t ino, uint64_t blk, sptr *p)
{
    store_centry *ie;
    p->addr = 0;
    p->crc = 0;
    store_err err = inode_get(s, ino, &ie);
    if (err != STORE_OK)
        return err;
    uint32_t h = ie->data[I_HEIGHT];
    if (blk >= bmap_cap(h))
        return STORE_OK;
    if (h == 0) {
        *p = get_ptr(ie->data + INODE_ROOTS_OFF, (uint32_t)blk);
        return STORE_OK;
    }
    skey k = {K_BMAP, 0, ino, blk >> 6};
    store_centry *e;
    err = node_load(s, &k, 0, &e);
    if (err == STORE_OK && e != NULL)
        *p = get_ptr(e->data, (uint32_t)(blk & 63));
    return err;
}

/* Raises the tree until block `blocks - 1` fits: the old roots move into a new node. */
static store_err bmap_grow(store *s, uint64_t ino, uint64_t blocks)
{
    store_centry *ie;
    store_err err = inode_dirty(s, ino, &ie);
    if (err != STORE_OK)
        return err;
    for (uint32_t round = 0; round < BMAP_MAX_HEIGHT; round++) {
        uint32_t h = ie->data[I_HEIGHT];
        if (bmap_cap(h) >= blocks)
            return STORE_OK;
        if (h >= BMAP_MAX_HEIGHT)
            return STORE_E_TOOBIG;
        if (get64(ie->data + I_SIZE) == 0) {
            /* Empty: no pointers and no cached nodes (truncate keeps that true). */
            ie->data[I_HEIGHT] = (uint8_t)(h + 1);
            continue;
        }
        skey k = {K_BMAP, (uint8_t)h, ino, 0};
        store_centry *ne;
        cache_drop(s, &k); /* never a second slot for one key */
        err = cache_alloc(s, &k, &ne);
        if (err != STORE_OK)
            return err;
        memset(ne->data, 0, STORE_SECTOR);
        memcpy(ne->data, ie->data + INODE_ROOTS_OFF, INODE_ROOTS * 8u);
        memset(ie->data + INODE_ROOTS_OFF, 0, INODE_ROOTS * 8u);
        ie->data[I_HEIGHT] = (uint8_t)(h + 1);
        ne->dirty = 1;
        s->ndirty++;
    }
    return bmap_cap(ie->data[I_HEIGHT]) >= blocks ? STORE_OK : STORE_E_TOOBIG;
}

/* Points block blk at p (the tree must already be tall enough); frees the old sector. */
static store_err bmap_set(store *s, uint64_t ino, uint64_t blk, sptr p)
{
    store_centry *ie, *e;
    store_err err = inode_get(s, ino, &ie);
    if (err != STORE_OK)
        return err;
    uint32_t h = ie->data[I_HEIGHT];
    if (blk >= bmap_cap(h))
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_DATA, ino, 0, blk, 0, "block beyond the map");
    uint8_t *base;
    uint32_t slot;
    if (h == 0) {
        e = ie;
        base = ie->data + INODE_ROOTS_OFF;
        slot = (uint32_t)blk;
    } else {
        skey k = {K_BMAP, 0, ino, blk >> 6};
        err = node_load(s, &k, 1, &e);
        if (err != STORE_OK)
            return err;
        base = e->data;
        slot = (uint32_t)(blk & 63);
    }
    err = mark_dirty(s, e);
    if (err != STORE_OK)
        return err;
    sptr old = get_ptr(base, slot);
    set_ptr(base, slot, p);
    if (old.addr != 0)
        sector_free(s, old.addr);
    return STORE_OK;
}

/* Frees every pointer of node (level, idx) of inode ino for blocks >= first (the whole
 * node when it lies entirely beyond: then the node leaves the cache, and the caller frees
 * its sector from the parent's slot). */
static store_err bmap_trim(store *s, uint64_t ino, uint32_t level, uint64_t idx, uint64_t first)
{
    skey k = {K_BMAP, (uint8_t)level, ino, idx};
    uint64_t span = 1; /* blocks per slot of this node */
    for (uint32_t i = 0; i < level; i++)
        span *= PTRS_PER_NODE;
    uint64_t start = idx * span * PTRS_PER_NODE;
    int whole = start >= first;
    store_centry *e;
    store_err err = node_load(s, &k, 0, &e);
    if (err != STORE_OK)
        return err;
    if (e == NULL)
        return STORE_OK;
    if (!whole) {
        err = mark_dirty(s, e);
        if (err != STORE_OK)
            return err;
    }
    for (uint32_t slot = 0; slot < PTRS_PER_NODE; slot++) {
        uint64_t s0 = start + slot * span;
        if (s0 + span <= first)
            continue;
        if (level == 0) {
            sptr p = get_ptr(e->data, slot);
            if (p.addr != 0)
                sector_free(s, p.addr);
            set_ptr(e->data, slot, (sptr){0, 0});
        } else {
            err = bmap_trim(s, ino, level - 1, idx * PTRS_PER_NODE + slot, first);
            if (err != STORE_OK)
                return err;
            /* The child's loads may have evicted e when it is clean (a whole node): load
             * it again; its freed pointers were already cleared in the live map. */
            err = node_load(s, &k, 0, &e);
            if (err != STORE_OK)
                return err;
            if (e == NULL)
                return fault(s, STORE_E_CORRUPT, STORE_OBJ_BMAP, ino, level, idx, 0,
                             "block-map node vanished while trimming");
            if (s0 >= first) {
                sptr p = get_ptr(e->data, slot);
                if (p.addr != 0)
                    sector_free(s, p.addr);
                set_ptr(e->data, slot, (sptr){0, 0});
            }
        }
    }
    if (whole)
        cache_drop(s, &k);
    return STORE_OK;
}

/* Drops blocks >= nb of inode ino; truncating to zero also lowers the tree to height 0. */
static store_err bmap_truncate(store *s, uint64_t ino, uint64_t nb)
{
    store_centry *ie;
    store_err err = inode_dirty(s, ino, &ie);
    if (err != STORE_OK)
        return err;
    uint32_t h = ie->data[I_HEIGHT];
    uint64_t span = bmap_cap(h) / INODE_ROOTS;
    for (uint32_t slot = 0; slot < INODE_ROOTS; slot++) {
        uint64_t s0 = slot * span;
        if (s0 + span <= nb)
            continue;
        if (h > 0) {
            err = bmap_trim(s, ino, h - 1, slot, nb);
            if (err != STORE_OK)
                return err;
        }
        err = inode_get(s, ino, &ie);
        if (err != STORE_OK)
            return err;
        if (h == 0 || s0 >= nb) {
            sptr p = get_ptr(ie->data + INODE_ROOTS_OFF, slot);
            if (p.addr != 0)
                sector_free(s, p.addr);
            set_ptr(ie->data + INODE_ROOTS_OFF, slot, (sptr){0, 0});
        }
    }
    if (nb == 0)
        ie->data[I_HEIGHT] = 0;
    return STORE_OK;
}

/* ---- file data ---- */

static store_err data_read_block(store *s, uint64_t ino, uint64_t blk, uint8_t *buf)
{
    sptr p;
    store_err err = bmap_get(s, ino, blk, &p);
    if (err != STORE_OK)
        return err;
    if (p.addr == 0) {
        memset(buf, 0, STORE_SECTOR);
        return STORE_OK;
    }
    if (p.addr < 2 || p.addr >= s->sectors)
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_DATA, ino, 0, blk, p.addr,
                     "pointer outside the store");
    err = dev_read(s, p.addr, 1, buf);
    if (err != STORE_OK)
        return fault(s, err, STORE_OBJ_DATA, ino, 0, blk, p.addr, "device read failed");
    if (store_crc32c(0, buf, STORE_SECTOR) != p.crc) {
        memset(buf, 0, STORE_SECTOR);
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_DATA, ino, 0, blk, p.addr, "checksum mismatch");
    }
    return STORE_OK;
}

#define RUN_MAX STORE_SUM_RUN /* sectors read in one device request (s->run holds their pointers) */
#define WRITE_RUN_MAX 65536u /* sectors written in one device request (32 MiB) */

/* Reads whole blocks [blk, blk+n) into buf: runs of blocks in consecutive sectors go in one
 * device request, then each block's checksum is compared. */
static store_err data_read_run(store *s, uint64_t ino, uint64_t blk, uint32_t n, uint8_t *buf)
{
    sptr *p = s->run;
    if (n > RUN_MAX)
        return fault(s, STORE_E_INVAL, STORE_OBJ_DATA, ino, 0, blk, 0, "read run too long");
    store_centry *ie, *e = NULL;
    store_err err = inode_get(s, ino, &ie);
    if (err != STORE_OK)
        return err;
    uint32_t h = ie->data[I_HEIGHT];
    uint64_t cap = bmap_cap(h);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t b = blk + i;
        p[i] = (sptr){0, 0};
        if (b >= cap)
            continue;
        if (h == 0) {
            p[i] = get_ptr(ie->data + INODE_ROOTS_OFF, (uint32_t)b);
        } else {
            /* One leaf lookup per 64 blocks; nothing else loads while e is in use. */
            if (i == 0 || (b & 63) == 0) {
                skey k = {K_BMAP, 0, ino, b >> 6};
                err = node_load(s, &k, 0, &e);
                if (err != STORE_OK)
                    return err;
            }
            if (e != NULL)
                p[i] = get_ptr(e->data, (uint32_t)(b & 63));
        }
        if (p[i].addr != 0 && (p[i].addr < 2 || p[i].addr >= s->sectors))
            return fault(s, STORE_E_CORRUPT, STORE_OBJ_DATA, ino, 0, blk + i, p[i].addr,
                         "pointer outside the store");
    }
    for (uint32_t i = 0; i < n;) {
        uint8_t *dst = buf + (size_t)i * STORE_SECTOR;
        if (p[i].addr == 0) {
            memset(dst, 0, STORE_SECTOR);
            i++;
            continue;
        }
        uint32_t k = 1;
        while (i + k < n && p[i + k].addr == p[i].addr + k)
            k++;
        /* With read_sum the sums come from the copy into dst and dst is never read here
         * (it may be a client's dataport); otherwise dst is checksummed after the read. */
        err = s->read_sum != NULL ? dev_read_sum(s, p[i].addr, k, dst)
                                  : dev_read(s, p[i].addr, k, dst);
        if (err != STORE_OK)
            return fault(s, err, STORE_OBJ_DATA, ino, 0, blk + i, p[i].addr, "device read failed");
        for (uint32_t j = 0; j < k; j++) {
            uint32_t sum = s->read_sum != NULL
                               ? s->sums[j]
                               : store_crc32c(0, dst + (size_t)j * STORE_SECTOR, STORE_SECTOR);
            if (sum != p[i + j].crc)
                return fault(s, STORE_E_CORRUPT, STORE_OBJ_DATA, ino, 0, blk + i + j,
                             p[i + j].addr, "checksum mismatch");
        }
        i += k;
    }
    return STORE_OK;
}

/* Reads [off, off+len) of the inode's data (the caller clamps to its size). On any
 * failure the whole buffer is zeroed: damaged bytes are never handed out. */
static store_err data_read(store *s, uint64_t ino, uint64_t off, uint8_t *buf, size_t len)
{
    size_t done = 0;
    for (uint64_t guard = 0; done < len && guard <= len / STORE_SECTOR + 1; guard++) {
        uint64_t pos = off + done;
        uint64_t blk = pos / STORE_SECTOR;
        uint32_t in = (uint32_t)(pos % STORE_SECTOR);
        size_t n = STORE_SECTOR - in;
        if (n > len - done)
            n = len - done;
        store_err err;
        if (in == 0 && n == STORE_SECTOR) {
            size_t whole = (len - done) / STORE_SECTOR;
            uint32_t k = whole > RUN_MAX ? RUN_MAX : (uint32_t)whole;
            err = data_read_run(s, ino, blk, k, buf + done);
            n = (size_t)k * STORE_SECTOR;
        } else {
            err = data_read_block(s, ino, blk, s->tmp);
            if (err == STORE_OK)
                memcpy(buf + done, s->tmp + in, n);
        }
        if (err != STORE_OK) {
            memset(buf, 0, len);
            return err;
        }
        done += n;
    }
    return STORE_OK;
}

/* Points blocks [blk, blk+n) at sectors sec.. (freeing their old sectors), each with the
 * checksum sums[i], or computed from src when sums is NULL: one node load and one
 * mark_dirty per block-map leaf (or the inode's roots at height 0), not per block. */
static store_err point_run(store *s, uint64_t ino, uint64_t blk, uint64_t sec, uint32_t n,
                           const uint8_t *src, const uint32_t *sums)
{
    for (uint32_t i = 0; i < n;) {
        uint64_t b = blk + i;
        store_centry *ie, *e;
        store_err err = inode_get(s, ino, &ie);
        if (err != STORE_OK)
            return err;
        uint32_t h = ie->data[I_HEIGHT];
        uint64_t cap = bmap_cap(h);
        if (b >= cap || n - i > cap - b)
            return fault(s, STORE_E_CORRUPT, STORE_OBJ_DATA, ino, 0, b, 0, "block beyond the map");
        uint8_t *base;
        uint32_t slot, span;
        if (h == 0) {
            e = ie;
            base = ie->data + INODE_ROOTS_OFF;
            slot = (uint32_t)b;
            span = n - i;
        } else {
            skey k = {K_BMAP, 0, ino, b >> 6};
            err = node_load(s, &k, 1, &e);
            if (err != STORE_OK)
                return err;
            base = e->data;
            slot = (uint32_t)(b & 63);
            span = PTRS_PER_NODE - slot;
            if (span > n - i)
                span = n - i;
        }
        /* Dirty before anything else loads: a dirty node is never evicted, so base stays. */
        err = mark_dirty(s, e);
        if (err != STORE_OK)
            return err;
        for (uint32_t j = 0; j < span; j++) {
            uint32_t crc = sums != NULL ? sums[i + j]
                                        : store_crc32c(0, src + (size_t)(i + j) * STORE_SECTOR, STORE_SECTOR);
            sptr old = get_ptr(base, slot + j);
            set_ptr(base, slot + j, (sptr){(uint32_t)(sec + i + j), crc});
            if (old.addr != 0)
                sector_free(s, old.addr);
        }
        i += span;
    }
    return STORE_OK;
}

/* Writes a run of fresh consecutive sectors, then points the blocks at them. Through the
 * device's write_sum when there is one: the checksums are then of the bytes the device
 * took, and src is not read here at all. */
static store_err write_run(store *s, uint64_t ino, uint64_t blk, uint64_t sec, uint32_t n,
                           const uint8_t *src)
{
    if (s->write_sum == NULL) {
        store_err err = n > 0 ? dev_write(s, sec, n, src) : STORE_OK;
        return err != STORE_OK ? err : point_run(s, ino, blk, sec, n, src, NULL);
    }
    for (uint32_t i = 0; i < n;) {
        uint32_t k = n - i > STORE_SUM_RUN ? STORE_SUM_RUN : n - i;
        store_err err = dev_write_sum(s, sec + i, k, src + (size_t)i * STORE_SECTOR);
        if (err == STORE_OK)
            err = point_run(s, ino, blk + i, sec + i, k, NULL, s->sums);
        if (err != STORE_OK)
            return err;
        i += k;
    }
    return STORE_OK;
}

/* Writes [off, off+len) copy-on-write: every touched block goes to a fresh sector. The
 * caller has checked space, quota and cache room, and grows the size. */
static store_err data_write(store *s, uint64_t ino, uint64_t off, const uint8_t *buf, size_t len)
{
    if (len == 0)
        return STORE_OK;
    store_err err = bmap_grow(s, ino, (off + len + STORE_SECTOR - 1) / STORE_SECTOR);
    if (err != STORE_OK)
        return err;
    store_centry *ie;
    err = inode_get(s, ino, &ie);
    if (err != STORE_OK)
        return err;
    uint64_t size = get64(ie->data + I_SIZE);
    size_t done = 0;
    for (uint64_t guard = 0; done < len && guard <= len / STORE_SECTOR + 1; guard++) {
        uint64_t pos = off + done;
        uint64_t blk = pos / STORE_SECTOR;
        uint32_t in = (uint32_t)(pos % STORE_SECTOR);
        size_t n = STORE_SECTOR - in;
        if (n > len - done)
            n = len - done;
        const uint8_t *src = buf + done;
        uint64_t sec;
        if (in != 0 || n != STORE_SECTOR) {
            /* Part of a block: read, merge, write the whole block anew. */
            if (blk * STORE_SECTOR < size) {
                err = data_read_block(s, ino, blk, s->tmp2);
                if (err != STORE_OK)
                    return err;
            } else {
                memset(s->tmp2, 0, STORE_SECTOR);
            }
            memcpy(s->tmp2 + in, src, n);
            if (sector_alloc_run(s, 1, &sec) == 0)
                return fault(s, STORE_E_NOSPC, STORE_OBJ_DATA, ino, 0, blk, 0, "no free sector");
            err = write_run(s, ino, blk, sec, 1, s->tmp2);
        } else {
            /* Whole blocks: as many as lie in a row of free sectors, in one request. */
            size_t whole = (len - done) / STORE_SECTOR;
            uint32_t want = whole > WRITE_RUN_MAX ? WRITE_RUN_MAX : (uint32_t)whole;
            uint32_t got = sector_alloc_run(s, want, &sec);
            if (got == 0)
                return fault(s, STORE_E_NOSPC, STORE_OBJ_DATA, ino, 0, blk, 0, "no free sector");
            err = write_run(s, ino, blk, sec, got, src);
            n = (size_t)got * STORE_SECTOR;
        }
        if (err != STORE_OK)
            return err;
        done += n;
    }
    err = inode_get(s, ino, &ie);
    if (err != STORE_OK)
        return err;
    if (off + len > get64(ie->data + I_SIZE))
        put64(ie->data + I_SIZE, off + len);
    return STORE_OK;
}

/* Sets the size: frees blocks beyond it and zeroes the tail of a partial last block, so
 * bytes past the end always read as zero when the file grows again. */
static store_err data_truncate(store *s, uint64_t ino, uint64_t size)
{
    store_centry *ie;
    store_err err = inode_dirty(s, ino, &ie);
    if (err != STORE_OK)
        return err;
    uint64_t old = get64(ie->data + I_SIZE);
    if (size >= old) {
        err = bmap_grow(s, ino, (size + STORE_SECTOR - 1) / STORE_SECTOR);
        if (err != STORE_OK)
            return err;
        err = inode_get(s, ino, &ie);
        if (err == STORE_OK)
            put64(ie->data + I_SIZE, size);
        return err;
    }
    uint32_t tail = (uint32_t)(size % STORE_SECTOR);
    if (tail != 0) {
        uint64_t blk = size / STORE_SECTOR;
        sptr p;
        err = bmap_get(s, ino, blk, &p);
        if (err != STORE_OK)
            return err;
        if (p.addr != 0) {
            err = data_read_block(s, ino, blk, s->tmp2);
            if (err != STORE_OK)
                return err;
            memset(s->tmp2 + tail, 0, STORE_SECTOR - tail);
            uint64_t sec = sector_alloc(s);
            if (sec == 0)
                return fault(s, STORE_E_NOSPC, STORE_OBJ_DATA, ino, 0, blk, 0, "no free sector");
            err = dev_write(s, sec, 1, s->tmp2);
            if (err != STORE_OK)
                return err;
            err = bmap_set(s, ino, blk, (sptr){(uint32_t)sec, store_crc32c(0, s->tmp2, STORE_SECTOR)});
            if (err != STORE_OK)
                return err;
        }
    }
    err = bmap_truncate(s, ino, (size + STORE_SECTOR - 1) / STORE_SECTOR);
    if (err != STORE_OK)
        return err;
    err = inode_get(s, ino, &ie);
    if (err == STORE_OK)
        put64(ie->data + I_SIZE, size);
    return err;
}

/* ---- commit ---- */

static void sb_encode_raw(uint8_t *b, uint64_t gen, uint64_t sectors, uint64_t inode_max,
                          uint64_t next_birth, uint32_t itab_height, const uint8_t *roots)
{
    memset(b, 0, STORE_SECTOR);
    put64(b + 0, SB_MAGIC);
    put32(b + 8, SB_VERSION);
    put32(b + 12, STORE_SECTOR);
    put64(b + 16, gen);
    put64(b + 24, sectors);
    put64(b + 32, inode_max);
    put64(b + 40, next_birth);
    put32(b + 48, itab_height);
    memcpy(b + SB_ROOTS_OFF, roots, SB_ROOTS * 8u);
    put32(b + SB_CRC_OFF, store_crc32c(0, b, SB_CRC_OFF));
}

static void sb_encode(const store *s, uint64_t gen, uint8_t *b)
{
    sb_encode_raw(b, gen, s->sectors, s->inode_max, s->next_birth, s->itab_height, s->roots);
}

static int rank_of(const store_centry *e)
{
    if (e->kind == K_BMAP)
        return e->level;
    if (e->kind == K_INODE)
        return 3;
    return 4 + e->level;
}

/* The gathered nodes (s->gather[0..*n), bound for sectors *first..) in one request. */
static store_err gather_flush(store *s, uint64_t first, uint32_t *n)
{
    store_err err = *n > 0 ? dev_write(s, first, *n, s->gather) : STORE_OK;
    *n = 0;
    return err;
}

/* Writes every dirty node bottom-up to fresh sectors, flushes, writes the other
 * superblock, flushes again: the superblock write is the commit point. A node's sector
 * and checksum are settled once every node below it has its own (a lower rank), so each
 * is copied into the gather buffer as it gets its sector: nodes in consecutive sectors
 * (the usual case, the allocator taking them in a row) go out in one request, and every
 * one of them is written before the flush that precedes the superblock, as before. */
static store_err commit(store *s)
{
    if (s->broken != STORE_OK)
        return STORE_E_BROKEN;
    if (s->ndirty == 0 && !s->sb_dirty)
        return STORE_OK;
    store_err err = STORE_OK;
    /* One pass sorts the dirty nodes into a list per rank (linked through `pad`). */
    uint32_t head[6];
    for (int r = 0; r < 6; r++)
        head[r] = NIL;
    for (uint32_t i = 0; i < s->ncache; i++) {
        store_centry *e = &s->cache[i];
        if (e->used && e->dirty) {
            int r = rank_of(e);
            e->pad = head[r];
            head[r] = i;
        }
    }
    uint64_t g_first = 0;
    uint32_t g_n = 0;
    for (int rank = 0; rank < 6 && err == STORE_OK; rank++) {
        uint32_t next = head[rank];
        for (uint32_t n = 0; next != NIL && n < s->ncache && err == STORE_OK; n++) {
            store_centry *e = &s->cache[next];
            next = e->pad;
            skey k = {e->kind, e->level, e->ino, e->idx}, pk;
            uint32_t slot;
            int in_sb;
            err = parent_of(s, &k, &pk, &slot, &in_sb);
            if (err != STORE_OK)
                break;
            uint8_t *base = s->roots;
            if (!in_sb) {
                store_centry *pe = cache_find(s, &pk);
                if (pe == NULL || !pe->dirty) {
                    err = fault(s, STORE_E_CORRUPT, key_obj(&k), k.ino, k.level, k.idx, 0,
                                "internal: dirty node without a dirty parent");
                    break;
                }
                base = ptr_base(s, pe);
            }
            uint64_t sec = sector_alloc(s);
            if (sec == 0) {
                err = fault(s, STORE_E_NOSPC, key_obj(&k), k.ino, k.level, k.idx, 0,
                            "internal: no sector for a reserved node");
                break;
            }
            if (g_n > 0 && (g_n == STORE_GATHER || sec != g_first + g_n)) {
                err = gather_flush(s, g_first, &g_n);
                if (err != STORE_OK)
                    break;
            }
            if (g_n == 0)
                g_first = sec;
            memcpy(s->gather[g_n++], e->data, STORE_SECTOR);
            sptr old = get_ptr(base, slot);
            set_ptr(base, slot, (sptr){(uint32_t)sec, store_crc32c(0, e->data, STORE_SECTOR)});
            if (old.addr != 0)
                sector_free(s, old.addr);
            e->dirty = 0;
            s->ndirty--;
        }
    }
    if (err == STORE_OK)
        err = gather_flush(s, g_first, &g_n);
    if (err == STORE_OK)
        err = dev_flush(s);
    if (err == STORE_OK) {
        uint64_t gen = s->gen + 1;
        sb_encode(s, gen, s->tmp);
        err = dev_write(s, gen & 1, 1, s->tmp);
        if (err == STORE_OK)
            err = dev_flush(s);
        if (err == STORE_OK) {
            s->gen = gen;
            s->sb_slot = (uint32_t)(gen & 1);
        }
    }
    if (err != STORE_OK) {
        s->broken = err;
        return err;
    }
    /* Durable: what the old tree alone used is free now. */
    uint64_t n = words(s->sectors);
    memcpy(s->committed, s->live, n * 8u);
    s->avail += s->pending_free;
    s->pending_free = 0;
    s->sb_dirty = 0;
    s->stats.commits++;
    return STORE_OK;
}

store_err store_sync(store *s)
{
    if (s == NULL || s->dev == NULL)
        return STORE_E_INVAL;
    return commit(s);
}

store_err store_use_write_sum(store *s, store_write_sum_fn fn)
{
    if (s == NULL || s->dev == NULL)
        return STORE_E_INVAL;
    s->write_sum = fn;
    return STORE_OK;
}

store_err store_use_read_sum(store *s, store_read_sum_fn fn)
{
    if (s == NULL || s->dev == NULL)
        return STORE_E_INVAL;
    s->read_sum = fn;
    return STORE_OK;
}

/* ---- mount and mkfs ---- */

size_t store_mem_size(uint64_t sectors, uint64_t inode_max, uint32_t cache_nodes)
{
    uint32_t nhash = 1;
    while (nhash < cache_nodes && nhash < (1u << 30))
        nhash <<= 1;
    return (size_t)(3 * words(sectors) + 4 * words(inode_max)) * 8u + (size_t)nhash * 4u +
           (size_t)cache_nodes * sizeof(store_centry) + 8u;
}

static store_err dev_check(const store_dev *dev)
{
    if (dev == NULL || dev->read == NULL || dev->write == NULL || dev->flush == NULL)
        return STORE_E_INVAL;
    if (dev->block_size != STORE_SECTOR || dev->block_count < STORE_MIN_SECTORS ||
        dev->block_count > 0xffffffffull)
        return STORE_E_DEVICE;
    return STORE_OK;
}

static void inode_init(uint8_t *d, uint64_t ino, uint32_t type, uint64_t parent, uint64_t birth)
{
    memset(d, 0, STORE_SECTOR);
    put32(d + I_MAGIC, INODE_MAGIC);
    d[I_TYPE] = (uint8_t)type;
    put64(d + I_INO, ino);
    put64(d + I_PARENT, parent);
    put64(d + I_BIRTH, birth);
    put64(d + I_QBYTES, STORE_UNLIMITED);
    put64(d + I_QENT, STORE_UNLIMITED);
}

store_err store_mkfs(const store_dev *dev, uint64_t inode_max)
{
    store_err err = dev_check(dev);
    if (err != STORE_OK)
        return err;
    if (inode_max < 2 || inode_max > STORE_INODES_MAX)
        return STORE_E_INVAL;
    uint8_t buf[STORE_SECTOR], roots[SB_ROOTS * 8u];
    memset(roots, 0, sizeof roots);
    inode_init(buf, ROOT_INO, STORE_T_DIR, 0, 1);
    set_ptr(roots, ROOT_INO, (sptr){2, store_crc32c(0, buf, STORE_SECTOR)});
    if (dev->write(dev->ctx, 2, 1, buf) != 0)
        return STORE_E_IO;
    /* Both slots cleared first, so no older store's superblock outlives this one. */
    memset(buf, 0, sizeof buf);
    if (dev->write(dev->ctx, 0, 1, buf) != 0 || dev->write(dev->ctx, 1, 1, buf) != 0 ||
        dev->flush(dev->ctx) != 0)
        return STORE_E_IO;
    sb_encode_raw(buf, 1, dev->block_count, inode_max, 2, 0, roots);
    if (dev->write(dev->ctx, 1, 1, buf) != 0 || dev->flush(dev->ctx) != 0)
        return STORE_E_IO;
    return STORE_OK;
}

static int sb_decode(store *s, const uint8_t *b, uint64_t *gen)
{
    if (get64(b) != SB_MAGIC || get32(b + 8) != SB_VERSION || get32(b + 12) != STORE_SECTOR)
        return 0;
    if (store_crc32c(0, b, SB_CRC_OFF) != get32(b + SB_CRC_OFF))
        return 0;
    uint64_t sectors = get64(b + 24), imax = get64(b + 32);
    uint32_t h = get32(b + 48);
    if (sectors < STORE_MIN_SECTORS || sectors > s->dev->block_count || h > ITAB_MAX_HEIGHT ||
        imax < 2 || imax > STORE_INODES_MAX || get64(b + 16) == 0)
        return 0;
    *gen = get64(b + 16);
    return 1;
}

/* Walks one block-map node (or, at data level, marks data sectors), verifying checksums
 * and that nothing points past the file's size. */
static store_err walk_mark(store *s, uint64_t *map, uint64_t sec, store_obj obj, uint64_t ino,
                           uint32_t level, uint64_t index)
{
    if (sec < 2 || sec >= s->sectors)
        return fault(s, STORE_E_CORRUPT, obj, ino, level, index, sec, "pointer outside the store");
    if (bit_get(map, sec))
        return fault(s, STORE_E_CORRUPT, obj, ino, level, index, sec,
                     "sector referenced twice");
    bit_set(map, sec);
    return STORE_OK;
}

static void check_data_problem(store *s, uint64_t ino, uint64_t blk, uint64_t sec);

/* A data block's checksum, for check: a mismatch is one more problem, and the walk goes on
 * so that every damaged block gets named. */
static store_err verify_block(store *s, uint64_t ino, uint64_t blk, sptr c)
{
    store_err err = dev_read(s, c.addr, 1, s->tmp);
    if (err != STORE_OK)
        return err;
    if (store_crc32c(0, s->tmp, STORE_SECTOR) != c.crc)
        check_data_problem(s, ino, blk, c.addr);
    return STORE_OK;
}

static store_err walk_bmap(store *s, uint64_t *map, uint64_t ino, uint32_t level, uint64_t idx,
                           sptr p, uint64_t nblocks, int verify_data, uint32_t depth)
{
    skey k = {K_BMAP, (uint8_t)level, ino, idx};
    store_err err = walk_mark(s, map, p.addr, STORE_OBJ_BMAP, ino, level, idx);
    if (err != STORE_OK)
        return err;
    uint8_t *buf = s->walk[depth];
    err = read_node(s, &k, p, buf);
    if (err != STORE_OK)
        return err;
    uint64_t span = 1;
    for (uint32_t i = 0; i < level; i++)
        span *= PTRS_PER_NODE;
    for (uint32_t slot = 0; slot < PTRS_PER_NODE; slot++) {
        sptr c = get_ptr(buf, slot);
        uint64_t first = (idx * PTRS_PER_NODE + slot) * span;
        if (c.addr == 0)
            continue;
        if (first >= nblocks)
            return fault(s, STORE_E_CORRUPT, STORE_OBJ_BMAP, ino, level, idx, p.addr,
                         "pointer beyond the end of the file");
        if (level == 0) {
            err = walk_mark(s, map, c.addr, STORE_OBJ_DATA, ino, 0, first);
            if (err == STORE_OK && verify_data)
                err = verify_block(s, ino, first, c);
        } else {
            err = walk_bmap(s, map, ino, level - 1, idx * PTRS_PER_NODE + slot, c, nblocks,
                            verify_data, depth + 1);
            /* The recursion reused deeper buffers only; buf is intact. */
        }
        if (err != STORE_OK)
            return err;
    }
    return STORE_OK;
}

static store_err walk_inode(store *s, uint64_t *map, uint64_t ino, sptr p, int verify_data,
                            uint32_t depth)
{
    skey k = {K_INODE, 0, ino, 0};
    store_err err = walk_mark(s, map, p.addr, STORE_OBJ_INODE, ino, 0, 0);
    if (err != STORE_OK)
        return err;
    uint8_t *buf = s->walk[depth];
    err = read_node(s, &k, p, buf);
    if (err != STORE_OK)
        return err;
    if (!verify_data) {
        bit_set(s->inodes, ino);
        s->ninodes++;
    }
    uint32_t h = buf[I_HEIGHT];
    uint64_t nblocks = (get64(buf + I_SIZE) + STORE_SECTOR - 1) / STORE_SECTOR;
    uint64_t span = bmap_cap(h) / INODE_ROOTS;
    for (uint32_t slot = 0; slot < INODE_ROOTS; slot++) {
        sptr c = get_ptr(buf + INODE_ROOTS_OFF, slot);
        if (c.addr == 0)
            continue;
        if (slot * span >= nblocks)
            return fault(s, STORE_E_CORRUPT, STORE_OBJ_INODE, ino, 0, 0, p.addr,
                         "pointer beyond the end of the file");
        if (h == 0) {
            err = walk_mark(s, map, c.addr, STORE_OBJ_DATA, ino, 0, slot);
            if (err == STORE_OK && verify_data)
                err = verify_block(s, ino, slot, c);
        } else {
            err = walk_bmap(s, map, ino, h - 1, slot, c, nblocks, verify_data, depth + 1);
        }
        if (err != STORE_OK)
            return err;
    }
    for (uint32_t i = INODE_ROOTS_OFF + INODE_ROOTS * 8u; i < STORE_SECTOR; i++)
        if (buf[i] != 0)
            return fault(s, STORE_E_CORRUPT, STORE_OBJ_INODE, ino, 0, 0, p.addr,
                         "reserved bytes not zero");
    return STORE_OK;
}

static store_err walk_itab(store *s, uint64_t *map, uint32_t level, uint64_t idx, sptr p,
                           int verify_data, uint32_t depth)
{
    skey k = {K_ITAB, (uint8_t)level, 0, idx};
    store_err err = walk_mark(s, map, p.addr, STORE_OBJ_ITAB, 0, level, idx);
    if (err != STORE_OK)
        return err;
    uint8_t *buf = s->walk[depth];
    err = read_node(s, &k, p, buf);
    if (err != STORE_OK)
        return err;
    for (uint32_t slot = 0; slot < PTRS_PER_NODE; slot++) {
        sptr c = get_ptr(buf, slot);
        uint64_t child = idx * PTRS_PER_NODE + slot;
        if (c.addr == 0)
            continue;
        if (level == 0) {
            if (child == 0 || child >= s->inode_max)
                return fault(s, STORE_E_CORRUPT, STORE_OBJ_ITAB, 0, level, idx, p.addr,
                             "inode number out of range");
            err = walk_inode(s, map, child, c, verify_data, depth + 1);
        } else {
            err = walk_itab(s, map, level - 1, child, c, verify_data, depth + 1);
        }
        if (err != STORE_OK)
            return err;
    }
    return STORE_OK;
}

static store_err walk_all(store *s, uint64_t *map, int verify_data)
{
    memset(map, 0, words(s->sectors) * 8u);
    bit_set(map, 0);
    bit_set(map, 1);
    for (uint32_t slot = 0; slot < SB_ROOTS; slot++) {
        sptr c = get_ptr(s->roots, slot);
        store_err err = STORE_OK;
        if (c.addr == 0)
            continue;
        if (s->itab_height == 0) {
            if (slot == 0 || slot >= s->inode_max)
                return fault(s, STORE_E_CORRUPT, STORE_OBJ_SUPER, 0, 0, s->sb_slot, s->sb_slot,
                             "inode number out of range");
            err = walk_inode(s, map, slot, c, verify_data, 0);
        } else {
            err = walk_itab(s, map, s->itab_height - 1, slot, c, verify_data, 0);
        }
        if (err != STORE_OK)
            return err;
    }
    return STORE_OK;
}

/* Free sectors in 2 .. sectors-1 (the superblocks' bits are always set). */
static uint64_t count_free(const store *s)
{
    uint64_t used = 0, w = words(s->sectors);
    for (uint64_t i = 0; i < w; i++) {
        uint64_t m = s->live[i];
        if (i == w - 1 && (s->sectors & 63) != 0)
            m &= (1ull << (s->sectors & 63)) - 1;
        used += (uint64_t)__builtin_popcountll(m);
    }
    return s->sectors - used;
}

store_err store_mount(store *s, const store_dev *dev, void *mem, size_t memlen)
{
    if (s == NULL || mem == NULL || ((uintptr_t)mem & 7u) != 0)
        return STORE_E_INVAL;
    store_err err = dev_check(dev);
    if (err != STORE_OK)
        return err;
    memset(s, 0, sizeof *s);
    s->dev = dev;
    s->sectors = dev->block_count;
    uint64_t best = 0;
    int have = 0;
    for (uint32_t slot = 0; slot < 2; slot++) {
        uint64_t gen;
        err = dev_read(s, slot, 1, s->walk[slot]);
        if (err != STORE_OK)
            return err;
        if (sb_decode(s, s->walk[slot], &gen) && (!have || gen > best) && (gen & 1) == slot) {
            best = gen;
            s->sb_slot = slot;
            have = 1;
        }
    }
    if (!have)
        return fault(s, STORE_E_NOSTORE, STORE_OBJ_SUPER, 0, 0, 0, 0, "no valid superblock");
    const uint8_t *b = s->walk[s->sb_slot];
    s->gen = best;
    s->sectors = get64(b + 24);
    s->inode_max = get64(b + 32);
    s->next_birth = get64(b + 40);
    s->itab_height = get32(b + 48);
    memcpy(s->roots, b + SB_ROOTS_OFF, SB_ROOTS * 8u);
    if (get_ptr(s->roots, 0).addr != 0 && s->itab_height == 0)
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_SUPER, 0, 0, s->sb_slot, s->sb_slot,
                     "inode 0 present");

    /* Lay out the working memory: maps first, the cache takes the rest. */
    uint64_t sw = words(s->sectors), iw = words(s->inode_max);
    size_t fixed = (size_t)(3 * sw + 4 * iw) * 8u;
    if (memlen < fixed + 8u)
        return fault(s, STORE_E_NOMEM, STORE_OBJ_NONE, 0, 0, 0, 0, "memory below the maps");
    uint64_t *m = mem;
    s->live = m;
    s->committed = m + sw;
    s->check_map = m + 2 * sw;
    s->inodes = m + 3 * sw;
    s->seen = m + 3 * sw + iw;
    s->reach = m + 3 * sw + 2 * iw;
    s->bad = m + 3 * sw + 3 * iw;
    size_t rest = memlen - fixed;
    uint32_t n = (uint32_t)(rest / (sizeof(store_centry) + 4u));
    if (rest / (sizeof(store_centry) + 4u) > 65536)
        n = 65536;
    uint32_t nhash = 1;
    while (nhash * 2u <= n)
        nhash <<= 1;
    /* nhash <= n; recompute n with the hash table's real size. */
    if (n < STORE_MIN_NODES)
        return fault(s, STORE_E_NOMEM, STORE_OBJ_NONE, 0, 0, 0, 0, "memory for fewer than 64 cached nodes");
    uint8_t *after = (uint8_t *)(m + 3 * sw + 4 * iw);
    s->hash = (uint32_t *)(void *)after;
    s->nhash = nhash;
    size_t hbytes = ((size_t)nhash * 4u + 7u) & ~(size_t)7u;
    s->cache = (store_centry *)(void *)(after + hbytes);
    s->ncache = (uint32_t)((rest - hbytes) / sizeof(store_centry));
    if (s->ncache > n)
        s->ncache = n;
    if (s->ncache < STORE_MIN_NODES)
        return fault(s, STORE_E_NOMEM, STORE_OBJ_NONE, 0, 0, 0, 0, "memory for fewer than 64 cached nodes");
    memset(s->hash, 0xff, (size_t)nhash * 4u);
    memset(s->cache, 0, (size_t)s->ncache * sizeof(store_centry));
    memset(s->inodes, 0, iw * 8u);

    err = walk_all(s, s->live, 0);
    if (err != STORE_OK)
        return err;
    if (!bit_get(s->inodes, ROOT_INO))
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_INODE, ROOT_INO, 0, 0, 0, "root inode missing");
    memcpy(s->committed, s->live, sw * 8u);
    s->avail = count_free(s);
    s->alloc_cursor = 2;
    s->inode_cursor = 2;
    s->fault.err = STORE_OK;
    return STORE_OK;
}

uint64_t store_max_write(const store *s)
{
    /* Block-map leaves of 32 KiB each, plus their parents and the inode path. */
    if (s->ncache <= CACHE_SLACK + 24)
        return 0;
    return (uint64_t)(s->ncache - CACHE_SLACK - 24) / 2 * PTRS_PER_NODE * STORE_SECTOR;
}

/* ---- names and paths ---- */

typedef struct dent {
    uint64_t ino;
    uint32_t type;
    uint32_t len;
    char name[STORE_NAME_MAX + 1];
} dent;

/* One directory record; 0 when the record is malformed (damage). */
static int dent_decode(const uint8_t *r, dent *d)
{
    d->ino = get64(r);
    d->type = r[8];
    d->len = r[9];
    if (d->ino == 0) {
        for (uint32_t i = 0; i < DIRENT_SIZE; i++)
            if (r[i] != 0)
                return 0;
        return 1;
    }
    if ((d->type != STORE_T_FILE && d->type != STORE_T_DIR) || d->len == 0 ||
        d->len > STORE_NAME_MAX)
        return 0;
    for (uint32_t i = 0; i < d->len; i++) {
        if (r[10 + i] == 0 || r[10 + i] == '/')
            return 0;
        d->name[i] = (char)r[10 + i];
    }
    for (uint32_t i = 10 + d->len; i < DIRENT_SIZE; i++)
        if (r[i] != 0)
            return 0;
    d->name[d->len] = '\0';
    if ((d->len == 1 && d->name[0] == '.') || (d->len == 2 && d->name[0] == '.' && d->name[1] == '.'))
        return 0;
    return 1;
}

static void dent_encode(uint8_t *r, uint64_t ino, uint32_t type, const char *name, uint32_t len)
{
    memset(r, 0, DIRENT_SIZE);
    if (ino == 0)
        return;
    put64(r, ino);
    r[8] = (uint8_t)type;
    r[9] = (uint8_t)len;
    memcpy(r + 10, name, len);
}

/* Keeps a copy of directory dir's block blk, which pointer p names (p's checksum already
 * matched buf), replacing the oldest copy. */
static void dcache_put(store *s, uint64_t dir, uint64_t blk, sptr p, const uint8_t *buf)
{
    store_dblock *d = NULL;
    for (uint32_t i = 0; i < STORE_DCACHE && d == NULL; i++)
        if (s->dcache[i].addr != 0 && s->dcache[i].ino == dir && s->dcache[i].blk == blk)
            d = &s->dcache[i]; /* an older copy of the same block */
    if (d == NULL) {
        d = &s->dcache[s->dcache_next];
        s->dcache_next = (s->dcache_next + 1) % STORE_DCACHE;
    }
    d->ino = dir;
    d->blk = blk;
    d->addr = p.addr;
    d->crc = p.crc;
    memcpy(d->data, buf, STORE_SECTOR);
    /* The range of the kept sectors, for sector_free's quick test. */
    s->dcache_lo = UINT32_MAX;
    s->dcache_hi = 0;
    for (uint32_t i = 0; i < STORE_DCACHE; i++) {
        uint32_t a = s->dcache[i].addr;
        if (a != 0 && a < s->dcache_lo)
            s->dcache_lo = a;
        if (a > s->dcache_hi)
            s->dcache_hi = a;
    }
}

/* Block blk of directory dir: a kept copy when the directory still points at the same
 * sector with the same checksum (sectors are never rewritten in place, and a freed one
 * is forgotten at once), else read and verified from the device like any data. Every
 * path lookup reads its directories' blocks: this saves a device request per component.
 * store_check never uses it: it verifies what the device holds. */
static store_err dir_block(store *s, uint64_t dir, uint64_t blk, uint8_t *buf)
{
    sptr p;
    store_err err = bmap_get(s, dir, blk, &p);
    if (err != STORE_OK)
        return err;
    for (uint32_t i = 0; i < STORE_DCACHE && p.addr != 0; i++) {
        const store_dblock *d = &s->dcache[i];
        if (d->addr == p.addr && d->crc == p.crc && d->ino == dir && d->blk == blk) {
            memcpy(buf, d->data, STORE_SECTOR);
            return STORE_OK;
        }
    }
    err = data_read_block(s, dir, blk, buf);
    if (err == STORE_OK && p.addr != 0)
        dcache_put(s, dir, blk, p, buf);
    return err;
}

/* Finds name in directory dir: *slot its record, *d the entry; STORE_E_NOENT, with
 * *free_slot the first reusable record (or the end). */
static store_err dir_lookup(store *s, uint64_t dir, const char *name, uint32_t len, dent *d,
                            uint64_t *slot, uint64_t *free_slot)
{
    store_centry *ie;
    store_err err = inode_get(s, dir, &ie);
    if (err != STORE_OK)
        return err;
    if (ie->data[I_TYPE] != STORE_T_DIR)
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_INODE, dir, 0, 0, 0,
                     "entry of type directory names a file");
    uint64_t size = get64(ie->data + I_SIZE);
    uint64_t nrec = size / DIRENT_SIZE;
    uint64_t fs = nrec;
    uint8_t *buf = s->walk[7];
    for (uint64_t r = 0; r < nrec; r++) {
        if (r % DIRENTS_PER_SECTOR == 0) {
            err = dir_block(s, dir, r / DIRENTS_PER_SECTOR, buf);
            if (err != STORE_OK)
                return err;
        }
        dent e;
        if (!dent_decode(buf + (r % DIRENTS_PER_SECTOR) * DIRENT_SIZE, &e))
            return fault(s, STORE_E_CORRUPT, STORE_OBJ_DIRENT, dir, 0, r, 0,
                         "malformed directory entry");
        if (e.ino == 0) {
            if (fs == nrec)
                fs = r;
            continue;
        }
        if (e.len == len && memcmp(e.name, name, len) == 0) {
            if (e.ino >= s->inode_max)
                return fault(s, STORE_E_CORRUPT, STORE_OBJ_DIRENT, dir, 0, r, 0,
                             "entry names an inode out of range");
            store_centry *ce;
            err = inode_get(s, e.ino, &ce);
            if (err != STORE_OK)
                return err;
            if (ce->data[I_TYPE] != e.type)
                return fault(s, STORE_E_CORRUPT, STORE_OBJ_DIRENT, dir, 0, r, 0,
                             "entry type differs from its inode");
            *d = e;
            *slot = r;
            if (free_slot != NULL)
                *free_slot = fs;
            return STORE_OK;
        }
    }
    if (free_slot != NULL)
        *free_slot = fs;
    return STORE_E_NOENT;
}

typedef struct walkres {
    uint64_t parent;      /* directory holding the last component (or the root itself) */
    uint64_t ino;         /* the object, 0 when absent */
    uint32_t type;
    uint64_t slot, free_slot;
    const char *name;     /* last component */
    uint32_t len;
    uint32_t depth;       /* directories from the client's root to parent */
} walkres;

static store_err check_root(store *s, const store_root *root)
{
    if (root == NULL)
        return STORE_E_INVAL;
    if (root->ino == 0 || root->ino >= s->inode_max || !bit_get(s->inodes, root->ino))
        return STORE_E_STALE;
    store_centry *ie;
    store_err err = inode_get(s, root->ino, &ie);
    if (err != STORE_OK)
        return err;
    if (ie->data[I_TYPE] != STORE_T_DIR || get64(ie->data + I_BIRTH) != root->birth)
        return STORE_E_STALE;
    return STORE_OK;
}

/* Resolves path below root. Nothing can name anything above root: absolute paths, '.'
 * and '..' are refused outright (not clamped), as are empty and overlong components. */
static store_err resolve(store *s, const store_root *root, const char *path, walkres *w)
{
    if (path == NULL)
        return STORE_E_INVAL;
    if (s->broken != STORE_OK)
        return STORE_E_BROKEN; /* the cache holds half an operation: show none of it */
    store_err err = check_root(s, root);
    if (err != STORE_OK)
        return err;
    size_t plen = 0;
    while (plen <= STORE_PATH_MAX && path[plen] != '\0')
        plen++;
    if (plen > STORE_PATH_MAX)
        return STORE_E_PATHTOOLONG;
    if (path[0] == '/')
        return STORE_E_ABSOLUTE;
    memset(w, 0, sizeof *w);
    w->parent = root->ino;
    w->ino = root->ino;
    w->type = STORE_T_DIR;
    if (plen == 0)
        return STORE_OK;
    /* Validate the whole path before looking anything up. */
    uint32_t comps = 0;
    for (size_t i = 0; i <= plen;) {
        size_t j = i;
        while (j < plen && path[j] != '/')
            j++;
        size_t n = j - i;
        if (n == 0)
            return STORE_E_EMPTYNAME;
        if ((n == 1 && path[i] == '.') || (n == 2 && path[i] == '.' && path[i + 1] == '.'))
            return STORE_E_DOTDOT;
        if (n > STORE_NAME_MAX)
            return STORE_E_NAMETOOLONG;
        if (++comps > STORE_PATH_DEPTH)
            return STORE_E_PATHTOOLONG;
        i = j + 1;
    }
    uint64_t cur = root->ino;
    for (size_t i = 0, c = 0; c < comps; c++) {
        size_t j = i;
        while (j < plen && path[j] != '/')
            j++;
        w->parent = cur;
        w->name = path + i;
        w->len = (uint32_t)(j - i);
        w->depth = (uint32_t)c;
        dent d;
        err = dir_lookup(s, cur, w->name, w->len, &d, &w->slot, &w->free_slot);
        if (err == STORE_E_NOENT) {
            w->ino = 0;
            w->type = 0;
            return c + 1 == comps ? STORE_OK : STORE_E_NOENT;
        }
        if (err != STORE_OK)
            return err;
        w->ino = d.ino;
        w->type = d.type;
        if (c + 1 < comps && d.type != STORE_T_DIR)
            return STORE_E_NOTDIR;
        cur = d.ino;
        i = j + 1;
    }
    return STORE_OK;
}

/* ---- usage, quotas, budgets ---- */

typedef struct usage {
    uint64_t bytes, entries;
} usage;

static store_err usage_of(store *s, uint64_t ino, usage *u)
{
    store_centry *ie;
    store_err err = inode_get(s, ino, &ie);
    if (err != STORE_OK)
        return err;
    if (ie->data[I_TYPE] == STORE_T_DIR) {
        u->bytes = get64(ie->data + I_UBYTES);
        u->entries = get64(ie->data + I_UENT) + 1;
    } else {
        u->bytes = get64(ie->data + I_SIZE);
        u->entries = 1;
    }
    return STORE_OK;
}

/* A parent chain longer than the inodes in use has a loop (only a damaged disk makes one):
 * every walk up the tree stops there. */
static uint64_t chain_max(const store *s)
{
    return s->ninodes + 1;
}

/* Directories from dir up to the store's root (inclusive). */
static store_err depth_of(store *s, uint64_t dir, uint64_t *depth)
{
    uint64_t cur = dir;
    for (uint64_t n = 0; n < chain_max(s); n++) {
        if (cur == ROOT_INO) {
            *depth = n + 1;
            return STORE_OK;
        }
        store_centry *ie;
        store_err err = inode_get(s, cur, &ie);
        if (err != STORE_OK)
            return err;
        cur = get64(ie->data + I_PARENT);
        if (cur == 0)
            break;
    }
    return fault(s, STORE_E_CORRUPT, STORE_OBJ_INODE, dir, 0, 0, 0,
                 "parent chain does not reach the root");
}

static uint64_t parent_ino(store *s, uint64_t ino)
{
    store_centry *ie;
    if (inode_get(s, ino, &ie) != STORE_OK)
        return 0;
    return get64(ie->data + I_PARENT);
}

/* Would adding (db, de) at dir and each of its ancestors up to (not including) stop break
 * a quota? */
static store_err quota_check(store *s, uint64_t dir, uint64_t stop, uint64_t db, uint64_t de)
{
    uint64_t cur = dir;
    for (uint64_t n = 0; n < chain_max(s) && cur != 0 && cur != stop; n++) {
        store_centry *ie;
        store_err err = inode_get(s, cur, &ie);
        if (err != STORE_OK)
            return err;
        const uint8_t *d = ie->data;
        if (d[I_FLAGS] & F_QUOTA) {
            uint64_t ub = get64(d + I_UBYTES), ue = get64(d + I_UENT);
            if (db > 0 && (ub + db < ub || ub + db > get64(d + I_QBYTES)))
                return STORE_E_QUOTA_BYTES;
            if (de > 0 && (ue + de < ue || ue + de > get64(d + I_QENT)))
                return STORE_E_QUOTA_ENTRIES;
        }
        cur = get64(d + I_PARENT);
    }
    return STORE_OK;
}

/* Adds (sign * (db, de)) to the usage of dir and every ancestor. */
static store_err usage_add(store *s, uint64_t dir, int sign, uint64_t db, uint64_t de)
{
    uint64_t cur = dir;
    if (db == 0 && de == 0)
        return STORE_OK;
    for (uint64_t n = 0; n < chain_max(s) && cur != 0; n++) {
        store_centry *ie;
        store_err err = inode_dirty(s, cur, &ie);
        if (err != STORE_OK)
            return err;
        uint8_t *d = ie->data;
        uint64_t ub = get64(d + I_UBYTES), ue = get64(d + I_UENT);
        if (sign < 0) {
            if (ub < db || ue < de)
                return fault(s, STORE_E_CORRUPT, STORE_OBJ_INODE, cur, 0, 0, 0,
                             "subtree usage below zero");
            ub -= db;
            ue -= de;
        } else {
            ub += db;
            ue += de;
        }
        put64(d + I_UBYTES, ub);
        put64(d + I_UENT, ue);
        cur = get64(d + I_PARENT);
    }
    return STORE_OK;
}

/* Block-map nodes a write of blocks [b0, b1] can dirty at height h. */
static uint64_t bmap_nodes(uint64_t b0, uint64_t b1, uint32_t h)
{
    uint64_t n = 0, shift = 6;
    for (uint32_t l = 0; l < h; l++, shift += 6)
        n += (b1 >> shift) - (b0 >> shift) + 1;
    return n + h; /* growth: one new node per level */
}

static uint32_t height_for(uint64_t blocks)
{
    uint32_t h = 0;
    while (h < BMAP_MAX_HEIGHT && bmap_cap(h) < blocks)
        h++;
    return h;
}

/* What an operation may consume: `meta` metadata nodes, `data` fresh data sectors.
 * Checked before anything changes; commits first when the cache (or space held by the
 * old tree) runs short. */
static store_err budget(store *s, uint64_t meta, uint64_t data, int shrinking)
{
    if (s->broken != STORE_OK)
        return STORE_E_BROKEN;
    if (meta + CACHE_SLACK > s->ncache)
        return STORE_E_TOOBIG;
    if (s->ndirty + meta + CACHE_SLACK > s->ncache) {
        store_err err = commit(s);
        if (err != STORE_OK)
            return err;
    }
    uint64_t reserve = shrinking ? 0 : SPACE_RESERVE;
    for (int round = 0; round < 2; round++) {
        if (s->avail >= s->ndirty + meta + data + reserve)
            return STORE_OK;
        if (round == 0 && s->pending_free > 0) {
            store_err err = commit(s);
            if (err != STORE_OK)
                return err;
            continue;
        }
        break;
    }
    return STORE_E_NOSPC;
}

/* Nodes one inode's path can dirty: the inode and its inode-table nodes (one more level
 * if the table grows). */
static uint64_t inode_cost(const store *s)
{
    return 1 + s->itab_height + 1;
}

/* An operation failing after it began changing the cache leaves a half-done transaction:
 * the store refuses everything until remounted (the disk holds the last commit). */
static store_err fail(store *s, store_err err)
{
    if (err != STORE_OK && s->broken == STORE_OK)
        s->broken = err;
    return err;
}

/* ---- directory records ---- */

static store_err dir_put(store *s, uint64_t dir, uint64_t slot, uint64_t ino, uint32_t type,
                         const char *name, uint32_t len)
{
    uint8_t rec[DIRENT_SIZE];
    dent_encode(rec, ino, type, name, len);
    store_err err = data_write(s, dir, slot * DIRENT_SIZE, rec, DIRENT_SIZE);
    if (err != STORE_OK)
        return err;
    /* A record is less than a block, so data_write merged the block in tmp2: keep it for
     * the next lookup when it is what the directory now points at (its checksum says). */
    sptr p;
    uint64_t blk = slot / DIRENTS_PER_SECTOR;
    err = bmap_get(s, dir, blk, &p);
    if (err == STORE_OK && p.addr != 0 && store_crc32c(0, s->tmp2, STORE_SECTOR) == p.crc)
        dcache_put(s, dir, blk, p, s->tmp2);
    return err;
}

static store_err dir_add_count(store *s, uint64_t dir, int delta)
{
    store_centry *ie;
    store_err err = inode_dirty(s, dir, &ie);
    if (err != STORE_OK)
        return err;
    uint64_t n = get64(ie->data + I_NENT);
    if (delta < 0 && n == 0)
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_INODE, dir, 0, 0, 0, "entry count below zero");
    n = delta < 0 ? n - 1 : n + 1;
    put64(ie->data + I_NENT, n);
    if (n == 0)
        return data_truncate(s, dir, 0);
    return STORE_OK;
}

/* Cost of one record write into a directory of size `size`. */
static uint64_t dir_cost(store *s, uint64_t dir, uint64_t slot)
{
    store_centry *ie;
    uint64_t size = 0;
    if (inode_get(s, dir, &ie) == STORE_OK)
        size = get64(ie->data + I_SIZE);
    uint64_t b = slot * DIRENT_SIZE / STORE_SECTOR;
    uint64_t blocks = (size > (slot + 1) * DIRENT_SIZE ? size : (slot + 1) * DIRENT_SIZE);
    blocks = (blocks + STORE_SECTOR - 1) / STORE_SECTOR;
    return bmap_nodes(b, b, height_for(blocks)) + inode_cost(s);
}

static store_err inode_alloc(store *s, uint64_t *ino)
{
    uint64_t cur = s->inode_cursor;
    for (uint64_t n = 0; n < s->inode_max; n++) {
        if (cur < 2 || cur >= s->inode_max)
            cur = 2;
        if (!bit_get(s->inodes, cur)) {
            *ino = cur;
            s->inode_cursor = cur + 1;
            return STORE_OK;
        }
        cur++;
    }
    return STORE_E_NOINODE;
}

/* The inode table grows one level when ino does not fit. */
static store_err itab_grow(store *s, uint64_t ino)
{
    for (int round = 0; round < (int)ITAB_MAX_HEIGHT; round++) {
        if (ino < itab_cap(s->itab_height))
            return STORE_OK;
        if (s->itab_height >= ITAB_MAX_HEIGHT)
            return STORE_E_NOINODE;
        skey k = {K_ITAB, (uint8_t)s->itab_height, 0, 0};
        store_centry *ne;
        cache_drop(s, &k);
        store_err err = cache_alloc(s, &k, &ne);
        if (err != STORE_OK)
            return err;
        memset(ne->data, 0, STORE_SECTOR);
        memcpy(ne->data, s->roots, SB_ROOTS * 8u);
        memset(s->roots, 0, sizeof s->roots);
        s->itab_height++;
        ne->dirty = 1;
        s->ndirty++;
        s->sb_dirty = 1;
    }
    return ino < itab_cap(s->itab_height) ? STORE_OK : STORE_E_NOINODE;
}

/* Removes inode ino (its data first) from the table. */
static store_err inode_free(store *s, uint64_t ino)
{
    store_err err = data_truncate(s, ino, 0);
    if (err != STORE_OK)
        return err;
    skey k = {K_INODE, 0, ino, 0}, pk;
    uint8_t *base = s->roots;
    uint32_t slot;
    int in_sb;
    err = parent_of(s, &k, &pk, &slot, &in_sb);
    if (err != STORE_OK)
        return err;
    if (in_sb) {
        s->sb_dirty = 1;
    } else {
        store_centry *pe;
        err = node_load(s, &pk, 1, &pe);
        if (err == STORE_OK)
            err = mark_dirty(s, pe);
        if (err != STORE_OK)
            return err;
        base = pe->data;
    }
    sptr old = get_ptr(base, slot);
    set_ptr(base, slot, (sptr){0, 0});
    if (old.addr != 0)
        sector_free(s, old.addr);
    cache_drop(s, &k);
    bit_clr(s->inodes, ino);
    s->ninodes--;
    return STORE_OK;
}

/* ---- operations ---- */

static store_err make(store *s, const store_root *root, const char *path, uint32_t type)
{
    walkres w;
    store_err err = resolve(s, root, path, &w);
    if (err != STORE_OK)
        return err;
    if (w.name == NULL)
        return STORE_E_NEEDNAME;
    if (w.ino != 0)
        return STORE_E_EXIST;
    store_centry *pe;
    err = inode_get(s, w.parent, &pe);
    if (err != STORE_OK)
        return err;
    if (pe->data[I_TYPE] != STORE_T_DIR)
        return STORE_E_NOTDIR;
    err = quota_check(s, w.parent, 0, 0, 1);
    if (err != STORE_OK)
        return err;
    uint64_t ino;
    err = inode_alloc(s, &ino);
    if (err != STORE_OK)
        return err;
    uint64_t depth;
    err = depth_of(s, w.parent, &depth);
    if (err != STORE_OK)
        return err;
    uint64_t meta = dir_cost(s, w.parent, w.free_slot) + inode_cost(s) * (depth + 1);
    err = budget(s, meta, 1, 0);
    if (err != STORE_OK)
        return err;
    /* A commit inside budget() may have evicted nodes; nothing we hold is a pointer. */
    err = itab_grow(s, ino);
    if (err != STORE_OK)
        return fail(s, err);
    skey k = {K_INODE, 0, ino, 0};
    store_centry *ne;
    err = node_load(s, &k, 1, &ne);
    if (err != STORE_OK)
        return fail(s, err);
    inode_init(ne->data, ino, type, w.parent, s->next_birth++);
    err = mark_dirty(s, ne);
    if (err != STORE_OK)
        return fail(s, err);
    s->sb_dirty = 1;
    bit_set(s->inodes, ino);
    s->ninodes++;
    err = dir_put(s, w.parent, w.free_slot, ino, type, w.name, w.len);
    if (err == STORE_OK)
        err = dir_add_count(s, w.parent, +1);
    if (err == STORE_OK)
        err = usage_add(s, w.parent, +1, 0, 1);
    return fail(s, err);
}

store_err store_create(store *s, const store_root *root, const char *path)
{
    if (s == NULL || s->dev == NULL)
        return STORE_E_INVAL;
    return make(s, root, path, STORE_T_FILE);
}

store_err store_mkdir(store *s, const store_root *root, const char *path)
{
    if (s == NULL || s->dev == NULL)
        return STORE_E_INVAL;
    return make(s, root, path, STORE_T_DIR);
}

store_err store_root_handle(store *s, store_root *out)
{
    if (s == NULL || s->dev == NULL || out == NULL)
        return STORE_E_INVAL;
    store_centry *ie;
    store_err err = inode_get(s, ROOT_INO, &ie);
    if (err != STORE_OK)
        return err;
    out->ino = ROOT_INO;
    out->birth = get64(ie->data + I_BIRTH);
    return STORE_OK;
}

store_err store_open_subtree(store *s, const store_root *root, const char *path, store_root *out)
{
    if (s == NULL || s->dev == NULL || out == NULL)
        return STORE_E_INVAL;
    walkres w;
    store_err err = resolve(s, root, path, &w);
    if (err != STORE_OK)
        return err;
    if (w.ino == 0)
        return STORE_E_NOENT;
    if (w.type != STORE_T_DIR)
        return STORE_E_NOTDIR;
    store_centry *ie;
    err = inode_get(s, w.ino, &ie);
    if (err != STORE_OK)
        return err;
    out->ino = w.ino;
    out->birth = get64(ie->data + I_BIRTH);
    return STORE_OK;
}

static store_err resolve_file(store *s, const store_root *root, const char *path, walkres *w)
{
    store_err err = resolve(s, root, path, w);
    if (err != STORE_OK)
        return err;
    if (w->ino == 0)
        return STORE_E_NOENT;
    if (w->type != STORE_T_FILE)
        return STORE_E_ISDIR;
    return STORE_OK;
}

store_err store_write(store *s, const store_root *root, const char *path, uint64_t off,
                      const void *buf, size_t len)
{
    if (s == NULL || s->dev == NULL || (buf == NULL && len > 0))
        return STORE_E_INVAL;
    walkres w;
    store_err err = resolve_file(s, root, path, &w);
    if (err != STORE_OK)
        return err;
    if (len == 0)
        return STORE_OK;
    uint64_t max = bmap_cap(BMAP_MAX_HEIGHT) * STORE_SECTOR;
    if (off > max || len > max - off)
        return STORE_E_TOOBIG;
    store_centry *ie;
    err = inode_get(s, w.ino, &ie);
    if (err != STORE_OK)
        return err;
    uint64_t size = get64(ie->data + I_SIZE);
    uint64_t end = off + len;
    uint64_t grow = end > size ? end - size : 0;
    err = quota_check(s, w.parent, 0, grow, 0);
    if (err != STORE_OK)
        return err;
    uint64_t b0 = off / STORE_SECTOR, b1 = (end - 1) / STORE_SECTOR;
    uint64_t blocks = (end > size ? end : size);
    blocks = (blocks + STORE_SECTOR - 1) / STORE_SECTOR;
    uint64_t depth = 0;
    if (grow > 0) {
        err = depth_of(s, w.parent, &depth);
        if (err != STORE_OK)
            return err;
    }
    uint64_t meta = bmap_nodes(b0, b1, height_for(blocks)) + inode_cost(s) * (depth + 1);
    err = budget(s, meta, b1 - b0 + 1, 0);
    if (err != STORE_OK)
        return err;
    err = data_write(s, w.ino, off, buf, len);
    if (err == STORE_OK)
        err = usage_add(s, w.parent, +1, grow, 0);
    return fail(s, err);
}

store_err store_read(store *s, const store_root *root, const char *path, uint64_t off,
                     void *buf, size_t len, size_t *got)
{
    if (s == NULL || s->dev == NULL || (buf == NULL && len > 0) || got == NULL)
        return STORE_E_INVAL;
    *got = 0;
    walkres w;
    store_err err = resolve_file(s, root, path, &w);
    if (err != STORE_OK)
        return err;
    store_centry *ie;
    err = inode_get(s, w.ino, &ie);
    if (err != STORE_OK)
        return err;
    uint64_t size = get64(ie->data + I_SIZE);
    if (off >= size)
        return STORE_OK;
    size_t n = len;
    if (n > size - off)
        n = (size_t)(size - off);
    err = data_read(s, w.ino, off, buf, n);
    if (err == STORE_OK)
        *got = n;
    return err;
}

store_err store_truncate(store *s, const store_root *root, const char *path, uint64_t size)
{
    if (s == NULL || s->dev == NULL)
        return STORE_E_INVAL;
    walkres w;
    store_err err = resolve_file(s, root, path, &w);
    if (err != STORE_OK)
        return err;
    if (size > bmap_cap(BMAP_MAX_HEIGHT) * STORE_SECTOR)
        return STORE_E_TOOBIG;
    store_centry *ie;
    err = inode_get(s, w.ino, &ie);
    if (err != STORE_OK)
        return err;
    uint64_t old = get64(ie->data + I_SIZE);
    if (old == size)
        return STORE_OK;
    uint32_t h = ie->data[I_HEIGHT];
    uint64_t depth;
    err = depth_of(s, w.parent, &depth);
    if (err != STORE_OK)
        return err;
    uint64_t meta = inode_cost(s) * (depth + 1);
    if (size > old) {
        err = quota_check(s, w.parent, 0, size - old, 0);
        if (err != STORE_OK)
            return err;
        meta += height_for((size + STORE_SECTOR - 1) / STORE_SECTOR);
        err = budget(s, meta, 0, 0);
    } else {
        uint64_t b = size / STORE_SECTOR;
        /* The partial tail block's path, and one node per level at the cut. */
        meta += bmap_nodes(b, b, h) + 2u * h;
        err = budget(s, meta, 1, 1);
    }
    if (err != STORE_OK)
        return err;
    err = data_truncate(s, w.ino, size);
    if (err == STORE_OK)
        err = size > old ? usage_add(s, w.parent, +1, size - old, 0)
                         : usage_add(s, w.parent, -1, old - size, 0);
    return fail(s, err);
}

static store_err remove_obj(store *s, const store_root *root, const char *path, uint32_t type)
{
    walkres w;
    store_err err = resolve(s, root, path, &w);
    if (err != STORE_OK)
        return err;
    if (w.name == NULL)
        return STORE_E_NEEDNAME;
    if (w.ino == 0)
        return STORE_E_NOENT;
    if (w.type != type)
        return type == STORE_T_DIR ? STORE_E_NOTDIR : STORE_E_ISDIR;
    store_centry *ie;
    err = inode_get(s, w.ino, &ie);
    if (err != STORE_OK)
        return err;
    if (type == STORE_T_DIR && get64(ie->data + I_NENT) != 0)
        return STORE_E_NOTEMPTY;
    uint32_t h = ie->data[I_HEIGHT];
    usage u;
    err = usage_of(s, w.ino, &u);
    if (err != STORE_OK)
        return err;
    uint64_t depth;
    err = depth_of(s, w.parent, &depth);
    if (err != STORE_OK)
        return err;
    uint64_t meta = dir_cost(s, w.parent, w.slot) + inode_cost(s) * (depth + 1) + 2u * h + 2u;
    err = budget(s, meta, 1, 1);
    if (err != STORE_OK)
        return err;
    err = inode_free(s, w.ino);
    if (err == STORE_OK)
        err = dir_put(s, w.parent, w.slot, 0, 0, NULL, 0);
    if (err == STORE_OK)
        err = dir_add_count(s, w.parent, -1);
    if (err == STORE_OK)
        err = usage_add(s, w.parent, -1, u.bytes, u.entries);
    return fail(s, err);
}

store_err store_unlink(store *s, const store_root *root, const char *path)
{
    if (s == NULL || s->dev == NULL)
        return STORE_E_INVAL;
    return remove_obj(s, root, path, STORE_T_FILE);
}

store_err store_rmdir(store *s, const store_root *root, const char *path)
{
    if (s == NULL || s->dev == NULL)
        return STORE_E_INVAL;
    return remove_obj(s, root, path, STORE_T_DIR);
}

/* The lowest common ancestor of directories a and b. */
static store_err lca(store *s, uint64_t a, uint64_t b, uint64_t *out)
{
    uint64_t da, db;
    store_err err = depth_of(s, a, &da);
    if (err == STORE_OK)
        err = depth_of(s, b, &db);
    if (err != STORE_OK)
        return err;
    for (uint64_t n = 0; n < chain_max(s) && da > db; n++, da--)
        a = parent_ino(s, a);
    for (uint64_t n = 0; n < chain_max(s) && db > da; n++, db--)
        b = parent_ino(s, b);
    for (uint64_t n = 0; n < chain_max(s) && a != b && a != 0 && b != 0; n++) {
        a = parent_ino(s, a);
        b = parent_ino(s, b);
    }
    if (a != b || a == 0)
        return fault(s, STORE_E_CORRUPT, STORE_OBJ_INODE, a, 0, 0, 0, "directories share no root");
    *out = a;
    return STORE_OK;
}

store_err store_rename(store *s, const store_root *root, const char *from, const char *to)
{
    if (s == NULL || s->dev == NULL)
        return STORE_E_INVAL;
    walkres a, b;
    store_err err = resolve(s, root, from, &a);
    if (err != STORE_OK)
        return err;
    if (a.name == NULL)
        return STORE_E_NEEDNAME;
    if (a.ino == 0)
        return STORE_E_NOENT;
    /* Keep a's name: b's resolution reuses nothing of a's, but paths are the caller's. */
    err = resolve(s, root, to, &b);
    if (err != STORE_OK)
        return err;
    if (b.name == NULL)
        return STORE_E_NEEDNAME;
    if (b.ino == a.ino)
        return STORE_OK;
    if (b.ino != 0) {
        if (a.type == STORE_T_DIR && b.type != STORE_T_DIR)
            return STORE_E_NOTDIR;
        if (a.type != STORE_T_DIR && b.type == STORE_T_DIR)
            return STORE_E_ISDIR;
        if (b.type == STORE_T_DIR) {
            store_centry *ye;
            err = inode_get(s, b.ino, &ye);
            if (err != STORE_OK)
                return err;
            if (get64(ye->data + I_NENT) != 0)
                return STORE_E_NOTEMPTY;
        }
    }
    if (a.type == STORE_T_DIR) {
        uint64_t cur = b.parent;
        for (uint64_t n = 0; n < chain_max(s) && cur != 0; n++) {
            if (cur == a.ino)
                return STORE_E_CYCLE;
            cur = parent_ino(s, cur);
        }
    }
    usage x, y = {0, 0};
    err = usage_of(s, a.ino, &x);
    if (err == STORE_OK && b.ino != 0)
        err = usage_of(s, b.ino, &y);
    uint64_t top;
    if (err == STORE_OK)
        err = lca(s, a.parent, b.parent, &top);
    if (err != STORE_OK)
        return err;
    /* Below the common ancestor the destination side gains x and loses y. */
    uint64_t gb = x.bytes > y.bytes ? x.bytes - y.bytes : 0;
    uint64_t ge = x.entries > y.entries ? x.entries - y.entries : 0;
    if (b.parent != top) {
        err = quota_check(s, b.parent, top, gb, ge);
        if (err != STORE_OK)
            return err;
    }
    uint64_t da, db, yh = 0;
    err = depth_of(s, a.parent, &da);
    if (err == STORE_OK)
        err = depth_of(s, b.parent, &db);
    if (err != STORE_OK)
        return err;
    if (b.ino != 0) {
        store_centry *ye;
        err = inode_get(s, b.ino, &ye);
        if (err != STORE_OK)
            return err;
        yh = ye->data[I_HEIGHT];
    }
    uint64_t bslot = b.ino != 0 ? b.slot : b.free_slot;
    uint64_t meta = dir_cost(s, a.parent, a.slot) + dir_cost(s, b.parent, bslot) +
                    inode_cost(s) * (da + db + 3) + 2u * yh + 2u;
    err = budget(s, meta, 2, 0);
    if (err != STORE_OK)
        return err;
    if (b.ino != 0) {
        err = inode_free(s, b.ino);
        if (err != STORE_OK)
            return fail(s, err);
    }
    if (a.parent == b.parent && b.ino == 0) {
        err = dir_put(s, a.parent, a.slot, a.ino, a.type, b.name, b.len);
    } else {
        err = dir_put(s, b.parent, bslot, a.ino, a.type, b.name, b.len);
        if (err == STORE_OK && b.ino == 0)
            err = dir_add_count(s, b.parent, +1);
        if (err == STORE_OK)
            err = dir_put(s, a.parent, a.slot, 0, 0, NULL, 0);
        if (err == STORE_OK)
            err = dir_add_count(s, a.parent, -1);
    }
    store_centry *xe;
    if (err == STORE_OK)
        err = inode_dirty(s, a.ino, &xe);
    if (err == STORE_OK)
        put64(xe->data + I_PARENT, b.parent);
    if (err == STORE_OK)
        err = usage_add(s, a.parent, -1, x.bytes, x.entries);
    if (err == STORE_OK)
        err = usage_add(s, b.parent, -1, y.bytes, y.entries);
    if (err == STORE_OK)
        err = usage_add(s, b.parent, +1, x.bytes, x.entries);
    return fail(s, err);
}

static void fill_stat(const uint8_t *d, store_stat *st)
{
    st->type = d[I_TYPE];
    st->ino = get64(d + I_INO);
    st->size = get64(d + I_SIZE);
    st->entries = get64(d + I_NENT);
    st->used_bytes = get64(d + I_UBYTES);
    st->used_entries = get64(d + I_UENT);
    int q = (d[I_FLAGS] & F_QUOTA) != 0;
    st->quota_bytes = q ? get64(d + I_QBYTES) : STORE_UNLIMITED;
    st->quota_entries = q ? get64(d + I_QENT) : STORE_UNLIMITED;
}

store_err store_stat_path(store *s, const store_root *root, const char *path, store_stat *out)
{
    if (s == NULL || s->dev == NULL || out == NULL)
        return STORE_E_INVAL;
    walkres w;
    store_err err = resolve(s, root, path, &w);
    if (err != STORE_OK)
        return err;
    if (w.ino == 0)
        return STORE_E_NOENT;
    store_centry *ie;
    err = inode_get(s, w.ino, &ie);
    if (err != STORE_OK)
        return err;
    fill_stat(ie->data, out);
    return STORE_OK;
}

store_err store_list(store *s, const store_root *root, const char *path, uint64_t *cookie,
                     store_dirent *out)
{
    if (s == NULL || s->dev == NULL || cookie == NULL || out == NULL)
        return STORE_E_INVAL;
    walkres w;
    store_err err = resolve(s, root, path, &w);
    if (err != STORE_OK)
        return err;
    if (w.ino == 0)
        return STORE_E_NOENT;
    if (w.type != STORE_T_DIR)
        return STORE_E_NOTDIR;
    store_centry *ie;
    err = inode_get(s, w.ino, &ie);
    if (err != STORE_OK)
        return err;
    uint64_t nrec = get64(ie->data + I_SIZE) / DIRENT_SIZE;
    uint8_t *buf = s->walk[7];
    for (uint64_t r = *cookie; r < nrec; r++) {
        if (r == *cookie || r % DIRENTS_PER_SECTOR == 0) {
            err = dir_block(s, w.ino, r / DIRENTS_PER_SECTOR, buf);
            if (err != STORE_OK)
                return err;
        }
        dent d;
        if (!dent_decode(buf + (r % DIRENTS_PER_SECTOR) * DIRENT_SIZE, &d))
            return fault(s, STORE_E_CORRUPT, STORE_OBJ_DIRENT, w.ino, 0, r, 0,
                         "malformed directory entry");
        if (d.ino == 0)
            continue;
        store_centry *ce;
        err = inode_get(s, d.ino, &ce);
        if (err != STORE_OK)
            return err;
        memcpy(out->name, d.name, d.len + 1);
        out->type = d.type;
        out->ino = d.ino;
        out->size = get64(ce->data + I_SIZE);
        *cookie = r + 1;
        return STORE_OK;
    }
    *cookie = nrec;
    return STORE_E_END;
}

store_err store_set_quota(store *s, const store_root *root, const char *path, uint64_t bytes,
                          uint64_t entries)
{
    if (s == NULL || s->dev == NULL)
        return STORE_E_INVAL;
    walkres w;
    store_err err = resolve(s, root, path, &w);
    if (err != STORE_OK)
        return err;
    if (w.ino == 0)
        return STORE_E_NOENT;
    if (w.type != STORE_T_DIR)
        return STORE_E_NOTDIR;
    err = budget(s, inode_cost(s), 0, 0);
    if (err != STORE_OK)
        return err;
    store_centry *ie;
    err = inode_dirty(s, w.ino, &ie);
    if (err != STORE_OK)
        return fail(s, err);
    int none = bytes == STORE_UNLIMITED && entries == STORE_UNLIMITED;
    ie->data[I_FLAGS] = none ? 0 : F_QUOTA;
    put64(ie->data + I_QBYTES, bytes);
    put64(ie->data + I_QENT, entries);
    return STORE_OK;
}

/* ---- check ---- */

typedef struct checker {
    store *s;
    store_report_fn report;
    void *ctx;
    uint64_t problems;
} checker;

static void problem(checker *c, store_err e, store_obj obj, uint64_t ino, uint64_t index,
                    uint64_t sector, const char *what)
{
    store_fault f = {e, obj, 0, ino, index, sector, what};
    char line[160];
    c->problems++;
    if (c->problems == 1)
        c->s->fault = f;
    if (c->report != NULL) {
        store_fault_format(&f, line, sizeof line);
        c->report(c->ctx, line);
    }
}

static void check_data_problem(store *s, uint64_t ino, uint64_t blk, uint64_t sec)
{
    if (s->check_ctx != NULL)
        problem(s->check_ctx, STORE_E_CORRUPT, STORE_OBJ_DATA, ino, blk, sec, "checksum mismatch");
}

static void check_dir(checker *c, uint64_t dir)
{
    store *s = c->s;
    store_centry *ie;
    if (inode_get(s, dir, &ie) != STORE_OK) {
        problem(c, s->fault.err, s->fault.obj, s->fault.ino, s->fault.index, s->fault.sector,
                s->fault.what);
        return;
    }
    uint64_t nrec = get64(ie->data + I_SIZE) / DIRENT_SIZE;
    uint64_t want_n = get64(ie->data + I_NENT), want_b = get64(ie->data + I_UBYTES),
             want_e = get64(ie->data + I_UENT);
    uint64_t n = 0, sum_b = 0, sum_e = 0;
    uint8_t *buf = s->walk[6];
    for (uint64_t r = 0; r < nrec; r++) {
        if (r % DIRENTS_PER_SECTOR == 0 && data_read_block(s, dir, r / DIRENTS_PER_SECTOR, buf) != STORE_OK) {
            problem(c, s->fault.err, s->fault.obj, s->fault.ino, s->fault.index, s->fault.sector,
                    s->fault.what);
            return;
        }
        dent d;
        if (!dent_decode(buf + (r % DIRENTS_PER_SECTOR) * DIRENT_SIZE, &d)) {
            problem(c, STORE_E_CORRUPT, STORE_OBJ_DIRENT, dir, r, 0, "malformed directory entry");
            continue;
        }
        if (d.ino == 0)
            continue;
        n++;
        if (d.ino == ROOT_INO) {
            problem(c, STORE_E_CORRUPT, STORE_OBJ_DIRENT, dir, r, 0, "entry names the root");
            continue;
        }
        if (d.ino >= s->inode_max || !bit_get(s->inodes, d.ino)) {
            problem(c, STORE_E_CORRUPT, STORE_OBJ_DIRENT, dir, r, 0, "entry names no inode");
            continue;
        }
        if (bit_get(s->seen, d.ino)) {
            problem(c, STORE_E_CORRUPT, STORE_OBJ_DIRENT, dir, r, 0,
                    "inode named by a second entry");
            continue;
        }
        bit_set(s->seen, d.ino);
        store_centry *ce;
        if (inode_get(s, d.ino, &ce) != STORE_OK) {
            problem(c, s->fault.err, s->fault.obj, s->fault.ino, s->fault.index, s->fault.sector,
                    s->fault.what);
            continue;
        }
        if (ce->data[I_TYPE] != d.type)
            problem(c, STORE_E_CORRUPT, STORE_OBJ_DIRENT, dir, r, 0, "entry type differs from its inode");
        if (get64(ce->data + I_PARENT) != dir)
            problem(c, STORE_E_CORRUPT, STORE_OBJ_INODE, d.ino, 0, 0, "parent is not the directory naming it");
        if (ce->data[I_TYPE] == STORE_T_DIR) {
            sum_b += get64(ce->data + I_UBYTES);
            sum_e += get64(ce->data + I_UENT) + 1;
        } else {
            sum_b += get64(ce->data + I_SIZE);
            sum_e += 1;
        }
        /* Names are unique within the directory: compare with every later entry. */
        uint8_t *buf2 = s->walk[5];
        uint64_t loaded = UINT64_MAX;
        for (uint64_t q = r + 1; q < nrec; q++) {
            if (q / DIRENTS_PER_SECTOR != loaded) {
                loaded = q / DIRENTS_PER_SECTOR;
                if (data_read_block(s, dir, loaded, buf2) != STORE_OK)
                    break;
            }
            dent e2;
            if (dent_decode(buf2 + (q % DIRENTS_PER_SECTOR) * DIRENT_SIZE, &e2) && e2.ino != 0 &&
                e2.len == d.len && memcmp(e2.name, d.name, d.len) == 0) {
                problem(c, STORE_E_CORRUPT, STORE_OBJ_DIRENT, dir, q, 0, "duplicate name");
                break;
            }
        }
        /* buf (walk[6]) is untouched by the inner scan. */
    }
    if (n != want_n)
        problem(c, STORE_E_CORRUPT, STORE_OBJ_INODE, dir, 0, 0, "entry count differs from the entries");
    if (sum_b != want_b || sum_e != want_e)
        problem(c, STORE_E_CORRUPT, STORE_OBJ_INODE, dir, 0, 0, "subtree usage differs from its contents");
}

store_err store_check(store *s, store_report_fn report, void *ctx, uint64_t *problems)
{
    if (s == NULL || s->dev == NULL || problems == NULL)
        return STORE_E_INVAL;
    *problems = 0;
    if (s->broken != STORE_OK)
        return STORE_E_BROKEN;
    if (s->ndirty != 0 || s->sb_dirty)
        return STORE_E_BUSY;
    checker c = {s, report, ctx, 0};
    /* Every metadata node and every data block, read from the disk again. */
    s->check_ctx = &c;
    store_err err = walk_all(s, s->check_map, 1);
    s->check_ctx = NULL;
    if (err != STORE_OK) {
        problem(&c, err, s->fault.obj, s->fault.ino, s->fault.index, s->fault.sector, s->fault.what);
        *problems = c.problems;
        return STORE_OK;
    }
    for (uint64_t i = 2; i < s->sectors; i++) {
        int a = bit_get(s->check_map, i), b = bit_get(s->live, i);
        if (a != b)
            problem(&c, STORE_E_CORRUPT, STORE_OBJ_SECTOR, 0, 0, i,
                    a ? "sector in use but marked free" : "sector marked used but unreachable");
    }
    memset(s->seen, 0, words(s->inode_max) * 8u);
    for (uint64_t ino = 1; ino < s->inode_max; ino++) {
        if (!bit_get(s->inodes, ino))
            continue;
        store_centry *ie;
        if (inode_get(s, ino, &ie) != STORE_OK) {
            problem(&c, s->fault.err, s->fault.obj, s->fault.ino, s->fault.index, s->fault.sector,
                    s->fault.what);
            continue;
        }
        uint32_t type = ie->data[I_TYPE];
        uint64_t size = get64(ie->data + I_SIZE);
        if (type == STORE_T_DIR)
            check_dir(&c, ino);
        if (size % STORE_SECTOR != 0) {
            uint8_t *buf = s->walk[4];
            if (data_read_block(s, ino, size / STORE_SECTOR, buf) != STORE_OK) {
                problem(&c, s->fault.err, s->fault.obj, s->fault.ino, s->fault.index,
                        s->fault.sector, s->fault.what);
            } else {
                for (uint32_t i = (uint32_t)(size % STORE_SECTOR); i < STORE_SECTOR; i++)
                    if (buf[i] != 0) {
                        problem(&c, STORE_E_CORRUPT, STORE_OBJ_DATA, ino, size / STORE_SECTOR, 0,
                                "bytes past the end of the file not zero");
                        break;
                    }
            }
        }
    }
    /* Reachability in linear time: walk up from each inode until the root or an inode
     * already judged; then mark the whole path reached, or bad if it met a loop or a bad
     * inode (so a loop costs one walk, not one per inode hanging from it). */
    memset(s->reach, 0, words(s->inode_max) * 8u);
    memset(s->bad, 0, words(s->inode_max) * 8u);
    bit_set(s->reach, ROOT_INO);
    for (uint64_t ino = 2; ino < s->inode_max; ino++) {
        if (!bit_get(s->inodes, ino))
            continue;
        if (!bit_get(s->seen, ino))
            problem(&c, STORE_E_CORRUPT, STORE_OBJ_INODE, ino, 0, 0, "inode named by no entry");
        uint64_t cur = ino, n = 0;
        int good = 0;
        for (; n < chain_max(s); n++) {
            if (cur == 0 || cur >= s->inode_max || !bit_get(s->inodes, cur) || bit_get(s->bad, cur))
                break;
            if (bit_get(s->reach, cur)) {
                good = 1;
                break;
            }
            cur = parent_ino(s, cur);
        }
        cur = ino;
        for (uint64_t m = 0; m < n && cur != 0 && cur < s->inode_max; m++) {
            bit_set(good ? s->reach : s->bad, cur);
            cur = parent_ino(s, cur);
        }
        if (!good) {
            bit_set(s->bad, ino);
            problem(&c, STORE_E_CORRUPT, STORE_OBJ_INODE, ino, 0, 0, "not reachable from the root");
        }
    }
    if (bit_get(s->seen, ROOT_INO))
        problem(&c, STORE_E_CORRUPT, STORE_OBJ_INODE, ROOT_INO, 0, 0, "root named by an entry");
    if (s->next_birth <= s->ninodes)
        problem(&c, STORE_E_CORRUPT, STORE_OBJ_SUPER, 0, s->sb_slot, s->sb_slot,
                "birth counter below the inode count");
    *problems = c.problems;
    s->fault.err = c.problems ? s->fault.err : STORE_OK;
    return STORE_OK;
}

/* ---- dump ---- */

static void dump_run(fbuf *f, uint64_t b0, uint64_t b1, uint64_t s0)
{
    fb_str(f, " ");
    fb_u64(f, b0);
    if (b1 != b0) {
        fb_str(f, "-");
        fb_u64(f, b1);
    }
    fb_str(f, "@");
    fb_u64(f, s0);
    if (b1 != b0) {
        fb_str(f, "-");
        fb_u64(f, s0 + (b1 - b0));
    }
}

store_err store_dump(store *s, store_report_fn out, void *ctx)
{
    if (s == NULL || s->dev == NULL || out == NULL)
        return STORE_E_INVAL;
    char line[640];
    for (uint64_t ino = 1; ino < s->inode_max; ino++) {
        if (!bit_get(s->inodes, ino))
            continue;
        store_centry *ie;
        store_err err = inode_get(s, ino, &ie);
        if (err != STORE_OK)
            return err;
        uint8_t *d = s->walk[0];
        memcpy(d, ie->data, STORE_SECTOR);
        fbuf f = {line, sizeof line, 0};
        fb_str(&f, "inode ");
        fb_u64(&f, ino);
        fb_str(&f, d[I_TYPE] == STORE_T_DIR ? " dir" : " file");
        fb_str(&f, " parent ");
        fb_u64(&f, get64(d + I_PARENT));
        fb_str(&f, " birth ");
        fb_u64(&f, get64(d + I_BIRTH));
        fb_str(&f, " size ");
        fb_u64(&f, get64(d + I_SIZE));
        fb_str(&f, " height ");
        fb_u64(&f, d[I_HEIGHT]);
        if (d[I_TYPE] == STORE_T_DIR) {
            fb_str(&f, " entries ");
            fb_u64(&f, get64(d + I_NENT));
            fb_str(&f, " used ");
            fb_u64(&f, get64(d + I_UBYTES));
            fb_str(&f, "B/");
            fb_u64(&f, get64(d + I_UENT));
            if (d[I_FLAGS] & F_QUOTA) {
                fb_str(&f, " quota ");
                fb_u64(&f, get64(d + I_QBYTES));
                fb_str(&f, "B/");
                fb_u64(&f, get64(d + I_QENT));
            }
        }
        fb_str(&f, " blocks:");
        uint64_t nb = (get64(d + I_SIZE) + STORE_SECTOR - 1) / STORE_SECTOR;
        uint64_t rb = 0, rs = 0, runs = 0;
        int open = 0;
        for (uint64_t b = 0; b < nb; b++) {
            sptr p;
            err = bmap_get(s, ino, b, &p);
            if (err != STORE_OK)
                return err;
            if (open && p.addr != 0 && p.addr == rs + (b - rb))
                continue;
            if (open && runs < 24)
                dump_run(&f, rb, b - 1, rs);
            open = 0;
            if (p.addr != 0) {
                open = 1;
                rb = b;
                rs = p.addr;
                runs++;
            }
        }
        if (open && runs <= 24)
            dump_run(&f, rb, nb - 1, rs);
        if (runs > 24) {
            fb_str(&f, " ... (");
            fb_u64(&f, runs);
            fb_str(&f, " runs)");
        }
        line[f.pos < sizeof line ? f.pos : sizeof line - 1] = '\0';
        out(ctx, line);
        if (d[I_TYPE] != STORE_T_DIR)
            continue;
        uint64_t nrec = get64(d + I_SIZE) / DIRENT_SIZE;
        uint8_t *buf = s->walk[1];
        for (uint64_t r = 0; r < nrec; r++) {
            if (r % DIRENTS_PER_SECTOR == 0) {
                err = data_read_block(s, ino, r / DIRENTS_PER_SECTOR, buf);
                if (err != STORE_OK)
                    return err;
            }
            dent e;
            if (!dent_decode(buf + (r % DIRENTS_PER_SECTOR) * DIRENT_SIZE, &e))
                return fault(s, STORE_E_CORRUPT, STORE_OBJ_DIRENT, ino, 0, r, 0,
                             "malformed directory entry");
            if (e.ino == 0)
                continue;
            fbuf g = {line, sizeof line, 0};
            fb_str(&g, "  entry ");
            fb_u64(&g, r);
            fb_str(&g, ": ");
            fb_str(&g, e.name);
            fb_str(&g, " -> inode ");
            fb_u64(&g, e.ino);
            line[g.pos < sizeof line ? g.pos : sizeof line - 1] = '\0';
            out(ctx, line);
        }
    }
    return STORE_OK;
}
