/* Lazy floating-point context switching: sstatus.FS is Off for threads that never ran an
 * F/D instruction, so they trap on their first one and only then get FP state; the
 * registers of the last FP thread stay live until another FP thread needs them, and are
 * saved only if sstatus.FS says they changed. */
#include "fpu.h"

#include "object/object.h"
#include "csr.h"

#define FS_CLEAN (2ul << 13)
#define FS_DIRTY (3ul << 13)

/* sstatus.FS is not Off: the thread entered last is an FP thread, the owner. */
static uint8_t fpu_fs_live;
static struct thread *fpu_owner;
static bool fpu_owner_dirty;

void fpu_init(void)
{
    csr_clear(sstatus, SSTATUS_FS_MASK);
    fpu_fs_live = 0;
    fpu_owner = 0;
    fpu_owner_dirty = false;
}

/* While FS is on, only the owner has run with it since FS was last set Clean. */
static void fpu_note_dirty(void)
{
    if (fpu_fs_live && (csr_read(sstatus) & SSTATUS_FS_MASK) == FS_DIRTY)
        fpu_owner_dirty = true;
}

/* Put t's registers in the hardware (FS must allow access). */
static void fpu_take(struct thread *t)
{
    if (fpu_owner == t)
        return;
    if (fpu_owner && fpu_owner_dirty)
        fpu_save_regs(&fpu_owner->fp);
    fpu_load_regs(&t->fp);
    fpu_owner = t;
    fpu_owner_dirty = false;
}

/* Enter t with FS Clean: a write by t turns it Dirty, which the next switch notices. */
static void fpu_enter_clean(struct thread *t)
{
    csr_set(sstatus, FS_DIRTY);
    fpu_take(t);
    csr_clear(sstatus, SSTATUS_FS_MASK);
    csr_set(sstatus, FS_CLEAN);
    fpu_fs_live = 1;
}

void fpu_switch_to(struct thread *t)
{
    fpu_note_dirty();
    if (t->switch_work & THREAD_SWITCH_FP) {
        fpu_enter_clean(t);
    } else {
        csr_clear(sstatus, SSTATUS_FS_MASK);
        fpu_fs_live = 0;
    }
}

void fpu_park(void)
{
    fpu_note_dirty();
    csr_clear(sstatus, SSTATUS_FS_MASK);
    fpu_fs_live = 0;
}

bool fpu_first_use(struct thread *t, uint32_t insn, uint32_t insn_len)
{
    if ((t->switch_work & THREAD_SWITCH_FP) || !fpu_insn_is_fp(insn, insn_len))
        return false;
    fpu_note_dirty();
    /* A new FP thread starts from zeroed registers and fcsr, never from what the previous
     * owner left in the hardware. */
    struct fp_state zero = {{0}, 0};
    t->fp = zero;
    t->switch_work |= THREAD_SWITCH_FP;
    if (fpu_owner == t)
        fpu_owner = 0;
    fpu_enter_clean(t);
    return true;
}

void fpu_forget(struct thread *t)
{
    t->switch_work &= (uint8_t)~THREAD_SWITCH_FP;
    if (fpu_owner == t) {
        fpu_owner = 0;
        fpu_owner_dirty = false;
    }
}
