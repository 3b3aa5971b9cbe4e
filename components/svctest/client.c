/* The client of the service-manager test: resolves with exactly its declared rights, is
 * refused what it was not declared, and manages two services that compete for a registry
 * of one entry (idl/systems/svctest.system, tests/qemu/test_services.py). */
#include <stdio.h>

#include "client_gen.h"

static void say_status(const char *name)
{
    uint32_t state = 99, restarts = 99;
    int err = anv_sm_status(SVC_CLIENT_HANDLE_REGISTRY, name, &state, &restarts);
    printf("client: status %s: state %u restarts %u (err %d)\n", name, state, restarts, err);
}

static void control(uint32_t op, const char *verb, const char *name)
{
    int err = anv_sm_control(SVC_CLIENT_HANDLE_REGISTRY, op, name);
    printf("client: %s %s: err %d\n", verb, name, err);
}

/* One raw request to init: label, words already in mr[], optional capability. */
static int raw_request(uint32_t label, uint32_t words, anv_handle_t cap)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    b->caps_out[0] = cap;
    b->caps_out_rights[0] = ANV_RIGHT_WRITE;
    uint64_t info = 0;
    int err = anv_ipc_call(SVC_CLIENT_HANDLE_REGISTRY,
                           anv_msginfo(label, words, cap != ANV_HANDLE_NULL), &info);
    return err != ANV_OK ? err : (int)anv_msginfo_label(info);
}

/* Requests init must refuse without acting: a length word that does not match the words
 * sent, a name with a NUL in it, an unknown operation, and capabilities sent along, which
 * init deletes unread: a hundred of them (more than its CSpace has slots) all come back
 * refused, none for want of a slot. */
static void malformed_requests(void)
{
    uint64_t *mr = anv_ipcbuf()->mr;
    mr[0] = 40;
    mr[1] = 0x6f686365; /* "echo" */
    int short_name = raw_request(ANV_SM_STATUS, 2, ANV_HANDLE_NULL);
    mr[0] = 6;
    mr[1] = 0x615f006f68636565ull; /* "eecho\0a_": a NUL inside */
    int nul = raw_request(ANV_SM_STATUS, 2, ANV_HANDLE_NULL);
    uint32_t words = anv_sm_pack_name(mr, "echo_b");
    int unknown = raw_request(9, words, ANV_HANDLE_NULL);
    uint32_t refused = 0, other = 0;
    for (int i = 0; i < 100; i++) {
        words = anv_sm_pack_name(mr, "echo_b");
        if (raw_request(ANV_SM_STATUS, words, SVC_CLIENT_HANDLE_REGISTRY) == ANV_E_INVALID_ARG)
            refused++;
        else
            other++;
    }
    printf("client: malformed: short name %d, NUL in name %d, unknown operation %d, "
           "with a capability %u refused %u otherwise\n", short_name, nul, unknown, refused,
           other);
    say_status("echo_b");
}

int main(void)
{
    int err = svc_client_a_resolve();
    uint64_t type = 0, rights = 0, badge = 0;
    if (err == ANV_OK)
        err = anv_cap_identify(svc_client_a_handle, &type, &rights, &badge, NULL);
    printf("client: resolve echo_a.echo: err %d type %lu rights 0x%lx badge 0x%lx\n", err,
           (unsigned long)type, (unsigned long)rights, (unsigned long)badge);
    uint32_t y = 0;
    err = svc_client_a_echo(41, &y);
    printf("client: echo_a 41 -> %u (err %d)\n", y, err);

    /* No amplification: the resolved copy cannot be widened to grant. */
    anv_handle_t wider = ANV_HANDLE_NULL;
    err = anv_cap_delegate(svc_client_a_handle, ANV_HANDLE_NULL, (uint32_t)anv_cspace_size() - 1,
                           ANV_RIGHT_WRITE | ANV_RIGHT_GRANT, 0, &wider);
    printf("client: widen echo_a.echo to wg: err %d\n", err);

    anv_handle_t other = ANV_HANDLE_NULL;
    err = anv_sm_resolve(SVC_CLIENT_HANDLE_REGISTRY, "echo_b.echo", &other);
    printf("client: resolve echo_b.echo: err %d\n", err);
    err = anv_sm_resolve(SVC_CLIENT_HANDLE_REGISTRY, "nope.echo", &other);
    printf("client: resolve nope.echo: err %d\n", err);

    say_status("echo_b");
    control(ANV_SM_START, "start", "echo_b");
    control(ANV_SM_STOP, "stop", "echo_a");
    err = svc_client_a_echo(1, &y);
    printf("client: echo_a through the old handle: err %d\n", err);
    say_status("echo_a");
    control(ANV_SM_START, "start", "echo_b");
    control(ANV_SM_START, "start", "echo_a");
    err = svc_client_a_resolve();
    printf("client: resolve echo_a.echo again: err %d\n", err);
    control(ANV_SM_STOP, "stop", "echo_a");
    control(ANV_SM_STOP, "stop", "peer");

    malformed_requests();

    /* Let the lower-priority peer, which waits for echo_b, run before shutting down. */
    uint64_t result = 0;
    for (int i = 0; i < 50; i++)
        (void)anv_wait_one(ANV_HANDLE_NULL, 2, &result, NULL);
    printf("client: done\n");
    anv_console_flush();
    return anv_system_shutdown(SVC_CLIENT_HANDLE_SYSCTL, 0);
}
