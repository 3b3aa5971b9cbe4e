/* libFuzzer target for lib/wasi: an input is a linear memory's first bytes and a script
 * of WASI calls with arbitrary arguments (pointers, lengths, descriptors, paths and
 * subscriptions the app controls), run against lib/store on an in-memory disk, and the
 * anvaya socket functions against a small deterministic socket model (each connection
 * loops back what is sent into it; some ports refuse, time out or never finish the
 * handshake; names starting 'n' do not exist). Nothing may crash, read or write outside
 * the memory, or loop without bound. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "wasi.h"
#include "wasi_store.h"
#include "wasm.h"

#define DISK_SECTORS 2048u
#define MEM_BYTES 65536u

static uint8_t *ram;
static uint64_t now_ns;

static int r_read(void *ctx, uint64_t lba, uint32_t n, void *buf)
{
    (void)ctx;
    if (lba + n > DISK_SECTORS)
        return -1;
    memcpy(buf, ram + lba * STORE_SECTOR, (size_t)n * STORE_SECTOR);
    return 0;
}

static int r_write(void *ctx, uint64_t lba, uint32_t n, const void *buf)
{
    (void)ctx;
    if (lba + n > DISK_SECTORS)
        return -1;
    memcpy(ram + lba * STORE_SECTOR, buf, (size_t)n * STORE_SECTOR);
    return 0;
}

static int r_flush(void *ctx)
{
    (void)ctx;
    return 0;
}

static const store_dev dev = {NULL, r_read, r_write, r_flush, DISK_SECTORS, STORE_SECTOR};

static volatile uint8_t console_sink;

static wasi_errno h_write(void *ctx, int fd, const void *buf, size_t len)
{
    (void)ctx, (void)fd;
    /* Touch every byte: ASan sees a read outside the memory. */
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum ^= ((const uint8_t *)buf)[i];
    console_sink = sum;
    return WASI_ESUCCESS;
}

static wasi_errno h_read(void *ctx, void *buf, size_t len, size_t *got)
{
    (void)ctx;
    size_t n = len < 7 ? len : 7;
    memset(buf, 'x', n);
    *got = n;
    return WASI_ESUCCESS;
}

static wasi_errno h_clock(void *ctx, uint32_t id, uint64_t *ns)
{
    (void)ctx, (void)id;
    *ns = now_ns;
    return WASI_ESUCCESS;
}

static wasi_errno h_random(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    memset(buf, 0x5A, len);
    return WASI_ESUCCESS;
}

static wasi_errno h_sleep(void *ctx, uint64_t ns)
{
    (void)ctx;
    now_ns += ns;
    return WASI_ESUCCESS;
}

static void *f_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    (void)ctx, (void)old_size;
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, new_size);
}

static void *f_grow(void *ctx, void *base, size_t old_bytes, size_t new_bytes, size_t max_bytes)
{
    (void)ctx, (void)max_bytes;
    uint8_t *p = realloc(base, new_bytes ? new_bytes : 1);
    if (p)
        memset(p + old_bytes, 0, new_bytes - old_bytes);
    return p;
}

static void f_release(void *ctx, void *base, size_t bytes)
{
    (void)ctx, (void)bytes;
    free(base);
}

/* ---- the socket model ---- */

#define MSOCKS 6u
typedef struct msock {
    int used, listener, backlog;
    uint8_t buf[48];
    size_t len;
    uint16_t port;
} msock;
static msock msocks[MSOCKS];

static msock *ms(uint32_t h)
{
    return h >= 1 && h <= MSOCKS && msocks[h - 1].used ? &msocks[h - 1] : NULL;
}

static wasi_errno ms_new(int listener, uint16_t port, uint32_t *h)
{
    for (uint32_t i = 0; i < MSOCKS; i++)
        if (!msocks[i].used) {
            memset(&msocks[i], 0, sizeof msocks[i]);
            msocks[i].used = 1;
            msocks[i].listener = listener;
            msocks[i].port = port;
            msocks[i].backlog = listener ? 2 : 0;
            *h = i + 1;
            return WASI_ESUCCESS;
        }
    return WASI_ENFILE;
}

static wasi_errno m_connect(void *ctx, uint32_t ip, uint16_t port, uint32_t *h)
{
    (void)ctx;
    if (ip == 0)
        return WASI_ECONNREFUSED;
    if (port % 5 == 1)
        return WASI_ENOTCAPABLE;
    return ms_new(0, port, h);
}

static wasi_errno m_connected(void *ctx, uint32_t h)
{
    (void)ctx;
    msock *m = ms(h);
    if (m == NULL)
        return WASI_EBADF;
    return m->port % 5 == 2 ? WASI_EAGAIN : m->port % 5 == 3 ? WASI_ETIMEDOUT : WASI_ESUCCESS;
}

static wasi_errno m_listen(void *ctx, uint16_t port, uint32_t *h)
{
    (void)ctx;
    return port % 7 == 0 ? WASI_EADDRINUSE : ms_new(1, port, h);
}

static wasi_errno m_accept(void *ctx, uint32_t l, uint32_t *h)
{
    (void)ctx;
    msock *m = ms(l);
    if (m == NULL || !m->listener)
        return WASI_EBADF;
    if (m->backlog == 0)
        return WASI_EAGAIN;
    m->backlog--;
    return ms_new(0, 80, h);
}

static wasi_errno m_send(void *ctx, uint32_t h, const void *buf, size_t len, size_t *sent)
{
    (void)ctx;
    msock *m = ms(h);
    if (m == NULL || m->listener)
        return WASI_EBADF;
    size_t room = sizeof m->buf - m->len, n = len < room ? len : room;
    if (n == 0)
        return WASI_EAGAIN;
    memcpy(m->buf + m->len, buf, n);
    m->len += n;
    *sent = n;
    return WASI_ESUCCESS;
}

static wasi_errno m_recv(void *ctx, uint32_t h, void *buf, size_t len, size_t *got)
{
    (void)ctx;
    msock *m = ms(h);
    if (m == NULL || m->listener)
        return WASI_EBADF;
    if (m->len == 0)
        return m->port % 2 ? WASI_EAGAIN : (*got = 0, WASI_ESUCCESS);
    size_t n = len < m->len ? len : m->len;
    memcpy(buf, m->buf, n);
    memmove(m->buf, m->buf + n, m->len - n);
    m->len -= n;
    *got = n;
    return WASI_ESUCCESS;
}

static wasi_errno m_shutdown(void *ctx, uint32_t h, uint32_t how)
{
    (void)ctx;
    (void)how;
    return ms(h) ? WASI_ESUCCESS : WASI_EBADF;
}

static wasi_errno m_close(void *ctx, uint32_t h)
{
    (void)ctx;
    msock *m = ms(h);
    if (m == NULL)
        return WASI_EBADF;
    m->used = 0;
    return WASI_ESUCCESS;
}

static wasi_errno m_ready(void *ctx, uint32_t h, uint32_t *ev, uint64_t *nbytes)
{
    (void)ctx;
    msock *m = ms(h);
    if (m == NULL)
        return WASI_EBADF;
    *ev = (m->len ? WASI_NET_READ : 0) | (m->len < sizeof m->buf ? WASI_NET_WRITE : 0) |
          (m->listener && m->backlog ? WASI_NET_READ : 0);
    *nbytes = m->len;
    return WASI_ESUCCESS;
}

static wasi_errno m_resolve(void *ctx, const char *name, uint32_t *ip)
{
    (void)ctx;
    if (name[0] == 'n')
        return WASI_ENOENT;
    if (name[0] == 'w')
        return WASI_EAGAIN; /* never answers: the call's bound ends it */
    *ip = (uint32_t)strlen(name);
    return WASI_ESUCCESS;
}

static wasi_errno m_wait(void *ctx, const wasi_net_wait *w, uint32_t n, uint64_t ns)
{
    (void)ctx, (void)w, (void)n;
    now_ns += ns; /* time passes only here and in sleep */
    return WASI_ESUCCESS;
}

static const wasi_net_ops net_model = {m_connect, m_connected, m_listen, m_accept, m_send,
                                       m_recv, m_shutdown, m_close, m_ready, m_resolve,
                                       m_wait, 16, 30000000u, NULL};

static const wasi_host_ops host = {h_write, h_read, h_clock, h_clock, h_random, h_sleep, NULL,
                                   NULL};
static const wasm_allocator alloc = {f_realloc, NULL};
static const wasm_memory_ops mem_ops = {f_grow, f_release, NULL};
static const wasm_limits limits = {1, 10, 1024, 64, 1u << 16};
static const char *const argv_[] = {"fuzz", "arg"};
static const char *const envp_[] = {"K=V"};

static uint32_t take(const uint8_t **p, size_t *n, size_t k)
{
    uint32_t v = 0;
    for (size_t i = 0; i < k && *n > 0; i++, (*p)++, (*n)--)
        v |= (uint32_t)**p << (8 * i);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static void *fsmem;
    static size_t fsmem_len;
    if (ram == NULL) {
        ram = malloc((size_t)DISK_SECTORS * STORE_SECTOR);
        fsmem_len = store_mem_size(DISK_SECTORS, 256, 128);
        fsmem = aligned_alloc(8, (fsmem_len + 7) & ~(size_t)7);
        if (!ram || !fsmem)
            abort();
    }
    store fs;
    wasi_store_tree tree;
    store_root top;
    if (store_mkfs(&dev, 256) != STORE_OK || store_mount(&fs, &dev, fsmem, fsmem_len) != STORE_OK ||
        store_root_handle(&fs, &top) != STORE_OK || store_mkdir(&fs, &top, "app") != STORE_OK ||
        store_mkdir(&fs, &top, "app/d") != STORE_OK || store_create(&fs, &top, "app/f") != STORE_OK ||
        store_write(&fs, &top, "app/f", 0, "contents", 8) != STORE_OK ||
        store_create(&fs, &top, "outside") != STORE_OK ||
        store_open_subtree(&fs, &top, "app", &tree.root) != STORE_OK)
        abort();
    tree.s = &fs;
    wasi_preopen pre[2] = {{".", wasi_store_ops(), &tree}, {"/tmp", wasi_store_ops(), &tree}};
    wasi_config cfg = {argv_, 2, envp_, 1, pre, 2, &host};
    wasm_env *env;
    if (wasm_env_new(&alloc, &mem_ops, &limits, &env) != WASM_OK)
        abort();
    static wasi_ctx wc;
    wasm_memory *mem;
    if (wasi_init(&wc, &cfg, env) != WASI_ESUCCESS ||
        wasm_host_memory_new(env, 1, 1, 1, &mem) != WASM_OK)
        abort();
    wasi_bind_memory(&wc, mem);
    memset(msocks, 0, sizeof msocks);
    if (wasi_net_attach(&wc, &net_model) != WASI_ESUCCESS)
        abort();
    now_ns = 1000;

    /* The first byte says how much of the input is memory (in 256-byte units). */
    size_t mlen = size > 0 ? (size_t)data[0] * 256u : 0;
    if (size > 0)
        data++, size--;
    if (mlen > size)
        mlen = size;
    memcpy(wasm_memory_data(mem), data, mlen);
    data += mlen;
    size -= mlen;

    for (uint32_t step = 0; step < 64 && size > 0; step++) {
        uint32_t which = take(&data, &size, 1) % (WASI_FN_COUNT + WASI_ANVAYA_FN_COUNT);
        int anv = which >= WASI_FN_COUNT;
        const char *name = anv ? wasi_anvaya_fn_name(which - WASI_FN_COUNT) : wasi_fn_name(which);
        wasm_extern e;
        if (wasi_resolve(&wc, anv ? "anvaya" : "wasi_snapshot_preview1", anv ? 6 : 22, name,
                         strlen(name), WASM_EXTERN_FUNC, &e) != WASM_OK)
            abort();
        const uint8_t *params, *results;
        uint32_t np, nr;
        wasm_func_type(e.u.func, &params, &np, &results, &nr);
        wasm_value args[16], res[1];
        for (uint32_t i = 0; i < np && i < 16; i++) {
            uint32_t v = take(&data, &size, 4);
            /* Half the values small: descriptors, lengths and pointers that land inside. */
            if (v & 0x80000000u)
                v &= (v & 0x40000000u) ? 0x1Fu : 0xFFFFu;
            if (params[i] == WASM_I64)
                args[i].i64 = ((uint64_t)take(&data, &size, 4) << 32) | v;
            else
                args[i].i32 = v;
        }
        wasm_status st = wasm_call(env, e.u.func, args, np, res, nr);
        if (st != WASM_OK && !wc.exited)
            abort(); /* only proc_exit may end a call with anything but a result */
        if (nr == 1 && res[0].i32 >= WASI_ERRNO_COUNT)
            abort(); /* every result is a WASI errno */
        wc.exited = 0;
    }
    wasm_env_free(env);
    return 0;
}
