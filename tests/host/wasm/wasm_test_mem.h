/* The malloc-backed allocator and linear-memory callbacks every host program of lib/wasm
 * gives the interpreter (spec runner, limits test, fuzzers, benchmark driver); the guest
 * embedder supplies its own from a reserved region. */
#ifndef WASM_TEST_MEM_H
#define WASM_TEST_MEM_H

#include <stdlib.h>
#include <string.h>

#include "wasm.h"

static inline void *wasm_test_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    (void)ctx;
    (void)old_size;
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, new_size);
}

/* Linear memory grown in place or moved; the new bytes are zero, as the spec requires. */
static inline void *wasm_test_grow_bytes(void *base, size_t old_bytes, size_t new_bytes)
{
    unsigned char *p = realloc(base, new_bytes);
    if (!p)
        return NULL;
    memset(p + old_bytes, 0, new_bytes - old_bytes);
    return p;
}

static inline void *wasm_test_grow(void *ctx, void *base, size_t old_bytes, size_t new_bytes,
                                   size_t max_bytes)
{
    (void)ctx;
    (void)max_bytes;
    return wasm_test_grow_bytes(base, old_bytes, new_bytes);
}

static inline void wasm_test_release(void *ctx, void *base, size_t bytes)
{
    (void)ctx;
    (void)bytes;
    free(base);
}

static inline const wasm_allocator *wasm_test_allocator(void)
{
    static const wasm_allocator a = {wasm_test_realloc, NULL};
    return &a;
}

static inline const wasm_memory_ops *wasm_test_memory(void)
{
    static const wasm_memory_ops m = {wasm_test_grow, wasm_test_release, NULL};
    return &m;
}

#endif
