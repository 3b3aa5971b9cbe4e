/* The four kernels of the compute benchmark (an integer loop, SHA-256, heapsort, a
 * floating-point Mandelbrot), free of the C library so a module with no imports at all
 * can run them too (bare.c). */
#ifndef COMPUTE_KERNELS_H
#define COMPUTE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Collatz steps of every start below n. */
static uint64_t intloop(uint32_t n)
{
    uint64_t steps = 0;
    for (uint32_t i = 1; i < n; i++) {
        uint64_t x = i;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x >> 1;
            steps++;
        }
    }
    return steps;
}

/* SHA-256: lib/crypto's own, compiled into the module. */
#include "../../lib/crypto/sha256.c"

static uint32_t rng_state = 2463534242u;

static uint32_t xorshift(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Heapsort: no recursion and no library, the same work everywhere. */
static void heapsort_u32(uint32_t *a, size_t n)
{
    for (size_t start = n / 2; start-- > 0;) {
        for (size_t root = start; 2 * root + 1 < n;) {
            size_t child = 2 * root + 1;
            if (child + 1 < n && a[child] < a[child + 1])
                child++;
            if (a[root] >= a[child])
                break;
            uint32_t t = a[root];
            a[root] = a[child], a[child] = t, root = child;
        }
    }
    for (size_t end = n; end-- > 1;) {
        uint32_t t = a[0];
        a[0] = a[end], a[end] = t;
        for (size_t root = 0; 2 * root + 1 < end;) {
            size_t child = 2 * root + 1;
            if (child + 1 < end && a[child] < a[child + 1])
                child++;
            if (a[root] >= a[child])
                break;
            t = a[root];
            a[root] = a[child], a[child] = t, root = child;
        }
    }
}

/* Mandelbrot iteration counts over a grid. */
static uint64_t mandel(int size)
{
    uint64_t total = 0;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            double cr = -2.0 + 2.5 * x / size, ci = -1.25 + 2.5 * y / size;
            double zr = 0, zi = 0;
            int it = 0;
            while (it < 200 && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                it++;
            }
            total += (uint64_t)it;
        }
    return total;
}

#endif
