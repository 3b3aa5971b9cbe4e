/* Cross-checks the kernel DTB reader against libfdt: QEMU's own virt DTB and blobs
 * built here with libfdt (OpenSBI-style /reserved-memory, extra memory, 1/1-cell buses). */
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

static const char *dtb_file;
static uint8_t *qemu_blob;  /* the file exactly as QEMU dumped it */
static size_t qemu_len;

static uint8_t *load_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long n = ftell(f);
    rewind(f);
    uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int group_setup(void **state)
{
    (void)state;
    qemu_blob = load_file(dtb_file, &qemu_len);
    if (!qemu_blob) {
        fprintf(stderr, "cannot read DTB file %s\n", dtb_file);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    free(qemu_blob);
    return 0;
}

/* ---- the independent model: what libfdt says the inventory should be ---- */

static uint64_t cells_value(const fdt32_t *p, int cells)
{
    uint64_t v = 0;
    for (int i = 0; i < cells; i++)
        v = (v << 32) | fdt32_to_cpu(p[i]);
    return v;
}

static int parent_cells(const void *fdt, int node, int *ac, int *sc)
{
    int parent = fdt_parent_offset(fdt, node);
    assert_true(parent >= 0);
    *ac = fdt_address_cells(fdt, parent);
    *sc = fdt_size_cells(fdt, parent);
    assert_true(*ac >= 0 && *ac <= 2);
    assert_true(*sc >= 0 && *sc <= 2);
    return parent;
}

static void model_regs(const void *fdt, int node, struct dtb_range *table, uint32_t *n,
                       uint32_t cap)
{
    int ac, sc, len;
    parent_cells(fdt, node, &ac, &sc);
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    if (!reg)
        return;
    int tuple = ac + sc;
    assert_true(tuple > 0);
    assert_int_equal(len % (tuple * 4), 0);
    for (int i = 0; i < len / (tuple * 4); i++) {
        assert_true(*n < cap);
        table[*n].base = cells_value(reg + i * tuple, ac);
        table[*n].size = cells_value(reg + i * tuple + ac, sc);
        (*n)++;
    }
}

static void model_device(const void *fdt, int node, struct dtb_device *d)
{
    int ac, sc, len;
    memset(d, 0, sizeof(*d));
    assert_int_equal(fdt_get_path(fdt, node, d->path, sizeof(d->path)), 0);
    const char *compat = fdt_stringlist_get(fdt, node, "compatible", 0, &len);
    if (compat)
        snprintf(d->compatible, sizeof(d->compatible), "%s", compat);
    parent_cells(fdt, node, &ac, &sc);
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    assert_non_null(reg);
    assert_true(len >= (ac + sc) * 4);
    d->base = cells_value(reg, ac);
    d->size = cells_value(reg + ac, sc);
    const fdt32_t *irq = fdt_getprop(fdt, node, "interrupts", &len);
    if (irq && len >= 4)
        d->irq = fdt32_to_cpu(irq[0]);
    d->present = 1;
}

static int prop_is_string(const void *fdt, int node, const char *name, const char *want)
{
    int len;
    const char *v = fdt_getprop(fdt, node, name, &len);
    return v && len > 0 && strnlen(v, (size_t)len) < (size_t)len && strcmp(v, want) == 0;
}

static uint64_t timebase_of(const void *fdt, int node, int *found)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, node, "timebase-frequency", &len);
    *found = v && (len == 4 || len == 8);
    if (!*found)
        return 0;
    return cells_value(v, len / 4);
}

static int first_compatible(const void *fdt, const char *a, const char *b)
{
    int x = fdt_node_offset_by_compatible(fdt, -1, a);
    int y = b ? fdt_node_offset_by_compatible(fdt, -1, b) : -1;
    if (x < 0)
        return y;
    if (y < 0)
        return x;
    return x < y ? x : y;
}

static void model_inventory(const void *fdt, struct dtb_inventory *e)
{
    int len, node, depth = 0;
    memset(e, 0, sizeof(*e));
    assert_int_equal(fdt_check_header(fdt), 0);
    e->totalsize = fdt_totalsize(fdt);

    const char *model = fdt_getprop(fdt, 0, "model", &len);
    if (model)
        snprintf(e->model, sizeof(e->model), "%s", model);

    int nrsv = fdt_num_mem_rsv(fdt);
    assert_true(nrsv >= 0 && nrsv <= DTB_MAX_RESERVED);
    for (int i = 0; i < nrsv; i++) {
        uint64_t a, s;
        assert_int_equal(fdt_get_mem_rsv(fdt, i, &a, &s), 0);
        e->rsvmap[i].base = a;
        e->rsvmap[i].size = s;
    }
    e->rsvmap_count = (uint32_t)nrsv;

    for (node = fdt_next_node(fdt, -1, &depth); node >= 0;
         node = fdt_next_node(fdt, node, &depth)) {
        if (prop_is_string(fdt, node, "device_type", "memory"))
            model_regs(fdt, node, e->memory, &e->memory_count, DTB_MAX_MEMORY);
    }

    int rm = fdt_path_offset(fdt, "/reserved-memory");
    if (rm >= 0) {
        fdt_for_each_subnode(node, fdt, rm)
            model_regs(fdt, node, e->reserved, &e->reserved_count, DTB_MAX_RESERVED);
    }

    int cpus = fdt_path_offset(fdt, "/cpus");
    if (cpus >= 0) {
        int found;
        e->timebase_frequency = timebase_of(fdt, cpus, &found);
        int cpus_has_tb = found;
        fdt_for_each_subnode(node, fdt, cpus) {
            if (!prop_is_string(fdt, node, "device_type", "cpu"))
                continue;
            int ac, sc;
            parent_cells(fdt, node, &ac, &sc);
            const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
            assert_non_null(reg);
            assert_true(e->cpu_count < DTB_MAX_CPUS);
            e->cpu_hartid[e->cpu_count++] = (uint32_t)cells_value(reg, ac);
            uint64_t tb = timebase_of(fdt, node, &found);
            if (!cpus_has_tb && e->timebase_frequency == 0 && found)
                e->timebase_frequency = tb;
        }
    }

    int uart = -1;
    int chosen = fdt_path_offset(fdt, "/chosen");
    const char *sp = chosen >= 0 ? fdt_getprop(fdt, chosen, "stdout-path", &len) : NULL;
    if (sp) {
        size_t n = strcspn(sp, ":");
        assert_true(n < sizeof(e->stdout_path));
        memcpy(e->stdout_path, sp, n);
        e->stdout_path[n] = '\0';
        if (n > 0 && e->stdout_path[0] == '/')
            uart = fdt_path_offset(fdt, e->stdout_path);
    }
    if (uart < 0)
        uart = fdt_node_offset_by_compatible(fdt, -1, "ns16550a");
    if (uart >= 0)
        model_device(fdt, uart, &e->uart);

    int plic = first_compatible(fdt, "riscv,plic0", "sifive,plic-1.0.0");
    if (plic >= 0) {
        model_device(fdt, plic, &e->plic);
        const fdt32_t *ndev = fdt_getprop(fdt, plic, "riscv,ndev", &len);
        if (ndev && len == 4)
            e->plic_ndev = fdt32_to_cpu(*ndev);
    }

    int test = first_compatible(fdt, "sifive,test0", NULL);
    if (test >= 0)
        model_device(fdt, test, &e->test);

    for (node = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio"); node >= 0;
         node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio")) {
        assert_true(e->virtio_count < DTB_MAX_VIRTIO);
        model_device(fdt, node, &e->virtio[e->virtio_count++]);
    }
}

static void assert_ranges_eq(const struct dtb_range *a, const struct dtb_range *e, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(a[i].base, e[i].base);
        assert_int_equal(a[i].size, e[i].size);
    }
}

static void assert_device_eq(const struct dtb_device *a, const struct dtb_device *e)
{
    assert_int_equal(a->present, e->present);
    assert_string_equal(a->path, e->path);
    assert_string_equal(a->compatible, e->compatible);
    assert_int_equal(a->base, e->base);
    assert_int_equal(a->size, e->size);
    assert_int_equal(a->irq, e->irq);
}

static void assert_inventory_eq(const struct dtb_inventory *a, const struct dtb_inventory *e)
{
    assert_int_equal(a->totalsize, e->totalsize);
    assert_string_equal(a->model, e->model);
    assert_string_equal(a->stdout_path, e->stdout_path);
    assert_int_equal(a->memory_count, e->memory_count);
    assert_ranges_eq(a->memory, e->memory, e->memory_count);
    assert_int_equal(a->rsvmap_count, e->rsvmap_count);
    assert_ranges_eq(a->rsvmap, e->rsvmap, e->rsvmap_count);
    assert_int_equal(a->reserved_count, e->reserved_count);
    assert_ranges_eq(a->reserved, e->reserved, e->reserved_count);
    assert_int_equal(a->cpu_count, e->cpu_count);
    for (uint32_t i = 0; i < e->cpu_count; i++)
        assert_int_equal(a->cpu_hartid[i], e->cpu_hartid[i]);
    assert_int_equal(a->timebase_frequency, e->timebase_frequency);
    assert_device_eq(&a->uart, &e->uart);
    assert_device_eq(&a->plic, &e->plic);
    assert_int_equal(a->plic_ndev, e->plic_ndev);
    assert_device_eq(&a->test, &e->test);
    assert_int_equal(a->virtio_count, e->virtio_count);
    for (uint32_t i = 0; i < e->virtio_count; i++)
        assert_device_eq(&a->virtio[i], &e->virtio[i]);
}

/* Parse from an exactly-sized heap copy so the sanitizer sees any overread. */
static enum dtb_status parse_copy(const void *blob, size_t len, struct dtb_inventory *inv,
                                  struct dtb_error *err)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, blob, len);
    enum dtb_status st = dtb_parse(copy, len, inv, err);
    free(copy);
    return st;
}

static void parse_and_compare(const void *fdt, size_t len, struct dtb_inventory *inv)
{
    struct dtb_inventory expect;
    struct dtb_error err;
    enum dtb_status st = parse_copy(fdt, len, inv, &err);
    if (st != DTB_OK)
        fail_msg("dtb_parse: %s at offset %u", dtb_strerror(st), err.offset);
    assert_int_equal(err.status, DTB_OK);
    model_inventory(fdt, &expect);
    assert_inventory_eq(inv, &expect);
}

static int has_range(const struct dtb_range *t, uint32_t n, uint64_t base, uint64_t size)
{
    for (uint32_t i = 0; i < n; i++) {
        if (t[i].base == base && t[i].size == size)
            return 1;
    }
    return 0;
}

/* ---- QEMU's own blob ---- */

static void test_qemu_matches_libfdt(void **state)
{
    (void)state;
    struct dtb_inventory inv;
    assert_int_equal(fdt_check_full(qemu_blob, qemu_len), 0);
    parse_and_compare(qemu_blob, qemu_len, &inv);
}

static void test_qemu_known_values(void **state)
{
    (void)state;
    struct dtb_inventory inv;
    struct dtb_error err;
    assert_int_equal(parse_copy(qemu_blob, qemu_len, &inv, &err), DTB_OK);
    /* These pin down the machine.json machine: 256 MiB at 0x80000000, one hart. */
    assert_int_equal(inv.memory_count, 1);
    assert_int_equal(inv.memory[0].base, 0x80000000u);
    assert_int_equal(inv.memory[0].size, 256u << 20);
    assert_int_equal(inv.cpu_count, 1);
    assert_int_equal(inv.cpu_hartid[0], 0);
    assert_int_equal(inv.timebase_frequency, 10000000u);
    assert_string_equal(inv.stdout_path, "/soc/serial@10000000");
    assert_string_equal(inv.uart.path, "/soc/serial@10000000");
    assert_int_equal(inv.uart.base, 0x10000000u);
    assert_int_equal(inv.uart.irq, 10);
    assert_int_equal(inv.plic.base, 0xc000000u);
    assert_true(inv.plic_ndev > 0);
    assert_int_equal(inv.test.base, 0x100000u);
    assert_int_equal(inv.virtio_count, 8);
    assert_int_equal(inv.rsvmap_count, 0);
    assert_int_equal(inv.reserved_count, 0);
}

static void test_qemu_unaligned_and_exact_length(void **state)
{
    (void)state;
    struct dtb_inventory a, b;
    struct dtb_error err;
    uint32_t total = fdt_totalsize(qemu_blob);
    /* Boot hands over a blob at whatever address OpenSBI chose; read byte-wise. */
    for (size_t shift = 1; shift < 8; shift++) {
        uint8_t *buf = malloc(total + shift);
        assert_non_null(buf);
        memcpy(buf + shift, qemu_blob, total);
        assert_int_equal(dtb_parse(buf + shift, total, &a, &err), DTB_OK);
        free(buf);
    }
    assert_int_equal(parse_copy(qemu_blob, qemu_len, &b, &err), DTB_OK);
    assert_memory_equal(&a, &b, sizeof(a));
}

/* ---- blobs edited with libfdt's read-write API ---- */

static void setprop_cells(void *fdt, int node, const char *name, const uint32_t *cells,
                          int n)
{
    fdt32_t buf[16];
    assert_true(n <= 16);
    for (int i = 0; i < n; i++)
        buf[i] = cpu_to_fdt32(cells[i]);
    assert_int_equal(fdt_setprop(fdt, node, name, buf, n * (int)sizeof(fdt32_t)), 0);
}

static int add_node(void *fdt, int parent, const char *name)
{
    int n = fdt_add_subnode(fdt, parent, name);
    assert_true(n >= 0);
    return n;
}

/* What OpenSBI does to QEMU's blob before the kernel sees it, plus shapes QEMU never
 * produces: a second memory node and a bus with one address and one size cell. */
static void test_opensbi_style_edits(void **state)
{
    (void)state;
    size_t cap = fdt_totalsize(qemu_blob) + 8192u;
    uint8_t *fdt = malloc(cap);
    assert_non_null(fdt);
    assert_int_equal(fdt_open_into(qemu_blob, fdt, (int)cap), 0);
    assert_int_equal(fdt_add_mem_rsv(fdt, 0x87f00000u, 0x100000u), 0);

    int rm = add_node(fdt, 0, "reserved-memory");
    assert_int_equal(fdt_setprop_u32(fdt, rm, "#address-cells", 2), 0);
    assert_int_equal(fdt_setprop_u32(fdt, rm, "#size-cells", 2), 0);
    assert_int_equal(fdt_setprop(fdt, rm, "ranges", NULL, 0), 0);
    int dyn = add_node(fdt, rm, "dynamic-pool"); /* no reg: allocated later, not a range */
    assert_int_equal(fdt_setprop_u64(fdt, dyn, "size", 0x100000u), 0);
    int resv = add_node(fdt, rm, "mmode_resv0@80000000");
    assert_int_equal(fdt_setprop_u64(fdt, resv, "reg", 0x80000000u), 0);
    assert_int_equal(fdt_appendprop_u64(fdt, resv, "reg", 0x80000u), 0);
    assert_int_equal(fdt_setprop(fdt, resv, "no-map", NULL, 0), 0);

    int mem = add_node(fdt, 0, "memory@90000000");
    assert_int_equal(fdt_setprop_string(fdt, mem, "device_type", "memory"), 0);
    setprop_cells(fdt, mem, "reg", (const uint32_t[]){0, 0x90000000u, 0, 0x1000000u}, 4);

    int bus = add_node(fdt, 0, "bus32@40000000");
    assert_int_equal(fdt_setprop_u32(fdt, bus, "#address-cells", 1), 0);
    assert_int_equal(fdt_setprop_u32(fdt, bus, "#size-cells", 1), 0);
    int v = add_node(fdt, bus, "virtio_mmio@40001000");
    assert_int_equal(fdt_setprop_string(fdt, v, "compatible", "virtio,mmio"), 0);
    setprop_cells(fdt, v, "reg", (const uint32_t[]){0x40001000u, 0x200u}, 2);
    setprop_cells(fdt, v, "interrupts", (const uint32_t[]){0x31u, 4u}, 2);
    int m32 = add_node(fdt, bus, "memory@a0000000");
    assert_int_equal(fdt_setprop_string(fdt, m32, "device_type", "memory"), 0);
    setprop_cells(fdt, m32, "reg",
                  (const uint32_t[]){0xa0000000u, 0x100000u, 0xb0000000u, 0x200000u}, 4);

    assert_int_equal(fdt_pack(fdt), 0);
    assert_int_equal(fdt_check_full(fdt, fdt_totalsize(fdt)), 0);

    struct dtb_inventory inv;
    parse_and_compare(fdt, fdt_totalsize(fdt), &inv);

    assert_int_equal(inv.rsvmap_count, 1);
    assert_int_equal(inv.rsvmap[0].base, 0x87f00000u);
    assert_int_equal(inv.rsvmap[0].size, 0x100000u);
    assert_int_equal(inv.reserved_count, 1);
    assert_int_equal(inv.reserved[0].base, 0x80000000u);
    assert_int_equal(inv.reserved[0].size, 0x80000u);
    assert_int_equal(inv.memory_count, 4);
    assert_true(has_range(inv.memory, 4, 0x80000000u, 0x10000000u));
    assert_true(has_range(inv.memory, 4, 0x90000000u, 0x1000000u));
    assert_true(has_range(inv.memory, 4, 0xa0000000u, 0x100000u));
    assert_true(has_range(inv.memory, 4, 0xb0000000u, 0x200000u));
    assert_int_equal(inv.virtio_count, 9);
    int seen = 0;
    for (uint32_t i = 0; i < inv.virtio_count; i++) {
        if (strcmp(inv.virtio[i].path, "/bus32@40000000/virtio_mmio@40001000") == 0) {
            assert_int_equal(inv.virtio[i].base, 0x40001000u);
            assert_int_equal(inv.virtio[i].size, 0x200u);
            assert_int_equal(inv.virtio[i].irq, 0x31u);
            seen++;
        }
    }
    assert_int_equal(seen, 1);
    assert_string_equal(inv.uart.path, "/soc/serial@10000000");
    free(fdt);
}

/* ---- a blob written from scratch with the sequential-write API ---- */

static void prop_cells(void *fdt, const char *name, const uint32_t *cells, int n)
{
    fdt32_t buf[16];
    assert_true(n <= 16);
    for (int i = 0; i < n; i++)
        buf[i] = cpu_to_fdt32(cells[i]);
    assert_int_equal(fdt_property(fdt, name, buf, n * (int)sizeof(fdt32_t)), 0);
}

#define PROP_CELLS(fdt, name, ...)                                                        \
    prop_cells((fdt), (name), (const uint32_t[]){__VA_ARGS__},                            \
               (int)(sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t)))

/* with_stdout: give /chosen a stdout-path naming the second of two ns16550a uarts. */
static size_t build_board(uint8_t *fdt, int cap, int with_stdout)
{
    assert_int_equal(fdt_create(fdt, cap), 0);
    assert_int_equal(fdt_add_reservemap_entry(fdt, 0x80000000u, 0x40000u), 0);
    assert_int_equal(fdt_add_reservemap_entry(fdt, 0x1ffff000000ull, 0x2000u), 0);
    assert_int_equal(fdt_finish_reservemap(fdt), 0);
    assert_int_equal(fdt_begin_node(fdt, ""), 0);
    /* No #address-cells/#size-cells on the root: the reader must use 2 and 1. */
    assert_int_equal(fdt_property_string(fdt, "model", "anvaya,test-board"), 0);

    assert_int_equal(fdt_begin_node(fdt, "chosen"), 0);
    if (with_stdout)
        assert_int_equal(fdt_property_string(fdt, "stdout-path", "/soc/uart@2000:115200n8"),
                         0);
    assert_int_equal(fdt_end_node(fdt), 0);

    assert_int_equal(fdt_begin_node(fdt, "memory@80000000"), 0);
    assert_int_equal(fdt_property_string(fdt, "device_type", "memory"), 0);
    PROP_CELLS(fdt, "reg", 0x0, 0x80000000u, 0x4000000u, 0x1, 0x0, 0x8000000u);
    assert_int_equal(fdt_end_node(fdt), 0);

    assert_int_equal(fdt_begin_node(fdt, "cpus"), 0);
    PROP_CELLS(fdt, "#address-cells", 1);
    PROP_CELLS(fdt, "#size-cells", 0);
    /* The timebase lives on the cpu here, 64-bit, which the spec also allows. */
    assert_int_equal(fdt_begin_node(fdt, "cpu@0"), 0);
    assert_int_equal(fdt_property_string(fdt, "device_type", "cpu"), 0);
    PROP_CELLS(fdt, "reg", 0);
    assert_int_equal(fdt_property_u64(fdt, "timebase-frequency", 0x123456789ull), 0);
    assert_int_equal(fdt_end_node(fdt), 0);
    assert_int_equal(fdt_begin_node(fdt, "cpu@3"), 0);
    assert_int_equal(fdt_property_string(fdt, "device_type", "cpu"), 0);
    PROP_CELLS(fdt, "reg", 3);
    assert_int_equal(fdt_end_node(fdt), 0);
    assert_int_equal(fdt_begin_node(fdt, "cpu-map"), 0);
    assert_int_equal(fdt_end_node(fdt), 0);
    assert_int_equal(fdt_end_node(fdt), 0);

    assert_int_equal(fdt_begin_node(fdt, "soc"), 0);
    PROP_CELLS(fdt, "#address-cells", 1);
    PROP_CELLS(fdt, "#size-cells", 1);
    assert_int_equal(fdt_begin_node(fdt, "uart@1000"), 0);
    assert_int_equal(fdt_property_string(fdt, "compatible", "ns16550a"), 0);
    PROP_CELLS(fdt, "reg", 0x1000, 0x100);
    PROP_CELLS(fdt, "interrupts", 5);
    assert_int_equal(fdt_end_node(fdt), 0);
    assert_int_equal(fdt_begin_node(fdt, "uart@2000"), 0);
    static const char uart_compat[] = "snps,dw-apb-uart\0ns16550a";
    assert_int_equal(fdt_property(fdt, "compatible", uart_compat, sizeof(uart_compat)), 0);
    PROP_CELLS(fdt, "reg", 0x2000, 0x100);
    PROP_CELLS(fdt, "interrupts", 6);
    assert_int_equal(fdt_end_node(fdt), 0);
    assert_int_equal(fdt_begin_node(fdt, "interrupt-controller@c000000"), 0);
    assert_int_equal(fdt_property_string(fdt, "compatible", "riscv,plic0"), 0);
    PROP_CELLS(fdt, "reg", 0xc000000u, 0x4000000u);
    PROP_CELLS(fdt, "riscv,ndev", 31);
    assert_int_equal(fdt_end_node(fdt), 0);
    assert_int_equal(fdt_begin_node(fdt, "test@100000"), 0);
    static const char test_compat[] = "sifive,test1\0sifive,test0";
    assert_int_equal(fdt_property(fdt, "compatible", test_compat, sizeof(test_compat)), 0);
    PROP_CELLS(fdt, "reg", 0x100000, 0x1000);
    assert_int_equal(fdt_end_node(fdt), 0);
    assert_int_equal(fdt_end_node(fdt), 0);

    assert_int_equal(fdt_end_node(fdt), 0);
    assert_int_equal(fdt_finish(fdt), 0);
    assert_int_equal(fdt_check_full(fdt, fdt_totalsize(fdt)), 0);
    return fdt_totalsize(fdt);
}

static void test_sequential_board(void **state)
{
    (void)state;
    static uint8_t fdt[16384];
    size_t len = build_board(fdt, (int)sizeof(fdt), 1);
    struct dtb_inventory inv;
    parse_and_compare(fdt, len, &inv);

    assert_string_equal(inv.model, "anvaya,test-board");
    assert_int_equal(inv.rsvmap_count, 2);
    assert_int_equal(inv.rsvmap[1].base, 0x1ffff000000ull);
    assert_int_equal(inv.memory_count, 2);
    assert_int_equal(inv.memory[0].base, 0x80000000u);
    assert_int_equal(inv.memory[0].size, 0x4000000u);
    assert_int_equal(inv.memory[1].base, 0x100000000ull);
    assert_int_equal(inv.memory[1].size, 0x8000000u);
    assert_int_equal(inv.cpu_count, 2);
    assert_int_equal(inv.cpu_hartid[0], 0);
    assert_int_equal(inv.cpu_hartid[1], 3);
    assert_int_equal(inv.timebase_frequency, 0x123456789ull);
    assert_string_equal(inv.stdout_path, "/soc/uart@2000");
    assert_string_equal(inv.uart.path, "/soc/uart@2000");
    assert_string_equal(inv.uart.compatible, "snps,dw-apb-uart");
    assert_int_equal(inv.uart.base, 0x2000);
    assert_int_equal(inv.uart.irq, 6);
    assert_string_equal(inv.plic.path, "/soc/interrupt-controller@c000000");
    assert_int_equal(inv.plic_ndev, 31);
    assert_int_equal(inv.plic.size, 0x4000000u);
    assert_string_equal(inv.test.compatible, "sifive,test1");
    assert_int_equal(inv.test.base, 0x100000);
    assert_int_equal(inv.virtio_count, 0);
}

static void test_sequential_board_without_stdout(void **state)
{
    (void)state;
    static uint8_t fdt[16384];
    size_t len = build_board(fdt, (int)sizeof(fdt), 0);
    struct dtb_inventory inv;
    parse_and_compare(fdt, len, &inv);
    assert_string_equal(inv.stdout_path, "");
    assert_string_equal(inv.uart.path, "/soc/uart@1000"); /* first ns16550a */
    assert_int_equal(inv.uart.irq, 5);
}

static void test_strerror_distinct(void **state)
{
    (void)state;
    for (int i = 0; i < DTB_E_COUNT; i++) {
        const char *a = dtb_strerror((enum dtb_status)i);
        assert_non_null(a);
        assert_true(strlen(a) > 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(a, dtb_strerror((enum dtb_status)j));
    }
    assert_non_null(dtb_strerror(DTB_E_COUNT));
    assert_non_null(dtb_strerror((enum dtb_status)-1));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s QEMU_VIRT_DTB\n", argv[0]);
        return 2;
    }
    dtb_file = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_matches_libfdt),
        cmocka_unit_test(test_qemu_known_values),
        cmocka_unit_test(test_qemu_unaligned_and_exact_length),
        cmocka_unit_test(test_opensbi_style_edits),
        cmocka_unit_test(test_sequential_board),
        cmocka_unit_test(test_sequential_board_without_stdout),
        cmocka_unit_test(test_strerror_distinct),
    };
    return cmocka_run_group_tests_name("dtb-libfdt", tests, group_setup, group_teardown);
}
