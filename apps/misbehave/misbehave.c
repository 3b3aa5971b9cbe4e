/* misbehave: a WASI command that does one wrong thing, chosen by its argument, so a
 * runtime's limits can be seen to end it: `loop` never stops (fuel), `oob` stores outside
 * its linear memory (a trap), `recurse` recurses without end (call stack exhaustion),
 * `entropy` asks for random bytes (a runner not granted entropy answers ENOTCAPABLE). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static volatile uint32_t sink;

/* No local lives in linear memory, so it is the runtime's call stack that runs out (not
 * the C stack in linear memory, which would wrap into an out-of-bounds access first). */
static uint32_t down(uint32_t n)
{
    if (n == UINT32_MAX) /* never: 4 billion frames are far past any stack */
        return sink;
    return down(n + 1) * 3u + (n ^ sink);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
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
    } else if (strcmp(mode, "entropy") == 0) {
        /* The raw call, not arc4random: wasi-libc aborts the app where random_get fails. */
        uint8_t bytes[16];
        __wasi_errno_t e = __wasi_random_get(bytes, sizeof bytes);
        printf("misbehave: random_get -> %u%s\n", (unsigned)e,
               e == __WASI_ERRNO_NOTCAPABLE ? " (ENOTCAPABLE: not granted)" : "");
        return 0;
    } else {
        fprintf(stderr, "usage: misbehave loop|oob|recurse|entropy\n");
        return 64;
    }
    printf("misbehave: still running (should not be)\n");
    return 0;
}
