/* The kernel's boot pre-flight (kernel/boot/manifest.c + kernel/boot/loader_check.c, compiled for the
 * host) run on a packed system's final manifest and boot image, so a system the kernel
 * would refuse at boot fails the build's tests first, with the kernel's own message.
 * Usage: codegen-preflight SYSTEM MANIFEST BOOTIMAGE [RAM_MIB] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <anvaya/abi.h>

#include "boot/loader_check.h"
#include "boot/manifest.h"

static uint8_t *preflight_read(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1u << 16, len = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
        if (len == cap) {
            if (cap > (256u << 20)) { /* no boot image is this large: stop */
                free(buf);
                buf = NULL;
                break;
            }
            uint8_t *grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    if (fclose(f) != 0 && buf != NULL) {
        free(buf);
        buf = NULL;
    }
    *size = len;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s SYSTEM MANIFEST BOOTIMAGE [RAM_MIB]\n", argv[0]);
        return 2;
    }
    unsigned long ram_mib = argc == 5 ? strtoul(argv[4], NULL, 10) : 256;
    if (ram_mib == 0 || ram_mib > 65536) {
        fprintf(stderr, "%s: RAM of %s MiB is outside 1..65536\n", argv[1], argv[4]);
        return 2;
    }
    size_t msize = 0, isize = 0;
    uint8_t *man = preflight_read(argv[2], &msize);
    uint8_t *img = preflight_read(argv[3], &isize);
    if (man == NULL || img == NULL) {
        fprintf(stderr, "%s: cannot read %s\n", argv[1], man == NULL ? argv[2] : argv[3]);
        free(man);
        free(img);
        return 2;
    }
    static struct manifest_view view;
    static struct loader_check_report report;
    static struct dtb_inventory inv;
    int rc = 0;
    enum manifest_error e = manifest_open(&view, man, msize);
    if (e != MANIFEST_OK) {
        fprintf(stderr, "%s: error: the kernel's decoder refuses the manifest: %s\n", argv[1],
                view.message);
        rc = 1;
    } else {
        /* The QEMU virt machine the project boots: RAM at 0x80000000, the PLIC with 95
         * sources (what kernel/boot/dtb.c reads from QEMU's device tree). */
        memset(&inv, 0, sizeof inv);
        inv.memory_count = 1;
        inv.memory[0].base = 0x80000000u;
        inv.memory[0].size = (uint64_t)ram_mib << 20;
        inv.plic.present = 1;
        inv.plic.base = 0xc000000u;
        inv.plic.size = 0x600000u;
        inv.plic_ndev = 95;
        /* Boot pages left after the kernel, its stacks and the boot image: RAM minus the
         * generous ANV_KERNEL_RESERVED_BYTES (abi.h, the generator's figure too) for what
         * precedes the loader, and the image. */
        uint64_t free_pages = (((uint64_t)ram_mib << 20) - ANV_KERNEL_RESERVED_BYTES - isize) /
                              ANV_PAGE_SIZE;
        struct loader_check_platform pf = {img, isize, &inv, free_pages};
        if (!loader_check(&view, &pf, &report)) {
            fprintf(stderr, "%s: error: the kernel's boot pre-flight would refuse this system: %s\n",
                    argv[1], report.message);
            rc = 1;
        } else {
            printf("%s: the kernel's pre-flight accepts it: %lu boot pages (%u for page tables)\n",
                   argv[1], (unsigned long)report.pages_needed, report.pt_pages);
        }
    }
    free(man);
    free(img);
    return rc;
}
