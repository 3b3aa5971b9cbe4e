/* Seeded random-syscall stress: 100,000 syscalls with random numbers, handles and
 * arguments, some of them stopping and restarting the sink it calls. The kernel must
 * refuse what is invalid and survive the rest; in debug builds its invariant checker runs
 * after every one. The watchdog unblocks us when a random call blocks, prints our
 * results and shuts the system down. */
#include <anvaya/sdk.h>
#include <stdio.h>

#include "kstress.h"
#include "kstress_gen.h"

#define REPORT ((volatile struct kstress_report *)KSTRESS_REPORT)

static uint64_t rng_state = 0x2545F4914F6CDD1Dull; /* fixed seed: runs are repeatable */

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

/* Mostly plausible handles (a real slot, a nearby generation), sometimes garbage. */
static uint64_t random_handle(void)
{
    switch (rng() % 8) {
    case 0: return rng();
    case 1: return 0;
    case 2: return anv_handle_make((uint32_t)(rng() % 100000), 0);
    default: return anv_handle_make((uint32_t)(rng() % 40), (uint32_t)(rng() % 3));
    }
}

static uint64_t random_arg(void)
{
    switch (rng() % 8) {
    case 0: return rng();
    case 1: return rng() % 16;                                    /* rights, small counts */
    case 2: return 0x30000000ull + (rng() % 64) * ANV_PAGE_SIZE;  /* mappable pages */
    case 3: return rng() % 64;                                    /* slot numbers */
    case 4: return anv_msginfo((uint32_t)rng(), (uint32_t)(rng() % 80), (uint32_t)(rng() % 6));
    case 5: return random_handle();
    case 6: return 0xFFFFFFC080200000ull;                         /* kernel addresses */
    default: return rng() % 5;                                    /* short timeouts */
    }
}

static int raw_syscall(uint64_t nr, const uint64_t a[7])
{
    register uint64_t a0 __asm__("a0") = a[0];
    register uint64_t a1 __asm__("a1") = a[1];
    register uint64_t a2 __asm__("a2") = a[2];
    register uint64_t a3 __asm__("a3") = a[3];
    register uint64_t a4 __asm__("a4") = a[4];
    register uint64_t a5 __asm__("a5") = a[5];
    register uint64_t a6 __asm__("a6") = a[6];
    register uint64_t a7 __asm__("a7") = nr;
    __asm__ volatile("ecall" /* t0..t6 do not survive it (RFC 0010 section 1) */
                     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6),
                       "+r"(a7)
                     :
                     : "memory", "t0", "t1", "t2", "t3", "t4", "t5", "t6");
    return (int)a0;
}

int main(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    printf("kstress: start, %u random syscalls, seed 0x%lx\n", KSTRESS_CALLS,
           (unsigned long)rng_state);
    for (uint32_t i = 0; i < KSTRESS_CALLS; i++) {
        uint64_t nr = rng() % (ANV_SYS_COUNT + 3);
        /* proc.exit always succeeds and ends the run: it is the one call left out. */
        while (nr == ANV_SYS_PROC_EXIT)
            nr = rng() % (ANV_SYS_COUNT + 3);
        uint64_t a[7];
        for (int k = 0; k < 7; k++)
            a[k] = random_arg();
        if (rng() % 2)
            a[0] = random_handle();
        for (int k = 0; k < ANV_IPC_MAX_CAPS; k++) {
            b->caps_out[k] = random_handle();
            b->caps_out_rights[k] = rng() % 32;
        }
        /* Half the lifecycle calls go to the one thread we control, so the sink is met
         * stopped, restarted and reloaded in every state a random run leaves it in. */
        if ((nr == ANV_SYS_THREAD_RESUME || nr == ANV_SYS_THREAD_STOP ||
             nr == ANV_SYS_THREAD_RESTART) && (rng() >> 32) % 2)
            a[0] = KSTRESS_HANDLE_CONTROL_KSINK;
        /* The control capability stays: deleting it would end the lifecycle half of the run
         * (its slot is the manifest's, so nothing can take its place). */
        if (nr == ANV_SYS_CAP_DELETE && a[0] == KSTRESS_HANDLE_CONTROL_KSINK)
            a[0] = ANV_HANDLE_NULL;
        if (nr == ANV_SYS_DEBUG_WRITE)
            a[2] = 0; /* keep the console readable: everything else about it stays random */
        int err = raw_syscall(nr, a);
        REPORT->by_error[(unsigned)err < 32 ? (unsigned)err : 31]++;
        if (err == ANV_OK && nr < KSTRESS_MAX_SYSCALLS)
            REPORT->ok_by_syscall[nr]++;
        REPORT->calls = i + 1;
    }
    /* No printing from here: random calls may well have deleted our console capability.
     * The watchdog reports for us. */
    REPORT->magic = KSTRESS_DONE_MAGIC;
    for (;;)
        anv_ntfn_signal(KSTRESS_HANDLE_DONE_TO_KWATCH_DONE);
}
