/* What the three fuzz harnesses share: a failed check aborts, so libFuzzer reports it
 * as a crash with the input that caused it. */
#ifndef ANVAYA_FUZZ_COMMON_H
#define ANVAYA_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond, what)                                                                 \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", what, __FILE__, __LINE__);  \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* A refusal message: terminated inside its buffer, and "record ...: field ..." shaped. */
static inline void fuzz_check_message(const char *msg, size_t cap)
{
    size_t n = strnlen(msg, cap);
    FUZZ_CHECK(n < cap, "message not NUL-terminated inside its buffer");
    FUZZ_CHECK(n > 0, "refusal without a message");
    FUZZ_CHECK(strstr(msg, ": ") != NULL, "message names no field");
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(msg[i] >= 0x20 && msg[i] < 0x7f, "unprintable byte in a message");
}

#endif
