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
