/* Small helpers the file-store test's clients share: paths as the IDL's bytes<128>. */
#ifndef FSTEST_UTIL_H
#define FSTEST_UTIL_H

#include <string.h>

#define FS_PATH(var, text)                                                                 \
    struct anv_bytes_128 var = {0};                                                        \
    do {                                                                                   \
        size_t n_ = strlen(text);                                                          \
        memcpy(var.data, text, n_);                                                        \
        var.len = (uint32_t)n_;                                                            \
    } while (0)

/* Append a listed name and a space to dst (of cap bytes), cutting what does not fit. */
static inline void fstest_append(char *dst, size_t cap, const uint8_t *name, uint32_t len)
{
    size_t at = strlen(dst);
    for (uint32_t i = 0; i < len && at + 2 < cap; i++)
        dst[at++] = (char)name[i];
    if (at + 1 < cap)
        dst[at++] = ' ';
    dst[at] = '\0';
}

static inline uint8_t fstest_byte(uint32_t i, uint8_t salt)
{
    return (uint8_t)((i * 31u) ^ (i >> 8) ^ salt);
}

#endif
