/* ELF64 inspection for the loader: every header field and segment is bounds-checked
 * against the file before anything is mapped. */
#include "boot/elf.h"

#include <anvaya/abi.h>

#define EM_RISCV 243
#define ET_EXEC 2
#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define PF_R 4

static uint64_t rd(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i > 0; i--)
        v = (v << 8) | p[i - 1];
    return v;
}

/* The n-byte field at f[at] of a len-byte file. Callers have checked that it lies in the
 * file; the test states that bound where an interval analysis can follow it
 * (tests/proof/eva), so no read leaves the file even if a caller's check were wrong. A
 * field that would cross the end reads as 0. */
static uint64_t rd_at(const uint8_t *f, size_t len, uint64_t at, unsigned n)
{
    if (len < n || at > len - n)
        return 0;
    return rd(f + at, n);
}

const char *elf_strerror(enum elf_status s)
{
    switch (s) {
    case ELF_OK: return "ok";
    case ELF_E_TRUNCATED: return "file truncated";
    case ELF_E_NOT_ELF: return "not an ELF64 little-endian file";
    case ELF_E_NOT_RV64_EXEC: return "not a RISC-V executable";
    case ELF_E_BAD_PHDR: return "bad program header table";
    case ELF_E_TOO_MANY_SEGMENTS: return "too many loadable segments";
    case ELF_E_SEGMENT_BOUNDS: return "segment outside the file";
    case ELF_E_USER_RANGE: return "segment outside user space";
    case ELF_E_WX: return "segment both writable and executable";
    case ELF_E_OVERLAP: return "segments share a page";
    case ELF_E_ENTRY: return "entry point not in an executable segment";
    }
    return "unknown ELF error";
}

enum elf_status elf_inspect(const void *data, size_t len, struct elf_info *out)
{
    const uint8_t *f = data;
    out->segment_count = 0;
    /* Entries past segment_count are never read, but starting them zeroed makes every
     * entry defined whatever the path (and lets Eva see it without tracking which). */
    for (uint32_t k = 0; k < ELF_MAX_SEGMENTS; k++)
        out->segments[k] = (struct elf_segment){0};
    if (len < 64)
        return ELF_E_TRUNCATED;
    if (f[0] != 0x7f || f[1] != 'E' || f[2] != 'L' || f[3] != 'F' || f[4] != 2 || f[5] != 1)
        return ELF_E_NOT_ELF;
    if (rd(f + 16, 2) != ET_EXEC || rd(f + 18, 2) != EM_RISCV)
        return ELF_E_NOT_RV64_EXEC;
    uint64_t phoff = rd(f + 32, 8);
    uint64_t phentsize = rd(f + 54, 2);
    uint64_t phnum = rd(f + 56, 2);
    if (phentsize != 56 || phoff > len || phnum * 56 > len - phoff)
        return ELF_E_BAD_PHDR;
    out->entry = rd(f + 24, 8);
    bool entry_ok = false;
    for (uint64_t i = 0; i < phnum; i++) {
        /* phoff <= len and phnum * 56 <= len - phoff: the whole header is in the file. */
        uint64_t ph = phoff + i * 56;
        if (rd_at(f, len, ph, 4) != PT_LOAD)
            continue;
        uint32_t flags = (uint32_t)rd_at(f, len, ph + 4, 4);
        uint64_t off = rd_at(f, len, ph + 8, 8), vaddr = rd_at(f, len, ph + 16, 8);
        uint64_t filesz = rd_at(f, len, ph + 32, 8), memsz = rd_at(f, len, ph + 40, 8);
        if (memsz == 0)
            continue;
        if (out->segment_count >= ELF_MAX_SEGMENTS)
            return ELF_E_TOO_MANY_SEGMENTS;
        if (off > len || filesz > len - off || memsz < filesz)
            return ELF_E_SEGMENT_BOUNDS;
        if (vaddr < ANV_USER_BASE || vaddr >= ANV_USER_TOP || memsz > ANV_USER_TOP - vaddr)
            return ELF_E_USER_RANGE;
        if ((flags & PF_W) && (flags & PF_X))
            return ELF_E_WX;
        struct elf_segment *s = &out->segments[out->segment_count];
        s->vaddr = vaddr & ~(uint64_t)(ANV_PAGE_SIZE - 1);
        s->mem_size = ((vaddr + memsz + ANV_PAGE_SIZE - 1) & ~(uint64_t)(ANV_PAGE_SIZE - 1)) - s->vaddr;
        s->file_off = off;
        s->file_size = filesz;
        s->seg_vaddr = vaddr;
        s->rights = ANV_RIGHT_READ | ((flags & PF_W) ? ANV_RIGHT_WRITE : 0) |
                    ((flags & PF_X) ? ANV_RIGHT_EXEC : 0);
        for (uint32_t k = 0; k < out->segment_count; k++) {
            const struct elf_segment *o = &out->segments[k];
            if (s->vaddr < o->vaddr + o->mem_size && o->vaddr < s->vaddr + s->mem_size)
                return ELF_E_OVERLAP;
        }
        if ((flags & PF_X) && out->entry >= vaddr && out->entry < vaddr + memsz)
            entry_ok = true;
        out->segment_count++;
    }
    if (!entry_ok)
        return ELF_E_ENTRY;
    return ELF_OK;
}
