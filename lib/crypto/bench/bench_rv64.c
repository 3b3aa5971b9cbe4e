/* rv64 driver of the lib/crypto benchmark: a static Linux-user program for qemu-riscv64, no
 * libc. The mode and count are compiled in per binary (BENCH_MODE, BENCH_N) so that the run
 * needs no argument parsing; bench.py counts the instructions QEMU executes for different
 * counts and takes the difference. */
#include <stddef.h>
#include <stdint.h>

#include "bench_main.h"

/* The compiler may turn struct copies and clears into these calls. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void _start(void);

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d < s) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        for (size_t i = n; i-- > 0;)
            d[i] = s[i];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = (uint8_t)c;
    return dst;
}

static void sys_exit(long code)
{
    register long a0 __asm__("a0") = code;
    register long a7 __asm__("a7") = 93; /* exit */
    __asm__ volatile("ecall" : : "r"(a0), "r"(a7) : "memory");
    for (;;) {
    }
}

void _start(void)
{
    sys_exit(bench_run(BENCH_MODE, BENCH_N));
}
