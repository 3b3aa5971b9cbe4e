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

    /* Let the lower-priority peer, which waits for echo_b, run before shutting down. */
    uint64_t result = 0;
    for (int i = 0; i < 50; i++)
        (void)anv_wait_one(ANV_HANDLE_NULL, 2, &result, NULL);
    printf("client: done\n");
    anv_console_flush();
    return anv_system_shutdown(SVC_CLIENT_HANDLE_SYSCTL, 0);
}
