/* Functional tests of the file store: every operation, subtree confinement, quotas, a full
 * disk, device errors, damage reported by name; CRC32C against the CPU's instruction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store_test_util.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

typedef struct fix {
    simdev d;
    store s;
    void *mem;
    size_t memlen;
    store_root r;
} fix;

static fix *fix_new(uint64_t sectors, uint32_t cache)
{
    fix *f = calloc(1, sizeof *f);
    assert_non_null(f);
    sim_init(&f->d, sectors);
    f->mem = store_test_mem(sectors, 8192, cache, &f->memlen);
    assert_int_equal(store_mkfs(&f->d.dev, 8192), STORE_OK);
    assert_int_equal(store_mount(&f->s, &f->d.dev, f->mem, f->memlen), STORE_OK);
    assert_int_equal(store_root_handle(&f->s, &f->r), STORE_OK);
    return f;
}

static void fix_remount(fix *f)
{
    assert_int_equal(store_mount(&f->s, &f->d.dev, f->mem, f->memlen), STORE_OK);
    assert_int_equal(store_root_handle(&f->s, &f->r), STORE_OK);
}

static void fix_free(fix *f)
{
    sim_free(&f->d);
    free(f->mem);
    free(f);
}

static void fill(uint8_t *b, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (uint8_t)(seed >> 16);
    }
}

static void put_file(fix *f, const char *path, const uint8_t *data, size_t n)
{
    assert_int_equal(store_create(&f->s, &f->r, path), STORE_OK);
    assert_int_equal(store_write(&f->s, &f->r, path, 0, data, n), STORE_OK);
}

static void expect_file(fix *f, const store_root *r, const char *path, const uint8_t *data, size_t n)
{
    uint8_t *buf = malloc(n + 100);
    size_t got = 0;
    assert_non_null(buf);
    assert_int_equal(store_read(&f->s, r, path, 0, buf, n + 100, &got), STORE_OK);
    assert_int_equal(got, n);
    assert_memory_equal(buf, data, n);
    free(buf);
}

/* ---- CRC32C ---- */

static void test_crc32c(void **state)
{
    (void)state;
    /* The check value of the Castagnoli CRC and the iSCSI vectors (RFC 3720, B.4). */
    assert_int_equal(store_crc32c(0, "123456789", 9), 0xe3069283u);
    uint8_t b[32];
    memset(b, 0, sizeof b);
    assert_int_equal(store_crc32c(0, b, 32), 0x8a9136aau);
    memset(b, 0xff, sizeof b);
    assert_int_equal(store_crc32c(0, b, 32), 0x62a8ab43u);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    assert_int_equal(store_crc32c(0, b, 32), 0x46dd794eu);
    /* The word path (8-byte aligned input) and the byte path against a bitwise CRC, at
     * every alignment and many lengths. */
    static uint64_t words[130];
    uint8_t *w8 = (uint8_t *)words;
    for (size_t i = 0; i < sizeof words; i++)
        w8[i] = (uint8_t)(i * 151u + 17u);
    for (uint32_t off = 0; off < 8; off++)
        for (uint32_t len = 0; len + off <= sizeof words; len += 61) {
            uint32_t ref = 0xffffffffu;
            for (uint32_t i = 0; i < len; i++) {
                ref ^= w8[off + i];
                for (int k = 0; k < 8; k++)
                    ref = (ref & 1) ? (ref >> 1) ^ 0x82f63b78u : ref >> 1;
            }
            assert_int_equal(store_crc32c(0, w8 + off, len), ~ref);
        }
    /* Incremental equals one pass. */
    uint8_t big[1000];
    fill(big, sizeof big, 7);
    assert_int_equal(store_crc32c(store_crc32c(0, big, 333), big + 333, 667),
                     store_crc32c(0, big, 1000));
#if defined(__x86_64__)
    /* The peer: SSE4.2's crc32 instruction computes the same polynomial. */
    unsigned a, bb, c, d;
    if (__get_cpuid(1, &a, &bb, &c, &d) && (c & bit_SSE4_2)) {
        for (uint32_t len = 0; len < 1000; len += 37) {
            uint32_t crc = 0xffffffffu;
            for (uint32_t i = 0; i < len; i++)
                __asm__("crc32b %1, %0" : "+r"(crc) : "rm"(big[i]));
            assert_int_equal(~crc, store_crc32c(0, big, len));
        }
    }
#endif
}

/* ---- operations ---- */

static void test_create_read_write(void **state)
{
    (void)state;
    fix *f = fix_new(4096, 256);
    static uint8_t a[200000], b[200000];
    fill(a, sizeof a, 1);
    put_file(f, "a", a, 1000);
    expect_file(f, &f->r, "a", a, 1000);
    assert_int_equal(store_create(&f->s, &f->r, "a"), STORE_E_EXIST);
    /* Overwrite in the middle, unaligned. */
    memcpy(b, a, 1000);
    fill(b + 300, 333, 2);
    assert_int_equal(store_write(&f->s, &f->r, "a", 300, b + 300, 333), STORE_OK);
    expect_file(f, &f->r, "a", b, 1000);
    /* Past the end: a hole of zeros. */
    memset(b + 1000, 0, 5000);
    fill(b + 6000, 10, 3);
    assert_int_equal(store_write(&f->s, &f->r, "a", 6000, b + 6000, 10), STORE_OK);
    expect_file(f, &f->r, "a", b, 6010);
    /* Large: grows the block map to height 2 (beyond 48*64 blocks at offset). */
    put_file(f, "big", a, sizeof a);
    expect_file(f, &f->r, "big", a, sizeof a);
    size_t got;
    uint8_t small[100];
    assert_int_equal(store_read(&f->s, &f->r, "big", 199950, small, 100, &got), STORE_OK);
    assert_int_equal(got, 50);
    assert_memory_equal(small, a + 199950, 50);
    assert_int_equal(store_read(&f->s, &f->r, "big", 300000, small, 100, &got), STORE_OK);
    assert_int_equal(got, 0);
    /* Sparse far away: height 3. */
    assert_int_equal(store_write(&f->s, &f->r, "big", 200ull << 20, "x", 1), STORE_OK);
    store_stat st;
    assert_int_equal(store_stat_path(&f->s, &f->r, "big", &st), STORE_OK);
    assert_int_equal(st.size, (200ull << 20) + 1);
    assert_int_equal(store_read(&f->s, &f->r, "big", (200ull << 20) - 2, small, 10, &got), STORE_OK);
    assert_int_equal(got, 3);
    assert_int_equal(small[0], 0);
    assert_int_equal(small[2], 'x');
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(check_problems(&f->s), 0);
    fix_remount(f);
    assert_int_equal(check_problems(&f->s), 0);
    expect_file(f, &f->r, "a", b, 6010);
    assert_int_equal(store_read(&f->s, &f->r, "big", 0, b, sizeof a, &got), STORE_OK);
    assert_memory_equal(b, a, sizeof a);
    /* Writing to a directory or a missing file. */
    assert_int_equal(store_mkdir(&f->s, &f->r, "d"), STORE_OK);
    assert_int_equal(store_write(&f->s, &f->r, "d", 0, "x", 1), STORE_E_ISDIR);
    assert_int_equal(store_write(&f->s, &f->r, "nope", 0, "x", 1), STORE_E_NOENT);
    assert_int_equal(store_write(&f->s, &f->r, "a/b", 0, "x", 1), STORE_E_NOTDIR);
    assert_int_equal(store_write(&f->s, &f->r, "a", UINT64_MAX - 1, "xy", 2), STORE_E_TOOBIG);
    fix_free(f);
}

static void test_truncate(void **state)
{
    (void)state;
    fix *f = fix_new(4096, 256);
    static uint8_t a[100000], z[100000];
    fill(a, sizeof a, 5);
    put_file(f, "t", a, sizeof a);
    assert_int_equal(store_truncate(&f->s, &f->r, "t", 777), STORE_OK);
    expect_file(f, &f->r, "t", a, 777);
    /* Growing again reads zeros past the old end, also inside the old last block. */
    assert_int_equal(store_truncate(&f->s, &f->r, "t", 5000), STORE_OK);
    memcpy(z, a, 777);
    memset(z + 777, 0, 5000 - 777);
    expect_file(f, &f->r, "t", z, 5000);
    assert_int_equal(store_truncate(&f->s, &f->r, "t", 0), STORE_OK);
    expect_file(f, &f->r, "t", z, 0);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(check_problems(&f->s), 0);
    store_stat st;
    assert_int_equal(store_stat_path(&f->s, &f->r, "", &st), STORE_OK);
    assert_int_equal(st.used_bytes, 0);
    assert_int_equal(st.used_entries, 1);
    assert_int_equal(store_truncate(&f->s, &f->r, "", 0), STORE_E_ISDIR);
    /* A block map of height 2: cut inside its second root's range, then inside the first
     * root's, then to nothing; every step reads back and checks clean. */
    assert_int_equal(store_write(&f->s, &f->r, "t", 0, a, sizeof a), STORE_OK);
    assert_int_equal(store_write(&f->s, &f->r, "t", 2u << 20, a, 50000), STORE_OK);
    assert_int_equal(store_truncate(&f->s, &f->r, "t", (2u << 20) + 20001), STORE_OK);
    static uint8_t back[30000];
    size_t got;
    assert_int_equal(store_read(&f->s, &f->r, "t", 2u << 20, back, sizeof back, &got), STORE_OK);
    assert_int_equal(got, 20001);
    assert_memory_equal(back, a, 20001);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(check_problems(&f->s), 0);
    assert_int_equal(store_truncate(&f->s, &f->r, "t", 70000), STORE_OK);
    expect_file(f, &f->r, "t", a, 70000);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(check_problems(&f->s), 0);
    assert_int_equal(store_truncate(&f->s, &f->r, "t", 0), STORE_OK);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(check_problems(&f->s), 0);
    /* Only the superblocks, the root's inode and the file's inode are in use now. */
    store_stat rs;
    assert_int_equal(store_stat_path(&f->s, &f->r, "", &rs), STORE_OK);
    assert_int_equal(rs.used_bytes, 0);
    uint64_t in_use = 0;
    for (uint64_t i = 0; i < f->s.sectors; i++)
        in_use += (f->s.live[i >> 6] >> (i & 63)) & 1;
    assert_int_equal(in_use, 2 + 3); /* superblocks, root inode, its entry block, t's inode */
    fix_free(f);
}

static void test_dirs_list_stat(void **state)
{
    (void)state;
    fix *f = fix_new(4096, 256);
    assert_int_equal(store_mkdir(&f->s, &f->r, "x"), STORE_OK);
    assert_int_equal(store_mkdir(&f->s, &f->r, "x/y"), STORE_OK);
    assert_int_equal(store_mkdir(&f->s, &f->r, "x/y"), STORE_E_EXIST);
    assert_int_equal(store_mkdir(&f->s, &f->r, "q/y"), STORE_E_NOENT);
    char name[16];
    for (int i = 0; i < 30; i++) {
        snprintf(name, sizeof name, "x/y/f%02d", i);
        put_file(f, name, (const uint8_t *)name, strlen(name));
    }
    int seen[30] = {0};
    uint64_t cookie = 0;
    store_dirent d;
    int n = 0;
    while (store_list(&f->s, &f->r, "x/y", &cookie, &d) == STORE_OK) {
        int i = atoi(d.name + 1);
        assert_true(i >= 0 && i < 30);
        seen[i]++;
        assert_int_equal(d.type, STORE_T_FILE);
        assert_int_equal(d.size, 7);
        n++;
    }
    assert_int_equal(n, 30);
    for (int i = 0; i < 30; i++)
        assert_int_equal(seen[i], 1);
    store_stat st;
    assert_int_equal(store_stat_path(&f->s, &f->r, "x", &st), STORE_OK);
    assert_int_equal(st.type, STORE_T_DIR);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.used_entries, 31);
    assert_int_equal(st.used_bytes, 30 * 7);
    assert_int_equal(store_rmdir(&f->s, &f->r, "x/y"), STORE_E_NOTEMPTY);
    assert_int_equal(store_unlink(&f->s, &f->r, "x/y"), STORE_E_ISDIR);
    assert_int_equal(store_rmdir(&f->s, &f->r, "x/y/f00"), STORE_E_NOTDIR);
    for (int i = 0; i < 30; i++) {
        snprintf(name, sizeof name, "x/y/f%02d", i);
        assert_int_equal(store_unlink(&f->s, &f->r, name), STORE_OK);
    }
    assert_int_equal(store_unlink(&f->s, &f->r, "x/y/f00"), STORE_E_NOENT);
    assert_int_equal(store_rmdir(&f->s, &f->r, "x/y"), STORE_OK);
    assert_int_equal(store_list(&f->s, &f->r, "x/y", &cookie, &d), STORE_E_NOENT);
    cookie = 0;
    assert_int_equal(store_list(&f->s, &f->r, "x", &cookie, &d), STORE_E_END);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(check_problems(&f->s), 0);
    assert_int_equal(store_stat_path(&f->s, &f->r, "", &st), STORE_OK);
    assert_int_equal(st.used_entries, 1);
    fix_free(f);
}

static void test_rename(void **state)
{
    (void)state;
    fix *f = fix_new(4096, 256);
    put_file(f, "a", (const uint8_t *)"AAAA", 4);
    put_file(f, "b", (const uint8_t *)"BB", 2);
    assert_int_equal(store_mkdir(&f->s, &f->r, "d"), STORE_OK);
    assert_int_equal(store_mkdir(&f->s, &f->r, "d/e"), STORE_OK);
    assert_int_equal(store_mkdir(&f->s, &f->r, "empty"), STORE_OK);
    /* Over an existing file: b now holds a's bytes, a is gone. */
    assert_int_equal(store_rename(&f->s, &f->r, "a", "b"), STORE_OK);
    expect_file(f, &f->r, "b", (const uint8_t *)"AAAA", 4);
    size_t got;
    uint8_t buf[8];
    assert_int_equal(store_read(&f->s, &f->r, "a", 0, buf, 8, &got), STORE_E_NOENT);
    /* Into a directory, and a directory moved with its contents. */
    assert_int_equal(store_rename(&f->s, &f->r, "b", "d/e/c"), STORE_OK);
    assert_int_equal(store_rename(&f->s, &f->r, "d/e", "e2"), STORE_OK);
    expect_file(f, &f->r, "e2/c", (const uint8_t *)"AAAA", 4);
    /* A directory over an empty directory; not over a full one, nor into itself. */
    assert_int_equal(store_rename(&f->s, &f->r, "d", "empty"), STORE_OK);
    assert_int_equal(store_mkdir(&f->s, &f->r, "d"), STORE_OK);
    assert_int_equal(store_rename(&f->s, &f->r, "d", "e2"), STORE_E_NOTEMPTY);
    assert_int_equal(store_rename(&f->s, &f->r, "e2", "e2/sub"), STORE_E_CYCLE);
    assert_int_equal(store_mkdir(&f->s, &f->r, "e2/sub"), STORE_OK);
    assert_int_equal(store_rename(&f->s, &f->r, "e2", "e2/sub/x"), STORE_E_CYCLE);
    assert_int_equal(store_rename(&f->s, &f->r, "e2/c", "d"), STORE_E_ISDIR);
    assert_int_equal(store_rename(&f->s, &f->r, "d", "e2/c"), STORE_E_NOTDIR);
    assert_int_equal(store_rename(&f->s, &f->r, "e2/c", "e2/c"), STORE_OK);
    assert_int_equal(store_rename(&f->s, &f->r, "nope", "x"), STORE_E_NOENT);
    assert_int_equal(store_rename(&f->s, &f->r, "", "x"), STORE_E_NEEDNAME);
    /* Within one directory: a new name. */
    assert_int_equal(store_rename(&f->s, &f->r, "e2/c", "e2/c2"), STORE_OK);
    expect_file(f, &f->r, "e2/c2", (const uint8_t *)"AAAA", 4);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(check_problems(&f->s), 0);
    store_stat st;
    assert_int_equal(store_stat_path(&f->s, &f->r, "", &st), STORE_OK);
    assert_int_equal(st.used_entries, 5); /* empty, d, e2, e2/sub, e2/c2 */
    assert_int_equal(st.used_bytes, 4);
    fix_remount(f);
    expect_file(f, &f->r, "e2/c2", (const uint8_t *)"AAAA", 4);
    fix_free(f);
}

static void test_subtree_confinement(void **state)
{
    (void)state;
    fix *f = fix_new(4096, 256);
    assert_int_equal(store_mkdir(&f->s, &f->r, "clients"), STORE_OK);
    assert_int_equal(store_mkdir(&f->s, &f->r, "clients/a"), STORE_OK);
    put_file(f, "secret", (const uint8_t *)"s", 1);
    store_root a;
    assert_int_equal(store_open_subtree(&f->s, &f->r, "clients/a", &a), STORE_OK);
    assert_int_equal(store_open_subtree(&f->s, &f->r, "secret", &a), STORE_E_NOTDIR);
    assert_int_equal(store_open_subtree(&f->s, &f->r, "clients/a", &a), STORE_OK);
    assert_int_equal(store_create(&f->s, &a, "mine"), STORE_OK);
    size_t got;
    uint8_t buf[8];
    assert_int_equal(store_read(&f->s, &a, "../../secret", 0, buf, 8, &got), STORE_E_DOTDOT);
    assert_int_equal(store_read(&f->s, &a, "..", 0, buf, 8, &got), STORE_E_DOTDOT);
    assert_int_equal(store_read(&f->s, &a, "./mine", 0, buf, 8, &got), STORE_E_DOTDOT);
    assert_int_equal(store_read(&f->s, &a, "/secret", 0, buf, 8, &got), STORE_E_ABSOLUTE);
    assert_int_equal(store_read(&f->s, &a, "secret", 0, buf, 8, &got), STORE_E_NOENT);
    assert_int_equal(store_create(&f->s, &a, "d//x"), STORE_E_EMPTYNAME);
    assert_int_equal(store_create(&f->s, &a, "d/"), STORE_E_EMPTYNAME);
    assert_int_equal(store_rename(&f->s, &a, "mine", "../mine"), STORE_E_DOTDOT);
    assert_int_equal(store_rename(&f->s, &a, "mine", "/mine"), STORE_E_ABSOLUTE);
    assert_int_equal(store_unlink(&f->s, &a, ""), STORE_E_NEEDNAME);
    assert_int_equal(store_rmdir(&f->s, &a, ""), STORE_E_NEEDNAME);
    char name[80];
    memset(name, 'n', sizeof name);
    name[STORE_NAME_MAX] = '\0';
    assert_int_equal(store_create(&f->s, &a, name), STORE_OK);
    name[STORE_NAME_MAX] = 'n';
    name[STORE_NAME_MAX + 1] = '\0';
    assert_int_equal(store_create(&f->s, &a, name), STORE_E_NAMETOOLONG);
    /* A '..' that would stay inside is refused too: refusal, not clamping. */
    assert_int_equal(store_mkdir(&f->s, &a, "d"), STORE_OK);
    assert_int_equal(store_read(&f->s, &a, "d/../mine", 0, buf, 8, &got), STORE_E_DOTDOT);
    static char deep[4000];
    size_t pos = 0;
    for (int i = 0; i < 65; i++)
        pos += (size_t)snprintf(deep + pos, sizeof deep - pos, "%sd", i ? "/" : "");
    assert_int_equal(store_mkdir(&f->s, &a, deep), STORE_E_PATHTOOLONG);
    memset(deep, 'a', 1100);
    for (int i = 50; i < 1100; i += 51)
        deep[i] = '/';
    deep[1100] = '\0';
    assert_int_equal(store_mkdir(&f->s, &a, deep), STORE_E_PATHTOOLONG);
    /* The store's root sees the client's file where it lives. */
    store_stat st;
    assert_int_equal(store_stat_path(&f->s, &f->r, "clients/a/mine", &st), STORE_OK);
    /* A root handle whose directory went away is stale, also when the number is reused. */
    assert_int_equal(store_unlink(&f->s, &a, "mine"), STORE_OK);
    assert_int_equal(store_unlink(&f->s, &a, name) == STORE_OK, 0);
    name[STORE_NAME_MAX] = '\0';
    assert_int_equal(store_unlink(&f->s, &a, name), STORE_OK);
    assert_int_equal(store_rmdir(&f->s, &a, "d"), STORE_OK);
    assert_int_equal(store_rmdir(&f->s, &f->r, "clients/a"), STORE_OK);
    assert_int_equal(store_create(&f->s, &a, "x"), STORE_E_STALE);
    assert_int_equal(store_mkdir(&f->s, &f->r, "clients/b"), STORE_OK);
    assert_int_equal(store_create(&f->s, &a, "x"), STORE_E_STALE);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(check_problems(&f->s), 0);
    fix_free(f);
}

static void test_quota(void **state)
{
    (void)state;
    fix *f = fix_new(4096, 256);
    assert_int_equal(store_mkdir(&f->s, &f->r, "q"), STORE_OK);
    assert_int_equal(store_mkdir(&f->s, &f->r, "q/in"), STORE_OK);
    assert_int_equal(store_set_quota(&f->s, &f->r, "q", 10000, 5), STORE_OK);
    store_root q;
    assert_int_equal(store_open_subtree(&f->s, &f->r, "q", &q), STORE_OK);
    static uint8_t a[20000];
    fill(a, sizeof a, 9);
    assert_int_equal(store_create(&f->s, &q, "in/f1"), STORE_OK);
    assert_int_equal(store_write(&f->s, &q, "in/f1", 0, a, 9000), STORE_OK);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    uint64_t before, after;
    assert_int_equal(tree_digest(&f->s, &before), STORE_OK);
    uint64_t w0 = f->d.bytes_written;
    assert_int_equal(store_write(&f->s, &q, "in/f1", 9000, a, 1001), STORE_E_QUOTA_BYTES);
    assert_int_equal(store_truncate(&f->s, &q, "in/f1", 10001), STORE_E_QUOTA_BYTES);
    assert_int_equal(store_write(&f->s, &q, "in/f1", 9000, a, 1000), STORE_OK);
    assert_int_equal(store_truncate(&f->s, &q, "in/f1", 9000), STORE_OK);
    /* An overwrite inside the size costs no quota. */
    assert_int_equal(store_write(&f->s, &q, "in/f1", 0, a + 1, 9000), STORE_OK);
    assert_int_equal(store_write(&f->s, &q, "in/f1", 0, a, 9000), STORE_OK);
    assert_int_equal(store_create(&f->s, &q, "f2"), STORE_OK);
    assert_int_equal(store_create(&f->s, &q, "f3"), STORE_OK);
    assert_int_equal(store_mkdir(&f->s, &q, "d4"), STORE_OK);
    assert_int_equal(store_create(&f->s, &q, "f5"), STORE_E_QUOTA_ENTRIES);
    assert_int_equal(store_mkdir(&f->s, &q, "d5"), STORE_E_QUOTA_ENTRIES);
    /* Moving in from outside counts; moving around inside does not. */
    put_file(f, "outside", a, 2000);
    assert_int_equal(store_unlink(&f->s, &q, "f2"), STORE_OK);
    assert_int_equal(store_rename(&f->s, &f->r, "outside", "q/big"), STORE_E_QUOTA_BYTES);
    assert_int_equal(store_truncate(&f->s, &f->r, "outside", 500), STORE_OK);
    assert_int_equal(store_rename(&f->s, &f->r, "outside", "q/big"), STORE_OK);
    assert_int_equal(store_rename(&f->s, &q, "big", "in/big"), STORE_OK);
    assert_int_equal(store_rename(&f->s, &q, "in", "d4/in"), STORE_OK);
    store_stat st;
    assert_int_equal(store_stat_path(&f->s, &f->r, "q", &st), STORE_OK);
    assert_int_equal(st.used_bytes, 9500);
    assert_int_equal(st.used_entries, 5);
    assert_int_equal(st.quota_bytes, 10000);
    assert_int_equal(st.quota_entries, 5);
    /* Nested quota: the tighter one wins. */
    assert_int_equal(store_set_quota(&f->s, &q, "d4", 9600, STORE_UNLIMITED), STORE_OK);
    assert_int_equal(store_write(&f->s, &q, "f3", 0, a, 501), STORE_E_QUOTA_BYTES);
    assert_int_equal(store_write(&f->s, &q, "d4/in/big", 500, a, 101), STORE_E_QUOTA_BYTES);
    assert_int_equal(store_write(&f->s, &q, "d4/in/big", 500, a, 100), STORE_OK);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(check_problems(&f->s), 0);
    /* Refusals changed nothing. */
    fix_remount(f);
    assert_int_equal(store_open_subtree(&f->s, &f->r, "q", &q), STORE_OK);
    assert_int_equal(store_create(&f->s, &q, "f6"), STORE_E_QUOTA_ENTRIES);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    (void)w0;
    (void)after;
    fix_free(f);
}

static void test_refusal_unchanged(void **state)
{
    (void)state;
    /* A quota refusal writes nothing to the device, and the tree's digest holds. */
    fix *f = fix_new(4096, 256);
    assert_int_equal(store_mkdir(&f->s, &f->r, "q"), STORE_OK);
    assert_int_equal(store_set_quota(&f->s, &f->r, "q", 100, 1), STORE_OK);
    assert_int_equal(store_create(&f->s, &f->r, "q/f"), STORE_OK);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    uint64_t before, after;
    assert_int_equal(tree_digest(&f->s, &before), STORE_OK);
    assert_int_equal(store_write(&f->s, &f->r, "q/f", 0, "0123456789", 10), STORE_OK);
    /* Refusals write nothing at all, not even at the next sync. */
    uint64_t w0 = f->d.bytes_written;
    static uint8_t big[200];
    assert_int_equal(store_write(&f->s, &f->r, "q/f", 50, big, 100), STORE_E_QUOTA_BYTES);
    assert_int_equal(store_create(&f->s, &f->r, "q/g"), STORE_E_QUOTA_ENTRIES);
    assert_int_equal(f->d.bytes_written, w0);
    assert_int_equal(store_truncate(&f->s, &f->r, "q/f", 0), STORE_OK);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(tree_digest(&f->s, &after), STORE_OK);
    assert_int_equal(before, after);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    w0 = f->d.bytes_written;
    assert_int_equal(store_create(&f->s, &f->r, "q/g"), STORE_E_QUOTA_ENTRIES);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(f->d.bytes_written, w0);
    assert_int_equal(check_problems(&f->s), 0);
    fix_free(f);
}

static void test_full_disk(void **state)
{
    (void)state;
    fix *f = fix_new(256, 64); /* 128 KiB */
    static uint8_t a[8192];
    fill(a, sizeof a, 11);
    char name[16];
    int made = 0;
    store_err e = STORE_OK;
    for (int i = 0; i < 100 && e == STORE_OK; i++) {
        snprintf(name, sizeof name, "f%d", i);
        e = store_create(&f->s, &f->r, name);
        if (e == STORE_OK)
            e = store_write(&f->s, &f->r, name, 0, a, sizeof a);
        if (e == STORE_OK) {
            made++;
            assert_int_equal(store_sync(&f->s), STORE_OK);
        }
    }
    assert_int_equal(e, STORE_E_NOSPC);
    assert_true(made >= 8);
    /* The refused write left the store as it was at the last sync (plus the empty file). */
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(check_problems(&f->s), 0);
    uint64_t before, after;
    assert_int_equal(tree_digest(&f->s, &before), STORE_OK);
    uint64_t w0 = f->d.bytes_written;
    assert_int_equal(store_write(&f->s, &f->r, "f0", 8192, a, sizeof a), STORE_E_NOSPC);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(f->d.bytes_written, w0); /* nothing written, nothing to commit */
    assert_int_equal(tree_digest(&f->s, &after), STORE_OK);
    assert_int_equal(before, after);
    /* Deleting works on a full disk, and frees room. */
    assert_int_equal(store_unlink(&f->s, &f->r, "f1"), STORE_OK);
    assert_int_equal(store_unlink(&f->s, &f->r, "f2"), STORE_OK);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(store_write(&f->s, &f->r, "f0", 8192, a, 4096), STORE_OK);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(check_problems(&f->s), 0);
    fix_remount(f);
    assert_int_equal(check_problems(&f->s), 0);
    fix_free(f);
}

static void test_many_inodes(void **state)
{
    (void)state;
    /* Over 2048 inodes: the inode table grows to its full height. */
    fix *f = fix_new(16384, 256);
    char name[32];
    for (int d = 0; d < 46; d++) {
        snprintf(name, sizeof name, "d%02d", d);
        assert_int_equal(store_mkdir(&f->s, &f->r, name), STORE_OK);
        for (int i = 0; i < 45; i++) {
            snprintf(name, sizeof name, "d%02d/f%02d", d, i);
            assert_int_equal(store_create(&f->s, &f->r, name), STORE_OK);
            if (i % 15 == 0)
                assert_int_equal(store_write(&f->s, &f->r, name, 0, name, strlen(name)), STORE_OK);
        }
    }
    assert_int_equal(store_sync(&f->s), STORE_OK);
    store_stat st;
    assert_int_equal(store_stat_path(&f->s, &f->r, "", &st), STORE_OK);
    assert_int_equal(st.used_entries, 46 * 46);
    fix_remount(f);
    assert_int_equal(check_problems(&f->s), 0);
    assert_int_equal(store_stat_path(&f->s, &f->r, "d45/f30", &st), STORE_OK);
    assert_int_equal(st.size, 7);
    fix_free(f);
}

static void test_device_errors(void **state)
{
    (void)state;
    fix *f = fix_new(4096, 256);
    put_file(f, "keep", (const uint8_t *)"kept", 4);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    /* The create writes its directory block; the write after it (in the sync) fails. */
    f->d.fail_write_after = f->d.writes + 1;
    assert_int_equal(store_create(&f->s, &f->r, "new"), STORE_OK);
    assert_int_equal(store_sync(&f->s), STORE_E_IO);
    /* Failed midway: refused until remounted, and the disk holds the last commit. */
    assert_int_equal(store_create(&f->s, &f->r, "new2"), STORE_E_BROKEN);
    assert_int_equal(store_sync(&f->s), STORE_E_BROKEN);
    f->d.fail_write_after = -1;
    fix_remount(f);
    expect_file(f, &f->r, "keep", (const uint8_t *)"kept", 4);
    store_stat st;
    assert_int_equal(store_stat_path(&f->s, &f->r, "new", &st), STORE_E_NOENT);
    assert_int_equal(check_problems(&f->s), 0);
    /* A data write failing inside an operation. */
    f->d.fail_write_after = f->d.writes;
    assert_int_equal(store_create(&f->s, &f->r, "new"), STORE_E_IO);
    assert_int_equal(store_stat_path(&f->s, &f->r, "keep", &st), STORE_E_BROKEN);
    assert_int_equal(store_write(&f->s, &f->r, "keep", 0, "x", 1), STORE_E_BROKEN);
    size_t got;
    uint8_t b4[8];
    assert_int_equal(store_read(&f->s, &f->r, "keep", 0, b4, 4, &got), STORE_E_BROKEN);
    f->d.fail_write_after = -1;
    fix_remount(f);
    assert_int_equal(check_problems(&f->s), 0);
    assert_int_equal(store_stat_path(&f->s, &f->r, "new", &st), STORE_E_NOENT);
    /* Read errors: at mount (an inode's sector), and on a data block (named, no data). */
    store_stat ks;
    assert_int_equal(store_stat_path(&f->s, &f->r, "keep", &ks), STORE_OK);
    long data_sec = -1, inode_sec = -1;
    for (uint64_t sec = 2; sec < f->d.sectors; sec++) {
        if (memcmp(f->d.img + sec * STORE_SECTOR, "kept", 4) == 0)
            data_sec = (long)sec;
        if (f->d.img[sec * STORE_SECTOR + 8] == ks.ino && memcmp(f->d.img + sec * STORE_SECTOR, "AVIN", 4) == 0 &&
            ((f->s.live[sec >> 6] >> (sec & 63)) & 1))
            inode_sec = (long)sec;
    }
    assert_true(data_sec > 0 && inode_sec > 0);
    f->d.fail_read_lba = inode_sec;
    store s2;
    assert_int_equal(store_mount(&s2, &f->d.dev, f->mem, f->memlen), STORE_E_IO);
    char msg[160], want[160];
    store_fault_format(store_last_fault(&s2), msg, sizeof msg);
    snprintf(want, sizeof want, "device read failed: inode %llu (sector %ld)",
             (unsigned long long)ks.ino, inode_sec);
    assert_string_equal(msg, want);
    f->d.fail_read_lba = data_sec;
    fix_remount(f);
    assert_int_equal(store_read(&f->s, &f->r, "keep", 0, b4, 4, &got), STORE_E_IO);
    store_fault_format(store_last_fault(&f->s), msg, sizeof msg);
    snprintf(want, sizeof want, "device read failed: inode %llu data block 0 (sector %ld)",
             (unsigned long long)ks.ino, data_sec);
    assert_string_equal(msg, want);
    f->d.fail_read_lba = -1;
    /* A device of the wrong geometry. */
    simdev g;
    sim_init(&g, 8);
    assert_int_equal(store_mkfs(&g.dev, 100), STORE_E_DEVICE);
    g.dev.block_count = 100;
    g.dev.block_size = 4096;
    assert_int_equal(store_mkfs(&g.dev, 100), STORE_E_DEVICE);
    sim_free(&g);
    fix_free(f);
}

static int line_has(const char *line, const char *want)
{
    return strstr(line, want) != NULL;
}

static char last_line[256];
static void keep_line(void *ctx, const char *line)
{
    (void)ctx;
    snprintf(last_line, sizeof last_line, "%s", line);
}

static void test_damage_named(void **state)
{
    (void)state;
    fix *f = fix_new(4096, 256);
    static uint8_t a[3000];
    fill(a, sizeof a, 4);
    put_file(f, "victim", a, sizeof a);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    store_stat st;
    assert_int_equal(store_stat_path(&f->s, &f->r, "victim", &st), STORE_OK);
    /* Find the sector of block 2 by its contents, then flip one bit in it. */
    long hit = -1;
    for (uint64_t sec = 2; sec < f->d.sectors; sec++)
        if (memcmp(f->d.img + sec * STORE_SECTOR, a + 1024, STORE_SECTOR) == 0)
            hit = (long)sec;
    assert_true(hit > 0);
    f->d.img[hit * STORE_SECTOR + 17] ^= 0x10;
    fix_remount(f); /* metadata intact: mount succeeds */
    static uint8_t buf[3000];
    size_t got = 99;
    memset(buf, 0xaa, sizeof buf);
    assert_int_equal(store_read(&f->s, &f->r, "victim", 0, buf, sizeof buf, &got), STORE_E_CORRUPT);
    assert_int_equal(got, 0);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0); /* never the damaged bytes */
    char msg[200];
    store_fault_format(store_last_fault(&f->s), msg, sizeof msg);
    char want[80];
    snprintf(want, sizeof want, "checksum mismatch: inode %llu data block 2 (sector %ld)",
             (unsigned long long)st.ino, hit);
    assert_string_equal(msg, want);
    /* The other blocks still read. */
    assert_int_equal(store_read(&f->s, &f->r, "victim", 0, buf, 1024, &got), STORE_OK);
    assert_memory_equal(buf, a, 1024);
    uint64_t p = 0;
    assert_int_equal(store_check(&f->s, keep_line, NULL, &p), STORE_OK);
    assert_int_equal(p, 1);
    assert_true(line_has(last_line, want));
    fix_free(f);
}

/* Lookups keep the directory blocks they read: a second lookup reads nothing from the
 * device, and every change to a directory (entries added, removed, renamed, a block of
 * several freed by emptying) is seen by the next lookup, also after a commit. */
static void test_dir_blocks_kept(void **state)
{
    (void)state;
    fix *f = fix_new(4096, 256);
    static uint8_t a[700], b[700];
    fill(a, sizeof a, 21);
    fill(b, sizeof b, 22);
    assert_int_equal(store_mkdir(&f->s, &f->r, "d"), STORE_OK);
    char p[32];
    for (int i = 0; i < 20; i++) { /* 20 entries: three directory blocks */
        snprintf(p, sizeof p, "d/f%02d", i);
        put_file(f, p, i % 2 ? a : b, sizeof a);
    }
    assert_int_equal(store_sync(&f->s), STORE_OK);
    fix_remount(f);
    store_stat st;
    uint64_t reads = 0;
    for (int round = 0; round < 2; round++) {
        /* The first round reads the directory blocks and the inodes, the second nothing:
         * the inodes are in the node cache, root's and d's three blocks kept. */
        if (round == 1)
            reads = f->s.stats.sectors_read;
        for (int i = 0; i < 20; i++) {
            snprintf(p, sizeof p, "d/f%02d", i);
            assert_int_equal(store_stat_path(&f->s, &f->r, p, &st), STORE_OK);
            assert_int_equal(st.size, sizeof a);
        }
    }
    assert_int_equal(f->s.stats.sectors_read, reads);
    /* Changes: each seen by the next lookup. */
    assert_int_equal(store_rename(&f->s, &f->r, "d/f03", "d/g03"), STORE_OK);
    assert_int_equal(store_stat_path(&f->s, &f->r, "d/f03", &st), STORE_E_NOENT);
    expect_file(f, &f->r, "d/g03", a, sizeof a);
    assert_int_equal(store_unlink(&f->s, &f->r, "d/f10"), STORE_OK);
    assert_int_equal(store_stat_path(&f->s, &f->r, "d/f10", &st), STORE_E_NOENT);
    put_file(f, "d/f10", a, 100);
    expect_file(f, &f->r, "d/f10", a, 100);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(store_rename(&f->s, &f->r, "d/f10", "d/f11"), STORE_OK); /* over f11 */
    expect_file(f, &f->r, "d/f11", a, 100);
    assert_int_equal(store_stat_path(&f->s, &f->r, "d/f10", &st), STORE_E_NOENT);
    /* Empty d (its blocks freed), then fill it again with other names and contents. */
    for (int i = 0; i < 20; i++) {
        snprintf(p, sizeof p, i == 3 ? "d/g%02d" : "d/f%02d", i);
        store_err e = store_unlink(&f->s, &f->r, p);
        assert_true(e == STORE_OK || (i == 10 && e == STORE_E_NOENT));
    }
    assert_int_equal(store_stat_path(&f->s, &f->r, "d", &st), STORE_OK);
    assert_int_equal(st.size, 0);
    for (int i = 0; i < 20; i++) {
        snprintf(p, sizeof p, "d/f%02d", i);
        assert_int_equal(store_stat_path(&f->s, &f->r, p, &st), STORE_E_NOENT);
    }
    for (int i = 0; i < 12; i++) {
        snprintf(p, sizeof p, "d/h%02d", i);
        put_file(f, p, b, (size_t)i + 1);
    }
    assert_int_equal(store_sync(&f->s), STORE_OK);
    for (int i = 0; i < 12; i++) {
        snprintf(p, sizeof p, "d/h%02d", i);
        expect_file(f, &f->r, p, b, (size_t)i + 1);
    }
    fix_remount(f);
    assert_int_equal(check_problems(&f->s), 0);
    for (int i = 0; i < 12; i++) {
        snprintf(p, sizeof p, "d/h%02d", i);
        expect_file(f, &f->r, p, b, (size_t)i + 1);
    }
    fix_free(f);
}

/* ---- whole blocks through the device's write_sum ---- */

static uint8_t *scribble;      /* set: the first write_sum call overwrites it afterwards */
static size_t scribble_len;
static uint32_t first_sum_count;

/* Writes like sim_write and checksums the sectors from the image, i.e. as the device took
 * them; optionally then changes the caller's buffer, as a racing client would. */
static int sum_write(void *ctx, uint64_t lba, uint32_t count, const void *buf, uint32_t *sums)
{
    simdev *d = ctx;
    assert_true(count >= 1 && count <= STORE_SUM_RUN);
    int r = sim_write(ctx, lba, count, buf);
    if (r != 0)
        return r;
    for (uint32_t i = 0; i < count; i++)
        sums[i] = store_crc32c(0, d->img + (lba + i) * STORE_SECTOR, STORE_SECTOR);
    if (scribble != NULL) {
        first_sum_count = count;
        memset(scribble, 0x5a, scribble_len);
        scribble = NULL;
    }
    return 0;
}

static void sum_workload(fix *f)
{
    static uint8_t a[200000];
    fill(a, sizeof a, 31);
    assert_int_equal(store_mkdir(&f->s, &f->r, "d"), STORE_OK);
    put_file(f, "d/big", a, sizeof a);                    /* whole blocks and a tail */
    put_file(f, "d/small", a + 7, 1000);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    assert_int_equal(store_write(&f->s, &f->r, "d/big", 4096, a + 3, 70000), STORE_OK);
    assert_int_equal(store_write(&f->s, &f->r, "d/big", 333, a, 5000), STORE_OK); /* parts */
    assert_int_equal(store_truncate(&f->s, &f->r, "d/big", 150001), STORE_OK);
    assert_int_equal(store_rename(&f->s, &f->r, "d/small", "d/tiny"), STORE_OK);
    assert_int_equal(store_sync(&f->s), STORE_OK);
}

static void test_write_sum(void **state)
{
    (void)state;
    /* The same operations with and without write_sum leave the same disk, byte for byte. */
    fix *plain = fix_new(4096, 256), *sum = fix_new(4096, 256);
    assert_int_equal(store_use_write_sum(&sum->s, sum_write), STORE_OK);
    sum_workload(plain);
    sum_workload(sum);
    assert_memory_equal(plain->d.img, sum->d.img, 4096 * STORE_SECTOR);
    assert_int_equal(plain->s.stats.sectors_written, sum->s.stats.sectors_written);
    fix_free(plain);
    /* A buffer changed during the call, right after the device took its first run: every
     * block holds what the device took, checksummed as such. */
    static uint8_t src[96 * 1024], want[96 * 1024];
    fill(src, sizeof src, 41);
    memcpy(want, src, sizeof src);
    assert_int_equal(store_create(&sum->s, &sum->r, "raced"), STORE_OK);
    scribble = src;
    scribble_len = sizeof src;
    assert_int_equal(store_write(&sum->s, &sum->r, "raced", 0, src, sizeof src), STORE_OK);
    assert_true(first_sum_count >= 1 && first_sum_count < sizeof src / STORE_SECTOR);
    memset(want + (size_t)first_sum_count * STORE_SECTOR, 0x5a,
           sizeof want - (size_t)first_sum_count * STORE_SECTOR);
    assert_int_equal(store_sync(&sum->s), STORE_OK);
    fix_remount(sum); /* forgets write_sum: the plain path reads and checks */
    assert_int_equal(check_problems(&sum->s), 0);
    expect_file(sum, &sum->r, "raced", want, sizeof want);
    assert_int_equal(store_use_write_sum(NULL, sum_write), STORE_E_INVAL);
    fix_free(sum);
}

/* ---- runs of whole blocks read through the device's read_sum ---- */

static uint32_t read_sum_calls;
static int read_sum_scribble; /* set: each call overwrites the buffer after copying */

/* Reads like sim_read, copying with store_crc32c_copy_sectors (as the file store component does
 * from its disk dataport); optionally then changes the buffer, as a racing client would:
 * the store must neither read buf back nor be misled by it. */
static int sum_read(void *ctx, uint64_t lba, uint32_t count, void *buf, uint32_t *sums)
{
    simdev *d = ctx;
    assert_true(count >= 1 && count <= STORE_SUM_RUN);
    if (lba >= d->sectors || count > d->sectors - lba)
        return -1;
    if (d->fail_read_lba >= 0 && (uint64_t)d->fail_read_lba >= lba &&
        (uint64_t)d->fail_read_lba < lba + count)
        return -1;
    read_sum_calls++;
    store_crc32c_copy_sectors(buf, d->img + lba * STORE_SECTOR, count, sums);
    if (read_sum_scribble)
        memset(buf, 0x5a, (size_t)count * STORE_SECTOR);
    return 0;
}

static void test_read_sum(void **state)
{
    (void)state;
    fix *f = fix_new(4096, 256);
    static uint8_t a[200000], got_plain[200000], got_sum[200000];
    fill(a, sizeof a, 77);
    put_file(f, "big", a, sizeof a);
    assert_int_equal(store_sync(&f->s), STORE_OK);
    /* Whole runs, a part of a block at either end, the tail: the same bytes either way. */
    static const struct {
        uint64_t off;
        size_t len;
    } cuts[] = {{0, 200000}, {512, 65536}, {333, 70000}, {199000, 5000}, {4096, 1}};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        size_t n1 = 0, n2 = 0;
        assert_int_equal(store_use_read_sum(&f->s, NULL), STORE_OK);
        assert_int_equal(store_read(&f->s, &f->r, "big", cuts[c].off, got_plain, cuts[c].len, &n1),
                         STORE_OK);
        read_sum_calls = 0;
        assert_int_equal(store_use_read_sum(&f->s, sum_read), STORE_OK);
        assert_int_equal(store_read(&f->s, &f->r, "big", cuts[c].off, got_sum, cuts[c].len, &n2),
                         STORE_OK);
        assert_int_equal(n1, n2);
        assert_int_equal(n1, cuts[c].off + cuts[c].len > sizeof a ? sizeof a - cuts[c].off
                                                                   : cuts[c].len);
        assert_memory_equal(got_plain, a + cuts[c].off, n1);
        assert_memory_equal(got_sum, a + cuts[c].off, n2);
        if (cuts[c].len >= 2 * STORE_SECTOR)
            assert_true(read_sum_calls >= 1);
    }
    /* The whole file is 391 blocks: runs of at most STORE_SUM_RUN sectors. */
    read_sum_calls = 0;
    size_t n = 0;
    assert_int_equal(store_read(&f->s, &f->r, "big", 0, got_sum, sizeof a, &n), STORE_OK);
    assert_true(read_sum_calls >= (sizeof a / STORE_SECTOR + STORE_SUM_RUN - 1) / STORE_SUM_RUN);
    assert_memory_equal(got_sum, a, sizeof a);
    /* The buffer rewritten after each copy: the sums the copy took still decide. */
    read_sum_scribble = 1;
    assert_int_equal(store_read(&f->s, &f->r, "big", 0, got_sum, 65536, &n), STORE_OK);
    read_sum_scribble = 0;
    /* A flipped bit in block 3: refused by name, the buffer zeroed. */
    long hit = -1;
    for (uint64_t sec = 2; sec < f->d.sectors; sec++)
        if (memcmp(f->d.img + sec * STORE_SECTOR, a + 3 * STORE_SECTOR, STORE_SECTOR) == 0)
            hit = (long)sec;
    assert_true(hit > 0);
    f->d.img[hit * STORE_SECTOR + 100] ^= 0x01;
    memset(got_sum, 0xaa, 8192);
    assert_int_equal(store_read(&f->s, &f->r, "big", 0, got_sum, 8192, &n), STORE_E_CORRUPT);
    for (size_t i = 0; i < 8192; i++)
        assert_int_equal(got_sum[i], 0);
    char msg[200], want[100];
    store_fault_format(store_last_fault(&f->s), msg, sizeof msg);
    store_stat st;
    assert_int_equal(store_stat_path(&f->s, &f->r, "big", &st), STORE_OK);
    snprintf(want, sizeof want, "checksum mismatch: inode %llu data block 3 (sector %ld)",
             (unsigned long long)st.ino, hit);
    assert_string_equal(msg, want);
    /* A device error through read_sum is reported as one. */
    f->d.img[hit * STORE_SECTOR + 100] ^= 0x01;
    f->d.fail_read_lba = hit;
    assert_int_equal(store_read(&f->s, &f->r, "big", 0, got_sum, 8192, &n), STORE_E_IO);
    f->d.fail_read_lba = -1;
    assert_int_equal(store_read(&f->s, &f->r, "big", 0, got_sum, 8192, &n), STORE_OK);
    assert_memory_equal(got_sum, a, 8192);
    assert_int_equal(store_use_read_sum(NULL, sum_read), STORE_E_INVAL);
    fix_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_create_read_write),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_dirs_list_stat),
        cmocka_unit_test(test_rename),
        cmocka_unit_test(test_subtree_confinement),
        cmocka_unit_test(test_quota),
        cmocka_unit_test(test_refusal_unchanged),
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_many_inodes),
        cmocka_unit_test(test_device_errors),
        cmocka_unit_test(test_damage_named),
        cmocka_unit_test(test_dir_blocks_kept),
        cmocka_unit_test(test_write_sum),
        cmocka_unit_test(test_read_sum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
