/* Unit tests of the kernel's own object code (cspace, CDT, endpoints, notifications,
 * scheduler, pools, address spaces, thread lifecycle) compiled natively, with concrete expected values.
 * After every mutation that matters the kernel's invariant checker must find nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/audit.h"
#include "object/cspace.h"
#include "object/endpoint.h"
#include "core/fastpath.h"
#include "arch/riscv64/asid.h"
#include "core/invariants.h"
#include "kernel_stubs.h"
#include "object/notification.h"
#include "object/pool.h"
#include "object/process.h"
#include "core/sched.h"
#include "core/syscall.h"
#include "object/thread.h"
#include "object/vspace.h"

#define RW (ANV_RIGHT_READ | ANV_RIGHT_WRITE)
#define RWG (ANV_RIGHT_READ | ANV_RIGHT_WRITE | ANV_RIGHT_GRANT)

static void assert_invariants(void)
{
    assert_int_equal(invariants_check_all(), 0);
}

static struct endpoint *new_ep(void)
{
    struct endpoint *ep = hk_zalloc(sizeof(*ep));
    ep_init(ep);
    return ep;
}

static struct notification *new_ntfn(void)
{
    struct notification *n = hk_zalloc(sizeof(*n));
    ntfn_init(n);
    return n;
}

/* ---- Handles -------------------------------------------------------------------------- */

static void test_handle_round_trip(void **state)
{
    (void)state;
    uint64_t h = anv_handle_make(5, 0x12345678u);
    assert_int_equal(anv_handle_tag(h), ANV_HANDLE_TAG_SOFT);
    assert_int_equal(anv_handle_reserved(h), 0);
    assert_int_equal(anv_handle_generation(h), 0x12345678u);
    assert_int_equal(anv_handle_slot(h), 5);
    assert_int_equal(h, 0x1012345678000005ull);
    /* The slot field is 24 bits: higher bits never leak into the generation. */
    h = anv_handle_make(0x1FFFFFFu, 0xFFFFFFFFu);
    assert_int_equal(anv_handle_slot(h), 0xFFFFFFu);
    assert_int_equal(anv_handle_generation(h), 0xFFFFFFFFu);
    assert_int_equal(anv_handle_tag(h), ANV_HANDLE_TAG_SOFT);
    assert_int_equal(anv_handle_reserved(h), 0);
}

static void test_handle_lookup_errors(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct cap *c = hk_install(cs, 3, &ep->hdr, RW, 0, NULL);
    struct cap *out = (struct cap *)(uintptr_t)0x1;
    const struct cap *sentinel = out;

    uint64_t good = anv_handle_make(3, 0);
    assert_int_equal(cap_handle(c), good);
    assert_int_equal(cspace_lookup(cs, good, &out), ANV_OK);
    assert_ptr_equal(out, c);

    out = (struct cap *)(uintptr_t)sentinel;
    uint64_t bad_tag = (good & ~(0xFull << 60)) | (2ull << 60);
    assert_int_equal(cspace_lookup(cs, bad_tag, &out), ANV_E_BAD_HANDLE);
    assert_int_equal(cspace_lookup(cs, ANV_HANDLE_NULL, &out), ANV_E_BAD_HANDLE);
    for (unsigned bit = 56; bit < 60; bit++)
        assert_int_equal(cspace_lookup(cs, good | (1ull << bit), &out), ANV_E_BAD_HANDLE);
    assert_int_equal(cspace_lookup(cs, anv_handle_make(0, 0), &out), ANV_E_BAD_HANDLE);
    assert_int_equal(cspace_lookup(cs, anv_handle_make(16, 0), &out), ANV_E_BAD_HANDLE);
    assert_int_equal(cspace_lookup(cs, anv_handle_make(0xFFFFFF, 0), &out), ANV_E_BAD_HANDLE);
    assert_int_equal(cspace_lookup(cs, anv_handle_make(15, 0), &out), ANV_E_EMPTY_SLOT);
    assert_int_equal(cspace_lookup(cs, anv_handle_make(3, 1), &out), ANV_E_STALE_HANDLE);
    assert_ptr_equal(out, sentinel); /* a failed lookup writes nothing */

    /* Type and rights checks come after resolution. */
    assert_int_equal(cspace_lookup_cap(cs, good, ANV_OBJ_NOTIFICATION, 0, &out), ANV_E_WRONG_TYPE);
    assert_int_equal(cspace_lookup_cap(cs, good, ANV_OBJ_ENDPOINT, ANV_RIGHT_GRANT, &out),
                     ANV_E_RIGHTS);
    assert_int_equal(cspace_lookup_cap(cs, good, ANV_OBJ_NULL, RW, &out), ANV_OK);

    /* Delete: the old handle goes stale, the slot is empty under its new generation, and
     * a reused slot never answers to the old handle. */
    cap_delete(c);
    assert_int_equal(c->generation, 1);
    assert_int_equal(cspace_lookup(cs, good, &out), ANV_E_STALE_HANDLE);
    assert_int_equal(cspace_lookup(cs, anv_handle_make(3, 1), &out), ANV_E_EMPTY_SLOT);
    hk_install(cs, 3, &ep->hdr, RW, 0, NULL);
    assert_int_equal(cspace_lookup(cs, good, &out), ANV_E_STALE_HANDLE);
    assert_int_equal(cspace_lookup(cs, anv_handle_make(3, 1), &out), ANV_OK);
    assert_ptr_equal(out, c);

    /* Destination slots. */
    assert_int_equal(cspace_empty_slot(cs, 0, &out), ANV_E_BAD_HANDLE);
    assert_int_equal(cspace_empty_slot(cs, 16, &out), ANV_E_BAD_HANDLE);
    assert_int_equal(cspace_empty_slot(cs, 3, &out), ANV_E_SLOT_OCCUPIED);
    assert_int_equal(cspace_empty_slot(cs, 4, &out), ANV_OK);
    assert_ptr_equal(out, &cs->slots[4]);
    assert_invariants();
}

/* ---- Derivation tree and revoke ----------------------------------------------------- */

static void test_revoke_across_cspaces(void **state)
{
    (void)state;
    struct cspace *a = hk_cspace(0, 16), *b = hk_cspace(1, 16), *c = hk_cspace(2, 16);
    struct endpoint *ep = new_ep();

    /* Two lineages from one original: A1 -> B2 -> C3 and A1 -> B4 -> C5. */
    struct cap *a1 = hk_install(a, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *b2 = hk_install(b, 2, NULL, RWG, 0, a1);
    struct cap *c3 = hk_install(c, 3, NULL, ANV_RIGHT_READ, 0, b2);
    struct cap *b4 = hk_install(b, 4, NULL, RW, 0, a1);
    struct cap *c5 = hk_install(c, 5, NULL, ANV_RIGHT_WRITE, 0, b4);
    assert_int_equal(ep->hdr.refs, 5);
    assert_ptr_equal(c3->parent, b2);
    assert_ptr_equal(b2->parent, a1);
    assert_invariants();

    /* Revoking one branch leaves its sibling lineage alone. */
    assert_int_equal(cap_revoke(b2), 1);
    assert_null(c3->obj);
    assert_int_equal(c3->generation, 1);
    assert_non_null(b2->obj);
    assert_non_null(b4->obj);
    assert_non_null(c5->obj);
    assert_int_equal(ep->hdr.refs, 4);
    assert_invariants();

    /* Revoking the original reaches both remaining descendants in B and C. */
    assert_int_equal(cap_revoke(a1), 3);
    assert_null(b2->obj);
    assert_null(b4->obj);
    assert_null(c5->obj);
    assert_int_equal(b2->generation, 1);
    assert_int_equal(b4->generation, 1);
    assert_int_equal(c5->generation, 1);
    assert_int_equal(c3->generation, 1); /* already empty: not bumped again */
    assert_null(a1->first_child);
    assert_int_equal(a1->generation, 0);
    assert_int_equal(ep->hdr.refs, 1);
    assert_int_equal(cap_revoke(a1), 0);
    assert_invariants();
}

static void test_delete_moves_children_up(void **state)
{
    (void)state;
    struct cspace *a = hk_cspace(0, 16), *b = hk_cspace(1, 16), *c = hk_cspace(2, 16);
    struct endpoint *ep = new_ep();
    struct cap *a1 = hk_install(a, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *b1 = hk_install(b, 1, NULL, RW, 0, a1);
    struct cap *c1 = hk_install(c, 1, NULL, RW, 0, b1);
    struct cap *c2 = hk_install(c, 2, NULL, ANV_RIGHT_READ, 0, b1);

    cap_delete(b1);
    assert_null(b1->obj);
    assert_int_equal(b1->generation, 1);
    assert_ptr_equal(c1->parent, a1);
    assert_ptr_equal(c2->parent, a1);
    assert_int_equal(ep->hdr.refs, 3);
    assert_invariants();

    /* The moved children are still in the original's lineage. */
    assert_int_equal(cap_revoke(a1), 2);
    assert_null(c1->obj);
    assert_null(c2->obj);
    assert_int_equal(c1->generation, 1);
    assert_int_equal(c2->generation, 1);
    assert_invariants();

    /* Deleting an original with children makes them originals (no parent). */
    struct cap *b3 = hk_install(b, 3, NULL, RW, 0, a1);
    cap_delete(a1);
    assert_null(b3->parent);
    assert_int_equal(ep->hdr.refs, 1);
    assert_invariants();
}

static void test_endpoint_destroyed_with_last_cap(void **state)
{
    (void)state;
    struct cspace *a = hk_cspace(0, 16), *b = hk_cspace(1, 16), *c = hk_cspace(2, 16);
    struct endpoint *ep = new_ep();
    struct cap *a1 = hk_install(a, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *b1 = hk_install(b, 1, NULL, RW, 0, a1);
    struct cap *c1 = hk_install(c, 1, NULL, RW, 0, b1);
    struct thread *tb = hk_thread(b, NULL, 5);
    struct thread *tc = hk_thread(c, NULL, 5);

    assert_int_equal(ep_receive(tb, b1), ANV_OK);
    assert_int_equal(ep_receive(tc, c1), ANV_OK);
    assert_int_equal(tb->state, TS_BLOCKED_RECV);
    assert_int_equal(ep->queue.length, 2);
    assert_invariants();

    /* Revoke reaches the receivers' caps: both wake with ANV_E_REVOKED. */
    assert_int_equal(cap_revoke(a1), 2);
    assert_int_equal(tb->state, TS_READY);
    assert_int_equal(tc->state, TS_READY);
    assert_int_equal(tb->frame.regs[REG_A0], ANV_E_REVOKED);
    assert_int_equal(tc->frame.regs[REG_A0], ANV_E_REVOKED);
    assert_int_equal(ep->queue.length, 0);
    assert_int_equal(ep->hdr.refs, 1);

    /* Block again through the original, then delete it: the last reference goes and
     * the waiter is told. */
    assert_int_equal(ep_receive(tb, a1), ANV_OK);
    cap_delete(a1);
    assert_int_equal(ep->hdr.refs, 0);
    assert_int_equal(tb->state, TS_READY);
    assert_int_equal(tb->frame.regs[REG_A0], ANV_E_REVOKED);
    assert_null(ep->queue.head);
    assert_int_equal(a1->generation, 1);
    assert_invariants();
}

/* ---- Rights attenuation -------------------------------------------------------------- */

static void test_rights_attenuation(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct cap *src = hk_install(cs, 1, &ep->hdr, RW, 0, NULL);

    assert_int_equal(cap_derive_check(src, RW | ANV_RIGHT_GRANT, 0), ANV_E_RIGHTS);
    assert_int_equal(cap_derive_check(src, ANV_RIGHT_EXEC, 0), ANV_E_RIGHTS);
    assert_int_equal(cap_derive_check(src, 0x10, 0), ANV_E_INVALID_ARG);
    assert_int_equal(cap_derive_check(src, 0x80000001u, 0), ANV_E_INVALID_ARG);
    assert_int_equal(cap_derive_check(src, RW, 0), ANV_OK);
    assert_int_equal(cap_derive_check(src, ANV_RIGHT_READ, 0), ANV_OK);
    assert_int_equal(cap_derive_check(src, 0, 0), ANV_OK);

    /* Badging: allowed once on an unbadged endpoint, never re-badged. */
    assert_int_equal(cap_derive_check(src, ANV_RIGHT_WRITE, 0x77), ANV_OK);
    struct cap *badged = hk_install(cs, 2, NULL, ANV_RIGHT_WRITE, 0x77, src);
    assert_int_equal(badged->badge, 0x77);
    assert_int_equal(badged->rights, ANV_RIGHT_WRITE);
    assert_int_equal(cap_derive_check(badged, ANV_RIGHT_WRITE, 0x99), ANV_E_RIGHTS);
    assert_int_equal(cap_derive_check(badged, ANV_RIGHT_READ, 0), ANV_E_RIGHTS);
    assert_int_equal(cap_derive_check(badged, ANV_RIGHT_WRITE, 0), ANV_OK);
    struct cap *copy = hk_install(cs, 3, NULL, ANV_RIGHT_WRITE, 0, badged);
    assert_int_equal(copy->badge, 0x77); /* a plain copy keeps the badge */

    /* Badges only mean something on endpoints and notifications. */
    struct pool *pool = hk_pool(2, 2);
    struct frame *f;
    assert_int_equal(pool_alloc_frame(pool, &f), ANV_OK);
    struct cap *fc = hk_install(cs, 4, &f->hdr, ANV_RIGHTS_ALL & ~ANV_RIGHT_GRANT, 0, NULL);
    assert_int_equal(cap_derive_check(fc, ANV_RIGHT_READ, 5), ANV_E_INVALID_ARG);
    assert_int_equal(cap_derive_check(fc, ANV_RIGHT_READ | ANV_RIGHT_EXEC, 0), ANV_OK);

    /* Mapping capabilities are never copied, even with fewer rights. */
    struct cap *map = &cs->slots[5];
    cap_install(map, &f->hdr, ANV_OBJ_MAPPING, ANV_RIGHT_READ, 0, fc);
    assert_int_equal(cap_derive_check(map, ANV_RIGHT_READ, 0), ANV_E_WRONG_TYPE);
    assert_int_equal(cap_derive_check(map, 0, 0), ANV_E_WRONG_TYPE);
}

/* ---- IPC ------------------------------------------------------------------------------ */

static void set_words(struct thread *t, uint64_t base, uint32_t words)
{
    for (uint32_t i = 0; i < 4; i++)
        t->frame.regs[REG_A2 + i] = base + i;
    for (uint32_t i = ANV_IPC_REG_WORDS; i < words; i++)
        t->ipc_buffer->mr[i] = base + i;
}

static void test_ipc_send_to_waiting_receiver(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct cap *orig = hk_install(cs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *badged = hk_install(cs, 2, NULL, ANV_RIGHT_WRITE, 0xB0B, orig);
    struct thread *server = hk_thread(cs, NULL, 5);
    struct thread *client = hk_thread(cs, NULL, 5);

    assert_int_equal(ep_receive(server, orig), ANV_OK);
    assert_int_equal(server->state, TS_BLOCKED_RECV);

    set_words(client, 100, 10);
    uint64_t info = anv_msginfo(0x42, 10, 0);
    client->frame.regs[REG_A1] = info;
    assert_int_equal(ep_send(client, badged, info, false), ANV_OK);

    assert_int_equal(server->state, TS_READY);
    assert_int_equal(client->state, TS_READY);
    assert_int_equal(client->frame.regs[REG_A0], ANV_OK);
    const uint64_t *r = server->frame.regs;
    assert_int_equal(r[REG_A0], ANV_OK);
    assert_int_equal(r[REG_A1], anv_msginfo(0x42, 10, 0));
    assert_int_equal(r[REG_A2], 100);
    assert_int_equal(r[REG_A3], 101);
    assert_int_equal(r[REG_A4], 102);
    assert_int_equal(r[REG_A5], 103);
    for (uint32_t i = 4; i < 10; i++)
        assert_int_equal(server->ipc_buffer->mr[i], 100 + i);
    assert_int_equal(server->ipc_buffer->mr[10], 0); /* nothing past the length */
    assert_int_equal(r[REG_A6], 0xB0B);
    assert_int_equal(server->ipc_buffer->badge, 0xB0B);
    assert_null(server->reply_to); /* a send owes no reply */
    assert_invariants();
}

static void test_ipc_queue_priority_order(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct cap *epc = hk_install(cs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct thread *rx = hk_thread(cs, NULL, 1);
    const uint8_t prio[5] = {5, 9, 9, 5, 7};
    struct thread *tx[5];
    for (unsigned i = 0; i < 5; i++) {
        tx[i] = hk_thread(cs, NULL, prio[i]);
        tx[i]->frame.regs[REG_A2] = i;
        tx[i]->frame.regs[REG_A1] = anv_msginfo(0, 1, 0);
        assert_int_equal(ep_send(tx[i], epc, anv_msginfo(0, 1, 0), false), ANV_OK);
        assert_int_equal(tx[i]->state, TS_BLOCKED_SEND);
    }
    assert_int_equal(ep->queue.length, 5);
    assert_invariants();

    /* Highest priority first, FIFO among equals: 1, 2 (prio 9), 4 (7), 0, 3 (5). */
    const unsigned expect[5] = {1, 2, 4, 0, 3};
    for (unsigned k = 0; k < 5; k++) {
        assert_int_equal(ep_receive(rx, epc), ANV_OK);
        assert_int_equal(rx->state, TS_READY);
        assert_int_equal(rx->frame.regs[REG_A2], expect[k]);
        assert_int_equal(tx[expect[k]]->state, TS_READY);
        assert_int_equal(tx[expect[k]]->frame.regs[REG_A0], ANV_OK);
    }
    assert_int_equal(ep->queue.length, 0);
    assert_invariants();
}

static void test_ipc_queue_bound(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct cap *epc = hk_install(cs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct thread *tx[ANV_IPC_QUEUE_MAX + 1];
    for (unsigned i = 0; i <= ANV_IPC_QUEUE_MAX; i++) {
        tx[i] = hk_thread(cs, NULL, 5);
        tx[i]->frame.regs[REG_A1] = anv_msginfo(0, 0, 0);
    }
    for (unsigned i = 0; i < ANV_IPC_QUEUE_MAX; i++)
        assert_int_equal(ep_send(tx[i], epc, 0, false), ANV_OK);
    assert_int_equal(ep->queue.length, ANV_IPC_QUEUE_MAX);

    struct thread *late = tx[ANV_IPC_QUEUE_MAX];
    assert_int_equal(ep_send(late, epc, 0, true), ANV_E_QUEUE_FULL);
    assert_int_equal(late->state, TS_READY);
    assert_null(late->q_next);
    assert_int_equal(ep->queue.length, ANV_IPC_QUEUE_MAX);
    assert_invariants();
}

/* Receivers are bounded the same way (a separate test: the scheduler admits at most
 * SCHED_MAX_THREADS threads). */
static void test_ipc_queue_bound_receivers(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep2 = new_ep();
    struct cap *epc2 = hk_install(cs, 2, &ep2->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct thread *rx[ANV_IPC_QUEUE_MAX + 1];
    for (unsigned i = 0; i <= ANV_IPC_QUEUE_MAX; i++)
        rx[i] = hk_thread(cs, NULL, 5);
    for (unsigned i = 0; i < ANV_IPC_QUEUE_MAX; i++)
        assert_int_equal(ep_receive(rx[i], epc2), ANV_OK);
    assert_int_equal(ep_receive(rx[ANV_IPC_QUEUE_MAX], epc2), ANV_E_QUEUE_FULL);
    assert_int_equal(rx[ANV_IPC_QUEUE_MAX]->state, TS_READY);
    assert_int_equal(ep2->queue.length, ANV_IPC_QUEUE_MAX);
    assert_invariants();
}

static void test_ipc_message_bounds(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct cap *epc = hk_install(cs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct thread *rx = hk_thread(cs, NULL, 5);
    struct thread *tx = hk_thread(cs, NULL, 5);
    struct notification *n = new_ntfn();
    struct cap *nc = hk_install(cs, 2, &n->hdr, RW, 0, NULL);
    for (unsigned i = 0; i < ANV_IPC_MAX_CAPS; i++)
        tx->ipc_buffer->caps_out[i] = cap_handle(nc);
    set_words(tx, 500, ANV_IPC_MAX_WORDS);

    const uint64_t bad[] = {
        anv_msginfo(1, ANV_IPC_MAX_WORDS + 1, 0),
        anv_msginfo(1, 0xFF, 0),
        anv_msginfo(1, 2, ANV_IPC_MAX_CAPS + 1),
        anv_msginfo(1, 2, 0xF),
    };
    const int want[] = {ANV_E_MSG_TOO_LONG, ANV_E_MSG_TOO_LONG, ANV_E_TOO_MANY_CAPS,
                        ANV_E_TOO_MANY_CAPS};

    /* No receiver: nothing is queued. */
    for (unsigned k = 0; k < 4; k++) {
        tx->frame.regs[REG_A1] = bad[k];
        assert_int_equal(ep_send(tx, epc, bad[k], k & 1), want[k]);
        assert_int_equal(tx->state, TS_READY);
        assert_int_equal(ep->queue.length, 0);
    }
    /* A waiting receiver: nothing is delivered, it keeps waiting. */
    assert_int_equal(ep_receive(rx, epc), ANV_OK);
    rx->frame.regs[REG_A2] = 0xDEAD;
    for (unsigned k = 0; k < 4; k++) {
        tx->frame.regs[REG_A1] = bad[k];
        assert_int_equal(ep_send(tx, epc, bad[k], false), want[k]);
        assert_int_equal(rx->state, TS_BLOCKED_RECV);
        assert_int_equal(rx->frame.regs[REG_A2], 0xDEAD);
        assert_int_equal(rx->ipc_buffer->mr[5], 0);
        assert_int_equal(ep->queue.length, 1);
        assert_null(nc->first_child);
    }
    /* The exact maximum goes through. */
    uint64_t ok = anv_msginfo(1, ANV_IPC_MAX_WORDS, 0);
    tx->frame.regs[REG_A1] = ok;
    assert_int_equal(ep_send(tx, epc, ok, false), ANV_OK);
    assert_int_equal(rx->ipc_buffer->mr[ANV_IPC_MAX_WORDS - 1], 500 + ANV_IPC_MAX_WORDS - 1);
    assert_invariants();
}

static void test_ipc_cap_transfer(void **state)
{
    (void)state;
    struct cspace *scs = hk_cspace(0, 16), *rcs = hk_cspace(1, 4);
    struct endpoint *ep = new_ep();
    struct cap *ep_s = hk_install(scs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *ep_nogrant = hk_install(scs, 2, NULL, RW, 0, ep_s);
    struct cap *ep_r = hk_install(rcs, 1, NULL, ANV_RIGHT_READ, 0, ep_s);
    struct notification *n = new_ntfn();
    struct cap *nc = hk_install(scs, 3, &n->hdr, RW, 0, NULL);
    struct thread *tx = hk_thread(scs, NULL, 5);
    struct thread *rx = hk_thread(rcs, NULL, 5);

    uint64_t info = anv_msginfo(7, 1, 1);
    tx->frame.regs[REG_A1] = info;
    tx->ipc_buffer->caps_out[0] = cap_handle(nc);
    tx->ipc_buffer->caps_out_rights[0] = ANV_RIGHT_READ | ANV_RIGHT_GRANT;

    /* Without GRANT on the endpoint cap, no transfer. */
    assert_int_equal(ep_send(tx, ep_nogrant, info, false), ANV_E_RIGHTS);
    /* Unknown bits in the mask are refused. */
    tx->ipc_buffer->caps_out_rights[0] = 0x10 | ANV_RIGHT_READ;
    assert_int_equal(ep_send(tx, ep_s, info, false), ANV_E_INVALID_ARG);
    /* A stale transfer handle is refused with the lookup's error. */
    tx->ipc_buffer->caps_out[0] = anv_handle_make(3, 9);
    tx->ipc_buffer->caps_out_rights[0] = ANV_RIGHT_READ;
    assert_int_equal(ep_send(tx, ep_s, info, false), ANV_E_STALE_HANDLE);
    assert_int_equal(ep->queue.length, 0);
    tx->ipc_buffer->caps_out[0] = cap_handle(nc);
    tx->ipc_buffer->caps_out_rights[0] = ANV_RIGHT_READ | ANV_RIGHT_GRANT;

    /* Receiver CSpace full (slots 1..3 used): ANV_E_NO_SLOTS, nothing moved. */
    struct cap *fill2 = hk_install(rcs, 2, NULL, ANV_RIGHT_READ, 0, ep_s);
    hk_install(rcs, 3, NULL, ANV_RIGHT_READ, 0, ep_s);
    assert_int_equal(ep_receive(rx, ep_r), ANV_OK);
    assert_int_equal(ep_send(tx, ep_s, info, false), ANV_E_NO_SLOTS);
    assert_int_equal(rx->state, TS_BLOCKED_RECV);
    assert_null(nc->first_child);
    assert_int_equal(n->hdr.refs, 1);
    assert_int_equal(tx->state, TS_READY);

    /* Free one slot: the cap arrives there, attenuated to READ (GRANT was not held). */
    cap_delete(fill2);
    uint32_t gen = rcs->slots[2].generation;
    assert_int_equal(ep_send(tx, ep_s, info, false), ANV_OK);
    assert_int_equal(rx->state, TS_READY);
    struct cap *got = &rcs->slots[2];
    assert_ptr_equal(got->obj, &n->hdr);
    assert_int_equal(got->type, ANV_OBJ_NOTIFICATION);
    assert_int_equal(got->rights, ANV_RIGHT_READ);
    assert_ptr_equal(got->parent, nc);
    assert_int_equal(rx->ipc_buffer->caps_in[0], anv_handle_make(2, gen));
    assert_int_equal(anv_msginfo_caps(rx->frame.regs[REG_A1]), 1);
    assert_int_equal(anv_msginfo_label(rx->frame.regs[REG_A1]), 7);
    assert_int_equal(n->hdr.refs, 2);
    assert_invariants();

    /* The sender can take it back by revoking its own cap. */
    assert_int_equal(cap_revoke(nc), 1);
    assert_null(got->obj);
    assert_invariants();
}

static void test_ipc_call_reply(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct cap *epc = hk_install(cs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct thread *server = hk_thread(cs, NULL, 5);
    struct thread *client = hk_thread(cs, NULL, 5);

    assert_int_equal(ep_receive(server, epc), ANV_OK);
    uint64_t info = anv_msginfo(0x10, 2, 0);
    client->frame.regs[REG_A1] = info;
    client->frame.regs[REG_A2] = 1;
    client->frame.regs[REG_A3] = 2;
    assert_int_equal(ep_send(client, epc, info, true), ANV_OK);
    assert_int_equal(client->state, TS_BLOCKED_REPLY);
    assert_ptr_equal(server->reply_to, client);
    assert_ptr_equal(client->replier, server);
    assert_int_equal(server->frame.regs[REG_A2], 1);
    assert_invariants();

    set_words(server, 900, 6);
    assert_int_equal(ipc_reply(server, anv_msginfo(0x99, 6, 0)), ANV_OK);
    assert_int_equal(client->state, TS_READY);
    assert_int_equal(client->frame.regs[REG_A0], ANV_OK);
    assert_int_equal(client->frame.regs[REG_A1], anv_msginfo(0x99, 6, 0));
    assert_int_equal(client->frame.regs[REG_A2], 900);
    assert_int_equal(client->frame.regs[REG_A5], 903);
    assert_int_equal(client->ipc_buffer->mr[4], 904);
    assert_int_equal(client->ipc_buffer->mr[5], 905);
    assert_null(server->reply_to);
    assert_null(client->replier);
    /* One-shot. */
    assert_int_equal(ipc_reply(server, anv_msginfo(0x99, 0, 0)), ANV_E_NOTHING_PENDING);
    assert_int_equal(client->frame.regs[REG_A1], anv_msginfo(0x99, 6, 0));
    assert_invariants();
}

static void test_ipc_reply_survives_refused_call(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep(), *other = new_ep();
    struct cap *epc = hk_install(cs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *otherc = hk_install(cs, 2, &other->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct thread *server = hk_thread(cs, NULL, 5);
    struct thread *client = hk_thread(cs, NULL, 5);
    struct thread *backend = hk_thread(cs, NULL, 5);

    assert_int_equal(ep_receive(server, epc), ANV_OK);
    client->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    assert_int_equal(ep_send(client, epc, anv_msginfo(1, 0, 0), true), ANV_OK);
    assert_ptr_equal(server->reply_to, client);

    /* The server's own call with a bad length is refused before anything changes, so
     * the caller it owes a reply to is still owed. */
    assert_int_equal(ep_receive(backend, otherc), ANV_OK);
    uint64_t too_long = anv_msginfo(2, ANV_IPC_MAX_WORDS + 1, 0);
    server->frame.regs[REG_A1] = too_long;
    assert_int_equal(ep_send(server, otherc, too_long, true), ANV_E_MSG_TOO_LONG);
    assert_ptr_equal(server->reply_to, client);
    assert_int_equal(client->state, TS_BLOCKED_REPLY);
    assert_int_equal(backend->state, TS_BLOCKED_RECV);
    /* So is a reply with a bad length, too many capabilities, or a capability whose
     * handle does not resolve (caps_out[0] is 0). */
    assert_int_equal(ipc_reply(server, too_long), ANV_E_MSG_TOO_LONG);
    assert_int_equal(ipc_reply(server, anv_msginfo(2, 0, ANV_IPC_MAX_CAPS + 1)),
                     ANV_E_TOO_MANY_CAPS);
    assert_int_equal(ipc_reply(server, anv_msginfo(2, 0, 1)), ANV_E_BAD_HANDLE);
    assert_ptr_equal(server->reply_to, client);
    assert_invariants();

    assert_int_equal(ipc_reply(server, anv_msginfo(0x5, 0, 0)), ANV_OK);
    assert_int_equal(client->state, TS_READY);
    assert_int_equal(anv_msginfo_label(client->frame.regs[REG_A1]), 0x5);
    assert_invariants();
}

/* Regression (found by the syscall stress test with faults injected): a server that owes
 * a reply to a *faulted* thread and takes a new message must not wake that thread as if
 * from a syscall (no a0 written, is_fault_msg cleared): the thread stops, unqueued, and
 * a later thread.resume or abort finds consistent state. */
static void test_fault_client_woken_by_new_message(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct pool *pt = hk_pool(4, 4);
    struct vspace *vs = hk_zalloc(sizeof(*vs));
    assert_int_equal(vs_init(vs, pt, 0), ANV_OK);
    struct endpoint *ep = new_ep(), *ep2 = new_ep();
    struct cap *epc = hk_install(cs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *ep2c = hk_install(cs, 2, &ep2->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct thread *server = hk_thread(cs, vs, 5);
    struct thread *faulter = hk_thread(cs, vs, 5);
    struct thread *client = hk_thread(cs, vs, 5);
    faulter->fault_ep_slot = 1;

    assert_int_equal(ep_receive(server, epc), ANV_OK);
    fault_raise(faulter, 13, 0x1234);
    assert_int_equal(faulter->state, TS_BLOCKED_REPLY);
    assert_ptr_equal(server->reply_to, faulter);

    /* The server takes another message without answering the fault. */
    assert_int_equal(ep_receive(server, epc), ANV_OK);
    client->frame.regs[REG_A1] = anv_msginfo(0, 0, 0);
    assert_int_equal(ep_send(client, epc, anv_msginfo(0, 0, 0), false), ANV_OK);
    /* Whatever the policy (stop it, or let it retry), a faulted thread that runs again
     * must no longer count as carrying a fault message. */
    assert_true(faulter->state != TS_READY || faulter->is_fault_msg == 0);
    assert_invariants();

    if (faulter->state == TS_READY) {
        assert_int_equal(ep_receive(faulter, ep2c), ANV_OK);
        assert_int_equal(faulter->state, TS_BLOCKED_RECV);
        thread_abort_wait(faulter, ANV_E_CANCELLED);
        /* An aborted wait leaves no queue holding the thread. */
        assert_null(faulter->q_owner);
        assert_int_equal(ep2->queue.length, 0);
        assert_invariants();
    }
}

/* ---- Scheduler ------------------------------------------------------------------------ */

static void test_sched_priority(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct thread *lo = hk_thread(cs, NULL, 5);
    struct thread *hi = hk_thread(cs, NULL, 10);
    struct thread *mid = hk_thread(cs, NULL, 7);
    assert_ptr_equal(sched_choose(), hi);
    assert_ptr_equal(sched_current(), hi);
    sched_block(hi, TS_BLOCKED_RECV);
    assert_null(sched_current());
    assert_ptr_equal(sched_choose(), mid);
    sched_remove(mid);
    mid->state = TS_INACTIVE;
    assert_ptr_equal(sched_choose(), lo);
    sched_remove(lo);
    lo->state = TS_INACTIVE;
    assert_null(sched_choose());
    /* A re-readied higher thread wins again. */
    sched_make_ready(lo);
    sched_make_ready(hi);
    assert_ptr_equal(sched_choose(), hi);
}

static void test_sched_round_robin(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct thread *a = hk_thread(cs, NULL, 5);
    struct thread *b = hk_thread(cs, NULL, 5);
    struct thread *c = hk_thread(cs, NULL, 5);
    struct thread *order[3] = {a, b, c};
    uint64_t now = 0;
    for (unsigned turn = 0; turn < 6; turn++) {
        assert_ptr_equal(sched_choose(), order[turn % 3]);
        for (unsigned tick = 1; tick < SCHED_SLICE_TICKS; tick++) {
            sched_tick(now + 1, now + 1), now++;
            assert_ptr_equal(sched_choose(), order[turn % 3]); /* slice not yet spent */
        }
        sched_tick(now + 1, now + 1), now++;
    }
    assert_invariants();
}

static void test_sched_budget_throttle(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct thread *hi = hk_zalloc(sizeof(*hi));
    thread_init(hi, cs, NULL, 10);
    assert_int_equal(sched_admit(hi, 2, 1), ANV_E_INVALID_ARG); /* budget > period */
    assert_int_equal(sched_admit(hi, 1, 0), ANV_E_INVALID_ARG);
    assert_int_equal(sched_admit(hi, 100, 1000), ANV_OK);
    sched_make_ready(hi);
    struct thread *lo = hk_thread(cs, NULL, 5);

    /* The trap path charges at every switch (sched_account), the tick at every tick. */
    assert_ptr_equal(sched_choose(), hi);
    sched_account(hi, 0);
    sched_tick(1, 60);
    assert_int_equal(hi->state, TS_READY);
    assert_int_equal(hi->budget_left, 40);
    assert_int_equal(hi->cpu_time, 60);
    assert_int_equal(stubs.budget_deadline, 100); /* asked for an interrupt at 0 + 100 */
    sched_budget_expired(100);
    assert_int_equal(hi->state, TS_THROTTLED);
    assert_int_equal(hi->budget_left, 0);
    assert_ptr_equal(sched_choose(), lo);
    sched_account(lo, 100);
    assert_invariants();
    for (uint64_t tick = 2; tick < 10; tick++) {
        sched_tick(tick, tick * 100);
        assert_int_equal(hi->state, TS_THROTTLED);
        assert_ptr_equal(sched_choose(), lo);
    }
    /* Making a throttled thread ready (e.g. a reply arriving) keeps it throttled. */
    sched_make_ready(hi);
    assert_int_equal(hi->state, TS_THROTTLED);
    sched_tick(10, 1000);
    assert_int_equal(hi->state, TS_READY);
    assert_int_equal(hi->budget_left, 100);
    assert_int_equal(hi->next_replenish, 2000);
    assert_int_equal(hi->cpu_time, 100);
    assert_int_equal(lo->cpu_time, 0); /* no budget: never charged */
    assert_ptr_equal(sched_choose(), hi);
    assert_invariants();
}

/* A thread that blocks just before every tick and wakes just after is charged at each
 * switch, so it is held to its budget although no tick ever finds it running. */
static void test_sched_tick_dodger(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct thread *dodger = hk_zalloc(sizeof(*dodger));
    thread_init(dodger, cs, NULL, 10);
    assert_int_equal(sched_admit(dodger, 250, 1000), ANV_OK);
    sched_make_ready(dodger);
    struct thread *lo = hk_thread(cs, NULL, 5);
    uint64_t ran = 0;
    for (uint64_t tick = 1; tick <= 10; tick++) {
        uint64_t start = (tick - 1) * 100;
        if (sched_choose() == dodger) {
            sched_account(dodger, start + 1);
            /* It runs 98 units and blocks before the tick. */
            sched_block(dodger, TS_BLOCKED_WAIT);
            ran += 98;
            assert_ptr_equal(sched_choose(), lo);
            sched_account(lo, start + 99);
        }
        sched_tick(tick, tick * 100);
        sched_make_ready(dodger); /* it wakes just after */
    }
    /* 250 of every 1000: three slices of 98, the third overrunning by 44, which the next
     * period pays back. */
    assert_int_equal(ran, 3 * 98);
    assert_int_equal(dodger->cpu_time, 3 * 98);
    assert_int_equal(dodger->state, TS_READY); /* refilled at 1000: 250 - 44 */
    assert_int_equal(dodger->budget_left, 250 - 44);
    assert_invariants();
}

static void test_wait_timeout(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct thread *t = hk_thread(cs, NULL, 5);
    struct thread *idle = hk_thread(cs, NULL, 1);
    assert_ptr_equal(sched_choose(), t);
    t->frame.regs[REG_A1] = 0x1234;
    assert_int_equal(ntfn_wait(t, NULL, NULL, 5), ANV_OK);
    assert_int_equal(t->state, TS_BLOCKED_WAIT);
    assert_true(t->on_sleep_list);
    assert_invariants();
    assert_ptr_equal(sched_choose(), idle);
    for (uint64_t now = 1; now < 5; now++) {
        sched_tick(now, now);
        assert_int_equal(t->state, TS_BLOCKED_WAIT);
    }
    sched_tick(5, 5);
    assert_int_equal(t->state, TS_READY);
    assert_int_equal(t->frame.regs[REG_A0], ANV_OK);
    assert_int_equal(t->frame.regs[REG_A1], ANV_WAIT_TIMEOUT);
    assert_false(t->on_sleep_list);
    assert_ptr_equal(sched_choose(), t);
    assert_invariants();
}

/* ---- Notifications -------------------------------------------------------------------- */

static void test_ntfn_signal_then_wait(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct notification *n = new_ntfn();
    struct cap *nc = hk_install(cs, 1, &n->hdr, RW, 0, NULL);
    struct thread *t = hk_thread(cs, NULL, 5);
    ntfn_signal(n, 0x4);
    ntfn_signal(n, 0); /* unbadged: bit 0 */
    assert_int_equal(n->bits, 0x5);
    assert_int_equal(ntfn_wait(t, n, nc, 0), ANV_OK);
    assert_int_equal(t->state, TS_READY);
    assert_int_equal(t->frame.regs[REG_A1], ANV_WAIT_NOTIFIED);
    assert_int_equal(t->frame.regs[REG_A2], 0x5);
    assert_int_equal(n->bits, 0);
    assert_invariants();
}

static void test_ntfn_wait_then_signal(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct notification *n = new_ntfn();
    struct cap *nc = hk_install(cs, 1, &n->hdr, RW, 0, NULL);
    struct thread *lo = hk_thread(cs, NULL, 3);
    struct thread *hi = hk_thread(cs, NULL, 8);
    assert_int_equal(ntfn_wait(lo, n, nc, 0), ANV_OK);
    assert_int_equal(ntfn_wait(hi, n, nc, 50), ANV_OK);
    assert_int_equal(n->waiters.length, 2);
    assert_invariants();
    /* The highest-priority waiter takes the bits, and its timeout is cancelled. */
    ntfn_signal(n, 0x80);
    assert_int_equal(hi->state, TS_READY);
    assert_int_equal(hi->frame.regs[REG_A0], ANV_OK);
    assert_int_equal(hi->frame.regs[REG_A1], ANV_WAIT_NOTIFIED);
    assert_int_equal(hi->frame.regs[REG_A2], 0x80);
    assert_false(hi->on_sleep_list);
    assert_int_equal(lo->state, TS_BLOCKED_WAIT);
    assert_int_equal(n->bits, 0);
    ntfn_signal(n, 0x3);
    assert_int_equal(lo->state, TS_READY);
    assert_int_equal(lo->frame.regs[REG_A2], 0x3);
    assert_int_equal(n->waiters.length, 0);
    assert_invariants();
}

static void test_ntfn_abort_wait(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct notification *n = new_ntfn();
    struct cap *nc = hk_install(cs, 1, &n->hdr, RW, 0, NULL);
    struct thread *t = hk_thread(cs, NULL, 5);
    assert_int_equal(ntfn_wait(t, n, nc, 100), ANV_OK);
    thread_abort_wait(t, ANV_E_CANCELLED);
    assert_int_equal(t->state, TS_READY);
    assert_int_equal(t->frame.regs[REG_A0], ANV_E_CANCELLED);
    assert_int_equal(n->waiters.length, 0);
    assert_null(t->blocked_on);
    assert_false(t->on_sleep_list);
    /* A later signal stays pending rather than reaching the departed waiter. */
    ntfn_signal(n, 0x2);
    assert_int_equal(n->bits, 0x2);
    assert_int_equal(t->frame.regs[REG_A0], ANV_E_CANCELLED);
    assert_invariants();
}

/* ---- Pools ---------------------------------------------------------------------------- */

static void test_pool_quota(void **state)
{
    (void)state;
    struct pool *p = hk_pool(8, 5);
    memset((void *)(uintptr_t)p->base_paddr, 0xA5, 8 * ANV_PAGE_SIZE); /* dirty pages */
    struct frame *f[6];
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(pool_available(p), 5 - i);
        assert_int_equal(pool_alloc_frame(p, &f[i]), ANV_OK);
        assert_int_equal(f[i]->hdr.type, ANV_OBJ_FRAME);
        assert_int_equal(f[i]->pages, 1);
        assert_ptr_equal(f[i]->pool, p);
        assert_int_equal(f[i]->paddr, p->base_paddr + (uint64_t)i * ANV_PAGE_SIZE);
        const unsigned char *page = (const unsigned char *)(uintptr_t)f[i]->paddr;
        for (unsigned b = 0; b < ANV_PAGE_SIZE; b++)
            assert_int_equal(page[b], 0);
    }
    assert_int_equal(p->used_pages, 5);
    f[5] = NULL;
    assert_int_equal(pool_alloc_frame(p, &f[5]), ANV_E_QUOTA);
    assert_null(f[5]);
    uint64_t pa;
    assert_int_equal(pool_alloc_page(p, &pa), ANV_E_QUOTA);

    pool_frame_release(f[1]);
    pool_frame_release(f[3]);
    assert_int_equal(pool_available(p), 2);
    assert_int_equal(pool_alloc_frame(p, &f[5]), ANV_OK);
    assert_int_equal(f[5]->paddr, p->base_paddr + 1 * ANV_PAGE_SIZE); /* lowest free */
    assert_int_equal(pool_alloc_page(p, &pa), ANV_OK);
    assert_int_equal(pa, p->base_paddr + 3 * ANV_PAGE_SIZE);
    assert_int_equal(pool_alloc_frame(p, &f[1]), ANV_E_QUOTA);
    pool_free_page(p, pa);
    assert_int_equal(pool_available(p), 1);

    /* The last capability to a pool frame gives the page back. */
    struct cspace *cs = hk_cspace(0, 16);
    struct frame *fc;
    assert_int_equal(pool_alloc_frame(p, &fc), ANV_OK);
    struct cap *c = hk_install(cs, 1, &fc->hdr, ANV_RIGHT_READ, 0, NULL);
    hk_install(cs, 2, NULL, ANV_RIGHT_READ, 0, c);
    assert_int_equal(pool_available(p), 0);
    cap_revoke(c);
    assert_int_equal(pool_available(p), 0);
    cap_delete(c);
    assert_int_equal(pool_available(p), 1);

    /* A quota above the pool's size is clamped to it. */
    struct pool *small = hk_pool(3, 100);
    assert_int_equal(small->quota_pages, 3);
    assert_invariants();
}

/* ---- Address spaces ------------------------------------------------------------------ */

static void test_vspace_map(void **state)
{
    (void)state;
    struct pool *pt = hk_pool(8, 4);
    struct vspace *vs = hk_zalloc(sizeof(*vs));
    assert_int_equal(vs_init(vs, pt, 0), ANV_OK);
    assert_int_equal(pt->used_pages, 1);
    unsigned char *page = hk_pages(1);
    page[0x123] = 0x5A;
    uint64_t pa = (uint64_t)(uintptr_t)page;
    const uint64_t va = 0x10000;
    const uint32_t R = ANV_RIGHT_READ, W = ANV_RIGHT_WRITE, X = ANV_RIGHT_EXEC;

    assert_int_equal(vs_map_check(vs, va, R | W | X), ANV_E_WX);
    assert_int_equal(vs_map_check(vs, va, W | X), ANV_E_WX);
    assert_int_equal(vs_map_check(vs, va + 1, R), ANV_E_BAD_ADDRESS);
    assert_int_equal(vs_map_check(vs, va + 0x800, R), ANV_E_BAD_ADDRESS);
    assert_int_equal(vs_map_check(vs, 0, R), ANV_E_BAD_ADDRESS);
    assert_int_equal(vs_map_check(vs, ANV_USER_BASE - ANV_PAGE_SIZE, R), ANV_E_BAD_ADDRESS);
    assert_int_equal(vs_map_check(vs, ANV_USER_TOP, R), ANV_E_BAD_ADDRESS);
    assert_int_equal(vs_map_check(vs, 0xFFFFFFC000000000ull, R), ANV_E_BAD_ADDRESS);
    assert_int_equal(vs_map_check(vs, va, 0), ANV_E_INVALID_ARG);
    assert_int_equal(vs_map_check(vs, va, W), ANV_E_INVALID_ARG);
    assert_int_equal(vs_map_check(vs, va, R | ANV_RIGHT_GRANT), ANV_E_INVALID_ARG);
    assert_int_equal(pt->used_pages, 1); /* checks change nothing */
    assert_int_equal(vs->pt_pages, 1);

    assert_int_equal(vs_map_check(vs, va, R | W), ANV_OK);
    vs_map(vs, va, pa, R | W);
    assert_int_equal(vs->pt_pages, 3);
    assert_int_equal(pt->used_pages, 3);
    uint32_t rights = 0;
    assert_int_equal(vs_translate(vs, va, &rights), pa);
    assert_int_equal(rights, R | W);
    assert_int_equal(vs_translate(vs, va + 0x123, NULL), pa + 0x123);
    assert_int_equal(vs_translate(vs, va + ANV_PAGE_SIZE, NULL), 0);
    assert_int_equal(vs_map_check(vs, va, R), ANV_E_OVERLAP);
    unsigned char byte = 0;
    assert_int_equal(vs_copy_in(vs, va + 0x123, &byte, 1), ANV_OK);
    assert_int_equal(byte, 0x5A);
    assert_int_equal(vs_copy_in(vs, va + ANV_PAGE_SIZE - 1, &byte, 2), ANV_E_BAD_ADDRESS);

    /* Same 2 MiB region: no new table. A new 1 GiB region would need two tables but
     * only one page of quota is left: refused, nothing allocated. */
    assert_int_equal(vs_map_check(vs, va + ANV_PAGE_SIZE, R | X), ANV_OK);
    assert_int_equal(vs_map_check(vs, 0x40000000ull, R), ANV_E_QUOTA);
    assert_int_equal(vs_map_check(vs, 0x200000ull, R), ANV_OK); /* needs one table */
    assert_int_equal(pt->used_pages, 3);
    assert_int_equal(vs->pt_pages, 3);
    vs_map(vs, va + ANV_PAGE_SIZE, pa, R | X);
    assert_int_equal(vs_translate(vs, va + ANV_PAGE_SIZE, &rights), pa);
    assert_int_equal(rights, R | X);
    assert_int_equal(pt->used_pages, 3);

    /* Each new leaf was flushed from the space's ASID (a cached invalid entry must not
     * hide it), and so is the leaf removed. */
    assert_int_equal(stubs.flushes, 2);
    assert_int_equal(stubs.last_flush, va + ANV_PAGE_SIZE);
    vs_unmap(vs, va);
    assert_int_equal(stubs.flushes, 3);
    assert_int_equal(stubs.last_flush, va);
    assert_int_equal(vs_translate(vs, va, NULL), 0);
    assert_int_equal(vs_map_check(vs, va, R), ANV_OK);
    assert_int_equal(vs_translate(vs, va + ANV_PAGE_SIZE, NULL), pa); /* neighbour kept */
}

/* ---- Service lifecycle: thread.stop, thread.restart, held threads, reply caps -------- */

#define W ANV_RIGHT_WRITE
#define START_PC 0x10000ull
#define START_SP 0x20000ull
#define START_TP 0x30000ull

#define REG_S1 9 /* x9: a register no syscall reads or writes */

/* One syscall by `t` through the real dispatcher; returns a0. */
static uint64_t sys5(struct thread *t, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                     uint64_t a3, uint64_t a4)
{
    t->frame.regs[REG_A7] = nr;
    t->frame.regs[REG_A0] = a0;
    t->frame.regs[REG_A1] = a1;
    t->frame.regs[REG_A2] = a2;
    t->frame.regs[REG_A3] = a3;
    t->frame.regs[REG_A4] = a4;
    syscall_dispatch(t);
    return t->frame.regs[REG_A0];
}

static uint64_t sys3(struct thread *t, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    return sys5(t, nr, a0, a1, a2, 0, 0);
}

static struct vspace *new_vspace(uint32_t pt_pages)
{
    struct vspace *vs = hk_zalloc(sizeof(*vs));
    assert_int_equal(vs_init(vs, hk_pool(pt_pages, pt_pages), 0), ANV_OK);
    return vs;
}

static struct proc *new_proc(struct cspace *cs, uint32_t manifest_top)
{
    struct proc *p = hk_zalloc(sizeof(*p));
    proc_init(p, cs, manifest_top);
    return p;
}

/* A thread of `p` as the loader makes one: admitted, IPC buffer, start state recorded;
 * ready unless held. */
static struct thread *proc_thread(struct proc *p, struct vspace *vs, uint8_t priority,
                                  uint64_t index, bool held)
{
    struct thread *t = hk_zalloc(sizeof(*t));
    thread_init(t, p->cspace, vs, priority);
    assert_int_equal(sched_admit(t, 0, 0), ANV_OK);
    t->ipc_buffer = hk_pages(1);
    t->ipc_buffer_vaddr = START_TP + index * ANV_PAGE_SIZE;
    const struct thread_start start = {START_PC, START_SP - index * 0x1000,
                                       t->ipc_buffer_vaddr, p->cspace->size, index};
    proc_start_thread(p, t, &start, held);
    return t;
}

static void assert_stopped_clean(const struct thread *t)
{
    assert_int_equal(t->state, TS_INACTIVE);
    assert_null(t->q_owner);
    assert_null(t->blocked_on);
    assert_null(t->replier);
    assert_false(t->on_sleep_list);
    assert_int_equal(t->is_fault_msg, 0);
}

static void assert_last_audit(uint32_t event, uint32_t object, uint64_t arg)
{
    struct audit_record rec;
    assert_int_equal(audit_get(audit_next_seq() - 1, &rec), ANV_OK);
    assert_int_equal(rec.event, event);
    assert_int_equal(rec.object, object);
    assert_int_equal(rec.arg, arg);
    assert_int_equal(rec.result, ANV_OK);
}

/* thread.stop reaches a thread in every state it can be in: each blocking syscall
 * (answered ANV_E_CANCELLED), a fault wait (registers kept), ready and throttled. */
static void test_thread_stop_each_state(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, HK_SLOTS);
    struct vspace *vs = new_vspace(4);
    struct endpoint *ep_send_q = new_ep(), *ep_recv_q = new_ep(), *ep_srv = new_ep();
    struct endpoint *ep_fault = new_ep(), *ep_fault_q = new_ep();
    struct notification *n = new_ntfn();
    struct cap *c_send = hk_install(cs, 1, &ep_send_q->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *c_recv = hk_install(cs, 2, &ep_recv_q->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *c_srv = hk_install(cs, 3, &ep_srv->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *c_fault = hk_install(cs, 4, &ep_fault->hdr, ANV_RIGHTS_ALL, 0, NULL);
    hk_install(cs, 5, &ep_fault_q->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *c_ntfn = hk_install(cs, 6, &n->hdr, RW, 0, NULL);

    struct thread *ctl = hk_thread(cs, vs, 50);
    struct thread *sender = hk_thread(cs, vs, 5), *receiver = hk_thread(cs, vs, 5);
    struct thread *server = hk_thread(cs, vs, 5), *caller = hk_thread(cs, vs, 5);
    struct thread *waiter = hk_thread(cs, vs, 5), *sleeper = hk_thread(cs, vs, 5);
    struct thread *handler = hk_thread(cs, vs, 5), *faulted = hk_thread(cs, vs, 5);
    struct thread *fault_queued = hk_thread(cs, vs, 5), *ready = hk_thread(cs, vs, 5);
    struct thread *throttled = hk_zalloc(sizeof(*throttled));
    thread_init(throttled, cs, vs, 60);
    assert_int_equal(sched_admit(throttled, 1, 10), ANV_OK);
    sched_make_ready(throttled);
    assert_ptr_equal(sched_choose(), throttled);
    sched_account(throttled, 0);
    sched_tick(1, 1); /* its one unit of budget spent */
    assert_int_equal(throttled->state, TS_THROTTLED);
    assert_ptr_equal(sched_choose(), ctl);
    sched_account(ctl, 1); /* as the trap path does when it enters ctl */

    sender->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    assert_int_equal(ep_send(sender, c_send, anv_msginfo(1, 0, 0), false), ANV_OK);
    assert_int_equal(ep_receive(receiver, c_recv), ANV_OK);
    assert_int_equal(ep_receive(server, c_srv), ANV_OK);
    caller->frame.regs[REG_A1] = anv_msginfo(2, 0, 0);
    assert_int_equal(ep_send(caller, c_srv, anv_msginfo(2, 0, 0), true), ANV_OK);
    assert_int_equal(caller->state, TS_BLOCKED_REPLY);
    assert_int_equal(ntfn_wait(waiter, n, c_ntfn, 100), ANV_OK);
    assert_int_equal(ntfn_wait(sleeper, NULL, NULL, 100), ANV_OK);
    assert_int_equal(ep_receive(handler, c_fault), ANV_OK);
    faulted->fault_ep_slot = 4;
    faulted->frame.sepc = 0x4444;
    faulted->frame.regs[REG_A0] = 0xA0A0;
    fault_raise(faulted, 13, 0xdead);
    assert_int_equal(faulted->state, TS_BLOCKED_REPLY);
    assert_ptr_equal(handler->reply_to, faulted);
    fault_queued->fault_ep_slot = 5; /* nobody receives there: the fault message queues */
    fault_queued->frame.regs[REG_A0] = 0xB0B0;
    fault_raise(fault_queued, 13, 0xbeef);
    assert_int_equal(fault_queued->state, TS_BLOCKED_SEND);
    assert_invariants();

    struct thread *syscall_waits[] = {sender, receiver, caller, waiter, sleeper};
    struct thread *all[] = {sender, receiver, caller, waiter, sleeper, ready, faulted,
                            fault_queued, throttled};
    for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        hk_install(cs, 10 + i, &all[i]->hdr, W, 0, NULL);
    for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        struct thread *t = all[i];
        uint64_t h = anv_handle_make(10 + i, 0);
        assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, h, 0, 0), ANV_OK);
        assert_int_equal(ctl->state, TS_READY);
        assert_stopped_clean(t);
        assert_last_audit(ANV_AUDIT_THREAD_STOP, t->hdr.id, 0);
        assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, h, 0, 0), ANV_E_BUSY);
        assert_invariants();
    }
    /* Every syscall wait was answered, as thread.resume will show. */
    for (unsigned i = 0; i < sizeof(syscall_waits) / sizeof(syscall_waits[0]); i++)
        assert_int_equal(syscall_waits[i]->frame.regs[REG_A0], ANV_E_CANCELLED);
    /* The fault waits keep their registers (resume retries the instruction) and the
     * handler no longer owes the faulted thread anything. */
    assert_int_equal(faulted->frame.regs[REG_A0], 0xA0A0);
    assert_int_equal(faulted->frame.sepc, 0x4444);
    assert_int_equal(fault_queued->frame.regs[REG_A0], 0xB0B0);
    assert_null(handler->reply_to);
    assert_int_equal(ipc_reply(handler, anv_msginfo(ANV_FAULT_RESUME, 0, 0)),
                     ANV_E_NOTHING_PENDING);
    /* Every queue is empty; the server's reply finds nobody. */
    assert_int_equal(ep_send_q->queue.length, 0);
    assert_int_equal(ep_recv_q->queue.length, 0);
    assert_int_equal(ep_fault_q->queue.length, 0);
    assert_int_equal(n->waiters.length, 0);
    assert_null(server->reply_to);
    assert_int_equal(ipc_reply(server, anv_msginfo(0, 0, 0)), ANV_E_NOTHING_PENDING);
    /* A later signal stays pending rather than reaching the stopped waiter. */
    ntfn_signal(n, 0x8);
    assert_int_equal(n->bits, 0x8);
    /* Ticks pass: no stopped sleeper wakes, the throttled one is not refilled into the
     * ready queue. */
    for (uint64_t now = 2; now < 200; now++)
        sched_tick(now, now);
    for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        assert_int_equal(all[i]->state, TS_INACTIVE);
    /* thread.resume starts each again. */
    for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESUME, anv_handle_make(10 + i, 0), 0, 0),
                         ANV_OK);
        assert_int_equal(all[i]->state, TS_READY);
    }
    assert_invariants();
}

static void test_thread_stop_refusals(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct thread *ctl = hk_thread(cs, NULL, 50);
    struct thread *other = hk_thread(cs, NULL, 5);
    struct notification *n = new_ntfn();
    hk_install(cs, 1, &ctl->hdr, RW, 0, NULL);
    hk_install(cs, 2, &other->hdr, ANV_RIGHT_READ, 0, NULL);
    hk_install(cs, 3, &n->hdr, RW, 0, NULL);
    assert_ptr_equal(sched_choose(), ctl);
    uint64_t seq = audit_next_seq();

    /* Stopping oneself is refused: a thread ends itself by other means. */
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, anv_handle_make(1, 0), 0, 0),
                     ANV_E_INVALID_ARG);
    assert_int_equal(ctl->state, TS_READY);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, anv_handle_make(2, 0), 0, 0), ANV_E_RIGHTS);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, anv_handle_make(3, 0), 0, 0),
                     ANV_E_WRONG_TYPE);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, anv_handle_make(2, 1), 0, 0),
                     ANV_E_STALE_HANDLE);
    assert_int_equal(other->state, TS_READY);
    /* Only the denials are audited, each naming thread.stop. */
    assert_int_equal(audit_next_seq(), seq + 3);
    struct audit_record rec;
    assert_int_equal(audit_get(seq, &rec), ANV_OK);
    assert_int_equal(rec.event, ANV_AUDIT_DENIED);
    assert_int_equal(rec.arg, ANV_SYS_THREAD_STOP);
    assert_int_equal(rec.result, ANV_E_RIGHTS);
    assert_invariants();
}

/* A server stopped while it owes a reply releases its caller with ANV_E_CANCELLED,
 * whether it was still running the request or already waiting for the next. */
static void test_thread_stop_server_releases_caller(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct endpoint *ep = new_ep();
    struct notification *other = new_ntfn();
    struct cap *epc = hk_install(cs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *otherc = hk_install(cs, 2, &other->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct thread *ctl = hk_thread(cs, NULL, 50);
    struct thread *server = hk_thread(cs, NULL, 5);
    struct thread *client = hk_thread(cs, NULL, 5);
    struct thread *client2 = hk_thread(cs, NULL, 5);
    hk_install(cs, 3, &server->hdr, W, 0, NULL);

    assert_int_equal(ep_receive(server, epc), ANV_OK);
    client->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    assert_int_equal(ep_send(client, epc, anv_msginfo(1, 0, 0), true), ANV_OK);
    assert_ptr_equal(server->reply_to, client);
    assert_int_equal(server->state, TS_READY); /* running the request */

    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, anv_handle_make(3, 0), 0, 0), ANV_OK);
    assert_stopped_clean(server);
    assert_null(server->reply_to);
    assert_int_equal(client->state, TS_READY);
    assert_int_equal(client->frame.regs[REG_A0], ANV_E_CANCELLED);
    assert_null(client->replier);
    assert_last_audit(ANV_AUDIT_THREAD_STOP, server->hdr.id, 1);
    assert_invariants();

    /* Again, with the server blocked in wait_one while it owes (a receive would give
     * the reply up itself: test_kernel_holes.c). */
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESUME, anv_handle_make(3, 0), 0, 0), ANV_OK);
    assert_int_equal(ep_receive(server, epc), ANV_OK);
    client2->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    assert_int_equal(ep_send(client2, epc, anv_msginfo(1, 0, 0), true), ANV_OK);
    assert_int_equal(ntfn_wait(server, other, otherc, 0), ANV_OK);
    assert_int_equal(server->state, TS_BLOCKED_WAIT);
    assert_ptr_equal(server->reply_to, client2);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, anv_handle_make(3, 0), 0, 0), ANV_OK);
    assert_stopped_clean(server);
    assert_int_equal(other->waiters.length, 0);
    assert_int_equal(server->frame.regs[REG_A0], ANV_E_CANCELLED);
    assert_int_equal(client2->state, TS_READY);
    assert_int_equal(client2->frame.regs[REG_A0], ANV_E_CANCELLED);
    assert_invariants();
}

static void test_thread_restart_refusals(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct proc *p = new_proc(cs, 8);
    struct thread *ctl = hk_thread(cs, NULL, 50);
    struct thread *t = proc_thread(p, NULL, 5, 0, false);
    struct thread *plain = hk_thread(cs, NULL, 5); /* no start state, no process */
    hk_install(cs, 1, &t->hdr, W, 0, NULL);
    hk_install(cs, 2, &plain->hdr, W, 0, NULL);
    hk_install(cs, 3, &t->hdr, ANV_RIGHT_READ, 0, NULL);
    uint64_t h = anv_handle_make(1, 0);

    /* Not stopped (ready, or the caller itself): busy. */
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESTART, h, 0, 0), ANV_E_BUSY);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESTART, h, ANV_RESTART_RELOAD, 0), ANV_E_BUSY);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESTART, anv_handle_make(3, 0), 0, 0),
                     ANV_E_RIGHTS);
    assert_int_equal(t->state, TS_READY);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, h, 0, 0), ANV_OK);
    t->frame.regs[REG_S1] = 0x5151;
    /* Unknown flag bits, stopped or not. */
    const uint64_t bad_flags[] = {0x2, 0x3, 0x80000000u, 1ull << 32, ~0ull};
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESTART, h, bad_flags[i], 9),
                         ANV_E_INVALID_ARG);
        assert_int_equal(t->state, TS_INACTIVE);
        assert_int_equal(t->frame.regs[REG_S1], 0x5151);
    }
    /* A thread the loader never started has no state to restart from or process. */
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, anv_handle_make(2, 0), 0, 0), ANV_OK);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESTART, anv_handle_make(2, 0), 0, 0),
                     ANV_E_INVALID_ARG);
    assert_int_equal(plain->state, TS_INACTIVE);
    assert_invariants();
}

/* thread.restart gives the loader's registers back, a2 = the argument, every other
 * register zero, no fault or IPC state; a caller the thread still owed (it faulted while
 * serving and its handler stopped it) is released. */
static void test_thread_restart_registers(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 32);
    struct vspace *vs = new_vspace(4);
    struct proc *p = new_proc(cs, 8);
    struct endpoint *ep = new_ep(), *fault_ep = new_ep();
    struct cap *epc = hk_install(cs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *faultc = hk_install(cs, 2, &fault_ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct thread *ctl = hk_thread(cs, vs, 50);
    struct thread *handler = hk_thread(cs, vs, 5);
    struct thread *client = hk_thread(cs, vs, 5);
    struct thread *t = proc_thread(p, vs, 5, 2, false);
    hk_install(cs, 3, &t->hdr, W, 0, NULL);
    t->fault_ep_slot = 2;

    assert_int_equal(ep_receive(t, epc), ANV_OK);
    client->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    assert_int_equal(ep_send(client, epc, anv_msginfo(1, 0, 0), true), ANV_OK);
    assert_ptr_equal(t->reply_to, client);
    for (unsigned i = 1; i < 32; i++)
        t->frame.regs[i] = 0xAB00 + i;
    t->frame.sepc = 0x12340;
    assert_int_equal(ep_receive(handler, faultc), ANV_OK);
    fault_raise(t, 13, 0xdead);
    assert_int_equal(ipc_reply(handler, anv_msginfo(ANV_FAULT_STOP, 0, 0)), ANV_OK);
    assert_int_equal(t->state, TS_INACTIVE);
    assert_ptr_equal(t->reply_to, client); /* stopped mid-request, still owing */
    assert_int_equal(client->state, TS_BLOCKED_REPLY);
    assert_invariants();

    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESTART, anv_handle_make(3, 0), 0, 0x1234),
                     ANV_OK);
    assert_int_equal(ctl->frame.regs[REG_A0], ANV_OK);
    assert_int_equal(t->state, TS_READY);
    assert_int_equal(t->frame.sepc, START_PC);
    for (unsigned i = 0; i < 32; i++) {
        uint64_t want = 0;
        switch (i) {
        case REG_SP: want = START_SP - 2 * 0x1000; break;
        case REG_TP: want = START_TP + 2 * ANV_PAGE_SIZE; break;
        case REG_A0: want = 32; break; /* CSpace size */
        case REG_A1: want = 2; break;  /* index in the process */
        case REG_A2: want = 0x1234; break;
        default: break;
        }
        assert_int_equal(t->frame.regs[i], want);
    }
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(t->fault_words[i], 0);
    assert_int_equal(t->is_fault_msg, 0);
    assert_int_equal(t->is_call, 0);
    assert_null(t->reply_to);
    assert_null(t->blocked_on);
    assert_int_equal(client->state, TS_READY);
    assert_int_equal(client->frame.regs[REG_A0], ANV_E_CANCELLED);
    assert_last_audit(ANV_AUDIT_THREAD_RESTART, t->hdr.id, 0);
    assert_invariants();
}

/* A process image: one writable segment of two pages whose file bytes start 0x10 into
 * the first page, followed by bss. */
static const uint8_t test_file_bytes[100] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, [99] = 0x99};
#define SEG_OFFSET 0x10u

static uint8_t *add_data_segment(struct proc *p)
{
    struct proc_segment seg = {(uint64_t)(uintptr_t)hk_pages(2), 2, SEG_OFFSET,
                               test_file_bytes, sizeof(test_file_bytes)};
    uint8_t *mem = (uint8_t *)(uintptr_t)seg.paddr;
    memset(mem, 0x5A, 2 * ANV_PAGE_SIZE); /* as boot pages before the loader fills them */
    proc_segment_fill(&seg);
    assert_int_equal(proc_add_segment(p, &seg), ANV_OK);
    return mem;
}

static void assert_segment_as_loaded(const uint8_t *mem)
{
    for (uint32_t i = 0; i < 2 * ANV_PAGE_SIZE; i++) {
        uint8_t want = 0;
        if (i >= SEG_OFFSET && i < SEG_OFFSET + sizeof(test_file_bytes))
            want = test_file_bytes[i - SEG_OFFSET];
        if (mem[i] != want)
            fail_msg("segment byte 0x%x is 0x%x, want 0x%x", i, mem[i], want);
    }
}

static void test_thread_restart_reload(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 40), *other = hk_cspace(1, 16), *ctlcs = hk_cspace(2, 16);
    struct vspace *vs = new_vspace(4);
    struct pool *pool = hk_pool(4, 4);
    struct endpoint *ep = new_ep();
    struct notification *n = new_ntfn();
    /* The manifest filled 1..8 except 5 (no fault endpoint). */
    struct proc *p = new_proc(cs, 8);
    uint8_t *data = add_data_segment(p);
    assert_segment_as_loaded(data);
    struct thread *t = proc_thread(p, vs, 5, 0, false);
    hk_install(cs, ANV_SLOT_CSPACE, &cs->hdr, RW, 0, NULL);
    hk_install(cs, ANV_SLOT_VSPACE, &vs->hdr, RW, 0, NULL);
    hk_install(cs, ANV_SLOT_THREAD, &t->hdr, RW, 0, NULL);
    hk_install(cs, ANV_SLOT_IPCBUF, &n->hdr, RW, 0, NULL);
    hk_install(cs, ANV_SLOT_CONSOLE, &n->hdr, ANV_RIGHT_WRITE, 0, NULL);
    hk_install(cs, ANV_SLOT_POOL, &pool->hdr, W, 0, NULL);
    struct cap *epc = hk_install(cs, 8, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct thread *ctl = hk_thread(ctlcs, NULL, 50);
    hk_install(ctlcs, 1, &t->hdr, W, 0, NULL);
    /* As the loader leaves them: placed, and run-time capabilities above slot 8. */
    for (uint32_t s = 1; s <= 8; s++)
        cs->slots[s].placed = cs->slots[s].obj != NULL;
    cspace_set_first_dynamic(cs, 8);
    uint32_t gen[9];
    for (uint32_t s = 1; s <= 8; s++)
        gen[s] = cs->slots[s].generation;

    /* The hole at slot 5 is the manifest's: no syscall may fill it. */
    assert_int_equal(sys5(t, ANV_SYS_CAP_DELEGATE, cap_handle(epc), ANV_HANDLE_NULL, 5, RW, 0),
                     ANV_E_RESERVED_SLOT);
    assert_int_equal(sys3(t, ANV_SYS_MEM_FRAME_ALLOC, anv_handle_make(ANV_SLOT_POOL, 0), 6, 1),
                     ANV_E_RESERVED_SLOT);
    assert_null(cs->slots[5].obj);
    /* The process at work: a frame from its pool mapped in its space, an endpoint copy
     * with a child in another CSpace, dirty data. */
    assert_int_equal(sys3(t, ANV_SYS_MEM_FRAME_ALLOC, anv_handle_make(ANV_SLOT_POOL, 0), 20, 1),
                     ANV_OK);
    uint64_t frame_h = t->frame.regs[REG_A1];
    assert_int_equal(sys5(t, ANV_SYS_MEM_MAP, frame_h, 0x40000, ANV_RIGHT_READ | W, 9, 0), ANV_OK);
    assert_int_equal(anv_handle_slot(t->frame.regs[REG_A1]), 9); /* the slot it was given */
    assert_int_not_equal(vs_translate(vs, 0x40000, NULL), 0);
    assert_int_equal(pool_available(pool), 3);
    assert_int_equal(sys5(t, ANV_SYS_CAP_DELEGATE, cap_handle(epc), ANV_HANDLE_NULL, 30, RW, 0),
                     ANV_OK);
    struct cap *copy30 = &cs->slots[30];
    struct cap *grandchild = hk_install(other, 3, NULL, ANV_RIGHT_WRITE, 0, copy30);
    memset(data, 0xEE, 2 * ANV_PAGE_SIZE);
    assert_invariants();

    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, anv_handle_make(1, 0), 0, 0), ANV_OK);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESTART, anv_handle_make(1, 0), ANV_RESTART_RELOAD, 3),
                     ANV_OK);

    assert_segment_as_loaded(data);
    for (uint32_t s = 9; s < cs->size; s++)
        assert_null(cs->slots[s].obj);
    assert_int_equal(vs_translate(vs, 0x40000, NULL), 0);    /* unmapped */
    assert_int_equal(pool_available(pool), 4);                /* the frame went back */
    assert_ptr_equal(grandchild->obj, &ep->hdr);              /* moved up, as cap.delete */
    assert_ptr_equal(grandchild->parent, epc);
    assert_null(cs->slots[5].obj);                            /* the hole stayed one */
    for (uint32_t s = 1; s <= 8; s++) {
        if (s != 5)
            assert_non_null(cs->slots[s].obj);
        assert_int_equal(cs->slots[s].generation, gen[s]);
    }
    assert_int_equal(t->state, TS_READY);
    assert_int_equal(t->frame.sepc, START_PC);
    assert_int_equal(t->frame.regs[REG_A2], 3);
    /* Three capabilities deleted: the mapping (9), the frame (20), the copy (30). */
    assert_last_audit(ANV_AUDIT_THREAD_RESTART, t->hdr.id, (3ull << 32) | ANV_RESTART_RELOAD);
    assert_invariants();
}

/* RELOAD changes memory every thread of the process sees: refused while any runs. */
static void test_thread_restart_reload_needs_all_stopped(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 32), *ctlcs = hk_cspace(1, 16);
    struct endpoint *ep = new_ep();
    struct proc *p = new_proc(cs, 8);
    uint8_t *data = add_data_segment(p);
    struct thread *t0 = proc_thread(p, NULL, 5, 0, false);
    struct thread *t1 = proc_thread(p, NULL, 5, 1, false);
    struct cap *epc = hk_install(cs, 8, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *runtime = hk_install(cs, 12, NULL, RW, 0, epc);
    struct thread *ctl = hk_thread(ctlcs, NULL, 50);
    hk_install(ctlcs, 1, &t0->hdr, W, 0, NULL);
    hk_install(ctlcs, 2, &t1->hdr, W, 0, NULL);
    memset(data, 0xEE, ANV_PAGE_SIZE);

    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, anv_handle_make(1, 0), 0, 0), ANV_OK);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESTART, anv_handle_make(1, 0), ANV_RESTART_RELOAD, 1),
                     ANV_E_BUSY);
    assert_int_equal(t0->state, TS_INACTIVE);
    assert_int_equal(t1->state, TS_READY);
    assert_int_equal(data[0], 0xEE);
    assert_ptr_equal(runtime->obj, &ep->hdr);
    /* A sibling blocked in a receive is not stopped either. */
    assert_int_equal(ep_receive(t1, epc), ANV_OK);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESTART, anv_handle_make(1, 0), ANV_RESTART_RELOAD, 1),
                     ANV_E_BUSY);
    assert_int_equal(t1->state, TS_BLOCKED_RECV);
    assert_invariants();

    /* Without RELOAD the one thread restarts alone, memory and slots as they are. */
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESTART, anv_handle_make(1, 0), 0, 1), ANV_OK);
    assert_int_equal(t0->state, TS_READY);
    assert_int_equal(data[0], 0xEE);
    assert_ptr_equal(runtime->obj, &ep->hdr);

    /* With both stopped, RELOAD goes through and restarts only the one named. */
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, anv_handle_make(1, 0), 0, 0), ANV_OK);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, anv_handle_make(2, 0), 0, 0), ANV_OK);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESTART, anv_handle_make(1, 0), ANV_RESTART_RELOAD, 2),
                     ANV_OK);
    assert_segment_as_loaded(data);
    assert_null(runtime->obj);
    assert_int_equal(t0->state, TS_READY);
    assert_int_equal(t1->state, TS_INACTIVE);
    assert_invariants();
}

/* Held threads are created whole and stopped, in the state thread.resume starts. */
static void test_held_thread(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16), *ctlcs = hk_cspace(1, 16);
    struct proc *p = new_proc(cs, 8);
    struct thread *ctl = hk_thread(ctlcs, NULL, 50);
    struct thread *held = proc_thread(p, NULL, 60, 0, true);
    struct thread *free_run = proc_thread(p, NULL, 5, 1, false);
    hk_install(ctlcs, 1, &held->hdr, W, 0, NULL);
    assert_int_equal(held->state, TS_INACTIVE);
    assert_null(held->q_owner);
    assert_int_equal(free_run->state, TS_READY);
    assert_int_equal(held->frame.sepc, START_PC);
    assert_int_equal(held->frame.regs[REG_A0], 16);
    assert_int_equal(held->frame.regs[REG_A1], 0);
    assert_int_equal(held->frame.regs[REG_A2], 0);
    assert_int_equal(held->frame.regs[REG_TP], START_TP);
    assert_ptr_equal(sched_choose(), ctl); /* it outranks ctl, but is not ready */
    assert_invariants();

    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_STOP, anv_handle_make(1, 0), 0, 0), ANV_E_BUSY);
    assert_int_equal(sys3(ctl, ANV_SYS_THREAD_RESUME, anv_handle_make(1, 0), 0, 0), ANV_OK);
    assert_int_equal(held->state, TS_READY);
    assert_ptr_equal(sched_choose(), held);
    assert_int_equal(held->frame.sepc, START_PC);
    assert_int_equal(held->frame.regs[REG_SP], START_SP);
    assert_invariants();
}

/* A server's reply carrying capabilities: allowed when the caller's capability had
 * GRANT, landing as a send's would. */
static void test_reply_caps_with_grant(void **state)
{
    (void)state;
    struct cspace *scs = hk_cspace(0, 16), *ccs = hk_cspace(1, 16);
    struct endpoint *ep = new_ep(), *ep2 = new_ep();
    struct notification *n = new_ntfn();
    struct cap *ep_srv = hk_install(scs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *ep_cli = hk_install(ccs, 1, NULL, ANV_RIGHT_WRITE | ANV_RIGHT_GRANT, 0, ep_srv);
    struct cap *nc = hk_install(scs, 2, &n->hdr, RW, 0, NULL);
    struct cap *ep2c = hk_install(scs, 3, &ep2->hdr, ANV_RIGHTS_ALL, 0, NULL);
    hk_install(ccs, 2, NULL, ANV_RIGHT_READ, 0, nc); /* lowest free client slot: 3 */
    struct thread *server = hk_thread(scs, NULL, 5);
    struct thread *client = hk_thread(ccs, NULL, 5);

    assert_int_equal(ep_receive(server, ep_srv), ANV_OK);
    client->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    assert_int_equal(ep_send(client, ep_cli, anv_msginfo(1, 0, 0), true), ANV_OK);
    assert_int_equal(client->call_grant, 1);

    server->ipc_buffer->caps_out[0] = cap_handle(nc);
    server->ipc_buffer->caps_out_rights[0] = ANV_RIGHT_READ;
    server->ipc_buffer->caps_out[1] = cap_handle(ep2c);
    server->ipc_buffer->caps_out_rights[1] = ANV_RIGHTS_ALL;
    server->frame.regs[REG_A2] = 77;
    server->frame.regs[REG_A7] = ANV_SYS_IPC_REPLY;
    server->frame.regs[REG_A1] = anv_msginfo(0x42, 1, 2);
    syscall_dispatch(server);
    assert_int_equal(server->frame.regs[REG_A0], ANV_OK);

    assert_int_equal(client->state, TS_READY);
    assert_int_equal(client->frame.regs[REG_A0], ANV_OK);
    assert_int_equal(client->frame.regs[REG_A1], anv_msginfo(0x42, 1, 2));
    assert_int_equal(client->frame.regs[REG_A2], 77);
    struct cap *got0 = &ccs->slots[3], *got1 = &ccs->slots[4];
    assert_int_equal(client->ipc_buffer->caps_in[0], cap_handle(got0));
    assert_int_equal(client->ipc_buffer->caps_in[1], cap_handle(got1));
    assert_ptr_equal(got0->obj, &n->hdr);
    assert_int_equal(got0->rights, ANV_RIGHT_READ);
    assert_ptr_equal(got0->parent, nc);
    assert_ptr_equal(got1->obj, &ep2->hdr);
    assert_int_equal(got1->rights, ANV_RIGHTS_ALL);
    assert_ptr_equal(got1->parent, ep2c);
    assert_null(server->reply_to);
    assert_int_equal(n->hdr.refs, 3);
    assert_invariants();

    /* The server can take them back by revoking its own capabilities. */
    assert_int_equal(cap_revoke(ep2c), 1);
    assert_null(got1->obj);
    assert_invariants();
}

/* Refused replies (no GRANT on the call, bad handles, no room in the caller's CSpace,
 * a fault reply) change nothing: the reply is still owed and can be given after. */
static void test_reply_caps_refused(void **state)
{
    (void)state;
    struct cspace *scs = hk_cspace(0, 16), *ccs = hk_cspace(1, 4);
    struct vspace *vs = new_vspace(4);
    struct endpoint *ep = new_ep(), *fault_ep = new_ep();
    struct notification *n = new_ntfn();
    struct cap *ep_srv = hk_install(scs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *ep_nogrant = hk_install(ccs, 1, NULL, ANV_RIGHT_WRITE, 0, ep_srv);
    struct cap *ep_grant = hk_install(ccs, 2, NULL, ANV_RIGHT_WRITE | ANV_RIGHT_GRANT, 0, ep_srv);
    struct cap *nc = hk_install(scs, 2, &n->hdr, RW, 0, NULL);
    struct cap *fault_srv = hk_install(scs, 3, &fault_ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    hk_install(ccs, 3, NULL, ANV_RIGHT_WRITE, 0, fault_srv);
    struct thread *server = hk_thread(scs, vs, 5);
    struct thread *client = hk_thread(ccs, vs, 5);
    server->ipc_buffer->caps_out[0] = cap_handle(nc);
    server->ipc_buffer->caps_out_rights[0] = ANV_RIGHT_READ;
    const uint64_t one_cap = anv_msginfo(0, 0, 1);

    /* Called through a capability without GRANT: no capabilities back. */
    assert_int_equal(ep_receive(server, ep_srv), ANV_OK);
    client->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    assert_int_equal(ep_send(client, ep_nogrant, anv_msginfo(1, 0, 0), true), ANV_OK);
    assert_int_equal(client->call_grant, 0);
    assert_int_equal(ipc_reply(server, one_cap), ANV_E_RIGHTS);
    assert_ptr_equal(server->reply_to, client);
    assert_int_equal(client->state, TS_BLOCKED_REPLY);
    assert_null(nc->first_child);
    assert_invariants();
    assert_int_equal(ipc_reply(server, anv_msginfo(5, 0, 0)), ANV_OK);
    assert_int_equal(client->frame.regs[REG_A1], anv_msginfo(5, 0, 0));

    /* Through GRANT, but the caller's CSpace (4 slots, 1..3 filled) has no room. */
    assert_int_equal(ep_receive(server, ep_srv), ANV_OK);
    assert_int_equal(ep_send(client, ep_grant, anv_msginfo(1, 0, 0), true), ANV_OK);
    assert_int_equal(client->call_grant, 1);
    assert_int_equal(ipc_reply(server, one_cap), ANV_E_NO_SLOTS);
    /* Bad handles and masks are refused before the caller's side is looked at. */
    server->ipc_buffer->caps_out[0] = anv_handle_make(2, 7);
    assert_int_equal(ipc_reply(server, one_cap), ANV_E_STALE_HANDLE);
    server->ipc_buffer->caps_out[0] = cap_handle(nc);
    server->ipc_buffer->caps_out_rights[0] = 0x10;
    assert_int_equal(ipc_reply(server, one_cap), ANV_E_INVALID_ARG);
    server->ipc_buffer->caps_out_rights[0] = ANV_RIGHT_READ;
    /* A caller without an IPC buffer has nowhere to take the handles. */
    struct anv_ipc_buffer *buf = client->ipc_buffer;
    client->ipc_buffer = NULL;
    cap_delete(&ccs->slots[3]);
    assert_int_equal(ipc_reply(server, one_cap), ANV_E_NO_SLOTS);
    client->ipc_buffer = buf;
    assert_ptr_equal(server->reply_to, client);
    assert_int_equal(client->state, TS_BLOCKED_REPLY);
    assert_null(nc->first_child);
    assert_invariants();
    /* Room made: the same reply goes through. */
    assert_int_equal(ipc_reply(server, one_cap), ANV_OK);
    assert_ptr_equal(ccs->slots[3].obj, &n->hdr);
    assert_int_equal(client->ipc_buffer->caps_in[0], cap_handle(&ccs->slots[3]));
    assert_int_equal(anv_msginfo_caps(client->frame.regs[REG_A1]), 1);
    assert_invariants();

    /* A fault reply never carries capabilities, even through a GRANT fault endpoint. */
    struct thread *faulter = hk_thread(scs, vs, 5);
    faulter->fault_ep_slot = 3;
    assert_int_equal(ep_receive(server, fault_srv), ANV_OK);
    fault_raise(faulter, 13, 0x99);
    assert_ptr_equal(server->reply_to, faulter);
    assert_int_equal(ipc_reply(server, one_cap), ANV_E_TOO_MANY_CAPS);
    assert_ptr_equal(server->reply_to, faulter);
    assert_int_equal(faulter->state, TS_BLOCKED_REPLY);
    assert_int_equal(faulter->is_fault_msg, 1);
    assert_int_equal(ipc_reply(server, anv_msginfo(ANV_FAULT_STOP, 0, 0)), ANV_OK);
    assert_int_equal(faulter->state, TS_INACTIVE);
    assert_invariants();
}

/* The fastpath records the grant right of a call it delivers and never takes a reply
 * with capabilities: that reply falls back to the general path, which delivers it. */
static void test_fastpath_reply_caps_fall_back(void **state)
{
    (void)state;
    struct cspace *scs = hk_cspace(0, 16), *ccs = hk_cspace(1, 16);
    struct endpoint *ep = new_ep();
    struct notification *n = new_ntfn();
    struct cap *ep_srv = hk_install(scs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *ep_cli = hk_install(ccs, 1, NULL, ANV_RIGHT_WRITE | ANV_RIGHT_GRANT, 0, ep_srv);
    hk_install(ccs, 2, NULL, ANV_RIGHT_WRITE, 0, ep_srv);
    struct cap *nc = hk_install(scs, 2, &n->hdr, RW, 0, NULL);
    struct thread *server = hk_thread(scs, NULL, 5);
    struct thread *client = hk_thread(ccs, NULL, 5);

    assert_int_equal(ep_receive(server, ep_srv), ANV_OK);
    assert_ptr_equal(sched_choose(), client);
    client->frame.regs[REG_A0] = cap_handle(ep_cli);
    client->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    assert_ptr_equal(fastpath_call(client), server);
    assert_int_equal(client->call_grant, 1);
    assert_ptr_equal(server->reply_to, client);
    assert_invariants();

    server->ipc_buffer->caps_out[0] = cap_handle(nc);
    server->ipc_buffer->caps_out_rights[0] = ANV_RIGHT_READ;
    server->frame.regs[REG_A0] = cap_handle(ep_srv);
    server->frame.regs[REG_A1] = anv_msginfo(9, 0, 1);
    server->frame.regs[REG_A7] = ANV_SYS_IPC_REPLY_RECV;
    assert_null(fastpath_reply_recv(server));
    assert_ptr_equal(server->reply_to, client); /* nothing changed */
    assert_int_equal(client->state, TS_BLOCKED_REPLY);
    syscall_dispatch(server);
    assert_int_equal(server->state, TS_BLOCKED_RECV);
    assert_int_equal(client->state, TS_READY);
    assert_int_equal(client->frame.regs[REG_A1], anv_msginfo(9, 0, 1));
    assert_ptr_equal(ccs->slots[3].obj, &n->hdr);
    assert_invariants();

    /* Through the copy without GRANT the fastpath records that, and the general path
     * refuses the capability (reply_recv returns the error and does not receive). */
    assert_ptr_equal(sched_choose(), client);
    client->frame.regs[REG_A0] = anv_handle_make(2, 0);
    client->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    assert_ptr_equal(fastpath_call(client), server);
    assert_int_equal(client->call_grant, 0);
    server->frame.regs[REG_A0] = cap_handle(ep_srv);
    server->frame.regs[REG_A1] = anv_msginfo(9, 0, 1);
    assert_null(fastpath_reply_recv(server));
    syscall_dispatch(server);
    assert_int_equal(server->frame.regs[REG_A0], ANV_E_RIGHTS);
    assert_int_equal(server->state, TS_READY);
    assert_ptr_equal(server->reply_to, client);
    assert_invariants();
}

/* The fastpath's lookup memo is exact even when a slot's 32-bit generation has wrapped
 * around: a slot refilled, at the handle's generation, with a notification or with an
 * endpoint lacking the right is refused by the fastpath and by the general path alike
 * (the 2^32 deletions are stood in for by setting the generation back). */
static void test_fastpath_memo_generation_wrap(void **state)
{
    (void)state;
    struct cspace *scs = hk_cspace(0, 16), *ccs = hk_cspace(1, 16);
    struct endpoint *ep = new_ep();
    struct notification *n = new_ntfn();
    struct cap *ep_srv = hk_install(scs, 1, &ep->hdr, ANV_RIGHTS_ALL, 0, NULL);
    struct cap *ep_cli = hk_install(ccs, 1, NULL, ANV_RIGHT_WRITE, 0, ep_srv);
    struct thread *server = hk_thread(scs, NULL, 5);
    struct thread *client = hk_thread(ccs, NULL, 5);
    uint64_t handle = cap_handle(ep_cli);
    uint32_t gen = ep_cli->generation;

    assert_int_equal(ep_receive(server, ep_srv), ANV_OK);
    assert_ptr_equal(sched_choose(), client);
    client->frame.regs[REG_A0] = handle;
    client->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    assert_ptr_equal(fastpath_call(client), server);
    assert_ptr_equal(client->call_memo.cap, ep_cli); /* the memo is made */
    assert_int_equal(ipc_reply(server, anv_msginfo(0, 0, 0)), ANV_OK);
    assert_int_equal(ep_receive(server, ep_srv), ANV_OK);
    assert_invariants();

    /* The invariant checker holds the memo to what the proofs assume of it (fp_memo_ok in
     * core/fastpath.c): another generation in the word, the right missing from it, a
     * handle naming another slot are each a violation. */
    const struct ep_lookup_memo kept = client->call_memo;
    client->call_memo.rights_gen ^= (uint64_t)1 << 32;
    assert_int_equal(invariants_check_all(), 1);
    client->call_memo = kept;
    client->call_memo.rights_gen &= ~(uint64_t)ANV_RIGHT_WRITE;
    assert_int_equal(invariants_check_all(), 1);
    client->call_memo = kept;
    client->call_memo.handle += 1;
    assert_int_equal(invariants_check_all(), 1);
    client->call_memo = kept;
    assert_int_equal(invariants_check_all(), 0);

    /* A notification in the slot, same rights, the generation wrapped back to the memo's. */
    cap_delete(ep_cli);
    struct cap *nc = hk_install(ccs, 1, &n->hdr, ANV_RIGHT_WRITE, 0, NULL);
    nc->generation = gen;
    assert_ptr_equal(sched_choose(), client);
    client->frame.regs[REG_A0] = handle;
    client->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    client->frame.regs[REG_A7] = ANV_SYS_IPC_CALL;
    assert_null(fastpath_call(client));
    assert_int_equal(server->state, TS_BLOCKED_RECV); /* nothing delivered */
    syscall_dispatch(client);
    assert_int_equal(client->frame.regs[REG_A0], ANV_E_WRONG_TYPE);
    assert_int_equal(client->state, TS_READY);
    assert_invariants();

    /* An endpoint capability without the write right, at the same generation. */
    cap_delete(nc);
    struct cap *ro = hk_install(ccs, 1, NULL, ANV_RIGHT_READ, 0, ep_srv);
    ro->generation = gen;
    assert_ptr_equal(sched_choose(), client);
    client->frame.regs[REG_A0] = handle;
    client->frame.regs[REG_A1] = anv_msginfo(1, 0, 0);
    client->frame.regs[REG_A7] = ANV_SYS_IPC_CALL;
    assert_null(fastpath_call(client));
    assert_int_equal(server->state, TS_BLOCKED_RECV);
    syscall_dispatch(client);
    assert_int_equal(client->frame.regs[REG_A0], ANV_E_RIGHTS);
    assert_invariants();
}

/* A partial frame (an ipc.call or ipc.reply_recv entry, t0..t6 unsaved) is made whole
 * before anything reads the registers of a stopped or faulted thread: the temporaries'
 * slots read as the zeros the thread resumes with, and the checker refuses a stopped
 * thread whose frame is still partial. */
static void test_partial_frame_completed(void **state)
{
    (void)state;
    struct cspace *cs = hk_cspace(0, 16);
    struct pool *pt = hk_pool(4, 4);
    struct vspace *vs = hk_zalloc(sizeof(*vs));
    assert_int_equal(vs_init(vs, pt, 0), ANV_OK);
    struct thread *a = hk_thread(cs, vs, 5);
    struct thread *b = hk_thread(cs, vs, 5);
    static const unsigned temps[] = {5, 6, 7, 28, 29, 30, 31};
    for (unsigned i = 0; i < 32; i++)
        a->frame.regs[i] = b->frame.regs[i] = 0x1000 + i; /* stale values of an older trap */
    a->frame_partial = 1;
    assert_invariants(); /* a ready thread inside ipc.call may have one */

    assert_true(!thread_suspend(a));
    assert_int_equal(a->state, TS_INACTIVE);
    assert_int_equal(a->frame_partial, 0);
    for (unsigned i = 0; i < sizeof temps / sizeof temps[0]; i++)
        assert_int_equal(a->frame.regs[temps[i]], 0);
    assert_int_equal(a->frame.regs[REG_SP], 0x1000 + REG_SP); /* the saved ones kept */
    assert_int_equal(a->frame.regs[9], 0x1009);
    assert_invariants();

    /* A fault record is built from a whole frame. */
    b->frame_partial = 1;
    fault_raise(b, 13, 0x40);
    assert_int_equal(b->frame_partial, 0);
    assert_int_equal(b->frame.regs[5], 0);
    assert_int_equal(b->frame.regs[8], 0x1008);
    assert_invariants();

    /* The checker catches a stopped thread left partial. */
    a->frame_partial = 1;
    assert_int_equal(invariants_check_all(), 1);
    a->frame_partial = 0;
}

/* ASIDs: each space gets one of its own until they run out; then the generation rolls
 * over (the caller must flush the whole TLB) and every space gets a fresh one when it
 * next runs, never one still held in the new generation. */
static void test_asid_rollover(void **state)
{
    (void)state;
    struct asid_allocator a;
    asid_init(&a, 2); /* ASIDs 1..3 */
    struct vspace vs[4];
    for (unsigned i = 0; i < 4; i++) {
        struct pool *pt = hk_pool(4, 4);
        assert_int_equal(vs_init(&vs[i], pt, 0), ANV_OK);
        assert_false(asid_live(&a, &vs[i])); /* never ran: nothing cached */
    }
    for (unsigned i = 0; i < 3; i++) {
        assert_false(asid_assign(&a, &vs[i])); /* fresh ASIDs: no flush */
        assert_int_equal(vs[i].asid, i + 1);
        assert_int_equal(vs[i].satp >> 44 & 0xFFFF, i + 1);
        assert_int_equal(vs[i].satp & ((1ull << 44) - 1), vs[i].root_paddr >> 12);
        assert_true(asid_live(&a, &vs[i]));
    }
    /* Running again keeps the ASID, and needs no flush. */
    assert_false(asid_assign(&a, &vs[1]));
    assert_int_equal(vs[1].asid, 2);
    /* The fourth space exhausts them: rollover, flush, ASID 1 again, the rest stale. */
    assert_true(asid_assign(&a, &vs[3]));
    assert_int_equal(vs[3].asid, 1);
    assert_int_equal(a.generation, 2);
    for (unsigned i = 0; i < 3; i++)
        assert_false(asid_live(&a, &vs[i]));
    /* Space 0 held ASID 1 before; now it gets 2, not vs[3]'s 1. */
    assert_false(asid_assign(&a, &vs[0]));
    assert_int_equal(vs[0].asid, 2);
    assert_false(asid_assign(&a, &vs[2]));
    assert_int_equal(vs[2].asid, 3);
    assert_true(asid_assign(&a, &vs[1])); /* out again */
    assert_int_equal(vs[1].asid, 1);
    assert_int_equal(a.generation, 3);

    /* A hart without ASIDs: every space runs as 0 and every switch flushes. */
    struct asid_allocator none;
    asid_init(&none, 0);
    assert_true(asid_assign(&none, &vs[0]));
    assert_int_equal(vs[0].asid, 0);
    assert_int_equal(vs[0].satp >> 44 & 0xFFFF, 0);
    assert_true(asid_assign(&none, &vs[0]));
    assert_true(asid_live(&none, &vs[1]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, hk_setup, hk_teardown)
        T(test_handle_round_trip),
        T(test_handle_lookup_errors),
        T(test_revoke_across_cspaces),
        T(test_delete_moves_children_up),
        T(test_endpoint_destroyed_with_last_cap),
        T(test_rights_attenuation),
        T(test_ipc_send_to_waiting_receiver),
        T(test_ipc_queue_priority_order),
        T(test_ipc_queue_bound),
        T(test_ipc_queue_bound_receivers),
        T(test_ipc_message_bounds),
        T(test_ipc_cap_transfer),
        T(test_ipc_call_reply),
        T(test_ipc_reply_survives_refused_call),
        T(test_fault_client_woken_by_new_message),
        T(test_sched_priority),
        T(test_sched_round_robin),
        T(test_sched_budget_throttle),
        T(test_sched_tick_dodger),
        T(test_wait_timeout),
        T(test_ntfn_signal_then_wait),
        T(test_ntfn_wait_then_signal),
        T(test_ntfn_abort_wait),
        T(test_pool_quota),
        T(test_vspace_map),
        T(test_thread_stop_each_state),
        T(test_thread_stop_refusals),
        T(test_thread_stop_server_releases_caller),
        T(test_thread_restart_refusals),
        T(test_thread_restart_registers),
        T(test_thread_restart_reload),
        T(test_thread_restart_reload_needs_all_stopped),
        T(test_held_thread),
        T(test_reply_caps_with_grant),
        T(test_reply_caps_refused),
        T(test_fastpath_reply_caps_fall_back),
        T(test_fastpath_memo_generation_wrap),
        T(test_asid_rollover),
        T(test_partial_frame_completed),
#undef T
    };
    return cmocka_run_group_tests_name("kernel-objects", tests, NULL, NULL);
}
