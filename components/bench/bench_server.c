/* Benchmark server: the cheapest possible answers, so the client measures the kernel. */
#include <anvaya/sdk.h>

#include "bench.h"
#include "bserver_gen.h"

#define EP BSERVER_HANDLE_SERVICE

/* The reply into m: an echo keeps the words it was sent (words 0..3 in m, the rest in
 * the IPC buffer, which the kernel copies back from there). */
static void serve(struct anv_msg *m)
{
    switch (anv_msginfo_label(m->info)) {
    case BENCH_ECHO:
        m->info = anv_msginfo(0, anv_msginfo_words(m->info), 0);
        return;
    case BENCH_TAKE_CAP:
        anv_cap_delete(anv_ipcbuf()->caps_in[0]);
        m->info = anv_msginfo(0, 0, 0);
        return;
    default:
        m->info = anv_msginfo(1, 0, 0);
        return;
    }
}

/* Register messages (anv_ipc_reply_recv_msg), as the generated servers use for
 * interfaces whose messages fit in registers. */
int main(void)
{
    struct anv_msg m = {0, {0, 0, 0, 0}};
    uint64_t badge = 0;
    int err = anv_ipc_receive_msg(EP, &m, &badge);
    for (;;) {
        if (err != ANV_OK) {
            err = anv_ipc_receive_msg(EP, &m, &badge);
            continue;
        }
        serve(&m);
        err = anv_ipc_reply_recv_msg(EP, &m, &badge);
    }
}
