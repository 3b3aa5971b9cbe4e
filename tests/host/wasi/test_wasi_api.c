/* lib/wasi's host functions called one by one (through wasi_api.wat's re-exports) with the
 * arguments an app could pass: good ones with their exact effects, and pointers past its
 * memory, bad descriptors, paths that climb out, wrong rights, each its WASI errno with
 * nothing changed. The preopen is lib/store on an in-memory disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wasi.h"
#include "wasi_store.h"
#include "wasi_test_app.h"
#include "wasm_test_mem.h"

static const char *api_path, *bad_import_path, *unknown_import_path;

/* ---- host side: console captured, clock that advances on sleep ---- */

static char out_buf[4096];
static size_t out_len;
static uint64_t fake_now = 1000000000u, slept;

static wasi_errno t_write(void *ctx, int fd, const void *buf, size_t len)
{
    (void)ctx;
    (void)fd;
    if (out_len + len > sizeof out_buf)
        return WASI_EIO;
    memcpy(out_buf + out_len, buf, len);
    out_len += len;
    return WASI_ESUCCESS;
}

static wasi_errno t_read(void *ctx, void *buf, size_t len, size_t *got)
{
    (void)ctx;
    static const char in[] = "typed";
    size_t n = len < 5 ? len : 5;
    memcpy(buf, in, n);
    *got = n;
    return WASI_ESUCCESS;
}

static wasi_errno t_clock(void *ctx, uint32_t id, uint64_t *ns)
{
    (void)ctx;
    *ns = fake_now + (id == 0 ? 1700000000000000000ull : 0);
    return WASI_ESUCCESS;
}

static wasi_errno t_res(void *ctx, uint32_t id, uint64_t *ns)
{
    (void)ctx;
    (void)id;
    *ns = 1000;
    return WASI_ESUCCESS;
}

static wasi_errno t_random(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    memset(buf, 0xA5, len);
    return WASI_ESUCCESS;
}

static wasi_errno t_sleep(void *ctx, uint64_t ns)
{
    (void)ctx;
    slept += ns;
    fake_now += ns;
    return WASI_ESUCCESS;
}

static const wasi_host_ops host = {t_write, t_read, t_clock, t_res, t_random, t_sleep, NULL,
                                   NULL};

/* ---- the store on an in-memory disk ---- */

#define DISK_SECTORS 4096u
static uint8_t *ram;

static int r_read(void *ctx, uint64_t lba, uint32_t n, void *buf)
{
    (void)ctx;
    memcpy(buf, ram + lba * STORE_SECTOR, (size_t)n * STORE_SECTOR);
    return 0;
}

static int r_write(void *ctx, uint64_t lba, uint32_t n, const void *buf)
{
    (void)ctx;
    memcpy(ram + lba * STORE_SECTOR, buf, (size_t)n * STORE_SECTOR);
    return 0;
}

static int r_flush(void *ctx)
{
    (void)ctx;
    return 0;
}

static const store_dev dev = {NULL, r_read, r_write, r_flush, DISK_SECTORS, STORE_SECTOR};

typedef struct fixture {
    uint8_t *bytes;
    size_t len;
    wasm_module *m;
    wasm_env *env;
    wasm_instance *inst;
    store fs;
    void *fsmem;
    wasi_store_tree tree;
    wasi_preopen pre;
    wasi_config cfg;
    wasi_ctx wc;
    uint8_t *mem;
    uint64_t mem_size;
} fixture;

static const char *const app_argv[] = {"app", "one", "two"};
static const char *const app_env[] = {"A=1"};
static const wasm_limits limits = {16, 1000, 65536, 1000, 1u << 20};

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    ram = calloc(DISK_SECTORS, STORE_SECTOR);
    assert_non_null(ram);
    assert_int_equal(store_mkfs(&dev, 1024), STORE_OK);
    size_t ml = store_mem_size(DISK_SECTORS, 1024, 256);
    fx->fsmem = aligned_alloc(8, (ml + 7) & ~(size_t)7);
    assert_int_equal(store_mount(&fx->fs, &dev, fx->fsmem, ml), STORE_OK);
    store_root top;
    assert_int_equal(store_root_handle(&fx->fs, &top), STORE_OK);
    assert_int_equal(store_mkdir(&fx->fs, &top, "app"), STORE_OK);
    /* Something outside the app's tree that it must never reach. */
    assert_int_equal(store_create(&fx->fs, &top, "secret"), STORE_OK);
    assert_int_equal(store_open_subtree(&fx->fs, &top, "app", &fx->tree.root), STORE_OK);
    fx->tree.s = &fx->fs;
    fx->pre = (wasi_preopen){"/data", wasi_store_ops(), &fx->tree};
    fx->cfg = (wasi_config){app_argv, 3, app_env, 1, &fx->pre, 1, &host};

    fx->bytes = wasi_test_slurp(api_path, 1 << 20, &fx->len);
    assert_int_equal(wasm_module_load(wasm_test_allocator(), &limits, fx->bytes, fx->len,
                                      &fx->m, NULL), WASM_OK);
    assert_int_equal(wasm_env_new(wasm_test_allocator(), wasm_test_memory(), &limits, &fx->env),
                     WASM_OK);
    assert_int_equal(wasi_init(&fx->wc, &fx->cfg, fx->env), WASI_ESUCCESS);
    assert_int_equal(wasm_instantiate(fx->env, fx->m, wasi_resolve, &fx->wc, &fx->inst), WASM_OK);
    wasm_extern mem;
    assert_int_equal(wasm_instance_export(fx->inst, "memory", 6, &mem), WASM_OK);
    wasi_bind_memory(&fx->wc, mem.u.memory);
    fx->mem = wasm_memory_data(mem.u.memory);
    fx->mem_size = wasm_memory_size(mem.u.memory);
    assert_int_equal(fx->mem_size, 65536);
    out_len = 0;
    slept = 0;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    wasm_env_free(fx->env);
    wasm_module_free(fx->m);
    free(fx->bytes);
    free(fx->fsmem);
    free(ram);
    free(fx);
    return 0;
}


static void put_str(fixture *fx, uint32_t at, const char *s)
{
    memcpy(fx->mem + at, s, strlen(s));
}

/* path_open(dirfd 3, path at 1000) with the given flags and rights; the new fd or -errno. */
static int64_t open_at(fixture *fx, const char *path, uint32_t oflags, uint64_t rights,
                       uint32_t fdflags)
{
    put_str(fx, 1000, path);
    uint32_t e = wasi_test_call(fx->env, fx->inst, "path_open", U(3), U(1), U(1000), U(strlen(path)), U(oflags), rights,
                      U(0), U(fdflags), U(2000));
    return e ? -(int64_t)e : (int64_t)wasi_test_get32(fx->mem, 2000);
}

#define RIGHTS_RW ((1u << 1) | (1u << 2) | (1u << 5) | (1u << 6) | (1u << 21))

static void test_args_environ(void **state)
{
    fixture *fx = *state;
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "args_sizes_get", U(0), U(4)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, 0), 3);
    assert_int_equal(wasi_test_get32(fx->mem, 4), 12); /* "app\0one\0two\0" */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "args_get", U(100), U(200)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, 100), 200);
    assert_int_equal(wasi_test_get32(fx->mem, 104), 204);
    assert_memory_equal(fx->mem + 200, "app\0one\0two\0", 12);
    /* The pointer array or the strings past the end of memory: EFAULT, nothing written. */
    memset(fx->mem + 300, 0x11, 16);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "args_get", U(65536 - 8), U(300)), WASI_EFAULT);
    assert_int_equal(fx->mem[300], 0x11);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "args_get", U(300), U(65536 - 4)), WASI_EFAULT);
    assert_int_equal(fx->mem[300], 0x11);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "args_sizes_get", U(0xFFFFFFFC), U(4)), WASI_EFAULT);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "environ_sizes_get", U(0), U(4)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, 0), 1);
    assert_int_equal(wasi_test_get32(fx->mem, 4), 4);
}

static void test_console(void **state)
{
    fixture *fx = *state;
    put_str(fx, 500, "hello, ");
    put_str(fx, 600, "world\n");
    wasi_test_put32(fx->mem, 0, 500), wasi_test_put32(fx->mem, 4, 7), wasi_test_put32(fx->mem, 8, 600), wasi_test_put32(fx->mem, 12, 6);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_write", U(1), U(0), U(2), U(20)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, 20), 13);
    assert_int_equal(out_len, 13);
    assert_memory_equal(out_buf, "hello, world\n", 13);
    /* A second iovec that runs past memory: nothing at all is written. */
    wasi_test_put32(fx->mem, 12, 65536);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_write", U(1), U(0), U(2), U(20)), WASI_EFAULT);
    assert_int_equal(out_len, 13);
    /* The iovec array itself half outside, and the result pointer outside. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_write", U(1), U(65532), U(1), U(20)), WASI_EFAULT);
    wasi_test_put32(fx->mem, 12, 6);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_write", U(1), U(0), U(2), U(65534)), WASI_EFAULT);
    assert_int_equal(out_len, 13);
    /* An iovec count whose array would wrap 32 bits. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_write", U(1), U(0), U(0x20000000), U(20)), WASI_EFAULT);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_write", U(99), U(0), U(1), U(20)), WASI_EBADF);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_write", U(0xFFFFFFFF), U(0), U(1), U(20)), WASI_EBADF);
    /* stdin is not writable, stdout not readable, the directory neither. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_write", U(0), U(0), U(1), U(20)), WASI_ENOTCAPABLE);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_read", U(1), U(0), U(1), U(20)), WASI_ENOTCAPABLE);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_write", U(3), U(0), U(1), U(20)), WASI_ENOTCAPABLE);
    wasi_test_put32(fx->mem, 0, 700), wasi_test_put32(fx->mem, 4, 16);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_read", U(0), U(0), U(1), U(20)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, 20), 5);
    assert_memory_equal(fx->mem + 700, "typed", 5);
    /* The console has no seek right, and rights are checked first. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_seek", U(1), U(0), U(0), U(40)), WASI_ENOTCAPABLE);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_fdstat_get", U(1), U(40)), 0);
    assert_int_equal(fx->mem[40], WASI_FILETYPE_CHARACTER_DEVICE);
}

static void test_prestat(void **state)
{
    fixture *fx = *state;
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_prestat_get", U(3), U(0)), 0);
    assert_int_equal(fx->mem[0], 0);
    assert_int_equal(wasi_test_get32(fx->mem, 4), 5);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_prestat_dir_name", U(3), U(10), U(5)), 0);
    assert_memory_equal(fx->mem + 10, "/data", 5);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_prestat_dir_name", U(3), U(10), U(4)), WASI_ENOBUFS);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_prestat_dir_name", U(3), U(65534), U(5)), WASI_EFAULT);
    /* wasi-libc walks fds upwards until EBADF. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_prestat_get", U(4), U(0)), WASI_EBADF);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_prestat_get", U(1), U(0)), WASI_EBADF);
}

static void test_files(void **state)
{
    fixture *fx = *state;
    int64_t fd = open_at(fx, "note.txt", 1 /* creat */, RIGHTS_RW, 0);
    assert_true(fd >= 4);
    put_str(fx, 500, "0123456789");
    wasi_test_put32(fx->mem, 0, 500), wasi_test_put32(fx->mem, 4, 10);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_write", U(fd), U(0), U(1), U(20)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, 20), 10);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_tell", U(fd), U(24)), 0);
    assert_int_equal(wasi_test_get64(fx->mem, 24), 10);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_seek", U(fd), U(-4), U(2), U(24)), 0);
    assert_int_equal(wasi_test_get64(fx->mem, 24), 6);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_seek", U(fd), U(-7), U(1), U(24)), WASI_EINVAL);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_seek", U(fd), U(0), U(9), U(24)), WASI_EINVAL);
    wasi_test_put32(fx->mem, 0, 800), wasi_test_put32(fx->mem, 4, 100);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_read", U(fd), U(0), U(1), U(20)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, 20), 4);
    assert_memory_equal(fx->mem + 800, "6789", 4);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_filestat_get", U(fd), U(100)), 0);
    assert_int_equal(fx->mem[116], WASI_FILETYPE_REGULAR_FILE);
    assert_int_equal(wasi_test_get64(fx->mem, 132), 10);
    /* The store holds exactly that, inside the app's subtree. */
    char got[16];
    size_t n = 0;
    assert_int_equal(store_read(&fx->fs, &fx->tree.root, "note.txt", 0, got, sizeof got, &n),
                     STORE_OK);
    assert_int_equal(n, 10);
    assert_memory_equal(got, "0123456789", 10);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_close", U(fd)), 0);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_close", U(fd)), WASI_EBADF);

    /* Read-only: writing is not among its rights. */
    fd = open_at(fx, "note.txt", 0, 1u << 1, 0);
    assert_true(fd >= 4);
    wasi_test_put32(fx->mem, 0, 500), wasi_test_put32(fx->mem, 4, 1);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_write", U(fd), U(0), U(1), U(20)), WASI_ENOTCAPABLE);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_close", U(fd)), 0);

    /* Append goes to the end whatever the offset. */
    fd = open_at(fx, "note.txt", 0, RIGHTS_RW, 1 /* append */);
    put_str(fx, 500, "AB");
    wasi_test_put32(fx->mem, 0, 500), wasi_test_put32(fx->mem, 4, 2);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_write", U(fd), U(0), U(1), U(20)), 0);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_filestat_get", U(fd), U(100)), 0);
    assert_int_equal(wasi_test_get64(fx->mem, 132), 12);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_close", U(fd)), 0);

    assert_int_equal(open_at(fx, "note.txt", 1 | 4 /* creat|excl */, RIGHTS_RW, 0), -WASI_EEXIST);
    assert_int_equal(open_at(fx, "missing", 0, RIGHTS_RW, 0), -WASI_ENOENT);
    assert_int_equal(open_at(fx, "note.txt", 2 /* directory */, 0, 0), -WASI_ENOTDIR);
    assert_int_equal(open_at(fx, "note.txt/", 0, 0, 0), -WASI_ENOTDIR);
    assert_int_equal(open_at(fx, ".", 0, 1u << 6, 0), -WASI_EISDIR);
    assert_int_equal(open_at(fx, "x", 0x10, 0, 0), -WASI_EINVAL);
    /* Truncate. */
    fd = open_at(fx, "note.txt", 8, RIGHTS_RW, 0);
    assert_true(fd >= 4);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_filestat_get", U(fd), U(100)), 0);
    assert_int_equal(wasi_test_get64(fx->mem, 132), 0);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_renumber", U(fd), U(7)), WASI_EBADF);
    int64_t fd2 = open_at(fx, "note.txt", 0, RIGHTS_RW, 0);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_renumber", U(fd), U(fd2)), 0);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_close", U(fd)), WASI_EBADF);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_close", U(fd2)), 0);
}

static void test_confinement(void **state)
{
    fixture *fx = *state;
    assert_int_equal(open_at(fx, "../secret", 0, 0, 0), -WASI_ENOTCAPABLE);
    assert_int_equal(open_at(fx, "a/../../secret", 0, 0, 0), -WASI_ENOTCAPABLE);
    assert_int_equal(open_at(fx, "/secret", 0, 0, 0), -WASI_ENOTCAPABLE);
    /* The store's own root is not the app's: "secret" is not there. */
    assert_int_equal(open_at(fx, "secret", 0, 0, 0), -WASI_ENOENT);
    /* Climbing inside the tree is fine. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_create_directory", U(3), U(1000), U(0)), WASI_EEXIST);
    put_str(fx, 1000, "sub");
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_create_directory", U(3), U(1000), U(3)), 0);
    assert_true(open_at(fx, "sub/./../sub", 2, 0, 0) >= 4);
    /* A NUL inside a path, a path past memory, a path longer than any. */
    memcpy(fx->mem + 1000, "s\0b", 3);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_create_directory", U(3), U(1000), U(3)), WASI_EINVAL);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_create_directory", U(3), U(65530), U(10)), WASI_EFAULT);
    memset(fx->mem + 4096, 'a', 2000);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_create_directory", U(3), U(4096), U(2000)),
                     WASI_ENAMETOOLONG);
    /* Paths resolve only against directories. */
    put_str(fx, 1000, "sub");
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_create_directory", U(1), U(1000), U(3)), WASI_ENOTDIR);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_create_directory", U(30), U(1000), U(3)), WASI_EBADF);
}

static void test_directories(void **state)
{
    fixture *fx = *state;
    put_str(fx, 1000, "d");
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_create_directory", U(3), U(1000), U(1)), 0);
    assert_true(open_at(fx, "d/f1", 1, RIGHTS_RW, 0) >= 4);
    assert_true(open_at(fx, "d/f2", 1, RIGHTS_RW, 0) >= 4);
    int64_t dfd = open_at(fx, "d", 2, (1u << 14) | (1u << 13), 0);
    assert_true(dfd >= 4);
    /* A full listing: two entries of 24 + 2 bytes. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_readdir", U(dfd), U(100), U(1000), U(0), U(50)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, 50), 52);
    assert_int_equal(wasi_test_get32(fx->mem, 100 + 16), 2);
    assert_int_equal(fx->mem[100 + 20], WASI_FILETYPE_REGULAR_FILE);
    char names[5] = {(char)fx->mem[124], (char)fx->mem[125], ',', (char)fx->mem[150],
                     (char)fx->mem[151]};
    assert_true(memcmp(names, "f1,f2", 5) == 0 || memcmp(names, "f2,f1", 5) == 0);
    /* A buffer that ends inside the first entry is filled completely (truncated). */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_readdir", U(dfd), U(100), U(10), U(0), U(50)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, 50), 10);
    /* From the first entry's cookie: only the second. */
    uint64_t next = 0;
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_readdir", U(dfd), U(100), U(26), U(0), U(50)), 0);
    next = wasi_test_get64(fx->mem, 100);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_readdir", U(dfd), U(200), U(1000), next, U(50)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, 50), 26);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_readdir", U(dfd), U(65000), U(1000), U(0), U(50)), WASI_EFAULT);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "fd_readdir", U(1), U(100), U(100), U(0), U(50)), WASI_ENOTCAPABLE);

    put_str(fx, 1000, "d");
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_remove_directory", U(3), U(1000), U(1)), WASI_ENOTEMPTY);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_unlink_file", U(3), U(1000), U(1)), WASI_EISDIR);
    put_str(fx, 1000, "d/f1d/f3");
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_rename", U(3), U(1000), U(4), U(3), U(1004), U(4)), 0);
    put_str(fx, 1000, "d/f3");
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_filestat_get", U(3), U(1), U(1000), U(4), U(300)), 0);
    assert_int_equal(fx->mem[316], WASI_FILETYPE_REGULAR_FILE);
    put_str(fx, 1000, "d/f1");
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_filestat_get", U(3), U(1), U(1000), U(4), U(300)),
                     WASI_ENOENT);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_filestat_get", U(3), U(1), U(1000), U(4), U(65530)),
                     WASI_EFAULT);
    /* Renaming out of the tree. */
    put_str(fx, 1000, "d/f3../x");
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_rename", U(3), U(1000), U(4), U(3), U(1004), U(4)),
                     WASI_ENOTCAPABLE);
    put_str(fx, 1000, "d/f2");
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_unlink_file", U(3), U(1000), U(4)), 0);
    put_str(fx, 1000, "d/f3");
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_unlink_file", U(3), U(1000), U(4)), 0);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_unlink_file", U(3), U(1000), U(4)), WASI_ENOENT);
    put_str(fx, 1000, "d");
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_remove_directory", U(3), U(1000), U(1)), 0);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_remove_directory", U(3), U(1000), U(0)), WASI_EBUSY);
}

static void test_clock_random_poll(void **state)
{
    fixture *fx = *state;
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "clock_time_get", U(1), U(0), U(8)), 0);
    assert_int_equal(wasi_test_get64(fx->mem, 8), fake_now);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "clock_time_get", U(9), U(0), U(8)), WASI_EINVAL);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "clock_time_get", U(1), U(0), U(65535)), WASI_EFAULT);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "clock_res_get", U(0), U(8)), 0);
    assert_int_equal(wasi_test_get64(fx->mem, 8), 1000);
    memset(fx->mem + 100, 0, 64);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "random_get", U(100), U(64)), 0);
    assert_int_equal(fx->mem[163], 0xA5);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "random_get", U(65500), U(64)), WASI_EFAULT);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sched_yield"), 0);

    /* Two clock subscriptions: 5 ms and 2 ms relative. The 2 ms one fires after 2 ms. */
    memset(fx->mem + 200, 0, 96);
    fx->mem[200] = 0x11;               /* userdata */
    wasi_test_put32(fx->mem, 216, 1);               /* monotonic */
    wasi_test_put32(fx->mem, 224, 5000000);
    fx->mem[248] = 0x22;
    wasi_test_put32(fx->mem, 264, 1);
    wasi_test_put32(fx->mem, 272, 2000000);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "poll_oneoff", U(200), U(400), U(2), U(500)), 0);
    assert_int_equal(wasi_test_get32(fx->mem, 500), 1);
    assert_int_equal(fx->mem[400], 0x22);
    assert_int_equal(slept, 2000000);
    /* Absolute deadline already past: no sleep at all. */
    wasi_test_put32(fx->mem, 224, 1);
    fx->mem[240] = 1; /* abstime */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "poll_oneoff", U(200), U(400), U(1), U(500)), 0);
    assert_int_equal(slept, 2000000);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "poll_oneoff", U(200), U(400), U(0), U(500)), WASI_EINVAL);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "poll_oneoff", U(65500), U(400), U(1), U(500)), WASI_EFAULT);
}

static void test_enosys(void **state)
{
    fixture *fx = *state;
    /* Sockets exist now (test_wasi_net.c): stdin is no socket, and with no socket backend
     * attached nothing can become one. */
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "sock_recv", U(0), U(0), U(0), U(0), U(0), U(0)), WASI_ENOTSOCK);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "path_symlink", U(0), U(0), U(3), U(0), U(0)), WASI_ENOSYS);
    assert_int_equal(wasi_test_call(fx->env, fx->inst, "proc_raise", U(6)), WASI_ENOSYS);
}

static void test_proc_exit(void **state)
{
    fixture *fx = *state;
    wasi_result r = wasi_run(&fx->wc, fx->inst);
    assert_int_equal(r.outcome, WASI_EXITED);
    assert_int_equal(r.exit_code, 42);
}

static void refused(const char *path, wasm_status want)
{
    size_t len;
    uint8_t *b = wasi_test_slurp(path, 1 << 20, &len);
    wasm_module *m;
    wasm_env *env;
    static wasi_ctx wc;
    wasi_config cfg = {app_argv, 1, NULL, 0, NULL, 0, &host};
    assert_int_equal(wasm_module_load(wasm_test_allocator(), &limits, b, len, &m, NULL), WASM_OK);
    assert_int_equal(wasm_env_new(wasm_test_allocator(), wasm_test_memory(), &limits, &env),
                     WASM_OK);
    assert_int_equal(wasi_init(&wc, &cfg, env), WASI_ESUCCESS);
    wasm_instance *inst;
    assert_int_equal(wasm_instantiate(env, m, wasi_resolve, &wc, &inst), want);
    wasm_env_free(env);
    wasm_module_free(m);
    free(b);
}

static void test_bad_imports(void **state)
{
    (void)state;
    refused(bad_import_path, WASM_ERR_IMPORT_TYPE);
    refused(unknown_import_path, WASM_ERR_UNKNOWN_IMPORT);
}

static void test_config_checked(void **state)
{
    fixture *fx = *state;
    static wasi_ctx wc;
    const char *const nulls[] = {NULL};
    wasi_config cfg = {nulls, 1, NULL, 0, NULL, 0, &host};
    assert_int_equal(wasi_init(&wc, &cfg, fx->env), WASI_EINVAL);
    cfg = (wasi_config){app_argv, 1, NULL, 0, NULL, 5, &host};
    assert_int_equal(wasi_init(&wc, &cfg, fx->env), WASI_E2BIG);
    wasi_preopen p = {"x", NULL, NULL};
    cfg = (wasi_config){app_argv, 1, NULL, 0, &p, 1, &host};
    assert_int_equal(wasi_init(&wc, &cfg, fx->env), WASI_EINVAL);
    assert_int_equal(wasi_init(&wc, NULL, fx->env), WASI_EINVAL);
    for (int e = 0; e < WASI_ERRNO_COUNT; e++)
        assert_non_null(strchr(wasi_errno_message((wasi_errno)e), ':'));
    assert_string_equal(wasi_errno_message(WASI_ENOTCAPABLE),
                        "ENOTCAPABLE: capabilities insufficient");
    assert_string_equal(wasi_errno_message((wasi_errno)999), "unknown WASI errno");
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_wasi_api wasi_api.wasm bad_import.wasm unknown_import.wasm\n");
        return 2;
    }
    api_path = argv[1];
    bad_import_path = argv[2];
    unknown_import_path = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_args_environ, setup, teardown),
        cmocka_unit_test_setup_teardown(test_console, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prestat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confinement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directories, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_random_poll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enosys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proc_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_checked, setup, teardown),
        cmocka_unit_test(test_bad_imports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
