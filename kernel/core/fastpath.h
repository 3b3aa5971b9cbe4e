/* The IPC fastpath for the common call/reply_recv round trip (see fastpath.c). */
#ifndef ANVAYA_KERNEL_FASTPATH_H
#define ANVAYA_KERNEL_FASTPATH_H

#include "object/object.h"

/* What a take leaves to deliver: the thread now at the head of the ready queue (NULL:
 * the take declined and changed nothing but its lookup memo) in the low 64 bits, the
 * badge its a6 receives in the high 64. One 128-bit integer so that the RISC-V ABI
 * returns it in a0 and a1 (trap_entry.S reads both): GCC 12 returns the equivalent
 * two-word struct there too, but gives the function a stack frame it never uses. */
#if defined(__FRAMAC__)
/* Frama-C 25 parses no 128-bit integer: under it (the WP proofs, tests/proof/wp/) the
 * result is the same two words as a struct, so the takes' contracts can speak of the
 * thread it names. The packing below is not proved (docs/assurance.md). */
typedef struct {
    struct thread *next;
    uint64_t badge;
} fastpath_hit_t;

/*@ assigns \nothing;
    ensures \result.next == next && \result.badge == badge;
*/
static inline fastpath_hit_t fastpath_hit(struct thread *next, uint64_t badge)
{
    fastpath_hit_t h = {next, badge};
    return h;
}
/*@ assigns \nothing; ensures \result == h.next; */
static inline struct thread *fastpath_hit_next(fastpath_hit_t h)
{
    return h.next;
}
/*@ assigns \nothing; ensures \result == h.badge; */
static inline uint64_t fastpath_hit_badge(fastpath_hit_t h)
{
    return h.badge;
}
#else
__extension__ typedef unsigned __int128 fastpath_hit_t;

static inline fastpath_hit_t fastpath_hit(struct thread *next, uint64_t badge)
{
    return ((fastpath_hit_t)badge << 64) | (uint64_t)(uintptr_t)next;
}
static inline struct thread *fastpath_hit_next(fastpath_hit_t h)
{
    return (struct thread *)(uintptr_t)(uint64_t)h;
}
static inline uint64_t fastpath_hit_badge(fastpath_hit_t h)
{
    return (uint64_t)(h >> 64);
}
#endif

/* Every check, then every change to kernel objects, of a fastpath ipc.call (by `client`)
 * or ipc.reply_recv (by `server`): all but the woken thread's message registers.
 * `handle` and `info` are the caller's a0 and a1, the values saved in its frame:
 * trap_entry.S passes them in the registers they arrived in, so the take does not load
 * them back. */
fastpath_hit_t fastpath_call_take(uint64_t handle, uint64_t info, struct thread *client);
fastpath_hit_t fastpath_reply_recv_take(uint64_t handle, uint64_t info, struct thread *server);
/* The message registers of a delivery through the fastpath, into `to`'s frame: a0 = OK,
 * a1..a5 = the sender's msginfo and words, a6 = badge. trap_entry.S puts the same values
 * straight into the registers `to` resumes with instead (its frame is dead while it runs:
 * the next trap overwrites every slot anything reads). */
/*@ requires \valid(to->frame.regs + (REG_A0 .. REG_A6));
    requires \valid_read(from->frame.regs + (REG_A1 .. REG_A5));
    requires \separated(to->frame.regs + (REG_A0 .. REG_A6), from->frame.regs + (REG_A1 .. REG_A5));
    assigns to->frame.regs[REG_A0 .. REG_A6];
    ensures to->frame.regs[REG_A0] == ANV_OK && to->frame.regs[REG_A6] == badge;
    ensures \forall integer k; REG_A1 <= k <= REG_A5 ==> to->frame.regs[k] == from->frame.regs[k];
*/
static inline void fastpath_deliver(struct thread *to, const struct thread *from,
                                    uint64_t badge)
{
    uint64_t *dst = to->frame.regs;
    const uint64_t *src = from->frame.regs;
    dst[REG_A0] = ANV_OK;
    dst[REG_A1] = src[REG_A1];
    dst[REG_A2] = src[REG_A2];
    dst[REG_A3] = src[REG_A3];
    dst[REG_A4] = src[REG_A4];
    dst[REG_A5] = src[REG_A5];
    dst[REG_A6] = badge;
}

/* A take and its delivery. Each returns the thread that now heads the ready queue, or
 * NULL (nothing changed) when the general path must handle the call. */
struct thread *fastpath_call(struct thread *client);
struct thread *fastpath_reply_recv(struct thread *server);
/* By t's a7 (ipc.call or ipc.reply_recv), the matching fastpath; NULL for any other
 * number. trap_entry.S makes the same choice by number before any C runs (its constants
 * are checked against abi.h in trap.c); the host stress test calls this one. */
struct thread *fastpath_try(struct thread *t);

#endif
