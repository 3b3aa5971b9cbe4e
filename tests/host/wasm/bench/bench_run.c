/* Benchmark driver for lib/wasm (built optimised, no sanitizers): loads a module without
 * imports, calls its export `run` [repeat times], prints the result and the time spent
 * in the calls. Used by tools/wasm_bench.sh; not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasm.h"
#include "../wasm_test_mem.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODULE.wasm [REPEAT]\n", argv[0]);
        return 2;
    }
    int repeat = argc > 2 ? atoi(argv[2]) : 1;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    static unsigned char buf[16 << 20];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    wasm_module *m;
    wasm_env *env;
    wasm_instance *inst;
    wasm_extern x;
    double t0 = now();
    wasm_status st = wasm_module_load(wasm_test_allocator(), NULL, buf, len, &m, NULL);
    if (st != WASM_OK) {
        fprintf(stderr, "load: %s\n", wasm_status_message(st));
        return 1;
    }
    double t_load = now() - t0;
    if (wasm_env_new(wasm_test_allocator(), wasm_test_memory(), NULL, &env) != WASM_OK ||
        wasm_instantiate(env, m, NULL, NULL, &inst) != WASM_OK ||
        wasm_instance_export(inst, "run", 3, &x) != WASM_OK || x.kind != WASM_EXTERN_FUNC) {
        fprintf(stderr, "instantiate: failed\n");
        return 1;
    }
    wasm_value r;
    r.i64 = 0;
    double t1 = now();
    for (int i = 0; i < repeat; i++) {
        st = wasm_call(env, x.u.func, NULL, 0, &r, 1);
        if (st != WASM_OK) {
            fprintf(stderr, "run: %s\n", wasm_status_message(st));
            return 1;
        }
    }
    double t_run = now() - t1;
    printf("result %u load %.6f run %.6f\n", r.i32, t_load, t_run);
    wasm_env_free(env);
    wasm_module_free(m);
    return 0;
}
