/* init, the service manager: the first process the kernel starts. It starts the system's
 * services in dependency order and then serves one endpoint on which the kernel delivers
 * their faults and clients send registry and management requests (docs/services.md). */
#include <stdio.h>
#include <string.h>

#include <anvaya/report.h>

#include "supervisor.h"

#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */

const struct anv_sm_config *init_cfg = &anv_sm_config;

int init_find_service(const char *name)
{
    for (uint32_t i = 0; i < init_cfg->service_count; i++)
        if (strcmp(init_cfg->services[i].name, name) == 0)
            return (int)i;
    return -1;
}

const char *init_client_name(uint64_t client_badge)
{
    for (uint32_t i = 0; i < init_cfg->client_count; i++)
        if (init_cfg->clients[i].badge == client_badge)
            return init_cfg->clients[i].name;
    return "?";
}

/* A request names its subject in words 0.. (anvaya/services.h); refuse anything that is
 * not a well-formed name rather than guess. */
static bool unpack_name(uint32_t words, char out[ANV_SM_NAME_MAX + 1])
{
    const uint64_t *mr = anv_ipcbuf()->mr;
    if (words < 1 || mr[0] == 0 || mr[0] > ANV_SM_NAME_MAX || words != 1u + (mr[0] + 7u) / 8u)
        return false;
    uint32_t len = (uint32_t)mr[0];
    for (uint32_t i = 0; i < len; i++) {
        char c = (char)(mr[1 + i / 8u] >> (8u * (i % 8u)));
        if (c == '\0')
            return false;
        out[i] = c;
    }
    out[len] = '\0';
    return true;
}

static bool may_manage(uint64_t client_badge, uint32_t svc)
{
    for (uint32_t i = 0; i < init_cfg->grant_count; i++)
        if (init_cfg->grants[i].client_badge == client_badge && init_cfg->grants[i].service == svc)
            return true;
    return false;
}

static uint64_t handle_control(uint64_t badge, uint32_t op, const char *name)
{
    static const char *const verbs[] = {"", "", "", "start", "stop", "restart"};
    const char *client = init_client_name(badge);
    int svc = init_find_service(name);
    if (svc < 0) {
        printf("init: request %s %s %s -> refused (no such service)\n", client, verbs[op], name);
        return anv_msginfo(ANV_SM_E_NOT_FOUND, 0, 0);
    }
    if (!may_manage(badge, (uint32_t)svc)) {
        printf("init: request %s %s %s -> refused (not declared for this client)\n", client,
               verbs[op], name);
        return anv_msginfo(ANV_SM_E_DENIED, 0, 0);
    }
    char reason[64];
    snprintf(reason, sizeof reason, "%s requested by %s", verbs[op], client);
    int err = ANV_OK;
    if (op == ANV_SM_STOP || op == ANV_SM_RESTART)
        err = init_stop((uint32_t)svc, reason);
    if (err == ANV_OK && (op == ANV_SM_START || op == ANV_SM_RESTART))
        err = init_start((uint32_t)svc, reason);
    if (err != ANV_OK)
        printf("init: request %s %s %s -> refused (%s, error %d)\n", client, verbs[op], name,
               init_state_name(init_services[svc].state), err);
    return anv_msginfo((uint32_t)err, 0, 0);
}

static uint64_t handle_status(const char *name)
{
    int svc = init_find_service(name);
    if (svc < 0)
        return anv_msginfo(ANV_SM_E_NOT_FOUND, 0, 0);
    uint64_t *mr = anv_ipcbuf()->mr;
    mr[0] = init_services[svc].state;
    mr[1] = init_services[svc].restarts;
    mr[2] = init_cfg->services[svc].restart_limit;
    return anv_msginfo(ANV_OK, 3, 0);
}

/* A client request: false when the handler already replied (a resolve, whose reply may
 * carry a capability), else true with the reply in *reply. A reply of 0 is a valid one
 * (ANV_OK, no words), so it cannot double as "already replied". */
static bool handle_request(uint64_t info, uint64_t badge, uint64_t *reply)
{
    /* Capabilities are never part of a request: drop any that came along so a client
     * cannot fill init's CSpace. */
    for (uint32_t i = 0; i < anv_msginfo_caps(info) && i < ANV_IPC_MAX_CAPS; i++)
        (void)anv_cap_delete(anv_ipcbuf()->caps_in[i]);
    char name[ANV_SM_NAME_MAX + 1];
    uint32_t label = anv_msginfo_label(info);
    if (anv_msginfo_caps(info) != 0 || !unpack_name(anv_msginfo_words(info), name))
    {
        *reply = anv_msginfo(ANV_E_INVALID_ARG, 0, 0);
        return true;
    }
    switch (label) {
    case ANV_SM_RESOLVE:
        init_registry_resolve(badge, name);
        return false;
    case ANV_SM_STATUS:
        *reply = handle_status(name);
        return true;
    case ANV_SM_START:
    case ANV_SM_STOP:
    case ANV_SM_RESTART:
        *reply = handle_control(badge, label, name);
        return true;
    default:
        *reply = anv_msginfo(ANV_E_INVALID_ARG, 0, 0);
        return true;
    }
}

static int service_of_fault(uint64_t badge)
{
    for (uint32_t i = 0; i < init_cfg->service_count; i++)
        if (init_cfg->services[i].fault_badge == badge)
            return (int)i;
    return -1;
}

int main(void)
{
    if (init_cfg->service_count > INIT_MAX_SERVICES) {
        printf("init: %u services, at most %u supported\n", init_cfg->service_count,
               INIT_MAX_SERVICES);
        return 1;
    }
    char caps[160];
    uint32_t slot = 1;
    while (anv_cspace_describe(caps, sizeof caps, &slot) != 0)
        printf("cspace %s: %s\n", INIT_INSTANCE_NAME, caps);
    init_registry_setup();
    init_lifecycle_setup();
    printf("init: supervising %u services, registry capacity %u\n", init_cfg->service_count,
           init_cfg->registry_capacity);
    for (uint32_t k = 0; k < init_cfg->service_count; k++)
        (void)init_start(init_cfg->start_order[k], "start");

    for (;;) {
        uint64_t info = 0, badge = 0;
        if (anv_ipc_receive(init_cfg->endpoint, &info, &badge) != ANV_OK)
            continue;
        uint64_t reply = anv_msginfo(ANV_E_BAD_HANDLE, 0, 0);
        uint32_t label = anv_msginfo_label(info);
        if (ANV_SM_BADGE_CLASS(badge) == ANV_SM_BADGE_FAULT &&
            (label == ANV_FAULT_LABEL || label == ANV_EXIT_LABEL)) {
            int svc = service_of_fault(badge);
            if (svc >= 0) {
                uint64_t w[4];
                memcpy(w, anv_ipcbuf()->mr, sizeof w);
                if (label == ANV_EXIT_LABEL)
                    init_on_exit((uint32_t)svc, w);
                else
                    init_on_fault((uint32_t)svc, w);
                continue;
            }
            reply = anv_msginfo(ANV_FAULT_STOP, 0, 0);
        } else if (ANV_SM_BADGE_CLASS(badge) == ANV_SM_BADGE_CLIENT) {
            if (!handle_request(info, badge, &reply))
                continue;
        }
        (void)anv_ipc_reply(reply);
    }
}
