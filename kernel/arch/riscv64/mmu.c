/* The Sv39 hardware hooks: per-address-space ASIDs, switching spaces without a full TLB
 * flush, and flushing only the entries of the space whose mappings changed. */
#include "mmu.h"

#include "asid.h"
#include "csr.h"
#include "object/vspace.h"

#define SATP_ASID_SHIFT 44
#define SATP_ASID_MASK 0xFFFFull

const struct vspace *mmu_active;
uint32_t mmu_asid_generation = ASID_GENERATION_NONE;
static struct asid_allocator mmu_asids;
static bool mmu_asids_probed;

/* How many ASID bits the hart implements: write all ones to satp.ASID and read back
 * (WARL), with the current root kept, then put the old value back. */
static uint32_t mmu_probe_asid_bits(void)
{
    uint64_t old = csr_read(satp);
    csr_write(satp, old | (SATP_ASID_MASK << SATP_ASID_SHIFT));
    uint64_t got = (csr_read(satp) >> SATP_ASID_SHIFT) & SATP_ASID_MASK;
    csr_write(satp, old);
    arch_sfence_vma_all();
    uint32_t bits = 0;
    while (bits < 16 && (got & (1ull << bits)))
        bits++;
    return bits;
}

void mmu_activate(struct vspace *vs)
{
    if (!mmu_asids_probed) {
        asid_init(&mmu_asids, mmu_probe_asid_bits());
        mmu_asids_probed = true;
    }
    bool flush = asid_assign(&mmu_asids, vs);
    /* Without ASIDs every switch must flush: the inline path must never match. */
    mmu_asid_generation = mmu_asids.max ? mmu_asids.generation : ASID_GENERATION_NONE;
    csr_write(satp, vs->satp);
    /* After the write: entries made under the old satp meanwhile go too. */
    if (flush)
        arch_sfence_vma_all();
    mmu_active = vs;
}

void vs_arch_flush_page(const struct vspace *vs, uint64_t vaddr)
{
    if (!mmu_asids_probed || !asid_live(&mmu_asids, vs))
        return; /* it never ran under an ASID still in use: nothing of it is cached */
    __asm__ volatile("sfence.vma %0, %1" ::"r"(vaddr), "r"((uint64_t)vs->asid) : "memory");
}

void vs_arch_flush_all(const struct vspace *vs)
{
    if (!mmu_asids_probed || !asid_live(&mmu_asids, vs))
        return;
    __asm__ volatile("sfence.vma zero, %0" ::"r"((uint64_t)vs->asid) : "memory");
}

void vs_arch_activate(struct vspace *vs)
{
    mmu_activate(vs);
}
