/* Logging for the demo's components: one formatted line through the Log interface of the
 * console service (idl/interfaces/log.idl), and the process's CSpace in that form. The
 * write function is the component's generated `<prefix>_log_write`. */
#ifndef DEMO_LOG_H
#define DEMO_LOG_H

#include <stdio.h>
#include <string.h>

#include <anvaya/report.h>

/* Bytes past `len` travel as zeros (the generated stubs refuse anything else). */
#define DEMO_LOG(write_fn, level, ...)                                                        \
    do {                                                                                      \
        struct anv_bytes_200 demo_line_;                                                      \
        int demo_n_ = snprintf((char *)demo_line_.data, sizeof demo_line_.data, __VA_ARGS__); \
        demo_line_.len = demo_n_ < 0 ? 0u                                                     \
                         : (size_t)demo_n_ >= sizeof demo_line_.data                          \
                             ? (uint32_t)sizeof demo_line_.data - 1u                          \
                             : (uint32_t)demo_n_;                                             \
        memset(demo_line_.data + demo_line_.len, 0, sizeof demo_line_.data - demo_line_.len); \
        (void)write_fn(level, &demo_line_);                                                   \
    } while (0)

/* "cspace <instance>: 1=CSPACE:rw-- 2=..." in as many lines as it takes. */
#define DEMO_LOG_CSPACE(write_fn, level, instance)                                     \
    do {                                                                               \
        char demo_caps_[160];                                                          \
        uint32_t demo_slot_ = 1;                                                       \
        while (anv_cspace_describe(demo_caps_, sizeof demo_caps_, &demo_slot_) != 0)   \
            DEMO_LOG(write_fn, level, "cspace %s: %s", instance, demo_caps_);          \
    } while (0)

#endif
