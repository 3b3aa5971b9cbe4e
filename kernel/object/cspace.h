/* CSpaces, handles and the capability derivation tree (RFC 0007). */
#ifndef ANVAYA_KERNEL_CSPACE_H
#define ANVAYA_KERNEL_CSPACE_H

#include "object/object.h"

/* ACSL (checked by WP in the `proof` suite, tests/proof/wp/; docs/assurance.md).
 * A CSpace handles resolve in: its slots valid and apart from the record, at least one
 * and at most the 2^24 a handle's slot field can name, run-time slots above slot 0. */
/*@ predicate cspace_valid{L}(struct cspace *cs) =
        \valid_read(cs) && 0 < cs->size <= ANV_HANDLE_SLOT_MASK + 1 &&
        1 <= cs->first_dynamic &&
        \valid(cs->slots + (0 .. cs->size - 1)) &&
        \separated(cs, cs->slots + (0 .. cs->size - 1));

    logic struct cap *cspace_slot_of{L}(struct cspace *cs, uint64_t h) =
        cs->slots + anv_handle_slot_of(h);

    // RFC 0007 section 3, in its order: the first failing check decides.
    logic boolean handle_malformed(uint64_t h, integer size) =
        anv_handle_tag_of(h) != ANV_HANDLE_TAG_SOFT || anv_handle_reserved_of(h) != 0 ||
        anv_handle_slot_of(h) == 0 || anv_handle_slot_of(h) >= size;
    logic integer cspace_resolve{L}(struct cspace *cs, uint64_t h) =
        handle_malformed(h, cs->size) ? ANV_E_BAD_HANDLE :
        cspace_slot_of(cs, h)->generation != anv_handle_generation_of(h) ? ANV_E_STALE_HANDLE :
        cspace_slot_of(cs, h)->obj == \null ? ANV_E_EMPTY_SLOT : ANV_OK;

    // p is one of cs's slots, a whole slot of the array (not a pointer into one).
    predicate cspace_slot_in{L}(struct cap *p, struct cspace *cs) =
        \exists integer k; 0 <= k < cs->size && p == cs->slots + k;

    // Rights as sets of bits: every right of r is one of `of`.
    predicate rights_subset(integer r, integer of) =
        \forall integer i; 0 <= i < 32 ==> (r & (1 << i)) != 0 ==> (of & (1 << i)) != 0;

    // No capability anywhere differs between L1 and L2 in any field of struct cap (a new
    // field must be added here), and no object's reference count: what a refused
    // operation keeps (docs/assurance.md, item 3).
    predicate caps_unchanged{L1, L2} = \forall struct cap *x; \valid_read{L1}(x) ==>
        \at(x->obj, L1) == \at(x->obj, L2) && \at(x->type, L1) == \at(x->type, L2) &&
        \at(x->placed, L1) == \at(x->placed, L2) && \at(x->badge, L1) == \at(x->badge, L2) &&
        \at(x->rights, L1) == \at(x->rights, L2) &&
        \at(x->generation, L1) == \at(x->generation, L2) &&
        \at(x->parent, L1) == \at(x->parent, L2) &&
        \at(x->first_child, L1) == \at(x->first_child, L2) &&
        \at(x->next_sibling, L1) == \at(x->next_sibling, L2) &&
        \at(x->prev_sibling, L1) == \at(x->prev_sibling, L2) &&
        \at(x->owner, L1) == \at(x->owner, L2) &&
        \at(x->map_vaddr, L1) == \at(x->map_vaddr, L2) &&
        \at(x->map_vspace, L1) == \at(x->map_vspace, L2);
    predicate refs_unchanged{L1, L2} = \forall struct kobj *o; \valid_read{L1}(o) ==>
        \at(o->refs, L1) == \at(o->refs, L2);
*/

/* ACSL for the derivation tree's proofs (revoke, delete, derive in cspace.c, cap.delete
 * in syscall.c: docs/assurance.md). The statements quantify over every capability, so
 * they need to tell capabilities apart by address: a capability is a slot of an array of
 * them, a whole number of capabilities (`cap_index`) from that array's anchor
 * (`cap_array_of`; both are left undefined: the proofs hold whatever they are), so no
 * capability's field overlaps another's. A pointer to the middle of a slot is not a capability, and
 * the statements say nothing about it. */
/*@ axiomatic cap_slots { // two undefined functions, and no axiom
      logic struct cap *cap_array_of(char *b);
      logic integer cap_index(struct cap *x);
    }
    predicate cap_ok(struct cap *x) =
        x != \null && \valid(x) && x == cap_array_of(\base_addr(x)) + cap_index(x);

    // Every derivation link of a capability is empty or names a capability: what the walk
    // needs to follow links safely, and what every step keeps.
    predicate cdt_links_valid{L} = \forall struct cap *x; cap_ok(x) ==>
        (x->parent == \null || cap_ok(x->parent)) &&
        (x->first_child == \null || cap_ok(x->first_child)) &&
        (x->next_sibling == \null || cap_ok(x->next_sibling)) &&
        (x->prev_sibling == \null || cap_ok(x->prev_sibling));

    // The links pair up (what the invariant checker checks): a first child names its
    // parent and has no previous sibling, siblings name each other and share a parent, and
    // a child without a previous sibling is its parent's first.
    predicate cdt_pair_child{L} = \forall struct cap *x; cap_ok(x) ==>
        x->first_child != \null ==>
            x->first_child->parent == x && x->first_child->prev_sibling == \null;
    predicate cdt_pair_fwd{L} = \forall struct cap *x; cap_ok(x) ==>
        x->next_sibling != \null ==> x->next_sibling->prev_sibling == x;
    predicate cdt_pair_back{L} = \forall struct cap *x; cap_ok(x) ==>
        x->prev_sibling != \null ==> x->prev_sibling->next_sibling == x;
    predicate cdt_pair_parent{L} = \forall struct cap *x; cap_ok(x) ==>
        x->next_sibling != \null ==> x->next_sibling->parent == x->parent;
    predicate cdt_paired{L} =
        cdt_pair_child && cdt_pair_fwd && cdt_pair_back && cdt_pair_parent;

    // From L1 to L2, every capability but child keeps its parent and next sibling, every
    // one but parent its first child, and every one its object: what hanging child first
    // under parent leaves alone (cdt_hang_child, cdt_link_child).
    predicate cdt_others_kept{L1, L2}(struct cap *parent, struct cap *child) =
        \forall struct cap *x; cap_ok{L2}(x) ==>
            (x != child ==> \at(x->parent, L2) == \at(x->parent, L1)) &&
            (x != parent ==> \at(x->first_child, L2) == \at(x->first_child, L1)) &&
            (x != child ==> \at(x->next_sibling, L2) == \at(x->next_sibling, L1)) &&
            \at(x->obj, L2) == \at(x->obj, L1);

    // A capability with a parent holds something: slots are emptied only once unlinked.
    predicate cdt_filled{L} = \forall struct cap *x; cap_ok(x) ==>
        x->parent != \null ==> x->obj != \null;

    // x descends from a: a is its parent, or its parent's ancestor.
    inductive cdt_below{L}(struct cap *x, struct cap *a) {
      case cdt_child{L}: \forall struct cap *x, *a;
        x != \null && x->parent == a ==> cdt_below(x, a);
      case cdt_grandchild{L}: \forall struct cap *x, *a;
        x != \null && cdt_below(x->parent, a) ==> cdt_below(x, a);
    }

    // d is x, or reached from x through next-sibling and first-child links.
    inductive cdt_hangs{L}(struct cap *x, struct cap *d) {
      case cdt_here{L}: \forall struct cap *x; x != \null ==> cdt_hangs(x, x);
      case cdt_along{L}: \forall struct cap *x, *d;
        x != \null && cdt_hangs(x->next_sibling, d) ==> cdt_hangs(x, d);
      case cdt_down{L}: \forall struct cap *x, *d;
        x != \null && cdt_hangs(x->first_child, d) ==> cdt_hangs(x, d);
    }
    // What the kernel's walks reach below a: its children and theirs, through the links.
    predicate cdt_reachable{L}(struct cap *a, struct cap *d) = cdt_hangs(a->first_child, d);

    // x is on the sibling list that starts at a: a itself or reached by next-sibling links.
    inductive cdt_sib{L}(struct cap *a, struct cap *x) {
      case cdt_sib_here{L}: \forall struct cap *a; a != \null ==> cdt_sib(a, a);
      case cdt_sib_next{L}: \forall struct cap *a, *x;
        a != \null && cdt_sib(a->next_sibling, x) ==> cdt_sib(a, x);
    }
    // Every capability naming p as its parent is on p's child list (the invariant
    // checker's "missing from parent's children"). The pairing does not give it: two
    // capabilities that are each other's next and previous sibling and name p as parent
    // satisfy cdt_paired with p childless.
    predicate cdt_listed{L}(struct cap *p) = \forall struct cap *x; cap_ok(x) ==>
        x->parent == p ==> cdt_sib(p->first_child, x);

    // y is x's k-th ancestor through the parent links (x itself for k = 0). An inductive
    // definition, not a recursive function: the provers unfold a recursive definition
    // without end and time out on goals that are one of their hypotheses.
    inductive cdt_up{L}(struct cap *x, integer k, struct cap *y) {
      case cdt_up_here{L}: \forall struct cap *x; cdt_up(x, 0, x);
      case cdt_up_more{L}: \forall struct cap *x, *y, integer k;
        x != \null && k > 0 && cdt_up(x->parent, k - 1, y) ==> cdt_up(x, k, y);
    }
    // x descends from a, the chain taken apart at a's end: x is a child of a, or
    // descends from a child b of a. The same relation as cdt_below (an induction on each
    // shows it; not needed, not proved), which takes the chain apart at x's end: revoke's
    // proof that every descendant is emptied asks, of a descendant, which child of a it
    // hangs from, and this inversion says so in one step. cap_ok(b) is in the case so
    // that the child met is a capability without an induction.
    inductive cdt_desc{L}(struct cap *x, struct cap *a) {
      case cdt_desc_child{L}: \forall struct cap *x, *a;
        x != \null && x->parent == a ==> cdt_desc(x, a);
      case cdt_desc_deeper{L}: \forall struct cap *x, *a, *b;
        cdt_desc(x, b) && cap_ok(b) && b->parent == a ==> cdt_desc(x, a);
    }
    // Every ancestor of a capability that holds something holds something (from the
    // invariant checker's "parent slot empty", one step up at a time).
    predicate cdt_ancestry_filled{L} = \forall struct cap *x, *a;
        cap_ok(x) && cap_ok(a) && x->obj != \null && cdt_desc(x, a) ==> a->obj != \null;

    // No capability's parent links lead back to it: the ancestors at two distances differ
    // (the invariant checker's "derivation cycle").
    predicate cdt_acyclic{L} = \forall struct cap *x, *y, *z, integer i, j; cap_ok(x) ==>
        0 <= i < j && cdt_up(x, i, y) && cdt_up(x, j, z) ==> y != z;
*/

void cspace_init(struct cspace *cs, struct cap *slots, uint32_t size);

/* Resolve a handle. ANV_OK with *out set, or ANV_E_BAD_HANDLE (tag, reserved bits or
 * slot out of range, slot 0), ANV_E_STALE_HANDLE (generation differs) or
 * ANV_E_EMPTY_SLOT. Never changes anything. */
/*@ requires cspace_valid(cs);
    requires \valid(out) && \separated(out, cs, cs->slots + (0 .. cs->size - 1));
    assigns *out;
    ensures \result == cspace_resolve(cs, handle);
    behavior refused:
      assumes cspace_resolve(cs, handle) != ANV_OK;
      assigns \nothing;
    behavior resolved:
      assumes cspace_resolve(cs, handle) == ANV_OK;
      assigns *out;
      ensures *out == cspace_slot_of(cs, handle);
      ensures 0 < anv_handle_slot_of(handle) < cs->size;
      ensures (*out)->generation == anv_handle_generation_of(handle) && (*out)->obj != \null;
    complete behaviors;
    disjoint behaviors;
*/
int cspace_lookup(const struct cspace *cs, uint64_t handle, struct cap **out);
/* Lookup plus type and rights checks (type ANV_OBJ_NULL: any type). */
/*@ requires cspace_valid(cs);
    requires \valid(out) && \separated(out, cs, cs->slots + (0 .. cs->size - 1));
    assigns *out;
    behavior refused_handle:
      assumes cspace_resolve(cs, handle) != ANV_OK;
      assigns \nothing;
      ensures \result == cspace_resolve(cs, handle);
    behavior wrong_type:
      assumes cspace_resolve(cs, handle) == ANV_OK;
      assumes type != ANV_OBJ_NULL && cspace_slot_of(cs, handle)->type != type;
      assigns \nothing;
      ensures \result == ANV_E_WRONG_TYPE;
    behavior missing_rights:
      assumes cspace_resolve(cs, handle) == ANV_OK;
      assumes type == ANV_OBJ_NULL || cspace_slot_of(cs, handle)->type == type;
      assumes (cspace_slot_of(cs, handle)->rights & rights) != rights;
      assigns \nothing;
      ensures \result == ANV_E_RIGHTS;
    behavior resolved:
      assumes cspace_resolve(cs, handle) == ANV_OK;
      assumes type == ANV_OBJ_NULL || cspace_slot_of(cs, handle)->type == type;
      assumes (cspace_slot_of(cs, handle)->rights & rights) == rights;
      assigns *out;
      ensures \result == ANV_OK && *out == cspace_slot_of(cs, handle);
      ensures (*out)->obj != \null && rights_subset(rights, (*out)->rights);
    complete behaviors;
    disjoint behaviors;
*/
int cspace_lookup_cap(const struct cspace *cs, uint64_t handle, uint8_t type, uint32_t rights,
                      struct cap **out);
/* The slot for a destination index: ANV_E_BAD_HANDLE out of range or slot 0,
 * ANV_E_SLOT_OCCUPIED when full. */
/*@ requires cspace_valid(cs);
    requires \valid(out) && \separated(out, cs, cs->slots + (0 .. cs->size - 1));
    assigns *out;
    behavior out_of_range:
      assumes index == 0 || index >= cs->size;
      assigns \nothing;
      ensures \result == ANV_E_BAD_HANDLE;
    behavior occupied:
      assumes 0 < index < cs->size && cs->slots[index].obj != \null;
      assigns \nothing;
      ensures \result == ANV_E_SLOT_OCCUPIED;
    behavior empty:
      assumes 0 < index < cs->size && cs->slots[index].obj == \null;
      assigns *out;
      ensures \result == ANV_OK && *out == cs->slots + index && (*out)->obj == \null;
    complete behaviors;
    disjoint behaviors;
*/
int cspace_empty_slot(const struct cspace *cs, uint32_t index, struct cap **out);
/* The empty slot a run-time capability may take at `index`: as cspace_empty_slot, and
 * ANV_E_RESERVED_SLOT below cs->first_dynamic (well-known and manifest-placed slots stay
 * what the manifest made them, even when emptied). */
/*@ requires cspace_valid(cs);
    requires \valid(out) && \separated(out, cs, cs->slots + (0 .. cs->size - 1));
    assigns *out;
    behavior out_of_range:
      assumes index == 0 || index >= cs->size;
      assigns \nothing;
      ensures \result == ANV_E_BAD_HANDLE;
    behavior reserved:
      assumes 0 < index < cs->size && index < cs->first_dynamic;
      assigns \nothing;
      ensures \result == ANV_E_RESERVED_SLOT;
    behavior occupied:
      assumes cs->first_dynamic <= index < cs->size && cs->slots[index].obj != \null;
      assigns \nothing;
      ensures \result == ANV_E_SLOT_OCCUPIED;
    behavior empty:
      assumes cs->first_dynamic <= index < cs->size && cs->slots[index].obj == \null;
      assigns *out;
      ensures \result == ANV_OK && *out == cs->slots + index && (*out)->obj == \null;
    complete behaviors;
    disjoint behaviors;
*/
int cspace_dynamic_slot(const struct cspace *cs, uint64_t index, struct cap **out);
/* The loader placed slots up to `manifest_top`: run-time capabilities go above. */
void cspace_set_first_dynamic(struct cspace *cs, uint32_t manifest_top);
/* Lowest empty slots at or above first_dynamic; ANV_E_NO_SLOTS when fewer than `count`
 * are free. */
/*@ requires cspace_valid(cs);
    requires \valid(out + (0 .. count - 1));
    requires \separated(out + (0 .. count - 1), cs, cs->slots + (0 .. cs->size - 1));
    assigns out[0 .. count - 1];
    ensures \result == ANV_OK || \result == ANV_E_NO_SLOTS;
    ensures \result == ANV_OK ==> \forall integer k; 0 <= k < count ==>
        \base_addr(out[k]) == \base_addr(cs->slots) &&
        cs->slots + cs->first_dynamic <= out[k] < cs->slots + cs->size && out[k]->obj == \null;
    ensures \result == ANV_OK ==> \forall integer k; 0 <= k < count ==> cspace_slot_in(out[k], cs);
    ensures \result == ANV_OK ==> \forall integer k1, k2; 0 <= k1 < k2 < count ==>
        out[k1] < out[k2];
*/
int cspace_find_free(const struct cspace *cs, uint32_t count, struct cap **out);

/* The number of capabilities in every CSpace (cspace.c writes it, nothing else). */
extern uint64_t cap_live;

uint32_t cap_slot_index(const struct cap *c);
uint64_t cap_handle(const struct cap *c);

/* Check a derivation without changing anything: rights must be a subset of the
 * source's, a badge may only be put on an unbadged endpoint or notification, and
 * mapping capabilities are never copied. */
/*@ requires \valid_read(src);
    assigns \nothing;
    ensures \result == ANV_OK ==> rights_subset(rights, src->rights);
    ensures \result == ANV_OK ==> (rights & ~ANV_RIGHTS_ALL) == 0;
    ensures \result == ANV_OK ==> src->type != ANV_OBJ_MAPPING;
    ensures \result == ANV_OK && badge != 0 ==> src->badge == 0 &&
        (src->type == ANV_OBJ_ENDPOINT || src->type == ANV_OBJ_NOTIFICATION);
*/
int cap_derive_check(const struct cap *src, uint32_t rights, uint64_t badge);
/* Fill the empty slot `dst` with a capability to `obj`, as a child of `parent` (NULL for
 * an original). Cannot fail: callers validate first. */
void cap_install(struct cap *dst, struct kobj *obj, uint8_t type, uint32_t rights,
                 uint64_t badge, struct cap *parent);
void cap_derive(struct cap *dst, struct cap *src, uint32_t rights, uint64_t badge);

/* Empty one slot: children move up to its parent, the slot's generation is bumped and
 * the object loses a reference (destroyed at zero). */
void cap_delete(struct cap *c);
/* Delete every descendant of c, in every CSpace; returns how many. */
uint32_t cap_revoke(struct cap *c);

/* Hooks run as capabilities go, implemented by the objects they affect. */
void cap_on_remove(struct cap *c);

#endif
