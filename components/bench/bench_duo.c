/* Two threads of one address space: thread 1 is an echo server, thread 0 calls it, so
 * the IPC round trip is measured without an address-space switch. Runs below the
 * benchmark client, once it is waiting. */
#include <anvaya/sdk.h>

#include "bduo_gen.h"
#include "bench.h"

int anv_thread_main(uint32_t index)
{
    (void)index;
    struct anv_msg m = {0, {0, 0, 0, 0}};
    uint64_t badge = 0;
    int err = anv_ipc_receive_msg(BDUO_HANDLE_SERVICE, &m, &badge);
    for (;;) {
        if (err != ANV_OK) {
            err = anv_ipc_receive_msg(BDUO_HANDLE_SERVICE, &m, &badge);
            continue;
        }
        m.info = anv_msginfo(0, anv_msginfo_words(m.info), 0);
        err = anv_ipc_reply_recv_msg(BDUO_HANDLE_SERVICE, &m, &badge);
    }
}

int main(void)
{
    uint64_t overhead = loop_overhead();
    bench_ipc(BDUO_HANDLE_PEER, "ipc call+reply_recv, 0 words, 1 space", 0, overhead);
    bench_ipc(BDUO_HANDLE_PEER, "ipc call+reply_recv, 4 words, 1 space", 4, overhead);
    bench_ipc(BDUO_HANDLE_PEER, "ipc call+reply_recv, 64 bytes, 1 space", 8, overhead);
    anv_console_flush();
    return 0;
}
