/* WASI preview1 (wasi_snapshot_preview1) for lib/wasm instances: the host functions, the
 * descriptor table and path resolution, over a table of host operations (docs/wasm.md). */
#ifndef WASI_H
#define WASI_H

#include <stddef.h>
#include <stdint.h>

#include "wasm.h"

/* The specification's errno values (witx `errno`), also this library's result codes. */
typedef enum wasi_errno {
    WASI_ESUCCESS = 0, WASI_E2BIG = 1, WASI_EACCES = 2, WASI_EADDRINUSE = 3,
    WASI_EADDRNOTAVAIL = 4, WASI_EAFNOSUPPORT = 5, WASI_EAGAIN = 6, WASI_EALREADY = 7,
    WASI_EBADF = 8, WASI_EBADMSG = 9, WASI_EBUSY = 10, WASI_ECANCELED = 11, WASI_ECHILD = 12,
    WASI_ECONNABORTED = 13, WASI_ECONNREFUSED = 14, WASI_ECONNRESET = 15, WASI_EDEADLK = 16,
    WASI_EDESTADDRREQ = 17, WASI_EDOM = 18, WASI_EDQUOT = 19, WASI_EEXIST = 20,
    WASI_EFAULT = 21, WASI_EFBIG = 22, WASI_EHOSTUNREACH = 23, WASI_EIDRM = 24,
    WASI_EILSEQ = 25, WASI_EINPROGRESS = 26, WASI_EINTR = 27, WASI_EINVAL = 28, WASI_EIO = 29,
    WASI_EISCONN = 30, WASI_EISDIR = 31, WASI_ELOOP = 32, WASI_EMFILE = 33, WASI_EMLINK = 34,
    WASI_EMSGSIZE = 35, WASI_EMULTIHOP = 36, WASI_ENAMETOOLONG = 37, WASI_ENETDOWN = 38,
    WASI_ENETRESET = 39, WASI_ENETUNREACH = 40, WASI_ENFILE = 41, WASI_ENOBUFS = 42,
    WASI_ENODEV = 43, WASI_ENOENT = 44, WASI_ENOEXEC = 45, WASI_ENOLCK = 46,
    WASI_ENOLINK = 47, WASI_ENOMEM = 48, WASI_ENOMSG = 49, WASI_ENOPROTOOPT = 50,
    WASI_ENOSPC = 51, WASI_ENOSYS = 52, WASI_ENOTCONN = 53, WASI_ENOTDIR = 54,
    WASI_ENOTEMPTY = 55, WASI_ENOTRECOVERABLE = 56, WASI_ENOTSOCK = 57, WASI_ENOTSUP = 58,
    WASI_ENOTTY = 59, WASI_ENXIO = 60, WASI_EOVERFLOW = 61, WASI_EOWNERDEAD = 62,
    WASI_EPERM = 63, WASI_EPIPE = 64, WASI_EPROTO = 65, WASI_EPROTONOSUPPORT = 66,
    WASI_EPROTOTYPE = 67, WASI_ERANGE = 68, WASI_EROFS = 69, WASI_ESPIPE = 70,
    WASI_ESRCH = 71, WASI_ESTALE = 72, WASI_ETIMEDOUT = 73, WASI_ETXTBSY = 74,
    WASI_EXDEV = 75, WASI_ENOTCAPABLE = 76,
    WASI_ERRNO_COUNT
} wasi_errno;

/* "ENOENT: no such file or directory"; every value has a text. */
const char *wasi_errno_message(wasi_errno e);

enum {
    WASI_FILETYPE_UNKNOWN = 0,
    WASI_FILETYPE_CHARACTER_DEVICE = 2,
    WASI_FILETYPE_DIRECTORY = 3,
    WASI_FILETYPE_REGULAR_FILE = 4,
    WASI_FILETYPE_SOCKET_STREAM = 6,
};

#define WASI_PATH_MAX 1024u  /* bytes of a resolved path below a preopen, without its NUL */
#define WASI_NAME_MAX 255u   /* bytes of one directory entry's name */
#define WASI_MAX_FDS 32u
#define WASI_MAX_PREOPENS 4u
#define WASI_MAX_ARGS 256u   /* arguments, and separately environment entries */

/* One entry of a directory listing, or a path's state. */
typedef struct wasi_file_stat {
    uint8_t type;  /* WASI_FILETYPE_* */
    uint64_t ino;
    uint64_t size;
} wasi_file_stat;

/* A file-system backend: one directory tree. Paths are resolved and relative to its root
 * ("" is the root itself; no '.', '..', empty components or leading '/'), NUL-terminated.
 * Every operation returns a WASI errno (the backend maps its own errors). */
typedef struct wasi_fs_ops {
    wasi_errno (*stat)(void *ctx, const char *path, wasi_file_stat *out);
    wasi_errno (*create)(void *ctx, const char *path);   /* an empty file; EEXIST if there */
    wasi_errno (*mkdir)(void *ctx, const char *path);
    wasi_errno (*read)(void *ctx, const char *path, uint64_t off, void *buf, size_t len,
                       size_t *got);
    wasi_errno (*write)(void *ctx, const char *path, uint64_t off, const void *buf,
                        size_t len);
    wasi_errno (*truncate)(void *ctx, const char *path, uint64_t size);
    wasi_errno (*rename)(void *ctx, const char *from, const char *to);
    wasi_errno (*unlink)(void *ctx, const char *path);
    wasi_errno (*rmdir)(void *ctx, const char *path);
    /* The entry after *cookie (0: the first), *cookie advanced past it; *end set, and
     * nothing else, after the last. name gets the NUL-terminated name. */
    wasi_errno (*list)(void *ctx, const char *path, uint64_t *cookie, char *name,
                       size_t name_cap, wasi_file_stat *st, int *end);
    wasi_errno (*sync)(void *ctx);
    /* The largest single read or write the backend accepts (0: unlimited). */
    size_t max_io;
} wasi_fs_ops;

/* Everything else an app may reach. A NULL operation makes its functions fail cleanly
 * (ENOSYS, or EBADF for a console stream that is absent). */
typedef struct wasi_host_ops {
    /* fd 1 (stdout) and 2 (stderr); the whole buffer is written or an errno returned. */
    wasi_errno (*console_write)(void *ctx, int fd, const void *buf, size_t len);
    /* fd 0: up to len bytes, *got 0 at the end of input. */
    wasi_errno (*console_read)(void *ctx, void *buf, size_t len, size_t *got);
    /* WASI clock ids 0 (realtime) and 1 (monotonic), in nanoseconds. */
    wasi_errno (*clock_now)(void *ctx, uint32_t id, uint64_t *ns);
    wasi_errno (*clock_res)(void *ctx, uint32_t id, uint64_t *ns);
    wasi_errno (*random)(void *ctx, void *buf, size_t len);
    wasi_errno (*sleep)(void *ctx, uint64_t ns);
    wasi_errno (*yield)(void *ctx);
    void *ctx;
} wasi_host_ops;

/* Sockets (docs/wasm.md, "Sockets"): a backend of TCP operations on its own socket
 * handles. Addresses are IPv4 in host order (10.0.2.2 is 0x0A000202). No operation waits:
 * one that cannot be done yet returns EAGAIN and lib/wasi calls wait() and asks again,
 * for as long as the app's descriptor is blocking and at most block_ns. A refusal by the
 * system's grants is ENOTCAPABLE. */
#define WASI_NET_READ 1u   /* data, the end of the stream, or an error to read; a listener: a connection */
#define WASI_NET_WRITE 2u  /* room to send, or the connection's end to report */
#define WASI_NET_HUP 4u    /* the peer has closed its direction, or the connection is gone */
#define WASI_NET_BLOCK_NS_DEFAULT 60000000000ull

typedef struct wasi_net_wait {
    uint32_t sock;
    uint32_t events;  /* WASI_NET_READ | WASI_NET_WRITE */
} wasi_net_wait;

typedef struct wasi_net_ops {
    /* Starts a connection to ip:port (port 1..65535); *sock at once, the handshake later. */
    wasi_errno (*connect)(void *ctx, uint32_t ip, uint16_t port, uint32_t *sock);
    /* ESUCCESS once established, EAGAIN while in progress, or the error that ended it
     * (ECONNREFUSED, ETIMEDOUT, ECONNRESET, ENETUNREACH, ...). */
    wasi_errno (*connected)(void *ctx, uint32_t sock);
    wasi_errno (*listen)(void *ctx, uint16_t port, uint32_t *sock);
    /* A completed connection of the listener as a new socket (EAGAIN: none yet). */
    wasi_errno (*accept)(void *ctx, uint32_t listener, uint32_t *sock);
    /* Queues up to len bytes, *sent of them (EAGAIN when none fits). */
    wasi_errno (*send)(void *ctx, uint32_t sock, const void *buf, size_t len, size_t *sent);
    /* Up to len received bytes (EAGAIN: none yet; *got 0: the end of the stream). */
    wasi_errno (*recv)(void *ctx, uint32_t sock, void *buf, size_t len, size_t *got);
    /* how: 1 receiving, 2 sending, 3 both. */
    wasi_errno (*shutdown)(void *ctx, uint32_t sock, uint32_t how);
    /* Frees the handle whatever happens (an orderly close where the connection allows). */
    wasi_errno (*close)(void *ctx, uint32_t sock);
    /* Which of WASI_NET_* hold now, and the bytes readable when known (0 otherwise). */
    wasi_errno (*ready)(void *ctx, uint32_t sock, uint32_t *events, uint64_t *nbytes);
    /* An IPv4 address of a host name (EAGAIN while the lookup runs; ENOENT no such name,
     * EADDRNOTAVAIL no address record, ETIMEDOUT no answer, EIO a failed server). */
    wasi_errno (*resolve)(void *ctx, const char *name, uint32_t *ip);
    /* Returns when one of the n sockets may have become ready as asked (n 0: anything
     * the backend waits for, such as a lookup), or after about ns nanoseconds. */
    wasi_errno (*wait)(void *ctx, const wasi_net_wait *w, uint32_t n, uint64_t ns);
    size_t max_io;     /* the largest send or recv the backend takes (0: unlimited) */
    uint64_t block_ns; /* the longest one blocking call waits (0: WASI_NET_BLOCK_NS_DEFAULT) */
    void *ctx;
} wasi_net_ops;

typedef struct wasi_preopen {
    const char *name;         /* what the app sees (fd_prestat_dir_name), e.g. "." or "/data" */
    const wasi_fs_ops *ops;
    void *ctx;
} wasi_preopen;

typedef struct wasi_config {
    const char *const *argv;  /* argv[0] is the program's name */
    uint32_t argc;
    const char *const *envp;  /* "NAME=value" */
    uint32_t envc;
    const wasi_preopen *preopens;  /* fds 3, 4, ... in this order */
    uint32_t npreopens;
    const wasi_host_ops *host;
} wasi_config;

/* One descriptor. Private to wasi.c. */
typedef struct wasi_fd {
    uint8_t kind;
    uint8_t preopen;
    uint16_t fdflags;
    uint64_t rights, inheriting;
    uint64_t offset;
    uint32_t sock;            /* a socket: the backend's handle */
    uint8_t sflags;           /* a socket: listener, shut down for reading, for writing */
    char path[WASI_PATH_MAX + 1];
} wasi_fd;

#define WASI_FN_COUNT 46u  /* the preview1 functions */
#define WASI_ANVAYA_FN_COUNT 3u /* the "anvaya" module's: sock_connect, sock_listen, resolve */

/* A host function's context: its descriptor in wasi.c's table. */
typedef struct wasi_binding {
    struct wasi_ctx *c;
    const void *fn;
} wasi_binding;

/* One app's WASI state, in the caller's memory; fields are private to wasi.c. */
typedef struct wasi_ctx {
    wasi_config cfg;
    wasi_preopen preopens[WASI_MAX_PREOPENS];
    wasi_fd fds[WASI_MAX_FDS];
    wasm_env *env;
    wasm_memory *memory;
    uint64_t started_ns;
    int exited;
    uint32_t exit_code;
    uint32_t calls;           /* WASI calls made, for the embedder's figures */
    wasi_binding bindings[WASI_FN_COUNT];
    wasm_func *funcs[WASI_FN_COUNT];
    const wasi_net_ops *net;
    int net_refused;          /* no backend because the app was not granted one */
    wasi_binding anv_bindings[WASI_ANVAYA_FN_COUNT];
    wasm_func *anv_funcs[WASI_ANVAYA_FN_COUNT];
    char scratch[WASI_PATH_MAX + 1], scratch2[WASI_PATH_MAX + 1];
} wasi_ctx;

/* Checks the configuration (counts within the limits, every string present, every
 * preopen with its operations) and sets c up: fds 0-2 the console, then the preopens.
 * Strings and tables the configuration points at must outlive c. */
wasi_errno wasi_init(wasi_ctx *c, const wasi_config *cfg, wasm_env *env);

/* Gives the app sockets over ops (after wasi_init, before the app runs): every operation
 * present. Without it, the socket functions return ENOSYS. ops must outlive c. */
wasi_errno wasi_net_attach(wasi_ctx *c, const wasi_net_ops *ops);
/* Says that the app asked for the network and was not granted it: without a backend the
 * anvaya socket functions then answer ENOTCAPABLE instead of ENOSYS. */
void wasi_net_refuse(wasi_ctx *c);

/* A wasm_resolve_fn (ctx: the wasi_ctx) that resolves every wasi_snapshot_preview1
 * function with its exact type (functions this library does not implement return
 * ENOSYS), the "anvaya" module's socket functions (docs/wasm.md), and nothing else. A
 * host function is made in c's environment per import. */
wasm_status wasi_resolve(void *ctx, const char *module, size_t module_len, const char *name,
                         size_t name_len, wasm_extern_kind kind, wasm_extern *out);

/* The i-th preview1 function's name (0 .. WASI_FN_COUNT-1), NULL past the last: for
 * tools and the fuzzer, which call them all. */
const char *wasi_fn_name(uint32_t i);

/* The same for the "anvaya" module's functions (0 .. WASI_ANVAYA_FN_COUNT-1). */
const char *wasi_anvaya_fn_name(uint32_t i);

/* "10.0.2.2" -> 0x0A000202: four decimal parts 0..255, no leading zeros, nothing else
 * (len bytes, no NUL needed). 0 on success, -1 otherwise. */
int wasi_ipv4_parse(const char *s, size_t len, uint32_t *ip);

/* What running an app ended in. */
typedef enum wasi_outcome {
    WASI_EXITED = 0,     /* proc_exit, or _start returned (exit status 0) */
    WASI_TRAPPED,        /* a trap: status says which (fuel, stack, memory, ...) */
    WASI_NOT_COMMAND,    /* no "_start" of type [] -> [] or no exported "memory" */
} wasi_outcome;

typedef struct wasi_result {
    wasi_outcome outcome;
    uint32_t exit_code;   /* WASI_EXITED */
    wasm_status status;   /* WASI_TRAPPED */
} wasi_result;

/* Runs an instantiated command module: binds its exported memory, calls _start. */
wasi_result wasi_run(wasi_ctx *c, wasm_instance *inst);

/* Binds the memory WASI calls use (wasi_run does this); for embedders that call other
 * exports. */
void wasi_bind_memory(wasi_ctx *c, wasm_memory *m);

#endif
