/* Frames and mappings (frame.h): what mem.map does once the syscall layer has checked
 * the capability and the rights, and what removing a mapping capability undoes. */
#include "object/frame.h"

#include "object/cspace.h"
#include "object/vspace.h"

int frame_map(struct cap *fc, struct vspace *vs, uint64_t vaddr, uint32_t rights,
              struct cap *slot)
{
    struct frame *f = (struct frame *)fc->obj;
    /* The whole range at once, page tables included: nothing is mapped unless all of it
     * can be. */
    int err = vs_map_range_check(vs, vaddr, f->paddr, f->pages, rights, 0);
    if (err != ANV_OK)
        return err;
    vs_map_range(vs, vaddr, f->paddr, f->pages, rights);
    cap_install(slot, &f->hdr, ANV_OBJ_MAPPING, rights, 0, fc);
    slot->map_vaddr = vaddr;
    slot->map_vspace = vs;
    return ANV_OK;
}

void frame_unmap(const struct cap *mapping)
{
    const struct frame *f = (const struct frame *)mapping->obj;
    vs_unmap_range(mapping->map_vspace, mapping->map_vaddr, f->pages);
}
