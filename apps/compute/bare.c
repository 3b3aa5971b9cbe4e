/* compute-bare: the compute benchmark's kernels in a module with no imports, so a
 * reference interpreter that traces every instruction (wabt's wasm-interp) can count
 * what one run executes, and the guest's runner can run the very same module; the
 * checksum is left in `result` (an exported global's address in memory). */
#include "kernels.h"

/* The compiler zeroes arrays with memset; there is no C library here to give it one. */
void *memset(void *dst, int c, size_t n);
void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = (uint8_t)c;
    return dst;
}

static uint8_t msg[16 * 1024];
static uint32_t values[3000];
volatile uint64_t result;

void _start(void);

__attribute__((export_name("_start"))) void _start(void)
{
    uint64_t sum = intloop(3000);
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 31 + (i >> 8));
    uint8_t digest[32];
    crypto_sha256(msg, sizeof msg, digest);
    for (int i = 0; i < 32; i++)
        sum = sum * 131 + digest[i];
    for (size_t i = 0; i < 3000; i++)
        values[i] = xorshift();
    heapsort_u32(values, 3000);
    for (size_t i = 0; i < 3000; i++)
        sum = sum * 31 + values[i];
    sum += mandel(24);
    result = sum;
}
