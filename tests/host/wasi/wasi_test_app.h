/* What the WASI host tests share to drive a module's exports (test_wasi_api.c,
 * test_wasi_net.c): reading the module, calling an export with integer arguments, and
 * little-endian words in its linear memory. Include after <cmocka.h>. */
#ifndef WASI_TEST_APP_H
#define WASI_TEST_APP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm.h"

/* The whole file at `path`, at most `max` bytes of it (the test modules are small). */
static inline uint8_t *wasi_test_slurp(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *b = malloc(max);
    assert_non_null(b);
    *len = fread(b, 1, max, f);
    assert_true(*len < max);
    fclose(f);
    return b;
}

/* Calls export `name` with integer arguments (i32 or i64 as its type says, passed as
 * uint64_t); returns its one i32 result, the WASI errno. */
static inline uint32_t wasi_test_call(wasm_env *env, wasm_instance *inst, const char *name, ...)
{
    wasm_extern e;
    assert_int_equal(wasm_instance_export(inst, name, strlen(name), &e), WASM_OK);
    const uint8_t *params, *results;
    uint32_t np, nr;
    wasm_func_type(e.u.func, &params, &np, &results, &nr);
    assert_true(np <= 16);
    wasm_value args[16], res[1] = {{0}};
    va_list ap;
    va_start(ap, name);
    for (uint32_t i = 0; i < np; i++) {
        uint64_t v = va_arg(ap, uint64_t);
        if (params[i] == WASM_I64)
            args[i].i64 = v;
        else
            args[i].i32 = (uint32_t)v;
    }
    va_end(ap);
    assert_int_equal(wasm_call(env, e.u.func, args, np, res, nr), WASM_OK);
    return res[0].i32;
}

static inline void wasi_test_put32(uint8_t *mem, uint32_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        mem[at + i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t wasi_test_get32(const uint8_t *mem, uint32_t at)
{
    return (uint32_t)mem[at] | (uint32_t)mem[at + 1] << 8 | (uint32_t)mem[at + 2] << 16 |
           (uint32_t)mem[at + 3] << 24;
}

static inline uint64_t wasi_test_get64(const uint8_t *mem, uint32_t at)
{
    return (uint64_t)wasi_test_get32(mem, at) | (uint64_t)wasi_test_get32(mem, at + 4) << 32;
}

/* Every argument of an export call is passed as uint64_t. */
#define U(x) ((uint64_t)(x))

#endif
