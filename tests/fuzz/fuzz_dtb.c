/* libFuzzer harness for the kernel's device tree reader (kernel/boot/dtb.c): whatever the
 * input, dtb_parse reads only inside it, reports the status it returns, leaves the
 * inventory zeroed on an error, and on success fills it within its fixed bounds. */
#include <stdint.h>
#include <string.h>

#include "boot/dtb.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int nul_inside(const char *s, size_t cap)
{
    return memchr(s, 0, cap) != NULL;
}

static void check_device(const struct dtb_device *d)
{
    FUZZ_CHECK(d->present == 0 || d->present == 1, "present flag");
    FUZZ_CHECK(nul_inside(d->path, sizeof d->path), "device path terminated");
    FUZZ_CHECK(nul_inside(d->compatible, sizeof d->compatible), "compatible terminated");
    FUZZ_CHECK(!d->present || d->path[0] == '/', "device path absolute");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dtb_inventory inv;
    static const struct dtb_inventory zero;
    struct dtb_error err;
    enum dtb_status st = dtb_parse(data, size, &inv, &err);
    FUZZ_CHECK(dtb_strerror(st) != NULL, "status text");
    FUZZ_CHECK(err.status == st, "error status is the returned status");
    if (st != DTB_OK) {
        FUZZ_CHECK(memcmp(&inv, &zero, sizeof inv) == 0, "inventory zeroed on error");
        FUZZ_CHECK(err.offset <= size || err.offset == UINT32_MAX, "error offset");
        return 0;
    }
    FUZZ_CHECK(inv.totalsize >= 40 && inv.totalsize <= size, "totalsize inside the input");
    FUZZ_CHECK(inv.memory_count >= 1 && inv.memory_count <= DTB_MAX_MEMORY, "memory count");
    FUZZ_CHECK(inv.rsvmap_count <= DTB_MAX_RESERVED && inv.reserved_count <= DTB_MAX_RESERVED,
               "reservation counts");
    FUZZ_CHECK(inv.cpu_count <= DTB_MAX_CPUS && inv.virtio_count <= DTB_MAX_VIRTIO, "counts");
    FUZZ_CHECK(nul_inside(inv.model, sizeof inv.model), "model terminated");
    FUZZ_CHECK(nul_inside(inv.stdout_path, sizeof inv.stdout_path), "stdout-path terminated");
    FUZZ_CHECK(nul_inside(inv.bootargs, sizeof inv.bootargs), "bootargs terminated");
    check_device(&inv.uart);
    check_device(&inv.plic);
    check_device(&inv.test);
    for (uint32_t i = 0; i < inv.virtio_count; i++) {
        check_device(&inv.virtio[i]);
        FUZZ_CHECK(inv.virtio[i].present, "virtio device present");
    }
    return 0;
}
