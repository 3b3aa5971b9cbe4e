/* The SDK's memcpy, memmove and memset (components/sdk/mem.c, the C every component links)
 * compiled natively and compared with the host C library's on random sizes, offsets and
 * overlaps: the whole buffer, not only the destination, must come out the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "anvaya/mem.h"

#define BUF 8192u
#define ROUNDS 20000u

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Mostly short lengths (where the byte and word paths meet), some long ones. */
static size_t rnd_len(size_t max)
{
    size_t n;
    switch (rnd() % 4u) {
    case 0: n = (size_t)(rnd() % 40u); break;
    case 1: n = (size_t)(rnd() % 300u); break;
    case 2: n = (size_t)(rnd() % 2100u); break;
    default: n = (size_t)(rnd() % (BUF / 2u)); break;
    }
    return n > max ? max : n;
}

static void fill(unsigned char *a, unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = b[i] = (unsigned char)rnd();
}

static void test_memcpy_random(void **state)
{
    (void)state;
    static unsigned char src[BUF], mine[BUF], ref[BUF];
    for (unsigned r = 0; r < ROUNDS; r++) {
        fill(mine, ref, BUF);
        for (size_t i = 0; i < BUF; i++)
            src[i] = (unsigned char)rnd();
        size_t so = (size_t)(rnd() % 64u), dof = (size_t)(rnd() % 64u);
        size_t n = rnd_len(BUF - 64u);
        assert_ptr_equal(anv_memcpy(mine + dof, src + so, n), mine + dof);
        memcpy(ref + dof, src + so, n);
        assert_memory_equal(mine, ref, BUF);
    }
}

/* Overlapping moves in one buffer, both directions, every relative alignment. */
static void test_memmove_overlap(void **state)
{
    (void)state;
    static unsigned char mine[BUF], ref[BUF];
    for (unsigned r = 0; r < ROUNDS; r++) {
        fill(mine, ref, BUF);
        size_t n = rnd_len(BUF / 2u);
        size_t a = (size_t)(rnd() % (BUF - n)), b;
        if (r % 3u == 0u) /* within a few words of each other: the hardest overlaps */
            b = (size_t)((a + (rnd() % 41u) + BUF - 20u) % BUF);
        else
            b = (size_t)(rnd() % (BUF - n));
        if (b > BUF - n)
            b = BUF - n;
        assert_ptr_equal(anv_memmove(mine + b, mine + a, n), mine + b);
        memmove(ref + b, ref + a, n);
        assert_memory_equal(mine, ref, BUF);
    }
}

static void test_memmove_every_small_case(void **state)
{
    (void)state;
    static unsigned char mine[256], ref[256];
    for (size_t n = 0; n <= 72u; n++)
        for (size_t a = 0; a < 24u; a++)
            for (size_t b = 0; b < 24u; b++) {
                fill(mine, ref, sizeof mine);
                anv_memmove(mine + 100u + b, mine + 100u + a, n);
                memmove(ref + 100u + b, ref + 100u + a, n);
                assert_memory_equal(mine, ref, sizeof mine);
                fill(mine, ref, sizeof mine);
                anv_memcpy(mine + b, ref + 128u + a, n);
                memcpy(ref + b, ref + 128u + a, n);
                assert_memory_equal(mine, ref, sizeof mine);
            }
}

static void test_memset_random(void **state)
{
    (void)state;
    static unsigned char mine[BUF], ref[BUF];
    for (unsigned r = 0; r < ROUNDS; r++) {
        fill(mine, ref, BUF);
        size_t o = (size_t)(rnd() % 64u), n = rnd_len(BUF - 64u);
        int c = (int)(rnd() % 512u) - 128; /* only the low byte counts, as in C */
        assert_ptr_equal(anv_memset(mine + o, c, n), mine + o);
        memset(ref + o, c, n);
        assert_memory_equal(mine, ref, BUF);
    }
}

static void test_zero_length_touches_nothing(void **state)
{
    (void)state;
    unsigned char a[16] = {1, 2, 3}, b[16] = {1, 2, 3};
    assert_ptr_equal(anv_memcpy(a + 3, a + 9, 0), a + 3);
    assert_ptr_equal(anv_memmove(a + 1, a + 2, 0), a + 1);
    assert_ptr_equal(anv_memmove(a + 4, a + 4, 16 - 4), a + 4);
    assert_ptr_equal(anv_memset(a + 5, 0xff, 0), a + 5);
    assert_memory_equal(a, b, sizeof a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memcpy_random),
        cmocka_unit_test(test_memmove_overlap),
        cmocka_unit_test(test_memmove_every_small_case),
        cmocka_unit_test(test_memset_random),
        cmocka_unit_test(test_zero_length_touches_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
