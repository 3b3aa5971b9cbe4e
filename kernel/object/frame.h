/* Frames and their mappings: a frame's whole run mapped into an address space, recorded
 * as a mapping capability, and taken out again when that capability goes. */
#ifndef ANVAYA_KERNEL_FRAME_H
#define ANVAYA_KERNEL_FRAME_H

#include <stdint.h>

#include "object/object.h"

/* Map every page of the frame `fc` names at `vaddr` of `vs` with `rights`, and record it
 * in the empty slot `slot` as a mapping capability derived from `fc`. The caller checked
 * the rights against `fc`; page tables come from vs's pool. Nothing is mapped and the
 * slot stays empty unless all of it can be (the vspace's error otherwise). */
int frame_map(struct cap *fc, struct vspace *vs, uint64_t vaddr, uint32_t rights,
              struct cap *slot);

/* The mapping capability `mapping` is going: its pages leave its address space. */
void frame_unmap(const struct cap *mapping);

#endif
