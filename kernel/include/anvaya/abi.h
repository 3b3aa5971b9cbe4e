/* The Nucleus ABI: the single definition of syscall numbers, error codes, object
 * types, rights, handle and message layouts, shared by kernel, SDK, generator and docs.
 * The generator reads the `#define ANV_...` lines of this file; keep them one per line. */
#ifndef ANVAYA_ABI_H
#define ANVAYA_ABI_H

#include <stdint.h>

/* ABI version reported by abi.version: major in bits 31..16, minor in 15..0. 3.0: ecall
 * no longer preserves t0..t6 (RFC 0010 section 1). */
#define ANV_ABI_VERSION_MAJOR 3
#define ANV_ABI_VERSION_MINOR 0
#define ANV_ABI_VERSION ((ANV_ABI_VERSION_MAJOR << 16) | ANV_ABI_VERSION_MINOR)

/* ---- Syscall numbers (RFC 0010), passed in a7 ---------------------------------------- */
#define ANV_SYS_ABI_VERSION 0
#define ANV_SYS_CAP_IDENTIFY 1
#define ANV_SYS_CAP_DELEGATE 2
#define ANV_SYS_CAP_REVOKE 3
#define ANV_SYS_CAP_DELETE 4
#define ANV_SYS_IPC_SEND 5
#define ANV_SYS_IPC_RECEIVE 6
#define ANV_SYS_IPC_CALL 7
#define ANV_SYS_IPC_REPLY 8
#define ANV_SYS_IPC_REPLY_RECV 9
#define ANV_SYS_IPC_CANCEL 10
#define ANV_SYS_WAIT_ONE 11
#define ANV_SYS_CANCEL_TOKEN 12
#define ANV_SYS_NTFN_SIGNAL 13
#define ANV_SYS_MEM_FRAME_ALLOC 14
#define ANV_SYS_MEM_MAP 15
#define ANV_SYS_MEM_UNMAP 16
#define ANV_SYS_THREAD_YIELD 17
#define ANV_SYS_THREAD_RESUME 18
#define ANV_SYS_AUDIT_READ 19
#define ANV_SYS_DEBUG_WRITE 20
#define ANV_SYS_SYSTEM_SHUTDOWN 21
#define ANV_SYS_IRQ_ACK 22
#define ANV_SYS_THREAD_STOP 23
#define ANV_SYS_THREAD_RESTART 24
#define ANV_SYS_MEM_FRAME_PADDR 25
#define ANV_SYS_PROC_EXIT 26
#define ANV_SYS_COUNT 27

/* ---- Error codes, returned in a0 (0 is success) ------------------------------------ */
#define ANV_OK 0
#define ANV_E_NOSYS 1           /* unknown syscall number */
#define ANV_E_BAD_HANDLE 2      /* malformed handle: wrong format tag or slot out of range */
#define ANV_E_STALE_HANDLE 3    /* generation does not match: the slot was emptied or reused */
#define ANV_E_EMPTY_SLOT 4      /* handle names an empty slot */
#define ANV_E_WRONG_TYPE 5      /* capability is not of the type the call needs */
#define ANV_E_RIGHTS 6          /* capability lacks a right the call needs */
#define ANV_E_INVALID_ARG 7     /* argument out of its documented range */
#define ANV_E_SLOT_OCCUPIED 8   /* destination slot is not empty */
#define ANV_E_QUOTA 9           /* pool or table exhausted */
#define ANV_E_MSG_TOO_LONG 10   /* payload longer than ANV_IPC_MAX_WORDS */
#define ANV_E_TOO_MANY_CAPS 11  /* more than ANV_IPC_MAX_CAPS transfers, or any on a fault reply */
#define ANV_E_REVOKED 12        /* the object waited on was revoked or deleted */
#define ANV_E_CANCELLED 13      /* woken by ipc.cancel, cancel_token or thread.stop */
#define ANV_E_TIMEOUT 14        /* wait_one timed out */
#define ANV_E_NOTHING_PENDING 15 /* cancel found nothing to cancel */
#define ANV_E_WX 16             /* write and execute requested together */
#define ANV_E_OVERLAP 17        /* page already mapped */
#define ANV_E_BAD_ADDRESS 18    /* address unaligned or outside the user half */
#define ANV_E_QUEUE_FULL 19     /* endpoint queue at its bound */
#define ANV_E_NO_SLOTS 20       /* receiver CSpace has no free slot for a transferred cap */
#define ANV_E_BUSY 21           /* object is in a state that forbids the call */
#define ANV_E_RESERVED_SLOT 22  /* destination is a well-known or manifest-placed slot */
#define ANV_E_COUNT 23

/* ---- Object types ------------------------------------------------------------------- */
#define ANV_OBJ_NULL 0
#define ANV_OBJ_CSPACE 1
#define ANV_OBJ_THREAD 2
#define ANV_OBJ_ENDPOINT 3
#define ANV_OBJ_NOTIFICATION 4
#define ANV_OBJ_REPLY 5
#define ANV_OBJ_FRAME 6
#define ANV_OBJ_VSPACE 7
#define ANV_OBJ_POOL 8
#define ANV_OBJ_IRQ 9
#define ANV_OBJ_AUDIT 10
#define ANV_OBJ_CONSOLE 11
#define ANV_OBJ_MAPPING 12
#define ANV_OBJ_SYSCTL 13
#define ANV_OBJ_COUNT 14
/* Each type's name in ANV_OBJ_* order, as CSpace manifests and capability reports spell it. */
#define ANV_OBJ_NAMES {"NULL", "CSPACE", "THREAD", "ENDPOINT", "NOTIFICATION", "REPLY", \
    "FRAME", "VSPACE", "POOL", "IRQ", "AUDIT", "CONSOLE", "MAPPING", "SYSCTL"}

/* ---- Rights (meaning per object type in docs/abi/rfc-0010-syscalls.md) -------------- */
#define ANV_RIGHT_READ 0x1u  /* receive, wait, identify contents, map readable */
#define ANV_RIGHT_WRITE 0x2u /* send, call, signal, allocate, control, map writable */
#define ANV_RIGHT_EXEC 0x4u  /* frames: map executable */
#define ANV_RIGHT_GRANT 0x8u /* endpoints: transfer capabilities with a message */
#define ANV_RIGHTS_ALL 0xFu

/* ---- Handles (RFC 0007): tag | generation | slot --------------------------------------
 * bits 63..60  format tag, ANV_HANDLE_TAG_SOFT (0x1) for this software representation
 * bits 59..56  reserved, zero
 * bits 55..24  generation of the slot when the handle was issued (32 bits)
 * bits 23..0   slot index in the holder's CSpace                                          */
#define ANV_HANDLE_TAG_SOFT 0x1u
#define ANV_HANDLE_TAG_SHIFT 60
#define ANV_HANDLE_GEN_SHIFT 24
#define ANV_HANDLE_GEN_MASK 0xFFFFFFFFu
#define ANV_HANDLE_SLOT_MASK 0xFFFFFFu
#define ANV_HANDLE_NULL 0u

/* Each field's unit: a handle is tag * TAG_UNIT + reserved * RESERVED_UNIT + generation *
 * GEN_UNIT + slot, every field below its unit's next. The fields are read by unsigned
 * division and modulo by these powers of two (the compiler emits the same shifts and
 * masks), so that the provers reason about them in linear arithmetic: over shifts and
 * masks CVC4 and Z3 prove no relation between a handle and its fields (docs/assurance.md). */
#define ANV_HANDLE_TAG_UNIT ((uint64_t)1 << ANV_HANDLE_TAG_SHIFT)
#define ANV_HANDLE_RESERVED_UNIT ((uint64_t)1 << 56)
#define ANV_HANDLE_GEN_UNIT ((uint64_t)1 << ANV_HANDLE_GEN_SHIFT)
#define ANV_HANDLE_GEN_RANGE ((uint64_t)ANV_HANDLE_GEN_MASK + 1)
#define ANV_HANDLE_SLOT_RANGE ((uint64_t)ANV_HANDLE_SLOT_MASK + 1)

/* The handle fields as ACSL logic functions, the same expressions as the C below, so
 * the kernel's contracts (docs/assurance.md) speak of exactly these bits. */
/*@ logic integer anv_handle_tag_of(uint64_t h) = h / ANV_HANDLE_TAG_UNIT;
    logic integer anv_handle_reserved_of(uint64_t h) = h / ANV_HANDLE_RESERVED_UNIT % 16;
    logic integer anv_handle_generation_of(uint64_t h) =
        h / ANV_HANDLE_GEN_UNIT % ANV_HANDLE_GEN_RANGE;
    logic integer anv_handle_slot_of(uint64_t h) = h % ANV_HANDLE_SLOT_RANGE;
*/

/*@ assigns \nothing;
    ensures anv_handle_tag_of(\result) == ANV_HANDLE_TAG_SOFT &&
        anv_handle_reserved_of(\result) == 0 &&
        anv_handle_generation_of(\result) == generation &&
        anv_handle_slot_of(\result) == slot % ANV_HANDLE_SLOT_RANGE;
*/
static inline uint64_t anv_handle_make(uint32_t slot, uint32_t generation)
{
    return ANV_HANDLE_TAG_SOFT * ANV_HANDLE_TAG_UNIT + generation * ANV_HANDLE_GEN_UNIT +
           slot % ANV_HANDLE_SLOT_RANGE;
}
/*@ assigns \nothing; ensures \result == anv_handle_tag_of(h); */
static inline uint32_t anv_handle_tag(uint64_t h)
{
    return (uint32_t)(h / ANV_HANDLE_TAG_UNIT);
}
/*@ assigns \nothing; ensures \result == anv_handle_reserved_of(h); */
static inline uint32_t anv_handle_reserved(uint64_t h)
{
    return (uint32_t)(h / ANV_HANDLE_RESERVED_UNIT % 16);
}
/*@ assigns \nothing; ensures \result == anv_handle_generation_of(h); */
static inline uint32_t anv_handle_generation(uint64_t h)
{
    return (uint32_t)(h / ANV_HANDLE_GEN_UNIT % ANV_HANDLE_GEN_RANGE);
}
/*@ assigns \nothing; ensures \result == anv_handle_slot_of(h); */
static inline uint32_t anv_handle_slot(uint64_t h)
{
    return (uint32_t)(h % ANV_HANDLE_SLOT_RANGE);
}

/* ---- Well-known CSpace slots the loader fills (capabilities of generation 0) ---------- */
#define ANV_SLOT_NULL 0
#define ANV_SLOT_CSPACE 1   /* the process's own CSpace */
#define ANV_SLOT_VSPACE 2   /* its address space */
#define ANV_SLOT_THREAD 3   /* its first thread */
#define ANV_SLOT_IPCBUF 4   /* that thread's IPC buffer frame */
#define ANV_SLOT_FAULT 5    /* endpoint its faults are reported to (may be empty) */
#define ANV_SLOT_CONSOLE 6  /* console for debug.write (may be empty) */
/* The most bytes one debug.write takes (longer ones are ANV_E_INVALID_ARG). */
#define ANV_DEBUG_WRITE_MAX 256
#define ANV_SLOT_POOL 7     /* memory pool for mem.frame_alloc (may be empty) */
#define ANV_SLOT_FIRST_FREE 8

/* ---- IPC messages --------------------------------------------------------------------
 * msginfo word: bits 63..32 label, bits 11..8 capability count, bits 7..0 payload words.
 * Payload words 0..3 travel in a2..a5; all words also live in the IPC buffer's mr[].    */
#define ANV_IPC_REG_WORDS 4
#define ANV_IPC_MAX_WORDS 64
#define ANV_IPC_MAX_CAPS 4
#define ANV_IPC_QUEUE_MAX 32 /* bound on threads queued on one endpoint */

/*@ logic integer anv_msginfo_label_of(uint64_t mi) = (uint32_t)(mi >> 32);
    logic integer anv_msginfo_words_of(uint64_t mi) = (uint32_t)(mi & 0xFFu);
    logic integer anv_msginfo_caps_of(uint64_t mi) = (uint32_t)((mi >> 8) & 0xFu);
*/
/*@ assigns \nothing; */
static inline uint64_t anv_msginfo(uint32_t label, uint32_t words, uint32_t caps)
{
    return ((uint64_t)label << 32) | ((uint64_t)(caps & 0xFu) << 8) | (words & 0xFFu);
}
/*@ assigns \nothing; ensures \result == anv_msginfo_label_of(mi); */
static inline uint32_t anv_msginfo_label(uint64_t mi)
{
    return (uint32_t)(mi >> 32);
}
/*@ assigns \nothing; ensures \result == anv_msginfo_words_of(mi); */
static inline uint32_t anv_msginfo_words(uint64_t mi)
{
    return (uint32_t)(mi & 0xFFu);
}
/*@ assigns \nothing; ensures \result == anv_msginfo_caps_of(mi); */
static inline uint32_t anv_msginfo_caps(uint64_t mi)
{
    return (uint32_t)((mi >> 8) & 0xFu);
}

/* The per-thread IPC buffer: one page mapped at a user address the manifest chooses. */
struct anv_ipc_buffer {
    uint64_t mr[ANV_IPC_MAX_WORDS];          /* payload words */
    uint64_t caps_out[ANV_IPC_MAX_CAPS];     /* handles the sender transfers */
    uint64_t caps_in[ANV_IPC_MAX_CAPS];      /* handles the receiver got, in its CSpace */
    uint64_t caps_out_rights[ANV_IPC_MAX_CAPS]; /* rights mask applied to each transfer */
    uint64_t badge;                          /* badge of the capability the message came in on */
};

/* ---- Memory --------------------------------------------------------------------------- */
#define ANV_PAGE_SIZE 4096u
#define ANV_MEGAPAGE_SIZE 0x200000u  /* a 2 MiB-aligned run maps with one megapage entry */
#define ANV_FRAME_MAX_PAGES 0x100000u /* most pages one mem.frame_alloc asks for */
#define ANV_USER_BASE 0x10000ull      /* lowest mappable user address */
#define ANV_USER_TOP 0x4000000000ull  /* Sv39 lower half ends here (exclusive) */

/* ---- thread.restart flags (a1) ------------------------------------------------------ */
#define ANV_RESTART_RELOAD 0x1u /* first restore the process's writable ELF segments and
                                 * delete the capabilities it acquired at run time */
#define ANV_RESTART_ALL 0x1u

/* ---- wait_one results (a1 on success) ---------------------------------------------- */
#define ANV_WAIT_NOTIFIED 1
#define ANV_WAIT_TIMEOUT 2

/* ---- Fault records delivered to a thread's fault endpoint (label) -------------------- */
#define ANV_FAULT_LABEL 0xFA017u
/* words: 0 scause, 1 sepc, 2 stval, 3 thread badge. The handler's reply label decides: */
#define ANV_FAULT_RESUME 0 /* retry the faulting instruction */
#define ANV_FAULT_SKIP 1   /* continue after it */
#define ANV_FAULT_STOP 2   /* leave the thread stopped (thread.resume restarts it) */

/* ---- Exit records: proc.exit sends one to the fault endpoint (label) ------------------
 * words: 0 status, 1 sepc of the exit call, 2 zero, 3 thread badge. The process is
 * stopped whatever the reply says; its supervisor restarts it or leaves it. */
#define ANV_EXIT_LABEL 0xE417u

/* ---- Audit records (audit.read returns seq, event, subject, object, arg, result) ----- */
#define ANV_AUDIT_DELEGATE 1  /* object = source object, arg = new rights, result = error */
#define ANV_AUDIT_REVOKE 2    /* arg = capabilities removed */
#define ANV_AUDIT_DELETE 3
#define ANV_AUDIT_DENIED 4    /* a refused syscall: arg = syscall number, result = error */
#define ANV_AUDIT_FAULT 5     /* a U-mode fault: arg = scause */
#define ANV_AUDIT_TRANSFER 6  /* capability moved over IPC: arg = rights */
#define ANV_AUDIT_THREAD_STOP 7    /* thread.stop: object = the thread, arg = 1 if its caller
                                    * was released (it owed a reply), else 0 */
#define ANV_AUDIT_THREAD_RESTART 8 /* thread.restart: object = the thread, arg = flags in bits
                                    * 31..0, capabilities RELOAD deleted in bits 63..32 */
#define ANV_AUDIT_EXIT 9      /* proc.exit: object = the thread, arg = status */
#define ANV_AUDIT_RING 128    /* records kept */

/* ---- Shared with the generator, the SDK and init (codegen/abi.py reads these) --------- */
/* Rights as letters, in bit order: letter i names the right 1 << i (r = ANV_RIGHT_READ,
 * w = WRITE, x = EXEC, g = GRANT), as the IDL, CSpace manifests and reports spell them. */
#define ANV_RIGHT_LETTERS "rwxg"

/* The address space the generator gives every process (docs/generator.md, "Address space
 * of every process"); the kernel itself only requires [ANV_USER_BASE, ANV_USER_TOP). */
#define ANV_USER_IMAGE_BASE 0x400000ull     /* program image (every ELF links here) */
#define ANV_USER_IPCBUF 0x10000000ull       /* thread 0's IPC buffer, then a guard page */
#define ANV_USER_STACK_BASE 0x10002000ull   /* thread 0's stack, up to the heap */
#define ANV_USER_HEAP_BASE 0x20000000ull
#define ANV_USER_DATAPORT_BASE 0x30000000ull
#define ANV_USER_DEVICE_BASE 0x40000000ull  /* device MMIO */
#define ANV_USER_DMA_BASE 0x50000000ull
#define ANV_USER_DMA_TOP 0x80000000ull      /* DMA buffers end below this */
#define ANV_USER_REGION_BASE 0x100000000ull /* reserved regions, up to ANV_USER_TOP */

/* Interrupt numbers are 1..ANV_IRQ_MAX-1 (0 means none); the generator refuses others. */
#define ANV_IRQ_MAX 128

/* Memory the generator and the boot pre-flight test set aside for the kernel (its image,
 * stacks and early allocations) before its loader creates the system's objects; the
 * pre-flight test subtracts the boot image on top. */
#define ANV_KERNEL_RESERVED_BYTES 0x800000u

/* Words of one audit record as the SDK's anv_audit_read returns it: seq, event, subject,
 * object, arg, result (a1..a6 of audit.read) and the next sequence number (a7). */
#define ANV_AUDIT_RECORD_WORDS 7

/* The service manager's numbers (protocol in components/sdk/include/anvaya/services.h).
 * A badge on the supervisor's endpoint carries its class in bits 35..32 and the sender's
 * number (a service's, or a requesting client's, from 1) in bits 31..0. */
#define ANV_SM_BADGE_SHIFT 32
#define ANV_SM_BADGE_FAULT 1u    /* a service's fault or exit record */
#define ANV_SM_BADGE_CLIENT 2u   /* a registry or management request */
#define ANV_SM_MAX_THREADS 16u   /* threads per component (`threads = N;`) */
#define ANV_SM_MAX_REGISTRY 256u /* registry entries at most (`registry = N;`) */
#define ANV_SM_MAX_SERVICES 64u  /* services one supervisor manages */
#endif
