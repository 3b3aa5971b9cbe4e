/* The SDK's word-at-a-time memory copies (components/sdk/mem.c): in a component they are
 * also memcpy, memmove and memset; on the host they exist only under these names. */
#ifndef ANVAYA_MEM_H
#define ANVAYA_MEM_H

#include <stddef.h>

void *anv_memcpy(void *restrict dst, const void *restrict src, size_t n);
void *anv_memmove(void *dst, const void *src, size_t n);
void *anv_memset(void *dst, int c, size_t n);

#endif
