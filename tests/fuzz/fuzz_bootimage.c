/* libFuzzer harness for the whole boot-time validation of a system image: the input is
 * a boot image as tools/mkimage.py writes it after the kernel (header, manifest, ELFs).
 * The header is checked as kernel/boot/system.c does, the manifest's CRC-32 is recomputed so
 * mutations reach the decoder, and an accepted manifest goes through the pre-flight
 * (loader_check: ELFs, rights, overlaps, devices, memory) with its ELFs in the input. */
#include <stdint.h>

#include <anvaya/bootimage.h>

#include "fuzz_common.h"
#include "fuzz_platform.h"
#include "boot/loader_check.h"
#include "boot/manifest.h"

#define FUZZ_MAX_MANIFEST (16u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int k = 7; k >= 0; k--)
        v = (v << 8) | p[k];
    return v;
}

/* What the loader will build from an accepted plan: every ELF inside the image, every
 * thread with an entry point, the plan's totals the same as the report's. */
static void check_plan(const struct manifest_view *v, const struct boot_plan *plan,
                       const uint8_t *image, uint64_t total,
                       const struct loader_check_report *report)
{
    FUZZ_CHECK(plan->pages_needed == report->pages_needed, "plan and report disagree on pages");
    FUZZ_CHECK(plan->pt_pages == report->pt_pages, "plan and report disagree on page tables");
    FUZZ_CHECK(plan->object_count == manifest_count(v, MANIFEST_T_OBJECT), "plan objects");
    FUZZ_CHECK(plan->thread_count == manifest_count(v, MANIFEST_T_THREAD), "plan threads");
    for (uint32_t i = 0; i < plan->process_count; i++) {
        const struct plan_process *pp = &plan->processes[i];
        if (pp->elf == NULL)
            continue;
        FUZZ_CHECK(pp->elf >= image && pp->elf_size <= total &&
                       (uint64_t)(pp->elf - image) <= total - pp->elf_size,
                   "plan ELF outside the image");
    }
    for (uint32_t i = 0; i < plan->thread_count; i++)
        FUZZ_CHECK(plan->threads[i].start.pc != 0, "planned thread without an entry point");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct manifest_view v;
    static struct loader_check_report report;
    static struct boot_plan plan;
    if (size < sizeof(struct bootimage_header))
        return 0;
    /* system.c's boot_image_size, with the input as the bound instead of 64 MiB. */
    uint64_t total = rd64(data + 8), moff = rd64(data + 16), msize = rd64(data + 24);
    if (total < sizeof(struct bootimage_header) || total > size ||
        moff < sizeof(struct bootimage_header) || moff > total || msize > total - moff)
        return 0;
    /* The build's manifests are a few KiB; a mutated size in the megabytes only spends
     * the run on the bitwise CRC-32 (twice) and finds nothing new. */
    if (msize > FUZZ_MAX_MANIFEST)
        return 0;
    uint8_t *image = malloc(total);
    memcpy(image, data, total);
    fuzz_reseal(image + moff, (size_t)msize);
    if (manifest_open(&v, image + moff, (size_t)msize) != MANIFEST_OK) {
        fuzz_check_message(v.message, sizeof v.message);
    } else {
        struct loader_check_platform pf = fuzz_platform(image, total);
        if (loader_check(&v, &pf, &plan, &report)) {
            FUZZ_CHECK(report.message[0] == '\0', "accepted with a message");
            FUZZ_CHECK(report.pages_needed <= pf.free_pages, "accepted beyond memory");
            FUZZ_CHECK(report.pt_pages <= PLAN_PT_POOL_MAX, "page tables");
            check_plan(&v, &plan, image, total, &report);
        } else {
            fuzz_check_message(report.message, sizeof report.message);
        }
    }
    free(image);
    return 0;
}
