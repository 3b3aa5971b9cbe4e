/* libFuzzer harness for the kernel's ELF inspector (kernel/boot/elf.c): whatever the input,
 * elf_inspect reads only inside it, and what it accepts is what the loader relies on:
 * every segment's bytes inside the file, page-aligned in user space, never W+X, no two
 * sharing a page, and the entry point in an executable segment. */
#include <stdint.h>

#include <anvaya/abi.h>

#include "boot/elf.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct elf_info info;
    enum elf_status st = elf_inspect(data, size, &info);
    FUZZ_CHECK(elf_strerror(st) != NULL, "status text");
    if (st != ELF_OK)
        return 0;
    FUZZ_CHECK(info.segment_count >= 1 && info.segment_count <= ELF_MAX_SEGMENTS, "segments");
    int entry_ok = 0;
    for (uint32_t i = 0; i < info.segment_count; i++) {
        const struct elf_segment *s = &info.segments[i];
        FUZZ_CHECK(s->file_off <= size && s->file_size <= size - s->file_off, "file bytes");
        FUZZ_CHECK((s->vaddr & (ANV_PAGE_SIZE - 1)) == 0 && (s->mem_size & (ANV_PAGE_SIZE - 1)) == 0,
                   "page alignment");
        FUZZ_CHECK(s->mem_size > 0 && s->vaddr >= ANV_USER_BASE && s->vaddr < ANV_USER_TOP &&
                       s->mem_size <= ANV_USER_TOP - s->vaddr,
                   "user range");
        FUZZ_CHECK(s->seg_vaddr >= s->vaddr && s->seg_vaddr - s->vaddr + s->file_size <= s->mem_size,
                   "file bytes fit the pages");
        FUZZ_CHECK((s->rights & ANV_RIGHT_READ) && (s->rights & 6u) != 6u, "rights");
        for (uint32_t k = 0; k < i; k++) {
            const struct elf_segment *o = &info.segments[k];
            FUZZ_CHECK(s->vaddr >= o->vaddr + o->mem_size || o->vaddr >= s->vaddr + s->mem_size,
                       "overlap");
        }
        if ((s->rights & ANV_RIGHT_EXEC) && info.entry >= s->vaddr &&
            info.entry < s->vaddr + s->mem_size)
            entry_ok = 1;
    }
    FUZZ_CHECK(entry_ok, "entry in an executable segment");
    return 0;
}
