/* CSpaces and capabilities: handle resolution with generation checks, derivation that
 * only attenuates, and the derivation tree that revoke walks. */
#include "object/cspace.h"

#include "core/panic.h"

/* Capabilities in every CSpace: no sibling list, no chain of descendants can hold more,
 * so it bounds every walk of the derivation tree. Declared in cspace.h only so the IPC
 * transfer's contract can name what it writes (endpoint.c); only this file writes it. */
uint64_t cap_live;

/* The ACSL predicates of the derivation tree (cap_ok, cdt_links_valid, cdt_paired, ...)
 * are in cspace.h, so that the syscalls' contracts can name them too. */

/*@ requires 0 < size <= ANV_HANDLE_SLOT_MASK + 1;
    requires \valid(cs) && \valid(slots + (0 .. size - 1));
    requires \separated(cs, slots + (0 .. size - 1));
    assigns cs->hdr, cs->size, cs->slots, cs->first_dynamic, slots[0 .. size - 1];
    ensures cspace_valid(cs) && cs->size == size && cs->slots == slots;
    ensures \forall integer i; 0 <= i < size ==>
        slots[i].obj == \null && slots[i].generation == 0 && slots[i].owner == cs &&
        slots[i].parent == \null && slots[i].first_child == \null;
*/
void cspace_init(struct cspace *cs, struct cap *slots, uint32_t size)
{
    /* A handle's slot field has 24 bits: a bigger CSpace would have slots no handle can
     * name, and resolution relies on every index below the size being one. The manifest
     * decoder refuses such sizes; this is where the limit is relied on. */
    KASSERT(size > 0 && size <= ANV_HANDLE_SLOT_MASK + 1);
    kobj_init(&cs->hdr, ANV_OBJ_CSPACE);
    cs->size = size;
    cs->slots = slots;
    cs->first_dynamic = 1; /* the loader raises it over what the manifest places */
    /*@ loop invariant 0 <= i <= size;
        loop invariant \forall integer k; 0 <= k < i ==>
            slots[k].obj == \null && slots[k].generation == 0 && slots[k].owner == cs &&
            slots[k].parent == \null && slots[k].first_child == \null;
        loop assigns i, slots[0 .. size - 1];
        loop variant size - i;
    */
    /* Field by field rather than by a struct copy, so WP can follow it: every field of
     * struct cap is here (a new one must be added too). */
    for (uint32_t i = 0; i < size; i++) {
        struct cap *c = &slots[i];
        c->obj = 0;
        c->type = ANV_OBJ_NULL;
        c->placed = 0;
        c->badge = 0;
        c->rights = 0;
        c->generation = 0;
        c->parent = 0;
        c->first_child = 0;
        c->next_sibling = 0;
        c->prev_sibling = 0;
        c->owner = cs;
        c->map_vaddr = 0;
        c->map_vspace = 0;
    }
}

int cspace_lookup(const struct cspace *cs, uint64_t handle, struct cap **out)
{
    if (anv_handle_tag(handle) != ANV_HANDLE_TAG_SOFT || anv_handle_reserved(handle) != 0)
        return ANV_E_BAD_HANDLE;
    uint32_t slot = anv_handle_slot(handle);
    if (slot == 0 || slot >= cs->size)
        return ANV_E_BAD_HANDLE;
    struct cap *c = &cs->slots[slot];
    if (c->generation != anv_handle_generation(handle))
        return ANV_E_STALE_HANDLE;
    if (c->obj == 0)
        return ANV_E_EMPTY_SLOT;
    *out = c;
    return ANV_OK;
}

int cspace_lookup_cap(const struct cspace *cs, uint64_t handle, uint8_t type, uint32_t rights,
                      struct cap **out)
{
    struct cap *c;
    int err = cspace_lookup(cs, handle, &c);
    if (err != ANV_OK)
        return err;
    if (type != ANV_OBJ_NULL && c->type != type)
        return ANV_E_WRONG_TYPE;
    if ((c->rights & rights) != rights)
        return ANV_E_RIGHTS;
    *out = c;
    return ANV_OK;
}

int cspace_empty_slot(const struct cspace *cs, uint32_t index, struct cap **out)
{
    if (index == 0 || index >= cs->size)
        return ANV_E_BAD_HANDLE;
    if (cs->slots[index].obj != 0)
        return ANV_E_SLOT_OCCUPIED;
    *out = &cs->slots[index];
    return ANV_OK;
}

int cspace_dynamic_slot(const struct cspace *cs, uint64_t index, struct cap **out)
{
    if (index == 0 || index >= cs->size)
        return ANV_E_BAD_HANDLE;
    if (index < cs->first_dynamic)
        return ANV_E_RESERVED_SLOT;
    /* Through a local: *out is written only on success (the contract says so). */
    struct cap *slot;
    int err = cspace_empty_slot(cs, (uint32_t)index, &slot);
    if (err == ANV_OK)
        *out = slot;
    return err;
}

void cspace_set_first_dynamic(struct cspace *cs, uint32_t manifest_top)
{
    uint32_t first = manifest_top + 1;
    cs->first_dynamic = first > ANV_SLOT_FIRST_FREE ? first : ANV_SLOT_FIRST_FREE;
}

int cspace_find_free(const struct cspace *cs, uint32_t count, struct cap **out)
{
    uint32_t found = 0;
    /*@ loop invariant cs->first_dynamic <= i <= cs->size || (i == cs->first_dynamic && i > cs->size);
        loop invariant 0 <= found <= count && found <= i - cs->first_dynamic;
        loop invariant \forall integer k; 0 <= k < found ==>
            \base_addr(out[k]) == \base_addr(cs->slots) &&
            cs->slots + cs->first_dynamic <= out[k] < cs->slots + i && out[k]->obj == \null;
        loop invariant \forall integer k; 0 <= k < found ==> cspace_slot_in(out[k], cs);
        loop invariant \forall integer k1, k2; 0 <= k1 < k2 < found ==> out[k1] < out[k2];
        loop assigns i, found, out[0 .. count - 1];
        loop variant cs->size - i;
    */
    for (uint32_t i = cs->first_dynamic; i < cs->size && found < count; i++)
        if (cs->slots[i].obj == 0)
            out[found++] = &cs->slots[i];
    return found == count ? ANV_OK : ANV_E_NO_SLOTS;
}

/* Proved with revoke (wp_revoke), which reads it before its walk. */
/*@ requires \valid_read(c) && \valid_read(c->owner) && cspace_valid(c->owner);
    requires \exists integer i; 0 <= i < c->owner->size && c == c->owner->slots + i;
    assigns \nothing;
    ensures c == c->owner->slots + \result;
*/
uint32_t cap_slot_index(const struct cap *c)
{
    return (uint32_t)(c - c->owner->slots);
}

/*@ requires \valid_read(c) && \valid_read(c->owner) && cspace_valid(c->owner);
    requires \exists integer i; 0 <= i < c->owner->size && c == c->owner->slots + i;
    assigns \nothing;
*/
uint64_t cap_handle(const struct cap *c)
{
    return anv_handle_make(cap_slot_index(c), c->generation);
}

int cap_derive_check(const struct cap *src, uint32_t rights, uint64_t badge)
{
    if ((rights & ~ANV_RIGHTS_ALL) != 0)
        return ANV_E_INVALID_ARG;
    if ((rights & ~src->rights) != 0)
        return ANV_E_RIGHTS;
    if (src->type == ANV_OBJ_MAPPING)
        return ANV_E_WRONG_TYPE;
    if (badge != 0) {
        if (src->type != ANV_OBJ_ENDPOINT && src->type != ANV_OBJ_NOTIFICATION)
            return ANV_E_INVALID_ARG;
        if (src->badge != 0)
            return ANV_E_RIGHTS; /* a badge, once set, is part of the authority */
    }
    return ANV_OK;
}

/* The stores that hang a child first on its parent's list, and exactly what they change in
 * every capability (behavior caps; proved apart from the tree's invariants, as cdt_splice
 * is for cdt_unlink). */
/*@ requires \valid(parent) && \valid(child) && \separated(parent, child);
    requires parent->first_child == \null ||
        (\valid(parent->first_child) && \separated(parent->first_child, child));
    assigns child->parent, child->prev_sibling, child->next_sibling, parent->first_child,
            parent->first_child->prev_sibling;
    ensures child->parent == parent && parent->first_child == child;
    behavior caps:
      assumes cap_ok(parent) && cap_ok(child);
      assumes parent->first_child == \null || cap_ok(parent->first_child);
      ensures others_kept: cdt_others_kept{Pre, Post}(parent, child);
      ensures next_of: child->next_sibling == \old(parent->first_child);
      ensures prev_of: \forall struct cap *x; cap_ok(x) ==>
        (x == child ==> x->prev_sibling == \null) &&
        (x != child && x == \old(parent->first_child) ==> x->prev_sibling == child) &&
        (x != child && x != \old(parent->first_child) ==>
            x->prev_sibling == \old(x->prev_sibling));
*/
static void cdt_hang_child(struct cap *parent, struct cap *child)
{
    child->parent = parent;
    child->prev_sibling = 0;
    child->next_sibling = parent->first_child;
    if (parent->first_child)
        parent->first_child->prev_sibling = child;
    parent->first_child = child;
}

/* Linking a child under a parent. Linking an unlinked, filled capability keeps the tree's
 * links valid, paired and filled (behavior tree_kept): the child is a new leaf below the
 * parent and no other link changes (cap_delete unlinks each child it moves first).
 * Behavior caps (cdt_others_kept, cdt_hang_child's frame, which cdt_move_first_child
 * reads): every capability but the child keeps its parent and next sibling, every one but
 * the parent its first child, every one its object. */
/*@ requires \valid(parent) && \valid(child) && \separated(parent, child);
    requires parent->first_child == \null ||
        (\valid(parent->first_child) && \separated(parent->first_child, child));
    assigns child->parent, child->prev_sibling, child->next_sibling, parent->first_child,
            parent->first_child->prev_sibling;
    ensures child->parent == parent && parent->first_child == child;
    behavior tree_kept:
      assumes cdt_links_valid && cdt_paired && cdt_filled;
      assumes cap_ok(parent) && cap_ok(child) && child->obj != \null;
      assumes child->parent == \null && child->next_sibling == \null &&
              child->prev_sibling == \null;
      ensures cdt_links_valid;
      ensures cdt_filled;
      ensures cdt_pair_child;
      ensures cdt_pair_fwd;
      ensures cdt_pair_back;
      ensures cdt_pair_parent;
    behavior caps:
      assumes cap_ok(parent) && cap_ok(child);
      assumes parent->first_child == \null || cap_ok(parent->first_child);
      ensures others_kept: cdt_others_kept{Pre, Post}(parent, child);
*/
static void cdt_link_child(struct cap *parent, struct cap *child)
{
    /* Nothing links to an unlinked capability (the pairing would name it back), and
     * nothing's next sibling is the parent's first child (it has no previous sibling). */
    /*@ for tree_kept: assert \forall struct cap *x; cap_ok(x) ==>
            x->first_child != child && x->next_sibling != child && x->prev_sibling != child; */
    /*@ for tree_kept: assert parent->first_child != \null ==>
            cap_ok(parent->first_child) && parent->first_child->parent == parent &&
            parent->first_child->prev_sibling == \null &&
            \forall struct cap *x; cap_ok(x) ==> x->next_sibling != parent->first_child; */
    cdt_hang_child(parent, child);
}

/* The stores that take c out of the tree, and exactly what they change in every
 * capability: proved apart from the tree's invariants (cdt_unlink), whose statements over
 * every capability, in the same proof, keep the provers from these simple facts. */
/*@ requires cap_ok(c);
    requires c->prev_sibling == \null || cap_ok(c->prev_sibling);
    requires c->next_sibling == \null || cap_ok(c->next_sibling);
    requires c->parent == \null || cap_ok(c->parent);
    assigns c->parent, c->next_sibling, c->prev_sibling, c->prev_sibling->next_sibling,
            c->parent->first_child, c->next_sibling->prev_sibling;
    ensures parent_of: \forall struct cap *x; cap_ok(x) ==>
        (x == c ==> x->parent == \null) && (x != c ==> x->parent == \old(x->parent));
    ensures first_child_of: \forall struct cap *x; cap_ok(x) ==>
        (x == \old(c->parent) && \old(c->prev_sibling) == \null ==>
            x->first_child == \old(c->next_sibling)) &&
        (x != \old(c->parent) || \old(c->prev_sibling) != \null ==>
            x->first_child == \old(x->first_child));
    ensures next_of: \forall struct cap *x; cap_ok(x) ==>
        (x == c ==> x->next_sibling == \null) &&
        (x != c && x == \old(c->prev_sibling) ==> x->next_sibling == \old(c->next_sibling)) &&
        (x != c && x != \old(c->prev_sibling) ==> x->next_sibling == \old(x->next_sibling));
    ensures prev_of: \forall struct cap *x; cap_ok(x) ==>
        (x == c ==> x->prev_sibling == \null) &&
        (x != c && x == \old(c->next_sibling) ==> x->prev_sibling == \old(c->prev_sibling)) &&
        (x != c && x != \old(c->next_sibling) ==> x->prev_sibling == \old(x->prev_sibling));
    ensures obj_of: \forall struct cap *x; cap_ok(x) ==> x->obj == \old(x->obj);
*/
static void cdt_splice(struct cap *c)
{
    struct cap *prev = c->prev_sibling, *next = c->next_sibling, *parent = c->parent;
    if (prev)
        prev->next_sibling = next;
    else if (parent)
        parent->first_child = next;
    if (next)
        next->prev_sibling = prev;
    c->parent = 0;
    c->next_sibling = 0;
    c->prev_sibling = 0;
}

/*@ // What taking c off its parent's list leaves as it was, between two states: every
    // other capability's parent; every first child but the parent's, which becomes c's next
    // sibling when c was first; every next sibling but c's and its previous sibling's.
    predicate unlink_parents_kept{L1, L2}(struct cap *c) =
        \forall struct cap *x; cap_ok{L2}(x) && x != c ==>
            \at(x->parent, L2) == \at(x->parent, L1);
    predicate unlink_firsts_kept{L1, L2}(struct cap *c) =
        \forall struct cap *x; cap_ok{L2}(x) ==>
            (x == \at(c->parent, L1) && \at(c->prev_sibling, L1) == \null ==>
                \at(x->first_child, L2) == \at(c->next_sibling, L1)) &&
            (x != \at(c->parent, L1) ==> \at(x->first_child, L2) == \at(x->first_child, L1));
    predicate unlink_nexts_kept{L1, L2}(struct cap *c) =
        \forall struct cap *x; cap_ok{L2}(x) && x != c && x != \at(c->prev_sibling, L1) ==>
            \at(x->next_sibling, L2) == \at(x->next_sibling, L1);
*/

/* Takes c off its parent's list; c keeps its own children, which still name it (revoke
 * unlinks a leaf, cap_delete each child it moves and then the childless c). */
/*@ requires cdt_links_valid && cdt_paired && cdt_filled && cap_ok(c);
    assigns c->parent, c->next_sibling, c->prev_sibling, c->prev_sibling->next_sibling,
            c->parent->first_child, c->next_sibling->prev_sibling;
    ensures cdt_links_valid && cdt_filled;
    ensures cdt_pair_child && cdt_pair_fwd && cdt_pair_back && cdt_pair_parent;
    ensures c->parent == \null && c->next_sibling == \null && c->prev_sibling == \null;
    ensures parents_kept: unlink_parents_kept{Pre, Post}(c);
    ensures firsts_kept: unlink_firsts_kept{Pre, Post}(c);
    ensures nexts_kept: unlink_nexts_kept{Pre, Post}(c);
    ensures contents_kept: \forall struct cap *x; cap_ok(x) ==> x->obj == \old(x->obj);
*/
static void cdt_unlink(struct cap *c)
{
    /*@ assert c->prev_sibling != \null ==> c->prev_sibling->next_sibling == c &&
            c->prev_sibling->parent == c->parent; */
    /*@ assert c->next_sibling != \null ==> c->next_sibling->prev_sibling == c &&
            c->next_sibling->parent == c->parent; */
    /*@ assert \forall struct cap *x; cap_ok(x) && x->first_child == c ==>
            x == c->parent && c->prev_sibling == \null; */
    //@ assert \forall struct cap *x; cap_ok(x) && x->next_sibling == c ==> x == c->prev_sibling;
    //@ assert \forall struct cap *x; cap_ok(x) && x->prev_sibling == c ==> x == c->next_sibling;
    //@ assert c->prev_sibling == c ==> c->next_sibling == c;
    //@ assert c->next_sibling == c ==> c->prev_sibling == c;
    /*@ assert \forall struct cap *x; cap_ok(x) && x->next_sibling != \null &&
            x->next_sibling == c->next_sibling ==> x == c; */
    /*@ assert \forall struct cap *x; cap_ok(x) && x->prev_sibling != \null &&
            x->prev_sibling == c->prev_sibling ==> x == c; */
    cdt_splice(c);
}

/*@ requires \valid(dst) && dst->obj == \null && \valid(obj);
    requires \separated(obj, dst) && (parent != \null ==> \separated(obj, parent));
    requires parent == \null || (\valid(parent) && \separated(parent, dst));
    requires parent != \null ==> parent->first_child == \null ||
        (\valid(parent->first_child) && \separated(parent->first_child, dst, obj));
    assigns dst->obj, dst->type, dst->placed, dst->rights, dst->badge, dst->first_child,
            dst->map_vaddr, dst->map_vspace, dst->parent, dst->next_sibling,
            dst->prev_sibling, obj->refs, cap_live, parent->first_child,
            parent->first_child->prev_sibling;
    ensures dst->obj == obj && dst->type == type && dst->rights == rights;
    ensures dst->badge == badge && dst->parent == parent && dst->first_child == \null;
    ensures parent != \null ==> parent->first_child == dst;
    // Installing into an unlinked slot, under a parent or none, keeps the tree's
    // links valid, paired and filled: the new capability is a leaf and no other link
    // changes (the rest of the tree's invariants are inductive; not stated here).
    behavior tree_kept:
      assumes cdt_links_valid && cdt_paired && cdt_filled && cap_ok(dst);
      assumes dst->parent == \null && dst->first_child == \null &&
              dst->next_sibling == \null && dst->prev_sibling == \null;
      assumes parent == \null || cap_ok(parent);
      ensures cdt_links_valid && cdt_filled;
      ensures cdt_pair_child && cdt_pair_fwd && cdt_pair_back && cdt_pair_parent;
*/
void cap_install(struct cap *dst, struct kobj *obj, uint8_t type, uint32_t rights,
                 uint64_t badge, struct cap *parent)
{
    KASSERT(dst->obj == 0);
    dst->obj = obj;
    dst->type = type;
    dst->placed = 0;
    dst->rights = rights;
    dst->badge = badge;
    dst->first_child = 0;
    dst->map_vaddr = 0;
    dst->map_vspace = 0;
    dst->parent = 0;
    dst->next_sibling = 0;
    dst->prev_sibling = 0;
    /* The tree's invariants after the slot's own stores, one at a time: each is a goal
     * of its own, which the link's contract then takes as its assumption. The stores
     * changed no link (the slot's were already empty). */
    /*@ for tree_kept: assert links_same: \forall struct cap *x; cap_ok(x) ==>
            x->parent == \at(x->parent, Pre) && x->first_child == \at(x->first_child, Pre) &&
            x->next_sibling == \at(x->next_sibling, Pre) &&
            x->prev_sibling == \at(x->prev_sibling, Pre); */
    //@ for tree_kept: assert cdt_links_valid;
    //@ for tree_kept: assert cdt_filled;
    //@ for tree_kept: assert cdt_pair_child;
    //@ for tree_kept: assert cdt_pair_fwd;
    //@ for tree_kept: assert cdt_pair_back;
    //@ for tree_kept: assert cdt_pair_parent;
    if (parent)
        cdt_link_child(parent, dst);
    obj->refs++;
    cap_live++;
}

/* The derived capability names the source's object with the rights asked for (which
 * cap_derive_check proved a subset of the source's), the badge asked for or else the
 * source's, and is a child of its source. */
/*@ requires rights_shrink: rights_subset(rights, src->rights);
    requires badge_once: badge == 0 || (src->badge == 0 &&
        (src->type == ANV_OBJ_ENDPOINT || src->type == ANV_OBJ_NOTIFICATION));
    requires \valid(dst) && dst->obj == \null && \valid(src) && \separated(src, dst);
    requires \valid(src->obj);
    requires \separated(src->obj, src, dst);
    requires src->first_child == \null ||
        (\valid(src->first_child) && \separated(src->first_child, dst, src->obj));
    assigns dst->obj, dst->type, dst->placed, dst->rights, dst->badge, dst->first_child,
            dst->map_vaddr, dst->map_vspace, dst->parent, dst->next_sibling,
            dst->prev_sibling, src->obj->refs, cap_live, src->first_child,
            src->first_child->prev_sibling;
    ensures dst->obj == \old(src->obj) && dst->type == \old(src->type);
    ensures dst->rights == rights && rights_subset(dst->rights, \old(src->rights));
    ensures dst->parent == src && src->first_child == dst;
    ensures dst->badge == (badge != 0 ? badge : \old(src->badge));
    // Deriving into an unlinked slot keeps the tree's links valid, paired and filled
    // (cap_install's behavior of the same name).
    behavior tree_kept:
      assumes cdt_links_valid && cdt_paired && cdt_filled && cap_ok(dst) && cap_ok(src);
      assumes dst->parent == \null && dst->first_child == \null &&
              dst->next_sibling == \null && dst->prev_sibling == \null;
      ensures cdt_links_valid && cdt_filled;
      ensures cdt_pair_child && cdt_pair_fwd && cdt_pair_back && cdt_pair_parent;
*/
void cap_derive(struct cap *dst, struct cap *src, uint32_t rights, uint64_t badge)
{
    cap_install(dst, src->obj, src->type, rights, badge ? badge : src->badge, src);
}

/* Emptying a slot is three steps, so that revoke, which only ever empties leaves, can
 * take them one by one: the object's hook while the slot still holds the capability
 * (waking the threads waiting through it, undoing a mapping), the slot's links, then its
 * contents and the counts. The hook and the object's reference are trusted by the revoke
 * proof, not proved (docs/assurance.md): their contracts say what they change. */
/*@ requires \valid(c) && c->obj != \null;
    assigns \nothing;
*/
static void cap_unhook(struct cap *c)
{
    KASSERT(c->obj != 0);
    cap_on_remove(c);
}

/*@ assigns *obj; */
static void cap_unref(struct kobj *obj)
{
    KASSERT(obj->refs > 0);
    if (--obj->refs == 0 && !(obj->flags & KOBJ_PINNED))
        kobj_destroy(obj);
}

/* The slot's contents and the counts, and exactly what that changes in every capability:
 * proved apart from the tree's invariants, as cdt_splice is. */
/*@ requires cap_ok(c) && cap_live > 0;
    assigns c->obj, c->type, c->placed, c->rights, c->badge, c->map_vaddr, c->map_vspace,
            c->generation, cap_live, *(c->obj);
    ensures c->obj == \null && cap_live == \old(cap_live) - 1;
    ensures links_of: \forall struct cap *x; cap_ok(x) ==>
        x->parent == \old(x->parent) && x->first_child == \old(x->first_child) &&
        x->next_sibling == \old(x->next_sibling) && x->prev_sibling == \old(x->prev_sibling);
    ensures obj_of: \forall struct cap *x; cap_ok(x) && x != c ==> x->obj == \old(x->obj);
*/
static void cap_clear_contents(struct cap *c)
{
    struct kobj *obj = c->obj;
    c->obj = 0;
    c->type = ANV_OBJ_NULL;
    c->placed = 0;
    c->rights = 0;
    c->badge = 0;
    c->map_vaddr = 0;
    c->map_vspace = 0;
    c->generation++;
    KASSERT(cap_live > 0);
    cap_live--;
    cap_unref(obj);
}

/* Only ever called on an unlinked slot. */
/*@ requires cdt_links_valid && cdt_paired && cdt_filled && cap_ok(c);
    requires c->parent == \null && cap_live > 0;
    assigns c->obj, c->type, c->placed, c->rights, c->badge, c->map_vaddr, c->map_vspace,
            c->generation, cap_live, *(c->obj);
    ensures cdt_links_valid && cdt_filled;
    ensures cdt_pair_child && cdt_pair_fwd && cdt_pair_back && cdt_pair_parent;
    ensures c->obj == \null && cap_live == \old(cap_live) - 1;
    ensures parents_kept: \forall struct cap *x; cap_ok(x) ==> x->parent == \old(x->parent);
    ensures links_kept: \forall struct cap *x; cap_ok(x) ==>
        x->first_child == \old(x->first_child) && x->next_sibling == \old(x->next_sibling);
    ensures prev_kept: \forall struct cap *x; cap_ok(x) ==>
        x->prev_sibling == \old(x->prev_sibling);
    ensures contents_kept: \forall struct cap *x; cap_ok(x) && x != c ==>
        x->obj == \old(x->obj);
*/
static void cap_clear(struct cap *c)
{
    cap_clear_contents(c);
}

/* The last two steps of emptying a slot, once it has no child: its links, then its
 * contents and the counts (revoke's step, and cap_delete's after the move). The
 * contract is cdt_unlink's and cap_clear's, one after the other (wp_delete). */
/*@ requires cdt_links_valid && cdt_paired && cdt_filled && cap_ok(c);
    requires c->first_child == \null && cap_live > 0;
    assigns c->parent, c->next_sibling, c->prev_sibling, c->prev_sibling->next_sibling,
            c->parent->first_child, c->next_sibling->prev_sibling,
            c->obj, c->type, c->placed, c->rights, c->badge, c->map_vaddr, c->map_vspace,
            c->generation, cap_live, *(c->obj);
    ensures cdt_links_valid && cdt_filled;
    ensures cdt_pair_child && cdt_pair_fwd && cdt_pair_back && cdt_pair_parent;
    ensures c->parent == \null && c->next_sibling == \null && c->prev_sibling == \null;
    ensures c->obj == \null && cap_live == \old(cap_live) - 1;
    ensures parents_kept: unlink_parents_kept{Pre, Post}(c);
    ensures firsts_kept: unlink_firsts_kept{Pre, Post}(c);
    ensures nexts_kept: unlink_nexts_kept{Pre, Post}(c);
    ensures contents_kept: \forall struct cap *x; cap_ok(x) && x != c ==>
        x->obj == \old(x->obj);
*/
static void cap_delete_leaf(struct cap *c)
{
    cdt_unlink(c);
    cap_clear(c);
}

/* Moves c's first child to c's parent: off c's list, then first on the parent's (with
 * no parent, the child is left unlinked, an original). Nothing else changes: every other
 * capability keeps its parent and next sibling, every capability its object. */
/*@ requires cdt_links_valid && cdt_paired && cdt_filled && cap_ok(c);
    requires c->first_child != \null && c->parent != c;
    requires c->parent == \null || c->parent->parent != c;
    assigns { x->parent | struct cap *x; \true }, { x->first_child | struct cap *x; \true },
            { x->next_sibling | struct cap *x; \true },
            { x->prev_sibling | struct cap *x; \true };
    ensures links_valid: cdt_links_valid;
    ensures filled: cdt_filled;
    ensures pair_child: cdt_pair_child;
    ensures pair_fwd: cdt_pair_fwd;
    ensures pair_back: cdt_pair_back;
    ensures pair_parent: cdt_pair_parent;
    ensures first: c->first_child == \old(c->first_child->next_sibling);
    ensures moved: \old(c->first_child)->parent == \old(c->parent);
    ensures parents_kept: \forall struct cap *x; cap_ok(x) && x != \old(c->first_child) ==>
        x->parent == \old(x->parent);
    ensures nexts_kept: \forall struct cap *x; cap_ok(x) && x != \old(c->first_child) ==>
        x->next_sibling == \old(x->next_sibling);
    ensures contents_kept: \forall struct cap *x; cap_ok(x) ==> x->obj == \old(x->obj);
*/
static void cdt_move_first_child(struct cap *c)
{
    struct cap *child = c->first_child;
    /* The first child names c and has no previous sibling, and is not c's parent. */
    /*@ assert cap_ok(child) && child->parent == c && child->prev_sibling == \null &&
            child != c->parent && child != c; */
    //@ assert child->obj != \null;
    cdt_unlink(child);
    struct cap *parent = c->parent;
    if (parent) {
        /* The parent's first child names it, so it is not the unlinked child. */
        /*@ assert cap_ok(parent) && parent != c && parent != child &&
                (parent->first_child == \null ||
                 (cap_ok(parent->first_child) && parent->first_child != child)); */
        //@ assert child->obj != \null && c->first_child == \at(c->first_child->next_sibling, Pre);
        cdt_link_child(parent, child);
    }
}

/* Proved (wp_delete): given the tree's invariants (links valid, paired, filled), that c
 * is not its own descendant and that every capability naming c is on c's list, cap_delete
 * keeps the links valid, paired and filled, empties c and leaves it unlinked, leaves no
 * capability naming c as its parent, gives every capability that was c's child c's old
 * parent as its parent, and keeps every other capability's object. */
/*@ requires cdt_links_valid && cdt_paired && cdt_filled && cap_ok(c);
    requires c->obj != \null && cap_live > 0;
    requires \valid_read(c->owner) && cspace_valid(c->owner);
    requires \exists integer i; 0 <= i < c->owner->size && c == c->owner->slots + i;
    requires acyclic: !cdt_below(c, c);
    requires listed: cdt_listed(c);
    assigns c->obj, c->type, c->placed, c->rights, c->badge, c->map_vaddr, c->map_vspace,
            c->generation, cap_live, *(c->obj),
            { x->parent | struct cap *x; \true }, { x->first_child | struct cap *x; \true },
            { x->next_sibling | struct cap *x; \true },
            { x->prev_sibling | struct cap *x; \true };
    ensures links_valid: cdt_links_valid;
    ensures paired: cdt_paired;
    ensures filled: cdt_filled;
    ensures emptied: c->obj == \null && c->parent == \null && c->first_child == \null;
    ensures counted: cap_live == \old(cap_live) - 1;
    ensures no_child: \forall struct cap *x; cap_ok(x) ==> x->parent != c;
    ensures children_moved: \forall struct cap *x; cap_ok(x) && \old(x->parent) == c ==>
        x->parent == \old(c->parent);
    ensures others_kept: \forall struct cap *x; cap_ok(x) && x != c ==>
        x->obj == \old(x->obj);
*/
void cap_delete(struct cap *c)
{
    cap_unhook(c);
    /* c is neither its own parent nor its parent's (the first would make it its own
     * child, the second its own grandchild). */
    //@ assert not_own_parent: c->parent != c;
    //@ assert not_grandparent: c->parent == \null || c->parent->parent != c;
    /* What the panic names, read before the loop changes any link (as in cap_revoke). */
    const uint32_t slot = cap_slot_index(c), cs_id = c->owner->hdr.id;
    /* Children keep their lineage: they become children of our parent, so revoking
     * an ancestor still reaches them. Each is taken off the front of c's list and linked
     * first under the parent, which reverses their order there. c's list stays a tail of
     * its list at entry holding every capability that names c (listed_all, with the next
     * links of c's children kept), so at the end, c childless, none names c. */
    /*@ loop invariant links_valid: cdt_links_valid;
        loop invariant filled: cdt_filled;
        loop invariant pair_child: cdt_pair_child;
        loop invariant pair_fwd: cdt_pair_fwd;
        loop invariant pair_back: cdt_pair_back;
        loop invariant pair_parent: cdt_pair_parent;
        loop invariant live: 0 <= guard <= cap_live && cap_live == \at(cap_live, Pre);
        loop invariant up: c->parent == \at(c->parent, Pre) && c->parent != c &&
            (c->parent == \null || c->parent->parent != c);
        loop invariant objs: \forall struct cap *x; cap_ok(x) ==> x->obj == \at(x->obj, Pre);
        loop invariant listed_all: \forall struct cap *x; cap_ok(x) && x->parent == c ==>
            cdt_sib{Pre}(c->first_child, x);
        loop invariant nexts: \forall struct cap *x; cap_ok(x) && x->parent == c ==>
            x->next_sibling == \at(x->next_sibling, Pre);
        loop invariant moved: \forall struct cap *x; cap_ok(x) && \at(x->parent, Pre) == c ==>
            x->parent == c || x->parent == \at(c->parent, Pre);
        loop assigns guard,
            { x->parent | struct cap *x; \true }, { x->first_child | struct cap *x; \true },
            { x->next_sibling | struct cap *x; \true },
            { x->prev_sibling | struct cap *x; \true };
        loop variant cap_live - guard;
    */
    for (uint64_t guard = 0; c->first_child; guard++) {
        /* A longer list is a cycle: stopping here would leave children pointing at a
         * slot about to be emptied. */
        if (guard >= cap_live)
            panic("cdt: slot %u of cspace %u has more children than the %lu capabilities",
                  slot, cs_id, (unsigned long)cap_live);
        cdt_move_first_child(c);
    }
    //@ assert none_left: \forall struct cap *x; cap_ok(x) ==> x->parent != c;
    cap_delete_leaf(c);
}

/* Proved (wp_revoke): the walk ends, every slot it empties is a leaf, and c ends with no
 * child, so nothing is reachable below it through the links and no capability names it
 * as its parent; every capability that descended from c when the walk began, at any
 * depth, is emptied (a child of c also unlinked); the count returned is the number of
 * capabilities emptied; every slot emptied held a capability and descended from c when
 * the walk began, so c and every capability outside its subtree keep their objects; the
 * tree's links stay paired. */
/*@ requires cdt_links_valid && cdt_paired && cdt_filled && cap_ok(c);
    requires \valid_read(c->owner) && cspace_valid(c->owner);
    requires \exists integer i; 0 <= i < c->owner->size && c == c->owner->slots + i;
    requires acyclic: !cdt_below(c, c);
    requires listed: \forall struct cap *p; cap_ok(p) ==> cdt_listed(p);
    requires ancestry: cdt_acyclic;
    requires ancestry_filled: cdt_ancestry_filled;
    requires cap_live <= 0xFFFFFFFF;
    ensures childless: c->first_child == \null;
    ensures unreachable: \forall struct cap *d; !cdt_reachable(c, d);
    ensures no_child: \forall struct cap *x; cap_ok(x) ==> x->parent != c;
    ensures children_emptied: \forall struct cap *x; cap_ok(x) && \old(x->parent) == c ==>
        x->parent == \null && x->obj == \null;
    ensures descendants_emptied: \forall struct cap *x; cap_ok(x) && cdt_desc{Pre}(x, c) ==>
        x->obj == \null;
    ensures links_valid: cdt_links_valid && cdt_paired && cdt_filled;
    ensures counted: \result == \old(cap_live) - cap_live;
    ensures only_below: \forall struct cap *x; cap_ok(x) && x->obj != \old(x->obj) ==>
        cdt_below{Pre}(x, c);
    ensures kept: c->obj == \old(c->obj);
*/
uint32_t cap_revoke(struct cap *c)
{
    /* Depth-first, always deleting a leaf: a leaf has no children to move, so the walk
     * needs no stack. Each step removes one capability and no capability is deeper below
     * c than the capabilities there are; a walk past either bound is a cycle in the tree. */
    uint32_t removed = 0;
    const uint64_t live = cap_live;
    /* What a panic names, read before the walk changes anything. */
    const uint32_t slot = cap_slot_index(c), cs_id = c->owner->hdr.id;
    struct cap *cur = c->first_child;
    uint64_t depth = 1; /* how far cur is below c: 1 for a child of c */
    /* The walk always descends through first children and so always empties the first
     * child of its parent (path_first: cur and its ancestors up to c are each their
     * parent's first child, in the parent links of Pre), which takes it off the front of
     * the list: the next links of linked capabilities keep their Pre values (nexts) and
     * every capability's list stays a tail of its Pre list holding every capability that
     * names it (listed_all), so at the end, c childless, none names c. A filled
     * capability's ancestors in Pre stay filled (filled_up: the leaf emptied has no filled
     * descendant), so a filled descendant of c at any depth would leave a filled child of
     * c, which would still name c. */
    /*@ loop invariant cdt_links_valid && cdt_paired && cdt_filled && cap_ok(c);
        loop invariant 0 <= removed <= live && cap_live == live - removed;
        loop invariant cur == \null || cap_ok(cur);
        loop invariant cur == \null ==> c->first_child == \null;
        loop invariant below: cur != \null ==> cdt_below{Pre}(cur, c);
        loop invariant parents: \forall struct cap *x; cap_ok(x) && x->parent != \null ==>
            x->parent == \at(x->parent, Pre);
        loop invariant emptied: \forall struct cap *x; cap_ok(x) && x->obj != \at(x->obj, Pre) ==>
            cdt_below{Pre}(x, c);
        loop invariant path_top: cur != \null ==>
            1 <= depth && (depth == 1 || depth <= live) && cdt_up{Pre}(cur, depth, c);
        loop invariant path_ok: cur != \null ==> \forall integer k, struct cap *y;
            0 < k <= depth && cdt_up{Pre}(cur, k, y) ==> cap_ok(y);
        loop invariant path_first: cur != \null ==> \forall integer i, j, struct cap *y, *z;
            0 <= i < j <= depth && cdt_up{Pre}(cur, i, z) && cdt_up{Pre}(cur, j, y) &&
            y == \at(z->parent, Pre) ==> y->first_child == z;
        loop invariant nexts: \forall struct cap *x; cap_ok(x) && x->parent != \null ==>
            x->next_sibling == \at(x->next_sibling, Pre);
        loop invariant listed_all: \forall struct cap *p, *x; cap_ok(p) && cap_ok(x) &&
            x->parent == p ==> cdt_sib{Pre}(p->first_child, x);
        loop invariant unlinked: \forall struct cap *x; cap_ok(x) &&
            \at(x->parent, Pre) != \null && x->parent == \null ==> x->obj == \null;
        loop invariant filled_up: \forall struct cap *x, *a; cap_ok(x) && cap_ok(a) &&
            x->obj != \null && cdt_desc{Pre}(x, a) ==> a->obj != \null;
        loop assigns cur, removed, cap_live, depth,
            { x->parent | struct cap *x; \true }, { x->first_child | struct cap *x; \true },
            { x->next_sibling | struct cap *x; \true },
            { x->prev_sibling | struct cap *x; \true },
            { *x | struct cap *x; \true }, { *o | struct kobj *o; \true };
        loop variant live - removed;
    */
    while (cur) {
        if (removed >= live)
            panic("cdt: revoking slot %u of cspace %u removed %u of %lu capabilities and "
                  "found more", slot, cs_id, removed, (unsigned long)live);
        /*@ loop invariant cap_ok(cur) && cdt_below{Pre}(cur, c);
            loop invariant down_top: 1 <= depth <= live && cdt_up{Pre}(cur, depth, c);
            loop invariant down_ok: \forall integer k, struct cap *y;
                0 < k <= depth && cdt_up{Pre}(cur, k, y) ==> cap_ok(y);
            loop invariant down_first: \forall integer i, j, struct cap *y, *z;
                0 <= i < j <= depth && cdt_up{Pre}(cur, i, z) && cdt_up{Pre}(cur, j, y) &&
                y == \at(z->parent, Pre) ==> y->first_child == z;
            loop assigns cur, depth;
            loop variant live - depth;
        */
        for (; cur->first_child; depth++) {
            if (depth >= live)
                panic("cdt: revoking slot %u of cspace %u: descendants deeper than the %lu "
                      "capabilities", slot, cs_id, (unsigned long)live);
            /*@ assert down_shift: \let n = cur->first_child;
                    cdt_up{Pre}(n, 0, n) && \at(n->parent, Pre) == cur &&
                    \forall integer k, struct cap *y; k > 0 && cdt_up{Pre}(n, k, y) ==>
                        cdt_up{Pre}(cur, k - 1, y); */
            cur = cur->first_child;
        }
        struct cap *parent = cur->parent;
        if (parent == 0)
            panic("cdt: revoking slot %u of cspace %u: a descendant has no parent", slot,
                  cs_id);
        //@ assert up: parent != c ==> cdt_below{Pre}(parent, c);
        //@ assert up_one: cdt_up{Pre}(cur, 1, parent) && cdt_up{Pre}(cur, 0, cur);
        /*@ assert up_shift: \forall integer k, struct cap *y; k >= 0 &&
                cdt_up{Pre}(parent, k, y) ==> cdt_up{Pre}(cur, k + 1, y); */
        //@ assert up_top: parent != c ==> depth >= 2 && cdt_up{Pre}(parent, depth - 1, c);
        /* The same in the depth the code computes (unsigned): a goal of its own, so that
         * the step's path_top is this hypothesis and not arithmetic amid the invariants. */
        /*@ assert up_top_next: parent != c ==>
                cdt_up{Pre}(parent, (uint64_t)(depth - 1), c); */
        //@ assert is_first: parent->first_child == cur && cur->prev_sibling == \null;
        /* Nothing that holds a capability descends from the leaf, in the links of Pre: a
         * filled child would still name it (unlinked, parents) and so be on its empty list,
         * and a filled deeper descendant would make the leaf's child in between filled. */
        //@ assert leaf_childless: \forall struct cap *x; cap_ok(x) ==> x->parent != cur;
        /*@ assert leaf_no_child: \forall struct cap *x; cap_ok(x) && x->obj != \null ==>
                \at(x->parent, Pre) != cur; */
        /*@ assert leaf_alone: \forall struct cap *x; cap_ok(x) && x->obj != \null ==>
                !cdt_desc{Pre}(x, cur); */
        /* cap_delete, taken apart: a leaf has no children to move. */
        cap_unhook(cur);
        cap_delete_leaf(cur);
        removed++;
        /*@ assert step_links: \forall struct cap *x; cap_ok(x) && x != cur ==>
                x->parent == \at(x->parent, LoopCurrent) &&
                x->next_sibling == \at(x->next_sibling, LoopCurrent) &&
                x->obj == \at(x->obj, LoopCurrent) &&
                (x != parent ==> x->first_child == \at(x->first_child, LoopCurrent)); */
        /*@ assert step_cur: \let n = cur; cur->parent == \null && cur->obj == \null &&
                parent->first_child == \at(n->next_sibling, LoopCurrent) &&
                \at(n->next_sibling, LoopCurrent) == \at(n->next_sibling, Pre); */
        /*@ assert up_apart: \forall integer j, struct cap *y; 0 < j &&
                cdt_up{Pre}(parent, j, y) ==> y != parent && y != cur; */
        /*@ assert path_up: parent != c ==> \forall integer i, j, struct cap *y, *z;
                0 <= i < j <= depth - 1 && cdt_up{Pre}(parent, i, z) &&
                cdt_up{Pre}(parent, j, y) && y == \at(z->parent, Pre) ==>
                y->first_child == z; */
        /*@ assert parents_now: \forall struct cap *x; cap_ok(x) && x->parent != \null ==>
                x->parent == \at(x->parent, Pre); */
        //@ assert first_of_c: c->first_child != \null ==> c->first_child->parent == c;
        //@ assert first_below: c->first_child != \null ==> cdt_below{Pre}(c->first_child, c);
        if (parent == c) {
            cur = c->first_child;
            depth = 1;
        } else {
            cur = parent;
            depth--;
        }
    }
    /* no_child, proved once here so that descendants_emptied has it as a hypothesis. */
    //@ assert none_left: \forall struct cap *x; cap_ok(x) ==> x->parent != c;
    return removed;
}
