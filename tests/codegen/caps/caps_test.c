/* Generated stubs that return capabilities (tests/codegen/valid/caps.system: Net returns
 * Conn objects, a Conn returns Conn and Stat), client against server in one process
 * through caps_shim.c: the handles the client gets reach the object the server minted,
 * by badge alone; close revokes; a full client CSpace, a client without g, a reply with
 * a capability too many and a request carrying one each fail cleanly and leak nothing. */
#include <stdio.h>
#include <string.h>

#include "cli_gen.h"
#include "srv_gen.h"
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

/* ---- the server: objects in slots from its first run-time slot ---- */
#define OBJS 16u
static anv_handle_t objs[OBJS];
static uint64_t last_low;
static int unsent;

static int make_obj(int stat, uint64_t low, anv_handle_t *out)
{
    for (uint32_t i = 0; i < OBJS; i++)
        if (objs[i] == ANV_HANDLE_NULL) {
            uint32_t slot = NET_SERVER_SLOT_FIRST_DYNAMIC + i;
            int err = stat ? net_server_stat_mint(slot, low, &objs[i])
                           : net_server_conn_mint(slot, low | i, &objs[i]);
            if (err == ANV_OK)
                *out = objs[i];
            return err;
        }
    return NET_E_DENIED;
}

static void drop_obj(anv_handle_t h)
{
    for (uint32_t i = 0; i < OBJS; i++)
        if (objs[i] == h) {
            (void)anv_cap_revoke(h);
            (void)anv_cap_delete(h);
            objs[i] = ANV_HANDLE_NULL;
        }
}

int net_server_net_open(uint64_t badge, uint16_t port, anv_handle_t *conn)
{
    (void)badge;
    if (port == 0)
        return NET_E_DENIED;
    return make_obj(0, (uint64_t)port << 8, conn);
}

int net_server_net_pair(uint64_t badge, anv_handle_t *a, uint32_t *tag, anv_handle_t *b)
{
    (void)badge;
    int err = make_obj(0, 0x100u << 8, a);
    if (err == ANV_OK)
        err = make_obj(0, 0x200u << 8, b);
    *tag = 77;
    return err;
}

int net_server_net_info(uint64_t badge, uint32_t *ip)
{
    *ip = (uint32_t)badge;
    return ANV_OK;
}

int net_server_conn_send(uint64_t low, uint32_t length, uint32_t *taken)
{
    last_low = low;
    *taken = length;
    return ANV_OK;
}

int net_server_conn_accept(uint64_t low, anv_handle_t *conn, struct peer *peer)
{
    peer->ip = (uint32_t)low;
    peer->port = 9;
    return make_obj(0, 0x300u << 8, conn);
}

int net_server_conn_stat(uint64_t low, anv_handle_t *stat)
{
    return make_obj(1, low, stat);
}

int net_server_conn_close(uint64_t low)
{
    uint32_t i = (uint32_t)(low & 0xFFu);
    if (i >= OBJS || objs[i] == ANV_HANDLE_NULL)
        return CONN_E_GONE;
    drop_obj(objs[i]);
    return ANV_OK;
}

int net_server_stat_read(uint64_t low, uint64_t *total)
{
    *total = low * 10u;
    return ANV_OK;
}

void net_server_cap_unsent(anv_handle_t cap)
{
    unsent++;
    drop_obj(cap);
}

static void world(uint32_t client_slots, uint32_t net_rights)
{
    shim_reset();
    memset(objs, 0, sizeof objs);
    shim.slots[0] = client_slots;
    shim.slots[1] = NET_SERVER_CSPACE_SLOTS;
    shim.first_dynamic[0] = NET_USER_SLOT_FIRST_DYNAMIC;
    shim.first_dynamic[1] = NET_SERVER_SLOT_FIRST_DYNAMIC;
    shim.dispatch = net_server_dispatch;
    shim.reply_recv = net_server_reply_recv;
    CHECK(shim_place(0, NET_USER_SLOT_NET, NET_SERVER_NET_CLIENT_CLI_NET, net_rights) == NET_USER_HANDLE_NET);
    CHECK(shim_place(1, NET_SERVER_SLOT_SERVICE, 0, ANV_RIGHT_READ) == NET_SERVER_HANDLE_SERVICE);
    CHECK(shim_place(1, NET_SERVER_SLOT_MINT, 0, NET_SERVER_CONN_RIGHTS) == NET_SERVER_HANDLE_MINT);
}

int main(void)
{
    const uint32_t WG = ANV_RIGHT_WRITE | ANV_RIGHT_GRANT;
    world(NET_USER_CSPACE_SLOTS, WG);
    uint32_t c0 = shim_used(0), s0 = shim_used(1);

    /* A returned capability reaches the object it stands for, by its badge. */
    anv_handle_t h = ANV_HANDLE_NULL, h2 = ANV_HANDLE_NULL;
    CHECK(net_user_net_open(7, &h) == ANV_OK);
    CHECK((h & 0xFFFFFFu) == NET_USER_SLOT_FIRST_DYNAMIC);
    CHECK(shim.cs[0][NET_USER_SLOT_FIRST_DYNAMIC].badge == NET_SERVER_CONN_BADGE(7u << 8));
    CHECK(shim.cs[0][NET_USER_SLOT_FIRST_DYNAMIC].rights == NET_SERVER_CONN_RIGHTS);
    uint32_t taken = 0;
    CHECK(net_user_conn_send(h, 1234, &taken) == ANV_OK && taken == 1234);
    CHECK(last_low == (7u << 8 | 0u));
    CHECK(shim_used(0) == c0 + 1 && shim_used(1) == s0 + 1);

    /* An error reply gives no capability. */
    anv_handle_t none = 42;
    CHECK(net_user_net_open(0, &none) == NET_E_DENIED && none == 42);
    CHECK(shim_used(0) == c0 + 1);

    /* Two capabilities and a word in one reply, each its own object. */
    anv_handle_t a = 0, b = 0;
    uint32_t tag = 0;
    CHECK(net_user_net_pair(&a, &tag, &b) == ANV_OK && tag == 77 && a != b);
    CHECK(net_user_conn_send(a, 1, &taken) == ANV_OK && (last_low >> 8) == 0x100u);
    CHECK(net_user_conn_send(b, 1, &taken) == ANV_OK && (last_low >> 8) == 0x200u);

    /* An object returns objects: accept (a struct beside the capability) and stat (another
     * interface, object index 1, no g). */
    struct peer p = {0};
    CHECK(net_user_conn_accept(h, &h2, &p) == ANV_OK && p.ip == (7u << 8) && p.port == 9);
    CHECK(net_user_conn_send(h2, 2, &taken) == ANV_OK && (last_low >> 8) == 0x300u);
    anv_handle_t st = 0;
    uint64_t total = 0;
    CHECK(net_user_conn_stat(h, &st) == ANV_OK);
    CHECK(shim.cs[0][st & 0xFFFFFFu].rights == NET_SERVER_STAT_RIGHTS);
    CHECK(net_user_stat_read(st, &total) == ANV_OK && total == (7u << 8) * 10u);

    /* close revokes: the client's handle is stale, its slot free again. */
    uint32_t before = shim_used(0);
    CHECK(net_user_conn_close(h) == ANV_OK);
    CHECK(net_user_conn_send(h, 1, &taken) == ANV_E_STALE_HANDLE);
    CHECK(net_user_conn_close(h) == ANV_E_STALE_HANDLE);
    CHECK(shim_used(0) == before - 1);

    /* A badge of an object interface the server does not have: refused by the dispatch. */
    anv_handle_t forged = shim_place(0, 40, UINT64_C(1) << 48 | UINT64_C(5) << 40, WG);
    CHECK(net_user_conn_send(forged, 1, &taken) == ANV_E_BAD_HANDLE);

    /* A reply with a capability the procedure does not return: the client's stub deletes
     * it again and fails. */
    before = shim_used(0);
    shim.corrupt_reply_caps = NET_SERVER_HANDLE_MINT;
    uint32_t ip = 0;
    CHECK(net_user_net_info(&ip) == ANV_E_INVALID_ARG);
    shim.corrupt_reply_caps = 0;
    CHECK(shim_used(0) == before);

    /* A request that carries a capability (the client holds g): the server deletes it and
     * refuses the request. */
    uint32_t sbefore = shim_used(1);
    anv_ipcbuf()->caps_out[0] = a;
    anv_ipcbuf()->caps_out_rights[0] = ANV_RIGHTS_ALL;
    uint64_t reply = 0;
    CHECK(anv_ipc_call(NET_USER_HANDLE_NET, anv_msginfo(NET_LABEL_INFO, 0, 1), &reply) == ANV_OK);
    CHECK(anv_msginfo_label(reply) == ANV_E_INVALID_ARG);
    CHECK(shim_used(1) == sbefore);

    /* More capabilities than free slots: the kernel refuses the reply, the server takes
     * back what it minted (cap_unsent) and the client gets ANV_E_NO_SLOTS. */
    world(NET_USER_SLOT_FIRST_DYNAMIC + 3u, WG);
    s0 = shim_used(1);
    anv_handle_t many[4];
    int err = ANV_OK;
    uint32_t got = 0;
    for (uint32_t i = 0; i < 4 && err == ANV_OK; i++) {
        err = net_user_net_open((uint16_t)(10 + i), &many[got]);
        got += err == ANV_OK;
    }
    CHECK(got == 3 && err == ANV_E_NO_SLOTS && unsent == 1);
    CHECK(shim_used(1) == s0 + 3);
    for (uint32_t i = 0; i < got; i++)
        CHECK(net_user_conn_close(many[i]) == ANV_OK);
    CHECK(shim_used(1) == s0);
    CHECK(net_user_net_open(20, &many[0]) == ANV_OK);

    /* A client whose capability lacks g: every reply with a capability is refused. */
    world(NET_USER_CSPACE_SLOTS, ANV_RIGHT_WRITE);
    s0 = shim_used(1);
    unsent = 0;
    CHECK(net_user_net_open(7, &h) == ANV_E_RIGHTS && unsent == 1 && shim_used(1) == s0);
    CHECK(net_user_net_info(&ip) == ANV_OK && ip == (uint32_t)NET_SERVER_NET_CLIENT_CLI_NET);

    printf("caps stubs: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
