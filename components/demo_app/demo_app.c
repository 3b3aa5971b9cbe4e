/* The demo's application: resolves the statistics service by name through init, records
 * every batch the sensor publishes in the shared buffer, reports the summary, exercises
 * the rest of the Stats interface, asks init to restart the service and shows what that
 * does to the capability it held, then shuts the system down. */
#include <anvaya/services.h>

#include "app_gen.h"
#include "../common/demo_log.h"
#include "../common/samples.h"

#define LOG(...) DEMO_LOG(demo_app_log_write, LOG_LEVEL_INFO, __VA_ARGS__)

static void resolve_stats(void)
{
    int err = demo_app_stats_resolve();
    uint64_t type = 0, rights = 0, badge = 0;
    if (err == ANV_OK)
        err = anv_cap_identify(demo_app_stats_handle, &type, &rights, &badge, NULL);
    LOG("app: resolved stats.stats: slot %u, type %lu, rights 0x%lx, badge 0x%lx (err %d)",
        anv_handle_slot(demo_app_stats_handle), (unsigned long)type, (unsigned long)rights,
        (unsigned long)badge, err);
}

static void consume_batches(void)
{
    const volatile struct samples_buffer *buf =
        (const volatile struct samples_buffer *)DEMO_APP_SAMPLES;
    for (uint32_t want = 1; want <= DEMO_APP_CONFIG_BATCHES; want++) {
        while (buf->magic != SAMPLES_MAGIC || buf->seq < want)
            (void)demo_app_ready_wait();
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        int32_t values[16];
        uint8_t count = (uint8_t)(buf->count <= 16 ? buf->count : 16);
        int64_t sum = 0;
        for (uint32_t i = 0; i < 16; i++) {
            values[i] = i < count ? buf->values[i] : 0;
            sum += values[i];
        }
        uint32_t accepted = 0;
        int err = demo_app_stats_record_batch(values, count, &accepted);
        LOG("app: batch %u: %u samples, sum %ld, recorded %u (err %d)", buf->seq, count,
            (long)sum, accepted, err);
        (void)demo_app_ack_emit();
    }
}

static void report_summary(const char *when)
{
    struct summary s = {0};
    int err = demo_app_stats_summary(&s);
    LOG("app: summary %s: count %u, sum %ld, min %d, max %d, clipped %d (err %d)", when, s.count,
        (long)s.sum, s.min, s.max, s.clipped, err);
}

static void exercise_interface(void)
{
    int e1 = demo_app_stats_record(3, UNIT_KILO);
    int e2 = demo_app_stats_record(-2500, UNIT_MILLI);
    int e3 = demo_app_stats_record(INT32_MAX, UNIT_KILO);
    LOG("app: record 3 kilo (err %d), -2500 milli (err %d), max kilo (err %d)", e1, e2, e3);
    int64_t v = 1234;
    int err = demo_app_stats_scale(&v, 150, true);
    LOG("app: scale 1234 by 150%% rounding up = %ld (err %d)", (long)v, err);
    struct anv_bytes_32 name = {.len = 8}, stored = {0};
    memcpy(name.data, "sensor-3", 8);
    uint32_t checksum = 0;
    err = demo_app_stats_label(&name, &stored, &checksum);
    LOG("app: label '%.*s' stored as '%.*s', checksum 0x%08x (err %d)", (int)name.len, name.data,
        (int)stored.len, stored.data, checksum, err);
}

int main(void)
{
    DEMO_LOG_CSPACE(demo_app_log_write, LOG_LEVEL_INFO, "app");
    resolve_stats();

    anv_handle_t other = ANV_HANDLE_NULL;
    int err = anv_sm_resolve(DEMO_APP_HANDLE_REGISTRY, "console.log", &other);
    LOG("app: resolving console.log: error %d (not in the registry)", err);

    consume_batches();
    report_summary("after 3 batches");
    exercise_interface();
    report_summary("final");

    /* A restart reloads the service and revokes every copy of its endpoint init handed
     * out: the old handle stops working and a fresh resolve finds an empty summary. */
    err = anv_sm_control(DEMO_APP_HANDLE_REGISTRY, ANV_SM_RESTART, "stats");
    LOG("app: asked init to restart stats (err %d)", err);
    struct summary s;
    err = demo_app_stats_summary(&s);
    LOG("app: the old stats handle now fails with error %d", err);
    resolve_stats();
    err = demo_app_stats_summary(&s);
    LOG("app: summary after the restart: error %d (empty)", err);

    uint32_t state = 0, restarts = 0;
    err = anv_sm_status(DEMO_APP_HANDLE_REGISTRY, "crashy", &state, &restarts);
    LOG("app: crashy is %s after %u restarts (err %d)",
        state == ANV_SM_FAILED ? "failed" : state == ANV_SM_RUNNING ? "running" : "stopped",
        restarts, err);
    err = anv_sm_control(DEMO_APP_HANDLE_REGISTRY, ANV_SM_STOP, "sensor");
    LOG("app: asking init to stop sensor: error %d (not allowed)", err);

    uint32_t lines = 0, octets = 0, interrupts = 0, polls = 0;
    err = demo_app_console_counters(&lines, &octets, &interrupts, &polls);
    LOG("app: the console wrote %u lines, %u bytes, waiting for %u transmit interrupts "
        "and %u polls (err %d)", lines, octets, interrupts, polls, err);
    LOG("app: done, shutting down");
    return anv_system_shutdown(DEMO_APP_HANDLE_SYSCTL, 0);
}
