/* The WebAssembly runner: one WASI app in this process. Loads its module (an installed
 * package through the package service, or a file of its Files root), decides its
 * capabilities (wasmrun_grants.c), runs it under lib/wasm and lib/wasi with what it was
 * granted, and ends with the app's exit status, or 70 with the reason logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */

#include "../../lib/wasi/wasi.h"
#include "../../lib/wasi/wasi_store.h"
#include "../../lib/wasm/wasm.h"
#include "wasmrun_grants.h"
#ifdef WASM_RUNNER_HANDLE_NET
#include "wasmrun_net.h"
#endif

#define RUN_EXIT_TRAP 70  /* a trap, fuel or a limit ended the app */
#define RUN_EXIT_LOAD 65  /* the module could not be loaded, decoded, validated or linked */
#define RUN_EXIT_ABSENT 69 /* the package was not installed within wait_ms */
#define NAME WASM_RUNNER_INSTANCE_NAME
#define PATH_CAP 128u     /* Files paths are bytes<128> */


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

/* What the app may use: decided once in main() before it starts (decide_grants()). */
static wasmrun_grants grants;

bool wasmrun_grant_net(void)
{
    return grants.net;
}

#ifdef WASM_RUNNER_HANDLE_FILES
/* ---- the app's directory over Files ---- */

static volatile uint8_t *const dport = (volatile uint8_t *)WASM_RUNNER_BUF;

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
#endif /* WASM_RUNNER_HANDLE_FILES */

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

/* A clock the app was not granted is ENOTCAPABLE. The wall clock is the real-time clock
 * service's (our optional `wallclock` port): the runner offers it only when connected. */
static wasi_errno clock_allowed(uint32_t id)
{
    if (id == 1)
        return grants.clocks & WASMRUN_CLOCK_MONOTONIC ? WASI_ESUCCESS : WASI_ENOTCAPABLE;
    if (id == 0)
        return grants.clocks & WASMRUN_CLOCK_WALL ? WASI_ESUCCESS : WASI_ENOTCAPABLE;
    return WASI_EINVAL;
}

static wasi_errno h_clock(void *ctx, uint32_t id, uint64_t *ns)
{
    wasi_errno e = clock_allowed(id);
    if (e != WASI_ESUCCESS)
        return e;
#ifdef WASM_RUNNER_HANDLE_WALLCLOCK
    if (id == 0)
        return wasm_runner_wallclock_now(ns) == ANV_OK ? WASI_ESUCCESS : WASI_EIO;
#endif
    uint64_t t = rdtime(), hz = WASM_RUNNER_CONFIG_TIMEBASE_HZ;
    *ns = t / hz * 1000000000u + t % hz * 1000000000u / hz;
    return WASI_ESUCCESS;
}

static wasi_errno h_res(void *ctx, uint32_t id, uint64_t *ns)
{
    wasi_errno e = clock_allowed(id);
    if (e != WASI_ESUCCESS)
        return e;
    uint64_t hz = WASM_RUNNER_CONFIG_TIMEBASE_HZ;
    /* The wall clock counts nanoseconds; the monotonic one the timebase's ticks. */
    *ns = id == 0 ? 1 : hz >= 1000000000u ? 1 : 1000000000u / hz;
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

/* ---- entropy ---- */

/* random_get: fresh bytes from the Entropy service, 64 at a time; ENOTCAPABLE unless the
 * app was granted entropy (which needs the connection). Nothing is written to the app's
 * buffer unless the whole request was served. */
static wasi_errno h_random(void *ctx, void *buf, size_t len)
{
    if (!grants.entropy)
        return WASI_ENOTCAPABLE;
#ifdef WASM_RUNNER_HANDLE_ENTROPY
    static uint32_t entropy_failures;
    uint8_t *out = buf;
    for (size_t at = 0; at < len;) {
        uint32_t want = len - at > 64 ? 64u : (uint32_t)(len - at);
        struct anv_bytes_64 r;
        memset(&r, 0, sizeof r);
        int rc = wasm_runner_entropy_read(want, &r);
        if (rc != ANV_OK || r.len != want) {
            if (entropy_failures++ == 0)
                printf("%s: the entropy service failed (%d): random_get is EIO\n", NAME, rc);
            return WASI_EIO;
        }
        memcpy(out + at, r.data, want);
        at += want;
    }
    return WASI_ESUCCESS;
#else
    (void)buf;
    (void)len;
    return WASI_ENOTCAPABLE;
#endif
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

/* The module read from the file `module` in the Files root (no package configured). */
static int module_from_files(uint8_t **bytes, size_t *len)
{
#ifdef WASM_RUNNER_HANDLE_FILES
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
#else
    (void)bytes;
    (void)len;
    printf("%s: no package configured and no Files connection to read %s from\n", NAME,
           WASM_RUNNER_CONFIG_MODULE);
    return -1;
#endif
}

#define PKG_MAX_PAYLOAD (4u << 20)  /* the heap holds the module and the app */
#define PKG_LIST_MAX 256u           /* entries of the service's list looked at */
#define PKG_POLL_TICKS 10u          /* 100 ms between asking again for a missing package */

#ifdef WASM_RUNNER_HANDLE_PACKAGES
static volatile uint8_t *const pport = (volatile uint8_t *)WASM_RUNNER_PKGBUF;

static struct anv_bytes_64 package_name64(void)
{
    struct anv_bytes_64 b;
    memset(&b, 0, sizeof b);
    size_t n = strlen(WASM_RUNNER_CONFIG_PACKAGE);
    memcpy(b.data, WASM_RUNNER_CONFIG_PACKAGE, n);
    b.len = (uint32_t)n;
    return b;
}

/* The installed package's entry in the service's list: ANV_OK, PACKAGE_READER_E_NOENT if
 * it is not there, or the service's error. */
static int package_find(struct package_info *out)
{
    size_t want = strlen(WASM_RUNNER_CONFIG_PACKAGE);
    uint32_t cookie = 0;
    for (uint32_t i = 0; i < PKG_LIST_MAX; i++) {
        struct package_info pi;
        memset(&pi, 0, sizeof pi);
        int rc = wasm_runner_packages_list(&cookie, &pi);
        if (rc == (int)PACKAGE_READER_E_END)
            return (int)PACKAGE_READER_E_NOENT;
        if (rc != ANV_OK)
            return rc;
        if (pi.name.len == want && memcmp(pi.name.data, WASM_RUNNER_CONFIG_PACKAGE, want) == 0) {
            *out = pi;
            return ANV_OK;
        }
    }
    return (int)PACKAGE_READER_E_NOENT;
}

/* The whole verified payload: ANV_OK with *bytes (malloc'd) and *len, or the service's
 * error (NOENT: uninstalled meanwhile). A package replaced while being read (its length
 * changed) is read again from the start, a bounded number of times. */
static int package_payload(uint8_t **bytes, size_t *len)
{
    struct anv_bytes_64 name = package_name64();
    for (int attempt = 0; attempt < 3; attempt++) {
        uint32_t got = 0;
        uint64_t total = 0;
        int rc = wasm_runner_packages_read(&name, 0, 0, &got, &total);
        if (rc != ANV_OK)
            return rc;
        if (total == 0 || total > PKG_MAX_PAYLOAD) {
            printf("%s: package %s: payload of %lu bytes (1 byte to 4 MiB runs)\n", NAME,
                   WASM_RUNNER_CONFIG_PACKAGE, (unsigned long)total);
            return (int)PACKAGE_READER_E_ARGUMENT;
        }
        uint8_t *b = malloc((size_t)total);
        if (b == NULL) {
            printf("%s: package %s: no memory for %lu bytes\n", NAME, WASM_RUNNER_CONFIG_PACKAGE,
                   (unsigned long)total);
            return (int)PACKAGE_READER_E_ARGUMENT;
        }
        uint64_t off = 0;
        int changed = 0;
        while (off < total && rc == ANV_OK) {
            uint64_t want = total - off;
            if (want > WASM_RUNNER_PKGBUF_SIZE)
                want = WASM_RUNNER_PKGBUF_SIZE;
            uint64_t t2 = 0;
            rc = wasm_runner_packages_read(&name, off, (uint32_t)want, &got, &t2);
            if (rc != ANV_OK)
                break;
            if (t2 != total || got != want) {
                changed = 1;
                break;
            }
            for (uint32_t i = 0; i < got; i++)
                b[off + i] = pport[i];
            off += got;
        }
        if (rc == ANV_OK && !changed) {
            *bytes = b;
            *len = (size_t)total;
            return ANV_OK;
        }
        free(b);
        if (rc != ANV_OK)
            return rc;
    }
    printf("%s: package %s: changed while being read, three times\n", NAME,
           WASM_RUNNER_CONFIG_PACKAGE);
    return (int)PACKAGE_READER_E_ARGUMENT;
}

static const char *reader_error(int rc)
{
    switch (rc) {
    case (int)PACKAGE_READER_E_ARGUMENT: return "refused (argument)";
    case (int)PACKAGE_READER_E_NOENT: return "not installed";
    case (int)PACKAGE_READER_E_CORRUPT: return "no longer verifies (corrupt): not run";
    default: return "the package service failed";
    }
}
#endif

/* The installed package: its entry (what it requests) and its verified payload. Waits for
 * it, polling every 100 ms, up to wait_ms. Returns 0, or the exit status to end with. */
static int module_from_package(uint8_t **bytes, size_t *len, wasmrun_request *req,
                               uint64_t *instr)
{
#ifdef WASM_RUNNER_HANDLE_PACKAGES
    uint64_t hz = WASM_RUNNER_CONFIG_TIMEBASE_HZ;
    uint64_t start = rdtime(), limit = (uint64_t)WASM_RUNNER_CONFIG_WAIT_MS * (hz / 1000u);
    int waiting = 0, replaced = 0;
    for (;;) {
        struct package_info pi;
        int rc = package_find(&pi);
        if (rc == ANV_OK && pi.payload_kind != 1) {
            printf("%s: package %s: payload kind %u is not a WebAssembly module\n", NAME,
                   WASM_RUNNER_CONFIG_PACKAGE, (unsigned)pi.payload_kind);
            return RUN_EXIT_LOAD;
        }
        uint64_t i0 = rdinstret();
        if (rc == ANV_OK)
            rc = package_payload(bytes, len);
        *instr = rdinstret() - i0;
        if (rc == ANV_OK) {
            /* An upgrade between two chunks could splice two versions of equal length:
             * the entry after the read must be the one before it. */
            struct package_info after;
            int rc2 = package_find(&after);
            if (rc2 != ANV_OK || after.major != pi.major || after.minor != pi.minor ||
                after.patch != pi.patch || after.payload_length != *len) {
                free(*bytes);
                *bytes = NULL;
                if (++replaced < 3)
                    continue;
                printf("%s: package %s: replaced while being read, three times\n", NAME,
                       WASM_RUNNER_CONFIG_PACKAGE);
                return RUN_EXIT_LOAD;
            }
        }
        if (rc == ANV_OK) {
            req->storage = pi.storage_quota > 0;
            req->net = pi.net_count > 0;
            req->console = pi.console;
            req->entropy = pi.entropy;
            req->clocks = pi.clocks;
            printf("%s: package %s %u.%u.%u, %lu payload bytes, verified by the service%s\n",
                   NAME, WASM_RUNNER_CONFIG_PACKAGE, (unsigned)pi.major, (unsigned)pi.minor,
                   (unsigned)pi.patch, (unsigned long)*len, waiting ? " (after waiting)" : "");
            return 0;
        }
        if (rc != (int)PACKAGE_READER_E_NOENT) {
            printf("%s: package %s: %s (%d)\n", NAME, WASM_RUNNER_CONFIG_PACKAGE,
                   reader_error(rc), rc);
            return RUN_EXIT_LOAD;
        }
        uint64_t now = rdtime();
        if (now - start >= limit) {
            printf("%s: package %s: not installed after %u ms: giving up (status %d)\n", NAME,
                   WASM_RUNNER_CONFIG_PACKAGE, (unsigned)WASM_RUNNER_CONFIG_WAIT_MS,
                   RUN_EXIT_ABSENT);
            return RUN_EXIT_ABSENT;
        }
        if (!waiting) {
            printf("%s: package %s: not installed yet: waiting up to %u ms\n", NAME,
                   WASM_RUNNER_CONFIG_PACKAGE, (unsigned)WASM_RUNNER_CONFIG_WAIT_MS);
            waiting = 1;
        }
        uint64_t res = 0;
        (void)anv_wait_one(ANV_HANDLE_NULL, PKG_POLL_TICKS, &res, NULL);
    }
#else
    (void)bytes;
    (void)len;
    (void)req;
    (void)instr;
    printf("%s: package %s: this runner has no PackageReader connection\n", NAME,
           WASM_RUNNER_CONFIG_PACKAGE);
    return RUN_EXIT_LOAD;
#endif
}

/* ---- capabilities ---- */

/* What the system granted this runner: its connections and its configuration. */
static wasmrun_grants runner_offer(void)
{
    wasmrun_grants o;
    memset(&o, 0, sizeof o);
#ifdef WASM_RUNNER_HANDLE_FILES
    o.storage = true;
#endif
#ifdef WASM_RUNNER_HANDLE_ENTROPY
    o.entropy = true;
#endif
#ifdef WASM_RUNNER_HANDLE_NET
    o.net = true;
#endif
    o.console = WASM_RUNNER_CONFIG_GRANT_CONSOLE;
    o.clocks = WASM_RUNNER_CONFIG_GRANT_CLOCKS & WASMRUN_CLOCK_MONOTONIC;
#ifdef WASM_RUNNER_HANDLE_WALLCLOCK
    o.clocks |= WASM_RUNNER_CONFIG_GRANT_CLOCKS & WASMRUN_CLOCK_WALL;
#endif
    return o;
}

/* The decision, once, before the app starts, and its console line. */
static void decide_grants(const wasmrun_request *req)
{
    wasmrun_grants offer = runner_offer();
    wasmrun_grants_decide(req, &offer, &grants);
    char line[ANV_DEBUG_WRITE_MAX];
    int n = snprintf(line, sizeof line, "%s: ", NAME);
    if (n < 0 || (size_t)n >= sizeof line)
        return;
    size_t at = (size_t)n;
    at += wasmrun_grants_describe(req, &offer, &grants, line + at, sizeof line - at - 1);
    line[at++] = '\n';
    (void)anv_debug_write(WASM_RUNNER_HANDLE_CONSOLE, line, at);
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

/* Sockets for the app when its package asks for the network and the system connects our
 * `net` port to the network stack (the stack enforces that connection's grants);
 * otherwise the anvaya socket imports answer ENOTCAPABLE. */
static int attach_sockets(void)
{
    if (!grants.net) {
        wasi_net_refuse(&wc);
        return 0;
    }
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

/* The app's home below the Files root, made if missing: only for an app granted storage
 * (the store confines us to our root in any case). Returns 0 or the exit status. */
static int prepare_home(void)
{
#ifdef WASM_RUNNER_HANDLE_FILES
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
#endif
    return 0;
}

int main(void)
{
    const int from_package = WASM_RUNNER_CONFIG_PACKAGE[0] != '\0';
    const char *what = from_package ? WASM_RUNNER_CONFIG_PACKAGE : WASM_RUNNER_CONFIG_MODULE;
    printf("%s: %s %s, fuel %lu, %u pages at most\n", NAME, from_package ? "package" : "module",
           what, (unsigned long)WASM_RUNNER_CONFIG_FUEL, (unsigned)WASM_RUNNER_CONFIG_MAX_PAGES);
    uint8_t *bytes = NULL;
    size_t len = 0;
    /* A module from the Files root has no manifest: it is taken to request exactly what
     * the runner is granted (the system's word alone), as before packages. */
    wasmrun_request req;
    memset(&req, 0, sizeof req);
    uint64_t i_read = 0;
    if (from_package) {
        int rc = module_from_package(&bytes, &len, &req, &i_read);
        if (rc != 0)
            return rc;
    } else {
        if (module_from_files(&bytes, &len) != 0)
            return RUN_EXIT_LOAD;
        wasmrun_grants o = runner_offer();
        req = (wasmrun_request){o.storage, o.net, o.console, o.entropy, o.clocks};
    }
    decide_grants(&req);
    if (grants.storage) {
        int rc = prepare_home();
        if (rc != 0)
            return rc;
    }
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

    /* Storage is the one preopen; without the grant the app has none (fd 3 is EBADF). */
    wasi_preopen pre[1];
    uint32_t npre = 0;
#ifdef WASM_RUNNER_HANDLE_FILES
    if (grants.storage)
        pre[npre++] = (wasi_preopen){".", &files_ops, NULL};
#endif

    memcpy(arg_text[0], WASM_RUNNER_CONFIG_ARGS, sizeof WASM_RUNNER_CONFIG_ARGS);
    memcpy(arg_text[1], WASM_RUNNER_CONFIG_ENV, sizeof WASM_RUNNER_CONFIG_ENV);
    argv_words[0] = what;
    uint32_t argc = 1 + split(arg_text[0], argv_words + 1, 33);
    uint32_t envc = split(arg_text[1], env_words, 33);
    /* No console grant: no console_write, so fds 1 and 2 are EBADF (lib/wasi). Clocks and
     * random_get answer ENOTCAPABLE themselves when not granted. */
    static wasi_host_ops host = {h_write, NULL, h_clock, h_res, h_random, h_sleep, h_yield,
                                 NULL};
    if (!grants.console)
        host.console_write = NULL;
    wasi_config cfg = {argv_words, argc, env_words, envc, pre, npre, &host};
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
    int sync_rc = 0;
#ifdef WASM_RUNNER_HANDLE_FILES
    if (grants.storage)
        sync_rc = wasm_runner_files_sync();
#endif
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
    /* Every process's instructions on this hart while the payload was read: the service's
     * re-verification, and whatever else ran meanwhile (another runner's read). */
    if (from_package)
        printf("%s: instructions: package read %lu (the service's verification and the copy)\n",
               NAME, (unsigned long)i_read);
    return status;
}
