/* The second client of the service-manager test: waits until echo_b is in the registry
 * (it is refused while echo_a holds the only entry), then resolves it with `wg`. */
#include <stdio.h>

#include "peer_gen.h"

int main(void)
{
    int err = ANV_SM_E_UNAVAILABLE;
    uint32_t refusals = 0;
    for (uint32_t tries = 0; tries < 1000 && err == ANV_SM_E_UNAVAILABLE; tries++) {
        err = svc_peer_b_resolve();
        if (err == ANV_SM_E_UNAVAILABLE) {
            refusals++;
            uint64_t result = 0;
            (void)anv_wait_one(ANV_HANDLE_NULL, 1, &result, NULL);
        }
    }
    uint64_t type = 0, rights = 0, badge = 0;
    (void)anv_cap_identify(svc_peer_b_handle, &type, &rights, &badge, NULL);
    uint32_t y = 0;
    int echo = svc_peer_b_echo(7, &y);
    printf("peer: resolve echo_b.echo: err %d after %u refusals, rights 0x%lx badge 0x%lx, "
           "echo 7 -> %u (err %d)\n", err, refusals, (unsigned long)rights, (unsigned long)badge,
           y, echo);
    anv_console_flush();
    for (;;) {
        uint64_t result = 0;
        (void)anv_wait_one(ANV_HANDLE_NULL, 100, &result, NULL);
    }
}
