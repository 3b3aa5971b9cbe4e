/* The WebAssembly runner: one WASI app in this process. Loads its module from the file
 * store, runs it under lib/wasm and lib/wasi with its home directory (Files), console and
 * clock, and ends with the app's exit status, or 70 with the reason logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WASMRUN_GEN_HEADER
#error "build with -DWASMRUN_GEN_HEADER=\"<instance>_gen.h\""
#endif
#include WASMRUN_GEN_HEADER

#include "../../lib/wasi/wasi.h"
#include "../../lib/wasi/wasi_store.h"
#include "../../lib/wasm/wasm.h"
#ifdef WASM_RUNNER_HANDLE_NET
#include "wasmrun_net.h"
#endif

#define RUN_EXIT_TRAP 70  /* a trap, fuel or a limit ended the app */
#define RUN_EXIT_LOAD 65  /* the module could not be loaded, decoded, validated or linked */
#define NAME WASM_RUNNER_INSTANCE_NAME
#define PATH_CAP 128u     /* Files paths are bytes<128> */

static volatile uint8_t *const dport = (volatile uint8_t *)WASM_RUNNER_BUF;

/* Instructions retired by this hart (every process and the kernel): exact under QEMU's
 * -icount shift=0, which is how tools/wasm_guest_bench.py reads the figures below. */
static uint64_t rdinstret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

static uint64_t rdtime(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

/* ---- the app's directory over Files ---- */

/* "home" + "/" + the app's path, as the IDL's bytes<128>. */
static wasi_errno files_path(const char *path, struct anv_bytes_128 *out)
{
    const char *home = WASM_RUNNER_CONFIG_HOME;
    size_t h = strlen(home), p = strlen(path);
    size_t n = h + (h && p ? 1 : 0) + p;
    if (n > PATH_CAP)
        return WASI_ENAMETOOLONG;
    memset(out, 0, sizeof *out);
    memcpy(out->data, home, h);
    if (h && p)
        out->data[h] = '/';
    memcpy(out->data + n - p, path, p);
    out->len = (uint32_t)n;
    return WASI_ESUCCESS;
}

/* A Files result: 600 + the store's error, or an IPC error (the store is unreachable). */
static wasi_errno files_errno(int rc)
{
    if (rc == ANV_OK)
        return WASI_ESUCCESS;
    if (rc >= 600 && rc < 600 + STORE_E_COUNT)
        return wasi_errno_from_store(rc - 600);
    return WASI_EIO;
}

#define WITH_PATH(var, path)                                                               \
    struct anv_bytes_128 var;                                                              \
    do {                                                                                   \
        wasi_errno pe_ = files_path(path, &var);                                           \
        if (pe_ != WASI_ESUCCESS)                                                          \
            return pe_;                                                                    \
    } while (0)

static wasi_errno f_stat(void *ctx, const char *path, wasi_file_stat *out)
{
    WITH_PATH(p, path);
    struct file_stat st;
    int rc = wasm_runner_files_stat(&p, &st);
    if (rc != ANV_OK)
        return files_errno(rc);
    out->type = st.type == 2 ? WASI_FILETYPE_DIRECTORY : WASI_FILETYPE_REGULAR_FILE;
    out->ino = 0;
    out->size = st.type == 2 ? 0 : st.size;
    return WASI_ESUCCESS;
}

static wasi_errno f_create(void *ctx, const char *path)
{
    WITH_PATH(p, path);
    return files_errno(wasm_runner_files_create(&p));
}

static wasi_errno f_mkdir(void *ctx, const char *path)
{
    WITH_PATH(p, path);
    return files_errno(wasm_runner_files_mkdir(&p));
}

static wasi_errno f_read(void *ctx, const char *path, uint64_t off, void *buf, size_t len,
                         size_t *got)
{
    WITH_PATH(p, path);
    if (len > WASM_RUNNER_BUF_SIZE)
        return WASI_EINVAL;
    uint32_t n = 0;
    int rc = wasm_runner_files_read(&p, off, (uint32_t)len, &n);
    if (rc != ANV_OK)
        return files_errno(rc);
    if (n > len)
        return WASI_EIO;
    uint8_t *b = buf;
    for (uint32_t i = 0; i < n; i++)
        b[i] = dport[i];
    *got = n;
    return WASI_ESUCCESS;
}

static wasi_errno f_write(void *ctx, const char *path, uint64_t off, const void *buf,
                          size_t len)
{
    WITH_PATH(p, path);
    if (len > WASM_RUNNER_BUF_SIZE)
        return WASI_EINVAL;
    const uint8_t *b = buf;
    for (size_t i = 0; i < len; i++)
        dport[i] = b[i];
    return files_errno(wasm_runner_files_write(&p, off, (uint32_t)len));
}

static wasi_errno f_truncate(void *ctx, const char *path, uint64_t size)
{
    WITH_PATH(p, path);
    return files_errno(wasm_runner_files_truncate(&p, size));
}

static wasi_errno f_rename(void *ctx, const char *from, const char *to)
{
    WITH_PATH(a, from);
    WITH_PATH(b, to);
    return files_errno(wasm_runner_files_rename(&a, &b));
}

static wasi_errno f_unlink(void *ctx, const char *path)
{
    WITH_PATH(p, path);
    return files_errno(wasm_runner_files_unlink(&p));
}

static wasi_errno f_rmdir(void *ctx, const char *path)
{
    WITH_PATH(p, path);
    return files_errno(wasm_runner_files_rmdir(&p));
}

static wasi_errno f_list(void *ctx, const char *path, uint64_t *cookie, char *name,
                         size_t name_cap, wasi_file_stat *st, int *end)
{
    WITH_PATH(p, path);
    struct anv_bytes_54 n;
    uint32_t type = 0;
    uint64_t size = 0, c = *cookie;
    memset(&n, 0, sizeof n);
    int rc = wasm_runner_files_list(&p, &c, &n, &type, &size);
    if (rc == 627) { /* Files END */
        *end = 1;
        return WASI_ESUCCESS;
    }
    if (rc != ANV_OK)
        return files_errno(rc);
    if (n.len + 1 > name_cap || n.len > sizeof n.data)
        return WASI_ENAMETOOLONG;
    memcpy(name, n.data, n.len);
    name[n.len] = '\0';
    st->type = type == 2 ? WASI_FILETYPE_DIRECTORY : WASI_FILETYPE_REGULAR_FILE;
    st->ino = 0;
    st->size = size;
    *cookie = c;
    *end = 0;
    return WASI_ESUCCESS;
}

static wasi_errno f_sync(void *ctx)
{
    return files_errno(wasm_runner_files_sync());
}

static const wasi_fs_ops files_ops = {
    f_stat, f_create, f_mkdir, f_read, f_write, f_truncate, f_rename, f_unlink, f_rmdir,
    f_list, f_sync, WASM_RUNNER_BUF_SIZE,
};

/* ---- console, clock ---- */

/* The app's output, one console line per line, marked "<instance>> " (stdout) or
 * "<instance>! " (stderr) so a reader can tell it from every other process's. */
typedef struct line_buf {
    char text[200];
    size_t len;
} line_buf;

static line_buf out_lines[2];

static void line_flush(int which)
{
    line_buf *l = &out_lines[which];
    char line[sizeof l->text + 40];
    int n = snprintf(line, sizeof line, "%s%c %.*s\n", NAME, which == 0 ? '>' : '!',
                     (int)l->len, l->text);
    if (n > 0)
        (void)anv_debug_write(WASM_RUNNER_HANDLE_CONSOLE, line, (size_t)n);
    l->len = 0;
}

static wasi_errno h_write(void *ctx, int fd, const void *buf, size_t len)
{
    int which = fd == 1 ? 0 : 1;
    line_buf *l = &out_lines[which];
    const char *p = buf;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '\n') {
            line_flush(which);
            continue;
        }
        if (l->len == sizeof l->text)
            line_flush(which);
        l->text[l->len++] = p[i];
    }
    return WASI_ESUCCESS;
}

static wasi_errno h_clock(void *ctx, uint32_t id, uint64_t *ns)
{
    /* No wall clock in the system yet: only the monotonic one. */
    if (id != 1)
        return WASI_ENOTSUP;
    uint64_t t = rdtime(), hz = WASM_RUNNER_CONFIG_TIMEBASE_HZ;
    *ns = t / hz * 1000000000u + t % hz * 1000000000u / hz;
    return WASI_ESUCCESS;
}

static wasi_errno h_res(void *ctx, uint32_t id, uint64_t *ns)
{
    if (id != 1)
        return WASI_ENOTSUP;
    uint64_t hz = WASM_RUNNER_CONFIG_TIMEBASE_HZ;
    *ns = hz >= 1000000000u ? 1 : 1000000000u / hz;
    return WASI_ESUCCESS;
}

/* Sleeps in the kernel's ticks (10 ms), at least one: 0 would wait forever. */
static wasi_errno h_sleep(void *ctx, uint64_t ns)
{
    uint64_t ticks = ns / 10000000u + (ns % 10000000u ? 1 : 0);
    if (ticks == 0)
        ticks = 1;
    if (ticks > ((uint64_t)1 << 40))
        ticks = (uint64_t)1 << 40;
    uint64_t result = 0;
    int rc = anv_wait_one(ANV_HANDLE_NULL, ticks, &result, NULL);
    return rc == ANV_OK ? WASI_ESUCCESS : WASI_EINTR;
}

static wasi_errno h_yield(void *ctx)
{
    return anv_thread_yield() == ANV_OK ? WASI_ESUCCESS : WASI_EINVAL;
}

/* ---- memory for the interpreter: the heap ---- */

static void *run_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, new_size);
}

static void *run_grow(void *ctx, void *base, size_t old_bytes, size_t new_bytes,
                      size_t max_bytes)
{
    uint8_t *p = realloc(base, new_bytes ? new_bytes : 1);
    if (p == NULL)
        return NULL;
    memset(p + old_bytes, 0, new_bytes - old_bytes);
    return p;
}

static void run_release(void *ctx, void *base, size_t bytes)
{
    free(base);
}

/* ---- the module's source ---- */

/* The one place a module comes from: today the file `module` in the Files root (the
 * package service will hand verified modules here later). */
static int module_source(uint8_t **bytes, size_t *len)
{
    struct anv_bytes_128 p;
    memset(&p, 0, sizeof p);
    size_t n = strlen(WASM_RUNNER_CONFIG_MODULE);
    memcpy(p.data, WASM_RUNNER_CONFIG_MODULE, n);
    p.len = (uint32_t)n;
    struct file_stat st;
    int rc = wasm_runner_files_stat(&p, &st);
    if (rc != ANV_OK || st.type != 1 || st.size == 0 || st.size > (4u << 20)) {
        printf("%s: module %s: %s\n", NAME, WASM_RUNNER_CONFIG_MODULE,
               rc != ANV_OK ? wasi_errno_message(files_errno(rc)) : "not a file of 1 byte to 4 MiB");
        return -1;
    }
    uint8_t *b = malloc((size_t)st.size);
    if (b == NULL) {
        printf("%s: module %s: no memory for %lu bytes\n", NAME, WASM_RUNNER_CONFIG_MODULE,
               (unsigned long)st.size);
        return -1;
    }
    for (uint64_t off = 0; off < st.size;) {
        uint64_t want = st.size - off;
        if (want > WASM_RUNNER_BUF_SIZE)
            want = WASM_RUNNER_BUF_SIZE;
        uint32_t got = 0;
        rc = wasm_runner_files_read(&p, off, (uint32_t)want, &got);
        if (rc != ANV_OK || got != want) {
            printf("%s: module %s: read at %lu failed (%d)\n", NAME, WASM_RUNNER_CONFIG_MODULE,
                   (unsigned long)off, rc);
            free(b);
            return -1;
        }
        for (uint32_t i = 0; i < got; i++)
            b[off + i] = dport[i];
        off += got;
    }
    *bytes = b;
    *len = (size_t)st.size;
    return 0;
}

/* ---- arguments: the config's space-separated words ---- */

static char arg_text[2][132];
static const char *argv_words[34], *env_words[33];

static uint32_t split(char *s, const char **out, uint32_t cap)
{
    uint32_t n = 0;
    char *p = s;
    while (*p && n < cap) {
        while (*p == ' ')
            *p++ = '\0';
        if (*p == '\0')
            break;
        out[n++] = p;
        while (*p && *p != ' ')
            p++;
    }
    return n;
}

static wasi_ctx wc;

/* Sockets for the app when the system connects our `net` port to the network stack (the
 * stack enforces that connection's grants); otherwise its socket calls are ENOSYS. */
static int attach_sockets(void)
{
#ifdef WASM_RUNNER_HANDLE_NET
    wasi_errno e = wasmrun_net_attach(&wc);
    if (e != WASI_ESUCCESS) {
        printf("%s: sockets: %s\n", NAME, wasi_errno_message(e));
        return -1;
    }
    printf("%s: sockets through the network stack\n", NAME);
#endif
    return 0;
}

int main(void)
{
    printf("%s: module %s, fuel %lu, %u pages at most\n", NAME, WASM_RUNNER_CONFIG_MODULE,
           (unsigned long)WASM_RUNNER_CONFIG_FUEL, (unsigned)WASM_RUNNER_CONFIG_MAX_PAGES);
    /* The app's home: made if missing (the store confines us to our root in any case). */
    struct anv_bytes_128 home;
    if (files_path("", &home) != WASI_ESUCCESS) {
        printf("%s: home path too long\n", NAME);
        return RUN_EXIT_LOAD;
    }
    int rc = wasm_runner_files_mkdir(&home);
    if (rc != ANV_OK && rc != 608) {
        printf("%s: home %s: %s\n", NAME, WASM_RUNNER_CONFIG_HOME,
               wasi_errno_message(files_errno(rc)));
        return RUN_EXIT_LOAD;
    }
    uint8_t *bytes;
    size_t len;
    if (module_source(&bytes, &len) != 0)
        return RUN_EXIT_LOAD;
    uint64_t t0 = rdtime(), i0 = rdinstret();
    static const wasm_allocator alloc = {run_realloc, NULL};
    static const wasm_memory_ops mem_ops = {run_grow, run_release, NULL};
    wasm_limits limits = {WASM_RUNNER_CONFIG_MAX_PAGES, 10000, 65536, 2000, 4u << 20};
    wasm_module *m;
    wasm_diag diag = {0};
    wasm_status st = wasm_module_load(&alloc, &limits, bytes, len, &m, &diag);
    free(bytes);
    if (st != WASM_OK) {
        printf("%s: module refused: %s (at byte %lu)\n", NAME, wasm_status_message(st),
               (unsigned long)diag.offset);
        return RUN_EXIT_LOAD;
    }
    uint64_t i_loaded = rdinstret();
    wasm_env *env;
    st = wasm_env_new(&alloc, &mem_ops, &limits, &env);
    if (st != WASM_OK) {
        printf("%s: %s\n", NAME, wasm_status_message(st));
        return RUN_EXIT_LOAD;
    }

    wasi_preopen pre = {".", &files_ops, NULL};

    memcpy(arg_text[0], WASM_RUNNER_CONFIG_ARGS, sizeof WASM_RUNNER_CONFIG_ARGS);
    memcpy(arg_text[1], WASM_RUNNER_CONFIG_ENV, sizeof WASM_RUNNER_CONFIG_ENV);
    argv_words[0] = WASM_RUNNER_CONFIG_MODULE;
    uint32_t argc = 1 + split(arg_text[0], argv_words + 1, 33);
    uint32_t envc = split(arg_text[1], env_words, 33);
    static const wasi_host_ops host = {h_write, NULL, h_clock, h_res, NULL, h_sleep, h_yield,
                                       NULL};
    wasi_config cfg = {argv_words, argc, env_words, envc, &pre, 1, &host};
    wasi_errno we = wasi_init(&wc, &cfg, env);
    if (we != WASI_ESUCCESS) {
        printf("%s: %s\n", NAME, wasi_errno_message(we));
        return RUN_EXIT_LOAD;
    }
    if (attach_sockets() != 0)
        return RUN_EXIT_LOAD;
    wasm_instance *inst;
    st = wasm_instantiate(env, m, wasi_resolve, &wc, &inst);
    if (st != WASM_OK) {
        printf("%s: instantiation: %s\n", NAME, wasm_status_message(st));
        return RUN_EXIT_LOAD;
    }
    uint64_t t1 = rdtime(), i1 = rdinstret();
    int64_t fuel0 = WASM_RUNNER_CONFIG_FUEL ? (int64_t)WASM_RUNNER_CONFIG_FUEL : INT64_MAX;
    wasm_env_set_fuel(env, fuel0);
    wasi_result r = wasi_run(&wc, inst);
    uint64_t t2 = rdtime(), i2 = rdinstret();
    for (int i = 0; i < 2; i++)
        if (out_lines[i].len > 0)
            line_flush(i);
    int sync_rc = wasm_runner_files_sync();
    int status;
    char reason[96];
    if (r.outcome == WASI_EXITED) {
        status = (int)(r.exit_code & 0xff);
        snprintf(reason, sizeof reason, "exited with status %d", status);
    } else if (r.outcome == WASI_TRAPPED) {
        status = RUN_EXIT_TRAP;
        snprintf(reason, sizeof reason, "ended by %s (status %d)",
                 wasm_status_message(r.status), status);
    } else {
        status = RUN_EXIT_LOAD;
        snprintf(reason, sizeof reason, "not a WASI command (status %d)", status);
    }
    printf("%s: app %s; %lu WASI calls, fuel used %ld, instantiate %lu ticks, run %lu ticks, "
           "sync %d\n", NAME, reason, (unsigned long)wc.calls,
           (long)(fuel0 - wasm_env_fuel(env)), (unsigned long)(t1 - t0),
           (unsigned long)(t2 - t1), sync_rc);
    printf("%s: instructions: load %lu (%lu module bytes), instantiate %lu, run %lu\n", NAME,
           (unsigned long)(i_loaded - i0), (unsigned long)len, (unsigned long)(i1 - i_loaded),
           (unsigned long)(i2 - i1));
    return status;
}
