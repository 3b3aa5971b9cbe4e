/* The test SDK shim's controls: which handle routes to which badge, and what happened. */
#ifndef SDK_SHIM_H
#define SDK_SHIM_H

#include <anvaya/sdk.h>

struct shim_state {
    uint64_t (*dispatch)(uint64_t info, uint64_t badge);
    anv_handle_t route_handle[8];
    uint64_t route_badge[8];
    int routes;
    int calls;
    anv_handle_t signalled;
    int signals;
    anv_handle_t waited;
    int waits;
    uint64_t ntfn_bits; /* what the next anv_wait_one reports */
};

extern struct shim_state shim;
struct anv_ipc_buffer *shim_server_buffer(void);

#endif
