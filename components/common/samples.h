/* The layout of the buffer the sensor shares with the application (the `samples`
 * dataport): a header and one batch. The sensor writes the values first and the sequence
 * number last, so a reader that sees a new `seq` sees the whole batch. */
#ifndef DEMO_SAMPLES_H
#define DEMO_SAMPLES_H

#include <stdint.h>

#define SAMPLES_MAGIC 0x53414d50u /* "SAMP" */
#define SAMPLES_PER_BATCH 16u

struct samples_buffer {
    uint32_t magic;
    uint32_t seq;   /* batches published so far; survives a restart of the sensor */
    uint32_t count; /* values in this batch */
    int32_t values[SAMPLES_PER_BATCH];
};

/* The readings of batch `seq` (from 1): a saw-tooth the tests can recompute. */
static inline int32_t samples_value(uint32_t seq, uint32_t i)
{
    return (int32_t)(((seq - 1u) * SAMPLES_PER_BATCH + i) * 7u % 50u) - 10;
}

#endif
