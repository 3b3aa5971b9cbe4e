/* WASI preview1 over lib/wasm: every wasi_snapshot_preview1 function as a host function,
 * the descriptor table, path resolution below preopens, and every app pointer checked
 * against its linear memory before anything is read, written or changed. */
#include "wasi.h"

#include <string.h>

enum {
    FD_FREE = 0,
    FD_STDIN,
    FD_STDOUT,
    FD_STDERR,
    FD_DIR,
    FD_FILE,
    FD_SOCKET,
};

#define FD_IS_PREOPEN 0x8000u /* kept in wasi_fd.fdflags above the WASI flag bits */
#define FDFLAG_APPEND 1u
#define FDFLAG_SYNCS (2u | 8u | 16u) /* dsync, rsync, sync: each write is synced */
#define FDFLAG_ALL 0x1Fu             /* with nonblock, which changes nothing: nothing blocks */

#define R(n) ((uint64_t)1 << (n))
#define R_FD_DATASYNC R(0)
#define R_FD_READ R(1)
#define R_FD_SEEK R(2)
#define R_FD_FDSTAT_SET_FLAGS R(3)
#define R_FD_SYNC R(4)
#define R_FD_TELL R(5)
#define R_FD_WRITE R(6)
#define R_FD_ADVISE R(7)
#define R_FD_ALLOCATE R(8)
#define R_PATH_CREATE_DIRECTORY R(9)
#define R_PATH_CREATE_FILE R(10)
#define R_PATH_OPEN R(13)
#define R_FD_READDIR R(14)
#define R_PATH_RENAME_SOURCE R(16)
#define R_PATH_RENAME_TARGET R(17)
#define R_PATH_FILESTAT_GET R(18)
#define R_PATH_FILESTAT_SET_SIZE R(19)
#define R_FD_FILESTAT_GET R(21)
#define R_FD_FILESTAT_SET_SIZE R(22)
#define R_PATH_REMOVE_DIRECTORY R(25)
#define R_PATH_UNLINK_FILE R(26)
#define R_POLL_FD_READWRITE R(27)

/* What a regular file and a directory can ever be granted. */
#define FILE_RIGHTS                                                                         \
    (R_FD_DATASYNC | R_FD_READ | R_FD_SEEK | R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_FD_TELL | \
     R_FD_WRITE | R_FD_ADVISE | R_FD_ALLOCATE | R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_SIZE |  \
     R(23) | R_POLL_FD_READWRITE)
#define DIR_RIGHTS                                                                         \
    (R_FD_DATASYNC | R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_PATH_CREATE_DIRECTORY |          \
     R_PATH_CREATE_FILE | R(11) | R(12) | R_PATH_OPEN | R_FD_READDIR | R(15) |             \
     R_PATH_RENAME_SOURCE | R_PATH_RENAME_TARGET | R_PATH_FILESTAT_GET |                   \
     R_PATH_FILESTAT_SET_SIZE | R(20) | R_FD_FILESTAT_GET | R(23) | R(24) |               \
     R_PATH_REMOVE_DIRECTORY | R_PATH_UNLINK_FILE | R_POLL_FD_READWRITE)

static const char *const errno_text[WASI_ERRNO_COUNT] = {
    "ESUCCESS: no error", "E2BIG: argument list too long", "EACCES: permission denied",
    "EADDRINUSE: address in use", "EADDRNOTAVAIL: address not available",
    "EAFNOSUPPORT: address family not supported", "EAGAIN: resource unavailable, try again",
    "EALREADY: connection already in progress", "EBADF: bad file descriptor",
    "EBADMSG: bad message", "EBUSY: device or resource busy", "ECANCELED: operation canceled",
    "ECHILD: no child processes", "ECONNABORTED: connection aborted",
    "ECONNREFUSED: connection refused", "ECONNRESET: connection reset",
    "EDEADLK: resource deadlock would occur", "EDESTADDRREQ: destination address required",
    "EDOM: argument out of domain", "EDQUOT: quota exceeded", "EEXIST: file exists",
    "EFAULT: bad address", "EFBIG: file too large", "EHOSTUNREACH: host is unreachable",
    "EIDRM: identifier removed", "EILSEQ: illegal byte sequence",
    "EINPROGRESS: operation in progress", "EINTR: interrupted function",
    "EINVAL: invalid argument", "EIO: I/O error", "EISCONN: socket is connected",
    "EISDIR: is a directory", "ELOOP: too many levels of symbolic links",
    "EMFILE: file descriptor value too large", "EMLINK: too many links",
    "EMSGSIZE: message too large", "EMULTIHOP: multihop attempted",
    "ENAMETOOLONG: filename too long", "ENETDOWN: network is down",
    "ENETRESET: connection aborted by network", "ENETUNREACH: network unreachable",
    "ENFILE: too many files open in system", "ENOBUFS: no buffer space available",
    "ENODEV: no such device", "ENOENT: no such file or directory",
    "ENOEXEC: executable file format error", "ENOLCK: no locks available",
    "ENOLINK: link has been severed", "ENOMEM: not enough space", "ENOMSG: no message of the desired type",
    "ENOPROTOOPT: protocol not available", "ENOSPC: no space left on device",
    "ENOSYS: function not supported", "ENOTCONN: the socket is not connected",
    "ENOTDIR: not a directory", "ENOTEMPTY: directory not empty",
    "ENOTRECOVERABLE: state not recoverable", "ENOTSOCK: not a socket",
    "ENOTSUP: not supported", "ENOTTY: inappropriate I/O control operation",
    "ENXIO: no such device or address", "EOVERFLOW: value too large for data type",
    "EOWNERDEAD: previous owner died", "EPERM: operation not permitted",
    "EPIPE: broken pipe", "EPROTO: protocol error",
    "EPROTONOSUPPORT: protocol not supported", "EPROTOTYPE: protocol wrong type for socket",
    "ERANGE: result too large", "EROFS: read-only file system", "ESPIPE: invalid seek",
    "ESRCH: no such process", "ESTALE: stale file handle", "ETIMEDOUT: connection timed out",
    "ETXTBSY: text file busy", "EXDEV: cross-device link",
    "ENOTCAPABLE: capabilities insufficient",
};

const char *wasi_errno_message(wasi_errno e)
{
    if ((unsigned)e >= WASI_ERRNO_COUNT)
        return "unknown WASI errno";
    return errno_text[e];
}

static wasi_errno sock_release(wasi_ctx *c, wasi_fd *f);
static wasi_errno sock_read_iovs(wasi_ctx *c, wasi_fd *f, const uint8_t *v, uint32_t n,
                                 int waitall, uint64_t *done_out);
static wasi_errno sock_write_iovs(wasi_ctx *c, wasi_fd *f, const uint8_t *v, uint32_t n,
                                  uint64_t *done_out);

/* ---- linear memory ---------------------------------------------------------------- */

static uint8_t *mem_at(wasi_ctx *c, uint32_t ptr, uint64_t len)
{
    static uint8_t empty;
    if (c->memory == NULL)
        return NULL;
    uint64_t size = wasm_memory_size(c->memory);
    if ((uint64_t)ptr > size || len > size - ptr)
        return NULL;
    uint8_t *base = wasm_memory_data(c->memory);
    return base ? base + ptr : &empty;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* An iovec array: n entries of (ptr, len), every buffer inside memory. The total is
 * capped so a sum cannot wrap. */
static wasi_errno check_iovs(wasi_ctx *c, uint32_t iovs, uint32_t n, uint64_t *total)
{
    const uint8_t *v = mem_at(c, iovs, (uint64_t)n * 8);
    if (v == NULL)
        return WASI_EFAULT;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = get32(v + 8 * i + 4);
        if (mem_at(c, get32(v + 8 * i), len) == NULL)
            return WASI_EFAULT;
        sum += len;
    }
    *total = sum;
    return WASI_ESUCCESS;
}

/* ---- descriptors and paths -------------------------------------------------------- */

static wasi_fd *fd_get(wasi_ctx *c, uint32_t fd)
{
    if (fd >= WASI_MAX_FDS || c->fds[fd].kind == FD_FREE)
        return NULL;
    return &c->fds[fd];
}

static wasi_errno fd_need(wasi_ctx *c, uint32_t fd, uint64_t rights, wasi_fd **out)
{
    wasi_fd *f = fd_get(c, fd);
    if (f == NULL)
        return WASI_EBADF;
    if ((f->rights & rights) != rights)
        return WASI_ENOTCAPABLE;
    *out = f;
    return WASI_ESUCCESS;
}

static const wasi_preopen *fd_tree(wasi_ctx *c, const wasi_fd *f)
{
    return &c->preopens[f->preopen];
}

static uint8_t fd_filetype(const wasi_fd *f)
{
    switch (f->kind) {
    case FD_STDIN:
    case FD_STDOUT:
    case FD_STDERR:
        return WASI_FILETYPE_CHARACTER_DEVICE;
    case FD_DIR:
        return WASI_FILETYPE_DIRECTORY;
    case FD_FILE:
        return WASI_FILETYPE_REGULAR_FILE;
    case FD_SOCKET:
        return WASI_FILETYPE_SOCKET_STREAM;
    default:
        return WASI_FILETYPE_UNKNOWN;
    }
}

/* Resolves an app's path (ptr, len) against directory descriptor dirfd into out (relative
 * to the preopen's root). '.' and empty components vanish, '..' climbs but never above the
 * preopen (ENOTCAPABLE), as does an absolute path. *trailing_slash tells "a/". */
static wasi_errno resolve(wasi_ctx *c, uint32_t dirfd, uint64_t need, uint32_t ptr,
                          uint32_t len, char *out, wasi_fd **dir, int *trailing_slash)
{
    wasi_fd *d;
    wasi_errno e = fd_need(c, dirfd, 0, &d);
    if (e != WASI_ESUCCESS)
        return e;
    if (d->kind != FD_DIR)
        return WASI_ENOTDIR;
    if ((d->rights & need) != need)
        return WASI_ENOTCAPABLE;
    const uint8_t *p = mem_at(c, ptr, len);
    if (p == NULL)
        return WASI_EFAULT;
    if (len > WASI_PATH_MAX)
        return WASI_ENAMETOOLONG;
    if (memchr(p, 0, len) != NULL)
        return WASI_EINVAL;
    if (len > 0 && p[0] == '/')
        return WASI_ENOTCAPABLE;
    size_t n = strlen(d->path);
    memcpy(out, d->path, n + 1);
    uint32_t i = 0;
    while (i < len) {
        uint32_t j = i;
        while (j < len && p[j] != '/')
            j++;
        uint32_t clen = j - i;
        if (clen == 0 || (clen == 1 && p[i] == '.')) {
            /* nothing */
        } else if (clen == 2 && p[i] == '.' && p[i + 1] == '.') {
            if (n == 0)
                return WASI_ENOTCAPABLE;
            while (n > 0 && out[n - 1] != '/')
                n--;
            n = n > 0 ? n - 1 : 0;
            out[n] = '\0';
        } else {
            size_t add = clen + (n > 0 ? 1 : 0);
            if (n + add > WASI_PATH_MAX)
                return WASI_ENAMETOOLONG;
            if (clen > WASI_NAME_MAX)
                return WASI_ENAMETOOLONG;
            if (n > 0)
                out[n++] = '/';
            memcpy(out + n, p + i, clen);
            n += clen;
            out[n] = '\0';
        }
        i = j + 1;
    }
    *trailing_slash = len > 0 && p[len - 1] == '/';
    *dir = d;
    return WASI_ESUCCESS;
}

static wasi_errno tree_stat(wasi_ctx *c, const wasi_fd *f, const char *path,
                            wasi_file_stat *st)
{
    const wasi_preopen *t = fd_tree(c, f);
    memset(st, 0, sizeof *st);
    return t->ops->stat(t->ctx, path, st);
}

static void write_filestat(uint8_t *p, uint8_t type, uint64_t ino, uint64_t size)
{
    memset(p, 0, 64);
    put64(p + 8, ino);
    p[16] = type;
    put64(p + 24, 1);
    put64(p + 32, size);
}

/* ---- the functions ---------------------------------------------------------------- */

#define ARG32(i) (a[i].i32)
#define ARG64(i) (a[i].i64)

static wasi_errno strings_sizes(wasi_ctx *c, const char *const *v, uint32_t n, uint32_t cptr,
                                uint32_t sptr)
{
    uint8_t *pc = mem_at(c, cptr, 4), *ps = mem_at(c, sptr, 4);
    if (pc == NULL || ps == NULL)
        return WASI_EFAULT;
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        bytes += strlen(v[i]) + 1;
    if (bytes > UINT32_MAX)
        return WASI_EOVERFLOW;
    put32(pc, n);
    put32(ps, (uint32_t)bytes);
    return WASI_ESUCCESS;
}

static wasi_errno strings_get(wasi_ctx *c, const char *const *v, uint32_t n, uint32_t vptr,
                              uint32_t bptr)
{
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        bytes += strlen(v[i]) + 1;
    uint8_t *pv = mem_at(c, vptr, (uint64_t)n * 4), *pb = mem_at(c, bptr, bytes);
    if (pv == NULL || pb == NULL)
        return WASI_EFAULT;
    uint32_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t l = strlen(v[i]) + 1;
        memcpy(pb + off, v[i], l);
        put32(pv + 4 * i, bptr + off);
        off += (uint32_t)l;
    }
    return WASI_ESUCCESS;
}

static wasi_errno f_args_sizes_get(wasi_ctx *c, const wasm_value *a)
{
    return strings_sizes(c, c->cfg.argv, c->cfg.argc, ARG32(0), ARG32(1));
}

static wasi_errno f_args_get(wasi_ctx *c, const wasm_value *a)
{
    return strings_get(c, c->cfg.argv, c->cfg.argc, ARG32(0), ARG32(1));
}

static wasi_errno f_environ_sizes_get(wasi_ctx *c, const wasm_value *a)
{
    return strings_sizes(c, c->cfg.envp, c->cfg.envc, ARG32(0), ARG32(1));
}

static wasi_errno f_environ_get(wasi_ctx *c, const wasm_value *a)
{
    return strings_get(c, c->cfg.envp, c->cfg.envc, ARG32(0), ARG32(1));
}

/* Clocks 0 and 1 come from the host; the CPU-time clocks (2, 3) are the time since this
 * app started, the runner being one app's whole process. */
static wasi_errno clock_read(wasi_ctx *c, uint32_t id, uint64_t *ns)
{
    const wasi_host_ops *h = c->cfg.host;
    if (id > 3)
        return WASI_EINVAL;
    if (h->clock_now == NULL)
        return WASI_ENOSYS;
    if (id <= 1)
        return h->clock_now(h->ctx, id, ns);
    uint64_t now;
    wasi_errno e = h->clock_now(h->ctx, 1, &now);
    if (e == WASI_ESUCCESS)
        *ns = now >= c->started_ns ? now - c->started_ns : 0;
    return e;
}

static wasi_errno f_clock_res_get(wasi_ctx *c, const wasm_value *a)
{
    const wasi_host_ops *h = c->cfg.host;
    uint32_t id = ARG32(0);
    uint8_t *p = mem_at(c, ARG32(1), 8);
    if (p == NULL)
        return WASI_EFAULT;
    if (id > 3)
        return WASI_EINVAL;
    if (h->clock_res == NULL)
        return WASI_ENOSYS;
    uint64_t ns = 0;
    wasi_errno e = h->clock_res(h->ctx, id <= 1 ? id : 1, &ns);
    if (e == WASI_ESUCCESS)
        put64(p, ns);
    return e;
}

static wasi_errno f_clock_time_get(wasi_ctx *c, const wasm_value *a)
{
    uint8_t *p = mem_at(c, ARG32(2), 8);
    if (p == NULL)
        return WASI_EFAULT;
    uint64_t ns = 0;
    wasi_errno e = clock_read(c, ARG32(0), &ns);
    if (e == WASI_ESUCCESS)
        put64(p, ns);
    return e;
}

static wasi_errno f_fd_close(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f = fd_get(c, ARG32(0));
    if (f == NULL)
        return WASI_EBADF;
    /* The descriptor is gone whatever the backend says of its socket. */
    wasi_errno e = sock_release(c, f);
    memset(f, 0, sizeof *f);
    return e;
}

static wasi_errno fd_sync_common(wasi_ctx *c, uint32_t fd, uint64_t right)
{
    wasi_fd *f;
    wasi_errno e = fd_need(c, fd, right, &f);
    if (e != WASI_ESUCCESS)
        return e;
    if (f->kind != FD_FILE && f->kind != FD_DIR)
        return WASI_EINVAL;
    const wasi_preopen *t = fd_tree(c, f);
    return t->ops->sync ? t->ops->sync(t->ctx) : WASI_ESUCCESS;
}

static wasi_errno f_fd_datasync(wasi_ctx *c, const wasm_value *a)
{
    return fd_sync_common(c, ARG32(0), R_FD_DATASYNC);
}

static wasi_errno f_fd_sync(wasi_ctx *c, const wasm_value *a)
{
    return fd_sync_common(c, ARG32(0), R_FD_SYNC);
}

static wasi_errno f_fd_fdstat_get(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f = fd_get(c, ARG32(0));
    if (f == NULL)
        return WASI_EBADF;
    uint8_t *p = mem_at(c, ARG32(1), 24);
    if (p == NULL)
        return WASI_EFAULT;
    memset(p, 0, 24);
    p[0] = fd_filetype(f);
    put16(p + 2, (uint16_t)(f->fdflags & ~FD_IS_PREOPEN));
    put64(p + 8, f->rights);
    put64(p + 16, f->inheriting);
    return WASI_ESUCCESS;
}

static wasi_errno f_fd_fdstat_set_flags(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f;
    wasi_errno e = fd_need(c, ARG32(0), R_FD_FDSTAT_SET_FLAGS, &f);
    if (e != WASI_ESUCCESS)
        return e;
    uint32_t flags = ARG32(1);
    if (flags & ~FDFLAG_ALL)
        return WASI_EINVAL;
    if (f->kind == FD_SOCKET) {
        /* Only non-blocking means anything for a socket. */
        if (flags & ~4u)
            return WASI_ENOTSUP;
        f->fdflags = (uint16_t)flags;
        return WASI_ESUCCESS;
    }
    if (f->kind != FD_FILE)
        return flags == 0 ? WASI_ESUCCESS : WASI_ENOTSUP;
    f->fdflags = (uint16_t)((f->fdflags & FD_IS_PREOPEN) | flags);
    return WASI_ESUCCESS;
}

static wasi_errno f_fd_fdstat_set_rights(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f = fd_get(c, ARG32(0));
    if (f == NULL)
        return WASI_EBADF;
    uint64_t base = ARG64(1), inh = ARG64(2);
    /* Rights only ever shrink. */
    if ((base & ~f->rights) || (inh & ~f->inheriting))
        return WASI_ENOTCAPABLE;
    f->rights = base;
    f->inheriting = inh;
    return WASI_ESUCCESS;
}

static wasi_errno f_fd_filestat_get(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f;
    wasi_errno e = fd_need(c, ARG32(0), 0, &f);
    if (e != WASI_ESUCCESS)
        return e;
    uint8_t *p = mem_at(c, ARG32(1), 64);
    if (p == NULL)
        return WASI_EFAULT;
    if (f->kind != FD_FILE && f->kind != FD_DIR) {
        write_filestat(p, fd_filetype(f), 0, 0);
        return WASI_ESUCCESS;
    }
    if (!(f->rights & R_FD_FILESTAT_GET))
        return WASI_ENOTCAPABLE;
    wasi_file_stat st;
    e = tree_stat(c, f, f->path, &st);
    if (e == WASI_ESUCCESS)
        write_filestat(p, st.type, st.ino, st.size);
    return e;
}

static wasi_errno f_fd_filestat_set_size(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f;
    wasi_errno e = fd_need(c, ARG32(0), R_FD_FILESTAT_SET_SIZE, &f);
    if (e != WASI_ESUCCESS)
        return e;
    if (f->kind != FD_FILE)
        return WASI_EINVAL;
    const wasi_preopen *t = fd_tree(c, f);
    return t->ops->truncate(t->ctx, f->path, ARG64(1));
}

static wasi_errno f_fd_prestat_get(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f = fd_get(c, ARG32(0));
    if (f == NULL || !(f->fdflags & FD_IS_PREOPEN))
        return WASI_EBADF;
    uint8_t *p = mem_at(c, ARG32(1), 8);
    if (p == NULL)
        return WASI_EFAULT;
    memset(p, 0, 8);
    put32(p + 4, (uint32_t)strlen(fd_tree(c, f)->name));
    return WASI_ESUCCESS;
}

static wasi_errno f_fd_prestat_dir_name(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f = fd_get(c, ARG32(0));
    if (f == NULL || !(f->fdflags & FD_IS_PREOPEN))
        return WASI_EBADF;
    const char *name = fd_tree(c, f)->name;
    size_t n = strlen(name);
    uint8_t *p = mem_at(c, ARG32(1), ARG32(2));
    if (p == NULL)
        return WASI_EFAULT;
    if (ARG32(2) < n)
        return WASI_ENOBUFS;
    memcpy(p, name, n);
    return WASI_ESUCCESS;
}

/* Reads up to len bytes of a file at off, in pieces the backend accepts. */
static wasi_errno file_read(wasi_ctx *c, wasi_fd *f, uint64_t off, uint8_t *buf, size_t len,
                            size_t *got)
{
    const wasi_preopen *t = fd_tree(c, f);
    size_t max = t->ops->max_io ? t->ops->max_io : len;
    size_t done = 0;
    while (done < len) {
        size_t want = len - done < max ? len - done : max, n = 0;
        wasi_errno e = t->ops->read(t->ctx, f->path, off + done, buf + done, want, &n);
        if (e != WASI_ESUCCESS)
            return done > 0 ? (*got = done, WASI_ESUCCESS) : e;
        if (n > want)
            return WASI_EIO;
        done += n;
        if (n < want)
            break;
    }
    *got = done;
    return WASI_ESUCCESS;
}

static wasi_errno file_write(wasi_ctx *c, wasi_fd *f, uint64_t off, const uint8_t *buf,
                             size_t len, size_t *put)
{
    const wasi_preopen *t = fd_tree(c, f);
    size_t max = t->ops->max_io ? t->ops->max_io : len;
    size_t done = 0;
    while (done < len) {
        size_t n = len - done < max ? len - done : max;
        wasi_errno e = t->ops->write(t->ctx, f->path, off + done, buf + done, n);
        if (e != WASI_ESUCCESS) {
            *put = done;
            return done > 0 ? WASI_ESUCCESS : e;
        }
        done += n;
    }
    *put = done;
    return WASI_ESUCCESS;
}

/* fd_read and fd_pread: into every iovec in order, stopping at a short read. */
static wasi_errno do_read(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t n, int positional,
                          uint64_t pos, uint32_t nread_ptr)
{
    wasi_fd *f;
    wasi_errno e = fd_need(c, fd, R_FD_READ | (positional ? R_FD_SEEK : 0), &f);
    if (e != WASI_ESUCCESS)
        return e;
    uint64_t total;
    e = check_iovs(c, iovs, n, &total);
    if (e != WASI_ESUCCESS)
        return e;
    uint8_t *np = mem_at(c, nread_ptr, 4);
    if (np == NULL)
        return WASI_EFAULT;
    const uint8_t *v = mem_at(c, iovs, (uint64_t)n * 8);
    uint64_t done = 0;
    if (f->kind == FD_STDIN) {
        if (positional)
            return WASI_ESPIPE;
        const wasi_host_ops *h = c->cfg.host;
        if (h->console_read == NULL)
            return WASI_EBADF;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t len = get32(v + 8 * i + 4);
            if (len == 0)
                continue;
            size_t got = 0;
            /* An earlier read may have written over the iovec array itself: each entry is
             * checked again as it is used. */
            uint8_t *p = mem_at(c, get32(v + 8 * i), len);
            if (p == NULL) {
                if (done == 0)
                    return WASI_EFAULT;
                break;
            }
            e = h->console_read(h->ctx, p, len, &got);
            if (e != WASI_ESUCCESS && done == 0)
                return e;
            done += got > len ? len : got;
            if (e != WASI_ESUCCESS || got < len)
                break;
        }
    } else if (f->kind == FD_FILE) {
        uint64_t off = positional ? pos : f->offset;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t len = get32(v + 8 * i + 4);
            size_t got = 0;
            uint8_t *p = mem_at(c, get32(v + 8 * i), len); /* see the console case */
            if (p == NULL) {
                if (done == 0)
                    return WASI_EFAULT;
                break;
            }
            e = file_read(c, f, off + done, p, len, &got);
            if (e != WASI_ESUCCESS && done == 0)
                return e;
            done += got;
            if (e != WASI_ESUCCESS || got < len)
                break;
        }
        if (!positional)
            f->offset += done;
    } else if (f->kind == FD_SOCKET) {
        if (positional)
            return WASI_ESPIPE;
        if (c->net == NULL)
            return WASI_ENOSYS;
        e = sock_read_iovs(c, f, v, n, 0, &done);
        if (e != WASI_ESUCCESS)
            return e;
        if ((np = mem_at(c, nread_ptr, 4)) == NULL)
            return WASI_EFAULT;
    } else {
        return f->kind == FD_DIR ? WASI_EISDIR : WASI_EBADF;
    }
    put32(np, (uint32_t)done);
    return WASI_ESUCCESS;
}

static wasi_errno do_write(wasi_ctx *c, uint32_t fd, uint32_t iovs, uint32_t n,
                           int positional, uint64_t pos, uint32_t nwritten_ptr)
{
    wasi_fd *f;
    wasi_errno e = fd_need(c, fd, R_FD_WRITE | (positional ? R_FD_SEEK : 0), &f);
    if (e != WASI_ESUCCESS)
        return e;
    uint64_t total;
    e = check_iovs(c, iovs, n, &total);
    if (e != WASI_ESUCCESS)
        return e;
    uint8_t *np = mem_at(c, nwritten_ptr, 4);
    if (np == NULL)
        return WASI_EFAULT;
    const uint8_t *v = mem_at(c, iovs, (uint64_t)n * 8);
    uint64_t done = 0;
    if (f->kind == FD_STDOUT || f->kind == FD_STDERR) {
        if (positional)
            return WASI_ESPIPE;
        const wasi_host_ops *h = c->cfg.host;
        if (h->console_write == NULL)
            return WASI_EBADF;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t len = get32(v + 8 * i + 4);
            if (len == 0)
                continue;
            e = h->console_write(h->ctx, f->kind == FD_STDOUT ? 1 : 2,
                                 mem_at(c, get32(v + 8 * i), len), len);
            if (e != WASI_ESUCCESS) {
                if (done == 0)
                    return e;
                break;
            }
            done += len;
        }
    } else if (f->kind == FD_FILE) {
        uint64_t off = positional ? pos : f->offset;
        if (!positional && (f->fdflags & FDFLAG_APPEND)) {
            wasi_file_stat st;
            e = tree_stat(c, f, f->path, &st);
            if (e != WASI_ESUCCESS)
                return e;
            off = st.size;
        }
        if (off > UINT64_MAX - total)
            return WASI_EFBIG;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t len = get32(v + 8 * i + 4);
            size_t put = 0;
            e = file_write(c, f, off + done, mem_at(c, get32(v + 8 * i), len), len, &put);
            if (e != WASI_ESUCCESS && done == 0)
                return e;
            done += put;
            if (e != WASI_ESUCCESS || put < len)
                break;
        }
        if (!positional)
            f->offset = off + done;
        const wasi_preopen *t = fd_tree(c, f);
        if ((f->fdflags & FDFLAG_SYNCS) && done > 0 && t->ops->sync) {
            e = t->ops->sync(t->ctx);
            if (e != WASI_ESUCCESS)
                return e;
        }
    } else if (f->kind == FD_SOCKET) {
        if (positional)
            return WASI_ESPIPE;
        if (c->net == NULL)
            return WASI_ENOSYS;
        e = sock_write_iovs(c, f, v, n, &done);
        if (e != WASI_ESUCCESS)
            return e;
        if ((np = mem_at(c, nwritten_ptr, 4)) == NULL)
            return WASI_EFAULT;
    } else {
        return f->kind == FD_DIR ? WASI_EISDIR : WASI_EBADF;
    }
    put32(np, (uint32_t)done);
    return WASI_ESUCCESS;
}

static wasi_errno f_fd_read(wasi_ctx *c, const wasm_value *a)
{
    return do_read(c, ARG32(0), ARG32(1), ARG32(2), 0, 0, ARG32(3));
}

static wasi_errno f_fd_pread(wasi_ctx *c, const wasm_value *a)
{
    return do_read(c, ARG32(0), ARG32(1), ARG32(2), 1, ARG64(3), ARG32(4));
}

static wasi_errno f_fd_write(wasi_ctx *c, const wasm_value *a)
{
    return do_write(c, ARG32(0), ARG32(1), ARG32(2), 0, 0, ARG32(3));
}

static wasi_errno f_fd_pwrite(wasi_ctx *c, const wasm_value *a)
{
    return do_write(c, ARG32(0), ARG32(1), ARG32(2), 1, ARG64(3), ARG32(4));
}

static wasi_errno f_fd_seek(wasi_ctx *c, const wasm_value *a)
{
    int64_t delta = (int64_t)ARG64(1);
    uint32_t whence = ARG32(2);
    /* A query of the position needs only the tell right. */
    uint64_t need = (delta == 0 && whence == 1) ? R_FD_TELL : R_FD_SEEK;
    wasi_fd *f;
    wasi_errno e = fd_need(c, ARG32(0), need, &f);
    if (e != WASI_ESUCCESS)
        return e;
    uint8_t *p = mem_at(c, ARG32(3), 8);
    if (p == NULL)
        return WASI_EFAULT;
    if (f->kind != FD_FILE)
        return f->kind == FD_DIR ? WASI_EBADF : WASI_ESPIPE;
    uint64_t base;
    if (whence == 0) {
        base = 0;
    } else if (whence == 1) {
        base = f->offset;
    } else if (whence == 2) {
        wasi_file_stat st;
        e = tree_stat(c, f, f->path, &st);
        if (e != WASI_ESUCCESS)
            return e;
        base = st.size;
    } else {
        return WASI_EINVAL;
    }
    if ((delta < 0 && (uint64_t)(-(delta + 1)) + 1 > base) ||
        (delta > 0 && (uint64_t)delta > (uint64_t)INT64_MAX - base))
        return WASI_EINVAL;
    f->offset = delta < 0 ? base - ((uint64_t)(-(delta + 1)) + 1) : base + (uint64_t)delta;
    put64(p, f->offset);
    return WASI_ESUCCESS;
}

static wasi_errno f_fd_tell(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f;
    wasi_errno e = fd_need(c, ARG32(0), R_FD_TELL, &f);
    if (e != WASI_ESUCCESS)
        return e;
    uint8_t *p = mem_at(c, ARG32(1), 8);
    if (p == NULL)
        return WASI_EFAULT;
    if (f->kind != FD_FILE)
        return f->kind == FD_DIR ? WASI_EBADF : WASI_ESPIPE;
    put64(p, f->offset);
    return WASI_ESUCCESS;
}

static wasi_errno f_fd_readdir(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f;
    wasi_errno e = fd_need(c, ARG32(0), R_FD_READDIR, &f);
    if (e != WASI_ESUCCESS)
        return e;
    uint32_t blen = ARG32(2);
    uint8_t *buf = mem_at(c, ARG32(1), blen);
    uint8_t *used = mem_at(c, ARG32(4), 4);
    if (buf == NULL || used == NULL)
        return WASI_EFAULT;
    if (f->kind != FD_DIR)
        return WASI_ENOTDIR;
    const wasi_preopen *t = fd_tree(c, f);
    uint64_t cookie = ARG64(3);
    uint32_t n = 0;
    char name[WASI_NAME_MAX + 1];
    /* Each entry takes at least a 24-byte header, so the buffer bounds the loop. */
    while (n < blen) {
        wasi_file_stat st;
        int end = 0;
        memset(&st, 0, sizeof st);
        name[0] = '\0';
        e = t->ops->list(t->ctx, f->path, &cookie, name, sizeof name, &st, &end);
        if (e != WASI_ESUCCESS)
            return n > 0 ? (put32(used, n), WASI_ESUCCESS) : e;
        if (end)
            break;
        name[WASI_NAME_MAX] = '\0';
        uint32_t nl = (uint32_t)strlen(name);
        uint8_t hdr[24];
        memset(hdr, 0, sizeof hdr);
        put64(hdr, cookie);
        put64(hdr + 8, st.ino);
        put32(hdr + 16, nl);
        hdr[20] = st.type;
        uint32_t room = blen - n;
        uint32_t k = room < 24 ? room : 24;
        memcpy(buf + n, hdr, k);
        n += k;
        room = blen - n;
        k = room < nl ? room : nl;
        memcpy(buf + n, name, k);
        n += k;
    }
    put32(used, n);
    return WASI_ESUCCESS;
}

static wasi_errno f_fd_renumber(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *from = fd_get(c, ARG32(0)), *to = fd_get(c, ARG32(1));
    if (from == NULL || to == NULL)
        return WASI_EBADF;
    if (from != to) {
        (void)sock_release(c, to); /* the old descriptor at `to` is closed, as by fd_close */
        *to = *from;
        memset(from, 0, sizeof *from);
    }
    return WASI_ESUCCESS;
}

static wasi_errno f_path_create_directory(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *d;
    int slash;
    wasi_errno e = resolve(c, ARG32(0), R_PATH_CREATE_DIRECTORY, ARG32(1), ARG32(2),
                           c->scratch, &d, &slash);
    if (e != WASI_ESUCCESS)
        return e;
    if (c->scratch[0] == '\0')
        return WASI_EEXIST;
    const wasi_preopen *t = fd_tree(c, d);
    return t->ops->mkdir(t->ctx, c->scratch);
}

static wasi_errno f_path_filestat_get(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *d;
    int slash;
    wasi_errno e = resolve(c, ARG32(0), R_PATH_FILESTAT_GET, ARG32(2), ARG32(3), c->scratch,
                           &d, &slash);
    if (e != WASI_ESUCCESS)
        return e;
    uint8_t *p = mem_at(c, ARG32(4), 64);
    if (p == NULL)
        return WASI_EFAULT;
    wasi_file_stat st;
    e = tree_stat(c, d, c->scratch, &st);
    if (e != WASI_ESUCCESS)
        return e;
    if (slash && st.type != WASI_FILETYPE_DIRECTORY)
        return WASI_ENOTDIR;
    write_filestat(p, st.type, st.ino, st.size);
    return WASI_ESUCCESS;
}

static wasi_errno f_path_open(wasi_ctx *c, const wasm_value *a)
{
    uint32_t oflags = ARG32(4), fdflags = ARG32(7);
    uint64_t base = ARG64(5), inh = ARG64(6);
    enum { O_CREAT = 1, O_DIRECTORY = 2, O_EXCL = 4, O_TRUNC = 8 };
    if (oflags & ~0xFu)
        return WASI_EINVAL;
    if (fdflags & ~FDFLAG_ALL)
        return WASI_EINVAL;
    wasi_fd *d;
    int slash;
    wasi_errno e = resolve(c, ARG32(0), R_PATH_OPEN, ARG32(2), ARG32(3), c->scratch, &d,
                           &slash);
    if (e != WASI_ESUCCESS)
        return e;
    uint8_t *out = mem_at(c, ARG32(8), 4);
    if (out == NULL)
        return WASI_EFAULT;
    uint32_t nfd = 0;
    for (uint32_t i = 0; i < WASI_MAX_FDS; i++) {
        if (c->fds[i].kind == FD_FREE) {
            nfd = i;
            break;
        }
        if (i + 1 == WASI_MAX_FDS)
            return WASI_EMFILE;
    }
    const wasi_preopen *t = fd_tree(c, d);
    wasi_file_stat st;
    memset(&st, 0, sizeof st);
    e = t->ops->stat(t->ctx, c->scratch, &st);
    if (e == WASI_ENOENT && (oflags & O_CREAT) && !(oflags & O_DIRECTORY) && !slash) {
        if (!(d->rights & R_PATH_CREATE_FILE))
            return WASI_ENOTCAPABLE;
        e = t->ops->create(t->ctx, c->scratch);
        if (e != WASI_ESUCCESS)
            return e;
        e = t->ops->stat(t->ctx, c->scratch, &st);
        if (e != WASI_ESUCCESS)
            return e;
    } else if (e != WASI_ESUCCESS) {
        return e;
    } else if ((oflags & O_CREAT) && (oflags & O_EXCL)) {
        return WASI_EEXIST;
    }
    int is_dir = st.type == WASI_FILETYPE_DIRECTORY;
    if ((oflags & O_DIRECTORY || slash) && !is_dir)
        return WASI_ENOTDIR;
    if (is_dir && ((base & R_FD_WRITE) || (oflags & O_TRUNC)))
        return WASI_EISDIR;
    if (!is_dir && (oflags & O_TRUNC)) {
        if (!(d->rights & R_PATH_FILESTAT_SET_SIZE))
            return WASI_ENOTCAPABLE;
        e = t->ops->truncate(t->ctx, c->scratch, 0);
        if (e != WASI_ESUCCESS)
            return e;
    }
    wasi_fd *f = &c->fds[nfd];
    memset(f, 0, sizeof *f);
    f->kind = is_dir ? FD_DIR : FD_FILE;
    f->preopen = d->preopen;
    f->fdflags = (uint16_t)fdflags;
    f->rights = base & d->inheriting & (is_dir ? DIR_RIGHTS : FILE_RIGHTS);
    f->inheriting = inh & d->inheriting;
    memcpy(f->path, c->scratch, strlen(c->scratch) + 1);
    put32(out, nfd);
    return WASI_ESUCCESS;
}

static wasi_errno f_path_remove_directory(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *d;
    int slash;
    wasi_errno e = resolve(c, ARG32(0), R_PATH_REMOVE_DIRECTORY, ARG32(1), ARG32(2),
                           c->scratch, &d, &slash);
    if (e != WASI_ESUCCESS)
        return e;
    if (c->scratch[0] == '\0')
        return WASI_EBUSY;
    const wasi_preopen *t = fd_tree(c, d);
    return t->ops->rmdir(t->ctx, c->scratch);
}

static wasi_errno f_path_unlink_file(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *d;
    int slash;
    wasi_errno e = resolve(c, ARG32(0), R_PATH_UNLINK_FILE, ARG32(1), ARG32(2), c->scratch,
                           &d, &slash);
    if (e != WASI_ESUCCESS)
        return e;
    const wasi_preopen *t = fd_tree(c, d);
    wasi_file_stat st;
    e = tree_stat(c, d, c->scratch, &st);
    if (e != WASI_ESUCCESS)
        return e;
    if (st.type == WASI_FILETYPE_DIRECTORY)
        return WASI_EISDIR;
    if (slash)
        return WASI_ENOTDIR;
    return t->ops->unlink(t->ctx, c->scratch);
}

/* Open descriptors name their files by path: after a rename, those at or below the old
 * name follow it. */
static void follow_rename(wasi_ctx *c, uint8_t tree, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to);
    for (uint32_t i = 0; i < WASI_MAX_FDS; i++) {
        wasi_fd *f = &c->fds[i];
        if ((f->kind != FD_FILE && f->kind != FD_DIR) || f->preopen != tree)
            continue;
        if (strncmp(f->path, from, fl) != 0 || (f->path[fl] != '\0' && f->path[fl] != '/'))
            continue;
        size_t rest = strlen(f->path + fl);
        if (tl + rest > WASI_PATH_MAX) {
            f->path[0] = '\0';
            f->kind = FD_FREE; /* cannot be named any more: the descriptor is lost */
            continue;
        }
        memmove(f->path + tl, f->path + fl, rest + 1);
        memcpy(f->path, to, tl);
    }
}

static wasi_errno f_path_rename(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *d1, *d2;
    int s1, s2;
    wasi_errno e = resolve(c, ARG32(0), R_PATH_RENAME_SOURCE, ARG32(1), ARG32(2), c->scratch,
                           &d1, &s1);
    if (e != WASI_ESUCCESS)
        return e;
    e = resolve(c, ARG32(3), R_PATH_RENAME_TARGET, ARG32(4), ARG32(5), c->scratch2, &d2, &s2);
    if (e != WASI_ESUCCESS)
        return e;
    if (d1->preopen != d2->preopen)
        return WASI_EXDEV;
    if (c->scratch[0] == '\0' || c->scratch2[0] == '\0')
        return WASI_EBUSY;
    const wasi_preopen *t = fd_tree(c, d1);
    if (s1 || s2) {
        wasi_file_stat st;
        e = tree_stat(c, d1, c->scratch, &st);
        if (e != WASI_ESUCCESS)
            return e;
        if (st.type != WASI_FILETYPE_DIRECTORY)
            return WASI_ENOTDIR;
    }
    e = t->ops->rename(t->ctx, c->scratch, c->scratch2);
    if (e == WASI_ESUCCESS)
        follow_rename(c, d1->preopen, c->scratch, c->scratch2);
    return e;
}

static wasi_errno f_random_get(wasi_ctx *c, const wasm_value *a)
{
    uint32_t len = ARG32(1);
    uint8_t *p = mem_at(c, ARG32(0), len);
    if (p == NULL)
        return WASI_EFAULT;
    const wasi_host_ops *h = c->cfg.host;
    if (h->random == NULL)
        return WASI_ENOSYS;
    return len ? h->random(h->ctx, p, len) : WASI_ESUCCESS;
}

static wasi_errno f_sched_yield(wasi_ctx *c, const wasm_value *a)
{
    (void)a;
    const wasi_host_ops *h = c->cfg.host;
    /* With no scheduler to ask, yielding is done at once. */
    return h->yield ? h->yield(h->ctx) : WASI_ESUCCESS;
}

/* ---- sockets (docs/wasm.md, "Sockets") ---------------------------------------------- */

#define R_SOCK_SHUTDOWN R(28)
#define R_SOCK_ACCEPT R(29)
#define SOCK_RIGHTS                                                                         \
    (R_FD_READ | R_FD_WRITE | R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET |                   \
     R_POLL_FD_READWRITE | R_SOCK_SHUTDOWN)
#define LISTENER_RIGHTS                                                                    \
    (R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE | R_SOCK_ACCEPT)

#define SF_LISTENER 1u
#define SF_SHUT_RD 2u
#define SF_SHUT_WR 4u
#define FDFLAG_NONBLOCK 4u
#define RIFLAG_PEEK 1u
#define RIFLAG_WAITALL 2u
#define NET_SLICE_NS 10000000ull   /* one wait at most: 10 ms, so a lost wake-up costs little */
#define NET_MAX_WAITS (1u << 22)   /* a bound on any blocking loop beyond its deadline */
#define NET_NAME_MAX 253u

/* Where a blocking call stands: its deadline on the monotonic clock (or a count of waits
 * where there is no clock). */
typedef struct net_block {
    uint64_t deadline;
    uint32_t waits;
    int have_clock;
} net_block;

static void net_block_start(wasi_ctx *c, net_block *b)
{
    uint64_t now = 0, span = c->net->block_ns ? c->net->block_ns : WASI_NET_BLOCK_NS_DEFAULT;
    b->waits = 0;
    b->have_clock = clock_read(c, 1, &now) == WASI_ESUCCESS;
    b->deadline = now > UINT64_MAX - span ? UINT64_MAX : now + span;
}

/* One wait for the n sockets; ETIMEDOUT once the call has waited its longest. */
static wasi_errno net_block_wait(wasi_ctx *c, net_block *b, const wasi_net_wait *w, uint32_t n)
{
    const wasi_net_ops *o = c->net;
    uint64_t slice = NET_SLICE_NS;
    if (b->have_clock) {
        uint64_t now = 0;
        if (clock_read(c, 1, &now) != WASI_ESUCCESS || now >= b->deadline)
            return WASI_ETIMEDOUT;
        if (b->deadline - now < slice)
            slice = b->deadline - now;
    } else {
        uint64_t span = o->block_ns ? o->block_ns : WASI_NET_BLOCK_NS_DEFAULT;
        if ((uint64_t)b->waits * NET_SLICE_NS >= span)
            return WASI_ETIMEDOUT;
    }
    if (++b->waits > NET_MAX_WAITS)
        return WASI_ETIMEDOUT;
    return o->wait(o->ctx, w, n, slice);
}

/* The socket descriptor fd (ENOTSOCK for any other kind), with the rights asked for. */
static wasi_errno sock_need(wasi_ctx *c, uint32_t fd, uint64_t rights, wasi_fd **out)
{
    wasi_fd *f = fd_get(c, fd);
    if (f == NULL)
        return WASI_EBADF;
    if (f->kind != FD_SOCKET)
        return WASI_ENOTSOCK;
    if ((f->rights & rights) != rights)
        return WASI_ENOTCAPABLE;
    if (c->net == NULL)
        return WASI_ENOSYS;
    *out = f;
    return WASI_ESUCCESS;
}

static int fd_free_slot(wasi_ctx *c, uint32_t *fd)
{
    for (uint32_t i = 0; i < WASI_MAX_FDS; i++)
        if (c->fds[i].kind == FD_FREE) {
            *fd = i;
            return 1;
        }
    return 0;
}

static void sock_fd_set(wasi_fd *f, uint32_t sock, int listener, uint32_t fdflags)
{
    memset(f, 0, sizeof *f);
    f->kind = FD_SOCKET;
    f->sock = sock;
    f->sflags = listener ? SF_LISTENER : 0;
    f->fdflags = (uint16_t)fdflags;
    f->rights = listener ? LISTENER_RIGHTS : SOCK_RIGHTS;
}

/* Closes a descriptor's socket in the backend; the descriptor is the caller's to free. */
static wasi_errno sock_release(wasi_ctx *c, wasi_fd *f)
{
    if (f->kind != FD_SOCKET || c->net == NULL)
        return WASI_ESUCCESS;
    return c->net->close(c->net->ctx, f->sock);
}

/* What a transfer that stops with error e reports: the bytes it moved if it moved any
 * (success), the error otherwise. */
static wasi_errno sock_partial(uint64_t done, uint64_t *done_out, wasi_errno e)
{
    if (done == 0)
        return e;
    *done_out = done;
    return WASI_ESUCCESS;
}

/* A transfer found the socket not ready: a non-blocking descriptor answers EAGAIN; a
 * blocking one waits once for `what` (ESUCCESS: try again; EAGAIN once the call has
 * waited its longest). */
static wasi_errno sock_wait_ready(wasi_ctx *c, const wasi_fd *f, net_block *b, int *started,
                                  uint32_t what)
{
    if (f->fdflags & FDFLAG_NONBLOCK)
        return WASI_EAGAIN;
    if (!*started) {
        net_block_start(c, b);
        *started = 1;
    }
    wasi_net_wait w = {f->sock, what};
    wasi_errno e = net_block_wait(c, b, &w, 1);
    return e == WASI_ETIMEDOUT ? WASI_EAGAIN : e;
}

/* Receives into the n iovecs at v: what is there at once, or (blocking) at least one
 * byte or the end; with waitall until every buffer is full or the stream ends. */
static wasi_errno sock_read_iovs(wasi_ctx *c, wasi_fd *f, const uint8_t *v, uint32_t n,
                                 int waitall, uint64_t *done_out)
{
    const wasi_net_ops *o = c->net;
    uint64_t done = 0;
    *done_out = 0;
    if (f->sflags & SF_LISTENER)
        return WASI_ENOTCONN;
    if (f->sflags & SF_SHUT_RD)
        return WASI_ESUCCESS;
    net_block b;
    int started = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = get32(v + 8 * i + 4);
        uint32_t at = 0;
        while (at < len) {
            uint8_t *p = mem_at(c, get32(v + 8 * i), len); /* memory may have moved: refetch */
            if (p == NULL)
                return sock_partial(done, done_out, WASI_EFAULT);
            size_t want = len - at, got = 0;
            if (o->max_io && want > o->max_io)
                want = o->max_io;
            wasi_errno e = o->recv(o->ctx, f->sock, p + at, want, &got);
            if (e == WASI_EAGAIN) {
                if (done > 0 && !waitall)
                    goto out;
                e = sock_wait_ready(c, f, &b, &started, WASI_NET_READ);
                if (e != WASI_ESUCCESS)
                    return sock_partial(done, done_out, e);
                continue;
            }
            if (e != WASI_ESUCCESS)
                return sock_partial(done, done_out, e);
            if (got > want)
                return WASI_EIO;
            if (got == 0)
                goto out; /* the end of the stream */
            at += (uint32_t)got;
            done += got;
            if (!waitall && got < want)
                goto out;
        }
    }
out:
    *done_out = done;
    return WASI_ESUCCESS;
}

/* Sends every byte of the n iovecs at v (blocking), or what fits at once (non-blocking). */
static wasi_errno sock_write_iovs(wasi_ctx *c, wasi_fd *f, const uint8_t *v, uint32_t n,
                                  uint64_t *done_out)
{
    const wasi_net_ops *o = c->net;
    uint64_t done = 0;
    *done_out = 0;
    if (f->sflags & SF_LISTENER)
        return WASI_ENOTCONN;
    if (f->sflags & SF_SHUT_WR)
        return WASI_EPIPE;
    net_block b;
    int started = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = get32(v + 8 * i + 4);
        uint32_t at = 0;
        while (at < len) {
            const uint8_t *p = mem_at(c, get32(v + 8 * i), len);
            if (p == NULL)
                return sock_partial(done, done_out, WASI_EFAULT);
            size_t want = len - at, sent = 0;
            if (o->max_io && want > o->max_io)
                want = o->max_io;
            wasi_errno e = o->send(o->ctx, f->sock, p + at, want, &sent);
            if (e == WASI_EAGAIN || (e == WASI_ESUCCESS && sent == 0)) {
                e = sock_wait_ready(c, f, &b, &started, WASI_NET_WRITE);
                if (e != WASI_ESUCCESS)
                    return sock_partial(done, done_out, e);
                continue;
            }
            if (e != WASI_ESUCCESS)
                return sock_partial(done, done_out, e);
            if (sent > want)
                return WASI_EIO;
            at += (uint32_t)sent;
            done += sent;
        }
    }
    *done_out = done;
    return WASI_ESUCCESS;
}

static wasi_errno f_sock_recv(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f;
    wasi_errno e = sock_need(c, ARG32(0), R_FD_READ, &f);
    if (e != WASI_ESUCCESS)
        return e;
    uint32_t iovs = ARG32(1), n = ARG32(2), flags = ARG32(3);
    uint64_t total;
    e = check_iovs(c, iovs, n, &total);
    if (e != WASI_ESUCCESS)
        return e;
    uint8_t *lenp = mem_at(c, ARG32(4), 4), *flagp = mem_at(c, ARG32(5), 2);
    if (lenp == NULL || flagp == NULL)
        return WASI_EFAULT;
    if (flags & ~(RIFLAG_PEEK | RIFLAG_WAITALL))
        return WASI_EINVAL;
    if (flags & RIFLAG_PEEK)
        return WASI_ENOTSUP; /* the stack's sockets cannot give data back */
    uint64_t done = 0;
    e = sock_read_iovs(c, f, mem_at(c, iovs, (uint64_t)n * 8), n, (flags & RIFLAG_WAITALL) != 0,
                       &done);
    if (e != WASI_ESUCCESS)
        return e;
    /* The result pointers again: a host call may not move memory, but check anyway. */
    lenp = mem_at(c, ARG32(4), 4);
    flagp = mem_at(c, ARG32(5), 2);
    if (lenp == NULL || flagp == NULL)
        return WASI_EFAULT;
    put32(lenp, (uint32_t)done);
    put16(flagp, 0);
    return WASI_ESUCCESS;
}

static wasi_errno f_sock_send(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f;
    wasi_errno e = sock_need(c, ARG32(0), R_FD_WRITE, &f);
    if (e != WASI_ESUCCESS)
        return e;
    uint32_t iovs = ARG32(1), n = ARG32(2);
    uint64_t total;
    e = check_iovs(c, iovs, n, &total);
    if (e != WASI_ESUCCESS)
        return e;
    if (mem_at(c, ARG32(4), 4) == NULL)
        return WASI_EFAULT;
    if (ARG32(3) != 0)
        return WASI_EINVAL; /* preview1 defines no send flags */
    uint64_t done = 0;
    e = sock_write_iovs(c, f, mem_at(c, iovs, (uint64_t)n * 8), n, &done);
    if (e != WASI_ESUCCESS)
        return e;
    uint8_t *p = mem_at(c, ARG32(4), 4);
    if (p == NULL)
        return WASI_EFAULT;
    put32(p, (uint32_t)done);
    return WASI_ESUCCESS;
}

static wasi_errno f_sock_shutdown(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f;
    wasi_errno e = sock_need(c, ARG32(0), R_SOCK_SHUTDOWN, &f);
    if (e != WASI_ESUCCESS)
        return e;
    uint32_t how = ARG32(1);
    if (how == 0 || how > 3)
        return WASI_EINVAL;
    if (f->sflags & SF_LISTENER)
        return WASI_ENOTCONN;
    e = c->net->shutdown(c->net->ctx, f->sock, how);
    if (e != WASI_ESUCCESS)
        return e;
    f->sflags |= (uint8_t)(((how & 1) ? SF_SHUT_RD : 0) | ((how & 2) ? SF_SHUT_WR : 0));
    return WASI_ESUCCESS;
}

static wasi_errno f_sock_accept(wasi_ctx *c, const wasm_value *a)
{
    wasi_fd *f;
    wasi_errno e = sock_need(c, ARG32(0), R_SOCK_ACCEPT, &f);
    if (e != WASI_ESUCCESS)
        return e;
    uint32_t flags = ARG32(1);
    if (mem_at(c, ARG32(2), 4) == NULL)
        return WASI_EFAULT;
    if (flags & ~FDFLAG_NONBLOCK)
        return WASI_EINVAL;
    if (!(f->sflags & SF_LISTENER))
        return WASI_EINVAL;
    uint32_t nfd;
    if (!fd_free_slot(c, &nfd))
        return WASI_EMFILE;
    const wasi_net_ops *o = c->net;
    uint32_t sock = 0;
    net_block b;
    int started = 0;
    for (;;) {
        e = o->accept(o->ctx, f->sock, &sock);
        if (e != WASI_EAGAIN)
            break;
        if (f->fdflags & FDFLAG_NONBLOCK)
            return WASI_EAGAIN;
        if (!started) {
            net_block_start(c, &b);
            started = 1;
        }
        wasi_net_wait w = {f->sock, WASI_NET_READ};
        e = net_block_wait(c, &b, &w, 1);
        if (e != WASI_ESUCCESS)
            return e == WASI_ETIMEDOUT ? WASI_EAGAIN : e;
    }
    if (e != WASI_ESUCCESS)
        return e;
    sock_fd_set(&c->fds[nfd], sock, 0, flags);
    put32(mem_at(c, ARG32(2), 4), nfd);
    return WASI_ESUCCESS;
}

/* Why an anvaya socket function has no backend to ask. */
static wasi_errno no_net(const wasi_ctx *c)
{
    return c->net_refused ? WASI_ENOTCAPABLE : WASI_ENOSYS;
}

/* anvaya.sock_connect(ip, port, fdflags, fd_out) */
static wasi_errno f_anv_connect(wasi_ctx *c, const wasm_value *a)
{
    uint32_t ip = ARG32(0), port = ARG32(1), flags = ARG32(2);
    if (mem_at(c, ARG32(3), 4) == NULL)
        return WASI_EFAULT;
    if (port == 0 || port > 65535 || (flags & ~FDFLAG_NONBLOCK))
        return WASI_EINVAL;
    if (c->net == NULL)
        return no_net(c);
    uint32_t nfd;
    if (!fd_free_slot(c, &nfd))
        return WASI_EMFILE;
    const wasi_net_ops *o = c->net;
    uint32_t sock = 0;
    wasi_errno e = o->connect(o->ctx, ip, (uint16_t)port, &sock);
    if (e != WASI_ESUCCESS)
        return e;
    if (!(flags & FDFLAG_NONBLOCK)) {
        net_block b;
        net_block_start(c, &b);
        for (;;) {
            e = o->connected(o->ctx, sock);
            if (e != WASI_EAGAIN)
                break;
            wasi_net_wait w = {sock, WASI_NET_WRITE};
            e = net_block_wait(c, &b, &w, 1);
            if (e != WASI_ESUCCESS)
                break;
        }
        if (e != WASI_ESUCCESS) {
            (void)o->close(o->ctx, sock); /* the connection's error is the one to report */
            return e;
        }
    }
    sock_fd_set(&c->fds[nfd], sock, 0, flags);
    put32(mem_at(c, ARG32(3), 4), nfd);
    return WASI_ESUCCESS;
}

/* anvaya.sock_listen(port, fdflags, fd_out) */
static wasi_errno f_anv_listen(wasi_ctx *c, const wasm_value *a)
{
    uint32_t port = ARG32(0), flags = ARG32(1);
    if (mem_at(c, ARG32(2), 4) == NULL)
        return WASI_EFAULT;
    if (port == 0 || port > 65535 || (flags & ~FDFLAG_NONBLOCK))
        return WASI_EINVAL;
    if (c->net == NULL)
        return no_net(c);
    uint32_t nfd;
    if (!fd_free_slot(c, &nfd))
        return WASI_EMFILE;
    uint32_t sock = 0;
    wasi_errno e = c->net->listen(c->net->ctx, (uint16_t)port, &sock);
    if (e != WASI_ESUCCESS)
        return e;
    sock_fd_set(&c->fds[nfd], sock, 1, flags);
    put32(mem_at(c, ARG32(2), 4), nfd);
    return WASI_ESUCCESS;
}

int wasi_ipv4_parse(const char *s, size_t len, uint32_t *ip)
{
    uint32_t v = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.')
                return -1;
            i++;
        }
        size_t start = i;
        uint32_t x = 0;
        while (i < len && i - start < 4 && s[i] >= '0' && s[i] <= '9')
            x = x * 10 + (uint32_t)(s[i++] - '0');
        size_t digits = i - start;
        if (digits == 0 || digits > 3 || x > 255 || (digits > 1 && s[start] == '0'))
            return -1;
        v = v << 8 | x;
    }
    if (i != len)
        return -1;
    *ip = v;
    return 0;
}

/* anvaya.resolve(name, name_len, ip_out): a dotted address as itself, a name by the
 * backend. Names are 1..253 bytes of letters, digits, '-' and '.'. */
static wasi_errno f_anv_resolve(wasi_ctx *c, const wasm_value *a)
{
    uint32_t len = ARG32(1);
    const uint8_t *p = mem_at(c, ARG32(0), len);
    if (p == NULL || mem_at(c, ARG32(2), 4) == NULL)
        return WASI_EFAULT;
    if (len == 0 || len > NET_NAME_MAX)
        return WASI_EINVAL;
    char name[NET_NAME_MAX + 1];
    for (uint32_t i = 0; i < len; i++) {
        uint8_t ch = p[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
        if (!ok)
            return WASI_EINVAL;
        name[i] = (char)ch;
    }
    name[len] = '\0';
    uint32_t ip = 0;
    if (wasi_ipv4_parse(name, len, &ip) != 0) {
        if (c->net == NULL)
            return no_net(c);
        const wasi_net_ops *o = c->net;
        net_block b;
        net_block_start(c, &b);
        wasi_errno e;
        for (;;) {
            e = o->resolve(o->ctx, name, &ip);
            if (e != WASI_EAGAIN)
                break;
            e = net_block_wait(c, &b, NULL, 0);
            if (e != WASI_ESUCCESS)
                break;
        }
        if (e != WASI_ESUCCESS)
            return e;
    }
    put32(mem_at(c, ARG32(2), 4), ip);
    return WASI_ESUCCESS;
}

void wasi_net_refuse(wasi_ctx *c)
{
    if (c != NULL)
        c->net_refused = 1;
}

wasi_errno wasi_net_attach(wasi_ctx *c, const wasi_net_ops *o)
{
    if (c == NULL || o == NULL || !o->connect || !o->connected || !o->listen || !o->accept ||
        !o->send || !o->recv || !o->shutdown || !o->close || !o->ready || !o->resolve ||
        !o->wait)
        return WASI_EINVAL;
    c->net = o;
    return WASI_ESUCCESS;
}

/* One subscription's state at time now (monotonic; start is when the call began, for
 * relative clocks): *fire set when it is to be reported, with its error, nbytes, flags. */
static void poll_eval(wasi_ctx *c, const uint8_t *s, uint64_t now, uint64_t start,
                      int *fire, uint16_t *err, uint64_t *nbytes, uint16_t *rflags,
                      uint64_t *wait_ns)
{
    uint8_t tag = s[8];
    *fire = 1;
    *err = WASI_ESUCCESS;
    *nbytes = 0;
    *rflags = 0;
    *wait_ns = UINT64_MAX;
    if (tag == 0) {
        uint32_t id = get32(s + 16);
        uint64_t timeout = get64(s + 24), at;
        if (id > 3) {
            *err = WASI_EINVAL;
            return;
        }
        if (get16(s + 40) & 1) {
            uint64_t t = 0;
            wasi_errno e = clock_read(c, id, &t);
            if (e != WASI_ESUCCESS) {
                *err = (uint16_t)e;
                return;
            }
            /* An absolute deadline on clock id, as a wait from now. */
            at = timeout > t ? now + (timeout - t) : now;
        } else {
            at = start > UINT64_MAX - timeout ? UINT64_MAX : start + timeout;
        }
        if (at > now) {
            *fire = 0;
            *wait_ns = at - now;
        }
        return;
    }
    if (tag != 1 && tag != 2) {
        *err = WASI_EINVAL;
        return;
    }
    wasi_fd *f = fd_get(c, get32(s + 16));
    if (f == NULL) {
        *err = WASI_EBADF;
        return;
    }
    if (f->kind != FD_SOCKET) {
        if (!(f->rights & R_POLL_FD_READWRITE) && f->kind == FD_FILE)
            *err = WASI_ENOTCAPABLE;
        else if (tag == 1 && f->kind == FD_FILE) {
            wasi_file_stat st;
            if (tree_stat(c, f, f->path, &st) == WASI_ESUCCESS && st.size > f->offset)
                *nbytes = st.size - f->offset;
        }
        return;
    }
    if (!(f->rights & R_POLL_FD_READWRITE)) {
        *err = WASI_ENOTCAPABLE;
        return;
    }
    uint32_t ev = 0;
    uint64_t nb = 0;
    wasi_errno e = c->net->ready(c->net->ctx, f->sock, &ev, &nb);
    if (e != WASI_ESUCCESS) {
        *err = (uint16_t)e;
        return;
    }
    uint32_t want = tag == 1 ? WASI_NET_READ : WASI_NET_WRITE;
    if ((tag == 1 && (f->sflags & SF_SHUT_RD)) || (ev & WASI_NET_HUP))
        ev |= WASI_NET_READ | (tag == 2 ? WASI_NET_WRITE : 0);
    if (!(ev & want)) {
        *fire = 0;
        return;
    }
    *nbytes = tag == 1 ? nb : 0;
    *rflags = (ev & WASI_NET_HUP) ? 1 : 0; /* event_rwflags fd_readwrite_hangup */
}

/* poll_oneoff with at least one socket subscription: waits in the backend until a socket
 * is ready as asked or the earliest clock fires, in bounded slices. */
static wasi_errno poll_with_sockets(wasi_ctx *c, const uint8_t *in, uint8_t *out, uint32_t n,
                                    uint8_t *nev)
{
    wasi_net_wait w[WASI_MAX_FDS];
    uint32_t nw = 0;
    for (uint32_t i = 0; i < n && nw < WASI_MAX_FDS; i++) {
        const uint8_t *s = in + 48 * i;
        wasi_fd *f = (s[8] == 1 || s[8] == 2) ? fd_get(c, get32(s + 16)) : NULL;
        if (f != NULL && f->kind == FD_SOCKET) {
            w[nw].sock = f->sock;
            w[nw].events = s[8] == 1 ? WASI_NET_READ : WASI_NET_WRITE;
            nw++;
        }
    }
    uint64_t start = 0, now = 0;
    int have_clock = clock_read(c, 1, &start) == WASI_ESUCCESS;
    now = start;
    uint64_t waited = 0;
    for (uint32_t round = 0; round < NET_MAX_WAITS; round++) {
        uint64_t earliest = UINT64_MAX;
        int any = 0;
        for (uint32_t i = 0; i < n && !any; i++) {
            int fire;
            uint16_t err, rflags;
            uint64_t nbytes, wait_ns;
            poll_eval(c, in + 48 * i, now, start, &fire, &err, &nbytes, &rflags, &wait_ns);
            if (fire)
                any = 1;
            else if (wait_ns < earliest)
                earliest = wait_ns;
        }
        if (any)
            break;
        uint64_t slice = earliest < NET_SLICE_NS ? earliest : NET_SLICE_NS;
        wasi_errno e = c->net->wait(c->net->ctx, w, nw, slice);
        if (e != WASI_ESUCCESS)
            return e;
        if (have_clock) {
            if (clock_read(c, 1, &now) != WASI_ESUCCESS)
                return WASI_EIO;
        } else {
            waited += slice; /* without a clock, time is the waits' sum */
            now = start + waited;
        }
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = in + 48 * i;
        int fire;
        uint16_t err, rflags;
        uint64_t nbytes, wait_ns;
        poll_eval(c, s, now, start, &fire, &err, &nbytes, &rflags, &wait_ns);
        if (!fire)
            continue;
        uint8_t *ev = out + 32 * k;
        memset(ev, 0, 32);
        memcpy(ev, s, 8);
        put16(ev + 8, err);
        ev[10] = s[8] <= 2 ? s[8] : 0;
        put64(ev + 16, nbytes);
        put16(ev + 24, rflags);
        k++;
    }
    put32(nev, k);
    return WASI_ESUCCESS;
}

/* poll_oneoff: clock subscriptions sleep until the earliest deadline; descriptor
 * subscriptions on the console and files are always ready (nothing here blocks), so with
 * any of them nothing sleeps. */
static wasi_errno f_poll_oneoff(wasi_ctx *c, const wasm_value *a)
{
    uint32_t n = ARG32(2);
    if (n == 0)
        return WASI_EINVAL;
    const uint8_t *in = mem_at(c, ARG32(0), (uint64_t)n * 48);
    uint8_t *out = mem_at(c, ARG32(1), (uint64_t)n * 32);
    uint8_t *nev = mem_at(c, ARG32(3), 4);
    if (in == NULL || out == NULL || nev == NULL)
        return WASI_EFAULT;
    if (c->net != NULL)
        for (uint32_t i = 0; i < n; i++) {
            const uint8_t *s = in + 48 * i;
            wasi_fd *f = (s[8] == 1 || s[8] == 2) ? fd_get(c, get32(s + 16)) : NULL;
            if (f != NULL && f->kind == FD_SOCKET)
                return poll_with_sockets(c, in, out, n, nev);
        }
    const wasi_host_ops *h = c->cfg.host;
    uint64_t earliest = UINT64_MAX;
    int ready = 0;
    /* First pass: find what is ready now and the earliest clock deadline. */
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = in + 48 * i;
        uint8_t tag = s[8];
        if (tag == 0) {
            uint32_t id = get32(s + 16);
            uint64_t timeout = get64(s + 24);
            uint64_t wait = timeout;
            if (get16(s + 40) & 1) {
                uint64_t now = 0;
                if (clock_read(c, id, &now) != WASI_ESUCCESS) {
                    ready = 1;
                    continue;
                }
                wait = timeout > now ? timeout - now : 0;
            } else if (id > 3) {
                ready = 1;
                continue;
            }
            if (wait < earliest)
                earliest = wait;
        } else {
            ready = 1;
        }
    }
    if (!ready && earliest > 0) {
        if (h->sleep == NULL)
            return WASI_ENOSYS;
        wasi_errno e = h->sleep(h->ctx, earliest);
        if (e != WASI_ESUCCESS)
            return e;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = in + 48 * i;
        uint8_t tag = s[8];
        uint8_t *ev = out + 32 * k;
        uint16_t err = WASI_ESUCCESS;
        uint64_t nbytes = 0;
        if (tag == 0) {
            uint32_t id = get32(s + 16);
            uint64_t timeout = get64(s + 24), wait = timeout;
            if (id > 3) {
                err = WASI_EINVAL;
            } else if (get16(s + 40) & 1) {
                uint64_t now = 0;
                wasi_errno e = clock_read(c, id, &now);
                if (e != WASI_ESUCCESS)
                    err = (uint16_t)e;
                else
                    wait = timeout > now ? timeout - now : 0;
            }
            if (err == WASI_ESUCCESS && (ready || wait > earliest))
                continue; /* not this one's time */
        } else if (tag == 1 || tag == 2) {
            wasi_fd *f = fd_get(c, get32(s + 16));
            if (f == NULL)
                err = WASI_EBADF;
            else if (!(f->rights & R_POLL_FD_READWRITE) && f->kind == FD_FILE)
                err = WASI_ENOTCAPABLE;
            else if (tag == 1 && f->kind == FD_FILE) {
                wasi_file_stat st;
                if (tree_stat(c, f, f->path, &st) == WASI_ESUCCESS && st.size > f->offset)
                    nbytes = st.size - f->offset;
            }
        } else {
            err = WASI_EINVAL;
        }
        memset(ev, 0, 32);
        memcpy(ev, s, 8);
        put16(ev + 8, err);
        ev[10] = tag <= 2 ? tag : 0;
        put64(ev + 16, nbytes);
        k++;
    }
    put32(nev, k);
    return WASI_ESUCCESS;
}

static wasi_errno f_enosys(wasi_ctx *c, const wasm_value *a)
{
    (void)c;
    (void)a;
    return WASI_ENOSYS;
}

/* ---- the import table --------------------------------------------------------------- */

typedef wasi_errno (*wasi_impl)(wasi_ctx *c, const wasm_value *a);

typedef struct wasi_fn {
    const char *name;
    const char *params; /* 'i' i32, 'I' i64; every function returns an i32 errno but proc_exit */
    wasi_impl impl;
} wasi_fn;

static const wasi_fn wasi_fns[] = {
    {"args_get", "ii", f_args_get},
    {"args_sizes_get", "ii", f_args_sizes_get},
    {"environ_get", "ii", f_environ_get},
    {"environ_sizes_get", "ii", f_environ_sizes_get},
    {"clock_res_get", "ii", f_clock_res_get},
    {"clock_time_get", "iIi", f_clock_time_get},
    {"fd_advise", "iIIi", f_enosys},
    {"fd_allocate", "iII", f_enosys},
    {"fd_close", "i", f_fd_close},
    {"fd_datasync", "i", f_fd_datasync},
    {"fd_fdstat_get", "ii", f_fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii", f_fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII", f_fd_fdstat_set_rights},
    {"fd_filestat_get", "ii", f_fd_filestat_get},
    {"fd_filestat_set_size", "iI", f_fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi", f_enosys},
    {"fd_pread", "iiiIi", f_fd_pread},
    {"fd_prestat_get", "ii", f_fd_prestat_get},
    {"fd_prestat_dir_name", "iii", f_fd_prestat_dir_name},
    {"fd_pwrite", "iiiIi", f_fd_pwrite},
    {"fd_read", "iiii", f_fd_read},
    {"fd_readdir", "iiiIi", f_fd_readdir},
    {"fd_renumber", "ii", f_fd_renumber},
    {"fd_seek", "iIii", f_fd_seek},
    {"fd_sync", "i", f_fd_sync},
    {"fd_tell", "ii", f_fd_tell},
    {"fd_write", "iiii", f_fd_write},
    {"path_create_directory", "iii", f_path_create_directory},
    {"path_filestat_get", "iiiii", f_path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi", f_enosys},
    {"path_link", "iiiiiii", f_enosys},
    {"path_open", "iiiiiIIii", f_path_open},
    {"path_readlink", "iiiiii", f_enosys},
    {"path_remove_directory", "iii", f_path_remove_directory},
    {"path_rename", "iiiiii", f_path_rename},
    {"path_symlink", "iiiii", f_enosys},
    {"path_unlink_file", "iii", f_path_unlink_file},
    {"poll_oneoff", "iiii", f_poll_oneoff},
    {"proc_exit", "i", NULL},
    {"proc_raise", "i", f_enosys},
    {"sched_yield", "", f_sched_yield},
    {"random_get", "ii", f_random_get},
    {"sock_accept", "iii", f_sock_accept},
    {"sock_recv", "iiiiii", f_sock_recv},
    {"sock_send", "iiiii", f_sock_send},
    {"sock_shutdown", "ii", f_sock_shutdown},
};

/* The "anvaya" module: what preview1 lacks (docs/wasm.md, "Sockets"). */
static const wasi_fn anvaya_fns[] = {
    {"sock_connect", "iiii", f_anv_connect},
    {"sock_listen", "iii", f_anv_listen},
    {"resolve", "iii", f_anv_resolve},
};
_Static_assert(sizeof anvaya_fns / sizeof anvaya_fns[0] == WASI_ANVAYA_FN_COUNT,
               "wasi.h's WASI_ANVAYA_FN_COUNT is the table's size");

#define WASI_NFNS (sizeof wasi_fns / sizeof wasi_fns[0])

/* The host function's context: one per import, pointing back at its table entry. */
_Static_assert(WASI_NFNS == WASI_FN_COUNT, "wasi.h's WASI_FN_COUNT is the table's size");

const char *wasi_fn_name(uint32_t i)
{
    return i < WASI_NFNS ? wasi_fns[i].name : NULL;
}

const char *wasi_anvaya_fn_name(uint32_t i)
{
    return i < WASI_ANVAYA_FN_COUNT ? anvaya_fns[i].name : NULL;
}

static wasm_status call_fn(void *ctx, wasm_env *env, const wasm_value *args,
                           wasm_value *results)
{
    const wasi_binding *b = ctx;
    (void)env;
    const wasi_fn *fn = b->fn;
    b->c->calls++;
    if (fn->impl == NULL) {
        /* proc_exit: unwind the app with a host trap wasi_run recognises. */
        b->c->exited = 1;
        b->c->exit_code = args[0].i32;
        return WASM_TRAP_HOST;
    }
    wasi_errno e = fn->impl(b->c, args);
    results[0].i64 = 0;
    results[0].i32 = (uint32_t)e;
    return WASM_OK;
}

/* The host function of table entry fn, made once per context in slots funcs/bindings. */
static wasm_status bind_fn(wasi_ctx *c, const wasi_fn *fn, wasi_binding *b, wasm_func **f,
                           wasm_extern *out)
{
    if (*f == NULL) {
        uint8_t params[16];
        uint32_t np = (uint32_t)strlen(fn->params);
        for (uint32_t k = 0; k < np; k++)
            params[k] = fn->params[k] == 'I' ? WASM_I64 : WASM_I32;
        static const uint8_t result_i32[1] = {WASM_I32};
        b->c = c;
        b->fn = fn;
        wasm_status st = wasm_host_func_new(c->env, params, np, result_i32, fn->impl ? 1 : 0,
                                            call_fn, b, f);
        if (st != WASM_OK)
            return st;
    }
    out->kind = WASM_EXTERN_FUNC;
    out->u.func = *f;
    return WASM_OK;
}

wasm_status wasi_resolve(void *ctx, const char *module, size_t module_len, const char *name,
                         size_t name_len, wasm_extern_kind kind, wasm_extern *out)
{
    wasi_ctx *c = ctx;
    static const char mod[] = "wasi_snapshot_preview1", anv[] = "anvaya";
    if (c == NULL || c->env == NULL || out == NULL)
        return WASM_ERR_ARGUMENT;
    if (kind != WASM_EXTERN_FUNC)
        return WASM_ERR_UNKNOWN_IMPORT;
    if (module_len == sizeof anv - 1 && memcmp(module, anv, module_len) == 0) {
        for (uint32_t i = 0; i < WASI_ANVAYA_FN_COUNT; i++) {
            const wasi_fn *fn = &anvaya_fns[i];
            if (strlen(fn->name) == name_len && memcmp(fn->name, name, name_len) == 0)
                return bind_fn(c, fn, &c->anv_bindings[i], &c->anv_funcs[i], out);
        }
        return WASM_ERR_UNKNOWN_IMPORT;
    }
    if (module_len != sizeof mod - 1 || memcmp(module, mod, module_len) != 0)
        return WASM_ERR_UNKNOWN_IMPORT;
    for (uint32_t i = 0; i < WASI_NFNS; i++) {
        const wasi_fn *fn = &wasi_fns[i];
        if (strlen(fn->name) == name_len && memcmp(fn->name, name, name_len) == 0)
            return bind_fn(c, fn, &c->bindings[i], &c->funcs[i], out);
    }
    return WASM_ERR_UNKNOWN_IMPORT;
}

/* ---- set-up and running ------------------------------------------------------------- */

wasi_errno wasi_init(wasi_ctx *c, const wasi_config *cfg, wasm_env *env)
{
    if (c == NULL || cfg == NULL || cfg->host == NULL || env == NULL)
        return WASI_EINVAL;
    if (cfg->argc > WASI_MAX_ARGS || cfg->envc > WASI_MAX_ARGS ||
        cfg->npreopens > WASI_MAX_PREOPENS || (cfg->argc && !cfg->argv) ||
        (cfg->envc && !cfg->envp) || (cfg->npreopens && !cfg->preopens))
        return WASI_E2BIG;
    for (uint32_t i = 0; i < cfg->argc; i++)
        if (cfg->argv[i] == NULL)
            return WASI_EINVAL;
    for (uint32_t i = 0; i < cfg->envc; i++)
        if (cfg->envp[i] == NULL)
            return WASI_EINVAL;
    for (uint32_t i = 0; i < cfg->npreopens; i++) {
        const wasi_preopen *p = &cfg->preopens[i];
        const wasi_fs_ops *o = p->ops;
        if (p->name == NULL || strlen(p->name) > WASI_PATH_MAX || o == NULL || !o->stat ||
            !o->create || !o->mkdir || !o->read || !o->write || !o->truncate || !o->rename ||
            !o->unlink || !o->rmdir || !o->list)
            return WASI_EINVAL;
    }
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    for (uint32_t i = 0; i < cfg->npreopens; i++)
        c->preopens[i] = cfg->preopens[i];
    c->cfg.preopens = c->preopens;
    c->env = env;
    c->fds[0].kind = FD_STDIN;
    c->fds[0].rights = R_FD_READ | R_POLL_FD_READWRITE;
    c->fds[1].kind = FD_STDOUT;
    c->fds[1].rights = R_FD_WRITE | R_POLL_FD_READWRITE;
    c->fds[2].kind = FD_STDERR;
    c->fds[2].rights = R_FD_WRITE | R_POLL_FD_READWRITE;
    for (uint32_t i = 0; i < cfg->npreopens; i++) {
        wasi_fd *f = &c->fds[3 + i];
        f->kind = FD_DIR;
        f->preopen = (uint8_t)i;
        f->fdflags = FD_IS_PREOPEN;
        f->rights = DIR_RIGHTS;
        f->inheriting = DIR_RIGHTS | FILE_RIGHTS;
    }
    uint64_t now = 0;
    if (cfg->host->clock_now && cfg->host->clock_now(cfg->host->ctx, 1, &now) == WASI_ESUCCESS)
        c->started_ns = now;
    return WASI_ESUCCESS;
}

void wasi_bind_memory(wasi_ctx *c, wasm_memory *m)
{
    if (c != NULL)
        c->memory = m;
}

wasi_result wasi_run(wasi_ctx *c, wasm_instance *inst)
{
    wasi_result r = {WASI_NOT_COMMAND, 0, WASM_OK};
    if (c == NULL || inst == NULL)
        return r;
    wasm_extern mem, start;
    if (wasm_instance_export(inst, "memory", 6, &mem) != WASM_OK ||
        mem.kind != WASM_EXTERN_MEMORY)
        return r;
    if (wasm_instance_export(inst, "_start", 6, &start) != WASM_OK ||
        start.kind != WASM_EXTERN_FUNC)
        return r;
    const uint8_t *params, *results;
    uint32_t np, nr;
    wasm_func_type(start.u.func, &params, &np, &results, &nr);
    if (np != 0 || nr != 0)
        return r;
    c->memory = mem.u.memory;
    wasm_status st = wasm_call(c->env, start.u.func, NULL, 0, NULL, 0);
    if (c->exited) {
        r.outcome = WASI_EXITED;
        r.exit_code = c->exit_code;
    } else if (st == WASM_OK) {
        r.outcome = WASI_EXITED;
        r.exit_code = 0;
    } else {
        r.outcome = WASI_TRAPPED;
        r.status = st;
    }
    return r;
}
