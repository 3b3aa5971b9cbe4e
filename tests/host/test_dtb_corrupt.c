/* Feeds the kernel DTB reader thousands of deterministic corruptions of QEMU's virt DTB
 * and hand-built hostile blobs; each must yield a status (exact where targeted), never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libfdt.h>

#include "boot/dtb.h"

#define HDR 40u

/* Header field offsets, in the order the spec lays them out. */
enum { F_MAGIC = 0, F_TOTALSIZE = 4, F_OFF_STRUCT = 8, F_OFF_STRINGS = 12, F_OFF_RSVMAP = 16,
       F_VERSION = 20, F_LAST_COMP = 24, F_BOOT_CPUID = 28, F_SIZE_STRINGS = 32,
       F_SIZE_STRUCT = 36 };

/* Expectation markers besides a concrete status. */
#define ANY_ERROR (-1)
#define ANY_STATUS (-2)

static const char *dtb_file;
static uint8_t *base;     /* QEMU's blob cut to exactly its totalsize */
static size_t base_len;
static uint32_t struct_off, struct_size, strings_off, strings_size, rsv_off;
static unsigned long variants, accepted, libfdt_accepted;

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

static uint32_t rng_below(uint32_t n)
{
    return (uint32_t)(rng() % n);
}

static int group_setup(void **state)
{
    (void)state;
    FILE *f = fopen(dtb_file, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", dtb_file);
        return -1;
    }
    uint8_t hdr[HDR];
    if (fread(hdr, 1, HDR, f) != HDR || get32(hdr) != 0xd00dfeedu) {
        fclose(f);
        return -1;
    }
    base_len = get32(hdr + F_TOTALSIZE);
    base = malloc(base_len);
    rewind(f);
    if (!base || fread(base, 1, base_len, f) != base_len) {
        fclose(f);
        return -1;
    }
    fclose(f);
    struct_off = get32(base + F_OFF_STRUCT);
    struct_size = get32(base + F_SIZE_STRUCT);
    strings_off = get32(base + F_OFF_STRINGS);
    strings_size = get32(base + F_SIZE_STRINGS);
    rsv_off = get32(base + F_OFF_RSVMAP);
    /* The expectations below rely on QEMU's dtc-style layout. */
    if (rsv_off + 16 != struct_off || struct_off + struct_size != strings_off ||
        strings_off + strings_size != base_len || get32(base + rsv_off) != 0) {
        fprintf(stderr, "unexpected layout in %s\n", dtb_file);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    print_message("%lu variants parsed, %lu accepted by the reader, %lu of the random "
                  "mutations accepted by fdt_check_full\n",
                  variants, accepted, libfdt_accepted);
    free(base);
    return 0;
}

static void check_inventory_sane(const struct dtb_inventory *inv, enum dtb_status st)
{
    if (st != DTB_OK) {
        /* A failed parse must not leave half-read state for the boot code. */
        static const struct dtb_inventory zero;
        assert_memory_equal(inv, &zero, sizeof(zero));
        return;
    }
    assert_true(inv->memory_count >= 1 && inv->memory_count <= DTB_MAX_MEMORY);
    assert_true(inv->rsvmap_count <= DTB_MAX_RESERVED);
    assert_true(inv->reserved_count <= DTB_MAX_RESERVED);
    assert_true(inv->cpu_count <= DTB_MAX_CPUS);
    assert_true(inv->virtio_count <= DTB_MAX_VIRTIO);
    assert_true(strnlen(inv->model, sizeof(inv->model)) < sizeof(inv->model));
    assert_true(strnlen(inv->stdout_path, sizeof(inv->stdout_path)) < sizeof(inv->stdout_path));
    assert_true(strnlen(inv->uart.path, DTB_PATH_MAX) < DTB_PATH_MAX);
    for (uint32_t i = 0; i < inv->virtio_count; i++) {
        assert_true(strnlen(inv->virtio[i].path, DTB_PATH_MAX) < DTB_PATH_MAX);
        assert_true(inv->virtio[i].path[0] == '/');
    }
}

/* Parse from an exactly-sized heap copy so AddressSanitizer flags any overread. */
static enum dtb_status run(const uint8_t *src, size_t len, struct dtb_error *err)
{
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, src, len);
    struct dtb_inventory inv;
    struct dtb_error e;
    memset(&e, 0xa5, sizeof(e));
    enum dtb_status st = dtb_parse(copy, len, &inv, &e);
    free(copy);
    assert_true((int)st >= 0 && st < DTB_E_COUNT);
    assert_int_equal(e.status, st);
    if (st != DTB_OK)
        assert_true(e.offset <= len);
    check_inventory_sane(&inv, st);
    variants++;
    if (st == DTB_OK)
        accepted++;
    if (err)
        *err = e;
    return st;
}

static void expect(const uint8_t *src, size_t len, int want, const char *what, uint64_t arg)
{
    struct dtb_error err;
    enum dtb_status st = run(src, len, &err);
    int ok = want == ANY_STATUS || (want == ANY_ERROR && st != DTB_OK) || (int)st == want;
    if (!ok)
        fail_msg("%s (0x%llx): got \"%s\" at %u, wanted %s", what, (unsigned long long)arg,
                 dtb_strerror(st), err.offset,
                 want == ANY_ERROR ? "an error" : dtb_strerror((enum dtb_status)want));
}

static uint8_t *dup_base(void)
{
    uint8_t *b = malloc(base_len);
    assert_non_null(b);
    memcpy(b, base, base_len);
    return b;
}

/* ---- sanity ---- */

static void test_base_parses(void **state)
{
    (void)state;
    expect(base, base_len, DTB_OK, "pristine blob", 0);
    struct dtb_inventory inv;
    struct dtb_error err;
    assert_int_equal(dtb_parse(NULL, base_len, &inv, &err), DTB_E_NULL);
    assert_int_equal(err.status, DTB_E_NULL);
    assert_int_equal(dtb_parse(base, base_len, NULL, &err), DTB_E_NULL);
    assert_int_equal(dtb_parse(base, base_len, &inv, NULL), DTB_OK);
}

/* ---- truncation ---- */

static void test_truncation(void **state)
{
    (void)state;
    struct dtb_error err;
    for (size_t len = 0; len < HDR; len++)
        expect(base, len, DTB_E_TRUNCATED_HEADER, "short buffer", len);
    for (size_t len = HDR; len < base_len; len++) {
        assert_int_equal(run(base, len, &err), DTB_E_BAD_TOTALSIZE);
        assert_int_equal(err.offset, F_TOTALSIZE);
    }
    /* Now the header agrees with the cut, so the blocks must be found to stick out. */
    uint8_t *b = dup_base();
    for (size_t len = HDR; len < base_len; len++) {
        put32(b + F_TOTALSIZE, (uint32_t)len);
        expect(b, len, DTB_E_BAD_LAYOUT, "totalsize cut", len);
    }
    free(b);
    /* Trailing bytes past totalsize are not part of the blob. */
    b = malloc(base_len + 64);
    assert_non_null(b);
    memcpy(b, base, base_len);
    memset(b + base_len, 0xff, 64);
    expect(b, base_len + 64, DTB_OK, "trailing junk", 0);
    free(b);
}

/* ---- header fields at boundary values ---- */

static int expected_for_field(uint32_t field, uint32_t v)
{
    uint32_t total = (uint32_t)base_len;
    uint32_t orig = get32(base + field);
    if (v == orig)
        return DTB_OK;
    switch (field) {
    case F_MAGIC:
        return DTB_E_BAD_MAGIC;
    case F_TOTALSIZE:
        if (v < HDR || v > total)
            return DTB_E_BAD_TOTALSIZE;
        return DTB_E_BAD_LAYOUT; /* the strings block ends exactly at the real end */
    case F_OFF_STRUCT:
        if (v % 4)
            return DTB_E_BAD_ALIGNMENT;
        if (v < HDR || (uint64_t)v + struct_size > total)
            return DTB_E_BAD_LAYOUT;
        if (v < strings_off + strings_size && strings_off < v + struct_size)
            return DTB_E_BAD_LAYOUT;
        return ANY_ERROR;
    case F_OFF_STRINGS:
        return DTB_E_BAD_LAYOUT; /* every other place is outside or overlaps the structure */
    case F_OFF_RSVMAP:
        if (v % 8)
            return DTB_E_BAD_ALIGNMENT;
        if (v < HDR || v >= total || (v >= struct_off && v < struct_off + struct_size) ||
            v >= strings_off)
            return DTB_E_BAD_LAYOUT;
        if (v < struct_off && v + 16 > struct_off)
            return DTB_E_RSVMAP_TRUNCATED;
        return ANY_STATUS;
    case F_VERSION:
        if (v < 16 || v < get32(base + F_LAST_COMP))
            return DTB_E_BAD_VERSION;
        return DTB_OK; /* 16 reads the structure size from the layout, same answer */
    case F_LAST_COMP:
        if (v > 17 || v > get32(base + F_VERSION))
            return DTB_E_BAD_VERSION;
        return DTB_OK;
    case F_BOOT_CPUID:
        return DTB_OK;
    case F_SIZE_STRINGS:
        if ((uint64_t)strings_off + v > total)
            return DTB_E_BAD_LAYOUT;
        return DTB_E_BAD_STRING_OFFSET; /* QEMU's last string is in use */
    case F_SIZE_STRUCT:
        if ((uint64_t)struct_off + v > total || v > struct_size)
            return DTB_E_BAD_LAYOUT;
        return ANY_ERROR;
    default:
        return ANY_STATUS;
    }
}

static void test_header_fields(void **state)
{
    (void)state;
    uint8_t *b = dup_base();
    uint32_t total = (uint32_t)base_len;
    for (uint32_t field = 0; field < HDR; field += 4) {
        uint32_t orig = get32(base + field);
        const uint32_t values[] = {
            0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 18, HDR - 1, HDR, HDR + 1, HDR + 8,
            total - 1, total, total + 1, total - 4, total + 4, total - 16,
            0x7fffffffu, 0x80000000u, 0xfffffff0u, 0xfffffffcu, 0xffffffffu,
            orig + 1, orig + 2, orig + 3, orig + 4, orig + 8, orig - 1, orig - 4, orig - 8,
            orig ^ 0x80000000u, DTB_MAX_SIZE, DTB_MAX_SIZE + 1, 0xd00dfeedu, 0xedfe0dd0u,
        };
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
            put32(b + field, values[i]);
            struct dtb_error err;
            int want = expected_for_field(field, values[i]);
            expect(b, base_len, want, "header field", ((uint64_t)field << 32) | values[i]);
            enum dtb_status st = run(b, base_len, &err);
            /* Header-level faults point at the field itself. */
            if (st == DTB_E_BAD_MAGIC || st == DTB_E_BAD_TOTALSIZE ||
                st == DTB_E_BAD_ALIGNMENT)
                assert_int_equal(err.offset, field);
        }
        put32(b + field, orig);
    }
    /* Every possible structure size short of the real one loses the FDT_END token. */
    for (uint32_t v = 0; v < struct_size; v++) {
        put32(b + F_SIZE_STRUCT, v);
        struct dtb_error err;
        enum dtb_status st = run(b, base_len, &err);
        if (st != DTB_E_STRUCT_TRUNCATED && st != DTB_E_BAD_NODE_NAME &&
            st != DTB_E_PROP_OVERRUN)
            fail_msg("size_dt_struct %u: %s", v, dtb_strerror(st));
        assert_true(err.offset >= struct_off && err.offset <= struct_off + v);
    }
    free(b);
}

/* ---- the structure block, token by token ---- */

struct token {
    uint32_t off; /* absolute */
    uint32_t tag;
};

static size_t list_tokens(struct token *t, size_t cap)
{
    size_t n = 0;
    int off = 0, next = 0;
    for (;;) {
        uint32_t tag = fdt_next_tag(base, off, &next);
        assert_true(n < cap);
        t[n].off = struct_off + (uint32_t)off;
        t[n].tag = tag;
        n++;
        if (tag == FDT_END)
            return n;
        assert_true(next > off);
        off = next;
    }
}

static void test_tokens(void **state)
{
    (void)state;
    static struct token toks[8192];
    size_t n = list_tokens(toks, sizeof(toks) / sizeof(toks[0]));
    uint8_t *b = dup_base();
    uint32_t struct_end = struct_off + struct_size;
    size_t props = 0, nodes = 0;
    struct dtb_error err;

    for (size_t i = 0; i < n; i++) {
        uint32_t at = toks[i].off;
        uint32_t orig = get32(b + at);

        static const uint32_t invalid[] = {0, 5, 6, 7, 8, 10, 0x11, 0xffffffffu,
                                           0x01000000u, 0x03000000u, 0xd00dfeedu};
        for (size_t k = 0; k < sizeof(invalid) / sizeof(invalid[0]); k++) {
            put32(b + at, invalid[k]);
            assert_int_equal(run(b, base_len, &err), DTB_E_BAD_TOKEN);
            assert_int_equal(err.offset, at);
        }
        /* Valid tokens in the wrong place: anything but a crash is acceptable. */
        for (uint32_t tag = 1; tag <= 9; tag++) {
            put32(b + at, tag);
            expect(b, base_len, ANY_STATUS, "swapped token", at);
        }
        put32(b + at, orig);

        if (toks[i].tag == FDT_PROP) {
            props++;
            uint32_t len_orig = get32(b + at + 4), name_orig = get32(b + at + 8);
            const uint32_t huge[] = {0xffffffffu, 0xfffffffcu, 0x80000000u, 0x7fffffffu,
                                     struct_size, DTB_MAX_SIZE, struct_end - (at + 12) + 1};
            for (size_t k = 0; k < sizeof(huge) / sizeof(huge[0]); k++) {
                put32(b + at + 4, huge[k]);
                assert_int_equal(run(b, base_len, &err), DTB_E_PROP_OVERRUN);
                assert_int_equal(err.offset, at + 4);
            }
            put32(b + at + 4, len_orig);
            const uint32_t names[] = {strings_size, strings_size + 1, strings_size + 4096,
                                      0x7fffffffu, 0x80000000u, 0xffffffffu};
            for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
                put32(b + at + 8, names[k]);
                assert_int_equal(run(b, base_len, &err), DTB_E_BAD_STRING_OFFSET);
                assert_int_equal(err.offset, at + 8);
            }
            /* In-bounds but wrong names (mid-string, last byte) must merely not crash. */
            const uint32_t odd[] = {1, 2, strings_size - 1, name_orig + 1};
            for (size_t k = 0; k < sizeof(odd) / sizeof(odd[0]); k++) {
                put32(b + at + 8, odd[k]);
                expect(b, base_len, ANY_STATUS, "odd name offset", odd[k]);
            }
            put32(b + at + 8, name_orig);
        } else if (toks[i].tag == FDT_BEGIN_NODE) {
            nodes++;
            /* A name with no NUL before the block ends. */
            memset(b + at + 4, 'a', struct_end - (at + 4));
            assert_int_equal(run(b, base_len, &err), DTB_E_BAD_NODE_NAME);
            assert_int_equal(err.offset, at + 4);
            memcpy(b + at + 4, base + at + 4, struct_end - (at + 4));
        }
    }
    assert_true(props > 100 && nodes > 20);
    assert_memory_equal(b, base, base_len);

    /* The strings block's last name loses its terminator. */
    b[strings_off + strings_size - 1] = 'x';
    assert_int_equal(run(b, base_len, &err), DTB_E_BAD_STRING_OFFSET);
    free(b);
}

/* ---- random mutation ---- */

static void mutate_and_run(uint8_t *b, const char *what, uint64_t seed)
{
    (void)what;
    (void)seed;
    run(b, base_len, NULL);
    /* Whatever libfdt's full check accepts, the reader must at least survive. */
    uint8_t *copy = malloc(base_len);
    assert_non_null(copy);
    memcpy(copy, b, base_len);
    if (fdt_check_full(copy, base_len) == 0) {
        libfdt_accepted++;
        run(copy, base_len, NULL);
    }
    free(copy);
}

static void test_random_mutations(void **state)
{
    (void)state;
    uint8_t *b = dup_base();
    uint32_t span = (uint32_t)base_len - struct_off; /* structure and strings blocks */
    rng_state = 0x5eed0001u;
    for (int i = 0; i < 4000; i++) {
        uint32_t at = struct_off + rng_below(span);
        uint8_t bit = (uint8_t)(1u << rng_below(8));
        b[at] ^= bit;
        mutate_and_run(b, "bit flip", (uint64_t)at);
        b[at] ^= bit;
    }
    for (int i = 0; i < 2500; i++) {
        uint32_t at = struct_off + rng_below(span);
        uint8_t old = b[at];
        b[at] = (uint8_t)rng();
        mutate_and_run(b, "byte", (uint64_t)at);
        b[at] = old;
    }
    /* Bursts anywhere, the header included, restored from the pristine copy. */
    for (int i = 0; i < 1500; i++) {
        int k = 1 + (int)rng_below(8);
        for (int j = 0; j < k; j++)
            b[rng_below((uint32_t)base_len)] = (uint8_t)rng();
        mutate_and_run(b, "burst", (uint64_t)i);
        memcpy(b, base, base_len);
    }
    /* Aligned 32-bit overwrites with values a parser is most likely to trip on. */
    static const uint32_t nasty[] = {0, 1, 2, 3, 4, 9, 0xffffffffu, 0x80000000u, 0x7fffffffu,
                                     0x100000u, 0xfffffffcu};
    for (int i = 0; i < 2500; i++) {
        uint32_t at = struct_off + 4 * rng_below(struct_size / 4);
        put32(b + at, nasty[rng_below(sizeof(nasty) / sizeof(nasty[0]))]);
        mutate_and_run(b, "word", (uint64_t)at);
        memcpy(b + at, base + at, 4);
    }
    assert_memory_equal(b, base, base_len);
    free(b);
}

/* ---- hostile blobs built from scratch ---- */

static uint8_t sw[1 << 16];

static void sw_start(int rsv_entries)
{
    assert_int_equal(fdt_create(sw, (int)sizeof(sw)), 0);
    for (int i = 0; i < rsv_entries; i++)
        assert_int_equal(fdt_add_reservemap_entry(sw, 0x80000000u + (uint64_t)i * 0x10000u,
                                                  0x1000u),
                         0);
    assert_int_equal(fdt_finish_reservemap(sw), 0);
    assert_int_equal(fdt_begin_node(sw, ""), 0);
    assert_int_equal(fdt_property_u32(sw, "#address-cells", 2), 0);
    assert_int_equal(fdt_property_u32(sw, "#size-cells", 2), 0);
}

static void sw_reg2(uint64_t addr, uint64_t size)
{
    fdt64_t v[2] = {cpu_to_fdt64(addr), cpu_to_fdt64(size)};
    assert_int_equal(fdt_property(sw, "reg", v, sizeof(v)), 0);
}

static void sw_memory(uint64_t addr, uint64_t size)
{
    char name[64];
    snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)addr);
    assert_int_equal(fdt_begin_node(sw, name), 0);
    assert_int_equal(fdt_property_string(sw, "device_type", "memory"), 0);
    sw_reg2(addr, size);
    assert_int_equal(fdt_end_node(sw), 0);
}

static void sw_virtio(uint64_t addr)
{
    char name[64];
    snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)addr);
    assert_int_equal(fdt_begin_node(sw, name), 0);
    assert_int_equal(fdt_property_string(sw, "compatible", "virtio,mmio"), 0);
    sw_reg2(addr, 0x1000);
    assert_int_equal(fdt_property_u32(sw, "interrupts", 1), 0);
    assert_int_equal(fdt_end_node(sw), 0);
}

static size_t sw_finish(void)
{
    assert_int_equal(fdt_end_node(sw), 0);
    assert_int_equal(fdt_finish(sw), 0);
    return fdt_totalsize(sw);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    /* The root is one level, so DTB_MAX_DEPTH - 1 nested children is the limit. */
    const int depths[] = {DTB_MAX_DEPTH - 1, DTB_MAX_DEPTH, DTB_MAX_DEPTH + 1, 40, 200};
    for (size_t d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
        sw_start(0);
        sw_memory(0x80000000u, 0x1000000u);
        for (int i = 0; i < depths[d]; i++)
            assert_int_equal(fdt_begin_node(sw, "n"), 0);
        for (int i = 0; i < depths[d]; i++)
            assert_int_equal(fdt_end_node(sw), 0);
        size_t len = sw_finish();
        expect(sw, len, depths[d] < DTB_MAX_DEPTH ? DTB_OK : DTB_E_TOO_DEEP, "depth",
               (uint64_t)depths[d]);
    }
}

static void test_path_length(void **state)
{
    (void)state;
    char name[DTB_PATH_MAX + 8];
    /* "/" plus the name must leave room for the NUL. */
    for (size_t n = DTB_PATH_MAX - 3; n <= DTB_PATH_MAX + 1; n++) {
        memset(name, 'p', n);
        name[n] = '\0';
        sw_start(0);
        sw_memory(0x80000000u, 0x1000000u);
        assert_int_equal(fdt_begin_node(sw, name), 0);
        assert_int_equal(fdt_end_node(sw), 0);
        size_t len = sw_finish();
        expect(sw, len, 1 + n < DTB_PATH_MAX ? DTB_OK : DTB_E_PATH_TOO_LONG, "path", n);
    }
    /* Same limit for stdout-path, after its options are dropped. */
    for (size_t n = DTB_PATH_MAX - 2; n <= DTB_PATH_MAX; n++) {
        char sp[DTB_PATH_MAX + 16];
        memset(sp, 'q', n);
        sp[0] = '/';
        strcpy(sp + n, ":115200");
        sw_start(0);
        assert_int_equal(fdt_begin_node(sw, "chosen"), 0);
        assert_int_equal(fdt_property_string(sw, "stdout-path", sp), 0);
        assert_int_equal(fdt_end_node(sw), 0);
        sw_memory(0x80000000u, 0x1000000u);
        size_t len = sw_finish();
        expect(sw, len, n < DTB_PATH_MAX ? DTB_OK : DTB_E_PATH_TOO_LONG, "stdout-path", n);
    }
}

static void test_tables_full(void **state)
{
    (void)state;
    struct dtb_error err;
    for (int extra = 0; extra <= 1; extra++) {
        int want = extra ? DTB_E_TABLE_FULL : DTB_OK;

        sw_start(0);
        for (int i = 0; i < DTB_MAX_MEMORY + extra; i++)
            sw_memory(0x80000000u + (uint64_t)i * 0x10000000u, 0x1000000u);
        expect(sw, sw_finish(), want, "memory nodes", (uint64_t)extra);

        /* One node whose reg alone overflows the table. */
        sw_start(0);
        assert_int_equal(fdt_begin_node(sw, "memory@80000000"), 0);
        assert_int_equal(fdt_property_string(sw, "device_type", "memory"), 0);
        fdt64_t reg[2 * (DTB_MAX_MEMORY + 1)];
        for (int i = 0; i < DTB_MAX_MEMORY + extra; i++) {
            reg[2 * i] = cpu_to_fdt64(0x80000000u + (uint64_t)i * 0x10000000u);
            reg[2 * i + 1] = cpu_to_fdt64(0x1000u);
        }
        assert_int_equal(fdt_property(sw, "reg", reg,
                                      (int)(2 * sizeof(fdt64_t)) * (DTB_MAX_MEMORY + extra)),
                         0);
        assert_int_equal(fdt_end_node(sw), 0);
        expect(sw, sw_finish(), want, "memory reg entries", (uint64_t)extra);

        sw_start(0);
        sw_memory(0x80000000u, 0x1000000u);
        for (int i = 0; i < DTB_MAX_VIRTIO + extra; i++)
            sw_virtio(0x10001000u + (uint64_t)i * 0x1000u);
        expect(sw, sw_finish(), want, "virtio nodes", (uint64_t)extra);

        sw_start(0);
        sw_memory(0x80000000u, 0x1000000u);
        assert_int_equal(fdt_begin_node(sw, "cpus"), 0);
        assert_int_equal(fdt_property_u32(sw, "#address-cells", 1), 0);
        assert_int_equal(fdt_property_u32(sw, "#size-cells", 0), 0);
        for (int i = 0; i < DTB_MAX_CPUS + extra; i++) {
            char name[32];
            snprintf(name, sizeof(name), "cpu@%d", i);
            assert_int_equal(fdt_begin_node(sw, name), 0);
            assert_int_equal(fdt_property_string(sw, "device_type", "cpu"), 0);
            assert_int_equal(fdt_property_u32(sw, "reg", (uint32_t)i), 0);
            assert_int_equal(fdt_end_node(sw), 0);
        }
        assert_int_equal(fdt_end_node(sw), 0);
        expect(sw, sw_finish(), want, "cpus", (uint64_t)extra);

        sw_start(0);
        sw_memory(0x80000000u, 0x1000000u);
        assert_int_equal(fdt_begin_node(sw, "reserved-memory"), 0);
        assert_int_equal(fdt_property_u32(sw, "#address-cells", 2), 0);
        assert_int_equal(fdt_property_u32(sw, "#size-cells", 2), 0);
        for (int i = 0; i < DTB_MAX_RESERVED + extra; i++) {
            char name[32];
            snprintf(name, sizeof(name), "r%d@%x", i, 0x80000000u + (unsigned)i * 0x1000u);
            assert_int_equal(fdt_begin_node(sw, name), 0);
            sw_reg2(0x80000000u + (uint64_t)i * 0x1000u, 0x1000u);
            assert_int_equal(fdt_end_node(sw), 0);
        }
        assert_int_equal(fdt_end_node(sw), 0);
        expect(sw, sw_finish(), want, "reserved-memory children", (uint64_t)extra);

        sw_start(DTB_MAX_RESERVED + extra);
        sw_memory(0x80000000u, 0x1000000u);
        size_t len = sw_finish();
        enum dtb_status st = run(sw, len, &err);
        assert_int_equal(st, want);
        if (extra)
            assert_int_equal(err.offset, fdt_off_mem_rsvmap(sw) + 16u * DTB_MAX_RESERVED);
    }
}

static void test_semantic_errors(void **state)
{
    (void)state;
    /* No memory at all. */
    sw_start(0);
    sw_virtio(0x10001000u);
    expect(sw, sw_finish(), DTB_E_NO_MEMORY_NODE, "no memory", 0);

    /* A node of type memory with no reg gives no memory either. */
    sw_start(0);
    assert_int_equal(fdt_begin_node(sw, "memory"), 0);
    assert_int_equal(fdt_property_string(sw, "device_type", "memory"), 0);
    assert_int_equal(fdt_end_node(sw), 0);
    expect(sw, sw_finish(), DTB_E_NO_MEMORY_NODE, "memory without reg", 0);

    /* #address-cells 3 is fine (PCI) until a reg this reader needs is decoded with it. */
    sw_start(0);
    sw_memory(0x80000000u, 0x1000000u);
    assert_int_equal(fdt_begin_node(sw, "pci@30000000"), 0);
    assert_int_equal(fdt_property_u32(sw, "#address-cells", 3), 0);
    assert_int_equal(fdt_begin_node(sw, "dev@0"), 0);
    assert_int_equal(fdt_property_u32(sw, "reg", 0), 0);
    assert_int_equal(fdt_end_node(sw), 0);
    assert_int_equal(fdt_end_node(sw), 0);
    expect(sw, sw_finish(), DTB_OK, "unused 3-cell bus", 0);

    sw_start(0);
    assert_int_equal(fdt_begin_node(sw, "bus"), 0);
    assert_int_equal(fdt_property_u32(sw, "#address-cells", 3), 0);
    assert_int_equal(fdt_property_u32(sw, "#size-cells", 1), 0);
    assert_int_equal(fdt_begin_node(sw, "memory@0"), 0);
    assert_int_equal(fdt_property_string(sw, "device_type", "memory"), 0);
    {
        fdt32_t reg[4] = {0, 0, cpu_to_fdt32(0x80000000u), cpu_to_fdt32(0x1000u)};
        assert_int_equal(fdt_property(sw, "reg", reg, sizeof(reg)), 0);
    }
    assert_int_equal(fdt_end_node(sw), 0);
    assert_int_equal(fdt_end_node(sw), 0);
    expect(sw, sw_finish(), DTB_E_BAD_CELLS, "3-cell memory", 0);

    /* #size-cells must be one cell. */
    sw_start(0);
    assert_int_equal(fdt_property_u64(sw, "#size-cells", 1), 0);
    sw_memory(0x80000000u, 0x1000000u);
    expect(sw, sw_finish(), DTB_E_BAD_CELLS, "8-byte #size-cells", 0);

    /* reg not a whole number of (2 + 2)-cell tuples. */
    sw_start(0);
    assert_int_equal(fdt_begin_node(sw, "memory@80000000"), 0);
    assert_int_equal(fdt_property_string(sw, "device_type", "memory"), 0);
    {
        fdt32_t reg[5] = {0};
        assert_int_equal(fdt_property(sw, "reg", reg, sizeof(reg)), 0);
    }
    assert_int_equal(fdt_end_node(sw), 0);
    expect(sw, sw_finish(), DTB_E_BAD_REG, "ragged reg", 0);

    /* A virtio device the kernel would drive, with nowhere to find it. */
    sw_start(0);
    sw_memory(0x80000000u, 0x1000000u);
    assert_int_equal(fdt_begin_node(sw, "virtio_mmio"), 0);
    assert_int_equal(fdt_property_string(sw, "compatible", "virtio,mmio"), 0);
    assert_int_equal(fdt_end_node(sw), 0);
    expect(sw, sw_finish(), DTB_E_BAD_REG, "virtio without reg", 0);

    /* Properties after a subnode break the spec's ordering. */
    sw_start(0);
    sw_memory(0x80000000u, 0x1000000u);
    assert_int_equal(fdt_property_string(sw, "model", "late"), 0);
    expect(sw, sw_finish(), DTB_E_BAD_TOKEN, "property after subnode", 0);

    /* Unterminated compatible and device_type values must not be read past. */
    sw_start(0);
    sw_memory(0x80000000u, 0x1000000u);
    assert_int_equal(fdt_begin_node(sw, "x@0"), 0);
    assert_int_equal(fdt_property(sw, "compatible", "virtio,mmio", 11), 0);
    assert_int_equal(fdt_property(sw, "device_type", "memory", 6), 0);
    assert_int_equal(fdt_property(sw, "interrupts", "", 0), 0);
    assert_int_equal(fdt_end_node(sw), 0);
    assert_int_equal(fdt_begin_node(sw, "chosen"), 0);
    assert_int_equal(fdt_property(sw, "stdout-path", "/x@0", 4), 0);
    assert_int_equal(fdt_end_node(sw), 0);
    expect(sw, sw_finish(), ANY_STATUS, "unterminated values", 0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s QEMU_VIRT_DTB\n", argv[0]);
        return 2;
    }
    dtb_file = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_parses),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_header_fields),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_random_mutations),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_path_length),
        cmocka_unit_test(test_tables_full),
        cmocka_unit_test(test_semantic_errors),
    };
    return cmocka_run_group_tests_name("dtb-corrupt", tests, group_setup, group_teardown);
}
