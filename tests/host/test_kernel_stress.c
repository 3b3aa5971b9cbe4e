/* Syscall stress: a small synthetic system (three processes, four threads, CSpaces of 64
 * slots holding endpoint, notification, pool, frame, thread, CSpace, audit, console,
 * sysctl and IRQ capabilities) driven through syscall_dispatch() by a seeded PRNG with
 * random syscall numbers, mostly-plausible handles, rights, badges, addresses and lengths.
 * After every call the kernel's own invariant checker must find nothing; the build runs
 * this under AddressSanitizer and UBSan, so memory errors fail it too.
 *
 * Every process has a process record (a writable data segment, the slots the harness
 * seeds counting as the manifest's), so thread.stop and thread.restart, RELOAD included,
 * are in the mix like any other call.
 *
 * Reproduce a failure with the printed seed: ANV_STRESS_SEED=<seed> [ANV_STRESS_CALLS=n].
 *
 * U-mode faults (fault_raise) are injected among the calls; ANV_STRESS_FAULTS=0 turns
 * them off.
 *
 * The fastpath is differential-tested here: every ipc.call and ipc.reply_recv first goes
 * to fastpath_try() as trap_entry.S would send it (frame marked partial). When the
 * fastpath takes the call, the whole state it left (every thread, endpoint, notification,
 * CSpace slot, IPC buffer, the ready queue, the running thread, the audit ring) is
 * recorded, the state before the call is put back, the general path (syscall_dispatch)
 * runs the same call, and both results must be identical byte for byte. When it
 * declines, it must have changed nothing. fastpath_try() runs the same take
 * (fastpath_call_take / fastpath_reply_recv_take) that trap_entry.S calls, then
 * fastpath_deliver(), whose values the entry puts in registers instead (fastpath.h).
 * ANV_STRESS_FASTPATH=0 runs without the fastpath (every call on the general path), as a
 * kernel without one would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/audit.h"
#include "core/fastpath.h"
#include "object/cspace.h"
#include "object/endpoint.h"
#include "core/invariants.h"
#include "object/irq.h"
#include "kernel_stubs.h"
#include "object/notification.h"
#include "object/pool.h"
#include "object/process.h"
#include "core/sched.h"
#include "core/syscall.h"
#include "object/thread.h"
#include "object/vspace.h"

#define NPROC 3
#define NTHREADS 4
#define STRESS_CALLS 100000u
#define STRESS_IRQ 7u
#define IPC_VA_BASE 0x100000ull
#define MAP_VA_PAGES 96u

/* Process CSpace layout (slots 1..7 follow ANV_SLOT_*). */
enum {
    S_CSPACE = ANV_SLOT_CSPACE, S_VSPACE = ANV_SLOT_VSPACE, S_THREAD = ANV_SLOT_THREAD,
    S_IPCBUF = ANV_SLOT_IPCBUF, S_FAULT = ANV_SLOT_FAULT, S_CONSOLE = ANV_SLOT_CONSOLE,
    S_POOL = ANV_SLOT_POOL, S_EP0 = 8, S_EP1, S_NTFN0, S_NTFN0_BADGED, S_THREADS /* 12..15 */,
    S_NEXT_CSPACE = S_THREADS + NTHREADS, S_AUDIT, S_SYSCTL, S_IRQ, S_EP1_BADGED,
    S_EP2 /* ephemeral */, S_NTFN1 /* ephemeral */,
    S_MANIFEST_TOP = S_NTFN1, /* RELOAD deletes what run time put above */
};

#define DATA_FILE_BYTES 200u
static const uint8_t data_file[DATA_FILE_BYTES] = {0xD0, 0xD1, 0xD2, [DATA_FILE_BYTES - 1] = 0xDF};

struct sproc {
    struct cspace *cs;
    struct vspace *vs;
    struct pool *pool;
    struct proc *rec;  /* the kernel's process record */
    uint8_t *data;     /* its writable segment */
};

/* A capability the harness keeps putting back when a thread deletes or revokes it, so
 * 100,000 random calls keep exercising a populated system rather than an empty one. */
struct seed {
    unsigned proc;
    uint32_t slot;
    struct cap *src;
    uint32_t rights;
    uint64_t badge;
};

static struct sproc procs[NPROC];
static struct thread *threads[NTHREADS];
static unsigned thread_proc[NTHREADS] = {0, 0, 1, 2};
static struct endpoint eps[3];        /* eps[2] is ephemeral: no root copy */
static struct notification ntfns[2];  /* ntfns[1] is ephemeral */
static struct audit_log audit_obj;
static struct console_obj console_obj;
static struct sysctl_obj sysctl_obj;
static struct irq_handler irq_obj;
static struct seed seeds[NPROC * 24];
static unsigned nseeds;

static uint64_t rng_state;
static uint64_t seed_used;
static uint64_t now;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(rng() % n);
}

static bool chance(uint32_t percent)
{
    return below(100) < percent;
}

/* ---- Diagnostics: the last calls, printed when an invariant or KASSERT fails ---------- */
#define TRACE 16

struct trace_entry {
    unsigned step;
    unsigned thread;
    uint64_t regs[8]; /* a0..a7 on entry */
    uint64_t a0_after;
    int state_after;
};

static struct trace_entry trace[TRACE];
static unsigned trace_step;

static void trace_dump(void)
{
    fprintf(stderr, "stress seed 0x%llx, last calls (oldest first):\n",
            (unsigned long long)seed_used);
    for (unsigned k = 0; k < TRACE; k++) {
        const struct trace_entry *e = &trace[(trace_step + k) % TRACE];
        if (e->step == 0 && k != TRACE - 1)
            continue;
        fprintf(stderr, "  #%u T%u nr=%llu a0=%016llx a1=%016llx a2=%llx a3=%llx a4=%llx"
                        " -> a0=%llu state=%d\n",
                e->step, e->thread, (unsigned long long)e->regs[7],
                (unsigned long long)e->regs[0], (unsigned long long)e->regs[1],
                (unsigned long long)e->regs[2], (unsigned long long)e->regs[3],
                (unsigned long long)e->regs[4], (unsigned long long)e->a0_after,
                e->state_after);
    }
}

/* ---- The system -------------------------------------------------------------------- */

static struct cap *root_slot(struct cspace *root, uint32_t *next, struct kobj *obj)
{
    struct cap *c = &root->slots[(*next)++];
    cap_install(c, obj, obj->type, ANV_RIGHTS_ALL, 0, 0);
    return c;
}

static void add_seed(unsigned proc, uint32_t slot, struct cap *src, uint32_t rights,
                     uint64_t badge)
{
    assert_true(nseeds < sizeof(seeds) / sizeof(seeds[0]));
    struct seed s = {proc, slot, src, rights, badge};
    seeds[nseeds++] = s;
}

static void pinned(struct kobj *o, uint8_t type)
{
    kobj_init(o, type);
    o->flags |= KOBJ_PINNED;
}

static void ephemeral_install(void)
{
    /* Recreate an ephemeral object once its last capability went, as a server would
     * make a fresh endpoint. */
    struct cap *e = &procs[0].cs->slots[S_EP2];
    if (eps[2].hdr.refs == 0 && e->obj == 0) {
        assert_null(eps[2].queue.head);
        ep_init(&eps[2]);
        cap_install(e, &eps[2].hdr, ANV_OBJ_ENDPOINT, ANV_RIGHTS_ALL, 0, 0);
    }
    struct cap *n = &procs[0].cs->slots[S_NTFN1];
    if (ntfns[1].hdr.refs == 0 && n->obj == 0) {
        assert_null(ntfns[1].waiters.head);
        ntfn_init(&ntfns[1]);
        cap_install(n, &ntfns[1].hdr, ANV_OBJ_NOTIFICATION, ANV_RIGHTS_ALL, 0, 0);
    }
}

static void replenish(void)
{
    ephemeral_install();
    for (unsigned i = 0; i < nseeds; i++) {
        const struct seed *s = &seeds[i];
        struct cap *dst = &procs[s->proc].cs->slots[s->slot];
        if (dst->obj != 0 || s->src->obj == 0)
            continue;
        /* An ephemeral source slot may meanwhile hold something else: derive only what
         * the kernel itself would allow from it. */
        if (cap_derive_check(s->src, s->rights, s->badge) != ANV_OK)
            continue;
        cap_derive(dst, s->src, s->rights, s->badge);
    }
}

static void build_system(void)
{
    struct cspace *root = hk_cspace(NPROC, HK_SLOTS);
    uint32_t next = 1;

    for (unsigned p = 0; p < NPROC; p++) {
        procs[p].cs = hk_cspace(p, HK_SLOTS);
        procs[p].pool = hk_pool(32, 24);
        procs[p].vs = hk_zalloc(sizeof(struct vspace));
        assert_int_equal(vs_init(procs[p].vs, procs[p].pool, 0), ANV_OK);
        procs[p].rec = hk_zalloc(sizeof(struct proc));
        proc_init(procs[p].rec, procs[p].cs, S_MANIFEST_TOP);
        const struct proc_segment seg = {(uint64_t)(uintptr_t)hk_pages(1), 1, 0x40, data_file,
                                         DATA_FILE_BYTES};
        proc_segment_fill(&seg);
        assert_int_equal(proc_add_segment(procs[p].rec, &seg), ANV_OK);
        procs[p].data = (uint8_t *)(uintptr_t)seg.paddr;
    }
    for (unsigned i = 0; i < 3; i++)
        ep_init(&eps[i]);
    for (unsigned i = 0; i < 2; i++)
        ntfn_init(&ntfns[i]);
    pinned(&audit_obj.hdr, ANV_OBJ_AUDIT);
    pinned(&console_obj.hdr, ANV_OBJ_CONSOLE);
    pinned(&sysctl_obj.hdr, ANV_OBJ_SYSCTL);
    pinned(&irq_obj.hdr, ANV_OBJ_IRQ);
    assert_int_equal(irq_bind(&irq_obj, STRESS_IRQ, &ntfns[0], 0x40), ANV_OK);

    /* Threads, each with an IPC buffer frame mapped read-write in its address space. */
    const uint8_t prio[NTHREADS] = {5, 5, 7, 3};
    struct cap *r_thread[NTHREADS], *r_ipc[NTHREADS];
    for (unsigned k = 0; k < NTHREADS; k++) {
        struct sproc *pr = &procs[thread_proc[k]];
        struct thread *t = hk_zalloc(sizeof(*t));
        thread_init(t, pr->cs, pr->vs, prio[k]);
        /* One thread runs on a budget so throttling and replenishment happen too. */
        assert_int_equal(k == 2 ? sched_admit(t, 3, 10) : sched_admit(t, 0, 0), ANV_OK);
        struct frame *f = hk_zalloc(sizeof(*f));
        pinned(&f->hdr, ANV_OBJ_FRAME);
        f->paddr = (uint64_t)(uintptr_t)hk_pages(1);
        f->pages = 1;
        t->ipc_buffer = (struct anv_ipc_buffer *)(uintptr_t)f->paddr;
        t->ipc_buffer_vaddr = IPC_VA_BASE + k * ANV_PAGE_SIZE;
        assert_int_equal(vs_map_check(pr->vs, t->ipc_buffer_vaddr, ANV_RIGHT_READ | ANV_RIGHT_WRITE),
                         ANV_OK);
        vs_map(pr->vs, t->ipc_buffer_vaddr, f->paddr, ANV_RIGHT_READ | ANV_RIGHT_WRITE);
        t->fault_ep_slot = S_FAULT;
        t->fault_badge = 0xF0 + k;
        threads[k] = t;
        r_thread[k] = root_slot(root, &next, &t->hdr);
        r_ipc[k] = root_slot(root, &next, &f->hdr);
        /* The loader's way in: a start state thread.restart can return to. */
        const struct thread_start start = {t->ipc_buffer_vaddr, 0x200000, t->ipc_buffer_vaddr,
                                           HK_SLOTS, k};
        proc_start_thread(pr->rec, t, &start, false);
    }

    struct cap *r_cs[NPROC], *r_vs[NPROC], *r_pool[NPROC];
    for (unsigned p = 0; p < NPROC; p++) {
        r_cs[p] = root_slot(root, &next, &procs[p].cs->hdr);
        r_vs[p] = root_slot(root, &next, &procs[p].vs->hdr);
        r_pool[p] = root_slot(root, &next, &procs[p].pool->hdr);
    }
    struct cap *r_ep0 = root_slot(root, &next, &eps[0].hdr);
    struct cap *r_ep1 = root_slot(root, &next, &eps[1].hdr);
    struct cap *r_ntfn0 = root_slot(root, &next, &ntfns[0].hdr);
    struct cap *r_audit = root_slot(root, &next, &audit_obj.hdr);
    struct cap *r_console = root_slot(root, &next, &console_obj.hdr);
    struct cap *r_sysctl = root_slot(root, &next, &sysctl_obj.hdr);
    struct cap *r_irq = root_slot(root, &next, &irq_obj.hdr);

    const uint32_t R = ANV_RIGHT_READ, W = ANV_RIGHT_WRITE, RW = R | W;
    const uint32_t RWG = RW | ANV_RIGHT_GRANT;
    for (unsigned p = 0; p < NPROC; p++) {
        unsigned first = p == 0 ? 0 : p + 1; /* first thread of the process */
        add_seed(p, S_CSPACE, r_cs[p], RW, 0);
        add_seed(p, S_VSPACE, r_vs[p], RW, 0);
        add_seed(p, S_THREAD, r_thread[first], RW, 0);
        add_seed(p, S_IPCBUF, r_ipc[first], RW, 0);
        add_seed(p, S_FAULT, r_ep0, W, p + 1);
        add_seed(p, S_CONSOLE, r_console, W, 0);
        add_seed(p, S_POOL, r_pool[p], RW, 0);
        add_seed(p, S_EP0, r_ep0, RWG, 0);
        add_seed(p, S_EP1, r_ep1, p == 1 ? RW : RWG, 0);
        add_seed(p, S_NTFN0, r_ntfn0, RW, 0);
        add_seed(p, S_NTFN0_BADGED, r_ntfn0, W, 1ull << p);
        for (unsigned k = 0; k < NTHREADS; k++)
            add_seed(p, S_THREADS + k, r_thread[k], k == 3 ? W : RW, 0);
        add_seed(p, S_NEXT_CSPACE, r_cs[(p + 1) % NPROC], W, 0);
        add_seed(p, S_AUDIT, r_audit, R, 0);
        add_seed(p, S_SYSCTL, r_sysctl, W, 0);
        add_seed(p, S_IRQ, r_irq, W, 0);
        add_seed(p, S_EP1_BADGED, r_ep1, W, 0x100 + p);
        if (p != 0) {
            add_seed(p, S_EP2, &procs[0].cs->slots[S_EP2], RWG, 0);
            add_seed(p, S_NTFN1, &procs[0].cs->slots[S_NTFN1], RW, 0);
        }
    }
    replenish();
    assert_int_equal(invariants_check_all(), 0);
}

/* ---- Random arguments ------------------------------------------------------------- */

static uint64_t plausible_handle(const struct cspace *cs)
{
    uint32_t slot = 0;
    if (chance(60)) {
        /* Aim at filled slots most of the time: that is where the work happens. */
        for (unsigned tries = 0; tries < 8; tries++) {
            slot = 1 + below(cs->size - 1);
            if (cs->slots[slot].obj)
                break;
        }
    } else {
        slot = below(cs->size + 3); /* includes slot 0 and out of range */
    }
    uint32_t gen = slot < cs->size ? cs->slots[slot].generation : 0;
    switch (below(12)) {
    case 0: gen++; break;
    case 1: gen--; break;
    case 2: gen = (uint32_t)rng(); break;
    default: break;
    }
    return anv_handle_make(slot, gen);
}

static uint64_t rand_handle(const struct cspace *cs)
{
    uint32_t k = below(100);
    if (k < 85)
        return plausible_handle(cs);
    if (k < 89)
        return ANV_HANDLE_NULL;
    if (k < 94)
        return rng();
    if (k < 97)
        return plausible_handle(cs) | (1ull << (56 + below(4))); /* reserved bits */
    return (plausible_handle(cs) & ~(0xFull << 60)) | ((uint64_t)below(16) << 60);
}

/* Half the time, a handle to a capability of the type the syscall wants, so calls get
 * past resolution into the object code rather than being refused at the door. */
static uint64_t typed_handle(const struct cspace *cs, uint8_t type)
{
    uint32_t start = below(cs->size);
    for (uint32_t k = 0; k < cs->size; k++) {
        uint32_t slot = (start + k) % cs->size;
        if (cs->slots[slot].obj && cs->slots[slot].type == type)
            return chance(95) ? cap_handle(&cs->slots[slot])
                              : anv_handle_make(slot, cs->slots[slot].generation + 1);
    }
    return rand_handle(cs);
}

static uint8_t wanted_type(uint64_t nr)
{
    switch (nr) {
    case ANV_SYS_IPC_SEND:
    case ANV_SYS_IPC_CALL:
    case ANV_SYS_IPC_RECEIVE:
    case ANV_SYS_IPC_REPLY_RECV: return ANV_OBJ_ENDPOINT;
    case ANV_SYS_IPC_CANCEL:
    case ANV_SYS_CANCEL_TOKEN:
    case ANV_SYS_THREAD_RESUME:
    case ANV_SYS_THREAD_STOP:
    case ANV_SYS_THREAD_RESTART: return ANV_OBJ_THREAD;
    case ANV_SYS_WAIT_ONE:
    case ANV_SYS_NTFN_SIGNAL: return ANV_OBJ_NOTIFICATION;
    case ANV_SYS_MEM_FRAME_ALLOC: return ANV_OBJ_POOL;
    case ANV_SYS_MEM_MAP: return ANV_OBJ_FRAME;
    case ANV_SYS_MEM_UNMAP: return ANV_OBJ_MAPPING;
    case ANV_SYS_AUDIT_READ: return ANV_OBJ_AUDIT;
    case ANV_SYS_DEBUG_WRITE: return ANV_OBJ_CONSOLE;
    case ANV_SYS_SYSTEM_SHUTDOWN: return ANV_OBJ_SYSCTL;
    case ANV_SYS_IRQ_ACK: return ANV_OBJ_IRQ;
    default: return ANV_OBJ_NULL;
    }
}

static uint64_t rand_rights(void)
{
    uint32_t k = below(100);
    if (k < 85)
        return below(16);
    if (k < 95)
        return below(256);
    return rng();
}

static uint64_t rand_slot_index(void)
{
    uint32_t k = below(100);
    if (k < 90)
        return below(HK_SLOTS + 3);
    if (k < 95)
        return 0xFFFFFFull + below(3);
    return rng();
}

static uint64_t rand_info(void)
{
    uint32_t words, caps;
    uint32_t k = below(100);
    words = k < 70 ? below(5) : k < 92 ? 5 + below(60) : 64 + below(192);
    k = below(100);
    caps = k < 78 ? 0 : k < 96 ? 1 + below(4) : 5 + below(11);
    uint32_t label = chance(30) ? below(4) : (uint32_t)rng();
    uint64_t info = anv_msginfo(label, words, caps);
    if (chance(4))
        info |= (uint64_t)(uint32_t)rng() & 0xFFFFF000u; /* reserved bits */
    return info;
}

static uint64_t rand_vaddr(void)
{
    uint32_t k = below(100);
    if (k < 80)
        return ANV_USER_BASE + (uint64_t)below(MAP_VA_PAGES) * ANV_PAGE_SIZE;
    if (k < 83)
        return ((uint64_t)(1 + below(255)) << 30) + (uint64_t)below(4) * ANV_PAGE_SIZE;
    if (k < 88)
        return IPC_VA_BASE + (uint64_t)below(NTHREADS) * ANV_PAGE_SIZE; /* overlap */
    if (k < 93)
        return ANV_USER_BASE + below(MAP_VA_PAGES * ANV_PAGE_SIZE); /* unaligned */
    if (k < 96)
        return ANV_USER_TOP - ANV_PAGE_SIZE * below(2);
    return rng();
}

static void fill_ipc_buffer(struct thread *t)
{
    struct anv_ipc_buffer *b = t->ipc_buffer;
    for (unsigned i = 0; i < ANV_IPC_MAX_CAPS; i++) {
        b->caps_out[i] = chance(50) ? typed_handle(t->cspace, (uint8_t)(1 + below(12)))
                                    : rand_handle(t->cspace);
        b->caps_out_rights[i] = chance(90) ? below(16) : rng();
    }
    for (unsigned i = 0; i < 8; i++)
        b->mr[below(ANV_IPC_MAX_WORDS)] = rng();
}

static uint64_t rand_nr(void)
{
    uint32_t k = below(100);
    if (k < 92)
        return below(ANV_SYS_COUNT);
    if (k < 97)
        return ANV_SYS_COUNT + below(8);
    return rng();
}

static void set_args(struct thread *t)
{
    uint64_t *r = t->frame.regs;
    uint64_t nr = rand_nr();
    for (unsigned i = REG_A0; i <= REG_A6; i++)
        r[i] = chance(50) ? below(64) : rng();
    r[REG_A7] = nr;
    uint8_t type = wanted_type(nr);
    r[REG_A0] = type != ANV_OBJ_NULL && chance(50) ? typed_handle(t->cspace, type)
                                                   : rand_handle(t->cspace);
    switch (nr) {
    case ANV_SYS_CAP_DELEGATE:
        r[REG_A1] = chance(50)   ? ANV_HANDLE_NULL
                    : chance(60) ? typed_handle(t->cspace, ANV_OBJ_CSPACE)
                                 : rand_handle(t->cspace);
        r[REG_A2] = rand_slot_index();
        r[REG_A3] = rand_rights();
        r[REG_A4] = chance(70) ? 0 : chance(80) ? below(1024) : rng();
        break;
    case ANV_SYS_IPC_SEND:
    case ANV_SYS_IPC_CALL:
    case ANV_SYS_IPC_REPLY:
    case ANV_SYS_IPC_REPLY_RECV:
        r[REG_A1] = rand_info();
        fill_ipc_buffer(t);
        break;
    case ANV_SYS_WAIT_ONE:
        if (chance(20))
            r[REG_A0] = ANV_HANDLE_NULL;
        r[REG_A1] = chance(40) ? 0 : chance(95) ? 1 + below(8) : rng();
        break;
    case ANV_SYS_MEM_FRAME_ALLOC:
        r[REG_A1] = rand_slot_index();
        break;
    case ANV_SYS_MEM_MAP:
        r[REG_A1] = rand_vaddr();
        r[REG_A2] = rand_rights();
        break;
    case ANV_SYS_AUDIT_READ:
        r[REG_A1] = chance(90) ? audit_next_seq() - below(ANV_AUDIT_RING + 10) : rng();
        break;
    case ANV_SYS_DEBUG_WRITE:
        r[REG_A1] = chance(85) ? t->ipc_buffer_vaddr + below(ANV_PAGE_SIZE) : rand_vaddr();
        r[REG_A2] = chance(95) ? below(300) : rng();
        break;
    case ANV_SYS_THREAD_RESTART:
        r[REG_A1] = chance(60) ? 0 : chance(85) ? ANV_RESTART_RELOAD : rng();
        r[REG_A2] = rng();
        break;
    default:
        break;
    }
}

/* A handle to an endpoint capability of t's with `right` whose endpoint `want_receiver`
 * says has a receiver waiting (or any, when false); ANV_HANDLE_NULL if none. */
static uint64_t endpoint_handle(const struct thread *t, uint32_t right, bool want_receiver)
{
    const struct cspace *cs = t->cspace;
    uint32_t start = below(cs->size);
    for (uint32_t k = 0; k < cs->size; k++) {
        const struct cap *c = &cs->slots[(start + k) % cs->size];
        if (!c->obj || c->type != ANV_OBJ_ENDPOINT || !(c->rights & right))
            continue;
        const struct endpoint *ep = (const struct endpoint *)c->obj;
        if (want_receiver && (ep->queue_is_senders || !ep->queue.head))
            continue;
        return cap_handle(c);
    }
    return ANV_HANDLE_NULL;
}

/* Now and then the call a client or server of a real system would make, so the
 * fastpath's conditions (a receiver waiting, a reply owed) come up often enough to
 * compare it with the general path thousands of times: ipc.call to an endpoint with a
 * receiver, or ipc.reply_recv by a thread that owes a reply, register-only. */
static void maybe_plausible_ipc(struct thread *t)
{
    if (!chance(40))
        return;
    uint64_t *r = t->frame.regs;
    uint64_t h;
    if (t->reply_to)
        h = endpoint_handle(t, ANV_RIGHT_READ, false);
    else
        h = endpoint_handle(t, ANV_RIGHT_WRITE, true);
    /* Every 16th time the handle this thread last used the same way, as a program
     * keeps using a handle it holds, whether or not its capability is still there: the
     * fastpath's memo of it is then live or stale (count_memo). Counted, not drawn, so
     * the random stream is the one the run had before memos existed. */
    static unsigned reuse;
    const struct ep_lookup_memo *memo = t->reply_to ? &t->recv_memo : &t->call_memo;
    if (memo->handle && ++reuse % 16 == 0)
        h = memo->handle;
    if (h == ANV_HANDLE_NULL)
        return;
    r[REG_A7] = t->reply_to ? ANV_SYS_IPC_REPLY_RECV : ANV_SYS_IPC_CALL;
    r[REG_A0] = h;
    r[REG_A1] = anv_msginfo(chance(50) ? below(4) : (uint32_t)rng(), below(5), 0);
    for (unsigned i = REG_A2; i <= REG_A6; i++)
        r[i] = rng();
}

/* ---- Keeping the run going -------------------------------------------------------- */

static bool is_blocked(const struct thread *t)
{
    return t->state == TS_BLOCKED_SEND || t->state == TS_BLOCKED_RECV ||
           t->state == TS_BLOCKED_REPLY || t->state == TS_BLOCKED_WAIT;
}

static unsigned unblocked_by_harness, resumed_by_harness, ticks;

static void tick(void)
{
    sched_tick(now + 1, now + 1), now++;
    ticks++;
}

/* The next thread to run: the scheduler's choice; when nothing is ready, the harness
 * plays the part of an outside event (cancel a wait, let time pass, resume a stopped
 * thread) so the run never stalls. */
static struct thread *pick_runnable(void)
{
    for (unsigned tries = 0; tries < 64; tries++) {
        struct thread *t = sched_choose();
        if (t)
            return t;
        unsigned start = below(NTHREADS);
        bool acted = false;
        for (unsigned k = 0; k < NTHREADS && !acted; k++) {
            struct thread *c = threads[(start + k) % NTHREADS];
            if (is_blocked(c)) {
                thread_abort_wait(c, ANV_E_CANCELLED);
                unblocked_by_harness++;
                acted = true;
            }
        }
        for (unsigned k = 0; k < NTHREADS && !acted; k++) {
            struct thread *c = threads[(start + k) % NTHREADS];
            if (c->state == TS_INACTIVE) {
                sched_make_ready(c);
                resumed_by_harness++;
                acted = true;
            }
        }
        if (!acted)
            tick(); /* only throttled threads: wait for the replenishment */
    }
    fail_msg("no thread could be made runnable");
    return NULL;
}

static void check_invariants(unsigned step, const struct thread *t)
{
    unsigned bad = invariants_check_all();
    if (bad) {
        trace_dump();
        fail_msg("step %u (thread %u, syscall %llu): %u invariant violations, seed 0x%llx",
                 step, t->hdr.id, (unsigned long long)t->frame.regs[REG_A7], bad,
                 (unsigned long long)seed_used);
    }
}

static unsigned thread_index(const struct thread *t)
{
    for (unsigned k = 0; k < NTHREADS; k++)
        if (threads[k] == t)
            return k;
    return NTHREADS;
}

/* The process a thread.restart with RELOAD in t's registers would reload, if its handle
 * names a thread; NULL for any other call. */
static struct proc *reload_target_of(const struct thread *t)
{
    const uint64_t *r = t->frame.regs;
    struct cap *c;
    if (r[REG_A7] != ANV_SYS_THREAD_RESTART || r[REG_A1] != ANV_RESTART_RELOAD ||
        cspace_lookup_cap(t->cspace, r[REG_A0], ANV_OBJ_THREAD, 0, &c) != ANV_OK)
        return NULL;
    return ((const struct thread *)c->obj)->proc;
}

/* After a successful RELOAD: the data segment is its file bytes again and nothing is left
 * above the manifest's slots. */
static void check_reloaded(unsigned step, const struct proc *rec)
{
    const struct sproc *p = NULL;
    for (unsigned i = 0; i < NPROC; i++)
        if (procs[i].rec == rec)
            p = &procs[i];
    assert_non_null(p);
    for (uint32_t i = 0; i < ANV_PAGE_SIZE; i++) {
        uint8_t want = i >= 0x40 && i < 0x40 + DATA_FILE_BYTES ? data_file[i - 0x40] : 0;
        if (p->data[i] != want) {
            trace_dump();
            fail_msg("step %u: reloaded byte 0x%x is 0x%x, want 0x%x", step, i, p->data[i], want);
        }
    }
    for (uint32_t s = S_MANIFEST_TOP + 1; s < p->cs->size; s++)
        if (p->cs->slots[s].obj) {
            trace_dump();
            fail_msg("step %u: slot %u survived a reload", step, s);
        }
}

/* ---- The fastpath against the general path ----------------------------------------- */

struct snapshot {
    struct thread threads[NTHREADS];
    struct endpoint eps[3];
    struct notification ntfns[2];
    struct cap slots[NPROC][HK_SLOTS];
    struct anv_ipc_buffer ipcbufs[NTHREADS];
    struct thread_queue ready;
    struct thread *running, *accounted;
    uint64_t audit_seq;
};

static struct snapshot snap_before, snap_fast, snap_slow;

static void snap_take(struct snapshot *s)
{
    for (unsigned k = 0; k < NTHREADS; k++) {
        s->threads[k] = *threads[k];
        s->ipcbufs[k] = *threads[k]->ipc_buffer;
    }
    memcpy(s->eps, eps, sizeof eps);
    memcpy(s->ntfns, ntfns, sizeof ntfns);
    for (unsigned p = 0; p < NPROC; p++) {
        assert_true(procs[p].cs->size <= HK_SLOTS);
        memcpy(s->slots[p], procs[p].cs->slots, procs[p].cs->size * sizeof(struct cap));
    }
    s->ready = sched_ready;
    s->running = sched_current();
    s->accounted = sched_accounted;
    s->audit_seq = audit_next_seq();
}

/* Every object back to the recorded bytes: the pointers between them stay valid, as
 * each object is restored at its own address. The audit ring is only compared: a call
 * the fastpath takes logs nothing, so both paths must leave its sequence unchanged. */
static void snap_restore(const struct snapshot *s)
{
    for (unsigned k = 0; k < NTHREADS; k++) {
        *threads[k] = s->threads[k];
        *threads[k]->ipc_buffer = s->ipcbufs[k];
    }
    memcpy(eps, s->eps, sizeof eps);
    memcpy(ntfns, s->ntfns, sizeof ntfns);
    for (unsigned p = 0; p < NPROC; p++)
        memcpy(procs[p].cs->slots, s->slots[p], procs[p].cs->size * sizeof(struct cap));
    sched_ready = s->ready;
    sched_running = s->running;
    sched_accounted = s->accounted;
}

/* The first difference, named, or NULL when the two states are the same. */
static const char *snap_diff(const struct snapshot *a, const struct snapshot *b, char *why,
                             size_t len)
{
    /* The fastpath's lookup memos are not state (nothing but the fastpath reads them,
     * and it checks each before use): they are left out of the comparison. */
    const size_t memo_lo = offsetof(struct thread, call_memo);
    const size_t memo_hi = offsetof(struct thread, recv_memo) + sizeof(struct ep_lookup_memo);
    for (unsigned k = 0; k < NTHREADS; k++) {
        const unsigned char *x = (const unsigned char *)&a->threads[k];
        const unsigned char *y = (const unsigned char *)&b->threads[k];
        for (size_t i = 0; i < sizeof(struct thread); i++)
            if ((i < memo_lo || i >= memo_hi) && x[i] != y[i]) {
                snprintf(why, len, "thread %u differs at byte %zu (frame at %zu, regs[%zu])",
                         k, i, offsetof(struct thread, frame),
                         (i - offsetof(struct thread, frame)) / 8);
                return why;
            }
        if (memcmp(&a->ipcbufs[k], &b->ipcbufs[k], sizeof a->ipcbufs[k]) != 0) {
            snprintf(why, len, "IPC buffer of thread %u", k);
            return why;
        }
    }
    for (unsigned e = 0; e < 3; e++)
        if (memcmp(&a->eps[e], &b->eps[e], sizeof a->eps[e]) != 0) {
            snprintf(why, len, "endpoint %u", e);
            return why;
        }
    if (memcmp(a->ntfns, b->ntfns, sizeof a->ntfns) != 0)
        return "notifications";
    for (unsigned p = 0; p < NPROC; p++)
        for (uint32_t i = 0; i < procs[p].cs->size; i++)
            if (memcmp(&a->slots[p][i], &b->slots[p][i], sizeof(struct cap)) != 0) {
                snprintf(why, len, "CSpace %u slot %u", p, i);
                return why;
            }
    if (a->ready.head != b->ready.head || a->ready.length != b->ready.length)
        return "ready queue";
    if (a->running != b->running)
        return "running thread";
    if (a->accounted != b->accounted)
        return "accounted thread";
    if (a->audit_seq != b->audit_seq)
        return "audit ring";
    return NULL;
}

static unsigned fast_hits, fast_declined, memo_live, memo_stale;

/* Whether this call's lookup will be answered by the thread's memo (its handle is the
 * memo's and the slot still has the handle's generation) or meets a stale memo (same
 * handle, the slot emptied since): the run must exercise both, next to the general path. */
static void count_memo(const struct thread *t)
{
    const struct ep_lookup_memo *m =
        t->frame.regs[REG_A7] == ANV_SYS_IPC_CALL ? &t->call_memo : &t->recv_memo;
    if (!m->cap || m->handle != t->frame.regs[REG_A0])
        return;
    if (m->cap->generation == anv_handle_generation(m->handle))
        memo_live++;
    else
        memo_stale++;
}

/* One ipc.call or ipc.reply_recv as the kernel runs it: trap_entry.S marks the frame
 * partial, the fastpath is tried, the general path runs when it declines. Here the
 * general path also runs when it does not, from the same state, to compare. */
static void ipc_both_ways(unsigned step, struct thread *t)
{
    t->frame_partial = 1;
    count_memo(t);
    snap_take(&snap_before);
    char why[160];
    const char *diff;
    struct thread *next = fastpath_try(t);
    if (!next) {
        fast_declined++;
        snap_take(&snap_fast);
        diff = snap_diff(&snap_before, &snap_fast, why, sizeof why);
        if (diff) {
            trace_dump();
            fail_msg("step %u: the fastpath declined but changed the %s", step, diff);
        }
        syscall_dispatch(t);
        return;
    }
    fast_hits++;
    if (sched_current() != next || sched_ready.head != next) {
        trace_dump();
        fail_msg("step %u: the fastpath runs thread %u, not the ready queue's head", step,
                 next->hdr.id);
    }
    snap_take(&snap_fast);
    snap_restore(&snap_before);
    syscall_dispatch(t);
    sched_choose(); /* the general path's exit to user picks the next thread */
    snap_take(&snap_slow);
    /* The memos the fastpath made stay (the state is the same either way), so that
     * later calls run the fastpath's memo hits as the kernel does. */
    for (unsigned k = 0; k < NTHREADS; k++) {
        threads[k]->call_memo = snap_fast.threads[k].call_memo;
        threads[k]->recv_memo = snap_fast.threads[k].recv_memo;
    }
    diff = snap_diff(&snap_fast, &snap_slow, why, sizeof why);
    if (diff) {
        trace_dump();
        fail_msg("step %u (thread %u, syscall %llu): fastpath and general path differ: %s",
                 step, t->hdr.id, (unsigned long long)t->frame.regs[REG_A7], diff);
    }
}

static void test_syscall_stress(void **state)
{
    (void)state;
    const char *env_seed = getenv("ANV_STRESS_SEED");
    const char *env_calls = getenv("ANV_STRESS_CALLS");
    seed_used = env_seed ? strtoull(env_seed, NULL, 0) : 0xA17A7A5EEDull;
    unsigned calls = env_calls ? (unsigned)strtoul(env_calls, NULL, 0) : STRESS_CALLS;
    const char *env_faults = getenv("ANV_STRESS_FAULTS");
    bool inject_faults = !env_faults || strcmp(env_faults, "0") != 0;
    const char *env_fast = getenv("ANV_STRESS_FASTPATH");
    bool use_fastpath = !env_fast || strcmp(env_fast, "0") != 0;
    rng_state = seed_used ? seed_used : 1;
    stubs.on_panic = trace_dump;

    build_system();
    unsigned ok[ANV_SYS_COUNT + 1] = {0}, refused = 0, blocked = 0, faults = 0, irqs = 0;
    unsigned reloads = 0;
    struct thread *cur = pick_runnable();

    for (unsigned step = 1; step <= calls; step++) {
        /* Outside events: time, interrupts, faults, preemption, re-seeding. */
        if (chance(3))
            tick();
        if (below(400) == 0) {
            irq_deliver(STRESS_IRQ);
            irqs++;
        }
        if (step % 256 == 0)
            replenish();
        if (chance(10) || cur->state != TS_READY || sched_current() != cur)
            cur = pick_runnable();
        if (below(600) == 0 && inject_faults) {
            fault_raise(cur, 13, rng());
            faults++;
            check_invariants(step, cur);
            cur = pick_runnable();
        }

        /* A running thread writes its data, so a RELOAD has something to restore. */
        if (chance(5))
            procs[thread_proc[thread_index(cur)]].data[below(ANV_PAGE_SIZE)] = (uint8_t)rng();

        set_args(cur);
        maybe_plausible_ipc(cur);
        struct proc *reload_target = reload_target_of(cur);
        struct trace_entry *e = &trace[trace_step++ % TRACE];
        e->step = step;
        e->thread = thread_index(cur);
        memcpy(e->regs, &cur->frame.regs[REG_A0], sizeof(e->regs));
        uint64_t nr = cur->frame.regs[REG_A7];
        e->a0_after = ~0ull; /* marks the call in progress if it panics */
        e->state_after = -1;

        if (nr == ANV_SYS_IPC_CALL || nr == ANV_SYS_IPC_REPLY_RECV) {
            if (use_fastpath)
                ipc_both_ways(step, cur);
            else {
                cur->frame_partial = 1; /* trap_entry.S marks them so either way */
                syscall_dispatch(cur);
            }
        } else {
            cur->frame_partial = 0; /* every other syscall saves the whole frame */
            syscall_dispatch(cur);
        }

        e->a0_after = cur->frame.regs[REG_A0];
        e->state_after = cur->state;
        check_invariants(step, cur);
        if (cur->state == TS_READY) {
            uint64_t err = cur->frame.regs[REG_A0];
            if (err >= ANV_E_COUNT) {
                trace_dump();
                fail_msg("step %u: syscall %llu returned %llu", step, (unsigned long long)nr,
                         (unsigned long long)err);
            }
            if (err == ANV_OK)
                ok[nr < ANV_SYS_COUNT ? nr : ANV_SYS_COUNT]++;
            else
                refused++;
            if (err == ANV_OK && reload_target) {
                check_reloaded(step, reload_target);
                reloads++;
            }
        } else {
            blocked++;
        }
    }

    print_message("%u calls (seed 0x%llx): %u refused, %u blocked, %u ticks, %u faults, "
                  "%u irqs, harness unblocked %u and resumed %u, %u shutdown hook calls, "
                  "%u reloads\n",
                  calls, (unsigned long long)seed_used, refused, blocked, ticks, faults, irqs,
                  unblocked_by_harness, resumed_by_harness, stubs.shutdown_calls, reloads);
    for (unsigned nr = 0; nr <= ANV_SYS_COUNT; nr++)
        print_message("  syscall %2u: %u succeeded\n", nr, ok[nr]);
    print_message("fastpath %s: %u calls taken (each matched the general path), %u declined; "
                  "lookups from the memo %u, stale memos %u\n",
                  use_fastpath ? "on" : "off", fast_hits, fast_declined, memo_live, memo_stale);
    assert_true(invariants_checks_run() >= calls);
    /* Invalid numbers never succeed; the main operations must have succeeded often
     * enough that the run tested them, not just their refusals. */
    assert_int_equal(ok[ANV_SYS_COUNT], 0);
    if (calls >= STRESS_CALLS) {
        const unsigned must[] = {ANV_SYS_CAP_DELEGATE, ANV_SYS_CAP_REVOKE, ANV_SYS_CAP_DELETE,
                                 ANV_SYS_IPC_SEND, ANV_SYS_IPC_RECEIVE, ANV_SYS_IPC_REPLY,
                                 ANV_SYS_MEM_FRAME_ALLOC, ANV_SYS_MEM_MAP, ANV_SYS_NTFN_SIGNAL,
                                 ANV_SYS_DEBUG_WRITE, ANV_SYS_THREAD_STOP,
                                 ANV_SYS_THREAD_RESTART};
        for (unsigned i = 0; i < sizeof(must) / sizeof(must[0]); i++)
            assert_true(ok[must[i]] > 0);
        assert_true(reloads > 0);
        if (use_fastpath) {
            assert_true(fast_hits >= 100);
            assert_true(memo_live >= 50);
            assert_true(memo_stale > 0);
        }
    }
    stubs.on_panic = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_syscall_stress, hk_setup, hk_teardown),
    };
    return cmocka_run_group_tests_name("kernel-stress", tests, NULL, NULL);
}
