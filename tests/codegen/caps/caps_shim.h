/* The capability shim's world (caps_shim.c): two CSpaces and what happened in them. */
#ifndef CAPS_SHIM_H
#define CAPS_SHIM_H

#include <anvaya/sdk.h>

#define SHIM_SLOTS 64u

struct shim_slot {
    int used;
    uint32_t gen, rights;
    uint64_t badge;
    struct shim_slot *parent; /* the capability this one was copied from */
    uint32_t type;            /* ANV_OBJ_*; 0 (as placed) is an endpoint */
};

struct shim_caps {
    struct shim_slot cs[2][SHIM_SLOTS]; /* 0 the client's CSpace, 1 the server's */
    uint32_t slots[2], first_dynamic[2];
    uint64_t (*dispatch)(uint64_t info, uint64_t badge);
    int (*reply_recv)(uint64_t reply, uint64_t *info, uint64_t *badge);
    int grant;                     /* the current call's capability had g */
    anv_handle_t corrupt_reply_caps; /* non-zero: add this server handle to a plain reply */
    int calls, delegates, revoked, deleted;
};

extern struct shim_caps shim;
struct anv_ipc_buffer *shim_buffer(int which);
void shim_reset(void);
anv_handle_t shim_place(int cs, uint32_t slot, uint64_t badge, uint32_t rights);
uint32_t shim_used(int cs);

#endif
