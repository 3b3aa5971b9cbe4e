/* The memory primitives of kernel/lib/mem.c (the C library's names, which the compiler
 * also emits calls to); host builds get the C library's own. */
#ifndef ANVAYA_LIB_MEM_H
#define ANVAYA_LIB_MEM_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
