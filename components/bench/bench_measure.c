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
 * (bench.py stops at a FAILED line) instead of only speeding it up. `w` holds words 0..3
 * (from a register message, or from mr[0..3] after a buffer call); the rest are in mr[]. */
static int echo_ok(int err, uint64_t reply, uint32_t words, const uint64_t *w)
{
    const struct anv_ipc_buffer *b = anv_ipcbuf();
    if (err != ANV_OK || anv_msginfo_label(reply) != 0 || anv_msginfo_words(reply) != words)
        return 0;
    for (uint32_t i = 0; i < (words > 4 ? words : 4); i++)
        if ((i < ANV_IPC_REG_WORDS ? w[i] : b->mr[i]) != 0xB0000000u + i)
            return 0;
    return 1;
}

static void echo_failed(const char *what, int err, uint64_t reply)
{
    printf("bench: FAILED %s: the echo came back wrong (err %d, reply %#lx)\n", what, err,
           (unsigned long)reply);
}

/* Messages that fit in registers go as users send them (anv_ipc_call_msg, as the
 * generated stubs do): from C variables to a1..a5 without the IPC buffer. Longer ones go
 * through the buffer (anv_ipc_call). */
void bench_ipc(anv_handle_t ep, const char *what, uint32_t words, uint64_t overhead)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    for (uint32_t i = 0; i < 8; i++)
        b->mr[i] = 0xB0000000u + i;
    const uint64_t info = anv_msginfo(BENCH_ECHO, words, 0);
    int err, ok;
    uint64_t t0, t1;
    if (words <= ANV_IPC_REG_WORDS) {
        struct anv_msg m = {info, {0xB0000000u, 0xB0000001u, 0xB0000002u, 0xB0000003u}};
        err = anv_ipc_call_msg(ep, &m); /* warm up */
        /* Checked on copies, so that m itself never has its address taken and stays in
         * registers across the loop, as it would in a caller's code. */
        uint64_t w[ANV_IPC_REG_WORDS] = {m.w[0], m.w[1], m.w[2], m.w[3]};
        ok = echo_ok(err, m.info, words, w);
        t0 = instret();
        for (volatile uint32_t i = 0; i < ROUNDS; i++) {
            m.info = info;
            err = anv_ipc_call_msg(ep, &m);
        }
        t1 = instret();
        uint64_t wl[ANV_IPC_REG_WORDS] = {m.w[0], m.w[1], m.w[2], m.w[3]};
        if (!ok || !echo_ok(err, m.info, words, wl)) {
            echo_failed(what, err, m.info);
            return;
        }
    } else {
        uint64_t reply = 0;
        err = anv_ipc_call(ep, info, &reply); /* warm up */
        ok = echo_ok(err, reply, words, b->mr);
        t0 = instret();
        for (volatile uint32_t i = 0; i < ROUNDS; i++)
            err = anv_ipc_call(ep, info, &reply);
        t1 = instret();
        if (!ok || !echo_ok(err, reply, words, b->mr)) {
            echo_failed(what, err, reply);
            return;
        }
    }
    row(what, t1 - t0, overhead, ROUNDS);
}
