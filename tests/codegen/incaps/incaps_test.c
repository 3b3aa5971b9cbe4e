/* Capabilities in requests (`in cap<I>`, tests/codegen/valid/incaps.system): the client's
 * generated stubs hand a capability to the relay's generated dispatch through
 * caps_shim.c (two CSpaces: 0 the client's, 1 the relay's). The relay's procedure gets a
 * handle in its own CSpace to the very capability the client held (its badge); what it
 * does not keep is deleted; a request with the wrong number of capabilities, one that is
 * not an endpoint, a capability the client does not hold, a call without g and a full
 * relay CSpace are each refused and leave nothing behind. */
#include <stdio.h>
#include <string.h>

#include "icli_gen.h"
#include "irel_gen.h"
#include "caps_shim.h"

static int failures, checks;

#define CHECK(cond)                                                                \
    do {                                                                           \
        checks++;                                                                  \
        if (!(cond)) {                                                             \
            failures++;                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                          \
    } while (0)

/* ---- the relay: what each call saw, and the capabilities it chose to keep ---- */
static uint64_t seen_badge[2];
static uint64_t seen_rights;
static anv_handle_t seen_handle;
static int keep, calls;
static anv_handle_t kept[8];
static uint32_t nkept;

static int look(anv_handle_t h, int k)
{
    uint64_t type = 0, id = 0;
    int err = anv_cap_identify(h, &type, &seen_rights, &seen_badge[k], &id);
    if (err == ANV_OK && type != ANV_OBJ_ENDPOINT)
        err = ANV_E_WRONG_TYPE;
    return err;
}

int relay_server_relay_hand(uint64_t badge, uint32_t tag, anv_handle_t *conn, uint32_t *sent)
{
    (void)badge;
    calls++;
    seen_handle = *conn;
    int err = look(*conn, 0);
    if (err != ANV_OK)
        return err;
    if (tag == 13)
        return RELAY_E_REFUSED;     /* refused after taking it: still deleted */
    if (keep && nkept < 8) {
        kept[nkept++] = *conn;
        *conn = ANV_HANDLE_NULL;    /* ours now */
    }
    *sent = tag * 2u;
    return ANV_OK;
}

int relay_server_relay_pair(uint64_t badge, anv_handle_t *a, anv_handle_t *b)
{
    (void)badge;
    calls++;
    int err = look(*a, 0);
    if (err == ANV_OK)
        err = look(*b, 1);
    return err;
}

int relay_server_relay_count(uint64_t badge, uint32_t *held)
{
    (void)badge;
    calls++;
    *held = nkept;
    return ANV_OK;
}

/* The relay has no objects of its own: its loop is the plain reply-and-receive. */
static int relay_reply_recv(uint64_t reply, uint64_t *info, uint64_t *badge)
{
    return anv_ipc_reply_recv(RELAY_SERVER_HANDLE_SERVICE, reply, info, badge);
}

/* The client holds the relay's endpoint with `relay_rights`, and two Conn capabilities
 * (as a Net server would have returned them) in its run-time slots. */
static anv_handle_t conn_a, conn_b;

static void world(uint32_t relay_rights, uint32_t relay_slots)
{
    shim_reset();
    seen_badge[0] = seen_badge[1] = 0;
    seen_handle = ANV_HANDLE_NULL;
    keep = calls = 0;
    nkept = 0;
    shim.slots[0] = USER_CSPACE_SLOTS;
    shim.slots[1] = relay_slots;
    shim.first_dynamic[0] = USER_SLOT_FIRST_DYNAMIC;
    shim.first_dynamic[1] = RELAY_SERVER_SLOT_FIRST_DYNAMIC;
    shim.dispatch = relay_server_dispatch;
    shim.reply_recv = relay_reply_recv;
    CHECK(shim_place(0, USER_SLOT_RELAY, RELAY_SERVER_RELAY_CLIENT_ICLI_RELAY, relay_rights) == USER_HANDLE_RELAY);
    CHECK(shim_place(1, RELAY_SERVER_SLOT_SERVICE, 0, ANV_RIGHT_READ) == RELAY_SERVER_HANDLE_SERVICE);
    conn_a = shim_place(0, USER_SLOT_FIRST_DYNAMIC, (UINT64_C(1) << 48) | 0x11, ANV_RIGHT_WRITE | ANV_RIGHT_GRANT);
    conn_b = shim_place(0, USER_SLOT_FIRST_DYNAMIC + 1, (UINT64_C(1) << 48) | 0x22, ANV_RIGHT_WRITE);
}

int main(void)
{
    const uint32_t WG = ANV_RIGHT_WRITE | ANV_RIGHT_GRANT;
    world(WG, RELAY_SERVER_CSPACE_SLOTS);
    uint32_t c0 = shim_used(0), r0 = shim_used(1);
    uint32_t sent = 0, held = 0;

    /* Handed over: the relay sees a handle in its own CSpace, in the receive window, to
     * the capability the client holds (same badge, same rights); not kept, it is gone
     * after the call and the client still has its own. */
    CHECK(user_relay_hand(21, conn_a, &sent) == ANV_OK);
    CHECK(sent == 42);
    CHECK(seen_badge[0] == ((UINT64_C(1) << 48) | 0x11));
    CHECK(seen_rights == WG);
    CHECK((seen_handle & 0xFFFFFFu) >= RELAY_SERVER_SLOT_FIRST_DYNAMIC);
    CHECK((seen_handle & 0xFFFFFFu) < RELAY_SERVER_SLOT_FIRST_DYNAMIC + RELAY_SERVER_RECV_WINDOW_SLOTS);
    CHECK(shim_used(1) == r0);
    CHECK(shim_used(0) == c0);
    CHECK(shim.deleted == 1);

    /* Kept: it stays in the relay's CSpace, a child of the client's (revoking the
     * client's removes it). */
    keep = 1;
    CHECK(user_relay_hand(5, conn_b, &sent) == ANV_OK);
    CHECK(nkept == 1 && shim_used(1) == r0 + 1);
    CHECK(user_relay_count(&held) == ANV_OK && held == 1);
    CHECK(anv_cap_revoke(conn_b) == ANV_OK);
    CHECK(shim_used(1) == r0);      /* the relay's copy went with the revoke */
    CHECK(shim_used(0) == c0);
    keep = 0;

    /* Two in one request, in parameter order. */
    CHECK(user_relay_pair(conn_a, conn_b) == ANV_OK);
    CHECK(seen_badge[0] == ((UINT64_C(1) << 48) | 0x11) && seen_badge[1] == ((UINT64_C(1) << 48) | 0x22));
    CHECK(shim_used(1) == r0);

    /* Refused by the procedure after it got the capability: deleted all the same. */
    CHECK(user_relay_hand(13, conn_a, &sent) == (int)RELAY_E_REFUSED);
    CHECK(shim_used(1) == r0);

    /* Hostile requests, raw: the dispatch refuses each, deletes what came, never calls. */
    int before = calls;
    uint64_t reply = 0;
    anv_ipcbuf()->caps_out[0] = conn_a;
    anv_ipcbuf()->caps_out_rights[0] = ANV_RIGHTS_ALL;
    anv_ipcbuf()->mr[0] = 1;
    /* a capability sent to a procedure that takes none */
    CHECK(anv_ipc_call(USER_HANDLE_RELAY, anv_msginfo(RELAY_LABEL_COUNT, 0, 1), &reply) == ANV_OK);
    CHECK(anv_msginfo_label(reply) == ANV_E_INVALID_ARG && shim_used(1) == r0);
    /* hand without its capability */
    CHECK(anv_ipc_call(USER_HANDLE_RELAY, anv_msginfo(RELAY_LABEL_HAND, 1, 0), &reply) == ANV_OK);
    CHECK(anv_msginfo_label(reply) == ANV_E_INVALID_ARG);
    /* hand with two */
    anv_ipcbuf()->caps_out[1] = conn_b;
    anv_ipcbuf()->caps_out_rights[1] = ANV_RIGHTS_ALL;
    CHECK(anv_ipc_call(USER_HANDLE_RELAY, anv_msginfo(RELAY_LABEL_HAND, 1, 2), &reply) == ANV_OK);
    CHECK(anv_msginfo_label(reply) == ANV_E_INVALID_ARG && shim_used(1) == r0);
    /* an unknown procedure with one */
    CHECK(anv_ipc_call(USER_HANDLE_RELAY, anv_msginfo(77, 0, 1), &reply) == ANV_OK);
    CHECK(anv_msginfo_label(reply) == ANV_E_NOSYS && shim_used(1) == r0);
    /* a word out of range for hand's u32: refused after the count check, deleted too */
    anv_ipcbuf()->caps_out[0] = conn_a;
    anv_ipcbuf()->mr[0] = UINT64_C(1) << 40;
    CHECK(anv_ipc_call(USER_HANDLE_RELAY, anv_msginfo(RELAY_LABEL_HAND, 1, 1), &reply) == ANV_OK);
    CHECK(anv_msginfo_label(reply) == ANV_E_INVALID_ARG && shim_used(1) == r0);
    CHECK(calls == before);

    /* Not an endpoint (a notification, say): ANV_E_WRONG_TYPE, deleted, never called. */
    anv_handle_t ntfn = shim_place(0, USER_SLOT_FIRST_DYNAMIC + 2, 0, ANV_RIGHT_WRITE);
    shim.cs[0][USER_SLOT_FIRST_DYNAMIC + 2].type = ANV_OBJ_NOTIFICATION;
    CHECK(user_relay_hand(3, ntfn, &sent) == ANV_E_WRONG_TYPE);
    CHECK(calls == before && shim_used(1) == r0);
    /* An endpoint without w cannot be called: ANV_E_RIGHTS. */
    anv_handle_t ro = shim_place(0, USER_SLOT_FIRST_DYNAMIC + 3, 0x33, ANV_RIGHT_READ);
    CHECK(user_relay_hand(3, ro, &sent) == ANV_E_RIGHTS);
    CHECK(calls == before && shim_used(1) == r0);

    /* The client cannot hand over what it does not hold: a handle to an empty slot, a
     * stale one, one past its CSpace. The kernel refuses the call; nothing moves. */
    uint32_t d0 = (uint32_t)shim.deleted;
    CHECK(anv_cap_delete(ro) == ANV_OK);
    CHECK(user_relay_hand(3, ro, &sent) == ANV_E_STALE_HANDLE);
    anv_handle_t empty_slot = (conn_a & ~UINT64_C(0xFFFFFF)) | (USER_SLOT_FIRST_DYNAMIC + 5);
    CHECK(user_relay_hand(3, empty_slot, &sent) == ANV_E_EMPTY_SLOT);
    CHECK(user_relay_hand(3, (conn_a & ~UINT64_C(0xFFFFFF)) | 0xFFFFFu, &sent) == ANV_E_BAD_HANDLE);
    CHECK(calls == before && shim_used(1) == r0 && (uint32_t)shim.deleted == d0 + 1u);

    /* Without g on the relay's endpoint the call is refused before anything moves. */
    world(ANV_RIGHT_WRITE, RELAY_SERVER_CSPACE_SLOTS);
    r0 = shim_used(1);
    CHECK(user_relay_hand(1, conn_a, &sent) == ANV_E_RIGHTS);
    CHECK(calls == 0 && shim_used(1) == r0);

    /* A relay whose CSpace has no free slot: ANV_E_NO_SLOTS, nothing moved, the
     * client's capability untouched (the generator refuses such a system; the shim
     * shows what the kernel does if the component filled its window at run time). */
    world(WG, RELAY_SERVER_SLOT_FIRST_DYNAMIC);
    r0 = shim_used(1);
    c0 = shim_used(0);
    CHECK(user_relay_hand(1, conn_a, &sent) == ANV_E_NO_SLOTS);
    CHECK(calls == 0 && shim_used(1) == r0 && shim_used(0) == c0);
    CHECK(user_relay_hand(1, conn_a, &sent) == ANV_E_NO_SLOTS);

    printf("incaps-stubs: %d/%d checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
