/* Checking and describing a static RV64 ELF executable before the loader maps it. */
#ifndef ANVAYA_KERNEL_ELF_H
#define ANVAYA_KERNEL_ELF_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 8

struct elf_segment {
    uint64_t vaddr;     /* page-aligned start of the mapping */
    uint64_t mem_size;  /* bytes from vaddr (page-rounded end) */
    uint64_t file_off;  /* where the bytes for seg_vaddr start in the file */
    uint64_t file_size;
    uint64_t seg_vaddr; /* the segment's own (possibly unaligned) start */
    uint32_t rights;    /* ANV_RIGHT_READ/WRITE/EXEC */
};

struct elf_info {
    uint64_t entry;
    uint32_t segment_count;
    struct elf_segment segments[ELF_MAX_SEGMENTS];
};

enum elf_status {
    ELF_OK = 0,
    ELF_E_TRUNCATED,
    ELF_E_NOT_ELF,
    ELF_E_NOT_RV64_EXEC,
    ELF_E_BAD_PHDR,
    ELF_E_TOO_MANY_SEGMENTS,
    ELF_E_SEGMENT_BOUNDS, /* file range outside the file, or memsz < filesz */
    ELF_E_USER_RANGE,     /* segment outside [ANV_USER_BASE, ANV_USER_TOP) */
    ELF_E_WX,             /* a segment both writable and executable */
    ELF_E_OVERLAP,        /* two segments share a page */
    ELF_E_ENTRY,          /* entry point not in an executable segment */
};

enum elf_status elf_inspect(const void *data, size_t len, struct elf_info *out);
const char *elf_strerror(enum elf_status s);

#endif
