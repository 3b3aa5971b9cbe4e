/* The entropy test's client: reads random bytes through the entropy service and checks
 * them (lengths honoured, not constant, different every time), then checks that it cannot
 * learn the physical address of any frame it holds, since it holds no DMA buffer. */
#include <stdio.h>
#include <string.h>

#include "consumer_gen.h"

#define ROUNDS 16u

static unsigned popcount8(uint8_t v)
{
    unsigned n = 0;
    for (; v; v &= (uint8_t)(v - 1))
        n++;
    return n;
}

int main(void)
{
    struct anv_bytes_64 prev = {0}, cur = {0};
    unsigned ones = 0, bits = 0, repeats = 0;
    int failures = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        int err = rng_client_entropy_read(64, &cur);
        if (err != ANV_OK || cur.len != 64) {
            printf("rngtest: read %u failed (%d, %u bytes)\n", r, err, (unsigned)cur.len);
            failures++;
            continue;
        }
        if (r > 0 && memcmp(prev.data, cur.data, 64) == 0)
            repeats++;
        for (uint32_t i = 0; i < 64; i++)
            ones += popcount8(cur.data[i]);
        bits += 64 * 8;
        if (r == 0) {
            printf("rngtest: first 16 bytes");
            for (uint32_t i = 0; i < 16; i++)
                printf(" %02x", cur.data[i]);
            printf("\n");
        }
        prev = cur;
    }
    struct anv_bytes_64 small = {0};
    int err_small = rng_client_entropy_read(5, &small);
    int err_long = rng_client_entropy_read(65, &small);
    int err_zero = rng_client_entropy_read(0, &small);
    printf("rngtest: %u reads of 64 bytes, %u of %u bits set, %u repeats, %d failures\n",
           ROUNDS, ones, bits, repeats, failures);
    printf("rngtest: read 5 -> %d (%u bytes), read 65 -> %d, read 0 -> %d\n", err_small,
           (unsigned)small.len, err_long, err_zero);
    uint32_t requests = 0, octets = 0, interrupts = 0;
    int err_counters = rng_client_entropy_counters(&requests, &octets, &interrupts);
    printf("rngtest: driver counters (%d): %u requests, %u bytes, %u interrupts\n", err_counters,
           requests, octets, interrupts);
    /* No DMA buffer: no frame of ours answers mem.frame_paddr. */
    uint64_t pa = 0;
    int e_ipc = anv_mem_frame_paddr(RNG_CLIENT_HANDLE_IPCBUF, &pa, NULL);
    int e_dp = anv_mem_frame_paddr(RNG_CLIENT_HANDLE_SCRATCH, &pa, NULL);
    int e_other = anv_mem_frame_paddr(RNG_CLIENT_HANDLE_CONSOLE, &pa, NULL);
    printf("rngtest: frame_paddr ipcbuf=%d dataport=%d console=%d pa=0x%lx\n", e_ipc, e_dp,
           e_other, (unsigned long)pa);
    anv_console_flush();
    anv_system_shutdown(RNG_CLIENT_HANDLE_SYSCTL, failures ? 1 : 0);
    return 0;
}
