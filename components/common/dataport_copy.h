/* Copies between a dataport (memory another process maps too) and ordinary memory, or
 * between two dataports: volatile accesses, so the compiler neither drops nor merges
 * them, 64-bit words four at a time where both ends are 8-byte aligned, bytes otherwise. */
#ifndef ANVAYA_DATAPORT_COPY_H
#define ANVAYA_DATAPORT_COPY_H

#include <stddef.h>
#include <stdint.h>

/* Byte copies cost about four instructions a byte on rv64; the word loop about a third of
 * one, which is what moves bulk data through the storage stack (docs/benchmarks.md). */
static inline void dataport_copy(volatile void *dst, const volatile void *src, size_t n)
{
    volatile uint8_t *d = (volatile uint8_t *)dst;
    const volatile uint8_t *s = (const volatile uint8_t *)src;
    size_t i = 0;
    if ((((uintptr_t)d | (uintptr_t)s) & 7u) == 0) {
        volatile uint64_t *dw = (volatile uint64_t *)dst;
        const volatile uint64_t *sw = (const volatile uint64_t *)src;
        size_t words = n / 8u, w = 0;
        for (; w + 4u <= words; w += 4u) {
            uint64_t a = sw[w], b = sw[w + 1u], c = sw[w + 2u], e = sw[w + 3u];
            dw[w] = a;
            dw[w + 1u] = b;
            dw[w + 2u] = c;
            dw[w + 3u] = e;
        }
        for (; w < words; w++)
            dw[w] = sw[w];
        i = words * 8u;
    }
    for (; i < n; i++)
        d[i] = s[i];
}

#endif
