/* init's service lifecycle: start, stop, restart after a fault up to the declared limit,
 * each only through the control capabilities the system description gave init. */
#include <stdio.h>

#include "supervisor.h"

struct init_service init_services[INIT_MAX_SERVICES];

static const char *const state_names[] = {"stopped", "running", "failed", "exited"};

const char *init_state_name(enum anv_sm_state s)
{
    return (uint32_t)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

void init_log_transition(uint32_t svc, enum anv_sm_state from, enum anv_sm_state to,
                         const char *reason)
{
    printf("init: %s %s -> %s (%s)\n", init_cfg->services[svc].name, init_state_name(from),
           init_state_name(to), reason);
}

/* A service is managed only if every control handle really is a thread capability with
 * the write right: init acts on what it holds, not on what the table claims. */
static bool holds_control(const struct anv_sm_service *s)
{
    if (s->thread_count == 0 || s->thread_count > ANV_SM_MAX_THREADS)
        return false;
    for (uint32_t t = 0; t < s->thread_count; t++) {
        uint64_t type = 0, rights = 0;
        if (anv_cap_identify(s->threads[t], &type, &rights, NULL, NULL) != ANV_OK ||
            type != ANV_OBJ_THREAD || !(rights & ANV_RIGHT_WRITE))
            return false;
    }
    return true;
}

void init_lifecycle_setup(void)
{
    for (uint32_t i = 0; i < init_cfg->service_count; i++) {
        init_services[i].state = ANV_SM_STOPPED;
        /* One that is not is logged when its start is refused, in the common format. */
        init_services[i].managed = holds_control(&init_cfg->services[i]);
    }
}

/* Put every thread of the service into the stopped state; a thread that already is
 * (it faulted, or never ran) answers ANV_E_BUSY, which is what we want. */
static void stop_threads(const struct anv_sm_service *s)
{
    for (uint32_t t = 0; t < s->thread_count; t++) {
        int err = anv_thread_stop(s->threads[t]);
        if (err != ANV_OK && err != ANV_E_BUSY)
            printf("init: %s thread %u: stop failed (%d)\n", s->name, t, err);
    }
}

/* Run the service's threads from the start. The first start resumes the threads the
 * loader created held; later starts reload the writable image and drop the capabilities
 * acquired at run time, so the service starts as the manifest describes it. `arg` reaches
 * the service as anv_restart_arg(). */
static int run_threads(uint32_t svc, uint64_t arg)
{
    const struct anv_sm_service *s = &init_cfg->services[svc];
    struct init_service *st = &init_services[svc];
    for (uint32_t t = 0; t < s->thread_count; t++) {
        int err;
        if (!st->ever_started)
            err = anv_thread_resume(s->threads[t]);
        else
            err = anv_thread_restart(s->threads[t], t == 0 ? ANV_RESTART_RELOAD : 0, arg);
        if (err != ANV_OK) {
            printf("init: %s thread %u: %s failed (%d)\n", s->name, t,
                   st->ever_started ? "restart" : "resume", err);
            stop_threads(s);
            return err;
        }
    }
    st->ever_started = true;
    return ANV_OK;
}

int init_start(uint32_t svc, const char *reason)
{
    struct init_service *st = &init_services[svc];
    if (!st->managed) {
        init_log_transition(svc, st->state, st->state, "not managed: no control capability");
        return ANV_SM_E_NOT_MANAGED;
    }
    if (st->state == ANV_SM_RUNNING)
        return ANV_SM_E_STATE;
    if (init_registry_add(svc) != ANV_OK) {
        init_log_transition(svc, st->state, st->state, "refused: registry full");
        return ANV_SM_E_REGISTRY_FULL;
    }
    int err = run_threads(svc, st->runs);
    if (err != ANV_OK) {
        init_registry_remove(svc);
        return err;
    }
    st->runs++;
    enum anv_sm_state from = st->state;
    st->state = ANV_SM_RUNNING;
    init_log_transition(svc, from, ANV_SM_RUNNING, reason);
    return ANV_OK;
}

int init_stop(uint32_t svc, const char *reason)
{
    struct init_service *st = &init_services[svc];
    if (!st->managed)
        return ANV_SM_E_NOT_MANAGED;
    if (st->state != ANV_SM_RUNNING)
        return ANV_SM_E_STATE;
    stop_threads(&init_cfg->services[svc]);
    init_registry_remove(svc);
    st->state = ANV_SM_STOPPED;
    init_log_transition(svc, ANV_SM_RUNNING, ANV_SM_STOPPED, reason);
    return ANV_OK;
}

/* RISC-V exception causes a person reads in the log. */
static const char *cause_name(uint64_t scause)
{
    switch (scause) {
    case 0: return "instruction address misaligned";
    case 1: return "instruction access fault";
    case 2: return "illegal instruction";
    case 3: return "breakpoint";
    case 4: return "load address misaligned";
    case 5: return "load access fault";
    case 6: return "store address misaligned";
    case 7: return "store access fault";
    case 12: return "instruction page fault";
    case 13: return "load page fault";
    case 15: return "store page fault";
    default: return "exception";
    }
}

/* The reply to a fault or exit record: the thread stays stopped. If the reply cannot be
 * given, the record's sender was stopped or restarted meanwhile and nothing is owed. */
static void release_stopped(const struct anv_sm_service *s)
{
    int err = anv_ipc_reply(anv_msginfo(ANV_FAULT_STOP, 0, 0));
    if (err != ANV_OK && err != ANV_E_NOTHING_PENDING)
        printf("init: %s: reply to its record failed (%d)\n", s->name, err);
}

/* Restart after a fault or an exit while the limit allows, else declare it failed. */
static void restart_or_fail(uint32_t svc, enum anv_sm_state from)
{
    struct init_service *st = &init_services[svc];
    const struct anv_sm_service *s = &init_cfg->services[svc];
    char reason[64];
    if (st->restarts >= s->restart_limit) {
        st->state = ANV_SM_FAILED;
        snprintf(reason, sizeof reason, "restart limit %u reached", s->restart_limit);
        init_log_transition(svc, from, ANV_SM_FAILED, reason);
        return;
    }
    st->restarts++;
    snprintf(reason, sizeof reason, "restart %u of %u", st->restarts, s->restart_limit);
    if (init_start(svc, reason) != ANV_OK) {
        st->state = ANV_SM_FAILED;
        init_log_transition(svc, from, ANV_SM_FAILED, "restart refused");
    }
}

/* The process ended itself: every thread is stopped already (the kernel stops them). */
void init_on_exit(uint32_t svc, const uint64_t w[4])
{
    struct init_service *st = &init_services[svc];
    const struct anv_sm_service *s = &init_cfg->services[svc];
    int64_t status = (int64_t)w[0];
    char reason[48];
    snprintf(reason, sizeof reason, "status %ld", (long)status);
    release_stopped(s);
    if (st->state != ANV_SM_RUNNING || !st->managed) {
        printf("init: %s %s (exit, %s)\n", s->name, init_state_name(st->state), reason);
        return;
    }
    stop_threads(s);
    init_registry_remove(svc);
    st->state = ANV_SM_EXITED;
    init_log_transition(svc, ANV_SM_RUNNING, ANV_SM_EXITED, reason);
    bool again = s->exit_policy == ANV_SM_RESTART_ALWAYS ||
                 (s->exit_policy == ANV_SM_RESTART_ON_FAILURE && status != 0);
    if (again)
        restart_or_fail(svc, ANV_SM_EXITED);
}

/* The faulting thread waits for our reply; it is stopped first (the reply), then the
 * rest of the service, and the service is restarted while its limit allows. */
void init_on_fault(uint32_t svc, const uint64_t w[4])
{
    struct init_service *st = &init_services[svc];
    const struct anv_sm_service *s = &init_cfg->services[svc];
    char reason[128];
    snprintf(reason, sizeof reason, "fault: %s at 0x%lx, pc 0x%lx", cause_name(w[0]),
             (unsigned long)w[2], (unsigned long)w[1]);
    release_stopped(s);
    if (st->state != ANV_SM_RUNNING || !st->managed) {
        printf("init: %s %s (%s)\n", s->name, init_state_name(st->state), reason);
        return;
    }
    stop_threads(s);
    init_registry_remove(svc);
    st->state = ANV_SM_STOPPED;
    init_log_transition(svc, ANV_SM_RUNNING, ANV_SM_STOPPED, reason);
    restart_or_fail(svc, ANV_SM_STOPPED);
}
