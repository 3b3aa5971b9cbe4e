/* The hostile scenarios of issue 9: each attack on a closed hole made from user space
 * against the real kernel, with the values checked printed for tests/qemu/test_hostile.py.
 * hmain attacks mem.map's quota check itself, supervises hvictim (RELOAD) and measures
 * what the tick-dodging hdodge leaves it. */
#include <anvaya/sdk.h>
#include <stdio.h>

#include "hmain_gen.h"
#include "hostile.h"

#define POOL anv_handle_make(ANV_SLOT_POOL, 0)
#define VICTIM HMAIN_HANDLE_VICTIM
#define VICTIM_THREAD HMAIN_HANDLE_CONTROL_HVICTIM
#define BIG_SLOT 20u
#define SINGLE_SLOT 21u     /* 21..36: single pages */
#define PROBE_SLOT 40u
#define MAP_SLOT 41u
#define SEND_SLOT 44u       /* 44..47: copies to transfer */
#define BOUNDARY_VADDR 0x3A1FF000ull /* two pages across the 2 MiB boundary 0x3A200000 */
#define MAX_SINGLES 16u

#define SCENARIO_NAME "hostile"
#include "../common/scenario.h"

/* Pages the pool can still give: allocate singles into PROBE_SLOT.. until E_QUOTA, then
 * give them back. At most `limit` counted. */
static uint32_t pool_free(uint32_t limit)
{
    anv_handle_t h[4];
    uint32_t n = 0;
    while (n < limit && n < 4 && anv_mem_frame_alloc(POOL, PROBE_SLOT + n, &h[n]) == ANV_OK)
        n++;
    for (uint32_t i = 0; i < n; i++)
        if (anv_cap_delete(h[i]) != ANV_OK)
            return 99;
    return n;
}

/* Hole 1: a two-page frame mapped across a 2 MiB boundary needs two new level-0 page
 * tables; with one page left in the pool the kernel used to write a PTE through the
 * failed allocation (physical address 0, a kernel panic). */
static void t_map_quota(void)
{
    anv_handle_t big = 0, single[MAX_SINGLES], map = 0;
    uint32_t n = 0;
    int err = ANV_OK;
    EXPECT(anv_mem_frame_alloc_pages(POOL, BIG_SLOT, 2, &big) == ANV_OK);
    while (n < MAX_SINGLES && (err = anv_mem_frame_alloc(POOL, SINGLE_SLOT + n, &single[n])) ==
                                  ANV_OK)
        n++;
    EXPECT(err == ANV_E_QUOTA && n >= 4);
    uint32_t drained = n;
    /* One page left: fewer than the two tables the range needs. */
    EXPECT(anv_cap_delete(single[--n]) == ANV_OK);
    EXPECT(pool_free(4) == 1);
    EXPECT(anv_mem_map(big, BOUNDARY_VADDR, ANV_RIGHT_READ | ANV_RIGHT_WRITE, MAP_SLOT, &map) ==
           ANV_E_QUOTA);
    /* Nothing changed: the page is still free, and no entry was left at the address (a
     * single page maps there, taking the one table it needs). */
    EXPECT(pool_free(4) == 1);
    anv_handle_t one = 0;
    EXPECT(anv_mem_map(single[0], BOUNDARY_VADDR, ANV_RIGHT_READ | ANV_RIGHT_WRITE, MAP_SLOT,
                       &one) == ANV_OK);
    volatile uint64_t *p = (volatile uint64_t *)BOUNDARY_VADDR;
    EXPECT(*p == 0);
    EXPECT(pool_free(4) == 0);
    EXPECT(anv_mem_unmap(one) == ANV_OK);
    /* With enough quota the same range maps, both pages through the boundary: the single
     * page's table stays, so one more page is enough for the other. */
    EXPECT(anv_cap_delete(single[--n]) == ANV_OK);
    EXPECT(pool_free(4) == 1);
    EXPECT(anv_mem_map(big, BOUNDARY_VADDR, ANV_RIGHT_READ | ANV_RIGHT_WRITE, MAP_SLOT, &map) ==
           ANV_OK);
    uint32_t left = pool_free(4);
    volatile uint64_t *lo = (volatile uint64_t *)BOUNDARY_VADDR;
    volatile uint64_t *hi = (volatile uint64_t *)(BOUNDARY_VADDR + ANV_PAGE_SIZE);
    EXPECT(*lo == 0 && *hi == 0);
    *lo = 0x1111;
    *hi = 0x2222;
    EXPECT(*lo == 0x1111 && *hi == 0x2222);
    EXPECT(anv_mem_unmap(map) == ANV_OK);
    for (uint32_t i = 0; i < n; i++)
        EXPECT(anv_cap_delete(single[i]) == ANV_OK);
    EXPECT(anv_cap_delete(big) == ANV_OK);
    char line[200];
    snprintf(line, sizeof line, "2-page frame at 0x%lx with 1 free page: E_QUOTA, still 1 free, "
             "1 page maps there; with 1 free again: mapped, %u free after, both pages r/w "
             "(pool drained after %u singles)",
             (unsigned long)BOUNDARY_VADDR, left, drained);
    ok("map-quota", line);
}

/* The latest audit record of a restart of `object`: its argument word. */
static int last_restart(uint64_t object, uint64_t *arg)
{
    uint64_t rec[ANV_AUDIT_RECORD_WORDS];
    int err = anv_audit_read(HMAIN_HANDLE_AUDIT, 0, rec);
    if (err != ANV_OK && err != ANV_E_INVALID_ARG)
        return 0;
    /* The victim ran first after its restart (it outranks us) and its probes left records
     * of their own: look back past them. */
    for (uint64_t s = rec[6], n = 0; s > 0 && n < ANV_AUDIT_RING; s--, n++) {
        uint64_t r[ANV_AUDIT_RECORD_WORDS];
        if (anv_audit_read(HMAIN_HANDLE_AUDIT, s - 1, r) != ANV_OK)
            return 0;
        if (r[1] == ANV_AUDIT_THREAD_RESTART && r[3] == object) {
            *arg = r[4];
            return 1;
        }
    }
    return 0;
}

/* Hole 4: run-time capabilities never land in slots 5-7 or below the manifest's top, and
 * RELOAD deletes every one of them, wherever it is. */
static void t_reload(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    anv_handle_t f1 = 0, f2 = 0, c1 = 0, c2 = 0;
    uint64_t reply = 0, type, rights, badge, id = 0, audit = 0;
    EXPECT(anv_mem_frame_alloc(POOL, SEND_SLOT, &f1) == ANV_OK);
    EXPECT(anv_mem_frame_alloc(POOL, SEND_SLOT + 1, &f2) == ANV_OK);
    EXPECT(anv_cap_delegate(HMAIN_HANDLE_CONSOLE, ANV_HANDLE_NULL, SEND_SLOT + 2, ANV_RIGHT_WRITE,
                            0, &c1) == ANV_OK);
    EXPECT(anv_cap_delegate(VICTIM, ANV_HANDLE_NULL, SEND_SLOT + 3, ANV_RIGHT_WRITE, 0, &c2) ==
           ANV_OK);
    EXPECT(anv_ipc_call(VICTIM, anv_msginfo(HV_PROBE, 0, 0), &reply) == ANV_OK);
    uint64_t manifest_bits = b->mr[0];
    EXPECT(b->mr[3] == 0 && b->mr[0] == b->mr[1] && !(manifest_bits & (1u << ANV_SLOT_FAULT)));
    anv_handle_t sent[4] = {f1, f2, c1, c2};
    uint32_t sent_rights[4] = {ANV_RIGHT_READ, ANV_RIGHT_READ, ANV_RIGHT_WRITE, ANV_RIGHT_WRITE};
    for (int i = 0; i < 4; i++) {
        b->caps_out[i] = sent[i];
        b->caps_out_rights[i] = sent_rights[i];
    }
    EXPECT(anv_ipc_call(VICTIM, anv_msginfo(HV_TAKE, 0, 4), &reply) == ANV_OK);
    uint64_t top = b->mr[4], landed[4];
    for (int i = 0; i < 4; i++) {
        landed[i] = b->mr[i];
        EXPECT(landed[i] > top && landed[i] >= ANV_SLOT_FIRST_FREE);
    }
    /* The victim's own run-time capabilities, after its refused attempts. */
    EXPECT(anv_ipc_call(VICTIM, anv_msginfo(HV_MAKE, 0, 0), &reply) == ANV_OK);
    EXPECT(b->mr[0] == ANV_E_RESERVED_SLOT && b->mr[1] == ANV_E_RESERVED_SLOT &&
           b->mr[2] == ANV_OK && b->mr[3] == ANV_E_RESERVED_SLOT && b->mr[4] == ANV_OK &&
           b->mr[5] == ANV_OK);
    EXPECT(anv_ipc_call(VICTIM, anv_msginfo(HV_PROBE, 0, 0), &reply) == ANV_OK);
    uint64_t expect_before = manifest_bits | (1ull << HV_FRAME_SLOT) | (1ull << HV_MAP_SLOT) |
                             (1ull << HV_COPY_SLOT);
    for (int i = 0; i < 4; i++)
        expect_before |= 1ull << landed[i];
    EXPECT(b->mr[0] == expect_before && b->mr[3] == 0);

    EXPECT(anv_cap_identify(VICTIM_THREAD, &type, &rights, &badge, &id) == ANV_OK);
    EXPECT(anv_thread_stop(VICTIM_THREAD) == ANV_OK);
    EXPECT(anv_thread_restart(VICTIM_THREAD, ANV_RESTART_RELOAD, 2) == ANV_OK);
    EXPECT(last_restart(id, &audit) && (audit & 0xFFFFFFFFu) == ANV_RESTART_RELOAD);
    uint64_t deleted = audit >> 32;
    EXPECT(deleted == 7); /* 4 transfers, the frame, its mapping, the copy */
    EXPECT(anv_ipc_call(VICTIM, anv_msginfo(HV_PROBE, 0, 0), &reply) == ANV_OK);
    EXPECT(b->mr[2] == 2 && b->mr[0] == manifest_bits && b->mr[1] == manifest_bits &&
           b->mr[3] == 0);
    /* The mapping went with its capability: the address maps again, a fresh zeroed frame. */
    EXPECT(anv_ipc_call(VICTIM, anv_msginfo(HV_REMAP, 0, 0), &reply) == ANV_OK);
    EXPECT(b->mr[0] == ANV_OK && b->mr[1] == ANV_OK && b->mr[2] == 0);
    /* A transfer after the restart lands above the manifest again. */
    b->caps_out[0] = f1;
    b->caps_out_rights[0] = ANV_RIGHT_READ;
    EXPECT(anv_ipc_call(VICTIM, anv_msginfo(HV_TAKE, 0, 1), &reply) == ANV_OK);
    uint64_t again = b->mr[0];
    EXPECT(again > b->mr[4] && again >= ANV_SLOT_FIRST_FREE);
    /* Our own copies were never the victim's: they are all still here. */
    for (int i = 0; i < 4; i++)
        EXPECT(anv_cap_identify(sent[i], &type, &rights, &badge, &id) == ANV_OK);
    for (int i = 0; i < 4; i++)
        EXPECT(anv_cap_revoke(sent[i]) == ANV_OK && anv_cap_delete(sent[i]) == ANV_OK);
    char line[220];
    snprintf(line, sizeof line, "manifest top=%lu slots=0x%lx; transfers landed in %lu %lu %lu %lu; "
             "slot 5/top refused; reload deleted %lu; after: slots=0x%lx, remap ok, next "
             "transfer in %lu", (unsigned long)top, (unsigned long)manifest_bits,
             (unsigned long)landed[0], (unsigned long)landed[1], (unsigned long)landed[2],
             (unsigned long)landed[3], (unsigned long)deleted, (unsigned long)manifest_bits,
             (unsigned long)again);
    ok("reload", line);
}

/* Hole 3: the dodger above us blocks before every tick. Sum what it leaves us over the
 * same ten budget periods it measures itself on: both windows start at a budget refill,
 * which we see as the end of a long stretch of our own running. */
static void t_dodge(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    uint64_t reply = 0;
    EXPECT(anv_ipc_send(HMAIN_HANDLE_DODGER, anv_msginfo(HD_START, 0, 0)) == ANV_OK);
    /* Synchronise: 30 ms of our own running ends at the dodger's refill. */
    uint64_t last = rdtime(), run_start = last, start = 0;
    for (uint64_t n = 0; n < (1ull << 36) && start == 0; n++) {
        uint64_t now = rdtime();
        if (now - last > 20) {
            if (last - run_start > 300000)
                start = last;
            run_start = now;
        }
        last = now;
    }
    EXPECT(start != 0);
    uint64_t end = start + (uint64_t)HD_PERIODS * HD_PERIOD_UNITS, stolen = 0;
    last = start;
    for (uint64_t n = 0; n < (1ull << 36) && last < end; n++) {
        uint64_t now = rdtime();
        if (now - last > 20)
            stolen += now - last;
        last = now;
    }
    EXPECT(anv_ipc_call(HMAIN_HANDLE_DODGER, anv_msginfo(HD_RESULTS, 0, 0), &reply) == ANV_OK);
    uint64_t own = b->mr[0], window = b->mr[1], dodged = b->mr[2], refills = b->mr[3];
    /* The budget is 20 ms of every 100: at most 200 ms of the dodger's in ten periods. */
    EXPECT(own <= (uint64_t)HD_PERIODS * 200000u && own >= (uint64_t)HD_PERIODS * 190000u);
    EXPECT(dodged >= 2 * HD_PERIODS && refills == HD_PERIODS);
    char line[200];
    snprintf(line, sizeof line, "dodger ran %lu.%04lu ms of %lu.%04lu ms (budget 20 of 100 ms), dodged "
             "%lu ticks, %lu refills; left to us %lu.%04lu ms of %lu",
             (unsigned long)(own / 10000), (unsigned long)(own % 10000),
             (unsigned long)(window / 10000), (unsigned long)(window % 10000), (unsigned long)dodged, (unsigned long)refills,
             (unsigned long)((end - start - stolen) / 10000),
             (unsigned long)((end - start - stolen) % 10000), (unsigned long)((end - start) / 10000));
    ok("dodge", line);
}

int main(void)
{
    printf("hostile: start\n");
    t_map_quota();
    t_reload();
    t_dodge();
    printf("hostile: %d passed, %d failed\n", passed, failures);
    anv_system_shutdown(HMAIN_HANDLE_SYSCTL, failures ? 1 : 0);
    return 0;
}
