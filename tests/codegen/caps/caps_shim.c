/* Test-only kernel for the capability stubs (tests/codegen/valid/caps.system): two
 * CSpaces, the client's and the server's, with slots, generations and badges; a call runs
 * the generated server dispatch in-process and its reply goes through the generated
 * net_server_reply_recv, which moves the reply's capabilities into the lowest free
 * client slots (RFC 0010 section 3.4) or is refused with ANV_E_NO_SLOTS. Revoke and
 * delete act on the derivation the transfers made. */
#include <string.h>

#include "caps_shim.h"

struct shim_caps shim;

static struct anv_ipc_buffer bufs[2];
static int side; /* 0 the client is running, 1 the server */
static uint64_t pending_reply;
static int reply_owed;

struct anv_ipc_buffer *anv_ipcbuf(void)
{
    return &bufs[side];
}

struct anv_ipc_buffer *shim_buffer(int which)
{
    return &bufs[which];
}

static anv_handle_t make(uint32_t slot, uint32_t gen)
{
    return ((anv_handle_t)ANV_HANDLE_TAG_SOFT << ANV_HANDLE_TAG_SHIFT) | (anv_handle_t)gen << 24 | slot;
}

/* The slot a handle names in CSpace `cs`, or an error as the kernel would give it. */
static int lookup(int cs, anv_handle_t h, struct shim_slot **out)
{
    uint32_t slot = (uint32_t)(h & 0xFFFFFFu), gen = (uint32_t)(h >> 24);
    if ((h >> ANV_HANDLE_TAG_SHIFT) != ANV_HANDLE_TAG_SOFT || slot == 0 || slot >= SHIM_SLOTS)
        return ANV_E_BAD_HANDLE;
    struct shim_slot *s = &shim.cs[cs][slot];
    if ((gen & 0xFFFFFFFFu) != s->gen)
        return ANV_E_STALE_HANDLE;
    if (!s->used)
        return ANV_E_EMPTY_SLOT;
    *out = s;
    return ANV_OK;
}

static void empty(struct shim_slot *s)
{
    s->used = 0;
    s->gen++;
    s->parent = NULL;
    s->badge = 0;
    s->type = 0;
}

void shim_reset(void)
{
    memset(&shim, 0, sizeof shim);
    memset(bufs, 0, sizeof bufs);
    side = 0;
    reply_owed = 0;
}

anv_handle_t shim_place(int cs, uint32_t slot, uint64_t badge, uint32_t rights)
{
    struct shim_slot *s = &shim.cs[cs][slot];
    s->used = 1;
    s->badge = badge;
    s->rights = rights;
    s->parent = NULL;
    s->type = 0;
    return make(slot, s->gen);
}

uint32_t shim_used(int cs)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < SHIM_SLOTS; i++)
        n += shim.cs[cs][i].used;
    return n;
}

int anv_cap_delegate(anv_handle_t src, anv_handle_t cspace, uint32_t dest_slot, uint32_t rights,
                     uint64_t badge, anv_handle_t *out)
{
    struct shim_slot *s = NULL;
    int err = lookup(side, src, &s);
    if (err != ANV_OK)
        return err;
    if (cspace != ANV_HANDLE_NULL || dest_slot == 0 || dest_slot >= SHIM_SLOTS)
        return ANV_E_BAD_HANDLE;
    if (dest_slot < shim.first_dynamic[side])
        return ANV_E_RESERVED_SLOT;
    if (shim.cs[side][dest_slot].used)
        return ANV_E_SLOT_OCCUPIED;
    if (rights & ~s->rights)
        return ANV_E_RIGHTS;
    if (badge != 0 && s->badge != 0)
        return ANV_E_RIGHTS;
    struct shim_slot *d = &shim.cs[side][dest_slot];
    d->used = 1;
    d->rights = rights;
    d->badge = badge ? badge : s->badge;
    d->parent = s;
    d->type = s->type;
    shim.delegates++;
    *out = make(dest_slot, d->gen);
    return ANV_OK;
}

int anv_cap_revoke(anv_handle_t cap)
{
    struct shim_slot *s = NULL;
    int err = lookup(side, cap, &s);
    if (err != ANV_OK)
        return err;
    /* Descendants: any slot whose chain of parents reaches s (bounded by the slot count). */
    for (int cs = 0; cs < 2; cs++)
        for (uint32_t i = 0; i < SHIM_SLOTS; i++) {
            struct shim_slot *p = shim.cs[cs][i].parent;
            for (uint32_t depth = 0; p != NULL && depth < 2 * SHIM_SLOTS; depth++) {
                if (p == s) {
                    empty(&shim.cs[cs][i]);
                    shim.revoked++;
                    break;
                }
                p = p->parent;
            }
        }
    return ANV_OK;
}

int anv_cap_identify(anv_handle_t cap, uint64_t *type, uint64_t *rights, uint64_t *badge,
                     uint64_t *object_id)
{
    struct shim_slot *s = NULL;
    int err = lookup(side, cap, &s);
    if (err != ANV_OK)
        return err;
    *type = s->type ? s->type : ANV_OBJ_ENDPOINT;
    *rights = s->rights;
    *badge = s->badge;
    *object_id = 0;
    return ANV_OK;
}

int anv_cap_delete(anv_handle_t cap)
{
    struct shim_slot *s = NULL;
    int err = lookup(side, cap, &s);
    if (err != ANV_OK)
        return err;
    empty(s);
    shim.deleted++;
    return ANV_OK;
}

/* Moves the sender's caps_out[] into the lowest free slots of CSpace `to`: all or none. */
static int move_caps(int from, int to, uint64_t info)
{
    uint32_t n = anv_msginfo_caps(info), free_slot[ANV_IPC_MAX_CAPS] = {0}, found = 0;
    struct shim_slot *src[ANV_IPC_MAX_CAPS] = {0};
    if (n > ANV_IPC_MAX_CAPS)
        return ANV_E_TOO_MANY_CAPS;
    for (uint32_t i = 0; i < n; i++) {
        int err = lookup(from, bufs[from].caps_out[i], &src[i]);
        if (err != ANV_OK)
            return err;
    }
    for (uint32_t s = shim.first_dynamic[to]; s < shim.slots[to] && found < n; s++)
        if (!shim.cs[to][s].used)
            free_slot[found++] = s;
    if (found < n)
        return ANV_E_NO_SLOTS;
    for (uint32_t i = 0; i < n; i++) {
        struct shim_slot *d = &shim.cs[to][free_slot[i]];
        d->used = 1;
        d->badge = src[i]->badge;
        d->rights = src[i]->rights & (uint32_t)bufs[from].caps_out_rights[i];
        d->parent = src[i];
        d->type = src[i]->type;
        bufs[to].caps_in[i] = make(free_slot[i], d->gen);
    }
    return ANV_OK;
}

int anv_ipc_call(anv_handle_t ep, uint64_t info, uint64_t *reply_info)
{
    struct shim_slot *s = NULL;
    int err = lookup(0, ep, &s);
    if (err != ANV_OK)
        return err;
    if (!(s->rights & ANV_RIGHT_WRITE))
        return ANV_E_RIGHTS;
    if (anv_msginfo_caps(info) != 0) {
        if (!(s->rights & ANV_RIGHT_GRANT))
            return ANV_E_RIGHTS;
        err = move_caps(0, 1, info);
        if (err != ANV_OK)
            return err;
    }
    uint32_t words = anv_msginfo_words(info);
    memcpy(bufs[1].mr, bufs[0].mr, words * sizeof(uint64_t));
    shim.calls++;
    side = 1;
    shim.grant = (s->rights & ANV_RIGHT_GRANT) != 0;
    reply_owed = 1;
    uint64_t reply = shim.dispatch(info, s->badge);
    if (shim.corrupt_reply_caps && anv_msginfo_caps(reply) == 0 && anv_msginfo_label(reply) == 0) {
        /* A server that sends a capability the procedure does not return. */
        bufs[1].caps_out[0] = shim.corrupt_reply_caps;
        bufs[1].caps_out_rights[0] = ANV_RIGHTS_ALL;
        reply = anv_msginfo(0, anv_msginfo_words(reply), 1);
    }
    uint64_t i2 = 0, b2 = 0;
    (void)shim.reply_recv(reply, &i2, &b2); /* ends with the shim's receive: ANV_E_NOSYS */
    side = 0;
    *reply_info = pending_reply;
    return ANV_OK;
}

int anv_ipc_reply(uint64_t info)
{
    if (!reply_owed)
        return ANV_E_NOTHING_PENDING;
    if (anv_msginfo_caps(info) != 0) {
        if (!shim.grant)
            return ANV_E_RIGHTS;
        int err = move_caps(1, 0, info);
        if (err != ANV_OK)
            return err; /* still owed */
    }
    memcpy(bufs[0].mr, bufs[1].mr, anv_msginfo_words(info) * sizeof(uint64_t));
    pending_reply = info;
    reply_owed = 0;
    return ANV_OK;
}

int anv_ipc_receive(anv_handle_t ep, uint64_t *info, uint64_t *badge)
{
    (void)ep;
    *info = 0;
    *badge = 0;
    return ANV_E_NOSYS;
}

int anv_ipc_reply_recv(anv_handle_t ep, uint64_t reply_info, uint64_t *info, uint64_t *badge)
{
    int err = anv_ipc_reply(reply_info);
    if (err != ANV_OK)
        return err;
    return anv_ipc_receive(ep, info, badge);
}

/* The register-message calls (sdk.h): the words a real call carries in a2..a5 are the
 * ones the buffer calls carry in mr[0..3], so they are staged in the running side's
 * buffer around them, and its own mr[0..3] are given back untouched, as the kernel
 * leaves them. */
static int msg_call(int nr, anv_handle_t ep, struct anv_msg *m, uint64_t *badge)
{
    struct anv_ipc_buffer *b = &bufs[side];
    uint64_t kept[ANV_IPC_REG_WORDS];
    memcpy(kept, b->mr, sizeof kept);
    memcpy(b->mr, m->w, sizeof m->w);
    uint64_t info = 0, bd = 0;
    int err = nr == ANV_SYS_IPC_CALL ? anv_ipc_call(ep, m->info, &info)
              : nr == ANV_SYS_IPC_RECEIVE ? anv_ipc_receive(ep, &info, &bd)
                                          : anv_ipc_reply_recv(ep, m->info, &info, &bd);
    if (err == ANV_OK) {
        m->info = info;
        memcpy(m->w, b->mr, sizeof m->w);
        if (badge)
            *badge = bd;
    }
    memcpy(b->mr, kept, sizeof kept);
    return err;
}

int anv_ipc_call_msg(anv_handle_t ep, struct anv_msg *m)
{
    return msg_call(ANV_SYS_IPC_CALL, ep, m, NULL);
}

int anv_ipc_receive_msg(anv_handle_t ep, struct anv_msg *m, uint64_t *badge)
{
    return msg_call(ANV_SYS_IPC_RECEIVE, ep, m, badge);
}

int anv_ipc_reply_recv_msg(anv_handle_t ep, struct anv_msg *m, uint64_t *badge)
{
    return msg_call(ANV_SYS_IPC_REPLY_RECV, ep, m, badge);
}
