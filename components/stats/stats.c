/* The statistics service: a running summary (count, sum, min, max) of the samples its
 * clients record, plus two small calculations, over the Stats interface. Its state lives
 * in .data and .bss, so a restart by init begins from an empty summary. */
#include <limits.h>

#include "stats_gen.h"
#include "../common/demo_log.h"

static struct summary total = {.min = INT32_MAX, .max = INT32_MIN};

/* Normalise to units; a result outside i32 is refused rather than wrapped. */
static int to_units(int32_t value, enum unit unit, int32_t *out)
{
    int64_t v = value;
    switch (unit) {
    case UNIT_MILLI: v = v / 1000; break;
    case UNIT_UNIT: break;
    case UNIT_KILO: v = v * 1000; break;
    }
    if (v < INT32_MIN || v > INT32_MAX)
        return STATS_E_RANGE;
    *out = (int32_t)v;
    return ANV_OK;
}

static void add(int32_t v)
{
    if ((v > 0 && total.sum > INT64_MAX - v) || (v < 0 && total.sum < INT64_MIN - v)) {
        total.clipped = true;
        return;
    }
    total.count++;
    total.sum += v;
    if (v < total.min)
        total.min = v;
    if (v > total.max)
        total.max = v;
}

int stats_server_stats_record(uint64_t badge, int32_t value, enum unit unit)
{
    (void)badge;
    int32_t v;
    int err = to_units(value, unit, &v);
    if (err == ANV_OK)
        add(v);
    return err;
}

int stats_server_stats_record_batch(uint64_t badge, const int32_t values[16], uint8_t count,
                                    uint32_t *accepted)
{
    (void)badge;
    if (count > 16)
        return STATS_E_RANGE;
    for (uint8_t i = 0; i < count; i++)
        add(values[i]);
    *accepted = count;
    return ANV_OK;
}

int stats_server_stats_summary(uint64_t badge, struct summary *s)
{
    (void)badge;
    if (total.count == 0)
        return STATS_E_EMPTY;
    *s = total;
    return ANV_OK;
}

int stats_server_stats_scale(uint64_t badge, int64_t *value, uint16_t percent, bool round_up)
{
    (void)badge;
    if (*value > INT64_MAX / 65536 || *value < INT64_MIN / 65536)
        return STATS_E_RANGE;
    int64_t scaled = *value * percent;
    int64_t q = scaled / 100, r = scaled % 100;
    if (round_up && r > 0)
        q++;
    *value = q;
    return ANV_OK;
}

/* The label comes back upper-cased, with its FNV-1a hash: the client can check that
 * both directions of a bytes<N> parameter arrived intact. */
int stats_server_stats_label(uint64_t badge, const struct anv_bytes_32 *name,
                             struct anv_bytes_32 *stored, uint32_t *checksum)
{
    (void)badge;
    uint32_t h = 2166136261u;
    stored->len = name->len;
    for (uint32_t i = 0; i < sizeof stored->data; i++) {
        uint8_t c = i < name->len ? name->data[i] : 0;
        stored->data[i] = (c >= 'a' && c <= 'z') ? (uint8_t)(c - 32) : c;
        if (i < name->len)
            h = (h ^ c) * 16777619u;
    }
    *checksum = h;
    return ANV_OK;
}

int stats_server_stats_reset(uint64_t badge)
{
    (void)badge;
    total = (struct summary){.min = INT32_MAX, .max = INT32_MIN};
    return ANV_OK;
}

int main(void)
{
    DEMO_LOG_CSPACE(stats_server_log_write, LOG_LEVEL_INFO, "stats");
    DEMO_LOG(stats_server_log_write, LOG_LEVEL_INFO, "stats: serving (run %lu)",
             (unsigned long)anv_restart_arg());
    return stats_server_serve();
}
