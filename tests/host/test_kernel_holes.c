/* Regression tests for the kernel holes of issue 9 (5-7): each test makes the attack or
 * the corruption the hole allowed and checks the kernel now refuses it, panics on it or
 * records it. Built like test_kernel_objects.c, on the same host kernel library; the
 * manifest tests decode the kirq system's real manifest (argv[1]). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <anvaya/abi.h>

#include "core/audit.h"
#include "object/cspace.h"
#include "object/endpoint.h"
#include "core/invariants.h"
#include "object/irq.h"
#include "kernel_stubs.h"
#include "boot/manifest.h"
#include "object/notification.h"
#include "core/sched.h"
#include "core/syscall.h"
#include "object/thread.h"

#define RW (ANV_RIGHT_READ | ANV_RIGHT_WRITE)
#define RWG (ANV_RIGHT_READ | ANV_RIGHT_WRITE | ANV_RIGHT_GRANT)

static const char *manifest_path;
static unsigned char *manifest_blob;
static size_t manifest_len;

/* ---- Hole 5: the manifest's abi_version --------------------------------------------- */

static void load_manifest(void)
{
    if (manifest_blob)
        return;
    FILE *f = fopen(manifest_path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > (long)sizeof(struct manifest_header));
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    manifest_blob = malloc((size_t)n);
    assert_non_null(manifest_blob);
    assert_int_equal(fread(manifest_blob, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    manifest_len = (size_t)n;
}

static void put32(unsigned char *b, size_t off, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        b[off + i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *b, size_t off)
{
    return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
           (uint32_t)b[off + 3] << 24;
}

/* Open a copy of the kirq manifest with abi_version replaced and the CRC recomputed, as
 * a tampered image would be built, so only the ABI check can refuse it. */
static enum manifest_error open_with_abi(uint32_t abi, struct manifest_view *v,
                                         unsigned char **copy)
{
    load_manifest();
    unsigned char *b = malloc(manifest_len);
    assert_non_null(b);
    memcpy(b, manifest_blob, manifest_len);
    put32(b, offsetof(struct manifest_header, abi_version), abi);
    put32(b, offsetof(struct manifest_header, crc32), 0);
    uint32_t total = get32(b, offsetof(struct manifest_header, total_size));
    put32(b, offsetof(struct manifest_header, crc32), manifest_crc32(b, total));
    *copy = b;
    return manifest_open(v, b, manifest_len);
}

static void expect_abi_refused(uint32_t abi)
{
    struct manifest_view v;
    unsigned char *b;
    assert_int_equal(open_with_abi(abi, &v, &b), MANIFEST_E_ABI);
    char want[MANIFEST_MESSAGE_MAX];
    snprintf(want, sizeof want, "header: abi_version 0x%x (%u.%u), this kernel implements ABI %u.%u",
             abi, abi >> 16, abi & 0xFFFFu, (unsigned)ANV_ABI_VERSION_MAJOR,
             (unsigned)ANV_ABI_VERSION_MINOR);
    assert_string_equal(v.message, want);
    assert_int_equal(v.bad_table, MANIFEST_NONE);
    /* A refused view has no entries, so the loader could not create anything. */
    struct manifest_process p;
    assert_false(manifest_process(&v, 0, &p));
    assert_int_equal(manifest_count(&v, MANIFEST_T_OBJECT), 0);
    free(b);
}

static void test_manifest_abi_matches(void **state)
{
    (void)state;
    load_manifest();
    /* The generator wrote the kernel's ABI, and the decoder accepts it. */
    assert_int_equal(get32(manifest_blob, offsetof(struct manifest_header, abi_version)),
                     ANV_ABI_VERSION);
    struct manifest_view v;
    unsigned char *b;
    assert_int_equal(open_with_abi(ANV_ABI_VERSION, &v, &b), MANIFEST_OK);
    assert_int_equal(v.abi_version, ANV_ABI_VERSION);
    assert_true(manifest_count(&v, MANIFEST_T_PROCESS) > 0);
    free(b);
#if ANV_ABI_VERSION_MINOR > 0
    /* A system built against an older minor only uses calls this kernel has. */
    assert_int_equal(open_with_abi(ANV_ABI_VERSION - 1u, &v, &b), MANIFEST_OK);
    free(b);
#endif
}

static void test_manifest_abi_mismatch_refused(void **state)
{
    (void)state;
    expect_abi_refused((ANV_ABI_VERSION_MAJOR + 1u) << 16);           /* next major */
    expect_abi_refused(ANV_ABI_VERSION + 1u);                         /* newer minor */
    expect_abi_refused((uint32_t)(ANV_ABI_VERSION_MAJOR - 1u) << 16); /* older major */
    expect_abi_refused(0);
    expect_abi_refused(0xFFFFFFFFu);
    /* The check reads the field, not the whole word: only the minor differs here. */
    expect_abi_refused(ANV_ABI_VERSION | 0x8000u);

    /* Unsealed, the same edit is corruption, and is reported as such. */
    load_manifest();
    unsigned char *b = malloc(manifest_len);
    assert_non_null(b);
    memcpy(b, manifest_blob, manifest_len);
    put32(b, offsetof(struct manifest_header, abi_version), ANV_ABI_VERSION ^ 0x10000u);
    struct manifest_view v;
    assert_int_equal(manifest_open(&v, b, manifest_len), MANIFEST_E_CHECKSUM);
    free(b);
}

/* ---- Hole 6: loop guards panic, the checker sees every CSpace, IRQ identity ---------- */

/* More CSpaces than the checker's old fixed table of 64 held, in static storage: the
 * checker keeps them registered for the whole run. */
#define MANY_CSPACES 70
#define MANY_SLOTS 4
static struct cspace many_cs[MANY_CSPACES];
static struct cap many_slots[MANY_CSPACES][MANY_SLOTS];
static bool many_registered;

static int holes_setup(void **state)
{
    hk_setup(state);
    for (unsigned i = 0; i < MANY_CSPACES; i++)
        cspace_init(&many_cs[i], many_slots[i], MANY_SLOTS);
    return 0;
}

static int holes_teardown(void **state)
{
    for (unsigned i = 0; i < MANY_CSPACES; i++)
        cspace_init(&many_cs[i], many_slots[i], MANY_SLOTS);
    return hk_teardown(state);
}

static struct endpoint *new_ep(void)
{
    struct endpoint *ep = hk_zalloc(sizeof(*ep));
    ep_init(ep);
    return ep;
}

static void assert_panicked_with(const char *want)
{
    if (!strstr(stubs.panic_msg, want))
        fail_msg("panic \"%s\" does not say \"%s\"", stubs.panic_msg, want);
}

static void test_invariants_cover_every_cspace(void **state)
{
    (void)state;
    uint32_t before = invariants_cspace_count();
    if (!many_registered) {
        for (unsigned i = 0; i < MANY_CSPACES; i++)
            invariants_register_cspace(&many_cs[i]);
        many_registered = true;
        assert_int_equal(invariants_cspace_count(), before + MANY_CSPACES);
    }
    uint32_t total = invariants_cspace_count();
    assert_true(total >= HK_CSPACES + MANY_CSPACES);
    /* Registering again is harmless: no duplicate, no cycle. */
    invariants_register_cspace(&many_cs[0]);
    invariants_register_cspace(&many_cs[MANY_CSPACES - 1]);
    assert_int_equal(invariants_cspace_count(), total);
    assert_int_equal(invariants_check_all(), 0);

    /* A corruption in the last (the 76th registered) CSpace is found. */
    struct cspace *last = &many_cs[MANY_CSPACES - 1];
    struct endpoint *ep = new_ep();
    struct cap *c = hk_install(last, 2, &ep->hdr, RW, 0, NULL);
    assert_int_equal(invariants_check_all(), 0);
    c->rights |= 0x80u; /* outside ANV_RIGHTS_ALL */
    stubs.console_len = 0;
    stubs.console[0] = '\0';
    assert_int_equal(invariants_check_all(), 1);
    char want[96];
    snprintf(want, sizeof want, "invariant violated: rights (%u, 2)", last->hdr.id);
    assert_non_null(strstr(stubs.console, want));
    c->rights = RW;
    assert_int_equal(invariants_check_all(), 0);

    /* And one in an empty slot of the 70th of this test's CSpaces. */
    many_cs[69].slots[3].first_child = c;
    assert_int_equal(invariants_check_all(), 1);
    many_cs[69].slots[3].first_child = 0;
    cap_delete(c);
    assert_int_equal(invariants_check_all(), 0);
}

static void test_irq_bind_keeps_identity(void **state)
{
    (void)state;
    static struct irq_handler h;
    static struct notification n;
    static struct kobj not_irq;
    ntfn_init(&n);
    kobj_init(&h.hdr, ANV_OBJ_IRQ);
    kobj_init(&not_irq, ANV_OBJ_CONSOLE);
    uint32_t id = h.hdr.id;
    struct cspace *cs = hk_cspace(0, 16);
    struct cap *c = hk_install(cs, 3, &h.hdr, ANV_RIGHT_WRITE, 0, NULL);
    assert_int_equal(h.hdr.refs, 1);

    /* Only an IRQ object can be bound; nothing else changes. */
    assert_int_equal(irq_bind((struct irq_handler *)(void *)&not_irq, 77, &n, 4),
                     ANV_E_INVALID_ARG);
    assert_int_equal(irq_bind(&h, 77, &n, 4), ANV_OK);
    assert_int_equal(h.hdr.id, id);
    assert_int_equal(h.hdr.refs, 1);
    assert_int_equal(h.hdr.type, ANV_OBJ_IRQ);
    assert_true(h.hdr.flags & KOBJ_PINNED);
    assert_int_equal(h.irq, 77);
    assert_int_equal(irq_bind(&h, 77, &n, 4), ANV_E_BUSY);
    assert_int_equal(h.hdr.id, id);

    /* The capability still names the same object: cap.identify answers the old id. */
    struct thread *t = hk_thread(cs, NULL, 10);
    t->frame.regs[REG_A7] = ANV_SYS_CAP_IDENTIFY;
    t->frame.regs[REG_A0] = cap_handle(c);
    syscall_dispatch(t);
    assert_int_equal(t->frame.regs[REG_A0], ANV_OK);
    assert_int_equal(t->frame.regs[REG_A1], ANV_OBJ_IRQ);
    assert_int_equal(t->frame.regs[REG_A4], id);

    irq_deliver(77);
    assert_true(h.pending);
    assert_int_equal(n.bits, 4);
    assert_int_equal(irq_ack(&h), ANV_OK);
    assert_int_equal(stubs.last_irq_complete, 77);
}

static void test_sleep_remove_of_unlisted_thread_panics(void **state)
{
    (void)state;
    struct thread *a = hk_thread(NULL, NULL, 5);
    struct thread *b = hk_thread(NULL, NULL, 5);
    struct thread *t = hk_thread(NULL, NULL, 5);
    sched_sleep_add(a, 100);
    sched_sleep_add(b, 200);
    /* The normal case still works and clears the flag. */
    sched_sleep_remove(b);
    assert_false(b->on_sleep_list);
    assert_int_equal(b->wait_deadline, 0);
    /* A thread flagged as sleeping but not on the list is a broken invariant: the old
     * code cleared the flag and went on. */
    t->on_sleep_list = true;
    t->wait_deadline = 50;
    assert_true(STUB_EXPECT_PANIC(sched_sleep_remove(t)));
    char want[96];
    snprintf(want, sizeof want, "sched: thread %u marked on the timeout list but not on it",
             t->hdr.id);
    assert_string_equal(stubs.panic_msg, want);
    assert_true(t->on_sleep_list); /* the evidence is left as found */
    assert_int_equal(t->wait_deadline, 50);
    assert_true(a->on_sleep_list);
}

static void test_sleep_list_cycle_panics(void **state)
{
    (void)state;
    struct thread *a = hk_thread(NULL, NULL, 5);
    struct thread *b = hk_thread(NULL, NULL, 5);
    struct thread *t = hk_thread(NULL, NULL, 5);
    sched_sleep_add(a, 100);
    sched_sleep_add(b, 200); /* list: b -> a */
    a->sleep_next = b;       /* b -> a -> b -> ... */
    t->on_sleep_list = true;
    assert_true(STUB_EXPECT_PANIC(sched_sleep_remove(t)));
    assert_string_equal(stubs.panic_msg, "sched: timeout list longer than 64 threads");
    /* The tick's wake-up walk, which used to stop after 64 steps, panics too. */
    assert_true(STUB_EXPECT_PANIC(sched_tick(1, 1)));
    assert_string_equal(stubs.panic_msg, "sched: timeout list longer than 64 threads");
}

static void test_revoke_cycle_panics(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct cap *root = hk_install(cs, 1, &ep->hdr, RW, 0, NULL);
    struct cap *child = hk_install(cs, 2, NULL, RW, 0, root);
    child->first_child = child; /* a descent that never reaches a leaf */
    assert_true(STUB_EXPECT_PANIC(cap_revoke(root)));
    assert_panicked_with("cdt: revoking slot 1 of cspace");
    assert_panicked_with("descendants deeper than");
}

static void test_delete_sibling_cycle_panics(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct cap *g = hk_install(cs, 1, &ep->hdr, RW, 0, NULL);
    struct cap *p = hk_install(cs, 2, NULL, RW, 0, g);
    struct cap *f = hk_install(cs, 3, NULL, RW, 0, p);
    /* f is p's child and, corruptly, also its grandparent's first child, linked to
     * itself: moving p's children up re-links f behind itself forever. The old guard
     * stopped after 16 million steps and emptied p's slot with f still pointing at it. */
    f->next_sibling = f;
    g->first_child = f;
    assert_true(STUB_EXPECT_PANIC(cap_delete(p)));
    assert_panicked_with("cdt: slot 2 of cspace");
    assert_panicked_with("more children than the");
}

/* A thread on an endpoint's queue that aborting cannot remove (its state says it is not
 * waiting there): the old teardown gave up after 33 tries and freed the endpoint under
 * it. */
static void test_endpoint_teardown_stuck_thread_panics(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct cap *c = hk_install(cs, 1, &ep->hdr, RW, 0, NULL);
    struct thread *t = hk_thread(cs, NULL, 5);
    assert_int_equal(ep_receive(t, c), ANV_OK);
    assert_ptr_equal(ep->queue.head, t);
    t->state = TS_INACTIVE;
    assert_true(STUB_EXPECT_PANIC(ep_destroy(ep)));
    char want[96];
    snprintf(want, sizeof want, "endpoint %u: thread %u (state %u) stays queued on it",
             ep->hdr.id, t->hdr.id, (unsigned)TS_INACTIVE);
    assert_string_equal(stubs.panic_msg, want);
    /* Deleting the capability it blocked through finds it the same way. */
    assert_true(STUB_EXPECT_PANIC(ep_cap_removed(c)));
    assert_string_equal(stubs.panic_msg, want);
}

/* An endpoint with one receiver more than the queue bound, queued behind the kernel's
 * back, all through capability `*c` in slot `slot`. */
static struct endpoint *overfull_endpoint(struct cspace *cs, uint32_t slot, struct cap **c)
{
    struct endpoint *ep = new_ep();
    *c = hk_install(cs, slot, &ep->hdr, RW, 0, NULL);
    for (unsigned i = 0; i <= ANV_IPC_QUEUE_MAX; i++) {
        struct thread *t = hk_thread(cs, NULL, 5);
        sched_block(t, TS_BLOCKED_RECV);
        t->blocked_on = &ep->hdr;
        t->blocked_cap = *c;
        tq_insert(&ep->queue, t);
    }
    return ep;
}

static void test_endpoint_queue_over_bound_panics(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct cap *c;
    char want[64];
    struct endpoint *ep = overfull_endpoint(cs, 1, &c);
    snprintf(want, sizeof want, "endpoint %u: more than %u threads queued", ep->hdr.id,
             ANV_IPC_QUEUE_MAX);
    assert_true(STUB_EXPECT_PANIC(ep_cap_removed(c)));
    assert_string_equal(stubs.panic_msg, want);

    sched_init(); /* room for another 33 threads in the scheduler's table of 64 */
    ep = overfull_endpoint(cs, 2, &c);
    snprintf(want, sizeof want, "endpoint %u: more than %u threads queued", ep->hdr.id,
             ANV_IPC_QUEUE_MAX);
    assert_true(STUB_EXPECT_PANIC(ep_destroy(ep)));
    assert_string_equal(stubs.panic_msg, want);
}

static void test_endpoint_senders_over_bound_panic(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct cap *c = hk_install(cs, 1, &ep->hdr, RW, 0, NULL);
    /* Queued senders whose messages became invalid (too long) are dropped one by one:
     * more of them than the bound is a broken queue, not a reason to stop and block the
     * receiver on an endpoint full of senders. */
    for (unsigned i = 0; i <= ANV_IPC_QUEUE_MAX + 1; i++) {
        struct thread *t = hk_thread(cs, NULL, 5);
        t->frame.regs[REG_A1] = anv_msginfo(0, ANV_IPC_MAX_WORDS + 1, 0);
        sched_block(t, TS_BLOCKED_SEND);
        t->blocked_on = &ep->hdr;
        t->blocked_cap = c;
        tq_insert(&ep->queue, t);
    }
    ep->queue_is_senders = 1;
    struct thread *r = hk_thread(cs, NULL, 5);
    assert_true(STUB_EXPECT_PANIC(ep_receive(r, c)));
    char want[64];
    snprintf(want, sizeof want, "endpoint %u: more than %u senders queued", ep->hdr.id,
             ANV_IPC_QUEUE_MAX);
    assert_string_equal(stubs.panic_msg, want);
}

static void test_notification_teardown_stuck_thread_panics(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct notification *n = hk_zalloc(sizeof(*n));
    ntfn_init(n);
    struct cap *c = hk_install(cs, 1, &n->hdr, RW, 0, NULL);
    struct thread *t = hk_thread(cs, NULL, 5);
    assert_int_equal(ntfn_wait(t, n, c, 0), ANV_OK);
    assert_ptr_equal(n->waiters.head, t);
    t->state = TS_READY; /* queued on the notification, yet "ready" */
    char want[96];
    snprintf(want, sizeof want, "notification %u: thread %u (state %u) stays queued on it",
             n->hdr.id, t->hdr.id, (unsigned)TS_READY);
    assert_true(STUB_EXPECT_PANIC(ntfn_destroy(n)));
    assert_string_equal(stubs.panic_msg, want);
    assert_true(STUB_EXPECT_PANIC(ntfn_cap_removed(c)));
    assert_string_equal(stubs.panic_msg, want);
}

/* ---- Hole 7: transfers are audited; receiving again releases the caller -------------- */

static void assert_audit(uint64_t seq, uint32_t event, uint32_t subject, uint32_t object,
                         uint64_t arg)
{
    struct audit_record rec;
    assert_int_equal(audit_get(seq, &rec), ANV_OK);
    assert_int_equal(rec.event, event);
    assert_int_equal(rec.subject, subject);
    assert_int_equal(rec.object, object);
    assert_int_equal(rec.arg, arg);
    assert_int_equal(rec.result, ANV_OK);
}

static void test_transfer_appends_one_record_per_capability(void **state)
{
    (void)state;
    struct cspace *scs = hk_cspace(0, 16), *rcs = hk_cspace(1, 16);
    struct endpoint *ep = new_ep();
    struct cap *ep_s = hk_install(scs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *ep_r = hk_install(rcs, 1, NULL, RWG, 0, ep_s);
    struct notification *n = hk_zalloc(sizeof(*n));
    ntfn_init(n);
    struct endpoint *gift = new_ep();
    struct cap *nc = hk_install(scs, 2, &n->hdr, RW, 0, NULL);
    struct cap *gc = hk_install(scs, 3, &gift->hdr, RWG, 0, NULL);
    struct thread *tx = hk_thread(scs, NULL, 5);
    struct thread *rx = hk_thread(rcs, NULL, 5);

    /* A send with two capabilities: two records, each naming the sender, the object
     * and the rights the receiver got (the source's rights under the mask). */
    uint64_t info = anv_msginfo(1, 0, 2);
    tx->ipc_buffer->caps_out[0] = cap_handle(nc);
    tx->ipc_buffer->caps_out_rights[0] = ANV_RIGHT_READ | ANV_RIGHT_GRANT;
    tx->ipc_buffer->caps_out[1] = cap_handle(gc);
    tx->ipc_buffer->caps_out_rights[1] = ANV_RIGHTS_ALL;
    uint64_t seq = audit_next_seq();
    assert_int_equal(ep_receive(rx, ep_r), ANV_OK);
    tx->frame.regs[REG_A1] = info;
    assert_int_equal(ep_send(tx, ep_s, info, true), ANV_OK);
    assert_int_equal(audit_next_seq(), seq + 2);
    assert_audit(seq, ANV_AUDIT_TRANSFER, tx->hdr.id, n->hdr.id, ANV_RIGHT_READ);
    assert_audit(seq + 1, ANV_AUDIT_TRANSFER, tx->hdr.id, gift->hdr.id, RWG);
    assert_ptr_equal(rx->reply_to, tx);

    /* The reply carries one back (the call went through a GRANT capability): one record,
     * the server as subject. */
    struct endpoint *back = new_ep();
    struct cap *bc = hk_install(rcs, 5, &back->hdr, RW, 0, NULL);
    rx->ipc_buffer->caps_out[0] = cap_handle(bc);
    rx->ipc_buffer->caps_out_rights[0] = ANV_RIGHT_WRITE;
    assert_int_equal(ipc_reply(rx, anv_msginfo(0, 0, 1)), ANV_OK);
    assert_int_equal(audit_next_seq(), seq + 3);
    assert_audit(seq + 2, ANV_AUDIT_TRANSFER, rx->hdr.id, back->hdr.id, ANV_RIGHT_WRITE);

    /* A message without capabilities, and a refused transfer, append none. */
    assert_int_equal(ep_receive(rx, ep_r), ANV_OK);
    tx->frame.regs[REG_A1] = anv_msginfo(0, 1, 0);
    assert_int_equal(ep_send(tx, ep_s, anv_msginfo(0, 1, 0), false), ANV_OK);
    struct cap *nogrant = hk_install(scs, 6, NULL, RW, 0, ep_s);
    assert_int_equal(ep_send(tx, nogrant, info, false), ANV_E_RIGHTS);
    assert_int_equal(audit_next_seq(), seq + 3);
    assert_int_equal(invariants_check_all(), 0);
}

static void test_transfer_audit_through_syscalls(void **state)
{
    (void)state;
    /* The same through the dispatcher: transfers counted in the ring equal the
     * capabilities that moved, and a refusal adds a DENIED record, not a transfer. */
    struct cspace *scs = hk_cspace(0, 16), *rcs = hk_cspace(1, 16);
    struct endpoint *ep = new_ep();
    struct cap *ep_s = hk_install(scs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *ep_r = hk_install(rcs, 1, NULL, RWG, 0, ep_s);
    hk_install(scs, 4, NULL, RW, 0, ep_s); /* no GRANT */
    struct notification *n = hk_zalloc(sizeof(*n));
    ntfn_init(n);
    struct cap *nc = hk_install(scs, 2, &n->hdr, RW, 0, NULL);
    struct thread *tx = hk_thread(scs, NULL, 5);
    struct thread *rx = hk_thread(rcs, NULL, 5);
    uint64_t seq = audit_next_seq();
    unsigned moved = 0;
    for (unsigned round = 0; round < 5; round++) {
        assert_int_equal(ep_receive(rx, ep_r), ANV_OK);
        tx->ipc_buffer->caps_out[0] = cap_handle(nc);
        tx->ipc_buffer->caps_out_rights[0] = round & 1 ? ANV_RIGHT_READ : RW;
        tx->frame.regs[REG_A7] = ANV_SYS_IPC_SEND;
        tx->frame.regs[REG_A0] = anv_handle_make(round == 3 ? 4 : 1, 0);
        tx->frame.regs[REG_A1] = anv_msginfo(0, 0, 1);
        syscall_dispatch(tx);
        if (round == 3) {
            assert_int_equal(tx->frame.regs[REG_A0], ANV_E_RIGHTS);
            ep_dequeue(rx); /* nothing came: take the receiver off for the next round */
            rx->blocked_on = 0;
            rx->blocked_cap = 0;
            sched_make_ready(rx);
            continue;
        }
        assert_int_equal(tx->frame.regs[REG_A0], ANV_OK);
        moved++;
        struct cap *got;
        assert_int_equal(cspace_lookup(rcs, rx->ipc_buffer->caps_in[0], &got), ANV_OK);
        cap_delete(got);
    }
    unsigned transfers = 0, denied = 0;
    for (uint64_t q = seq; q < audit_next_seq(); q++) {
        struct audit_record rec;
        assert_int_equal(audit_get(q, &rec), ANV_OK);
        transfers += rec.event == ANV_AUDIT_TRANSFER;
        denied += rec.event == ANV_AUDIT_DENIED;
        if (rec.event == ANV_AUDIT_TRANSFER) {
            assert_int_equal(rec.subject, tx->hdr.id);
            assert_int_equal(rec.object, n->hdr.id);
        }
    }
    assert_int_equal(moved, 4);
    assert_int_equal(transfers, moved);
    assert_int_equal(denied, 1);
    assert_int_equal(audit_next_seq(), seq + 5);
}

static void test_receive_again_releases_caller(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct cap *epc = hk_install(cs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct thread *server = hk_thread(cs, NULL, 5);
    struct thread *client = hk_thread(cs, NULL, 5);

    assert_int_equal(ep_receive(server, epc), ANV_OK);
    client->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    assert_int_equal(ep_send(client, epc, anv_msginfo(1, 0, 0), true), ANV_OK);
    assert_ptr_equal(server->reply_to, client);
    assert_int_equal(client->state, TS_BLOCKED_REPLY);

    /* The server receives again, no one is sending: the caller is released now, not
     * when a next message comes (the old code left it blocked until then, forever on an
     * idle endpoint). */
    assert_int_equal(ep_receive(server, epc), ANV_OK);
    assert_int_equal(server->state, TS_BLOCKED_RECV);
    assert_null(server->reply_to);
    assert_null(client->replier);
    assert_int_equal(client->state, TS_READY);
    assert_int_equal(client->frame.regs[REG_A0], ANV_E_CANCELLED);
    assert_int_equal(invariants_check_all(), 0);

    /* A receive that is refused (the receivers' queue is full) changes nothing: the
     * reply stays owed. */
    struct endpoint *full = new_ep();
    struct cap *fullc = hk_install(cs, 2, &full->hdr, ANV_RIGHTS_ALL, 0, NULL);
    for (unsigned i = 0; i < ANV_IPC_QUEUE_MAX; i++)
        assert_int_equal(ep_receive(hk_thread(cs, NULL, 1), fullc), ANV_OK);
    struct thread *client2 = hk_thread(cs, NULL, 5);
    client2->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    assert_int_equal(ep_send(client2, epc, anv_msginfo(1, 0, 0), true), ANV_OK);
    assert_ptr_equal(server->reply_to, client2);
    assert_int_equal(ep_receive(server, fullc), ANV_E_QUEUE_FULL);
    assert_ptr_equal(server->reply_to, client2);
    assert_int_equal(client2->state, TS_BLOCKED_REPLY);

    /* With a sender queued the release happens at delivery, as before, and the server
     * then owes the new caller. */
    struct thread *client3 = hk_thread(cs, NULL, 5);
    client3->frame.regs[REG_A1] = anv_msginfo(2, 0, 0);
    assert_int_equal(ep_send(client3, epc, anv_msginfo(2, 0, 0), true), ANV_OK);
    assert_int_equal(client3->state, TS_BLOCKED_SEND);
    assert_int_equal(ep_receive(server, epc), ANV_OK);
    assert_int_equal(client2->state, TS_READY);
    assert_int_equal(client2->frame.regs[REG_A0], ANV_E_CANCELLED);
    assert_ptr_equal(server->reply_to, client3);
    assert_int_equal(client3->state, TS_BLOCKED_REPLY);
    assert_int_equal(invariants_check_all(), 0);
}

static void test_reply_recv_after_failed_reply_keeps_caller(void **state)
{
    (void)state;
    /* reply_recv whose reply is refused returns the error before receiving: the caller
     * is still owed, the server did not block. */
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct cap *epc = hk_install(cs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *nogrant = hk_install(cs, 2, NULL, RW, 0, epc);
    struct thread *server = hk_thread(cs, NULL, 5);
    struct thread *client = hk_thread(cs, NULL, 5);
    assert_int_equal(ep_receive(server, epc), ANV_OK);
    client->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    assert_int_equal(ep_send(client, nogrant, anv_msginfo(1, 0, 0), true), ANV_OK);
    server->ipc_buffer->caps_out[0] = cap_handle(epc);
    server->ipc_buffer->caps_out_rights[0] = ANV_RIGHT_WRITE;
    server->frame.regs[REG_A7] = ANV_SYS_IPC_REPLY_RECV;
    server->frame.regs[REG_A0] = cap_handle(epc);
    server->frame.regs[REG_A1] = anv_msginfo(0, 0, 1); /* a cap to a caller without GRANT */
    syscall_dispatch(server);
    assert_int_equal(server->frame.regs[REG_A0], ANV_E_RIGHTS);
    assert_int_equal(server->state, TS_READY);
    assert_ptr_equal(server->reply_to, client);
    assert_int_equal(client->state, TS_BLOCKED_REPLY);
    /* Receiving again from there releases it. */
    server->frame.regs[REG_A7] = ANV_SYS_IPC_RECEIVE;
    server->frame.regs[REG_A0] = cap_handle(epc);
    syscall_dispatch(server);
    assert_int_equal(server->state, TS_BLOCKED_RECV);
    assert_int_equal(client->state, TS_READY);
    assert_int_equal(client->frame.regs[REG_A0], ANV_E_CANCELLED);
    assert_int_equal(invariants_check_all(), 0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s kirq.manifest.bin\n", argv[0]);
        return 2;
    }
    manifest_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_abi_matches),
        cmocka_unit_test(test_manifest_abi_mismatch_refused),
#define T(fn) cmocka_unit_test_setup_teardown(fn, holes_setup, holes_teardown)
        T(test_invariants_cover_every_cspace),
        T(test_irq_bind_keeps_identity),
        T(test_sleep_remove_of_unlisted_thread_panics),
        T(test_sleep_list_cycle_panics),
        T(test_revoke_cycle_panics),
        T(test_delete_sibling_cycle_panics),
        T(test_endpoint_teardown_stuck_thread_panics),
        T(test_endpoint_queue_over_bound_panics),
        T(test_endpoint_senders_over_bound_panic),
        T(test_notification_teardown_stuck_thread_panics),
        T(test_transfer_appends_one_record_per_capability),
        T(test_transfer_audit_through_syscalls),
        T(test_receive_again_releases_caller),
        T(test_reply_recv_after_failed_reply_keeps_caller),
#undef T
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    free(manifest_blob);
    return failed;
}
