/* Syscall wrappers (RFC 0010): registers in, ecall, registers out. The IPC wrappers also
 * carry payload words 0..3 between the IPC buffer and a2..a5; the kernel moves the rest. */
#include <stdbool.h>

#include <anvaya/sdk.h>

/* a0..a7 around one ecall. Every wrapper is a handful of moves around the trap, so the
 * helper is forced inline and the compiler keeps the struct in registers. */
struct anv_regs {
    uint64_t a[8];
};

static inline __attribute__((always_inline)) int anv_trap(uint64_t nr, struct anv_regs *r)
{
    register uint64_t a0 __asm__("a0") = r->a[0];
    register uint64_t a1 __asm__("a1") = r->a[1];
    register uint64_t a2 __asm__("a2") = r->a[2];
    register uint64_t a3 __asm__("a3") = r->a[3];
    register uint64_t a4 __asm__("a4") = r->a[4];
    register uint64_t a5 __asm__("a5") = r->a[5];
    register uint64_t a6 __asm__("a6") = r->a[6];
    register uint64_t a7 __asm__("a7") = nr;
    /* "memory": the kernel reads and writes the IPC buffer and debug.write reads ours.
     * t0..t6 do not survive an ecall (ABI 3.0, RFC 0010 section 1). */
    __asm__ volatile("ecall"
                     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6),
                       "+r"(a7)
                     :
                     : "memory", "t0", "t1", "t2", "t3", "t4", "t5", "t6");
    r->a[0] = a0;
    r->a[1] = a1;
    r->a[2] = a2;
    r->a[3] = a3;
    r->a[4] = a4;
    r->a[5] = a5;
    r->a[6] = a6;
    r->a[7] = a7;
    return (int)a0;
}

static inline struct anv_ipc_buffer *ipcbuf(void)
{
    struct anv_ipc_buffer *b;
    __asm__ volatile("mv %0, tp" : "=r"(b));
    return b;
}

struct anv_ipc_buffer *anv_ipcbuf(void)
{
    return ipcbuf();
}

static inline void put(uint64_t *out, uint64_t v)
{
    if (out)
        *out = v;
}

/* Outgoing payload: the first ANV_IPC_REG_WORDS words ride in a2..a5. */
static inline void load_words(struct anv_regs *r)
{
    const struct anv_ipc_buffer *b = ipcbuf();
    for (int i = 0; i < ANV_IPC_REG_WORDS; i++)
        r->a[2 + i] = b->mr[i];
}

/* Incoming payload: what the kernel left in a2..a5 becomes mr[0..3]; a1 is the msginfo
 * and a6 the badge (zero for a reply). */
static inline void store_message(const struct anv_regs *r, uint64_t *info, uint64_t *badge)
{
    struct anv_ipc_buffer *b = ipcbuf();
    for (int i = 0; i < ANV_IPC_REG_WORDS; i++)
        b->mr[i] = r->a[2 + i];
    put(info, r->a[1]);
    put(badge, r->a[6]);
}

int anv_abi_version(uint64_t *version)
{
    struct anv_regs r = {{0}};
    int err = anv_trap(ANV_SYS_ABI_VERSION, &r);
    if (err == ANV_OK)
        put(version, r.a[1]);
    return err;
}

int anv_cap_identify(anv_handle_t cap, uint64_t *type, uint64_t *rights, uint64_t *badge,
                     uint64_t *object_id)
{
    struct anv_regs r = {{cap}};
    int err = anv_trap(ANV_SYS_CAP_IDENTIFY, &r);
    if (err == ANV_OK) {
        put(type, r.a[1]);
        put(rights, r.a[2]);
        put(badge, r.a[3]);
        put(object_id, r.a[4]);
    }
    return err;
}

int anv_cap_delegate(anv_handle_t src, anv_handle_t cspace, uint32_t dest_slot, uint32_t rights,
                     uint64_t badge, anv_handle_t *out)
{
    struct anv_regs r = {{src, cspace, dest_slot, rights, badge}};
    int err = anv_trap(ANV_SYS_CAP_DELEGATE, &r);
    if (err == ANV_OK)
        put(out, r.a[1]);
    return err;
}

int anv_cap_revoke(anv_handle_t cap)
{
    struct anv_regs r = {{cap}};
    return anv_trap(ANV_SYS_CAP_REVOKE, &r);
}

int anv_cap_delete(anv_handle_t cap)
{
    struct anv_regs r = {{cap}};
    return anv_trap(ANV_SYS_CAP_DELETE, &r);
}

int anv_ipc_send(anv_handle_t ep, uint64_t info)
{
    struct anv_regs r = {{ep, info}};
    load_words(&r);
    return anv_trap(ANV_SYS_IPC_SEND, &r);
}

int anv_ipc_call(anv_handle_t ep, uint64_t info, uint64_t *reply_info)
{
    struct anv_regs r = {{ep, info}};
    load_words(&r);
    int err = anv_trap(ANV_SYS_IPC_CALL, &r);
    if (err == ANV_OK)
        store_message(&r, reply_info, 0);
    return err;
}

int anv_ipc_receive(anv_handle_t ep, uint64_t *info, uint64_t *badge)
{
    struct anv_regs r = {{ep}};
    int err = anv_trap(ANV_SYS_IPC_RECEIVE, &r);
    if (err == ANV_OK)
        store_message(&r, info, badge);
    return err;
}

int anv_ipc_reply(uint64_t info)
{
    struct anv_regs r = {{ANV_HANDLE_NULL, info}};
    load_words(&r);
    return anv_trap(ANV_SYS_IPC_REPLY, &r);
}

int anv_ipc_reply_recv(anv_handle_t ep, uint64_t reply_info, uint64_t *info, uint64_t *badge)
{
    struct anv_regs r = {{ep, reply_info}};
    load_words(&r);
    int err = anv_trap(ANV_SYS_IPC_REPLY_RECV, &r);
    if (err == ANV_OK)
        store_message(&r, info, badge);
    return err;
}

int anv_ipc_cancel(anv_handle_t thread_or_null)
{
    struct anv_regs r = {{thread_or_null}};
    return anv_trap(ANV_SYS_IPC_CANCEL, &r);
}

int anv_ntfn_signal(anv_handle_t ntfn)
{
    struct anv_regs r = {{ntfn}};
    return anv_trap(ANV_SYS_NTFN_SIGNAL, &r);
}

int anv_wait_one(anv_handle_t ntfn, uint64_t timeout_ticks, uint64_t *result, uint64_t *bits)
{
    struct anv_regs r = {{ntfn, timeout_ticks}};
    int err = anv_trap(ANV_SYS_WAIT_ONE, &r);
    if (err == ANV_OK) {
        put(result, r.a[1]);
        put(bits, r.a[1] == ANV_WAIT_NOTIFIED ? r.a[2] : 0);
    }
    return err;
}

int anv_cancel_token(anv_handle_t thread)
{
    struct anv_regs r = {{thread}};
    return anv_trap(ANV_SYS_CANCEL_TOKEN, &r);
}

int anv_mem_frame_alloc_pages(anv_handle_t pool, uint32_t dest_slot, uint32_t pages,
                              anv_handle_t *frame)
{
    struct anv_regs r = {{pool, dest_slot, pages}};
    int err = anv_trap(ANV_SYS_MEM_FRAME_ALLOC, &r);
    if (err == ANV_OK)
        put(frame, r.a[1]);
    return err;
}

int anv_mem_frame_alloc(anv_handle_t pool, uint32_t dest_slot, anv_handle_t *frame)
{
    return anv_mem_frame_alloc_pages(pool, dest_slot, 1, frame);
}

int anv_mem_frame_paddr(anv_handle_t frame, uint64_t *paddr, uint32_t *pages)
{
    struct anv_regs r = {{frame}};
    int err = anv_trap(ANV_SYS_MEM_FRAME_PADDR, &r);
    if (err == ANV_OK) {
        put(paddr, r.a[1]);
        if (pages)
            *pages = (uint32_t)r.a[2];
    }
    return err;
}

_Noreturn void anv_proc_exit(int status)
{
    struct anv_regs r = {{(uint64_t)(int64_t)status}};
    (void)anv_trap(ANV_SYS_PROC_EXIT, &r); /* does not come back */
    for (;;)
        __asm__ volatile("unimp"); /* if it ever did, fault rather than run on */
}

int anv_mem_map(anv_handle_t frame, uintptr_t vaddr, uint32_t rights, uint32_t dest_slot,
                anv_handle_t *mapping)
{
    struct anv_regs r = {{frame, vaddr, rights, dest_slot}};
    int err = anv_trap(ANV_SYS_MEM_MAP, &r);
    if (err == ANV_OK)
        put(mapping, r.a[1]);
    return err;
}

int anv_mem_unmap(anv_handle_t mapping)
{
    struct anv_regs r = {{mapping}};
    return anv_trap(ANV_SYS_MEM_UNMAP, &r);
}

int anv_thread_yield(void)
{
    struct anv_regs r = {{0}};
    return anv_trap(ANV_SYS_THREAD_YIELD, &r);
}

int anv_thread_resume(anv_handle_t thread)
{
    struct anv_regs r = {{thread}};
    return anv_trap(ANV_SYS_THREAD_RESUME, &r);
}

int anv_thread_stop(anv_handle_t thread)
{
    struct anv_regs r = {{thread}};
    return anv_trap(ANV_SYS_THREAD_STOP, &r);
}

int anv_thread_restart(anv_handle_t thread, uint32_t flags, uint64_t arg)
{
    struct anv_regs r = {{thread, flags, arg}};
    return anv_trap(ANV_SYS_THREAD_RESTART, &r);
}

int anv_audit_read(anv_handle_t audit, uint64_t index, uint64_t *record_words)
{
    struct anv_regs r = {{audit, index}};
    int err = anv_trap(ANV_SYS_AUDIT_READ, &r);
    if (!record_words)
        return err;
    /* Once the capability checks pass the kernel reports the ring's next sequence number
     * even for a record that is not (or no longer) there, so a reader can resynchronise.
     * A refused capability leaves a7 untouched: report 0 then, not our syscall number. */
    bool have_next = err == ANV_OK || err == ANV_E_INVALID_ARG;
    for (int i = 0; i < ANV_AUDIT_RECORD_WORDS - 1; i++)
        record_words[i] = err == ANV_OK ? r.a[1 + i] : 0;
    record_words[ANV_AUDIT_RECORD_WORDS - 1] = have_next ? r.a[7] : 0;
    return err;
}

int anv_debug_write(anv_handle_t console, const char *text, size_t len)
{
    int err;
    do {
        size_t n = len < ANV_DEBUG_WRITE_MAX ? len : ANV_DEBUG_WRITE_MAX;
        struct anv_regs r = {{console, (uintptr_t)text, n}};
        err = anv_trap(ANV_SYS_DEBUG_WRITE, &r);
        text += n;
        len -= n;
    } while (err == ANV_OK && len > 0);
    return err;
}

int anv_system_shutdown(anv_handle_t sysctl, uint32_t failure)
{
    struct anv_regs r = {{sysctl, failure}};
    return anv_trap(ANV_SYS_SYSTEM_SHUTDOWN, &r);
}

int anv_irq_ack(anv_handle_t irq)
{
    struct anv_regs r = {{irq}};
    return anv_trap(ANV_SYS_IRQ_ACK, &r);
}
