/* Decoder for the system image manifest (format in anvaya/manifest.h): checks every
 * bound, index, right and address before the loader sees a single entry. Freestanding:
 * reads bytes little-endian through its own helpers, so the blob needs no alignment. */
#include "boot/manifest.h"

#include <anvaya/abi.h>

#include "lib/format.h"

#define PAGE_MASK ((uint64_t)ANV_PAGE_SIZE - 1u)

static const uint32_t entry_size[MANIFEST_T_COUNT] = {
    sizeof(struct manifest_process), sizeof(struct manifest_object),
    sizeof(struct manifest_slot),    sizeof(struct manifest_mapping),
    sizeof(struct manifest_thread),  sizeof(struct manifest_image), 1u,
};
static const uint32_t max_count[MANIFEST_T_COUNT] = {
    MANIFEST_MAX_PROCESSES, MANIFEST_MAX_OBJECTS, MANIFEST_MAX_SLOTS, MANIFEST_MAX_MAPPINGS,
    MANIFEST_MAX_THREADS,   MANIFEST_MAX_IMAGES,  MANIFEST_MAX_STRINGS,
};

/* The wire layout is the C layout of these structs with no padding anywhere. */
_Static_assert(sizeof(struct manifest_table_desc) == 16, "table descriptor layout");
_Static_assert(sizeof(struct manifest_header) == 32 + 16 * MANIFEST_T_COUNT, "header layout");
_Static_assert(sizeof(struct manifest_process) == 64, "process layout");
_Static_assert(sizeof(struct manifest_object) == 40, "object layout");
_Static_assert(sizeof(struct manifest_slot) == 24, "slot layout");
_Static_assert(sizeof(struct manifest_mapping) == 32, "mapping layout");
_Static_assert(sizeof(struct manifest_thread) == 56, "thread layout");
_Static_assert(sizeof(struct manifest_image) == 40, "image layout");

static uint32_t rd16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

uint32_t manifest_crc32(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* The CRC with the crc32 field read as zero, without copying the blob. */
static uint32_t crc_skipping_field(const uint8_t *p, uint32_t len)
{
    static const uint8_t zero[4] = {0, 0, 0, 0};
    const uint32_t at = 16; /* offsetof(struct manifest_header, crc32) */
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < len; i++) {
        crc ^= (i >= at && i < at + 4) ? zero[i - at] : p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* Entry i of table t, or NULL when it would end past v->size. check_table made every
 * entry below count[t] end inside total_size = v->size, so the NULL case never happens;
 * the test states that bound where an interval analysis can follow it (tests/proof/eva),
 * so no accessor can read outside the blob even if a table check were wrong. */
static const uint8_t *entry(const struct manifest_view *v, uint32_t t, uint32_t i)
{
    uint64_t at = v->offset[t] + (uint64_t)i * entry_size[t];
    if (at + entry_size[t] > v->size)
        return NULL;
    return v->base + at;
}

uint32_t manifest_count(const struct manifest_view *v, uint32_t table)
{
    return table < MANIFEST_T_COUNT ? v->count[table] : 0;
}

bool manifest_process(const struct manifest_view *v, uint32_t i, struct manifest_process *out)
{
    if (i >= v->count[MANIFEST_T_PROCESS])
        return false;
    const uint8_t *p = entry(v, MANIFEST_T_PROCESS, i);
    if (p == NULL)
        return false;
    out->name = rd32(p + 0);
    out->image = rd32(p + 4);
    out->cspace_object = rd32(p + 8);
    out->vspace_object = rd32(p + 12);
    out->cspace_slots = rd32(p + 16);
    out->first_slot = rd32(p + 20);
    out->slot_count = rd32(p + 24);
    out->first_mapping = rd32(p + 28);
    out->mapping_count = rd32(p + 32);
    out->first_thread = rd32(p + 36);
    out->thread_count = rd32(p + 40);
    out->flags = rd32(p + 44);
    out->heap_base = rd64(p + 48);
    out->heap_size = rd64(p + 56);
    return true;
}

bool manifest_object(const struct manifest_view *v, uint32_t i, struct manifest_object *out)
{
    if (i >= v->count[MANIFEST_T_OBJECT])
        return false;
    const uint8_t *p = entry(v, MANIFEST_T_OBJECT, i);
    if (p == NULL)
        return false;
    out->type = rd32(p + 0);
    out->flags = rd32(p + 4);
    out->name = rd32(p + 8);
    out->size = rd32(p + 12);
    out->paddr = rd64(p + 16);
    out->irq = rd32(p + 24);
    out->notification = rd32(p + 28);
    out->badge = rd64(p + 32);
    return true;
}

bool manifest_slot(const struct manifest_view *v, uint32_t i, struct manifest_slot *out)
{
    if (i >= v->count[MANIFEST_T_SLOT])
        return false;
    const uint8_t *p = entry(v, MANIFEST_T_SLOT, i);
    if (p == NULL)
        return false;
    out->process = rd32(p + 0);
    out->slot = rd32(p + 4);
    out->object = rd32(p + 8);
    out->rights = rd32(p + 12);
    out->badge = rd64(p + 16);
    return true;
}

bool manifest_mapping(const struct manifest_view *v, uint32_t i, struct manifest_mapping *out)
{
    if (i >= v->count[MANIFEST_T_MAPPING])
        return false;
    const uint8_t *p = entry(v, MANIFEST_T_MAPPING, i);
    if (p == NULL)
        return false;
    out->process = rd32(p + 0);
    out->object = rd32(p + 4);
    out->vaddr = rd64(p + 8);
    out->pages = rd32(p + 16);
    out->rights = rd32(p + 20);
    out->flags = rd32(p + 24);
    out->reserved = rd32(p + 28);
    return true;
}

bool manifest_thread(const struct manifest_view *v, uint32_t i, struct manifest_thread *out)
{
    if (i >= v->count[MANIFEST_T_THREAD])
        return false;
    const uint8_t *p = entry(v, MANIFEST_T_THREAD, i);
    if (p == NULL)
        return false;
    out->process = rd32(p + 0);
    out->thread_object = rd32(p + 4);
    out->ipcbuf_object = rd32(p + 8);
    out->priority = rd32(p + 12);
    out->budget_us = rd32(p + 16);
    out->period_us = rd32(p + 20);
    out->flags = rd32(p + 24);
    out->reserved = rd32(p + 28);
    out->entry = rd64(p + 32);
    out->stack_top = rd64(p + 40);
    out->ipcbuf_vaddr = rd64(p + 48);
    return true;
}

bool manifest_image(const struct manifest_view *v, uint32_t i, struct manifest_image *out)
{
    if (i >= v->count[MANIFEST_T_IMAGE])
        return false;
    const uint8_t *p = entry(v, MANIFEST_T_IMAGE, i);
    if (p == NULL)
        return false;
    out->name = rd32(p + 0);
    out->flags = rd32(p + 4);
    out->load_base = rd64(p + 8);
    out->offset = rd64(p + 16);
    out->size = rd64(p + 24);
    out->entry = rd64(p + 32);
    return true;
}

const char *manifest_string(const struct manifest_view *v, uint32_t offset)
{
    const uint8_t *s = offset < v->count[MANIFEST_T_STRING] ? entry(v, MANIFEST_T_STRING, offset)
                                                             : NULL;
    return s != NULL ? (const char *)s : "";
}

/* ---- messages ------------------------------------------------------------------------ */

#define MSG_NAME_MAX 48u /* longest %s argument copied into a message */

static const char *const table_name[MANIFEST_T_COUNT] = {
    "processes", "objects", "slots", "mappings", "threads", "images", "strings",
};

const char *manifest_type_name(uint32_t type)
{
    static const char *const names[ANV_OBJ_COUNT] = {
        "null",   "cspace", "thread", "endpoint", "notification", "reply",   "frame",
        "vspace", "pool",   "irq",    "audit",    "console",      "mapping", "sysctl",
    };
    return type < ANV_OBJ_COUNT ? names[type] : "unknown type";
}

/* Names come from the manifest and end up on the console: cut and made printable. */
static const struct format_opts msg_opts = {MSG_NAME_MAX, true};

/* String `offset` of the string table, as a message shows it: a copy cut to MSG_NAME_MAX
 * characters (the formatter's cut too), read by index below the table's end, so the
 * formatter never reads the blob itself. "" when offset is outside the table. */
struct msg_name {
    char s[MSG_NAME_MAX + 1];
};

static const char *msg_name(const struct manifest_view *v, uint32_t offset, struct msg_name *n)
{
    *n = (struct msg_name){{0}};
    if (offset >= v->count[MANIFEST_T_STRING])
        return n->s;
    uint64_t at = (uint64_t)v->offset[MANIFEST_T_STRING] + offset;
    uint64_t end = (uint64_t)v->offset[MANIFEST_T_STRING] + v->count[MANIFEST_T_STRING];
    if (end > v->size) /* never: check_table put the table inside total_size */
        end = v->size;
    for (size_t k = 0; k < MSG_NAME_MAX && at < end && v->base[at] != 0; k++, at++)
        n->s[k] = (char)v->base[at];
    return n->s;
}

uint32_t manifest_vformat(char *buf, uint32_t size, const char *fmt, va_list ap)
{
    return (uint32_t)format_vbuf(buf, size, &msg_opts, fmt, ap);
}

uint32_t manifest_format(char *buf, uint32_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    uint32_t n = manifest_vformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* Start the message with the record being checked, e.g. `slot 4 (process "init", slot 9)`;
 * fail() appends the field. Set before each record's checks, so a refusal always names it. */
static void record(struct manifest_view *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void record(struct manifest_view *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    v->message_len = manifest_vformat(v->message, sizeof v->message, fmt, ap);
    va_end(ap);
}

/* Append text (at most max characters) to v->message, cut to fit, NUL-terminated. By
 * index into the message, so every write is visibly inside it. */
static void message_append(struct manifest_view *v, const char *text, size_t max)
{
    uint32_t len = v->message_len;
    for (size_t k = 0; k < max && text[k] != '\0' && len + 1 < sizeof v->message; k++)
        v->message[len++] = text[k];
    if (len < sizeof v->message)
        v->message[len] = '\0';
    v->message_len = len;
}

/* ---- validation ---------------------------------------------------------------------- */

static enum manifest_error fail(struct manifest_view *v, enum manifest_error e, uint32_t table,
                                uint32_t index, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static enum manifest_error fail(struct manifest_view *v, enum manifest_error e, uint32_t table,
                                uint32_t index, const char *fmt, ...)
{
    v->bad_table = table;
    v->bad_index = index;
    char tail[MANIFEST_MESSAGE_MAX] = {0};
    va_list ap;
    va_start(ap, fmt);
    manifest_vformat(tail, sizeof tail, fmt, ap);
    va_end(ap);
    message_append(v, ": ", 2);
    message_append(v, tail, sizeof tail);
    return e;
}

#define USER_RANGE "user space [0x10000, 0x4000000000)"
_Static_assert(ANV_USER_BASE == 0x10000ull && ANV_USER_TOP == 0x4000000000ull,
               "USER_RANGE spells out the ABI's user range");

static bool user_range_ok(uint64_t vaddr, uint64_t bytes)
{
    return vaddr >= ANV_USER_BASE && vaddr < ANV_USER_TOP && bytes <= ANV_USER_TOP - vaddr;
}

static bool object_is(const struct manifest_view *v, uint32_t index, uint32_t type,
                      struct manifest_object *o)
{
    return manifest_object(v, index, o) && o->type == type;
}

/* Index `what` of a record must name an object of `type`: INDEX when there is none,
 * TYPE when it is something else. */
static enum manifest_error want_object(struct manifest_view *v, uint32_t table, uint32_t i,
                                       const char *what, uint32_t index, uint32_t type,
                                       struct manifest_object *o)
{
    if (!manifest_object(v, index, o))
        return fail(v, MANIFEST_E_INDEX, table, i, "%s %u: no such object (%u objects)", what,
                    index, v->count[MANIFEST_T_OBJECT]);
    if (o->type != type)
        return fail(v, MANIFEST_E_TYPE, table, i, "%s %u is a %s, not a %s", what, index,
                    manifest_type_name(o->type), manifest_type_name(type));
    return MANIFEST_OK;
}

static enum manifest_error check_objects(struct manifest_view *v)
{
    struct manifest_object o = {0}, n = {0};
    const uint32_t T = MANIFEST_T_OBJECT;
    for (uint32_t i = 0; i < v->count[T]; i++) {
        if (!manifest_object(v, i, &o))
            return fail(v, MANIFEST_E_TABLE, MANIFEST_T_OBJECT, i,
                        "object %u outside its table", i);
        if (o.name >= v->count[MANIFEST_T_STRING]) {
            record(v, "object %u", i);
            return fail(v, MANIFEST_E_STRING, T, i, "name 0x%x outside the string table (%u bytes)",
                        o.name, v->count[MANIFEST_T_STRING]);
        }
        struct msg_name nm;
        record(v, "object %u (\"%s\")", i, msg_name(v, o.name, &nm));
        const char *tn = manifest_type_name(o.type);
        if (o.flags & ~MANIFEST_OBJ_F_ALL)
            return fail(v, MANIFEST_E_RANGE, T, i, "flags 0x%x outside device (0x1) and dma (0x2)",
                        o.flags);
        if (o.type != ANV_OBJ_FRAME && (o.flags & MANIFEST_OBJ_F_DMA))
            return fail(v, MANIFEST_E_RANGE, T, i, "flags 0x%x: only a frame is for DMA", o.flags);
        if ((o.flags & MANIFEST_OBJ_F_ALL) == MANIFEST_OBJ_F_ALL)
            return fail(v, MANIFEST_E_RANGE, T, i,
                        "flags 0x%x: a DMA buffer is RAM, not a device", o.flags);
        switch (o.type) {
        case ANV_OBJ_CSPACE:
            if (o.size == 0 || o.size > MANIFEST_MAX_CSPACE_SLOTS)
                return fail(v, MANIFEST_E_RANGE, T, i, "size %u outside 1..%u slots", o.size,
                            MANIFEST_MAX_CSPACE_SLOTS);
            if (o.flags)
                return fail(v, MANIFEST_E_RANGE, T, i, "flags 0x%x on a cspace", o.flags);
            break;
        case ANV_OBJ_FRAME:
            if (o.size == 0)
                return fail(v, MANIFEST_E_RANGE, T, i, "size 0: a frame has at least one page");
            if (o.flags & MANIFEST_OBJ_F_DEVICE) {
                if (o.paddr & PAGE_MASK)
                    return fail(v, MANIFEST_E_ALIGN, T, i, "paddr 0x%lx not page-aligned",
                                (unsigned long)o.paddr);
                if ((uint64_t)o.size * ANV_PAGE_SIZE > ~o.paddr)
                    return fail(v, MANIFEST_E_RANGE, T, i, "paddr 0x%lx + %u pages wraps around",
                                (unsigned long)o.paddr, o.size);
            } else if (o.paddr != 0) {
                return fail(v, MANIFEST_E_RANGE, T, i,
                            "paddr 0x%lx on a frame that is not a device", (unsigned long)o.paddr);
            }
            break;
        case ANV_OBJ_IRQ:
            if (o.flags)
                return fail(v, MANIFEST_E_RANGE, T, i, "flags 0x%x on an irq", o.flags);
            if (o.size)
                return fail(v, MANIFEST_E_RANGE, T, i, "size %u on an irq", o.size);
            if (o.notification != MANIFEST_NONE &&
                !object_is(v, o.notification, ANV_OBJ_NOTIFICATION, &n)) {
                if (o.notification >= v->count[T])
                    return fail(v, MANIFEST_E_INDEX, T, i,
                                "notification %u: no such object (%u objects)", o.notification,
                                v->count[T]);
                return fail(v, MANIFEST_E_TYPE, T, i, "notification %u is a %s, not a notification",
                            o.notification, manifest_type_name(n.type));
            }
            break;
        case ANV_OBJ_POOL:
            /* Pages of memory; the loader carves them at boot and the quota is all of them. */
            if (o.size == 0 || o.size > MANIFEST_MAX_POOL_PAGES)
                return fail(v, MANIFEST_E_RANGE, T, i, "size %u outside 1..%u pages", o.size,
                            MANIFEST_MAX_POOL_PAGES);
            if (o.flags || o.paddr)
                return fail(v, MANIFEST_E_RANGE, T, i, "flags 0x%x / paddr 0x%lx on a pool",
                            o.flags, (unsigned long)o.paddr);
            break;
        case ANV_OBJ_THREAD:
        case ANV_OBJ_ENDPOINT:
        case ANV_OBJ_NOTIFICATION:
        case ANV_OBJ_VSPACE:
        case ANV_OBJ_CONSOLE:
        case ANV_OBJ_SYSCTL:
        case ANV_OBJ_AUDIT:
            if (o.flags)
                return fail(v, MANIFEST_E_RANGE, T, i, "flags 0x%x on a %s", o.flags, tn);
            if (o.size)
                return fail(v, MANIFEST_E_RANGE, T, i, "size %u on a %s, which has none", o.size,
                            tn);
            if (o.paddr)
                return fail(v, MANIFEST_E_RANGE, T, i, "paddr 0x%lx on a %s",
                            (unsigned long)o.paddr, tn);
            break;
        default:
            /* not an object the loader creates */
            return fail(v, MANIFEST_E_TYPE, T, i, "type %u (%s) cannot be created from a manifest",
                        o.type, tn);
        }
        if (o.type != ANV_OBJ_IRQ && o.irq)
            return fail(v, MANIFEST_E_RANGE, T, i, "irq %u on a %s", o.irq, tn);
        if (o.type != ANV_OBJ_IRQ && o.badge)
            return fail(v, MANIFEST_E_RANGE, T, i, "badge 0x%lx on a %s", (unsigned long)o.badge,
                        tn);
        if (o.type != ANV_OBJ_IRQ && o.notification != MANIFEST_NONE)
            return fail(v, MANIFEST_E_RANGE, T, i, "notification %u on a %s", o.notification, tn);
    }
    return MANIFEST_OK;
}

static enum manifest_error check_slots(struct manifest_view *v, uint32_t p,
                                       const struct manifest_process *pr)
{
    struct manifest_slot s = {0};
    struct manifest_object o = {0};
    const uint32_t T = MANIFEST_T_SLOT;
    struct msg_name nm;
    const char *pname = msg_name(v, pr->name, &nm);
    uint32_t prev = 0;
    for (uint32_t k = 0; k < pr->slot_count; k++) {
        uint32_t i = pr->first_slot + k;
        if (!manifest_slot(v, i, &s))
            return fail(v, MANIFEST_E_TABLE, MANIFEST_T_SLOT, i,
                        "slot %u outside its table", i);
        record(v, "slot %u (process \"%s\", slot %u)", i, pname, s.slot);
        if (s.process != p)
            return fail(v, MANIFEST_E_ORDER, T, i,
                        "process %u, but it lies in the range of process %u", s.process, p);
        /* Ascending and never slot 0, so no slot is filled twice and null stays null. */
        if (s.slot == 0)
            return fail(v, MANIFEST_E_ORDER, T, i, "slot 0 is the null slot, never filled");
        if (s.slot <= prev)
            return fail(v, MANIFEST_E_ORDER, T, i, "slot %u not above the previous slot %u", s.slot,
                        prev);
        if (s.slot >= pr->cspace_slots)
            return fail(v, MANIFEST_E_RANGE, T, i, "slot %u outside the CSpace of %u slots", s.slot,
                        pr->cspace_slots);
        if (!manifest_object(v, s.object, &o))
            return fail(v, MANIFEST_E_INDEX, T, i, "object %u: no such object (%u objects)",
                        s.object, v->count[MANIFEST_T_OBJECT]);
        if (s.rights & ~ANV_RIGHTS_ALL)
            return fail(v, MANIFEST_E_RIGHTS, T, i, "rights 0x%x outside r/w/x/g", s.rights);
        if (s.badge && o.type != ANV_OBJ_ENDPOINT && o.type != ANV_OBJ_NOTIFICATION)
            return fail(v, MANIFEST_E_RANGE, T, i,
                        "badge 0x%lx on a %s: only endpoints and notifications carry one",
                        (unsigned long)s.badge, manifest_type_name(o.type));
        prev = s.slot;
    }
    return MANIFEST_OK;
}

static enum manifest_error check_mappings(struct manifest_view *v, uint32_t p,
                                          const struct manifest_process *pr)
{
    struct manifest_mapping m = {0};
    struct manifest_object o = {0};
    const uint32_t T = MANIFEST_T_MAPPING;
    struct msg_name nm;
    const char *pname = msg_name(v, pr->name, &nm);
    enum manifest_error e;
    for (uint32_t k = 0; k < pr->mapping_count; k++) {
        uint32_t i = pr->first_mapping + k;
        if (!manifest_mapping(v, i, &m))
            return fail(v, MANIFEST_E_TABLE, MANIFEST_T_MAPPING, i,
                        "mapping %u outside its table", i);
        record(v, "mapping %u (process \"%s\")", i, pname);
        if (m.process != p)
            return fail(v, MANIFEST_E_ORDER, T, i,
                        "process %u, but it lies in the range of process %u", m.process, p);
        if ((e = want_object(v, T, i, "object", m.object, ANV_OBJ_FRAME, &o)) != MANIFEST_OK)
            return e;
        if (m.rights == 0 ||
            (m.rights & ~(uint32_t)(ANV_RIGHT_READ | ANV_RIGHT_WRITE | ANV_RIGHT_EXEC)))
            return fail(v, MANIFEST_E_RIGHTS, T, i, "rights 0x%x outside r/w/x or empty", m.rights);
        if ((m.rights & ANV_RIGHT_WRITE) && (m.rights & ANV_RIGHT_EXEC))
            return fail(v, MANIFEST_E_WX, T, i, "rights 0x%x both writable and executable",
                        m.rights);
        /* Sv39 has no write-only or execute-only pages: the loader could not map it. */
        if (!(m.rights & ANV_RIGHT_READ))
            return fail(v, MANIFEST_E_RIGHTS, T, i, "rights 0x%x without r", m.rights);
        if (m.vaddr & PAGE_MASK)
            return fail(v, MANIFEST_E_ALIGN, T, i, "vaddr 0x%lx not page-aligned",
                        (unsigned long)m.vaddr);
        if (m.pages == 0 || m.pages > o.size)
            return fail(v, MANIFEST_E_RANGE, T, i, "pages %u outside 1..%u (the size of object %u)",
                        m.pages, o.size, m.object);
        if (m.reserved)
            return fail(v, MANIFEST_E_RANGE, T, i, "reserved 0x%x, expected 0", m.reserved);
        if (!user_range_ok(m.vaddr, (uint64_t)m.pages * ANV_PAGE_SIZE))
            return fail(v, MANIFEST_E_ADDRESS, T, i, "vaddr 0x%lx + %u pages outside " USER_RANGE,
                        (unsigned long)m.vaddr, m.pages);
        /* Device frames must be mapped as device memory and ordinary frames must not. */
        if (m.flags & ~MANIFEST_MAP_F_DEVICE)
            return fail(v, MANIFEST_E_RANGE, T, i, "flags 0x%x outside device (0x1)", m.flags);
        if (((m.flags & MANIFEST_MAP_F_DEVICE) != 0) != ((o.flags & MANIFEST_OBJ_F_DEVICE) != 0))
            return fail(v, MANIFEST_E_RANGE, T, i, "flags 0x%x but object %u is %sa device frame",
                        m.flags, m.object, (o.flags & MANIFEST_OBJ_F_DEVICE) ? "" : "not ");
    }
    return MANIFEST_OK;
}

static enum manifest_error check_threads(struct manifest_view *v, uint32_t p,
                                         const struct manifest_process *pr)
{
    struct manifest_thread t = {0};
    struct manifest_object o = {0};
    const uint32_t T = MANIFEST_T_THREAD;
    struct msg_name nm;
    const char *pname = msg_name(v, pr->name, &nm);
    enum manifest_error e;
    for (uint32_t k = 0; k < pr->thread_count; k++) {
        uint32_t i = pr->first_thread + k;
        if (!manifest_thread(v, i, &t))
            return fail(v, MANIFEST_E_TABLE, MANIFEST_T_THREAD, i,
                        "thread %u outside its table", i);
        record(v, "thread %u (process \"%s\")", i, pname);
        if (t.process != p)
            return fail(v, MANIFEST_E_ORDER, T, i,
                        "process %u, but it lies in the range of process %u", t.process, p);
        /* Both indices before either type, as the error codes have always been ordered. */
        if (!manifest_object(v, t.thread_object, &o))
            return fail(v, MANIFEST_E_INDEX, T, i, "thread_object %u: no such object (%u objects)",
                        t.thread_object, v->count[MANIFEST_T_OBJECT]);
        if (!manifest_object(v, t.ipcbuf_object, &o))
            return fail(v, MANIFEST_E_INDEX, T, i, "ipcbuf_object %u: no such object (%u objects)",
                        t.ipcbuf_object, v->count[MANIFEST_T_OBJECT]);
        if ((e = want_object(v, T, i, "thread_object", t.thread_object, ANV_OBJ_THREAD, &o)) !=
                MANIFEST_OK ||
            (e = want_object(v, T, i, "ipcbuf_object", t.ipcbuf_object, ANV_OBJ_FRAME, &o)) !=
                MANIFEST_OK)
            return e;
        if (o.flags & MANIFEST_OBJ_F_DEVICE)
            return fail(v, MANIFEST_E_TYPE, T, i, "ipcbuf_object %u is a device frame",
                        t.ipcbuf_object);
        if (t.priority > 255)
            return fail(v, MANIFEST_E_RANGE, T, i, "priority %u out of range 0..255", t.priority);
        if (t.reserved)
            return fail(v, MANIFEST_E_RANGE, T, i, "reserved 0x%x, expected 0", t.reserved);
        if (t.flags & ~MANIFEST_THREAD_F_ALL)
            return fail(v, MANIFEST_E_RANGE, T, i, "flags 0x%x outside passive/held (0x%x)",
                        t.flags, MANIFEST_THREAD_F_ALL);
        if (!(t.flags & MANIFEST_THREAD_F_PASSIVE) && t.period_us == 0)
            return fail(v, MANIFEST_E_RANGE, T, i, "period_us 0 on a thread that is not passive");
        if (!(t.flags & MANIFEST_THREAD_F_PASSIVE) && t.budget_us > t.period_us)
            return fail(v, MANIFEST_E_RANGE, T, i, "budget_us %u over period_us %u", t.budget_us,
                        t.period_us);
        if (t.stack_top & PAGE_MASK)
            return fail(v, MANIFEST_E_ALIGN, T, i, "stack_top 0x%lx not page-aligned",
                        (unsigned long)t.stack_top);
        if (t.ipcbuf_vaddr & PAGE_MASK)
            return fail(v, MANIFEST_E_ALIGN, T, i, "ipcbuf_vaddr 0x%lx not page-aligned",
                        (unsigned long)t.ipcbuf_vaddr);
        if (!user_range_ok(t.ipcbuf_vaddr, ANV_PAGE_SIZE))
            return fail(v, MANIFEST_E_ADDRESS, T, i, "ipcbuf_vaddr 0x%lx outside " USER_RANGE,
                        (unsigned long)t.ipcbuf_vaddr);
        if (t.stack_top <= ANV_USER_BASE || t.stack_top > ANV_USER_TOP)
            return fail(v, MANIFEST_E_ADDRESS, T, i, "stack_top 0x%lx outside " USER_RANGE,
                        (unsigned long)t.stack_top);
        if (t.entry != 0 && !user_range_ok(t.entry, 1))
            return fail(v, MANIFEST_E_ADDRESS, T, i, "entry 0x%lx outside " USER_RANGE,
                        (unsigned long)t.entry);
    }
    return MANIFEST_OK;
}

/* One table range [first, first+count) inside a table of `total` entries. */
static bool range_ok(uint32_t first, uint32_t count, uint32_t total)
{
    return first <= total && count <= total - first;
}

static enum manifest_error check_processes(struct manifest_view *v)
{
    struct manifest_process pr = {0};
    struct manifest_object o = {0};
    const uint32_t T = MANIFEST_T_PROCESS;
    uint32_t next_slot = 0, next_map = 0, next_thread = 0;
    /* A process's three ranges, in table order, for the tiling checks below. */
    static const uint32_t rtable[3] = {MANIFEST_T_SLOT, MANIFEST_T_MAPPING, MANIFEST_T_THREAD};
    static const char *const rname[3] = {"slot", "mapping", "thread"};
    for (uint32_t i = 0; i < v->count[T]; i++) {
        enum manifest_error e;
        if (!manifest_process(v, i, &pr))
            return fail(v, MANIFEST_E_TABLE, MANIFEST_T_PROCESS, i,
                        "process %u outside its table", i);
        if (pr.name >= v->count[MANIFEST_T_STRING]) {
            record(v, "process %u", i);
            return fail(v, MANIFEST_E_STRING, T, i, "name 0x%x outside the string table (%u bytes)",
                        pr.name, v->count[MANIFEST_T_STRING]);
        }
        struct msg_name nm;
        record(v, "process %u (\"%s\")", i, msg_name(v, pr.name, &nm));
        if (pr.image != MANIFEST_NONE && pr.image >= v->count[MANIFEST_T_IMAGE])
            return fail(v, MANIFEST_E_INDEX, T, i, "image %u: no such image (%u images)", pr.image,
                        v->count[MANIFEST_T_IMAGE]);
        if (pr.cspace_object >= v->count[MANIFEST_T_OBJECT])
            return fail(v, MANIFEST_E_INDEX, T, i, "cspace_object %u: no such object (%u objects)",
                        pr.cspace_object, v->count[MANIFEST_T_OBJECT]);
        if (pr.vspace_object >= v->count[MANIFEST_T_OBJECT])
            return fail(v, MANIFEST_E_INDEX, T, i, "vspace_object %u: no such object (%u objects)",
                        pr.vspace_object, v->count[MANIFEST_T_OBJECT]);
        if ((e = want_object(v, T, i, "vspace_object", pr.vspace_object, ANV_OBJ_VSPACE, &o)) !=
                MANIFEST_OK ||
            (e = want_object(v, T, i, "cspace_object", pr.cspace_object, ANV_OBJ_CSPACE, &o)) !=
                MANIFEST_OK)
            return e;
        if (o.size != pr.cspace_slots)
            return fail(v, MANIFEST_E_RANGE, T, i, "cspace_slots %u, but object %u has %u slots",
                        pr.cspace_slots, pr.cspace_object, o.size);
        if (pr.flags)
            return fail(v, MANIFEST_E_RANGE, T, i, "flags 0x%x, expected 0", pr.flags);
        if (pr.heap_size && ((pr.heap_base | pr.heap_size) & PAGE_MASK))
            return fail(v, MANIFEST_E_ALIGN, T, i, "heap 0x%lx + 0x%lx bytes not page-aligned",
                        (unsigned long)pr.heap_base, (unsigned long)pr.heap_size);
        if (pr.heap_size && !user_range_ok(pr.heap_base, pr.heap_size))
            return fail(v, MANIFEST_E_ADDRESS, T, i, "heap 0x%lx + 0x%lx bytes outside " USER_RANGE,
                        (unsigned long)pr.heap_base, (unsigned long)pr.heap_size);
        /* Per-process ranges tile each table in process order: no entry is shared,
         * none is orphaned. */
        const uint32_t first[3] = {pr.first_slot, pr.first_mapping, pr.first_thread};
        const uint32_t count[3] = {pr.slot_count, pr.mapping_count, pr.thread_count};
        const uint32_t next[3] = {next_slot, next_map, next_thread};
        for (uint32_t r = 0; r < 3; r++)
            if (!range_ok(first[r], count[r], v->count[rtable[r]]))
                return fail(v, MANIFEST_E_INDEX, T, i,
                            "first_%s %u + %s_count %u outside the %s table (%u entries)", rname[r],
                            first[r], rname[r], count[r], table_name[rtable[r]],
                            v->count[rtable[r]]);
        for (uint32_t r = 0; r < 3; r++)
            if (first[r] != next[r])
                return fail(v, MANIFEST_E_ORDER, T, i,
                            "first_%s %u, expected %u: ranges tile the table in process order",
                            rname[r], first[r], next[r]);
        next_slot += pr.slot_count;
        next_map += pr.mapping_count;
        next_thread += pr.thread_count;
        if ((e = check_slots(v, i, &pr)) != MANIFEST_OK ||
            (e = check_mappings(v, i, &pr)) != MANIFEST_OK ||
            (e = check_threads(v, i, &pr)) != MANIFEST_OK)
            return e;
    }
    const uint32_t owned[3] = {next_slot, next_map, next_thread};
    for (uint32_t r = 0; r < 3; r++)
        if (owned[r] != v->count[rtable[r]]) {
            record(v, "%s %u", rname[r], owned[r]);
            return fail(v, MANIFEST_E_ORDER, rtable[r], owned[r], "owned by no process");
        }
    return MANIFEST_OK;
}

static enum manifest_error check_images(struct manifest_view *v)
{
    struct manifest_image im = {0};
    const uint32_t T = MANIFEST_T_IMAGE;
    for (uint32_t i = 0; i < v->count[T]; i++) {
        if (!manifest_image(v, i, &im))
            return fail(v, MANIFEST_E_TABLE, MANIFEST_T_IMAGE, i,
                        "image %u outside its table", i);
        if (im.name >= v->count[MANIFEST_T_STRING]) {
            record(v, "image %u", i);
            return fail(v, MANIFEST_E_STRING, T, i, "name 0x%x outside the string table (%u bytes)",
                        im.name, v->count[MANIFEST_T_STRING]);
        }
        struct msg_name nm;
        record(v, "image %u (\"%s\")", i, msg_name(v, im.name, &nm));
        if (im.flags)
            return fail(v, MANIFEST_E_RANGE, T, i, "flags 0x%x, expected 0", im.flags);
        if (im.load_base & PAGE_MASK)
            return fail(v, MANIFEST_E_ALIGN, T, i, "load_base 0x%lx not page-aligned",
                        (unsigned long)im.load_base);
        if (!user_range_ok(im.load_base, ANV_PAGE_SIZE))
            return fail(v, MANIFEST_E_ADDRESS, T, i, "load_base 0x%lx outside " USER_RANGE,
                        (unsigned long)im.load_base);
        if (im.entry && !user_range_ok(im.entry, 1))
            return fail(v, MANIFEST_E_ADDRESS, T, i, "entry 0x%lx outside " USER_RANGE,
                        (unsigned long)im.entry);
    }
    return MANIFEST_OK;
}

static enum manifest_error check_table(struct manifest_view *v, uint32_t t, uint32_t header_size,
                                       uint32_t total)
{
    const uint8_t *d = v->base + 32 + 16 * t;
    uint32_t off = rd32(d), count = rd32(d + 4), esz = rd32(d + 8), reserved = rd32(d + 12);
    const uint32_t N = MANIFEST_NONE;
    record(v, "table %u (%s)", t, table_name[t]);
    if (esz != entry_size[t])
        return fail(v, MANIFEST_E_TABLE, t, N, "entry_size %u, expected %u", esz, entry_size[t]);
    if (reserved != 0)
        return fail(v, MANIFEST_E_TABLE, t, N, "reserved 0x%x, expected 0", reserved);
    if (count > max_count[t])
        return fail(v, MANIFEST_E_TABLE, t, N, "count %u over the limit %u", count, max_count[t]);
    if (off & 7u)
        return fail(v, MANIFEST_E_TABLE, t, N, "offset 0x%x not 8-byte aligned", off);
    if (off < header_size)
        return fail(v, MANIFEST_E_TABLE, t, N, "offset 0x%x inside the %u-byte header", off,
                    header_size);
    if ((uint64_t)off + (uint64_t)count * esz > total)
        return fail(v, MANIFEST_E_TABLE, t, N,
                    "offset 0x%x + %u entries of %u bytes ends past total_size 0x%x", off, count,
                    esz, total);
    v->offset[t] = off;
    v->count[t] = count;
    return MANIFEST_OK;
}

static enum manifest_error open_checked(struct manifest_view *v, const void *blob, size_t len)
{
    const uint8_t *b = blob;
    enum manifest_error e;
    const uint32_t N = MANIFEST_NONE;
    v->base = b;
    v->size = 0;
    v->version_minor = 0;
    v->abi_version = 0;
    v->bad_table = N;
    v->bad_index = N;
    v->message[0] = '\0';
    v->message_len = 0;
    /*@ loop unroll MANIFEST_T_COUNT; */ /* so Eva sees each table's fields written */
    for (uint32_t t = 0; t < MANIFEST_T_COUNT; t++)
        v->offset[t] = v->count[t] = 0;

    record(v, "header");
    if (b == NULL)
        return fail(v, MANIFEST_E_TOO_SHORT, N, N, "no manifest in the boot image");
    if (len < sizeof(struct manifest_header))
        return fail(v, MANIFEST_E_TOO_SHORT, N, N, "%lu bytes, shorter than the %u-byte header",
                    (unsigned long)len, (unsigned)sizeof(struct manifest_header));
    if (rd32(b) != MANIFEST_MAGIC)
        return fail(v, MANIFEST_E_MAGIC, N, N, "magic 0x%x, not 0x%x (\"AVNM\"): not a manifest",
                    rd32(b), MANIFEST_MAGIC);
    if (rd16(b + 4) != MANIFEST_VERSION_MAJOR)
        return fail(v, MANIFEST_E_VERSION, N, N, "version_major %u, this kernel reads %u",
                    rd16(b + 4), MANIFEST_VERSION_MAJOR);
    uint32_t header_size = rd32(b + 8), total = rd32(b + 12);
    if (total > len)
        return fail(v, MANIFEST_E_TOO_SHORT, N, N, "total_size %u past the %lu bytes in the image",
                    total, (unsigned long)len);
    if (total < sizeof(struct manifest_header))
        return fail(v, MANIFEST_E_TOO_SHORT, N, N, "total_size %u smaller than the header", total);
    if (header_size != sizeof(struct manifest_header))
        return fail(v, MANIFEST_E_HEADER, N, N, "header_size %u, expected %u", header_size,
                    (unsigned)sizeof(struct manifest_header));
    if (rd32(b + 24) != 0)
        return fail(v, MANIFEST_E_HEADER, N, N, "flags 0x%x, expected 0", rd32(b + 24));
    if (rd32(b + 28) != MANIFEST_T_COUNT)
        return fail(v, MANIFEST_E_HEADER, N, N, "table_count %u, expected %u", rd32(b + 28),
                    MANIFEST_T_COUNT);
    /* The accessors bound every entry by v->size; manifest_open sets it back to 0 if any
     * check below fails. */
    v->size = total;
    uint32_t crc = crc_skipping_field(b, total);
    if (crc != rd32(b + 16))
        return fail(v, MANIFEST_E_CHECKSUM, N, N, "crc32 0x%x does not match the contents (0x%x)",
                    rd32(b + 16), crc);
    /* After the checksum, so a corrupted field reads as corruption. The system's
     * components were built against this ABI: the same major, and no minor newer than
     * the kernel's, whose additions an older kernel would not implement. */
    uint32_t abi = rd32(b + 20);
    if ((abi >> 16) != ANV_ABI_VERSION_MAJOR || (abi & 0xFFFFu) > ANV_ABI_VERSION_MINOR)
        return fail(v, MANIFEST_E_ABI, N, N,
                    "abi_version 0x%x (%u.%u), this kernel implements ABI %u.%u", abi, abi >> 16,
                    abi & 0xFFFFu, (unsigned)ANV_ABI_VERSION_MAJOR,
                    (unsigned)ANV_ABI_VERSION_MINOR);

    /*@ loop unroll MANIFEST_T_COUNT; */ /* so Eva names each table with its own literal */
    for (uint32_t t = 0; t < MANIFEST_T_COUNT; t++)
        if ((e = check_table(v, t, header_size, total)) != MANIFEST_OK)
            return e;
    uint32_t ns = v->count[MANIFEST_T_STRING];
    record(v, "table %u (strings)", MANIFEST_T_STRING);
    if (ns == 0)
        return fail(v, MANIFEST_E_STRING, MANIFEST_T_STRING, N,
                    "count 0: the table holds at least the empty string");
    const uint8_t *last = entry(v, MANIFEST_T_STRING, ns - 1);
    if (last == NULL) /* never: check_table put the table inside total_size */
        return fail(v, MANIFEST_E_TABLE, MANIFEST_T_STRING, N, "outside the manifest");
    if (*last != 0)
        return fail(v, MANIFEST_E_STRING, MANIFEST_T_STRING, N, "last byte 0x%x, not NUL", *last);

    if ((e = check_objects(v)) != MANIFEST_OK || (e = check_images(v)) != MANIFEST_OK ||
        (e = check_processes(v)) != MANIFEST_OK)
        return e;
    v->version_minor = (uint16_t)rd16(b + 6);
    v->abi_version = rd32(b + 20);
    v->message[0] = '\0';
    v->message_len = 0;
    return MANIFEST_OK;
}

enum manifest_error manifest_open(struct manifest_view *v, const void *blob, size_t len)
{
    enum manifest_error e = open_checked(v, blob, len);
    if (e != MANIFEST_OK) {
        /* A failed view stays unusable even if the caller ignores the error: every
         * accessor answers "no such entry". */
        v->size = 0;
        /*@ loop unroll MANIFEST_T_COUNT; */
        for (uint32_t t = 0; t < MANIFEST_T_COUNT; t++)
            v->offset[t] = v->count[t] = 0;
    }
    return e;
}

const char *manifest_strerror(enum manifest_error e)
{
    switch (e) {
    case MANIFEST_OK: return "ok";
    case MANIFEST_E_TOO_SHORT: return "manifest truncated";
    case MANIFEST_E_MAGIC: return "bad magic: not a system image manifest";
    case MANIFEST_E_VERSION: return "unsupported manifest major version";
    case MANIFEST_E_HEADER: return "malformed manifest header";
    case MANIFEST_E_CHECKSUM: return "manifest checksum mismatch";
    case MANIFEST_E_TABLE: return "table outside the manifest or malformed";
    case MANIFEST_E_STRING: return "bad string offset or unterminated string table";
    case MANIFEST_E_INDEX: return "reference to a nonexistent entry";
    case MANIFEST_E_TYPE: return "object of the wrong type";
    case MANIFEST_E_RIGHTS: return "rights not allowed here";
    case MANIFEST_E_WX: return "mapping both writable and executable";
    case MANIFEST_E_ALIGN: return "address not page-aligned";
    case MANIFEST_E_ADDRESS: return "address outside the user range";
    case MANIFEST_E_RANGE: return "value out of range";
    case MANIFEST_E_ORDER: return "entries out of order or not owned by their process";
    case MANIFEST_E_ABI: return "system built for an ABI this kernel does not implement";
    case MANIFEST_E_COUNT_: break;
    }
    return "unknown manifest error";
}
