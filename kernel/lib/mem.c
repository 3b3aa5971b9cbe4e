/* The four memory primitives the compiler may emit calls to in freestanding code. */
#include "mem.h"

#include <stdint.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((((uintptr_t)d | (uintptr_t)s | n) & 7) == 0) {
        for (size_t i = 0; i < n; i += 8)
            *(uint64_t *)(void *)(d + i) = *(const uint64_t *)(const void *)(s + i);
        return dst;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        for (size_t i = n; i > 0; i--)
            d[i - 1] = s[i - 1];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    if ((((uintptr_t)d | n) & 7) == 0) {
        uint64_t v = (unsigned char)c;
        v |= v << 8;
        v |= v << 16;
        v |= v << 32;
        for (size_t i = 0; i < n; i += 8)
            *(uint64_t *)(void *)(d + i) = v;
        return dst;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}
