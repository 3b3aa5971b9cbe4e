/* anvaya-wasm: runs a WASI command module natively under lib/wasm and lib/wasi, with its
 * preopened directory in lib/store (an in-memory disk, or a store image file) and the
 * host's sockets as far as --net grants them. */
#include "wasi.h"
#include "wasi_hostnet.h"
#include "wasi_store.h"
#include "wasm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TOOL_EXIT_USAGE 64
#define TOOL_EXIT_LOAD 65   /* the module could not be read, decoded, validated or linked */
#define TOOL_EXIT_TRAP 70   /* a trap or a limit ended the app */

static void usage(void)
{
    fprintf(stderr,
            "usage: anvaya-wasm [options] module.wasm [args...]\n"
            "  --dir NAME         preopen a directory the app sees as NAME (fd 3)\n"
            "  --image FILE       back it with this store image (else a fresh in-memory disk)\n"
            "  --root PATH        the subtree of the image that is the directory (made if missing)\n"
            "  --disk-kib N       size of the in-memory disk (default 4096)\n"
            "  --env NAME=VALUE   an environment entry (repeatable)\n"
            "  --fuel N           instruction budget (loop back-edges and calls)\n"
            "  --max-pages N      linear memory limit in 64 KiB pages (default 256)\n"
            "  --call-depth N     nested calls (default 20000)\n"
            "  --net GRANTS       sockets the app may use, as the stack's allow list:\n"
            "                     'tcp-connect:IP:PORT tcp-listen:PORT resolve' (IP, PORT may be *);\n"
            "                     without it nothing is granted\n"
            "  --stats            fuel used and WASI calls on stderr\n"
            "exit status: the app's; %d a trap or limit; %d a module that cannot run; %d usage\n",
            TOOL_EXIT_TRAP, TOOL_EXIT_LOAD, TOOL_EXIT_USAGE);
}

/* ---- memory for the interpreter ---- */

static void *tool_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    (void)ctx;
    (void)old_size;
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, new_size);
}

static void *tool_grow(void *ctx, void *base, size_t old_bytes, size_t new_bytes,
                       size_t max_bytes)
{
    (void)ctx;
    (void)max_bytes;
    unsigned char *p = realloc(base, new_bytes ? new_bytes : 1);
    if (p == NULL)
        return NULL;
    memset(p + old_bytes, 0, new_bytes - old_bytes);
    return p;
}

static void tool_release(void *ctx, void *base, size_t bytes)
{
    (void)ctx;
    (void)bytes;
    free(base);
}

/* ---- the host side of WASI ---- */

static wasi_errno h_write(void *ctx, int fd, const void *buf, size_t len)
{
    (void)ctx;
    const unsigned char *p = buf;
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return WASI_EIO;
        done += (size_t)n;
    }
    return WASI_ESUCCESS;
}

static wasi_errno h_read(void *ctx, void *buf, size_t len, size_t *got)
{
    (void)ctx;
    ssize_t n;
    do
        n = read(0, buf, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return WASI_EIO;
    *got = (size_t)n;
    return WASI_ESUCCESS;
}

static wasi_errno h_clock(void *ctx, uint32_t id, uint64_t *ns)
{
    (void)ctx;
    struct timespec ts;
    if (clock_gettime(id == 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts) != 0)
        return WASI_EIO;
    *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return WASI_ESUCCESS;
}

static wasi_errno h_res(void *ctx, uint32_t id, uint64_t *ns)
{
    (void)ctx;
    struct timespec ts;
    if (clock_getres(id == 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts) != 0)
        return WASI_EIO;
    *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return WASI_ESUCCESS;
}

static wasi_errno h_random(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    unsigned char *p = buf;
    for (size_t done = 0; done < len;) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return WASI_EIO;
        done += (size_t)n;
    }
    return WASI_ESUCCESS;
}

static wasi_errno h_sleep(void *ctx, uint64_t ns)
{
    (void)ctx;
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (nanosleep(&ts, &ts) != 0)
        if (errno != EINTR)
            return WASI_EIO;
    return WASI_ESUCCESS;
}

static wasi_errno h_yield(void *ctx)
{
    (void)ctx;
    return WASI_ESUCCESS;
}

/* ---- the disk: in memory, or an image file ---- */

typedef struct disk {
    int fd;             /* -1: in memory */
    unsigned char *ram;
    store_dev dev;
} disk;

static int d_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    disk *d = ctx;
    size_t n = (size_t)count * STORE_SECTOR;
    if (lba > d->dev.block_count || count > d->dev.block_count - lba)
        return -1;
    if (d->fd < 0) {
        memcpy(buf, d->ram + lba * STORE_SECTOR, n);
        return 0;
    }
    return pread(d->fd, buf, n, (off_t)(lba * STORE_SECTOR)) == (ssize_t)n ? 0 : -1;
}

static int d_write(void *ctx, uint64_t lba, uint32_t count, const void *buf)
{
    disk *d = ctx;
    size_t n = (size_t)count * STORE_SECTOR;
    if (lba > d->dev.block_count || count > d->dev.block_count - lba)
        return -1;
    if (d->fd < 0) {
        memcpy(d->ram + lba * STORE_SECTOR, buf, n);
        return 0;
    }
    return pwrite(d->fd, buf, n, (off_t)(lba * STORE_SECTOR)) == (ssize_t)n ? 0 : -1;
}

static int d_flush(void *ctx)
{
    disk *d = ctx;
    return d->fd < 0 || fsync(d->fd) == 0 ? 0 : -1;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

/* Opens (or makes) the subtree path below the store's root, one component at a time. */
static store_err open_root(store *s, const char *path, store_root *out)
{
    store_root top;
    store_err e = store_root_handle(s, &top);
    if (e != STORE_OK || path[0] == '\0') {
        *out = top;
        return e;
    }
    char part[STORE_PATH_MAX + 1];
    size_t n = strlen(path);
    if (n > STORE_PATH_MAX)
        return STORE_E_PATHTOOLONG;
    for (size_t i = 0; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        memcpy(part, path, i);
        part[i] = '\0';
        e = store_mkdir(s, &top, part);
        if (e != STORE_OK && e != STORE_E_EXIST)
            return e;
    }
    return store_open_subtree(s, &top, path, out);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *image = NULL, *root_path = "", *net_grants = "";
    const char *envs[WASI_MAX_ARGS];
    uint32_t nenv = 0;
    uint64_t fuel = 0, max_pages = 256, call_depth = 20000, disk_kib = 4096;
    int have_fuel = 0, stats = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--stats") == 0) {
            stats = 1;
            continue;
        }
        if (strcmp(o, "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc) {
            usage();
            return TOOL_EXIT_USAGE;
        }
        const char *v = argv[++i];
        int bad = 0;
        if (strcmp(o, "--dir") == 0)
            dir = v;
        else if (strcmp(o, "--image") == 0)
            image = v;
        else if (strcmp(o, "--root") == 0)
            root_path = v;
        else if (strcmp(o, "--net") == 0)
            net_grants = v;
        else if (strcmp(o, "--env") == 0) {
            if (nenv >= WASI_MAX_ARGS || strchr(v, '=') == NULL)
                bad = 1;
            else
                envs[nenv++] = v;
        } else if (strcmp(o, "--fuel") == 0) {
            bad = parse_u64(v, &fuel) != 0 || fuel > INT64_MAX;
            have_fuel = 1;
        } else if (strcmp(o, "--max-pages") == 0)
            bad = parse_u64(v, &max_pages) != 0 || max_pages > 65536;
        else if (strcmp(o, "--call-depth") == 0)
            bad = parse_u64(v, &call_depth) != 0 || call_depth == 0 || call_depth > 1000000;
        else if (strcmp(o, "--disk-kib") == 0)
            bad = parse_u64(v, &disk_kib) != 0 || disk_kib < 64 || disk_kib > (1u << 22);
        else
            bad = 1;
        if (bad) {
            fprintf(stderr, "anvaya-wasm: bad option %s %s\n", o, v);
            usage();
            return TOOL_EXIT_USAGE;
        }
    }
    if (i >= argc || (image && !dir)) {
        usage();
        return TOOL_EXIT_USAGE;
    }
    /* The grants first: a bad one is a usage error before anything is loaded. */
    static wasi_hostnet hnet;
    size_t where = 0;
    if (wasi_hostnet_init(&hnet, net_grants, &where, stderr) != WASI_ESUCCESS) {
        fprintf(stderr, "anvaya-wasm: --net: bad grant at offset %zu of '%s'\n", where,
                net_grants);
        return TOOL_EXIT_USAGE;
    }
    const char *modpath = argv[i];
    uint32_t app_argc = (uint32_t)(argc - i);
    if (app_argc > WASI_MAX_ARGS) {
        fprintf(stderr, "anvaya-wasm: more than %u arguments\n", WASI_MAX_ARGS);
        return TOOL_EXIT_USAGE;
    }

    /* The module. */
    FILE *mf = fopen(modpath, "rb");
    if (mf == NULL) {
        fprintf(stderr, "anvaya-wasm: %s: %s\n", modpath, strerror(errno));
        return TOOL_EXIT_LOAD;
    }
    size_t cap = 1 << 16, len = 0;
    unsigned char *bytes = malloc(cap);
    for (;;) {
        if (bytes == NULL) {
            fprintf(stderr, "anvaya-wasm: out of memory\n");
            return TOOL_EXIT_LOAD;
        }
        size_t n = fread(bytes + len, 1, cap - len, mf);
        len += n;
        if (n == 0)
            break;
        if (len == cap) {
            cap *= 2;
            bytes = realloc(bytes, cap);
        }
    }
    int read_err = ferror(mf);
    fclose(mf);
    if (read_err) {
        fprintf(stderr, "anvaya-wasm: %s: read error\n", modpath);
        return TOOL_EXIT_LOAD;
    }

    static const wasm_allocator alloc = {tool_realloc, NULL};
    static const wasm_memory_ops mem_ops = {tool_grow, tool_release, NULL};
    wasm_limits limits = {(uint32_t)max_pages, 100000, 1u << 22, (uint32_t)call_depth,
                          256u << 20};
    wasm_module *m;
    wasm_diag diag = {0};
    wasm_status st = wasm_module_load(&alloc, &limits, bytes, len, &m, &diag);
    free(bytes);
    if (st != WASM_OK) {
        fprintf(stderr, "anvaya-wasm: %s: %s (at byte %zu)\n", modpath,
                wasm_status_message(st), diag.offset);
        return TOOL_EXIT_LOAD;
    }

    /* The directory. */
    disk dk = {-1, NULL, {0}};
    store fs;
    void *fsmem = NULL;
    wasi_store_tree tree;
    wasi_preopen pre;
    if (dir) {
        if (image) {
            dk.fd = open(image, O_RDWR);
            struct stat sb;
            if (dk.fd < 0 || fstat(dk.fd, &sb) != 0) {
                fprintf(stderr, "anvaya-wasm: %s: %s\n", image, strerror(errno));
                return TOOL_EXIT_LOAD;
            }
            dk.dev.block_count = (uint64_t)sb.st_size / STORE_SECTOR;
        } else {
            dk.dev.block_count = disk_kib * 1024 / STORE_SECTOR;
            dk.ram = calloc(dk.dev.block_count, STORE_SECTOR);
            if (dk.ram == NULL) {
                fprintf(stderr, "anvaya-wasm: out of memory\n");
                return TOOL_EXIT_LOAD;
            }
        }
        dk.dev.ctx = &dk;
        dk.dev.read = d_read;
        dk.dev.write = d_write;
        dk.dev.flush = d_flush;
        dk.dev.block_size = STORE_SECTOR;
        store_err se = STORE_OK;
        if (!image)
            se = store_mkfs(&dk.dev, 4096);
        size_t mlen = store_mem_size(dk.dev.block_count, STORE_INODES_MAX, 2048);
        fsmem = aligned_alloc(8, (mlen + 7) & ~(size_t)7);
        if (se == STORE_OK && fsmem == NULL)
            se = STORE_E_NOMEM;
        if (se == STORE_OK)
            se = store_mount(&fs, &dk.dev, fsmem, mlen);
        if (se == STORE_OK)
            se = open_root(&fs, root_path, &tree.root);
        if (se != STORE_OK) {
            fprintf(stderr, "anvaya-wasm: the store%s%s: %s\n", image ? " " : "",
                    image ? image : "", store_strerror(se));
            return TOOL_EXIT_LOAD;
        }
        tree.s = &fs;
        pre.name = dir;
        pre.ops = wasi_store_ops();
        pre.ctx = &tree;
    }

    wasm_env *env;
    st = wasm_env_new(&alloc, &mem_ops, &limits, &env);
    if (st != WASM_OK) {
        fprintf(stderr, "anvaya-wasm: %s\n", wasm_status_message(st));
        return TOOL_EXIT_LOAD;
    }
    static const wasi_host_ops host = {h_write, h_read, h_clock, h_res, h_random, h_sleep,
                                       h_yield, NULL};
    wasi_config cfg = {(const char *const *)(argv + i), app_argc, envs, nenv,
                       dir ? &pre : NULL, dir ? 1u : 0u, &host};
    static wasi_ctx wc;
    wasi_errno we = wasi_init(&wc, &cfg, env);
    if (we != WASI_ESUCCESS) {
        fprintf(stderr, "anvaya-wasm: %s\n", wasi_errno_message(we));
        return TOOL_EXIT_USAGE;
    }
    we = wasi_net_attach(&wc, &hnet.ops);
    if (we != WASI_ESUCCESS) {
        fprintf(stderr, "anvaya-wasm: %s\n", wasi_errno_message(we));
        return TOOL_EXIT_USAGE;
    }
    wasm_instance *inst;
    st = wasm_instantiate(env, m, wasi_resolve, &wc, &inst);
    if (st != WASM_OK) {
        fprintf(stderr, "anvaya-wasm: %s: %s\n", modpath, wasm_status_message(st));
        return TOOL_EXIT_LOAD;
    }
    const int64_t fuel0 = have_fuel ? (int64_t)fuel : INT64_MAX;
    wasm_env_set_fuel(env, fuel0);
    wasi_result r = wasi_run(&wc, inst);
    int rc;
    switch (r.outcome) {
    case WASI_EXITED:
        rc = (int)(r.exit_code & 0xff);
        break;
    case WASI_TRAPPED:
        fprintf(stderr, "anvaya-wasm: %s: trap: %s\n", modpath, wasm_status_message(r.status));
        rc = TOOL_EXIT_TRAP;
        break;
    default:
        fprintf(stderr, "anvaya-wasm: %s: not a WASI command (no _start or memory export)\n",
                modpath);
        rc = TOOL_EXIT_LOAD;
        break;
    }
    if (stats)
        fprintf(stderr, "anvaya-wasm: fuel used %" PRId64 ", WASI calls %" PRIu32 "\n",
                fuel0 - wasm_env_fuel(env), wc.calls);
    if (dir) {
        store_err se = store_sync(&fs);
        if (se != STORE_OK) {
            fprintf(stderr, "anvaya-wasm: the store: %s\n", store_strerror(se));
            if (rc == 0)
                rc = TOOL_EXIT_LOAD;
        }
        if (dk.fd >= 0)
            close(dk.fd);
    }
    wasi_hostnet_close_all(&hnet);
    wasm_env_free(env);
    wasm_module_free(m);
    free(fsmem);
    free(dk.ram);
    return rc;
}
