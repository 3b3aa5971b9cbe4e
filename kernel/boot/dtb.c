/* Bounded, single-pass reader of the flattened device tree handed over at boot: it
 * validates header and blocks, then fills the fixed inventory the kernel sizes itself from. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/dtb.h"
#ifdef __FRAMAC__
/* Frama-C's specified memset: Eva zeroes a whole structure at once instead of merging a
 * byte loop's iterations into "zero or uninitialised" (tests/proof/eva). */
#include <string.h>
#else
#include "lib/mem.h"
#endif

/*
 * Policy decisions, so callers know what to expect:
 *  - A node path (or the stdout-path) that does not fit DTB_PATH_MAX with its NUL is an
 *    error (DTB_E_PATH_TOO_LONG), never truncated: a truncated path could silently match
 *    the wrong node.  model and compatible strings are informational and are truncated to
 *    DTB_COMPAT_MAX - 1 characters.
 *  - #address-cells/#size-cells values above 2 are accepted (PCI buses use 3) and only
 *    rejected with DTB_E_BAD_CELLS when a reg this reader needs is decoded with them.
 *  - Properties must precede subnodes, as the spec requires; a property after a child
 *    is DTB_E_BAD_TOKEN.  That keeps a node's cells final before any child is decoded.
 *  - The uart is matched against stdout-path when its node closes.  /chosen precedes
 *    /soc in every blob QEMU and dtc produce; if it came later, the first ns16550a is
 *    used instead.  Aliases in stdout-path are not resolved.
 *  - A device this reader records (uart, plic, test, virtio, cpu) must have a reg.
 *  - On any error the inventory is left zeroed, so no half-read state reaches boot.
 */

#define FDT_MAGIC 0xd00dfeedu
#define HDR_SIZE 40u
#define RSV_ENTRY_SIZE 16u

#define TOK_BEGIN_NODE 1u
#define TOK_END_NODE 2u
#define TOK_PROP 3u
#define TOK_NOP 4u
#define TOK_END 9u

/* Header field offsets, used as err->offset for header problems. */
#define H_MAGIC 0u
#define H_TOTALSIZE 4u
#define H_OFF_STRUCT 8u
#define H_OFF_STRINGS 12u
#define H_OFF_RSVMAP 16u
#define H_VERSION 20u
#define H_LAST_COMP 24u
#define H_SIZE_STRINGS 32u
#define H_SIZE_STRUCT 36u

enum node_kind { KIND_OTHER, KIND_ROOT, KIND_CPUS, KIND_CHOSEN, KIND_RESMEM };

struct frame {
    uint32_t node_off;    /* BEGIN_NODE token, for errors about the node as a whole */
    uint32_t path_len;
    uint32_t addr_cells;  /* this node's cells, which its children's reg use */
    uint32_t size_cells;
    uint32_t reg_tok, reg_off, reg_len, reg_end;
    uint32_t compat_off, compat_end; /* the value's bytes: b[compat_off, compat_end) */
    uint32_t irq;
    uint32_t ndev;
    uint64_t timebase;
    bool has_reg, has_compat, has_timebase, has_child;
    bool dt_memory, dt_cpu;
    enum node_kind kind;
};

struct parser {
    const uint8_t *b;
    uint32_t struct_off, struct_end;
    uint32_t strings_off, strings_size, strings_end;
    struct dtb_inventory *inv;
    struct dtb_error *err;
    uint32_t depth;
    bool stdout_set, uart_exact, uart_fallback_set;
    struct dtb_device uart_fallback;
    char path[DTB_PATH_MAX];
    struct frame stack[DTB_MAX_DEPTH];
};

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
           (uint32_t)p[3];
}

/*
 * The blob is read only through these helpers, by index into b below an end index
 * (a block's or a value's end, itself checked against totalsize <= len). The callers
 * have checked each field lies inside its block; the helpers state that bound once more
 * in a form an interval analysis can follow (tests/proof/eva), so no read can leave the
 * blob even if a caller's check were wrong. A word that would cross end reads as 0.
 */
static uint32_t be32_at(const uint8_t *b, uint64_t off, uint64_t end)
{
    if (end < 4 || off > end - 4)
        return 0;
    return be32(b + off);
}

static uint64_t be64_at(const uint8_t *b, uint64_t off, uint64_t end)
{
    return ((uint64_t)be32_at(b, off, end) << 32) | be32_at(b, off + 4, end);
}

/* Index of the first NUL or `also` byte in b[from, end), or end when there is none. */
static uint64_t span_end(const uint8_t *b, uint64_t from, uint64_t end, uint8_t also)
{
    uint64_t i = from;
    while (i < end && b[i] != 0 && b[i] != also)
        i++;
    return i;
}

/* Index of the first NUL in b[from, end), or end when there is none. */
static uint64_t str_end(const uint8_t *b, uint64_t from, uint64_t end)
{
    return span_end(b, from, end, 0);
}

/* Does b[from, to) hold exactly the C string lit (no terminator compared)? */
static bool region_is(const uint8_t *b, uint64_t from, uint64_t to, const char *lit)
{
    uint64_t i = from;
    /* The loop runs once per character of lit (the longest is 18); unrolling it keeps
     * each lit[k] exact for Eva. */
    /*@ loop unroll 24; */
    for (size_t k = 0; lit[k] != '\0'; k++, i++) {
        if (i >= to || b[i] != (uint8_t)lit[k])
            return false;
    }
    return i == to;
}

/* Copies b[from, to) to dst[at, dst_end); the callers size both ranges alike. */
static void copy_span(char *dst, size_t at, size_t dst_end, const uint8_t *b, uint64_t from,
                      uint64_t to)
{
    for (uint64_t i = from, k = at; i < to && k < dst_end; i++, k++)
        dst[k] = (char)b[i];
}

static void copy_bytes(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
}

static bool cstr_equal(const char *a, const char *b, size_t max)
{
    for (size_t i = 0; i < max; i++) {
        if (a[i] != b[i])
            return false;
        if (a[i] == '\0')
            return true;
    }
    return false;
}

/* A property value b[from, to) used as a string: up to its first NUL, never past its
 * end, cut to cap - 1 characters. */
static void copy_value_string(char *dst, size_t cap, const uint8_t *b, uint64_t from,
                              uint64_t to)
{
    uint64_t stop = str_end(b, from, to);
    size_t n = (size_t)(stop - from);
    if (n > cap - 1)
        n = cap - 1;
    copy_span(dst, 0, n, b, from, stop);
    dst[n] = '\0';
}

/* Stringlist membership in b[from, to); an unterminated last entry never matches, since
 * its end is unknown. */
static bool stringlist_has(const uint8_t *b, uint64_t from, uint64_t to, const char *want)
{
    uint64_t pos = from;
    while (pos < to) {
        uint64_t stop = str_end(b, pos, to);
        if (stop >= to)
            return false;
        if (region_is(b, pos, stop, want))
            return true;
        pos = stop + 1;
    }
    return false;
}

static enum dtb_status fail(struct parser *p, enum dtb_status st, uint64_t off)
{
    if (p->err) {
        p->err->status = st;
        p->err->offset = off > UINT32_MAX ? UINT32_MAX : (uint32_t)off;
    }
    return st;
}

/* The frame of the node `up` levels out from the innermost open one (up = 1: the
 * innermost), or NULL when there is none. depth stays within [0, DTB_MAX_DEPTH]
 * (begin_node refuses to go deeper); testing it here keeps each index visibly inside
 * the stack. */
static struct frame *open_frame(struct parser *p, uint32_t up)
{
    if (up == 0 || p->depth < up || p->depth > DTB_MAX_DEPTH)
        return NULL;
    return &p->stack[p->depth - up];
}

static uint64_t read_cells(const uint8_t *b, uint64_t off, uint64_t end, uint32_t cells)
{
    if (cells == 0)
        return 0;
    if (cells == 1)
        return be32_at(b, off, end);
    return be64_at(b, off, end);
}

/* Number of (address, size) tuples in f's reg, decoded with the parent's cells. */
static enum dtb_status reg_count(struct parser *p, const struct frame *parent,
                                 const struct frame *f, uint32_t *count)
{
    uint32_t ac = parent->addr_cells, sc = parent->size_cells;
    if (ac > 2 || sc > 2 || ac + sc == 0)
        return fail(p, DTB_E_BAD_CELLS, f->reg_tok);
    uint32_t tuple = (ac + sc) * 4u;
    if (f->reg_len % tuple != 0)
        return fail(p, DTB_E_BAD_REG, f->reg_tok);
    *count = f->reg_len / tuple;
    return DTB_OK;
}

/* Only valid after reg_count succeeded for the same frame and index < count. */
static struct dtb_range reg_entry(const struct parser *p, const struct frame *parent,
                                  const struct frame *f, uint32_t index)
{
    uint32_t ac = parent->addr_cells, sc = parent->size_cells;
    uint64_t at = f->reg_off + (uint64_t)index * (ac + sc) * 4u;
    struct dtb_range r;
    r.base = read_cells(p->b, at, f->reg_end, ac);
    r.size = read_cells(p->b, at + ac * 4u, f->reg_end, sc);
    return r;
}

static enum dtb_status append_regs(struct parser *p, const struct frame *parent,
                                   const struct frame *f, struct dtb_range *table,
                                   uint32_t *n, uint32_t cap)
{
    uint32_t count;
    enum dtb_status st = reg_count(p, parent, f, &count);
    if (st != DTB_OK)
        return st;
    for (uint32_t i = 0; i < count; i++) {
        if (*n >= cap)
            return fail(p, DTB_E_TABLE_FULL, f->reg_tok);
        table[(*n)++] = reg_entry(p, parent, f, i);
    }
    return DTB_OK;
}

static enum dtb_status fill_device(struct parser *p, const struct frame *parent,
                                   const struct frame *f, struct dtb_device *dev)
{
    uint32_t count;
    if (!f->has_reg)
        return fail(p, DTB_E_BAD_REG, f->node_off);
    enum dtb_status st = reg_count(p, parent, f, &count);
    if (st != DTB_OK)
        return st;
    if (count == 0)
        return fail(p, DTB_E_BAD_REG, f->reg_tok);
    struct dtb_range r = reg_entry(p, parent, f, 0);
    memset(dev, 0, sizeof(*dev));
    copy_bytes(dev->path, p->path, (size_t)f->path_len + 1);
    if (f->has_compat)
        copy_value_string(dev->compatible, sizeof(dev->compatible), p->b, f->compat_off,
                          f->compat_end);
    dev->base = r.base;
    dev->size = r.size;
    dev->irq = f->irq;
    dev->present = 1;
    return DTB_OK;
}

/* Everything about a node is known once it closes: its properties precede its children. */
static enum dtb_status finish_node(struct parser *p)
{
    struct dtb_inventory *inv = p->inv;
    const struct frame *f = open_frame(p, 1);
    const struct frame *parent = open_frame(p, 2);
    enum dtb_status st;
    if (f == NULL || parent == NULL)
        return DTB_OK; /* the root has no parent cells to decode anything with */

    if (f->dt_memory && f->has_reg) {
        st = append_regs(p, parent, f, inv->memory, &inv->memory_count, DTB_MAX_MEMORY);
        if (st != DTB_OK)
            return st;
    }
    if (parent->kind == KIND_RESMEM && f->has_reg) {
        st = append_regs(p, parent, f, inv->reserved, &inv->reserved_count,
                         DTB_MAX_RESERVED);
        if (st != DTB_OK)
            return st;
    }
    if (parent->kind == KIND_CPUS && f->dt_cpu) {
        uint32_t count;
        if (!f->has_reg)
            return fail(p, DTB_E_BAD_REG, f->node_off);
        st = reg_count(p, parent, f, &count);
        if (st != DTB_OK)
            return st;
        if (count == 0)
            return fail(p, DTB_E_BAD_REG, f->reg_tok);
        if (inv->cpu_count >= DTB_MAX_CPUS)
            return fail(p, DTB_E_TABLE_FULL, f->node_off);
        inv->cpu_hartid[inv->cpu_count++] = (uint32_t)reg_entry(p, parent, f, 0).base;
        /* The spec lets each cpu carry the timebase when /cpus does not. */
        if (!parent->has_timebase && inv->timebase_frequency == 0 && f->has_timebase)
            inv->timebase_frequency = f->timebase;
    }

    bool virtio = false, plic = false, test = false, ns16550 = false;
    if (f->has_compat) {
        const uint8_t *b = p->b;
        uint32_t c = f->compat_off, e = f->compat_end;
        virtio = stringlist_has(b, c, e, "virtio,mmio");
        plic = !inv->plic.present && (stringlist_has(b, c, e, "riscv,plic0") ||
                                      stringlist_has(b, c, e, "sifive,plic-1.0.0"));
        test = !inv->test.present && stringlist_has(b, c, e, "sifive,test0");
        ns16550 = !p->uart_fallback_set && stringlist_has(b, c, e, "ns16550a");
    }
    bool is_stdout = p->stdout_set && !p->uart_exact &&
                     cstr_equal(p->path, inv->stdout_path, DTB_PATH_MAX);
    if (!(virtio || plic || test || ns16550 || is_stdout))
        return DTB_OK;

    struct dtb_device dev;
    st = fill_device(p, parent, f, &dev);
    if (st != DTB_OK)
        return st;
    if (virtio) {
        if (inv->virtio_count >= DTB_MAX_VIRTIO)
            return fail(p, DTB_E_TABLE_FULL, f->node_off);
        inv->virtio[inv->virtio_count++] = dev;
    }
    if (plic) {
        inv->plic = dev;
        inv->plic_ndev = f->ndev;
    }
    if (test)
        inv->test = dev;
    if (is_stdout) {
        inv->uart = dev;
        p->uart_exact = true;
    }
    if (ns16550) {
        p->uart_fallback = dev;
        p->uart_fallback_set = true;
    }
    return DTB_OK;
}

static enum dtb_status begin_node(struct parser *p, uint32_t off, uint32_t *next)
{
    uint32_t name_off = off + 4u;
    uint64_t name_end = str_end(p->b, name_off, p->struct_end);
    if (name_end >= p->struct_end)
        return fail(p, DTB_E_BAD_NODE_NAME, name_off); /* unterminated */
    size_t nlen = (size_t)(name_end - name_off);
    if (p->depth >= DTB_MAX_DEPTH)
        return fail(p, DTB_E_TOO_DEEP, off);

    const uint8_t *b = p->b;
    struct frame *f = &p->stack[p->depth];
    memset(f, 0, sizeof(*f));
    f->node_off = off;
    f->addr_cells = 2; /* defaults the spec gives when the properties are absent */
    f->size_cells = 1;

    if (p->depth == 0) {
        /* The root's own name is meaningless (normally empty); its path is "/". */
        f->kind = KIND_ROOT;
        p->path[0] = '/';
        p->path[1] = '\0';
        f->path_len = 1;
    } else {
        struct frame *parent = &p->stack[p->depth - 1];
        if (nlen == 0)
            return fail(p, DTB_E_BAD_NODE_NAME, name_off);
        for (uint64_t i = name_off; i < name_end; i++) {
            if (b[i] == '/')
                return fail(p, DTB_E_BAD_NODE_NAME, i);
        }
        uint64_t sep = parent->path_len > 1 ? 1 : 0;
        uint64_t plen = parent->path_len + sep + nlen;
        if (plen >= DTB_PATH_MAX)
            return fail(p, DTB_E_PATH_TOO_LONG, name_off);
        if (sep)
            p->path[parent->path_len] = '/';
        copy_span(p->path, parent->path_len + sep, plen, b, name_off, name_end);
        p->path[plen] = '\0';
        f->path_len = (uint32_t)plen;
        parent->has_child = true;
        if (parent->kind == KIND_ROOT) {
            if (region_is(b, name_off, name_end, "cpus"))
                f->kind = KIND_CPUS;
            else if (region_is(b, name_off, name_end, "chosen"))
                f->kind = KIND_CHOSEN;
            else if (region_is(b, name_off, name_end, "reserved-memory"))
                f->kind = KIND_RESMEM;
        }
    }
    p->depth++;
    /* name_end < struct_end <= DTB_MAX_SIZE, so the sum cannot wrap. */
    uint64_t n = (name_end + 1 + 3) & ~(uint64_t)3;
    if (n > p->struct_end)
        return fail(p, DTB_E_STRUCT_TRUNCATED, off);
    *next = (uint32_t)n;
    return DTB_OK;
}

static enum dtb_status property(struct parser *p, uint32_t off, uint32_t *next)
{
    struct frame *f = open_frame(p, 1);
    if (f == NULL) /* outside any node */
        return fail(p, DTB_E_BAD_TOKEN, off);
    if (f->has_child)
        return fail(p, DTB_E_BAD_TOKEN, off);
    /* off <= struct_end (every token ends inside the block), so no sum here wraps. */
    if ((uint64_t)off + 12u > p->struct_end)
        return fail(p, DTB_E_STRUCT_TRUNCATED, off);
    const uint8_t *b = p->b;
    uint32_t len = be32_at(b, off + 4, p->struct_end);
    uint32_t nameoff = be32_at(b, off + 8, p->struct_end);
    uint32_t voff = off + 12u;
    /* voff <= struct_end here, so this is len > struct_end - voff. */
    uint64_t vend = (uint64_t)voff + len;
    if (vend > p->struct_end)
        return fail(p, DTB_E_PROP_OVERRUN, off + 4);
    uint64_t name = (uint64_t)p->strings_off + nameoff;
    if (name >= p->strings_end) /* nameoff >= strings_size */
        return fail(p, DTB_E_BAD_STRING_OFFSET, off + 8);
    uint64_t name_end = str_end(b, name, p->strings_end);
    if (name_end >= p->strings_end) /* unterminated */
        return fail(p, DTB_E_BAD_STRING_OFFSET, off + 8);

#define NAME_IS(lit) region_is(b, name, name_end, lit)
    if (NAME_IS("#address-cells") || NAME_IS("#size-cells")) {
        if (len != 4)
            return fail(p, DTB_E_BAD_CELLS, off);
        if (NAME_IS("#address-cells"))
            f->addr_cells = be32_at(b, voff, vend);
        else
            f->size_cells = be32_at(b, voff, vend);
    } else if (NAME_IS("reg")) {
        f->has_reg = true;
        f->reg_tok = off;
        f->reg_off = voff;
        f->reg_len = len;
        f->reg_end = (uint32_t)vend;
    } else if (NAME_IS("compatible")) {
        f->has_compat = true;
        f->compat_off = voff;
        f->compat_end = (uint32_t)vend;
    } else if (NAME_IS("interrupts")) {
        if (len >= 4)
            f->irq = be32_at(b, voff, vend);
    } else if (NAME_IS("device_type")) {
        uint64_t stop = str_end(b, voff, vend);
        f->dt_memory = region_is(b, voff, stop, "memory");
        f->dt_cpu = region_is(b, voff, stop, "cpu");
    } else if (NAME_IS("riscv,ndev")) {
        if (len == 4)
            f->ndev = be32_at(b, voff, vend);
    } else if (NAME_IS("timebase-frequency")) {
        if (len == 4 || len == 8) {
            f->has_timebase = true;
            f->timebase = len == 4 ? be32_at(b, voff, vend) : be64_at(b, voff, vend);
            if (f->kind == KIND_CPUS)
                p->inv->timebase_frequency = f->timebase;
        }
    } else if (f->kind == KIND_ROOT && NAME_IS("model")) {
        copy_value_string(p->inv->model, sizeof(p->inv->model), b, voff, vend);
    } else if (f->kind == KIND_CHOSEN && NAME_IS("stdout-path")) {
        uint64_t stop = span_end(b, voff, vend, ':'); /* the path, without ":options" */
        size_t n = (size_t)(stop - voff);
        if (n >= DTB_PATH_MAX)
            return fail(p, DTB_E_PATH_TOO_LONG, voff);
        copy_span(p->inv->stdout_path, 0, n, b, voff, stop);
        p->inv->stdout_path[n] = '\0';
        p->stdout_set = n > 0;
    } else if (f->kind == KIND_CHOSEN && NAME_IS("bootargs")) {
        copy_value_string(p->inv->bootargs, sizeof(p->inv->bootargs), b, voff, vend);
    }
#undef NAME_IS
    uint64_t n = (vend + 3) & ~(uint64_t)3;
    if (n > p->struct_end)
        return fail(p, DTB_E_STRUCT_TRUNCATED, off);
    *next = (uint32_t)n;
    return DTB_OK;
}

static enum dtb_status walk_structure(struct parser *p)
{
    uint32_t off = p->struct_off;
    bool root_done = false;
    /* Every token consumes at least four bytes, so this bounds the walk. */
    uint32_t guard = (p->struct_end - p->struct_off) / 4u + 1u;
    enum dtb_status st;

    while (guard-- > 0) {
        if ((uint64_t)off + 4u > p->struct_end) /* off <= struct_end: the walk's invariant */
            return fail(p, DTB_E_STRUCT_TRUNCATED, off);
        uint32_t tok = be32_at(p->b, off, p->struct_end);
        uint32_t next = off + 4u;
        switch (tok) {
        case TOK_BEGIN_NODE:
            if (root_done)
                return fail(p, DTB_E_BAD_TOKEN, off);
            st = begin_node(p, off, &next);
            if (st != DTB_OK)
                return st;
            break;
        case TOK_END_NODE:
            if (p->depth == 0)
                return fail(p, DTB_E_BAD_TOKEN, off);
            st = finish_node(p);
            if (st != DTB_OK)
                return st;
            p->depth--;
            const struct frame *top = open_frame(p, 1);
            if (top == NULL) /* depth 0: the root closed */
                root_done = true;
            else
                p->path[top->path_len] = '\0';
            break;
        case TOK_PROP:
            st = property(p, off, &next);
            if (st != DTB_OK)
                return st;
            break;
        case TOK_NOP:
            break;
        case TOK_END:
            if (!root_done)
                return fail(p, DTB_E_STRUCT_TRUNCATED, off);
            return DTB_OK;
        default:
            return fail(p, DTB_E_BAD_TOKEN, off);
        }
        off = next;
    }
    return fail(p, DTB_E_STRUCT_TRUNCATED, off);
}

static enum dtb_status read_rsvmap(struct parser *p, uint32_t rsv_off, uint32_t totalsize)
{
    /* The map may run up to the next block that starts after it, but not into it. */
    uint32_t limit = totalsize;
    if (p->struct_off >= rsv_off && p->struct_end > p->struct_off && p->struct_off < limit)
        limit = p->struct_off;
    if (p->strings_off >= rsv_off && p->strings_size > 0 && p->strings_off < limit)
        limit = p->strings_off;

    uint32_t pos = rsv_off;
    uint32_t guard = (limit - rsv_off) / RSV_ENTRY_SIZE + 1u;
    while (guard-- > 0) {
        if (limit - pos < RSV_ENTRY_SIZE)
            break;
        uint64_t addr = be64_at(p->b, pos, limit);
        uint64_t size = be64_at(p->b, pos + 8, limit);
        if (addr == 0 && size == 0)
            return DTB_OK;
        if (p->inv->rsvmap_count >= DTB_MAX_RESERVED)
            return fail(p, DTB_E_TABLE_FULL, pos);
        p->inv->rsvmap[p->inv->rsvmap_count].base = addr;
        p->inv->rsvmap[p->inv->rsvmap_count].size = size;
        p->inv->rsvmap_count++;
        pos += RSV_ENTRY_SIZE;
    }
    return fail(p, DTB_E_RSVMAP_TRUNCATED, pos);
}

static bool inside(uint32_t x, uint32_t start, uint32_t size)
{
    return x >= start && x - start < size;
}

static enum dtb_status check_header(struct parser *p, size_t len, uint32_t *rsv_off)
{
    const uint8_t *b = p->b;
    if (len < HDR_SIZE)
        return fail(p, DTB_E_TRUNCATED_HEADER, len);
    if (be32_at(b, H_MAGIC, len) != FDT_MAGIC)
        return fail(p, DTB_E_BAD_MAGIC, H_MAGIC);

    uint32_t version = be32_at(b, H_VERSION, len);
    uint32_t last_comp = be32_at(b, H_LAST_COMP, len);
    if (version < 16)
        return fail(p, DTB_E_BAD_VERSION, H_VERSION);
    if (last_comp > 17 || last_comp > version)
        return fail(p, DTB_E_BAD_VERSION, H_LAST_COMP);

    uint32_t totalsize = be32_at(b, H_TOTALSIZE, len);
    if (totalsize < HDR_SIZE || totalsize > DTB_MAX_SIZE || totalsize > len)
        return fail(p, DTB_E_BAD_TOTALSIZE, H_TOTALSIZE);

    uint32_t off_struct = be32_at(b, H_OFF_STRUCT, len);
    uint32_t off_strings = be32_at(b, H_OFF_STRINGS, len);
    uint32_t off_rsv = be32_at(b, H_OFF_RSVMAP, len);
    uint32_t size_strings = be32_at(b, H_SIZE_STRINGS, len);
    if (off_rsv % 8u != 0)
        return fail(p, DTB_E_BAD_ALIGNMENT, H_OFF_RSVMAP);
    if (off_struct % 4u != 0)
        return fail(p, DTB_E_BAD_ALIGNMENT, H_OFF_STRUCT);

    if (off_struct < HDR_SIZE || off_struct > totalsize)
        return fail(p, DTB_E_BAD_LAYOUT, H_OFF_STRUCT);
    uint32_t size_struct;
    if (version >= 17) {
        size_struct = be32_at(b, H_SIZE_STRUCT, len);
    } else {
        /* Version 16 has no size_dt_struct: the block runs to the next one or the end. */
        uint32_t end = off_strings > off_struct && off_strings < totalsize ? off_strings
                                                                           : totalsize;
        size_struct = end - off_struct;
    }
    uint64_t struct_end = (uint64_t)off_struct + size_struct;
    if (struct_end > totalsize)
        return fail(p, DTB_E_BAD_LAYOUT, H_SIZE_STRUCT);

    if (off_strings < HDR_SIZE || off_strings > totalsize)
        return fail(p, DTB_E_BAD_LAYOUT, H_OFF_STRINGS);
    uint64_t strings_end = (uint64_t)off_strings + size_strings;
    if (strings_end > totalsize)
        return fail(p, DTB_E_BAD_LAYOUT, H_SIZE_STRINGS);
    if (size_struct > 0 && size_strings > 0 && off_struct < off_strings + size_strings &&
        off_strings < off_struct + size_struct)
        return fail(p, DTB_E_BAD_LAYOUT, H_OFF_STRINGS);

    if (off_rsv < HDR_SIZE || off_rsv >= totalsize || inside(off_rsv, off_struct, size_struct) ||
        inside(off_rsv, off_strings, size_strings))
        return fail(p, DTB_E_BAD_LAYOUT, H_OFF_RSVMAP);

    p->struct_off = off_struct;
    p->struct_end = (uint32_t)struct_end;
    p->strings_off = off_strings;
    p->strings_size = size_strings;
    p->strings_end = (uint32_t)strings_end;
    p->inv->totalsize = totalsize;
    *rsv_off = off_rsv;
    return DTB_OK;
}

static enum dtb_status parse(struct parser *p, size_t len)
{
    uint32_t rsv_off;
    enum dtb_status st = check_header(p, len, &rsv_off);
    if (st != DTB_OK)
        return st;
    st = read_rsvmap(p, rsv_off, p->inv->totalsize);
    if (st != DTB_OK)
        return st;
    st = walk_structure(p);
    if (st != DTB_OK)
        return st;
    if (!p->uart_exact && p->uart_fallback_set)
        p->inv->uart = p->uart_fallback;
    if (p->inv->memory_count == 0)
        return fail(p, DTB_E_NO_MEMORY_NODE, p->struct_off);
    return DTB_OK;
}

enum dtb_status dtb_parse(const void *blob, size_t len, struct dtb_inventory *inv,
                          struct dtb_error *err)
{
    struct parser p;
    if (err) {
        err->status = DTB_OK;
        err->offset = 0;
    }
    if (inv)
        memset(inv, 0, sizeof(*inv));
    if (!blob || !inv) {
        if (err)
            err->status = DTB_E_NULL;
        return DTB_E_NULL;
    }
    memset(&p, 0, sizeof(p));
    p.b = blob;
    p.inv = inv;
    p.err = err;
    enum dtb_status st = parse(&p, len);
    if (st != DTB_OK)
        memset(inv, 0, sizeof(*inv));
    return st;
}

const char *dtb_strerror(enum dtb_status status)
{
    static const char *const text[DTB_E_COUNT] = {
        [DTB_OK] = "ok",
        [DTB_E_NULL] = "no device tree blob",
        [DTB_E_TRUNCATED_HEADER] = "blob shorter than the device tree header",
        [DTB_E_BAD_MAGIC] = "bad magic",
        [DTB_E_BAD_VERSION] = "unsupported device tree version",
        [DTB_E_BAD_TOTALSIZE] = "totalsize larger than the buffer or limit, or too small",
        [DTB_E_BAD_LAYOUT] = "block outside the blob or blocks overlapping",
        [DTB_E_BAD_ALIGNMENT] = "misaligned block offset",
        [DTB_E_RSVMAP_TRUNCATED] = "memory reservation map not terminated",
        [DTB_E_STRUCT_TRUNCATED] = "structure block ends inside a token or node",
        [DTB_E_BAD_TOKEN] = "unexpected or unknown structure token",
        [DTB_E_BAD_NODE_NAME] = "node name empty, invalid or unterminated",
        [DTB_E_PROP_OVERRUN] = "property value runs past the structure block",
        [DTB_E_BAD_STRING_OFFSET] = "property name offset outside the strings block",
        [DTB_E_TOO_DEEP] = "nodes nested too deeply",
        [DTB_E_BAD_CELLS] = "unsupported #address-cells or #size-cells",
        [DTB_E_BAD_REG] = "reg missing or not a whole number of entries",
        [DTB_E_TABLE_FULL] = "more entries than the inventory holds",
        [DTB_E_NO_MEMORY_NODE] = "no memory node",
        [DTB_E_PATH_TOO_LONG] = "node path too long",
    };
    if ((unsigned)status >= (unsigned)DTB_E_COUNT || text[status] == NULL)
        return "unknown device tree status";
    return text[status];
}
