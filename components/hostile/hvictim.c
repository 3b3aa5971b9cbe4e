/* The victim of the RELOAD scenario (issue 9, hole 4): it takes whatever capabilities it
 * is sent and makes some of its own, reports which slots hold something, and is restarted
 * with RELOAD by hmain, after which only what the manifest placed may be left. */
#include <anvaya/report.h>
#include <anvaya/sdk.h>
#include <stdio.h>

#include "hostile.h"
#include "hvictim_gen.h"

#define EP HVICTIM_HANDLE_SERVICE
#define POOL anv_handle_make(ANV_SLOT_POOL, 0)

static uint32_t manifest_top; /* .bss: found again at every start */

/* Whether a slot holds a capability, whatever its generation: a gen-0 handle names what
 * the loader (or a first use of the slot) put there; any other occupant makes a copy into
 * the slot fail with E_SLOT_OCCUPIED. Returns 1 occupied, 0 empty, -1 unknown. */
static int slot_occupied(uint32_t s, int *gen0)
{
    uint64_t type, rights, badge, id;
    anv_handle_t h = 0;
    *gen0 = anv_cap_identify(anv_handle_make(s, 0), &type, &rights, &badge, &id) == ANV_OK;
    if (*gen0)
        return 1;
    int err = anv_cap_delegate(HVICTIM_HANDLE_CONSOLE, ANV_HANDLE_NULL, s, 0, 0, &h);
    if (err == ANV_OK)
        return anv_cap_delete(h) == ANV_OK ? 0 : -1;
    if (err == ANV_E_SLOT_OCCUPIED)
        return 1;
    if (err == ANV_E_RESERVED_SLOT)
        return 0; /* reserved and not filled by the loader: only the loader fills these */
    return -1;
}

static void report_caps(void)
{
    char line[512];
    uint32_t slot = 0;
    while (anv_cspace_describe(line, sizeof line, &slot) != 0)
        printf("hvictim: caps arg=%lu %s\n", (unsigned long)anv_restart_arg(), line);
}

static uint64_t serve(uint64_t info)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    switch (anv_msginfo_label(info)) {
    case HV_TAKE: {
        uint32_t n = anv_msginfo_caps(info);
        for (uint32_t i = 0; i < n && i < ANV_IPC_MAX_CAPS; i++)
            b->mr[i] = anv_handle_slot(b->caps_in[i]);
        b->mr[4] = manifest_top;
        return anv_msginfo(ANV_OK, 5, 0);
    }
    case HV_MAKE: {
        anv_handle_t frame = 0, map = 0, copy = 0, h = 0;
        /* Refused first: run-time capabilities never go to well-known or placed slots. */
        b->mr[0] = (uint64_t)anv_cap_delegate(HVICTIM_HANDLE_CONSOLE, ANV_HANDLE_NULL,
                                              ANV_SLOT_FAULT, 0, 0, &h);
        b->mr[1] = (uint64_t)anv_mem_frame_alloc_pages(POOL, manifest_top, 2, &h);
        b->mr[2] = (uint64_t)anv_mem_frame_alloc_pages(POOL, HV_FRAME_SLOT, 2, &frame);
        b->mr[3] = (uint64_t)anv_mem_map(frame, HV_MAP_VADDR, ANV_RIGHT_READ | ANV_RIGHT_WRITE,
                                         ANV_SLOT_FAULT, &map);
        b->mr[4] = (uint64_t)anv_mem_map(frame, HV_MAP_VADDR, ANV_RIGHT_READ | ANV_RIGHT_WRITE,
                                         HV_MAP_SLOT, &map);
        if (b->mr[4] == ANV_OK) {
            ((volatile uint64_t *)HV_MAP_VADDR)[0] = HV_MARKER;
            ((volatile uint64_t *)HV_MAP_VADDR)[512] = HV_MARKER + 1; /* second page */
        }
        b->mr[5] = (uint64_t)anv_cap_delegate(frame, ANV_HANDLE_NULL, HV_COPY_SLOT,
                                              ANV_RIGHT_READ, 0, &copy);
        return anv_msginfo(ANV_OK, 6, 0);
    }
    case HV_PROBE: {
        uint64_t occupied = 0, gen0 = 0, unknown = 0;
        uint64_t size = anv_cspace_size();
        for (uint32_t s = 1; s < size && s < 64; s++) {
            int g = 0;
            int o = slot_occupied(s, &g);
            occupied |= (uint64_t)(o == 1) << s;
            unknown |= (uint64_t)(o < 0) << s;
            gen0 |= (uint64_t)g << s;
        }
        b->mr[0] = occupied;
        b->mr[1] = gen0;
        b->mr[2] = anv_restart_arg();
        b->mr[3] = unknown;
        b->mr[4] = size;
        return anv_msginfo(ANV_OK, 5, 0);
    }
    case HV_REMAP: {
        anv_handle_t frame = 0, map = 0;
        b->mr[0] = (uint64_t)anv_mem_frame_alloc_pages(POOL, HV_REMAP_FRAME_SLOT, 2, &frame);
        b->mr[1] = (uint64_t)anv_mem_map(frame, HV_MAP_VADDR, ANV_RIGHT_READ | ANV_RIGHT_WRITE,
                                         HV_REMAP_MAP_SLOT, &map);
        b->mr[2] = b->mr[1] == ANV_OK ? ((volatile uint64_t *)HV_MAP_VADDR)[0] : ~0ull;
        return anv_msginfo(ANV_OK, 3, 0);
    }
    default:
        return anv_msginfo(ANV_E_INVALID_ARG, 0, 0);
    }
}

int main(void)
{
    uint64_t type, rights, badge, id;
    for (uint32_t s = 1; s < anv_cspace_size(); s++)
        if (anv_cap_identify(anv_handle_make(s, 0), &type, &rights, &badge, &id) == ANV_OK)
            manifest_top = s;
    report_caps();
    uint64_t info = 0, bdg = 0;
    int err = anv_ipc_receive(EP, &info, &bdg);
    for (;;) {
        if (err != ANV_OK) {
            err = anv_ipc_receive(EP, &info, &bdg);
            continue;
        }
        err = anv_ipc_reply_recv(EP, serve(info), &info, &bdg);
    }
}
