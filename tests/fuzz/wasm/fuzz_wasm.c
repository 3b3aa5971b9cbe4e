/* libFuzzer harness for lib/wasm: decode and validate any bytes; with WASM_FUZZ_EXEC, also
 * instantiate a valid module (every import satisfied by a host object of the right type)
 * and call each exported function with zero arguments under a fuel and memory budget. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_internal.h"
#include "../../host/wasm/wasm_test_mem.h"

#define CHECK(cond, what)                                                                    \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", what, __FILE__, __LINE__); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The host's memory callbacks, with the interpreter's promise about bounds checked. */
static void *fz_grow(void *ctx, void *base, size_t old_bytes, size_t new_bytes, size_t max_bytes)
{
    (void)ctx;
    CHECK(new_bytes > old_bytes && new_bytes <= max_bytes, "grow outside its bounds");
    return wasm_test_grow_bytes(base, old_bytes, new_bytes);
}

static const wasm_memory_ops fz_mem = {fz_grow, wasm_test_release, NULL};

#ifdef WASM_FUZZ_EXEC
static wasm_status host_fn(void *ctx, wasm_env *env, const wasm_value *args, wasm_value *results)
{
    (void)env;
    (void)args;
    const wasm_functype *ft = ctx;
    if (ft->nresults)
        results[0].i64 = 0x0102030405060708ull;
    return WASM_OK;
}

typedef struct fz_resolve_ctx {
    const wasm_module *m;
    wasm_env *env;
    uint32_t next;
} fz_resolve_ctx;

/* Imports are asked for in order, so the resolver answers from the module's own list. */
static wasm_status fz_resolve(void *ctx, const char *module, size_t module_len,
                              const char *name, size_t name_len, wasm_extern_kind kind,
                              wasm_extern *out)
{
    fz_resolve_ctx *c = ctx;
    (void)module;
    (void)module_len;
    (void)name;
    (void)name_len;
    CHECK(c->next < c->m->nimports, "resolver asked for more imports than exist");
    const wasm_import *im = &c->m->imports[c->next++];
    CHECK((uint8_t)kind == im->kind, "resolver asked for the wrong kind");
    out->kind = kind;
    wasm_value zero;
    zero.i64 = 0;
    switch (kind) {
    case WASM_EXTERN_FUNC: {
        const wasm_functype *ft = &c->m->types[im->index];
        return wasm_host_func_new(c->env, ft->params, ft->nparams, &ft->result, ft->nresults,
                                  host_fn, (void *)(uintptr_t)ft, &out->u.func);
    }
    case WASM_EXTERN_TABLE:
        return wasm_host_table_new(c->env, im->limits.min, im->limits.max, im->limits.has_max,
                                   &out->u.table);
    case WASM_EXTERN_MEMORY:
        return wasm_host_memory_new(c->env, im->limits.min, im->limits.max,
                                    im->limits.has_max, &out->u.memory);
    case WASM_EXTERN_GLOBAL:
        return wasm_host_global_new(c->env, im->gtype, im->gmut, zero, &out->u.global);
    }
    return WASM_ERR_UNKNOWN_IMPORT;
}

static void exec_module(const wasm_module *m)
{
    wasm_env *env;
    wasm_limits lim = {64, 4096, 1u << 16, 500, 1u << 20};
    CHECK(wasm_env_new(wasm_test_allocator(), &fz_mem, &lim, &env) == WASM_OK, "env");
    fz_resolve_ctx rc = {m, env, 0};
    wasm_env_set_fuel(env, 20000);
    wasm_instance *inst = NULL;
    wasm_status st = wasm_instantiate(env, m, fz_resolve, &rc, &inst);
    wasm_status_class cls = wasm_status_classify(st);
    CHECK(cls == WASM_CLASS_OK || cls == WASM_CLASS_LINK || cls == WASM_CLASS_TRAP ||
              cls == WASM_CLASS_RESOURCE,
          "instantiation status class");
    CHECK((st == WASM_OK) == (inst != NULL), "instance iff ok");
    CHECK(env->sp == env->stack && env->depth == 0, "stacks unwound after instantiation");
    for (uint32_t i = 0; inst && i < m->nexports; i++) {
        if (m->exports[i].kind != WASM_EXTERN_FUNC)
            continue;
        wasm_func *f = inst->funcs[m->exports[i].index];
        wasm_value args[1100], res[1];
        memset(args, 0, sizeof(args));
        if (f->type->nparams > 1100)
            continue;
        wasm_env_set_fuel(env, 20000);
        st = wasm_call(env, f, args, f->type->nparams, res, f->type->nresults);
        cls = wasm_status_classify(st);
        CHECK(cls == WASM_CLASS_OK || cls == WASM_CLASS_TRAP, "call status class");
        CHECK(env->sp == env->stack && env->depth == 0, "stacks unwound after a call");
    }
    wasm_env_free(env);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wasm_module *m = NULL;
    wasm_diag diag = {0};
    (void)fz_mem;
    wasm_status st = wasm_module_load(wasm_test_allocator(), NULL, data, size, &m, &diag);
    const char *msg = wasm_status_message(st);
    CHECK(msg && msg[0], "status without a message");
    if (st != WASM_OK) {
        wasm_status_class cls = wasm_status_classify(st);
        CHECK(cls == WASM_CLASS_MALFORMED || cls == WASM_CLASS_INVALID ||
                  cls == WASM_CLASS_RESOURCE,
              "load failure class");
        CHECK(m == NULL, "module returned on failure");
        CHECK(diag.offset <= size, "diagnostic offset outside the input");
        return 0;
    }
    CHECK(m != NULL, "no module on success");
#ifdef WASM_FUZZ_EXEC
    exec_module(m);
#endif
    wasm_module_free(m);
    return 0;
}
