/* Building kernel objects on host memory for the cmocka tests: page buffers stand in for
 * physical memory (kmem.h maps a "physical" address to the same host pointer under
 * ANV_HOST_TEST), and every allocation is tracked so AddressSanitizer's leak check stays
 * quiet and no test sees another's objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/audit.h"
#include "object/cspace.h"
#include "core/invariants.h"
#include "kernel_stubs.h"
#include "object/pool.h"
#include "core/sched.h"
#include "object/thread.h"

#define HK_MAX_ALLOCS 1024

static struct cspace hk_cs[HK_CSPACES];
static struct cap hk_slots[HK_CSPACES][HK_SLOTS];
static bool hk_registered;
static void *hk_allocs[HK_MAX_ALLOCS];
static unsigned hk_nallocs;

static void *hk_track(void *p)
{
    assert_non_null(p);
    assert_true(hk_nallocs < HK_MAX_ALLOCS);
    hk_allocs[hk_nallocs++] = p;
    return p;
}

static void hk_free_all(void)
{
    for (unsigned i = 0; i < hk_nallocs; i++)
        free(hk_allocs[i]);
    hk_nallocs = 0;
}

int hk_setup(void **state)
{
    (void)state;
    hk_free_all();
    stubs_reset();
    sched_init();
    audit_reset();
    invariants_enabled = false; /* tests call invariants_check_all() themselves */
    if (!hk_registered) {
        for (unsigned i = 0; i < HK_CSPACES; i++) {
            cspace_init(&hk_cs[i], hk_slots[i], HK_SLOTS);
            invariants_register_cspace(&hk_cs[i]);
        }
        hk_registered = true;
    }
    for (unsigned i = 0; i < HK_CSPACES; i++)
        cspace_init(&hk_cs[i], hk_slots[i], HK_SLOTS);
    return 0;
}

int hk_teardown(void **state)
{
    (void)state;
    /* Slots may point into memory about to be freed: empty them first. */
    for (unsigned i = 0; i < HK_CSPACES; i++)
        cspace_init(&hk_cs[i], hk_slots[i], HK_SLOTS);
    sched_init();
    hk_free_all();
    return 0;
}

struct cspace *hk_cspace(unsigned i, uint32_t size)
{
    assert_true(i < HK_CSPACES && size <= HK_SLOTS);
    cspace_init(&hk_cs[i], hk_slots[i], size);
    return &hk_cs[i];
}

void *hk_pages(uint32_t n)
{
    void *p = aligned_alloc(ANV_PAGE_SIZE, (size_t)n * ANV_PAGE_SIZE);
    hk_track(p);
    memset(p, 0, (size_t)n * ANV_PAGE_SIZE);
    return p;
}

void *hk_zalloc(size_t size)
{
    return hk_track(calloc(1, size));
}

struct pool *hk_pool(uint32_t pages, uint32_t quota)
{
    struct pool *p = hk_zalloc(sizeof(*p));
    uint64_t *bitmap = hk_zalloc(POOL_BITMAP_WORDS(pages) * sizeof(uint64_t));
    struct frame *meta = hk_zalloc(pages * sizeof(struct frame));
    pool_init(p, (uint64_t)(uintptr_t)hk_pages(pages), pages, quota, bitmap, meta);
    return p;
}

struct thread *hk_thread(struct cspace *cs, struct vspace *vs, uint8_t priority)
{
    struct thread *t = hk_zalloc(sizeof(*t));
    thread_init(t, cs, vs, priority);
    assert_int_equal(sched_admit(t, 0, 0), ANV_OK);
    t->ipc_buffer = hk_pages(1);
    t->ipc_buffer_vaddr = 0;
    sched_make_ready(t);
    return t;
}

struct cap *hk_install(struct cspace *cs, uint32_t slot, struct kobj *obj, uint32_t rights,
                       uint64_t badge, struct cap *parent)
{
    assert_true(slot > 0 && slot < cs->size);
    struct cap *c = &cs->slots[slot];
    if (parent)
        cap_derive(c, parent, rights, badge);
    else
        cap_install(c, obj, obj->type, rights, badge, 0);
    return c;
}
