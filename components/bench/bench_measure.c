/* The measuring loop shared by the benchmark programs: every row of the table is made
 * here, so all rows subtract the same loop cost and print the same way. */
#include <stdio.h>

#include "bench.h"

uint64_t loop_overhead(void)
{
    uint64_t t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++) {
    }
    return instret() - t0;
}

void row(const char *what, uint64_t total, uint64_t overhead, uint32_t rounds)
{
    uint64_t net = total > overhead ? total - overhead : 0;
    printf("bench: %-44s %8lu instructions\n", what, (unsigned long)(net / rounds));
}

/* The echo server answers with the words it was sent, and the first four ride in
 * registers whatever the count: after the warm-up and after the last measured call, every
 * one of them must be back, so a fast path that moved them wrongly fails the benchmark
 * (bench.py stops at a FAILED line) instead of only speeding it up. */
static int echo_ok(int err, uint64_t reply, uint32_t words)
{
    const struct anv_ipc_buffer *b = anv_ipcbuf();
    if (err != ANV_OK || anv_msginfo_label(reply) != 0 || anv_msginfo_words(reply) != words)
        return 0;
    for (uint32_t i = 0; i < (words > 4 ? words : 4); i++)
        if (b->mr[i] != 0xB0000000u + i)
            return 0;
    return 1;
}

void bench_ipc(anv_handle_t ep, const char *what, uint32_t words, uint64_t overhead)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    for (uint32_t i = 0; i < 8; i++)
        b->mr[i] = 0xB0000000u + i;
    uint64_t reply = 0;
    int err = anv_ipc_call(ep, anv_msginfo(BENCH_ECHO, words, 0), &reply); /* warm up */
    int ok = echo_ok(err, reply, words);
    uint64_t t0 = instret();
    for (volatile uint32_t i = 0; i < ROUNDS; i++)
        err = anv_ipc_call(ep, anv_msginfo(BENCH_ECHO, words, 0), &reply);
    uint64_t t1 = instret();
    if (!ok || !echo_ok(err, reply, words)) {
        printf("bench: FAILED %s: the echo came back wrong (err %d, reply %#lx)\n", what, err,
               (unsigned long)reply);
        return;
    }
    row(what, t1 - t0, overhead, ROUNDS);
}
