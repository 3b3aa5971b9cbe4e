/* Word-at-a-time memcpy, memmove and memset for every component (picolibc's rv64imac build
 * copies one byte per loop turn). One source: the SDK links it as the C names, the host
 * tests build it natively as anv_mem* and compare it with the host libc (tests/host/sdkmem). */
#include <stddef.h>
#include <stdint.h>

#include "anvaya/mem.h"

/* Words read and written through this type may alias any object (GCC's may_alias), so
 * the word loops are defined behaviour on buffers of any declared type. */
typedef uint64_t __attribute__((may_alias)) anv_word;

#define WORD 8u
#define WORD_MASK ((uintptr_t)WORD - 1u)

/* Forward copy, any alignment; also correct for overlapping buffers with dst < src: every
 * word is read before the store that could cover it (the store is below the read). */
static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
    /* Short copies: the set-up of the word loops costs more than it saves. */
    if (n < 2u * WORD) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
        return;
    }
    while (((uintptr_t)d & WORD_MASK) != 0u) {
        *d++ = *s++;
        n--;
    }
    size_t off = (size_t)((uintptr_t)s & WORD_MASK);
    if (off == 0u) {
        anv_word *dw = (anv_word *)(void *)d;
        const anv_word *sw = (const anv_word *)(const void *)s;
        size_t words = n / WORD;
        for (; words >= 4u; words -= 4u, dw += 4, sw += 4) {
            anv_word a = sw[0], b = sw[1], c = sw[2], e = sw[3];
            dw[0] = a;
            dw[1] = b;
            dw[2] = c;
            dw[3] = e;
        }
        for (; words > 0u; words--)
            *dw++ = *sw++;
        d = (unsigned char *)dw;
        s = (const unsigned char *)sw;
        n %= WORD;
    } else if (n >= 3u * WORD) {
        /* The source is misaligned against the destination: aligned words are read from
         * the source and shifted together (little-endian, as RISC-V is). One word of bytes
         * first, so that the first aligned read starts inside the source buffer; and the
         * loop stops while the next read still ends inside it. */
        for (unsigned i = 0; i < WORD; i++)
            d[i] = s[i];
        d += WORD;
        s += WORD;
        n -= WORD;
        const anv_word *sw = (const anv_word *)(const void *)(s - off);
        anv_word *dw = (anv_word *)(void *)d;
        const unsigned lo = (unsigned)(8u * off), hi = 64u - lo;
        anv_word cur = *sw;
        /* sw[k] for k < words lies wholly inside [sw, s + n): every read stays in bounds. */
        size_t words = (n + off) / WORD;
        for (size_t k = 1; k < words; k++) {
            anv_word next = sw[k];
            *dw++ = (cur >> lo) | (next << hi);
            cur = next;
        }
        size_t done = (words - 1u) * WORD;
        d += done;
        s += done;
        n -= done;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
}

/* Backward copy for overlapping buffers with dst > src: from the end down. */
static void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
    d += n;
    s += n;
    if (n >= 2u * WORD && (((uintptr_t)d ^ (uintptr_t)s) & WORD_MASK) == 0u) {
        while (((uintptr_t)d & WORD_MASK) != 0u) {
            *--d = *--s;
            n--;
        }
        anv_word *dw = (anv_word *)(void *)d;
        const anv_word *sw = (const anv_word *)(const void *)s;
        for (; n >= WORD; n -= WORD)
            *--dw = *--sw;
        d = (unsigned char *)dw;
        s = (const unsigned char *)sw;
    }
    while (n-- > 0u)
        *--d = *--s;
}

void *anv_memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    copy_forward(dst, src, n);
    return dst;
}

void *anv_memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d == s || n == 0u)
        return dst;
    /* Compared as integers: the two may point into different objects. */
    if ((uintptr_t)d < (uintptr_t)s || (uintptr_t)d - (uintptr_t)s >= n)
        copy_forward(d, s, n);
    else
        copy_backward(d, s, n);
    return dst;
}

void *anv_memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    const unsigned char b = (unsigned char)c;
    if (n >= 2u * WORD) {
        while (((uintptr_t)d & WORD_MASK) != 0u) {
            *d++ = b;
            n--;
        }
        const anv_word w = (anv_word)b * 0x0101010101010101ull;
        anv_word *dw = (anv_word *)(void *)d;
        for (; n >= 4u * WORD; n -= 4u * WORD, dw += 4) {
            dw[0] = w;
            dw[1] = w;
            dw[2] = w;
            dw[3] = w;
        }
        for (; n >= WORD; n -= WORD)
            *dw++ = w;
        d = (unsigned char *)dw;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = b;
    return dst;
}

#ifdef ANV_SDK_MEM_AS_LIBC
/* In a component these are the C library's names: the SDK's archive comes first in the
 * link and the SDK asks the linker for them (-u), so picolibc's byte loops are never used. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n)
    __attribute__((alias("anv_memcpy")));
void *memmove(void *dst, const void *src, size_t n) __attribute__((alias("anv_memmove")));
void *memset(void *dst, int c, size_t n) __attribute__((alias("anv_memset")));
#endif
