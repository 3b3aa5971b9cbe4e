/* Kernel test server: answers kt_main's requests so that IPC, capability transfer,
 * revocation across CSpaces and waits are observed from a second address space. */
#include <anvaya/sdk.h>

#include "kserver_gen.h"
#include "ktest.h"

#define EP KSERVER_HANDLE_SERVICE

static uint64_t last_wait_err, last_wait_result, last_call_err;
static anv_handle_t held_frame, held_mapping;
/* Initialised, so in .data: thread.restart with RELOAD puts it back to the image's value. */
static volatile uint64_t kt_served = KT_SERVED_INITIAL;

static uint64_t serve(uint64_t info, uint64_t badge)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    uint32_t words = anv_msginfo_words(info);
    kt_served++;
    switch (anv_msginfo_label(info)) {
    case KT_ECHO_SUM: {
        uint64_t sum = 0;
        for (uint32_t i = 0; i < words; i++)
            sum += b->mr[i];
        b->mr[0] = badge;
        return anv_msginfo((uint32_t)sum, 1, 0);
    }
    case KT_BAD_CALL_THEN_REPLY: {
        /* We owe kt_main a reply; a refused call of ours must not lose it. */
        if (anv_msginfo_caps(info) != 1)
            return anv_msginfo(0xBAD, 0, 0);
        uint64_t reply_info = 0;
        int err = anv_ipc_call(b->caps_in[0], anv_msginfo(1, ANV_IPC_MAX_WORDS + 1, 0),
                               &reply_info);
        anv_cap_delete(b->caps_in[0]);
        return anv_msginfo((uint32_t)err, 0, 0);
    }
    case KT_TAKE_FRAME: {
        uint64_t type = 0, rights = 0, bdg = 0, id = 0;
        held_frame = b->caps_in[0];
        int err = anv_cap_identify(held_frame, &type, &rights, &bdg, &id);
        if (err == ANV_OK)
            err = anv_mem_map(held_frame, KT_SERVER_MAP_VADDR, ANV_RIGHT_READ, KT_SERVER_MAP_SLOT,
                              &held_mapping);
        uint64_t word = err == ANV_OK ? *(volatile uint64_t *)KT_SERVER_MAP_VADDR : 0;
        b->mr[0] = word;
        b->mr[1] = type;
        b->mr[2] = rights;
        return anv_msginfo((uint32_t)err, 3, 0);
    }
    case KT_CHECK_FRAME: {
        uint64_t type, rights, bdg, id;
        anv_handle_t m = 0;
        b->mr[0] = (uint64_t)anv_cap_identify(held_frame, &type, &rights, &bdg, &id);
        b->mr[1] = (uint64_t)anv_mem_unmap(held_mapping);
        /* If revoke really cleared the page table entry, the address is free again. */
        b->mr[2] = (uint64_t)anv_mem_map(KSERVER_HANDLE_IPCBUF, KT_SERVER_MAP_VADDR,
                                         ANV_RIGHT_READ, KT_SERVER_MAP_SLOT + 1, &m);
        if (b->mr[2] == ANV_OK)
            anv_mem_unmap(m);
        return anv_msginfo(0, 3, 0);
    }
    case KT_WAIT_TIMEOUT: {
        uint64_t result = 0, bits = 0;
        b->mr[0] = (uint64_t)anv_wait_one(ANV_HANDLE_NULL, 3, &result, &bits);
        b->mr[1] = result;
        return anv_msginfo(0, 2, 0);
    }
    case KT_WAIT_FOREVER: {
        uint64_t result = 0, bits = 0;
        last_wait_err = (uint64_t)anv_wait_one(ANV_HANDLE_NULL, 1000000, &result, &bits);
        last_wait_result = result;
        return 0; /* sent, not called: nobody to reply to */
    }
    case KT_CALL_THROUGH: {
        /* Nobody receives on this endpoint but us: the call waits until someone revokes
         * the capability it was made through. */
        uint64_t reply_info = 0;
        last_call_err = (uint64_t)anv_ipc_call(b->caps_in[0], anv_msginfo(KT_ECHO_SUM, 0, 0),
                                               &reply_info);
        return 0;
    }
    case KT_GIVE_FRAME: {
        /* Past the reply's words, so only a mapping of the frame shows it. */
        b->mr[ANV_IPC_MAX_WORDS - 1] = KT_GIVE_MARKER;
        b->caps_out[0] = KSERVER_HANDLE_IPCBUF;
        b->caps_out_rights[0] = ANV_RIGHT_READ;
        int err = anv_ipc_reply(anv_msginfo(ANV_OK, 0, 1));
        if (err == ANV_OK)
            return 0; /* replied: the loop's reply_recv just receives */
        /* Refused (the caller's capability had no GRANT): the reply is still owed. */
        return anv_msginfo((uint32_t)err, 0, 0);
    }
    case KT_RESTART_INFO:
        b->mr[0] = anv_restart_arg();
        b->mr[1] = kt_served;
        return anv_msginfo(0, 2, 0);
    case KT_LAST_CALL:
        b->mr[0] = last_call_err;
        return anv_msginfo(0, 1, 0);
    case KT_LAST_WAIT:
        b->mr[0] = last_wait_err;
        b->mr[1] = last_wait_result;
        return anv_msginfo(0, 2, 0);
    default:
        return anv_msginfo(ANV_E_INVALID_ARG, 0, 0);
    }
}

int main(void)
{
    uint64_t info = 0, badge = 0, reply = 0;
    int err = anv_ipc_receive(EP, &info, &badge);
    for (;;) {
        if (err != ANV_OK) {
            /* e.g. our receive was cancelled: just wait again. */
            err = anv_ipc_receive(EP, &info, &badge);
            continue;
        }
        reply = serve(info, badge);
        err = anv_ipc_reply_recv(EP, reply, &info, &badge);
        if (err == ANV_E_NOTHING_PENDING)
            err = anv_ipc_receive(EP, &info, &badge);
    }
}
