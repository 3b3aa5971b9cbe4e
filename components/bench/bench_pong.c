/* Answers every ping notification with a pong: the other half of the notification
 * round trip the benchmark client measures. */
#include <anvaya/sdk.h>

#include "bpong_gen.h"

int main(void)
{
    for (;;) {
        uint64_t result = 0, bits = 0;
        if (anv_wait_one(BPONG_HANDLE_EVENTS, 0, &result, &bits) == ANV_OK)
            anv_ntfn_signal(BPONG_HANDLE_PONG_TO_BCLIENT_PONG);
    }
}
