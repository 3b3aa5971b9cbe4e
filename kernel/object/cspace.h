/* CSpaces, handles and the capability derivation tree (RFC 0007). */
#ifndef ANVAYA_KERNEL_CSPACE_H
#define ANVAYA_KERNEL_CSPACE_H

#include "object/object.h"

void cspace_init(struct cspace *cs, struct cap *slots, uint32_t size);

/* Resolve a handle. ANV_OK with *out set, or ANV_E_BAD_HANDLE (tag, reserved bits or
 * slot out of range, slot 0), ANV_E_STALE_HANDLE (generation differs) or
 * ANV_E_EMPTY_SLOT. Never changes anything. */
int cspace_lookup(const struct cspace *cs, uint64_t handle, struct cap **out);
/* Lookup plus type and rights checks (type ANV_OBJ_NULL: any type). */
int cspace_lookup_cap(const struct cspace *cs, uint64_t handle, uint8_t type, uint32_t rights,
                      struct cap **out);
/* The slot for a destination index: ANV_E_BAD_HANDLE out of range or slot 0,
 * ANV_E_SLOT_OCCUPIED when full. */
int cspace_empty_slot(const struct cspace *cs, uint32_t index, struct cap **out);
/* The empty slot a run-time capability may take at `index`: as cspace_empty_slot, and
 * ANV_E_RESERVED_SLOT below cs->first_dynamic (well-known and manifest-placed slots stay
 * what the manifest made them, even when emptied). */
int cspace_dynamic_slot(const struct cspace *cs, uint64_t index, struct cap **out);
/* The loader placed slots up to `manifest_top`: run-time capabilities go above. */
void cspace_set_first_dynamic(struct cspace *cs, uint32_t manifest_top);
/* Lowest empty slots at or above first_dynamic; ANV_E_NO_SLOTS when fewer than `count`
 * are free. */
int cspace_find_free(const struct cspace *cs, uint32_t count, struct cap **out);

uint32_t cap_slot_index(const struct cap *c);
uint64_t cap_handle(const struct cap *c);

/* Check a derivation without changing anything: rights must be a subset of the
 * source's, a badge may only be put on an unbadged endpoint or notification, and
 * mapping capabilities are never copied. */
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
