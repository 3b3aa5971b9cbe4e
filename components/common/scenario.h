/* What the kernel scenario programs (ktest, hostile) share: EXPECT, which ends the
 * scenario at its first failed check with the line printed; ok(), one line per scenario
 * that passed; the counts; and the clock. Define SCENARIO_NAME (the line prefix) first. */
#ifndef ANVAYA_SCENARIO_H
#define ANVAYA_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#ifndef SCENARIO_NAME
#error "define SCENARIO_NAME before including scenario.h"
#endif

static int failures;
static int passed;

#define EXPECT(cond)                                                                       \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            printf(SCENARIO_NAME ": FAIL %s:%d: %s\n", __func__, __LINE__, #cond);         \
            failures++;                                                                    \
            return;                                                                        \
        }                                                                                  \
    } while (0)

static inline void ok(const char *name, const char *detail)
{
    passed++;
    printf(SCENARIO_NAME ": %s ok %s\n", name, detail);
}

static inline uint64_t rdtime(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

#endif
