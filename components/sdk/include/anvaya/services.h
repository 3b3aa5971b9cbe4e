/* The service-manager protocol: how a component asks the system's supervisor (init) to
 * resolve a service by name or to start, stop or restart one, and the declarations the
 * generator hands the supervisor (docs/services.md). Header-only: the generated client
 * code, init and tests all include it. */
#ifndef ANVAYA_SERVICES_H
#define ANVAYA_SERVICES_H

#include <stdbool.h>
#include <stdint.h>

#include <anvaya/sdk.h>

/* Request labels on the supervisor's endpoint. Every request carries a name: word 0 its
 * length, words 1.. its bytes packed 8 to a word (as the generated stubs pack bytes). */
#define ANV_SM_RESOLVE 1u /* reply: the endpoint, with the rights declared, as cap 0 */
#define ANV_SM_STATUS 2u  /* reply: word 0 state, word 1 restarts so far, word 2 limit */
#define ANV_SM_START 3u
#define ANV_SM_STOP 4u
#define ANV_SM_RESTART 5u

#define ANV_SM_NAME_MAX 48u
#define ANV_SM_NAME_WORDS (1u + ANV_SM_NAME_MAX / 8u)

/* Reply labels beyond the kernel's ANV_E_* codes. */
#define ANV_SM_E_NOT_FOUND 64u    /* no service or registry entry of that name */
#define ANV_SM_E_DENIED 65u       /* the caller was not declared for this (resolve/manage) */
#define ANV_SM_E_UNAVAILABLE 66u  /* the service is not running: nothing to resolve */
#define ANV_SM_E_REGISTRY_FULL 67u /* no room in the registry for the service's endpoints */
#define ANV_SM_E_NOT_MANAGED 68u  /* the supervisor holds no control capability for it */
#define ANV_SM_E_STATE 69u        /* already running (start) or not running (stop) */

/* Service states, as STATUS reports them and init logs them. */
enum anv_sm_state {
    ANV_SM_STOPPED = 0, /* not started yet, or stopped on request */
    ANV_SM_RUNNING = 1,
    ANV_SM_FAILED = 2,  /* faulted (or exited) more often than its restart limit allows */
    ANV_SM_EXITED = 3,  /* ended with proc.exit and, by its policy, left so */
};

/* A service's restart policy (`restart = ...;` of its instance): after an exit with a
 * non-zero status (on-failure), after every exit (always), or never. Faults always count
 * as failures. Restarts after exits and faults share one limit (`restarts = N;`). */
#define ANV_SM_RESTART_ON_FAILURE 0u
#define ANV_SM_RESTART_ALWAYS 1u
#define ANV_SM_RESTART_NEVER 2u

/* Badge classes on the supervisor's endpoint: ANV_SM_BADGE_FAULT or ANV_SM_BADGE_CLIENT
 * above ANV_SM_BADGE_SHIFT, the sender's number below (abi.h, which the generator reads). */
#define ANV_SM_BADGE_CLASS(b) ((b) >> ANV_SM_BADGE_SHIFT)
#define ANV_SM_BADGE_NUMBER(b) ((uint32_t)(b))

/* ---- What the generator gives the supervisor (its <instance>_gen.c) ----
 * A service has at most ANV_SM_MAX_THREADS threads and the registry at most
 * ANV_SM_MAX_REGISTRY entries (abi.h: the generator refuses more). */

struct anv_sm_service {
    const char *name;                        /* the instance name */
    anv_handle_t threads[ANV_SM_MAX_THREADS]; /* control capabilities, thread 0 first */
    uint32_t thread_count;
    uint32_t restart_limit; /* restarts after faults or exits before it is declared failed */
    uint32_t exit_policy;   /* ANV_SM_RESTART_*: what its exit (proc.exit) makes init do */
    uint64_t fault_badge;   /* its fault records arrive with this badge */
};

struct anv_sm_port {        /* an endpoint the registry can hand out */
    const char *name;       /* "<service>.<port>" */
    uint32_t service;       /* index into services */
    anv_handle_t master;    /* the supervisor's unbadged copy: clients get badged children */
};

struct anv_sm_route {       /* one client may resolve one port */
    uint64_t client_badge;  /* the client's badge on the supervisor's endpoint */
    uint32_t port;          /* index into ports */
    uint32_t rights;        /* exactly what the client gets */
    uint64_t badge;         /* the badge its copy carries (the server tells clients apart) */
};

struct anv_sm_grant {       /* one client may start, stop and restart one service */
    uint64_t client_badge;
    uint32_t service;
};

struct anv_sm_client {
    uint64_t badge;
    const char *name;
};

struct anv_sm_config {
    const struct anv_sm_service *services;
    uint32_t service_count;
    const uint32_t *start_order; /* service indices, servers before their clients */
    const struct anv_sm_port *ports;
    uint32_t port_count;
    const struct anv_sm_route *routes;
    uint32_t route_count;
    const struct anv_sm_grant *grants;
    uint32_t grant_count;
    const struct anv_sm_client *clients;
    uint32_t client_count;
    uint32_t registry_capacity; /* live registry entries at most (`registry = N;`) */
    anv_handle_t endpoint;      /* where faults and requests arrive */
    anv_handle_t console;       /* where transitions are logged */
};

/* ---- Client side ---- */

/* Pack a NUL-terminated name into mr[0..]; returns the words used, 0 if it is too long. */
static inline uint32_t anv_sm_pack_name(uint64_t *mr, const char *name)
{
    uint32_t len = 0;
    while (name[len] != '\0') {
        if (++len > ANV_SM_NAME_MAX)
            return 0;
    }
    for (uint32_t i = 0; i < ANV_SM_NAME_WORDS; i++)
        mr[i] = 0;
    mr[0] = len;
    for (uint32_t i = 0; i < len; i++)
        mr[1 + i / 8u] |= (uint64_t)(uint8_t)name[i] << (8u * (i % 8u));
    return 1u + (len + 7u) / 8u;
}

/* One request; the reply label (ANV_OK, ANV_E_* or ANV_SM_E_*) is the result. */
static inline int anv_sm_request(anv_handle_t registry, uint32_t label, const char *name,
                                 uint64_t *reply_info)
{
    uint32_t words = anv_sm_pack_name(anv_ipcbuf()->mr, name);
    if (words == 0)
        return ANV_E_INVALID_ARG;
    int err = anv_ipc_call(registry, anv_msginfo(label, words, 0), reply_info);
    if (err != ANV_OK)
        return err;
    return (int)anv_msginfo_label(*reply_info);
}

/* Resolve "<service>.<port>": on success *handle names the endpoint in this CSpace. */
static inline int anv_sm_resolve(anv_handle_t registry, const char *name, anv_handle_t *handle)
{
    uint64_t info = 0;
    int err = anv_sm_request(registry, ANV_SM_RESOLVE, name, &info);
    if (err != ANV_OK)
        return err;
    if (anv_msginfo_caps(info) != 1)
        return ANV_E_INVALID_ARG;
    *handle = anv_ipcbuf()->caps_in[0];
    return ANV_OK;
}

static inline int anv_sm_status(anv_handle_t registry, const char *name, uint32_t *state,
                                uint32_t *restarts)
{
    uint64_t info = 0;
    int err = anv_sm_request(registry, ANV_SM_STATUS, name, &info);
    if (err != ANV_OK)
        return err;
    *state = (uint32_t)anv_ipcbuf()->mr[0];
    *restarts = (uint32_t)anv_ipcbuf()->mr[1];
    return ANV_OK;
}

/* ANV_SM_START, ANV_SM_STOP or ANV_SM_RESTART. */
static inline int anv_sm_control(anv_handle_t registry, uint32_t op, const char *name)
{
    uint64_t info = 0;
    return anv_sm_request(registry, op, name, &info);
}

#endif
