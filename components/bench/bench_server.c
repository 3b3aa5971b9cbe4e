/* Benchmark server: the cheapest possible answers, so the client measures the kernel. */
#include <anvaya/sdk.h>

#include "bench.h"
#include "bserver_gen.h"

#define EP BSERVER_HANDLE_SERVICE

static uint64_t serve(uint64_t info)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    switch (anv_msginfo_label(info)) {
    case BENCH_ECHO:
        return anv_msginfo(0, anv_msginfo_words(info), 0);
    case BENCH_TAKE_CAP:
        anv_cap_delete(b->caps_in[0]);
        return anv_msginfo(0, 0, 0);
    default:
        return anv_msginfo(1, 0, 0);
    }
}

int main(void)
{
    uint64_t info = 0, badge = 0;
    int err = anv_ipc_receive(EP, &info, &badge);
    for (;;) {
        if (err != ANV_OK) {
            err = anv_ipc_receive(EP, &info, &badge);
            continue;
        }
        err = anv_ipc_reply_recv(EP, serve(info), &info, &badge);
    }
}
