/* The component SDK: typed wrappers over the Nucleus syscalls (anvaya/abi.h) and the
 * IPC buffer. Payload words always live in anv_ipcbuf()->mr[]; the wrappers move the
 * first ANV_IPC_REG_WORDS of them through registers. Every call returns an ANV_ error. */
#ifndef ANVAYA_SDK_H
#define ANVAYA_SDK_H

#include <stddef.h>
#include <stdint.h>

#include <anvaya/abi.h>

typedef uint64_t anv_handle_t;

/* The calling thread's IPC buffer (set up by the start-up routine). */
struct anv_ipc_buffer *anv_ipcbuf(void);

/* Output pointers may be NULL when the caller does not want that result; they are
 * written only when the call returns ANV_OK (anv_audit_read's next sequence number is
 * the one exception, see there). */

int anv_abi_version(uint64_t *version);
int anv_cap_identify(anv_handle_t cap, uint64_t *type, uint64_t *rights, uint64_t *badge,
                     uint64_t *object_id);
/* Copy `src` into `dest_slot` of the CSpace named by `cspace` (ANV_HANDLE_NULL: the
 * caller's own), keeping only `rights` of the source's rights; a non-zero badge is set
 * on an unbadged endpoint or notification. Returns the new handle in *out. */
int anv_cap_delegate(anv_handle_t src, anv_handle_t cspace, uint32_t dest_slot, uint32_t rights,
                     uint64_t badge, anv_handle_t *out);
int anv_cap_revoke(anv_handle_t cap);
int anv_cap_delete(anv_handle_t cap);

/* IPC. `info` is an anv_msginfo(label, words, caps) word. To transfer capabilities, put
 * their handles in anv_ipcbuf()->caps_out[] and rights masks in caps_out_rights[] and
 * count them in `info`; received ones arrive in caps_in[], counted in the msginfo. That
 * holds for replies too: a reply (anv_ipc_reply, anv_ipc_reply_recv) may carry
 * capabilities if the caller's capability had ANV_RIGHT_GRANT (else ANV_E_RIGHTS, and
 * the reply is still owed), and anv_ipc_call's reply_info counts what came back. */
int anv_ipc_send(anv_handle_t ep, uint64_t info);
int anv_ipc_call(anv_handle_t ep, uint64_t info, uint64_t *reply_info);
int anv_ipc_receive(anv_handle_t ep, uint64_t *info, uint64_t *badge);
int anv_ipc_reply(uint64_t info);
int anv_ipc_reply_recv(anv_handle_t ep, uint64_t reply_info, uint64_t *info, uint64_t *badge);
int anv_ipc_cancel(anv_handle_t thread_or_null);

/* Register messages (RFC 0010 section 3.3): the msginfo and words 0..ANV_IPC_REG_WORDS-1
 * go straight between `m` and a1..a5, never through the IPC buffer's mr[0..3]; what a
 * message has beyond them (words from ANV_IPC_REG_WORDS on, capabilities) still lives
 * in the IPC buffer as above. Otherwise each is the call of the same name without
 * `_msg`: on ANV_OK `m` (and *badge) hold the message or reply that came back, on an
 * error they are left as they were. Words of `m` past the msginfo's count travel too
 * (the registers always carry four), so a caller zeroes what it does not send. On the
 * RISC-V guest they are inline around the ecall, so a short call costs no call, no
 * stack and no buffer traffic; on the host (the generator's test shims) they are
 * ordinary functions the shim defines. */
struct anv_msg {
    uint64_t info;
    uint64_t w[ANV_IPC_REG_WORDS];
};
#if defined(__riscv)
/* One ecall with a0..a5 in, a0..a6 out. a6 and a7 carry no argument of these calls;
 * t0..t6 do not survive an ecall (ABI 3.0, RFC 0010 section 1). "memory": the kernel
 * reads and writes the IPC buffer (words past the registers, capabilities, badge). */
static inline __attribute__((always_inline)) int anv_msg_trap(uint64_t nr, uint64_t a0_in,
                                                              struct anv_msg *m,
                                                              uint64_t *badge)
{
    register uint64_t a0 __asm__("a0") = a0_in;
    register uint64_t a1 __asm__("a1") = m->info;
    register uint64_t a2 __asm__("a2") = m->w[0];
    register uint64_t a3 __asm__("a3") = m->w[1];
    register uint64_t a4 __asm__("a4") = m->w[2];
    register uint64_t a5 __asm__("a5") = m->w[3];
    register uint64_t a6 __asm__("a6");
    register uint64_t a7 __asm__("a7") = nr;
    __asm__ volatile("ecall"
                     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "=r"(a6),
                       "+r"(a7)
                     :
                     : "memory", "t0", "t1", "t2", "t3", "t4", "t5", "t6");
    /* Written back whatever the outcome: an error gives a1..a5 back as they went in
     * (RFC 0010 section 1: a refused call changes only a0, and a blocked call woken by
     * an error, such as a cancel, is given only a0), so `m` is then as it was, and the
     * compiler keeps the message in the same registers from one call to the next. */
    m->info = a1;
    m->w[0] = a2;
    m->w[1] = a3;
    m->w[2] = a4;
    m->w[3] = a5;
    if ((int)a0 == ANV_OK && badge)
        *badge = a6;
    return (int)a0;
}

static inline __attribute__((always_inline)) int anv_ipc_call_msg(anv_handle_t ep,
                                                                  struct anv_msg *m)
{
    return anv_msg_trap(ANV_SYS_IPC_CALL, ep, m, 0);
}

static inline __attribute__((always_inline)) int anv_ipc_receive_msg(anv_handle_t ep,
                                                                     struct anv_msg *m,
                                                                     uint64_t *badge)
{
    return anv_msg_trap(ANV_SYS_IPC_RECEIVE, ep, m, badge);
}

static inline __attribute__((always_inline)) int
anv_ipc_reply_recv_msg(anv_handle_t ep, struct anv_msg *m, uint64_t *badge)
{
    return anv_msg_trap(ANV_SYS_IPC_REPLY_RECV, ep, m, badge);
}
#else
int anv_ipc_call_msg(anv_handle_t ep, struct anv_msg *m);
int anv_ipc_receive_msg(anv_handle_t ep, struct anv_msg *m, uint64_t *badge);
int anv_ipc_reply_recv_msg(anv_handle_t ep, struct anv_msg *m, uint64_t *badge);
#endif

/* Events. */
int anv_ntfn_signal(anv_handle_t ntfn);
/* Block on `ntfn` (or only the timeout when ntfn is ANV_HANDLE_NULL); timeout_ticks 0
 * waits forever. *result is ANV_WAIT_NOTIFIED (with *bits) or ANV_WAIT_TIMEOUT. */
int anv_wait_one(anv_handle_t ntfn, uint64_t timeout_ticks, uint64_t *result, uint64_t *bits);
int anv_cancel_token(anv_handle_t thread);

/* Memory. */
/* A frame of `pages` physically contiguous zeroed pages from `pool`, into the free slot
 * `dest_slot` (above every slot the manifest placed: else ANV_E_RESERVED_SLOT). Pool
 * frames are readable and writable, never executable. */
int anv_mem_frame_alloc_pages(anv_handle_t pool, uint32_t dest_slot, uint32_t pages,
                              anv_handle_t *frame);
int anv_mem_frame_alloc(anv_handle_t pool, uint32_t dest_slot, anv_handle_t *frame);
/* Map the whole frame at `vaddr` (2 MiB megapages where both addresses allow), its
 * mapping capability in the free slot `dest_slot`. Nothing is mapped unless all is. */
int anv_mem_map(anv_handle_t frame, uintptr_t vaddr, uint32_t rights, uint32_t dest_slot,
                anv_handle_t *mapping);
int anv_mem_unmap(anv_handle_t mapping);
/* Physical address and length in pages of a DMA frame (declared `dma` in the IDL);
 * ANV_E_WRONG_TYPE for every other frame. */
int anv_mem_frame_paddr(anv_handle_t frame, uint64_t *paddr, uint32_t *pages);
/* End the whole process with `status`: its supervisor gets an exit record (ANV_EXIT_LABEL)
 * and applies the instance's restart policy. exit() and returning from main() end here. */
_Noreturn void anv_proc_exit(int status);

/* Threads, audit, console, system. */
int anv_thread_yield(void);
/* Start a stopped thread (held at creation, stopped, or stopped by its fault handler)
 * where it stopped; ANV_E_BUSY if it is not stopped. */
int anv_thread_resume(anv_handle_t thread);
/* Stop another thread wherever it is; a syscall it was blocked in returns
 * ANV_E_CANCELLED if it is resumed, and a caller it owed a reply is released with
 * ANV_E_CANCELLED. ANV_E_BUSY if already stopped, ANV_E_INVALID_ARG for oneself. */
int anv_thread_stop(anv_handle_t thread);
/* Run a stopped thread from the start again, its anv_restart_arg() being `arg`. With
 * flags ANV_RESTART_RELOAD (every thread of the process stopped) its process's writable
 * data is first reloaded from the boot image and the capabilities it acquired at run
 * time (slots above the manifest's) are deleted. */
int anv_thread_restart(anv_handle_t thread, uint32_t flags, uint64_t arg);
/* record_words must hold ANV_AUDIT_RECORD_WORDS (abi.h): [0] seq, [1] event, [2] subject thread,
 * [3] object, [4] arg, [5] result, [6] the next sequence number the ring will assign.
 * [6] is also filled when the call fails with ANV_E_INVALID_ARG (no record with that
 * number: not yet written, or overwritten); for other errors everything is 0. */
int anv_audit_read(anv_handle_t audit, uint64_t index, uint64_t *record_words);
/* Any length: the wrapper splits the text into debug.write calls of at most
 * ANV_DEBUG_WRITE_MAX bytes (abi.h) and stops at the first error. */
int anv_debug_write(anv_handle_t console, const char *text, size_t len);
int anv_system_shutdown(anv_handle_t sysctl, uint32_t failure);
int anv_irq_ack(anv_handle_t irq);

/* ---- Process runtime (crt0.S, rt.c) -------------------------------------------------
 * stdout and stderr go to the console capability in ANV_SLOT_CONSOLE, buffered per thread
 * up to a newline or ANV_DEBUG_WRITE_MAX bytes (a line is one debug.write, whole); they
 * exist only in a component that declares `kernel console` (its generated code defines
 * them: anvaya/stdio_console.h), so printing without a console
 * is a link error. The C library's per-thread state (errno, that buffer) lives in the
 * calling thread's IPC buffer page past struct anv_ipc_buffer, so threads need no other
 * memory; the kernel never touches that part of the page. */

/* Number of slots in the process's CSpace, as the kernel passed it to the first thread. */
uint64_t anv_cspace_size(void);
/* The argument the calling thread was last started with: 0 when the loader started it
 * (or thread.resume did), the `arg` of anv_thread_restart otherwise (a supervisor passes
 * the restart count). A restart without RELOAD keeps .data as it was; thread 0's start-up
 * code clears .bss either way. */
uint64_t anv_restart_arg(void);
/* Write out the calling thread's buffered console text now. */
void anv_console_flush(void);
/* Prepare the calling thread's C library state. The start-up code does this for every
 * thread it starts; a thread started at any other entry point calls it first. */
void anv_tls_init(void);
/* The body of thread `index` (1..) of a component declared with `threads = N;`: every
 * thread enters the program at the same point, and the start-up code sends thread 0 to
 * main() and the others here. The default just ends the thread. */
int anv_thread_main(uint32_t index);
/* End the calling thread: flush its console text, print "exit <status>" when status is
 * non-zero, then sleep for good. Returning from main() comes here. */
_Noreturn void anv_exit(int status);

#endif
