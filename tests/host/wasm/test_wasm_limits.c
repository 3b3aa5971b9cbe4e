/* lib/wasm embedder interface and limits: fuel, call depth, value stack, memory and table
 * caps, bounds traps, host functions, and that a trap leaves the environment and every
 * other instance usable. The module is limits.wat, compiled by wabt at build time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wasm.h"
#include "wasm_test_mem.h"

static const char *module_path;
static uint8_t *module_bytes;
static size_t module_len;

typedef struct grow_log {
    unsigned calls;
    size_t last_new, last_max;
} grow_log;

static void *t_grow(void *ctx, void *base, size_t old_bytes, size_t new_bytes, size_t max_bytes)
{
    grow_log *log = ctx;
    log->calls++;
    log->last_new = new_bytes;
    log->last_max = max_bytes;
    return wasm_test_grow_bytes(base, old_bytes, new_bytes);
}

static wasm_status host_add(void *ctx, wasm_env *env, const wasm_value *args, wasm_value *res)
{
    (void)ctx;
    (void)env;
    res[0].i32 = args[0].i32 + args[1].i32;
    return WASM_OK;
}

static wasm_status host_fail(void *ctx, wasm_env *env, const wasm_value *args, wasm_value *res)
{
    (void)ctx;
    (void)env;
    (void)args;
    (void)res;
    return WASM_TRAP_HOST;
}

typedef struct fixture {
    wasm_env *env;
    wasm_module *mod;
    wasm_func *add, *fail, *reenter;
    wasm_instance *inst;
    grow_log log;
    wasm_memory_ops ops;
} fixture;

/* Calls back into the instance: "sum" of its argument, from inside a wasm call. */
static wasm_status host_reenter(void *ctx, wasm_env *env, const wasm_value *args, wasm_value *res)
{
    struct fixture *f = ctx;
    wasm_extern x;
    wasm_status st = wasm_instance_export(f->inst, "sum", 3, &x);
    if (st != WASM_OK)
        return st;
    return wasm_call(env, x.u.func, args, 1, res, 1);
}

static wasm_status resolve(void *ctx, const char *module, size_t module_len_, const char *name,
                           size_t name_len, wasm_extern_kind kind, wasm_extern *out)
{
    fixture *f = ctx;
    if (module_len_ != 4 || memcmp(module, "host", 4) != 0 || kind != WASM_EXTERN_FUNC)
        return WASM_ERR_UNKNOWN_IMPORT;
    out->kind = WASM_EXTERN_FUNC;
    if (name_len == 3 && memcmp(name, "add", 3) == 0)
        out->u.func = f->add;
    else if (name_len == 4 && memcmp(name, "fail", 4) == 0)
        out->u.func = f->fail;
    else if (name_len == 7 && memcmp(name, "reenter", 7) == 0)
        out->u.func = f->reenter;
    else
        return WASM_ERR_UNKNOWN_IMPORT;
    return WASM_OK;
}

static void setup_env(fixture *f, const wasm_limits *lim)
{
    memset(f, 0, sizeof(*f));
    f->ops.grow = t_grow;
    f->ops.release = wasm_test_release;
    f->ops.ctx = &f->log;
    assert_int_equal(wasm_module_load(wasm_test_allocator(), NULL, module_bytes, module_len, &f->mod, NULL),
                     WASM_OK);
    assert_int_equal(wasm_env_new(wasm_test_allocator(), &f->ops, lim, &f->env), WASM_OK);
    static const uint8_t ii[] = {WASM_I32, WASM_I32}, i[] = {WASM_I32};
    assert_int_equal(wasm_host_func_new(f->env, ii, 2, i, 1, host_add, NULL, &f->add), WASM_OK);
    assert_int_equal(wasm_host_func_new(f->env, NULL, 0, NULL, 0, host_fail, NULL, &f->fail),
                     WASM_OK);
    assert_int_equal(wasm_host_func_new(f->env, i, 1, i, 1, host_reenter, f, &f->reenter),
                     WASM_OK);
}

static void teardown_env(fixture *f)
{
    wasm_env_free(f->env);
    wasm_module_free(f->mod);
}

static wasm_instance *instantiate(fixture *f)
{
    wasm_instance *inst = NULL;
    assert_int_equal(wasm_instantiate(f->env, f->mod, resolve, f, &inst), WASM_OK);
    assert_non_null(inst);
    return inst;
}

static wasm_func *export_func(wasm_instance *inst, const char *name)
{
    wasm_extern x;
    assert_int_equal(wasm_instance_export(inst, name, strlen(name), &x), WASM_OK);
    assert_int_equal(x.kind, WASM_EXTERN_FUNC);
    return x.u.func;
}

static const wasm_limits default_limits = {16, 1000, 1u << 16, 1000, 1u << 20};

static void test_fuel_stops_an_infinite_loop(void **state)
{
    (void)state;
    fixture f;
    setup_env(&f, &default_limits);
    wasm_instance *a = instantiate(&f), *b = instantiate(&f);
    wasm_value r;
    wasm_env_set_fuel(&*f.env, 1000);
    assert_int_equal(wasm_call(f.env, export_func(a, "spin"), NULL, 0, NULL, 0), WASM_TRAP_FUEL);
    assert_int_equal(wasm_env_fuel(f.env), 0);
    /* one unit for the call, one per taken back-edge: the first iteration and 999
     * repeats ran */
    assert_int_equal(wasm_call(f.env, export_func(a, "count"), NULL, 0, &r, 1), WASM_TRAP_FUEL);
    wasm_env_set_fuel(f.env, 10);
    assert_int_equal(wasm_call(f.env, export_func(a, "count"), NULL, 0, &r, 1), WASM_OK);
    assert_int_equal(r.i32, 1000);
    assert_int_equal(wasm_env_fuel(f.env), 9);
    /* the other instance is untouched and runs normally */
    assert_int_equal(wasm_call(f.env, export_func(b, "count"), NULL, 0, &r, 1), WASM_OK);
    assert_int_equal(r.i32, 0);
    wasm_value n = {.i32 = 100};
    wasm_env_set_fuel(f.env, INT64_MAX);
    assert_int_equal(wasm_call(f.env, export_func(b, "sum"), &n, 1, &r, 1), WASM_OK);
    assert_int_equal(r.i32, 5050);
    teardown_env(&f);
}

static void test_call_depth_and_value_stack(void **state)
{
    (void)state;
    fixture f;
    wasm_limits lim = default_limits;
    lim.call_depth = 50;
    setup_env(&f, &lim);
    wasm_instance *a = instantiate(&f);
    wasm_value r;
    assert_int_equal(wasm_call(f.env, export_func(a, "rec"), NULL, 0, &r, 1), WASM_TRAP_CALL_DEPTH);
    teardown_env(&f);

    lim = default_limits;
    lim.call_depth = 1u << 20;
    lim.value_stack_cells = 256;
    setup_env(&f, &lim);
    a = instantiate(&f);
    assert_int_equal(wasm_call(f.env, export_func(a, "rec"), NULL, 0, &r, 1), WASM_TRAP_VALUE_STACK);
    /* after the trap the stacks are free again */
    wasm_value n = {.i32 = 10};
    assert_int_equal(wasm_call(f.env, export_func(a, "sum"), &n, 1, &r, 1), WASM_OK);
    assert_int_equal(r.i32, 55);
    teardown_env(&f);
}

static void test_memory_caps(void **state)
{
    (void)state;
    fixture f;
    wasm_value r;
    /* the module's own maximum (3 pages) binds first */
    setup_env(&f, &default_limits);
    wasm_instance *a = instantiate(&f);
    assert_int_equal(f.log.calls, 1);
    assert_int_equal(f.log.last_new, 65536);
    assert_int_equal(f.log.last_max, 3 * 65536);
    assert_int_equal(wasm_call(f.env, export_func(a, "grow_all"), NULL, 0, &r, 1), WASM_OK);
    assert_int_equal(r.i32, 3);
    assert_int_equal(f.log.last_new, 3 * 65536);
    teardown_env(&f);
    /* then the embedder's cap */
    wasm_limits lim = default_limits;
    lim.max_memory_pages = 2;
    setup_env(&f, &lim);
    a = instantiate(&f);
    assert_int_equal(f.log.last_max, 2 * 65536);
    assert_int_equal(wasm_call(f.env, export_func(a, "grow_all"), NULL, 0, &r, 1), WASM_OK);
    assert_int_equal(r.i32, 2);
    teardown_env(&f);
    /* a minimum above the cap refuses to instantiate */
    lim.max_memory_pages = 0;
    setup_env(&f, &lim);
    wasm_instance *none = NULL;
    assert_int_equal(wasm_instantiate(f.env, f.mod, resolve, &f, &none), WASM_ERR_LIMIT_MEMORY);
    assert_null(none);
    teardown_env(&f);
    /* so does a table larger than the cap */
    lim = default_limits;
    lim.max_table_size = 3;
    setup_env(&f, &lim);
    assert_int_equal(wasm_instantiate(f.env, f.mod, resolve, &f, &none), WASM_ERR_LIMIT_TABLE);
    teardown_env(&f);
}

static void test_traps_and_host_functions(void **state)
{
    (void)state;
    fixture f;
    setup_env(&f, &default_limits);
    wasm_instance *a = instantiate(&f);
    wasm_value args[2], r;
    args[0].i32 = 65532;
    args[1].i32 = 0xDEADBEEF;
    assert_int_equal(wasm_call(f.env, export_func(a, "store"), args, 2, NULL, 0), WASM_OK);
    assert_int_equal(wasm_call(f.env, export_func(a, "load"), args, 1, &r, 1), WASM_OK);
    assert_int_equal(r.i32, 0xDEADBEEF);
    args[0].i32 = 65533;
    assert_int_equal(wasm_call(f.env, export_func(a, "store"), args, 2, NULL, 0),
                     WASM_TRAP_MEMORY_OOB);
    args[0].i32 = 0xFFFFFFFF;
    assert_int_equal(wasm_call(f.env, export_func(a, "load"), args, 1, &r, 1), WASM_TRAP_MEMORY_OOB);
    args[0].i32 = 2;
    assert_int_equal(wasm_call(f.env, export_func(a, "indirect"), args, 1, NULL, 0),
                     WASM_TRAP_UNINITIALIZED_ELEMENT);
    args[0].i32 = 4;
    assert_int_equal(wasm_call(f.env, export_func(a, "indirect"), args, 1, NULL, 0),
                     WASM_TRAP_UNDEFINED_ELEMENT);
    args[0].i32 = 0; /* $rec has a result: wrong signature */
    assert_int_equal(wasm_call(f.env, export_func(a, "indirect"), args, 1, NULL, 0),
                     WASM_TRAP_INDIRECT_TYPE);
    args[0].i32 = 40;
    args[1].i32 = 2;
    assert_int_equal(wasm_call(f.env, export_func(a, "call_add"), args, 2, &r, 1), WASM_OK);
    assert_int_equal(r.i32, 42);
    assert_int_equal(wasm_call(f.env, export_func(a, "call_fail"), NULL, 0, NULL, 0), WASM_TRAP_HOST);
    /* a host function calling back into wasm: 1000 + sum(1..10) */
    f.inst = a;
    args[0].i32 = 10;
    assert_int_equal(wasm_call(f.env, export_func(a, "call_reenter"), args, 1, &r, 1), WASM_OK);
    assert_int_equal(r.i32, 1055);
    /* and a trap inside the nested call unwinds both */
    wasm_env_set_fuel(f.env, 5);
    args[0].i32 = 100;
    assert_int_equal(wasm_call(f.env, export_func(a, "call_reenter"), args, 1, &r, 1), WASM_TRAP_FUEL);
    wasm_env_set_fuel(f.env, INT64_MAX);
    args[0].i32 = 4;
    assert_int_equal(wasm_call(f.env, export_func(a, "call_reenter"), args, 1, &r, 1), WASM_OK);
    assert_int_equal(r.i32, 1010);
    /* wrong argument counts are refused before anything runs */
    assert_int_equal(wasm_call(f.env, export_func(a, "call_add"), args, 1, &r, 1), WASM_ERR_ARGUMENT);
    assert_string_equal(wasm_status_message(WASM_TRAP_MEMORY_OOB), "out of bounds memory access");
    teardown_env(&f);
}

static void test_unlinkable_and_bad_bytes(void **state)
{
    (void)state;
    fixture f;
    setup_env(&f, &default_limits);
    /* a host function of the wrong type */
    static const uint8_t i[] = {WASM_I32};
    assert_int_equal(wasm_host_func_new(f.env, i, 1, i, 1, host_add, NULL, &f.add), WASM_OK);
    wasm_instance *none = NULL;
    assert_int_equal(wasm_instantiate(f.env, f.mod, resolve, &f, &none), WASM_ERR_IMPORT_TYPE);
    teardown_env(&f);
    /* every truncation of the module is refused as malformed, except those that end on
     * a section boundary before the function section (a smaller valid module) */
    unsigned valid = 0;
    for (size_t n = 0; n < module_len; n++) {
        wasm_module *m = NULL;
        wasm_status st = wasm_module_load(wasm_test_allocator(), NULL, module_bytes, n, &m, NULL);
        if (st == WASM_OK) {
            assert_true(n >= 8);
            valid++;
            wasm_module_free(m);
            continue;
        }
        assert_int_equal(wasm_status_classify(st), WASM_CLASS_MALFORMED);
        assert_null(m);
    }
    assert_int_equal(valid, 3); /* header only; + types; + imports */
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s limits.wasm\n", argv[0]);
        return 2;
    }
    module_path = argv[1];
    FILE *fp = fopen(module_path, "rb");
    if (!fp) {
        perror(module_path);
        return 2;
    }
    module_bytes = malloc(1 << 16);
    module_len = module_bytes ? fread(module_bytes, 1, 1 << 16, fp) : 0;
    fclose(fp);
    if (!module_len)
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuel_stops_an_infinite_loop),
        cmocka_unit_test(test_call_depth_and_value_stack),
        cmocka_unit_test(test_memory_caps),
        cmocka_unit_test(test_traps_and_host_functions),
        cmocka_unit_test(test_unlinkable_and_bad_bytes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(module_bytes);
    return rc;
}
