/* compute: a WASI command benchmark of four kernels (an integer loop, SHA-256, sorting,
 * floating point), each printing a checksum, so every runtime's result can be compared.
 * `compute [scale]`: scale (default 1) multiplies the work. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

int main(int argc, char **argv)
{
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    if (scale < 1 || scale > 1000) {
        fprintf(stderr, "usage: compute [scale 1..1000]\n");
        return 64;
    }
    printf("intloop: %llu steps\n", (unsigned long long)intloop(20000u * (uint32_t)scale));

    size_t len = 64u * 1024u * (size_t)scale;
    uint8_t *buf = malloc(len);
    if (buf == NULL)
        return 1;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 31 + (i >> 8));
    uint8_t digest[32];
    crypto_sha256(buf, len, digest);
    printf("sha256: ");
    for (int i = 0; i < 32; i++)
        printf("%02x", digest[i]);
    printf("\n");
    free(buf);

    size_t n = 20000u * (size_t)scale;
    uint32_t *a = malloc(n * sizeof *a);
    if (a == NULL)
        return 1;
    for (size_t i = 0; i < n; i++)
        a[i] = xorshift();
    heapsort_u32(a, n);
    uint64_t sum = 0;
    int sorted = 1;
    for (size_t i = 0; i < n; i++) {
        sum = sum * 31 + a[i];
        if (i > 0 && a[i - 1] > a[i])
            sorted = 0;
    }
    printf("sort: %zu values, %s, checksum %016llx\n", n, sorted ? "in order" : "NOT in order",
           (unsigned long long)sum);
    free(a);

    printf("mandelbrot: %llu iterations\n", (unsigned long long)mandel(60 * scale));
    return 0;
}
