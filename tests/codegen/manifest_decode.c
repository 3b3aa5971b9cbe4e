/* Host test of the kernel's manifest decoder: prints every decoded field of a blob the
 * generator wrote (the driver compares it with the generator's own dump), then corrupts
 * copies of the blob one field at a time and checks each is refused with the right error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <anvaya/abi.h>

#include "boot/manifest.h"

static unsigned char *blob;
static size_t blob_len;

static void print_all(const struct manifest_view *v)
{
    struct manifest_process p;
    struct manifest_object o;
    struct manifest_slot s;
    struct manifest_mapping m;
    struct manifest_thread t;
    struct manifest_image im;
    for (uint32_t i = 0; manifest_process(v, i, &p); i++)
        printf("process %u: name=0x%x image=0x%x cspace_object=0x%x vspace_object=0x%x cspace_slots=0x%x "
               "first_slot=0x%x slot_count=0x%x first_mapping=0x%x mapping_count=0x%x first_thread=0x%x "
               "thread_count=0x%x flags=0x%x heap_base=0x%llx heap_size=0x%llx\n",
               i, p.name, p.image, p.cspace_object, p.vspace_object, p.cspace_slots, p.first_slot,
               p.slot_count, p.first_mapping, p.mapping_count, p.first_thread, p.thread_count, p.flags,
               (unsigned long long)p.heap_base, (unsigned long long)p.heap_size);
    for (uint32_t i = 0; manifest_object(v, i, &o); i++)
        printf("object %u: type=0x%x flags=0x%x name=0x%x size=0x%x paddr=0x%llx irq=0x%x notification=0x%x "
               "badge=0x%llx\n", i, o.type, o.flags, o.name, o.size, (unsigned long long)o.paddr, o.irq,
               o.notification, (unsigned long long)o.badge);
    for (uint32_t i = 0; manifest_slot(v, i, &s); i++)
        printf("slot %u: process=0x%x slot=0x%x object=0x%x rights=0x%x badge=0x%llx\n", i, s.process,
               s.slot, s.object, s.rights, (unsigned long long)s.badge);
    for (uint32_t i = 0; manifest_mapping(v, i, &m); i++)
        printf("mapping %u: process=0x%x object=0x%x vaddr=0x%llx pages=0x%x rights=0x%x flags=0x%x "
               "reserved=0x%x\n", i, m.process, m.object, (unsigned long long)m.vaddr, m.pages,
               m.rights, m.flags, m.reserved);
    for (uint32_t i = 0; manifest_thread(v, i, &t); i++)
        printf("thread %u: process=0x%x thread_object=0x%x ipcbuf_object=0x%x priority=0x%x budget_us=0x%x "
               "period_us=0x%x flags=0x%x reserved=0x%x entry=0x%llx stack_top=0x%llx ipcbuf_vaddr=0x%llx\n",
               i, t.process, t.thread_object, t.ipcbuf_object, t.priority, t.budget_us, t.period_us,
               t.flags, t.reserved, (unsigned long long)t.entry, (unsigned long long)t.stack_top,
               (unsigned long long)t.ipcbuf_vaddr);
    for (uint32_t i = 0; manifest_image(v, i, &im); i++)
        printf("image %u: name=0x%x flags=0x%x load_base=0x%llx offset=0x%llx size=0x%llx entry=0x%llx\n", i,
               im.name, im.flags, (unsigned long long)im.load_base, (unsigned long long)im.offset,
               (unsigned long long)im.size, (unsigned long long)im.entry);
}

/* Strings are printed in offset order for every name the tables use. */
static void print_strings(const struct manifest_view *v)
{
    uint32_t n = manifest_count(v, MANIFEST_T_STRING);
    unsigned char *used = calloc(n ? n : 1, 1);
    struct manifest_process p;
    struct manifest_object o;
    struct manifest_image im;
    for (uint32_t i = 0; manifest_process(v, i, &p); i++)
        used[p.name] = 1;
    for (uint32_t i = 0; manifest_object(v, i, &o); i++)
        used[o.name] = 1;
    for (uint32_t i = 0; manifest_image(v, i, &im); i++)
        used[im.name] = 1;
    for (uint32_t off = 0; off < n; off++)
        if (used[off])
            printf("string 0x%x: %s\n", off, manifest_string(v, off));
    free(used);
}

static void put32(unsigned char *b, size_t off, uint32_t val)
{
    for (int k = 0; k < 4; k++)
        b[off + (size_t)k] = (unsigned char)(val >> (8 * k));
}

static void put64(unsigned char *b, size_t off, uint64_t val)
{
    put32(b, off, (uint32_t)val);
    put32(b, off + 4, (uint32_t)(val >> 32));
}

static void reseal(unsigned char *b, size_t len)
{
    put32(b, 16, 0);
    put32(b, 16, manifest_crc32(b, len));
}

static int failures, checks;

/* Apply `mutate` to a copy, reseal the checksum when asked, expect `want`. */
static void expect(const char *what, enum manifest_error want, size_t len, int seal,
                   void (*mutate)(unsigned char *, const struct manifest_view *),
                   const struct manifest_view *good)
{
    unsigned char *copy = malloc(blob_len);
    struct manifest_view v;
    memcpy(copy, blob, blob_len);
    mutate(copy, good);
    if (seal)
        reseal(copy, blob_len);
    enum manifest_error got = manifest_open(&v, copy, len);
    checks++;
    if (got != want) {
        failures++;
        fprintf(stderr, "FAIL %s: expected '%s', got '%s'\n", what, manifest_strerror(want),
                manifest_strerror(got));
    }
    free(copy);
}

#define AT(t, i, field) (good->offset[t] + (size_t)(i) * sizeof(struct field))
static void m_none(unsigned char *b, const struct manifest_view *good) { (void)b; (void)good; }
static void m_flip(unsigned char *b, const struct manifest_view *good) { b[good->offset[MANIFEST_T_OBJECT] + 3] ^= 1; }
static void m_magic(unsigned char *b, const struct manifest_view *good) { (void)good; b[0] ^= 0xFF; }
static void m_version(unsigned char *b, const struct manifest_view *good) { (void)good; b[4] = 2; }
/* A system built for the next ABI major, and for a minor newer than the kernel's. */
static void m_abi_major(unsigned char *b, const struct manifest_view *good) { (void)good; put32(b, 20, (ANV_ABI_VERSION_MAJOR + 1u) << 16); }
static void m_abi_minor(unsigned char *b, const struct manifest_view *good) { (void)good; put32(b, 20, ANV_ABI_VERSION + 1u); }
static void m_table(unsigned char *b, const struct manifest_view *good) { (void)good; put32(b, 32 + 16 * MANIFEST_T_SLOT + 4, 0x100000); }
static void m_entsize(unsigned char *b, const struct manifest_view *good) { (void)good; put32(b, 32 + 16 * MANIFEST_T_OBJECT + 8, 48); }
static void m_rights(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_SLOT, 1, manifest_slot) + 12, 0x10); }
static void m_slot_obj(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_SLOT, 1, manifest_slot) + 8, good->count[MANIFEST_T_OBJECT]); }
static void m_slot_big(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_SLOT, 4, manifest_slot) + 4, 1u << 20); }
static void m_slot_dup(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_SLOT, 1, manifest_slot) + 4, 1); }
static void m_slot_proc(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_SLOT, 0, manifest_slot), 1); }
static void m_wx(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_MAPPING, 0, manifest_mapping) + 20, ANV_RIGHT_WRITE | ANV_RIGHT_EXEC); }
static void m_align(unsigned char *b, const struct manifest_view *good) { put64(b, AT(MANIFEST_T_MAPPING, 0, manifest_mapping) + 8, 0x10000010ull); }
static void m_low(unsigned char *b, const struct manifest_view *good) { put64(b, AT(MANIFEST_T_MAPPING, 0, manifest_mapping) + 8, 0); }
static void m_high(unsigned char *b, const struct manifest_view *good) { put64(b, AT(MANIFEST_T_MAPPING, 1, manifest_mapping) + 8, ANV_USER_TOP - ANV_PAGE_SIZE); }
static void m_map_pages(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_MAPPING, 0, manifest_mapping) + 16, 2); }
static void m_map_type(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_MAPPING, 0, manifest_mapping) + 4, 0); }
static void m_obj_type(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_OBJECT, 2, manifest_object), 99); }
static void m_cspace(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_PROCESS, 0, manifest_process) + 8, 1); }
static void m_proc_slots(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_PROCESS, 0, manifest_process) + 24, 0x7FFFFFFF); }
static void m_prio(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_THREAD, 0, manifest_thread) + 12, 256); }
static void m_budget(unsigned char *b, const struct manifest_view *good)
{
    struct manifest_thread t;
    for (uint32_t i = 0; manifest_thread(good, i, &t); i++)
        if (!(t.flags & MANIFEST_THREAD_F_PASSIVE)) { /* passive threads carry no budget */
            put32(b, AT(MANIFEST_T_THREAD, i, manifest_thread) + 16, 0xFFFFFFFF);
            return;
        }
}
static void m_stack(unsigned char *b, const struct manifest_view *good) { put64(b, AT(MANIFEST_T_THREAD, 0, manifest_thread) + 40, 0x10002008ull); }
static void m_name(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_OBJECT, 0, manifest_object) + 8, good->count[MANIFEST_T_STRING]); }
static void m_unterminated(unsigned char *b, const struct manifest_view *good) { b[good->offset[MANIFEST_T_STRING] + good->count[MANIFEST_T_STRING] - 1] = 'x'; }
static void m_image(unsigned char *b, const struct manifest_view *good) { put32(b, AT(MANIFEST_T_PROCESS, 0, manifest_process) + 4, good->count[MANIFEST_T_IMAGE]); }
static void m_dev_paddr(unsigned char *b, const struct manifest_view *good)
{
    struct manifest_object o;
    for (uint32_t i = 0; manifest_object(good, i, &o); i++)
        if (o.flags & MANIFEST_OBJ_F_DEVICE) {
            put64(b, AT(MANIFEST_T_OBJECT, i, manifest_object) + 16, o.paddr + 8);
            return;
        }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s manifest.bin [--mutations]\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    blob_len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    blob = malloc(blob_len);
    if (fread(blob, 1, blob_len, f) != blob_len)
        return 2;
    fclose(f);

    struct manifest_view v;
    enum manifest_error e = manifest_open(&v, blob, blob_len);
    if (e != MANIFEST_OK) {
        fprintf(stderr, "manifest_open: %s (table %u entry %u)\n", manifest_strerror(e), v.bad_table,
                v.bad_index);
        return 1;
    }
    if (argc < 3) {
        print_all(&v);
        print_strings(&v);
        return 0;
    }
    expect("unchanged", MANIFEST_OK, blob_len, 0, m_none, &v);
    expect("flipped byte", MANIFEST_E_CHECKSUM, blob_len, 0, m_flip, &v);
    expect("truncated", MANIFEST_E_TOO_SHORT, blob_len - 8, 0, m_none, &v);
    expect("tiny", MANIFEST_E_TOO_SHORT, 12, 0, m_none, &v);
    expect("magic", MANIFEST_E_MAGIC, blob_len, 1, m_magic, &v);
    expect("major version", MANIFEST_E_VERSION, blob_len, 1, m_version, &v);
    expect("ABI major", MANIFEST_E_ABI, blob_len, 1, m_abi_major, &v);
    expect("ABI minor", MANIFEST_E_ABI, blob_len, 1, m_abi_minor, &v);
    expect("table past the end", MANIFEST_E_TABLE, blob_len, 1, m_table, &v);
    expect("entry size", MANIFEST_E_TABLE, blob_len, 1, m_entsize, &v);
    expect("slot rights", MANIFEST_E_RIGHTS, blob_len, 1, m_rights, &v);
    expect("slot object index", MANIFEST_E_INDEX, blob_len, 1, m_slot_obj, &v);
    expect("slot beyond cspace", MANIFEST_E_RANGE, blob_len, 1, m_slot_big, &v);
    expect("duplicate slot", MANIFEST_E_ORDER, blob_len, 1, m_slot_dup, &v);
    expect("slot of another process", MANIFEST_E_ORDER, blob_len, 1, m_slot_proc, &v);
    expect("W+X mapping", MANIFEST_E_WX, blob_len, 1, m_wx, &v);
    expect("unaligned mapping", MANIFEST_E_ALIGN, blob_len, 1, m_align, &v);
    expect("mapping below user base", MANIFEST_E_ADDRESS, blob_len, 1, m_low, &v);
    expect("mapping past user top", MANIFEST_E_ADDRESS, blob_len, 1, m_high, &v);
    expect("mapping longer than object", MANIFEST_E_RANGE, blob_len, 1, m_map_pages, &v);
    expect("mapping of a cspace", MANIFEST_E_TYPE, blob_len, 1, m_map_type, &v);
    expect("unknown object type", MANIFEST_E_TYPE, blob_len, 1, m_obj_type, &v);
    expect("cspace object is a vspace", MANIFEST_E_TYPE, blob_len, 1, m_cspace, &v);
    expect("slot range overflow", MANIFEST_E_INDEX, blob_len, 1, m_proc_slots, &v);
    expect("priority 256", MANIFEST_E_RANGE, blob_len, 1, m_prio, &v);
    expect("budget over period", MANIFEST_E_RANGE, blob_len, 1, m_budget, &v);
    expect("unaligned stack", MANIFEST_E_ALIGN, blob_len, 1, m_stack, &v);
    expect("name offset", MANIFEST_E_STRING, blob_len, 1, m_name, &v);
    expect("unterminated strings", MANIFEST_E_STRING, blob_len, 1, m_unterminated, &v);
    expect("image index", MANIFEST_E_INDEX, blob_len, 1, m_image, &v);
    struct manifest_object o;
    for (uint32_t i = 0; manifest_object(&v, i, &o); i++)
        if (o.flags & MANIFEST_OBJ_F_DEVICE) {
            expect("unaligned device frame", MANIFEST_E_ALIGN, blob_len, 1, m_dev_paddr, &v);
            break;
        }
    printf("%d/%d corruption checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
