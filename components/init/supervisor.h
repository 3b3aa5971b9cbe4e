/* init's internal interfaces: the service table (lifecycle.c) and the registry
 * (registry.c) over the declarations the generator gives it (struct anv_sm_config). */
#ifndef INIT_SUPERVISOR_H
#define INIT_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>

#include <anvaya/services.h>

#define INIT_MAX_SERVICES ANV_SM_MAX_SERVICES /* abi.h: the generator refuses more */
#define INIT_MAX_REGISTRY ANV_SM_MAX_REGISTRY /* abi.h: what `registry = N;` may ask for */

struct init_service {
    enum anv_sm_state state;
    uint32_t restarts;  /* restarts after faults so far */
    uint32_t runs;      /* starts so far: the next start's anv_restart_arg() */
    bool managed;       /* every control capability is a thread capability with w */
    bool ever_started;  /* a start after a stop reloads the image instead of resuming */
};

extern const struct anv_sm_config *init_cfg;
extern struct init_service init_services[INIT_MAX_SERVICES];

/* Every state change is one console line of this form (docs/services.md). */
void init_log_transition(uint32_t svc, enum anv_sm_state from, enum anv_sm_state to,
                         const char *reason);
const char *init_state_name(enum anv_sm_state s);
int init_find_service(const char *name);
const char *init_client_name(uint64_t client_badge);

/* lifecycle.c */
void init_lifecycle_setup(void);
int init_start(uint32_t svc, const char *reason);
int init_stop(uint32_t svc, const char *reason);
void init_on_fault(uint32_t svc, const uint64_t fault_words[4]);
/* An exit record (ANV_EXIT_LABEL, word 0 the status): `running -> exited`, then the
 * service's exit policy under its restart limit. */
void init_on_exit(uint32_t svc, const uint64_t exit_words[4]);

/* registry.c */
void init_registry_setup(void);
int init_registry_add(uint32_t svc);     /* ANV_SM_E_REGISTRY_FULL with nothing added */
void init_registry_remove(uint32_t svc); /* revokes every copy handed out */
uint32_t init_registry_free(void);
/* Handle a RESOLVE request; replies itself (the reply may carry the endpoint). */
void init_registry_resolve(uint64_t client_badge, const char *name);

#endif
