/* Object identity and teardown dispatch: the one place that knows every object type. */
#include "object/object.h"

#include "object/cspace.h"
#include "object/endpoint.h"
#include "object/frame.h"
#include "object/notification.h"
#include "object/pool.h"
#include "object/thread.h"

static uint32_t kobj_id_counter;

uint32_t kobj_next_id(void)
{
    return ++kobj_id_counter;
}

void kobj_init(struct kobj *o, uint8_t type)
{
    o->type = type;
    o->flags = 0;
    o->reserved = 0;
    o->id = kobj_next_id();
    o->refs = 0;
}

void kobj_destroy(struct kobj *o)
{
    switch (o->type) {
    case ANV_OBJ_ENDPOINT:
        ep_destroy((struct endpoint *)o);
        break;
    case ANV_OBJ_NOTIFICATION:
        ntfn_destroy((struct notification *)o);
        break;
    case ANV_OBJ_FRAME:
        pool_frame_release((struct frame *)o);
        break;
    case ANV_OBJ_THREAD:
        thread_stop((struct thread *)o);
        break;
    default:
        /* CSpaces, address spaces, pools and device objects are created pinned. */
        break;
    }
}

void cap_on_remove(struct cap *c)
{
    switch (c->type) {
    case ANV_OBJ_ENDPOINT:
        ep_cap_removed(c);
        break;
    case ANV_OBJ_NOTIFICATION:
        ntfn_cap_removed(c);
        break;
    case ANV_OBJ_MAPPING:
        frame_unmap(c);
        break;
    default:
        break;
    }
}
