/* Kernel objects and capabilities: the structures every object file shares. Each object
 * type's operations live in its own file (cspace.c, thread.c, endpoint.c, ...). */
#ifndef ANVAYA_KERNEL_OBJECT_H
#define ANVAYA_KERNEL_OBJECT_H

#include <stdbool.h>
#include <stdint.h>

#include <anvaya/abi.h>

#include "arch/riscv64/fpu.h"
#include "arch/riscv64/trap.h"

struct thread;
struct cspace;
struct vspace;
struct pool;
struct proc;

/* Every kernel object starts with this header. `refs` counts capabilities that name the
 * object; when it drops to zero the object is destroyed by its type's destroy hook. */
struct kobj {
    uint8_t type;   /* ANV_OBJ_* */
    uint8_t flags;
    uint16_t reserved;
    uint32_t id;    /* stable identity reported by cap.identify */
    uint32_t refs;
};

/* A capability: what a slot holds. Derivation links form the CDT: every derived cap
 * points at its parent; children of one parent form a doubly linked sibling list. */
struct cap {
    struct kobj *obj;      /* NULL when the slot is empty */
    uint8_t type;          /* ANV_OBJ_*: the object's type, or ANV_OBJ_MAPPING */
    uint8_t placed;        /* put here by the loader from the manifest (RELOAD keeps it) */
    uint64_t badge;
    uint32_t rights;
    uint32_t generation;   /* of the slot; bumped every time the slot is emptied */
    struct cap *parent;
    struct cap *first_child;
    struct cap *next_sibling;
    struct cap *prev_sibling;
    struct cspace *owner;
    uint64_t map_vaddr;        /* MAPPING caps: the user address mapped */
    struct vspace *map_vspace; /* MAPPING caps: the address space it lives in */
};

struct cspace {
    struct kobj hdr;
    uint32_t size;      /* slots, fixed at creation */
    uint32_t first_dynamic; /* lowest slot a run-time capability may take: above the
                             * well-known slots and every slot the manifest placed */
    struct cap *slots;  /* size entries, slot 0 is never filled */
    struct cspace *inv_next; /* the invariant checker's list of every CSpace */
};

/* Thread states. */
enum thread_state {
    TS_INACTIVE = 0, /* stopped: held at creation, by thread.stop, or after a fault; on
                      * no queue. thread.resume and thread.restart start it again */
    TS_READY,        /* runnable (including the running thread) */
    TS_BLOCKED_SEND, /* queued on an endpoint to send (or call) */
    TS_BLOCKED_RECV, /* queued on an endpoint to receive */
    TS_BLOCKED_REPLY,/* waiting for the reply to a call or a fault message */
    TS_BLOCKED_WAIT, /* in wait_one: on a notification and/or a timeout */
    TS_THROTTLED,    /* budget spent; ready again at the next replenishment */
};

struct thread_queue {
    struct thread *head;
    uint32_t length;
};

/* The registers the loader first gave a thread, kept so thread.restart can give them
 * again (every other register starts at zero, a2 at the restart argument). */
struct thread_start {
    uint64_t pc;
    uint64_t sp;
    uint64_t tp; /* the IPC buffer's user address */
    uint64_t a0; /* the CSpace size */
    uint64_t a1; /* the thread's index in its process */
};

/* A handle the fastpath resolved and the endpoint capability it resolved to (with the
 * right that call needs); handle 0 and cap NULL when empty. */
struct ep_lookup_memo {
    uint64_t handle;
    struct cap *cap;
    uint64_t rights_gen; /* the cap's rights and generation then, as one word (fastpath.c) */
};

struct thread {
    struct kobj hdr;
    struct trap_frame frame;   /* the user context (see frame_partial) */
    uint8_t frame_partial;     /* set by trap_entry.S for ipc.call / ipc.reply_recv:
                                * t0..t6 (regs 5-7, 28-31) were not saved, the thread
                                * resumes with them zero; thread_frame_complete() makes
                                * the slots say so. Must follow `frame` (trap_layout.h) */
    enum thread_state state;
    uint8_t priority;          /* 0..255, higher runs first */
    uint8_t is_call;           /* blocked send is an ipc.call (wants a reply) */
    uint8_t is_fault_msg;      /* blocked send carries a fault record */
    uint8_t call_grant;        /* the cap our pending call went through had GRANT, so the
                                * reply may carry capabilities; set at delivery */
    uint8_t exited;            /* ended by proc.exit: only thread.restart starts it again */
    uint8_t switch_work;       /* THREAD_SWITCH_*: what entering or leaving it must do */
    uint32_t fault_label;      /* label of the pending fault record (fault or exit) */
    /* CPU time, in clock units (the `time` CSR), charged at every switch (sched.c). */
    uint64_t budget;           /* per period; 0: unlimited */
    uint64_t period;
    int64_t budget_left;       /* below zero by at most an interrupt's latency: the debt
                                * is paid from the next period */
    uint64_t next_replenish;   /* clock time of the next refill */
    uint64_t cpu_time;         /* everything charged to it since boot (threads with a
                                * budget: the others are never charged) */
    uint32_t slice_left;       /* ticks before round robin moves on */

    struct cspace *cspace;
    struct vspace *vspace;
    struct anv_ipc_buffer *ipc_buffer; /* kernel view (direct map) of the buffer frame */
    uint64_t ipc_buffer_vaddr;

    uint32_t fault_ep_slot;    /* slot of the fault endpoint in our CSpace, 0: none */
    uint64_t fault_badge;
    uint64_t fault_words[4];   /* scause, sepc, stval, fault_badge of a pending fault */
    uint32_t fault_insn_len;   /* 2 or 4: how far ANV_FAULT_SKIP moves sepc */

    /* Queue membership: at most one of ready queue, endpoint queue, notification queue. */
    struct thread *q_next;
    struct thread *q_prev;
    struct thread_queue *q_owner;
    struct kobj *blocked_on;   /* endpoint or notification the thread waits on */
    struct cap *blocked_cap;   /* the capability it blocked through */
    uint64_t blocked_badge;    /* badge of the cap a blocked sender used */

    struct thread *reply_to;   /* server side: the caller owed a reply (one-shot) */
    struct thread *replier;    /* client side: the server that owes us a reply */
    uint64_t wait_deadline;    /* tick for a wait_one timeout, 0 none */
    struct thread *sleep_next; /* timeout list */
    bool on_sleep_list;

    struct thread_start start; /* pc 0: never given a start state, cannot be restarted */
    struct fp_state fp;        /* saved F/D registers, valid with THREAD_SWITCH_FP (arch/fpu.c) */
    struct proc *proc;         /* the process record (loader-made threads), or NULL */
    struct thread *proc_next;  /* next thread of the same process */
    /* The fastpath's last endpoint lookup for ipc.call and for ipc.reply_recv (a memo
     * only: core/fastpath.c says why it is exact; no other code reads it). */
    struct ep_lookup_memo call_memo, recv_memo;
};

struct endpoint {
    struct kobj hdr;
    struct thread_queue queue;   /* senders or receivers, never both */
    uint8_t queue_is_senders;
};

struct notification {
    struct kobj hdr;
    uint64_t bits;
    struct thread_queue waiters;
};

struct frame {
    struct kobj hdr;
    uint64_t paddr;
    struct pool *pool; /* returned here when the last cap goes; NULL for boot frames */
    uint32_t pages;    /* contiguous run (mem.frame_alloc asks for its length) */
    uint8_t is_device; /* MMIO at a fixed address, not RAM */
    uint8_t is_dma;    /* declared for DMA: mem.frame_paddr tells its holder the address */
    uint16_t reserved;
};

struct vspace {
    struct kobj hdr;
    uint64_t root_paddr;      /* Sv39 root page table */
    uint64_t satp;            /* the value that installs it, computed once */
    struct pool *pt_pool;     /* page-table pages come from here */
    uint16_t asid;            /* valid while asid_generation is the current one (asid.h) */
    uint32_t asid_generation; /* 0: never given one */
    uint32_t pt_pages;        /* page-table pages in use, root included */
};

/* A pool: a fixed run of physical pages that mem.frame_alloc and page-table allocation
 * draw from, with a quota no operation can exceed. */
struct pool {
    struct kobj hdr;
    uint64_t base_paddr;
    uint32_t total_pages;
    uint32_t used_pages;
    uint32_t quota_pages;     /* <= total_pages */
    uint64_t *free_bitmap;    /* 1 bit per page, 1 = free */
    struct frame *frame_meta; /* one frame object per page, used when handed out */
};

struct irq_handler {
    struct kobj hdr;
    uint32_t irq;
    struct notification *ntfn;
    uint64_t badge;
    bool pending;
};

struct audit_log {
    struct kobj hdr;
};

struct console_obj {
    struct kobj hdr;
};

struct sysctl_obj {
    struct kobj hdr;
};

#define KOBJ_PINNED 0x1 /* created by the loader; never destroyed */

/* thread.switch_work: a switch to or from a thread with neither bit costs the trap path a
 * few loads and a branch; only these need the clock read and charged (a budget) or the
 * FPU handed over (FP state). */
#define THREAD_SWITCH_BUDGET 0x1u
#define THREAD_SWITCH_FP 0x2u

/* Object identities are handed out once, in creation order. */
uint32_t kobj_next_id(void);
void kobj_init(struct kobj *o, uint8_t type);

/* The type-specific teardown called when the last capability to an object goes. */
void kobj_destroy(struct kobj *o);

#endif
