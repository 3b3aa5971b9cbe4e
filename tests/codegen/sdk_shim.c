/* Test-only stand-in for the SDK: runs a call in-process by copying the client's IPC
 * buffer into the server's, invoking the generated server dispatch, and copying the
 * reply back. Words past the message length are poisoned so a stub that reads beyond
 * what was sent fails the test. */
#include <string.h>

#include "sdk_shim.h"

static struct anv_ipc_buffer client_buf, server_buf;
static struct anv_ipc_buffer *current = &client_buf;

struct shim_state shim;

struct anv_ipc_buffer *anv_ipcbuf(void)
{
    return current;
}

struct anv_ipc_buffer *shim_server_buffer(void)
{
    return &server_buf;
}

static void poison(uint64_t *mr, uint32_t from)
{
    for (uint32_t i = from; i < ANV_IPC_MAX_WORDS; i++)
        mr[i] = UINT64_C(0xA5A5A5A5A5A5A5A5);
}

int anv_ipc_call(anv_handle_t ep, uint64_t info, uint64_t *reply_info)
{
    uint64_t badge = 0;
    int found = 0;
    for (int i = 0; i < shim.routes; i++)
        if (shim.route_handle[i] == ep) {
            badge = shim.route_badge[i];
            found = 1;
        }
    if (!found)
        return ANV_E_BAD_HANDLE;
    uint32_t words = anv_msginfo_words(info);
    if (words > ANV_IPC_MAX_WORDS)
        return ANV_E_MSG_TOO_LONG;
    shim.calls++;
    memcpy(server_buf.mr, client_buf.mr, words * sizeof(uint64_t));
    poison(server_buf.mr, words);
    current = &server_buf;
    uint64_t reply = shim.dispatch(info, badge);
    current = &client_buf;
    uint32_t rwords = anv_msginfo_words(reply);
    memcpy(client_buf.mr, server_buf.mr, rwords * sizeof(uint64_t));
    poison(client_buf.mr, rwords);
    *reply_info = reply;
    return ANV_OK;
}

int anv_ipc_receive(anv_handle_t ep, uint64_t *info, uint64_t *badge)
{
    (void)ep;
    *info = 0;
    *badge = 0;
    return ANV_E_NOSYS;
}

int anv_ipc_reply_recv(anv_handle_t ep, uint64_t reply_info, uint64_t *info, uint64_t *badge)
{
    (void)reply_info;
    return anv_ipc_receive(ep, info, badge);
}

/* The register-message calls (sdk.h): the words a real call carries in a2..a5 are the
 * ones the buffer call carries in mr[0..3], so they are staged there around it, and the
 * caller's own mr[0..3] are given back as the kernel would leave them (untouched). */
int anv_ipc_call_msg(anv_handle_t ep, struct anv_msg *m)
{
    struct anv_ipc_buffer *b = &client_buf;
    uint64_t kept[ANV_IPC_REG_WORDS];
    memcpy(kept, b->mr, sizeof kept);
    memcpy(b->mr, m->w, sizeof m->w);
    uint64_t reply = 0;
    int err = anv_ipc_call(ep, m->info, &reply);
    if (err == ANV_OK) {
        m->info = reply;
        memcpy(m->w, b->mr, sizeof m->w);
    }
    memcpy(b->mr, kept, sizeof kept);
    return err;
}

int anv_ipc_receive_msg(anv_handle_t ep, struct anv_msg *m, uint64_t *badge)
{
    uint64_t info = 0, b = 0;
    int err = anv_ipc_receive(ep, &info, &b);
    if (err == ANV_OK) {
        m->info = info;
        memcpy(m->w, anv_ipcbuf()->mr, sizeof m->w);
        if (badge)
            *badge = b;
    }
    return err;
}

/* As anv_ipc_reply_recv here: the reply goes nowhere, the receive is refused. */
int anv_ipc_reply_recv_msg(anv_handle_t ep, struct anv_msg *m, uint64_t *badge)
{
    return anv_ipc_receive_msg(ep, m, badge);
}

int anv_ntfn_signal(anv_handle_t ntfn)
{
    shim.signalled = ntfn;
    shim.signals++;
    return ANV_OK;
}

int anv_wait_one(anv_handle_t ntfn, uint64_t timeout_ticks, uint64_t *result, uint64_t *bits)
{
    (void)timeout_ticks;
    shim.waited = ntfn;
    shim.waits++;
    *result = ANV_WAIT_NOTIFIED;
    *bits = shim.ntfn_bits;
    shim.ntfn_bits = 0;
    return ANV_OK;
}
