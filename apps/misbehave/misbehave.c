/* misbehave: a WASI command that does one wrong thing, chosen by its argument, so a
 * runtime's limits can be seen to end it: `loop` never stops (fuel), `oob` stores outside
 * its linear memory (a trap), `recurse` recurses without end (call stack exhaustion),
 * `net [IP PORT]` connects where its runner's grants do not allow and `entropy` asks for
 * random bytes (each an errno, no trap; 10.0.2.2 8080 unless an address and port follow).
 * Several modes run in order (`misbehave net entropy loop`); the first that ends the app
 * ends it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

__attribute__((import_module("anvaya"), import_name("resolve")))
int32_t anvaya_resolve(const char *name, uint32_t len, uint32_t *ip);
__attribute__((import_module("anvaya"), import_name("sock_connect")))
int32_t anvaya_sock_connect(uint32_t ip, uint32_t port, uint32_t fdflags, uint32_t *fd);

/* Exit 0 when the connection was refused as not granted (ENOTCAPABLE), 1 otherwise. */
static int net_denied(const char *addr, const char *port_text)
{
    uint32_t ip = 0, fd = 0;
    int32_t e = anvaya_resolve(addr, (uint32_t)strlen(addr), &ip);
    if (e != 0) {
        printf("misbehave: resolve %s: errno %d (%s)\n", addr, (int)e, strerror(e));
        return 1;
    }
    unsigned long port = strtoul(port_text, NULL, 10);
    e = anvaya_sock_connect(ip, (uint32_t)port, 0, &fd);
    if (e == 0) {
        printf("misbehave: connected to %s:%lu (should not be)\n", addr, port);
        return 1;
    }
    printf("misbehave: connect %s:%lu: errno %d (%s)\n", addr, port, (int)e, strerror(e));
    return e == ENOTCAPABLE ? 0 : 1;
}

static volatile uint32_t sink;

/* No local lives in linear memory, so it is the runtime's call stack that runs out (not
 * the C stack in linear memory, which would wrap into an out-of-bounds access first). */
static uint32_t down(uint32_t n)
{
    if (n == UINT32_MAX) /* never: 4 billion frames are far past any stack */
        return sink;
    return down(n + 1) * 3u + (n ^ sink);
}

/* The raw call, not arc4random: wasi-libc aborts the app where random_get fails. */
static void entropy_asked(void)
{
    uint8_t bytes[16];
    __wasi_errno_t e = __wasi_random_get(bytes, sizeof bytes);
    printf("misbehave: random_get -> %u%s\n", (unsigned)e,
           e == __WASI_ERRNO_NOTCAPABLE ? " (ENOTCAPABLE: not granted)" : "");
}

static void usage(void)
{
    fprintf(stderr, "usage: misbehave (loop|oob|recurse|net [IP PORT]|entropy)...\n");
}

int main(int argc, char **argv)
{
    int status = 0;
    if (argc < 2) {
        usage();
        return 64;
    }
    for (int i = 1; i < argc; i++) {
        const char *mode = argv[i];
        printf("misbehave: %s\n", mode);
        fflush(stdout);
        if (strcmp(mode, "loop") == 0) {
            for (;;)
                sink++;
        } else if (strcmp(mode, "oob") == 0) {
            /* Far past any memory a wasm32 module can have. */
            volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)0xFFFFFFF0u;
            *p = 1;
        } else if (strcmp(mode, "recurse") == 0) {
            sink = down(0);
        } else if (strcmp(mode, "net") == 0) {
            const char *addr = "10.0.2.2", *port = "8080";
            if (i + 2 < argc && strchr(argv[i + 1], '.') != NULL) {
                addr = argv[i + 1];
                port = argv[i + 2];
                i += 2;
            }
            status |= net_denied(addr, port);
            continue;
        } else if (strcmp(mode, "entropy") == 0) {
            entropy_asked();
            continue;
        } else {
            usage();
            return 64;
        }
        printf("misbehave: still running (should not be)\n");
    }
    fflush(stdout);
    return status;
}
