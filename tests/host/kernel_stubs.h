/* What the host tests can observe of the target-side hooks the kernel object code calls
 * (kernel_stubs.c), plus helpers that build kernel objects on host memory
 * (host_kernel.c). */
#ifndef ANVAYA_TESTS_HOST_KERNEL_STUBS_H
#define ANVAYA_TESTS_HOST_KERNEL_STUBS_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "object/object.h"

/* ---- Stub observations (kernel_stubs.c) ---------------------------------------------- */
#define STUB_CONSOLE_MAX 8192

struct stub_state {
    char console[STUB_CONSOLE_MAX]; /* console_write and kprintf output, truncated */
    size_t console_len;
    unsigned kprintf_calls;
    unsigned shutdown_calls;
    uint64_t shutdown_code;
    unsigned flushes;            /* vs_arch_flush_page */
    unsigned flushes_all;        /* vs_arch_flush_all */
    uint64_t budget_deadline;    /* sched_arch_budget_deadline */
    uint64_t last_flush;
    unsigned irq_enables;
    unsigned irq_completes;
    uint32_t last_irq_complete;
    void (*on_panic)(void);      /* run before a panic fails the test (diagnostics) */
    /* Set by a test that expects a panic (STUB_EXPECT_PANIC): the panic records its
     * message and jumps back instead of failing the test. */
    jmp_buf *panic_jmp;
    char panic_msg[512];
    unsigned panics;
};

extern struct stub_state stubs;
void stubs_reset(void);

/* Run `stmt`, which must end in a kernel panic: true when it did (the message is in
 * stubs.panic_msg), false when it returned. The kernel state it leaves is whatever the
 * panic interrupted: the test ends there, and the next set-up starts afresh. */
#define STUB_EXPECT_PANIC(stmt)                                                            \
    __extension__({                                                                        \
        jmp_buf stub_jb_;                                                                  \
        volatile bool stub_panicked_ = false;                                              \
        stubs.panic_jmp = &stub_jb_;                                                       \
        if (setjmp(stub_jb_) == 0) {                                                       \
            stmt;                                                                          \
        } else {                                                                           \
            stub_panicked_ = true;                                                         \
        }                                                                                  \
        stubs.panic_jmp = NULL;                                                            \
        stub_panicked_;                                                                    \
    })

/* ---- Object construction on host memory (host_kernel.c) -------------------------------
 * CSpaces live in fixed storage registered once with the invariant checker, which has
 * no way to unregister: a heap CSpace freed by one test would leave the checker reading
 * freed memory in the next. */
#define HK_CSPACES 6
#define HK_SLOTS 64

/* Clears the scheduler, the audit ring, the stubs and every fixed CSpace (64 slots);
 * frees what the previous test allocated. Use as the cmocka setup of each test. */
int hk_setup(void **state);
int hk_teardown(void **state);

/* Fixed CSpace i re-initialised with `size` (<= HK_SLOTS) slots. */
struct cspace *hk_cspace(unsigned i, uint32_t size);
/* Zeroed, 4096-aligned pages whose addresses serve as physical addresses; freed by
 * the next hk_setup or hk_teardown. */
void *hk_pages(uint32_t n);
void *hk_zalloc(size_t size);
/* A pool over fresh pages. */
struct pool *hk_pool(uint32_t pages, uint32_t quota);
/* A thread admitted without budget and made ready, with its own IPC buffer page (not
 * mapped anywhere: the kernel reaches it through t->ipc_buffer). */
struct thread *hk_thread(struct cspace *cs, struct vspace *vs, uint8_t priority);
/* Install an original (parent NULL) or derived capability in a chosen slot. */
struct cap *hk_install(struct cspace *cs, uint32_t slot, struct kobj *obj, uint32_t rights,
                       uint64_t badge, struct cap *parent);

#endif
