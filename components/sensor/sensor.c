/* The sensor: publishes `batches` batches of readings through the shared buffer, one at a
 * time (ready, then wait for the application's ack). On its first run it faults on
 * purpose after the first batch; init restarts it and it resumes from the sequence
 * number in the shared buffer, which a restart does not reset. */
#include "sensor_gen.h"
#include "../common/demo_log.h"
#include "../common/fault.h"
#include "../common/samples.h"

int main(void)
{
    volatile struct samples_buffer *buf = (volatile struct samples_buffer *)SENSOR_SAMPLES;
    uint64_t run = anv_restart_arg();
    DEMO_LOG_CSPACE(sensor_log_write, LOG_LEVEL_INFO, "sensor");
    if (buf->magic != SAMPLES_MAGIC) {
        buf->seq = 0;
        buf->magic = SAMPLES_MAGIC;
    }
    uint32_t seq = buf->seq;
    DEMO_LOG(sensor_log_write, LOG_LEVEL_INFO, "sensor: run %lu, %u of %u batches already published",
             (unsigned long)run, seq, (unsigned)SENSOR_CONFIG_BATCHES);
    while (seq < SENSOR_CONFIG_BATCHES) {
        seq++;
        for (uint32_t i = 0; i < SAMPLES_PER_BATCH; i++)
            buf->values[i] = samples_value(seq, i);
        buf->count = SAMPLES_PER_BATCH;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        buf->seq = seq;
        DEMO_LOG(sensor_log_write, LOG_LEVEL_INFO, "sensor: batch %u published", seq);
        (void)sensor_ready_emit();
        (void)sensor_ack_wait();
        if (SENSOR_CONFIG_FAULT_ONCE && run == 0 && seq == 1) {
            DEMO_LOG(sensor_log_write, LOG_LEVEL_WARN, "sensor: faulting on purpose after batch 1");
            demo_fault_now(seq);
        }
    }
    DEMO_LOG(sensor_log_write, LOG_LEVEL_INFO, "sensor: all %u batches published", seq);
    for (;;) {
        uint64_t bits;
        (void)sensor_wait_any(&bits);
    }
}
