/* Invariant checker: walks every registered CSpace and every thread. Bounded by the
 * number of slots and threads, so it can run after each of 100,000 syscalls. */
#include "core/invariants.h"

#include "core/console.h"
#include "core/panic.h"
#include "object/process.h"
#include "core/sched.h"
#include "object/vspace.h"

bool invariants_enabled;
/* Every registered CSpace, linked through the CSpace itself: no table to outgrow, no
 * allocation, however many CSpaces the manifest creates. */
static struct cspace *inv_cspaces;
static struct cspace *inv_cspace_last;
static uint32_t inv_cspace_count;
static unsigned inv_runs;

void invariants_register_cspace(struct cspace *cs)
{
    /* Registering twice would close the list into a cycle: once is enough. The walk
     * runs only at registration (boot, and host tests' set-up). */
    const struct cspace *k = inv_cspaces;
    for (uint32_t n = 0; k && n < inv_cspace_count; n++, k = k->inv_next)
        if (k == cs)
            return;
    cs->inv_next = 0;
    if (inv_cspace_last)
        inv_cspace_last->inv_next = cs;
    else
        inv_cspaces = cs;
    inv_cspace_last = cs;
    inv_cspace_count++;
}

static unsigned inv_fail(const char *what, uint32_t a, uint32_t b)
{
    kprintf("invariant violated: %s (%u, %u)\n", what, a, b);
    return 1;
}

static bool inv_is_child(const struct cap *parent, const struct cap *c)
{
    const struct cap *k = parent->first_child;
    for (uint32_t guard = 0; k && guard < 0x100000u; guard++, k = k->next_sibling)
        if (k == c)
            return true;
    return false;
}

/* No capability is its own ancestor: the walk up the parent links ends within the
 * guard (far more than any system's capabilities). */
static bool inv_parents_end(const struct cap *c)
{
    const struct cap *p = c->parent;
    for (uint32_t guard = 0; p && guard < 0x100000u; guard++, p = p->parent)
        if (p == c)
            return false;
    return p == 0;
}

static unsigned inv_check_slot(const struct cspace *cs, uint32_t i)
{
    const struct cap *c = &cs->slots[i];
    unsigned bad = 0;
    if (c->owner != cs)
        bad += inv_fail("slot owner", cs->hdr.id, i);
    if (c->obj == 0) {
        if (c->type != ANV_OBJ_NULL || c->parent || c->first_child || c->next_sibling ||
            c->prev_sibling)
            bad += inv_fail("empty slot carries state", cs->hdr.id, i);
        return bad;
    }
    if (i == 0)
        bad += inv_fail("slot 0 filled", cs->hdr.id, i);
    if (c->type == ANV_OBJ_NULL || c->type >= ANV_OBJ_COUNT)
        bad += inv_fail("slot type", cs->hdr.id, i);
    if (c->type != ANV_OBJ_MAPPING && c->type != c->obj->type)
        bad += inv_fail("cap type differs from object", cs->hdr.id, i);
    if (c->obj->refs == 0)
        bad += inv_fail("object without references", cs->hdr.id, i);
    if ((c->rights & ~ANV_RIGHTS_ALL) != 0)
        bad += inv_fail("rights", cs->hdr.id, i);
    if (c->parent) {
        if (!inv_is_child(c->parent, c))
            bad += inv_fail("missing from parent's children", cs->hdr.id, i);
        if ((c->rights & ~c->parent->rights) != 0 && c->parent->type == c->type)
            bad += inv_fail("child has rights its parent lacks", cs->hdr.id, i);
        if (c->parent->obj == 0)
            bad += inv_fail("parent slot empty", cs->hdr.id, i);
    }
    /* The pairing revoke's proof assumes (cdt_paired in object/cspace.c), one test a
     * conjunct, so a run that breaks it is caught where the proof could not be. */
    if (c->next_sibling && c->next_sibling->prev_sibling != c)
        bad += inv_fail("sibling links", cs->hdr.id, i);
    if (c->prev_sibling && c->prev_sibling->next_sibling != c)
        bad += inv_fail("sibling links (previous)", cs->hdr.id, i);
    if (c->next_sibling && c->next_sibling->parent != c->parent)
        bad += inv_fail("siblings with different parents", cs->hdr.id, i);
    if (c->first_child && c->first_child->parent != c)
        bad += inv_fail("first child's parent", cs->hdr.id, i);
    if (c->first_child && c->first_child->prev_sibling)
        bad += inv_fail("first child has a previous sibling", cs->hdr.id, i);
    if (c->parent && !inv_parents_end(c))
        bad += inv_fail("derivation cycle", cs->hdr.id, i);
    if (c->type == ANV_OBJ_MAPPING) {
        const struct frame *f = (const struct frame *)c->obj;
        uint32_t rights = 0;
        if (vs_translate(c->map_vspace, c->map_vaddr, &rights) != f->paddr || rights != c->rights)
            bad += inv_fail("mapping does not match its page table entry", cs->hdr.id, i);
    }
    return bad;
}

static unsigned inv_check_thread(const struct thread *t)
{
    unsigned bad = 0;
    const struct thread_queue *ready = &sched_ready;
    bool in_ready = t->q_owner == ready;
    if ((t->state == TS_READY) != in_ready)
        bad += inv_fail("ready state vs ready queue", t->hdr.id, t->state);
    if (t->state == TS_BLOCKED_SEND || t->state == TS_BLOCKED_RECV) {
        const struct endpoint *ep = (const struct endpoint *)t->blocked_on;
        if (!ep || t->q_owner != &ep->queue || ep->hdr.type != ANV_OBJ_ENDPOINT)
            bad += inv_fail("blocked on endpoint but not queued", t->hdr.id, t->state);
        else if ((t->state == TS_BLOCKED_SEND) != (ep->queue_is_senders != 0))
            bad += inv_fail("endpoint queue direction", t->hdr.id, t->state);
    }
    if (t->state == TS_BLOCKED_REPLY && (!t->replier || t->replier->reply_to != t))
        bad += inv_fail("reply link not symmetric", t->hdr.id, 0);
    if (t->reply_to && t->reply_to->replier != t)
        bad += inv_fail("reply_to link not symmetric", t->hdr.id, 0);
    /* A receive gives up the reply it owes before it blocks (RFC 0010 section 4.7);
     * the fastpath's call relies on it (fastpath_call_take). */
    if (t->state == TS_BLOCKED_RECV && t->reply_to)
        bad += inv_fail("receiver blocked owing a reply", t->hdr.id, 0);
    /* The fastpath's memos are empty or what its lookup found (fp_memo_ok in
     * core/fastpath.c): a well-formed handle naming its slot of the thread's own CSpace,
     * the word kept its generation above rights holding the take's right. */
    const struct ep_lookup_memo *memos[2] = {&t->call_memo, &t->recv_memo};
    const uint32_t memo_rights[2] = {ANV_RIGHT_WRITE, ANV_RIGHT_READ};
    for (unsigned m = 0; m < 2; m++) {
        const struct ep_lookup_memo *memo = memos[m];
        if (!memo->cap)
            continue;
        uint32_t slot = anv_handle_slot(memo->handle);
        if (!t->cspace || anv_handle_tag(memo->handle) != ANV_HANDLE_TAG_SOFT ||
            anv_handle_reserved(memo->handle) != 0 || slot == 0 || slot >= t->cspace->size ||
            memo->cap != t->cspace->slots + slot)
            bad += inv_fail("fastpath memo not the slot its handle names", t->hdr.id, m);
        else if ((uint32_t)(memo->rights_gen >> 32) != anv_handle_generation(memo->handle) ||
                 ((uint32_t)memo->rights_gen & memo_rights[m]) != memo_rights[m])
            bad += inv_fail("fastpath memo's word not its handle's generation and right",
                            t->hdr.id, m);
    }
    if (t->state == TS_BLOCKED_WAIT && t->q_owner == 0 && !t->on_sleep_list)
        bad += inv_fail("waiting on nothing", t->hdr.id, 0);
    /* Stopped and throttled threads wait on nothing: thread.resume and thread.restart
     * (or a refill) only have to put them on the ready queue. */
    if ((t->state == TS_INACTIVE || t->state == TS_THROTTLED) && (t->q_owner || t->blocked_on))
        bad += inv_fail("stopped or throttled thread still queued", t->hdr.id, t->state);
    /* A partial frame (t0..t6 unsaved) belongs to a thread inside ipc.call or
     * ipc.reply_recv; a stopped or faulted one has been made whole for whoever reads it. */
    if (t->frame_partial && (t->state == TS_INACTIVE || t->is_fault_msg))
        bad += inv_fail("stopped or faulted thread with a partial frame", t->hdr.id, t->state);
    if (t->on_sleep_list && t->state != TS_BLOCKED_WAIT)
        bad += inv_fail("on the timeout list outside wait_one", t->hdr.id, t->state);
    if (t->replier && t->state != TS_BLOCKED_REPLY)
        bad += inv_fail("reply link on a thread not waiting for a reply", t->hdr.id, t->state);
    if (t->proc && t->proc->cspace != t->cspace)
        bad += inv_fail("thread's CSpace is not its process's", t->hdr.id, 0);
    if (t->q_owner) {
        if (t->q_next && (t->q_next->q_prev != t || t->q_next->priority > t->priority))
            bad += inv_fail("queue order or links", t->hdr.id, t->priority);
        uint32_t n = 0;
        for (const struct thread *k = t->q_owner->head; k && n <= SCHED_MAX_THREADS; k = k->q_next)
            n++;
        if (n != t->q_owner->length)
            bad += inv_fail("queue length", t->hdr.id, n);
    }
    return bad;
}

unsigned invariants_check_all(void)
{
    unsigned bad = 0;
    inv_runs++;
    const struct cspace *cs = inv_cspaces;
    uint32_t seen = 0;
    for (; cs && seen < inv_cspace_count; cs = cs->inv_next, seen++)
        for (uint32_t i = 0; i < cs->size; i++)
            bad += inv_check_slot(cs, i);
    if (cs || seen != inv_cspace_count)
        bad += inv_fail("cspace list", seen, inv_cspace_count);
    uint32_t count;
    struct thread *const *all = sched_threads(&count);
    for (uint32_t i = 0; i < count; i++)
        bad += inv_check_thread(all[i]);
#ifndef ANV_HOST_TEST
    if (bad)
        panic("%u kernel invariants violated", bad);
#endif
    return bad;
}

unsigned invariants_checks_run(void)
{
    return inv_runs;
}

uint32_t invariants_cspace_count(void)
{
    return inv_cspace_count;
}
