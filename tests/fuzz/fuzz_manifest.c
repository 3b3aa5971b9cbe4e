/* libFuzzer harness for the kernel's manifest decoder (kernel/boot/manifest.c): manifest_open
 * on the input as given (the checksum path), then on a copy whose CRC-32 is recomputed
 * so the mutations reach the table and record checks. On success every record is
 * decoded and what docs/system-image-manifest.md promises is checked again here; on
 * failure the message must name a record and a field. Accepted manifests then go through
 * the boot pre-flight (loader_check) on a QEMU-virt-like platform with no ELFs. */
#include <stdint.h>

#include <anvaya/abi.h>

#include "fuzz_common.h"
#include "fuzz_platform.h"
#include "boot/loader_check.h"
#include "boot/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_user(uint64_t vaddr, uint64_t bytes, const char *what)
{
    FUZZ_CHECK(vaddr >= ANV_USER_BASE && vaddr < ANV_USER_TOP && bytes <= ANV_USER_TOP - vaddr,
               what);
}

/* Every accessor on every index the view claims, and the promises of an accepted view. */
static void walk(const struct manifest_view *v)
{
    struct manifest_process p;
    struct manifest_object o;
    struct manifest_slot s;
    struct manifest_mapping m;
    struct manifest_thread t;
    struct manifest_image im;
    uint32_t nstr = manifest_count(v, MANIFEST_T_STRING);
    FUZZ_CHECK(v->message[0] == '\0', "accepted view with a message");
    for (uint32_t i = 0; manifest_object(v, i, &o); i++) {
        FUZZ_CHECK(o.name < nstr, "object name outside the strings");
        FUZZ_CHECK(strlen(manifest_string(v, o.name)) < nstr, "object name unterminated");
        FUZZ_CHECK(o.type != ANV_OBJ_NULL && o.type < ANV_OBJ_COUNT, "object type");
        if (o.type == ANV_OBJ_IRQ && o.notification != MANIFEST_NONE) {
            struct manifest_object n;
            FUZZ_CHECK(manifest_object(v, o.notification, &n) && n.type == ANV_OBJ_NOTIFICATION,
                       "irq notification");
        }
    }
    for (uint32_t i = 0; manifest_image(v, i, &im); i++)
        FUZZ_CHECK(im.name < nstr && (im.load_base & (ANV_PAGE_SIZE - 1)) == 0, "image");
    for (uint32_t i = 0; manifest_process(v, i, &p); i++) {
        FUZZ_CHECK(p.name < nstr, "process name");
        FUZZ_CHECK(manifest_object(v, p.cspace_object, &o) && o.type == ANV_OBJ_CSPACE &&
                       o.size == p.cspace_slots,
                   "process cspace");
        FUZZ_CHECK(manifest_object(v, p.vspace_object, &o) && o.type == ANV_OBJ_VSPACE,
                   "process vspace");
        uint32_t prev = 0;
        for (uint32_t k = 0; k < p.slot_count; k++) {
            FUZZ_CHECK(manifest_slot(v, p.first_slot + k, &s), "slot range");
            FUZZ_CHECK(s.process == i && s.slot > prev && s.slot < p.cspace_slots, "slot order");
            FUZZ_CHECK((s.rights & ~ANV_RIGHTS_ALL) == 0, "slot rights");
            FUZZ_CHECK(manifest_object(v, s.object, &o), "slot object");
            prev = s.slot;
        }
        for (uint32_t k = 0; k < p.mapping_count; k++) {
            FUZZ_CHECK(manifest_mapping(v, p.first_mapping + k, &m), "mapping range");
            FUZZ_CHECK(m.process == i, "mapping owner");
            FUZZ_CHECK(manifest_object(v, m.object, &o) && o.type == ANV_OBJ_FRAME &&
                           m.pages >= 1 && m.pages <= o.size,
                       "mapping frame");
            FUZZ_CHECK((m.rights & ANV_RIGHT_READ) && (m.rights & ~7u) == 0 &&
                           (m.rights & 6u) != 6u,
                       "mapping rights");
            check_user(m.vaddr, (uint64_t)m.pages * ANV_PAGE_SIZE, "mapping address");
        }
        for (uint32_t k = 0; k < p.thread_count; k++) {
            FUZZ_CHECK(manifest_thread(v, p.first_thread + k, &t), "thread range");
            FUZZ_CHECK(t.process == i && t.priority <= 255, "thread");
            FUZZ_CHECK(manifest_object(v, t.thread_object, &o) && o.type == ANV_OBJ_THREAD,
                       "thread object");
            check_user(t.ipcbuf_vaddr, ANV_PAGE_SIZE, "ipc buffer address");
        }
    }
    /* Past the end: every accessor says no. */
    FUZZ_CHECK(!manifest_process(v, manifest_count(v, MANIFEST_T_PROCESS), &p), "process end");
    FUZZ_CHECK(!manifest_slot(v, manifest_count(v, MANIFEST_T_SLOT), &s), "slot end");
}

static void open_and_check(const uint8_t *blob, size_t size)
{
    static struct manifest_view v;
    static struct loader_check_report report;
    static struct boot_plan plan;
    enum manifest_error e = manifest_open(&v, blob, size);
    if (e != MANIFEST_OK) {
        FUZZ_CHECK(e < MANIFEST_E_COUNT_, "error code");
        fuzz_check_message(v.message, sizeof v.message);
        for (uint32_t t = 0; t < MANIFEST_T_COUNT; t++)
            FUZZ_CHECK(manifest_count(&v, t) == 0, "a refused view still has entries");
        return;
    }
    walk(&v);
    struct loader_check_platform pf = fuzz_platform(NULL, 0);
    if (!loader_check(&v, &pf, &plan, &report))
        fuzz_check_message(report.message, sizeof report.message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    open_and_check(data, size);
    if (size < sizeof(struct manifest_header))
        return 0;
    uint8_t *copy = malloc(size);
    memcpy(copy, data, size);
    fuzz_reseal(copy, size);
    open_and_check(copy, size);
    free(copy);
    return 0;
}
