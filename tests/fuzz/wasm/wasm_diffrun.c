/* Differential-fuzzing runner for lib/wasm: instantiates one module with binaryen's
 * `fuzzing-support` logging imports and calls every exported function in export order
 * with zero arguments, printing calls, logs, results (as bits) and traps in the format
 * diff_node.js prints for node, so the two outputs compare line by line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm.h"
#include "../../host/wasm/wasm_test_mem.h"

static void print_value(uint8_t type, wasm_value v)
{
    switch (type) {
    case WASM_I32:
        printf("i32 %x", v.i32);
        break;
    case WASM_I64:
        printf("i64 %llx", (unsigned long long)v.i64);
        break;
    case WASM_F32:
        if ((v.i32 & 0x7F800000u) == 0x7F800000u && (v.i32 & 0x007FFFFFu))
            printf("f32 nan");
        else
            printf("f32 %x", v.i32);
        break;
    default:
        if ((v.i64 & 0x7FF0000000000000ull) == 0x7FF0000000000000ull &&
            (v.i64 & 0x000FFFFFFFFFFFFFull))
            printf("f64 nan");
        else
            printf("f64 %llx", (unsigned long long)v.i64);
        break;
    }
}

static wasm_status log_value(void *ctx, wasm_env *env, const wasm_value *args, wasm_value *res)
{
    (void)env;
    (void)res;
    printf("log ");
    print_value((uint8_t)(uintptr_t)ctx, args[0]);
    printf("\n");
    return WASM_OK;
}

static wasm_func *logs[4];

static wasm_status resolve(void *ctx, const char *module, size_t module_len, const char *name,
                           size_t name_len, wasm_extern_kind kind, wasm_extern *out)
{
    (void)ctx;
    static const char *const names[4] = {"log-i32", "log-i64", "log-f32", "log-f64"};
    if (kind != WASM_EXTERN_FUNC || module_len != 15 || memcmp(module, "fuzzing-support", 15))
        return WASM_ERR_UNKNOWN_IMPORT;
    for (int i = 0; i < 4; i++)
        if (strlen(names[i]) == name_len && memcmp(names[i], name, name_len) == 0) {
            out->kind = WASM_EXTERN_FUNC;
            out->u.func = logs[i];
            return WASM_OK;
        }
    return WASM_ERR_UNKNOWN_IMPORT;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODULE.wasm\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    static unsigned char buf[16 << 20];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    wasm_module *m;
    wasm_status st = wasm_module_load(wasm_test_allocator(), NULL, buf, len, &m, NULL);
    if (st != WASM_OK) {
        printf("invalid module\n");
        return 0;
    }
    wasm_env *env;
    if (wasm_env_new(wasm_test_allocator(), wasm_test_memory(), NULL, &env) != WASM_OK)
        return 2;
    static const uint8_t types[4] = {WASM_I32, WASM_I64, WASM_F32, WASM_F64};
    for (int i = 0; i < 4; i++)
        if (wasm_host_func_new(env, &types[i], 1, NULL, 0, log_value,
                               (void *)(uintptr_t)types[i], &logs[i]) != WASM_OK)
            return 2;
    wasm_instance *inst;
    st = wasm_instantiate(env, m, resolve, NULL, &inst);
    if (st != WASM_OK) {
        printf("instantiation failed\n");
    } else {
        /* export names in order, read back through the public lookup */
        for (uint32_t i = 0;; i++) {
            const char *name;
            size_t name_len;
            wasm_extern x;
            if (wasm_instance_export_at(inst, i, &name, &name_len, &x) != WASM_OK)
                break;
            if (x.kind != WASM_EXTERN_FUNC)
                continue;
            printf("call %.*s\n", (int)name_len, name);
            const uint8_t *pt, *rt;
            uint32_t np, nr;
            wasm_func_type(x.u.func, &pt, &np, &rt, &nr);
            wasm_value args[256], res[1];
            if (np > 256)
                return 2;
            memset(args, 0, sizeof(args));
            st = wasm_call(env, x.u.func, args, np, res, nr);
            if (st != WASM_OK) {
                printf("trap\n");
                continue;
            }
            if (nr) {
                printf("result ");
                print_value(rt[0], res[0]);
                printf("\n");
            }
        }
    }
    wasm_env_free(env);
    wasm_module_free(m);
    return 0;
}
