/* The runner's capability rule: granted = requested AND offered, for every one of the 2^5
 * request and 2^5 offer combinations of the four flags and the two clocks, and the exact
 * console lines for the cases the QEMU test and docs/wasm.md show. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wasmrun_grants.h"

/* Stands in for the runner's definition, which reads its decided grants. */
bool wasmrun_grant_net(void)
{
    return false;
}

static wasmrun_request req_of(unsigned bits)
{
    wasmrun_request r = {(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0,
                         (bits >> 4) & 3u};
    return r;
}

static wasmrun_grants offer_of(unsigned bits)
{
    wasmrun_grants g = {(bits & 1) != 0, (bits & 8) != 0, (bits & 2) != 0, (bits & 4) != 0,
                        (bits >> 4) & 3u};
    return g;
}

static void every_combination_is_the_intersection(void **state)
{
    (void)state;
    for (unsigned r = 0; r < 64; r++)
        for (unsigned o = 0; o < 64; o++) {
            wasmrun_request req = req_of(r);
            wasmrun_grants off = offer_of(o), g;
            memset(&g, 0xA5, sizeof g);
            wasmrun_grants_decide(&req, &off, &g);
            assert_int_equal(g.storage, req.storage && off.storage);
            assert_int_equal(g.net, req.net && off.net);
            assert_int_equal(g.console, req.console && off.console);
            assert_int_equal(g.entropy, req.entropy && off.entropy);
            assert_int_equal(g.clocks, req.clocks & off.clocks);
            char line[256];
            size_t n = wasmrun_grants_describe(&req, &off, &g, line, sizeof line);
            assert_int_equal(n, strlen(line));
            assert_true(n < sizeof line);
        }
}

static void unknown_clock_bits_are_never_granted(void **state)
{
    (void)state;
    wasmrun_request req = {false, false, false, false, 0xFFFFFFFFu};
    wasmrun_grants off = {false, false, false, false, 0xFFFFFFFFu}, g;
    wasmrun_grants_decide(&req, &off, &g);
    assert_int_equal(g.clocks, WASMRUN_CLOCKS_ALL);
}

static void lines(void **state)
{
    (void)state;
    char line[256];
    /* misbehave asks for entropy and the console; its runner has no Entropy connection. */
    wasmrun_request req = {false, false, true, true, 0};
    wasmrun_grants off = {false, false, false, true, WASMRUN_CLOCK_MONOTONIC}, g;
    wasmrun_grants_decide(&req, &off, &g);
    wasmrun_grants_describe(&req, &off, &g, line, sizeof line);
    assert_string_equal(line, "grants: console; refused: entropy (requested, not granted to "
                              "this runner); not requested: storage net clocks");
    /* counter: storage, console and the monotonic clock, all offered; wall refused. */
    wasmrun_request req2 = {true, false, true, false, WASMRUN_CLOCKS_ALL};
    wasmrun_grants off2 = {true, false, false, true, WASMRUN_CLOCK_MONOTONIC};
    wasmrun_grants_decide(&req2, &off2, &g);
    wasmrun_grants_describe(&req2, &off2, &g, line, sizeof line);
    assert_string_equal(line, "grants: storage console clocks=monotonic; refused: clocks=wall "
                              "(requested, not granted to this runner); not requested: net "
                              "entropy");
    /* Nothing requested, nothing granted. */
    wasmrun_request none = {false, false, false, false, 0};
    wasmrun_grants_decide(&none, &off2, &g);
    wasmrun_grants_describe(&none, &off2, &g, line, sizeof line);
    assert_string_equal(line, "grants: none; not requested: storage net console entropy clocks");
    /* A short buffer is cut, still terminated. */
    size_t n = wasmrun_grants_describe(&req2, &off2, &g, line, 10);
    assert_int_equal(n, 9);
    assert_string_equal(line, "grants: n");
    assert_int_equal(wasmrun_grants_describe(&req2, &off2, &g, line, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_combination_is_the_intersection),
        cmocka_unit_test(unknown_clock_bits_are_never_granted),
        cmocka_unit_test(lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
