/* The stress run's peer: receives whatever arrives, drops any capabilities it was sent
 * and replies at once, so random calls exercise delivery and transfer, not deadlock. */
#include <anvaya/sdk.h>

#include "ksink_gen.h"

int main(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    uint64_t info = 0, badge = 0;
    int err = anv_ipc_receive(KSINK_HANDLE_SERVICE, &info, &badge);
    for (;;) {
        if (err != ANV_OK) {
            err = anv_ipc_receive(KSINK_HANDLE_SERVICE, &info, &badge);
            continue;
        }
        for (uint32_t i = 0; i < anv_msginfo_caps(info); i++)
            anv_cap_delete(b->caps_in[i]);
        err = anv_ipc_reply_recv(KSINK_HANDLE_SERVICE, anv_msginfo(0, 0, 0), &info, &badge);
    }
}
