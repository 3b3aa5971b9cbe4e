/* CRC32C: store_crc32c (the carry-less multiplication path: its portable model on the host,
 * the Zbc instructions in the rv64 build run under qemu-riscv64) against the table version
 * store_crc32c_sw and known values, at every length 0..1,100 and every alignment 0..7; and
 * store_crc32c_copy and store_crc32c_copy_sectors (the same sums, the bytes copied exactly,
 * nothing past the end touched). */
#include "store.h"

#include <stddef.h>
#include <stdint.h>

#if defined(CRC_TEST_RV64)
void _start(void);

/* gcc may call these for the buffer set-up even with -ffreestanding. */
void *memset(void *dst, int c, size_t n);
void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = (uint8_t)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n);
void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
    return dst;
}

static void say(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0' && n < 200)
        n++;
    register long a0 __asm__("a0") = 1;
    register const char *a1 __asm__("a1") = s;
    register size_t a2 __asm__("a2") = n;
    register long a7 __asm__("a7") = 64; /* write */
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
}
#else
#include <stdio.h>
static void say(const char *s)
{
    fputs(s, stdout);
}
#endif

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint8_t rng_byte(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint8_t)(rng_state >> 32);
}

/* A CRC32C one bit at a time, sharing nothing with either implementation. */
static uint32_t crc_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1u) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
    }
    return ~crc;
}

#define MAXLEN 1100u
static _Alignas(8) uint8_t buf[MAXLEN + 16];
static _Alignas(8) uint8_t out[MAXLEN + 32];

/* store_crc32c_copy from buf + salign to out + dalign, every length: the sum the table
 * version gives, the bytes equal, the guard bytes around the copy untouched. */
static int run_copy(size_t salign, size_t dalign)
{
    int failures = 0;
    uint32_t seed = (uint32_t)(salign * 8u + dalign);
    for (size_t len = 0; len <= MAXLEN; len++) {
        for (size_t i = 0; i < sizeof out; i++)
            out[i] = 0xa5;
        const uint8_t *p = buf + salign;
        uint8_t *q = out + 8 + dalign;
        seed = seed * 1103515245u + 12345u;
        uint32_t got = store_crc32c_copy(seed, q, p, len);
        int bad = got != store_crc32c_sw(seed, p, len);
        for (size_t i = 0; i < len; i++)
            bad |= q[i] != p[i];
        for (size_t i = 0; i < 8 + dalign; i++)
            bad |= out[i] != 0xa5;
        for (size_t i = 8 + dalign + len; i < sizeof out; i++)
            bad |= out[i] != 0xa5;
        if (bad) {
            say("crc32c: store_crc32c_copy differs (sum, bytes or bounds)\n");
            if (++failures > 10)
                break;
        }
    }
    return failures;
}

static int run(void)
{
    int failures = 0;
    static const char check[] = "123456789";
    if (store_crc32c(0, check, 9) != 0xe3069283u) {
        say("crc32c: check value of \"123456789\" wrong\n");
        failures++;
    }
    /* RFC 3720 B.4: 32 bytes of zeros, of 0xff, and 0..31. */
    for (size_t i = 0; i < 32; i++)
        buf[i] = 0;
    if (store_crc32c(0, buf, 32) != 0x8a9136aau)
        failures++, say("crc32c: 32 zero bytes wrong\n");
    for (size_t i = 0; i < 32; i++)
        buf[i] = 0xff;
    if (store_crc32c(0, buf, 32) != 0x62a8ab43u)
        failures++, say("crc32c: 32 0xff bytes wrong\n");
    for (size_t i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    if (store_crc32c(0, buf, 32) != 0x46dd794eu)
        failures++, say("crc32c: bytes 0..31 wrong\n");

    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = rng_byte();
    uint32_t seed = 0;
    for (size_t align = 0; align < 8; align++) {
        for (size_t len = 0; len <= MAXLEN; len++) {
            const uint8_t *p = buf + align;
            seed = seed * 1103515245u + 12345u;
            uint32_t sw = store_crc32c_sw(seed, p, len);
            uint32_t fast = store_crc32c(seed, p, len);
            if (fast != sw || (len < 300 && sw != crc_bitwise(seed, p, len))) {
                say("crc32c: mismatch against the table version\n");
                failures++;
                if (failures > 10)
                    return failures;
            }
            /* In two pieces, split anywhere: the same as whole. */
            size_t cut = len / 3;
            if (store_crc32c(store_crc32c(seed, p, cut), p + cut, len - cut) != sw) {
                say("crc32c: split computation differs\n");
                failures++;
                if (failures > 10)
                    return failures;
            }
        }
    }
    /* Both ends aligned (the word path) and every other pairing (the byte path). */
    for (size_t sa = 0; sa < 8 && failures <= 10; sa++)
        for (size_t da = 0; da < 8 && failures <= 10; da += (sa == 0 ? 1 : 7))
            failures += run_copy(sa, da);
    /* Whole sectors, one sum each: 0..5 sectors, aligned and not (the byte path). */
    for (uint32_t count = 0; count <= 5 && failures <= 10; count++) {
        for (size_t align = 0; align < 8; align += 3) {
            static _Alignas(8) uint8_t src[5 * 512 + 8], dst[5 * 512 + 8 + 8];
            uint32_t sums[6] = {0};
            for (size_t i = 0; i < sizeof src; i++)
                src[i] = rng_byte();
            for (size_t i = 0; i < sizeof dst; i++)
                dst[i] = 0xa5;
            store_crc32c_copy_sectors(dst + align, src + align, count, sums);
            int bad = sums[count] != 0 || dst[align + (size_t)count * 512] != 0xa5;
            for (uint32_t k = 0; k < count; k++)
                bad |= sums[k] != store_crc32c_sw(0, src + align + (size_t)k * 512, 512);
            for (size_t i = 0; i < (size_t)count * 512; i++)
                bad |= dst[align + i] != src[align + i];
            if (bad) {
                say("crc32c: store_crc32c_copy_sectors differs (sums, bytes or bounds)\n");
                failures++;
            }
        }
    }
    if (!store_crc32c_uses_clmul()) {
        say("crc32c: built without the carry-less multiplication path\n");
        failures++;
    }
    say(failures == 0 ? "crc32c: 8 alignments x 1101 lengths, clmul path == tables; copy and copy_sectors == tables\n"
                      : "crc32c: FAILED\n");
    return failures;
}

#if defined(CRC_TEST_RV64)
void _start(void)
{
    register long a0 __asm__("a0") = run() != 0;
    register long a7 __asm__("a7") = 93; /* exit */
    __asm__ volatile("ecall" : : "r"(a0), "r"(a7) : "memory");
    for (;;) {
    }
}
#else
int main(void)
{
    return run() != 0;
}
#endif
