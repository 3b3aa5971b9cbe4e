/* Process records: what the loader knows about each process that thread.restart needs
 * later (its CSpace and which slots the manifest filled, its writable ELF segments and
 * where their bytes are in the boot image, its threads). One record per process,
 * allocated at boot; nothing here allocates. */
#ifndef ANVAYA_KERNEL_PROCESS_H
#define ANVAYA_KERNEL_PROCESS_H

#include "boot/elf.h"
#include "object/object.h"

#define PROC_MAX_SEGMENTS ELF_MAX_SEGMENTS

/* One ELF segment as loaded: pages [paddr, paddr + pages * 4096) hold `file_size` bytes
 * from `file` at offset `offset` into the first page, and zeros around them. */
struct proc_segment {
    uint64_t paddr;
    uint32_t pages;
    uint64_t offset;    /* the segment's own start minus its page-aligned start */
    const uint8_t *file; /* in the boot image, which stays resident (pmem excludes it) */
    uint64_t file_size;
};

struct proc {
    struct cspace *cspace;
    uint32_t manifest_top;     /* highest slot the manifest filled; above it: run time */
    uint32_t segment_count;
    struct proc_segment segments[PROC_MAX_SEGMENTS]; /* the writable ones only */
    struct thread *threads;    /* linked through thread->proc_next */
    uint32_t thread_count;
};

void proc_init(struct proc *p, struct cspace *cs, uint32_t manifest_top);

/* Fill a segment's pages from its file bytes, zeroing the rest (loading and reloading
 * are the same operation). */
void proc_segment_fill(const struct proc_segment *s);
/* Remember a writable segment for reload; ANV_E_QUOTA when the record is full. */
int proc_add_segment(struct proc *p, const struct proc_segment *s);

/* Make `t` a thread of `p` with its start state; it is made ready unless `held`, in
 * which case it stays stopped (TS_INACTIVE) until thread.resume or thread.restart. */
void proc_start_thread(struct proc *p, struct thread *t, const struct thread_start *start,
                       bool held);

/* Every thread of the process is stopped (RELOAD's precondition). */
bool proc_all_stopped(const struct proc *p);
/* thread.restart with ANV_RESTART_RELOAD, after proc_all_stopped: every writable segment
 * back to its boot image bytes and every capability the loader did not place deleted through
 * cap_delete. Returns the number of capabilities deleted. */
uint32_t proc_reload(struct proc *p);

#endif
