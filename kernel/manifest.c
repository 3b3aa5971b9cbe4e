/* Decoder for the system image manifest (format in anvaya/manifest.h): checks every
 * bound, index, right and address before the loader sees a single entry. Freestanding:
 * reads bytes little-endian through its own helpers, so the blob needs no alignment. */
#include "manifest.h"

#include <anvaya/abi.h>

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

static const uint8_t *entry(const struct manifest_view *v, uint32_t t, uint32_t i)
{
    return v->base + v->offset[t] + (uint64_t)i * entry_size[t];
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
    if (offset >= v->count[MANIFEST_T_STRING])
        return "";
    return (const char *)(v->base + v->offset[MANIFEST_T_STRING] + offset);
}

/* ---- validation ---------------------------------------------------------------------- */

static enum manifest_error fail(struct manifest_view *v, enum manifest_error e, uint32_t table,
                                uint32_t index)
{
    v->bad_table = table;
    v->bad_index = index;
    return e;
}

static bool user_range_ok(uint64_t vaddr, uint64_t bytes)
{
    return vaddr >= ANV_USER_BASE && vaddr < ANV_USER_TOP && bytes <= ANV_USER_TOP - vaddr;
}

static bool object_is(const struct manifest_view *v, uint32_t index, uint32_t type,
                      struct manifest_object *o)
{
    return manifest_object(v, index, o) && o->type == type;
}

static enum manifest_error check_objects(struct manifest_view *v)
{
    struct manifest_object o, n;
    for (uint32_t i = 0; i < v->count[MANIFEST_T_OBJECT]; i++) {
        manifest_object(v, i, &o);
        const uint32_t T = MANIFEST_T_OBJECT;
        if (o.name >= v->count[MANIFEST_T_STRING])
            return fail(v, MANIFEST_E_STRING, T, i);
        if (o.flags & ~MANIFEST_OBJ_F_DEVICE)
            return fail(v, MANIFEST_E_RANGE, T, i);
        switch (o.type) {
        case ANV_OBJ_CSPACE:
            if (o.size == 0 || o.size > MANIFEST_MAX_CSPACE_SLOTS || o.flags)
                return fail(v, MANIFEST_E_RANGE, T, i);
            break;
        case ANV_OBJ_FRAME:
            if (o.size == 0)
                return fail(v, MANIFEST_E_RANGE, T, i);
            if (o.flags & MANIFEST_OBJ_F_DEVICE) {
                if (o.paddr & PAGE_MASK)
                    return fail(v, MANIFEST_E_ALIGN, T, i);
                if ((uint64_t)o.size * ANV_PAGE_SIZE > ~o.paddr)
                    return fail(v, MANIFEST_E_RANGE, T, i);
            } else if (o.paddr != 0) {
                return fail(v, MANIFEST_E_RANGE, T, i);
            }
            break;
        case ANV_OBJ_IRQ:
            if (o.flags || o.size)
                return fail(v, MANIFEST_E_RANGE, T, i);
            if (o.notification != MANIFEST_NONE &&
                !object_is(v, o.notification, ANV_OBJ_NOTIFICATION, &n))
                return fail(v, o.notification < v->count[T] ? MANIFEST_E_TYPE : MANIFEST_E_INDEX, T, i);
            break;
        case ANV_OBJ_POOL:
            /* Pages of memory; the loader carves them at boot and the quota is all of them. */
            if (o.size == 0 || o.size > MANIFEST_MAX_POOL_PAGES || o.flags || o.paddr)
                return fail(v, MANIFEST_E_RANGE, T, i);
            break;
        case ANV_OBJ_THREAD:
        case ANV_OBJ_ENDPOINT:
        case ANV_OBJ_NOTIFICATION:
        case ANV_OBJ_VSPACE:
        case ANV_OBJ_CONSOLE:
        case ANV_OBJ_SYSCTL:
        case ANV_OBJ_AUDIT:
            if (o.flags || o.size || o.paddr)
                return fail(v, MANIFEST_E_RANGE, T, i);
            break;
        default:
            return fail(v, MANIFEST_E_TYPE, T, i); /* not an object the loader creates */
        }
        if (o.type != ANV_OBJ_IRQ && (o.irq || o.badge || o.notification != MANIFEST_NONE))
            return fail(v, MANIFEST_E_RANGE, T, i);
    }
    return MANIFEST_OK;
}

static enum manifest_error check_slots(struct manifest_view *v, uint32_t p,
                                       const struct manifest_process *pr)
{
    struct manifest_slot s = {0};
    struct manifest_object o = {0};
    uint32_t prev = 0;
    for (uint32_t k = 0; k < pr->slot_count; k++) {
        uint32_t i = pr->first_slot + k;
        manifest_slot(v, i, &s);
        if (s.process != p)
            return fail(v, MANIFEST_E_ORDER, MANIFEST_T_SLOT, i);
        /* Ascending and never slot 0, so no slot is filled twice and null stays null. */
        if (s.slot == 0 || s.slot <= prev)
            return fail(v, MANIFEST_E_ORDER, MANIFEST_T_SLOT, i);
        if (s.slot >= pr->cspace_slots)
            return fail(v, MANIFEST_E_RANGE, MANIFEST_T_SLOT, i);
        if (!manifest_object(v, s.object, &o))
            return fail(v, MANIFEST_E_INDEX, MANIFEST_T_SLOT, i);
        if (s.rights & ~ANV_RIGHTS_ALL)
            return fail(v, MANIFEST_E_RIGHTS, MANIFEST_T_SLOT, i);
        if (s.badge && o.type != ANV_OBJ_ENDPOINT && o.type != ANV_OBJ_NOTIFICATION)
            return fail(v, MANIFEST_E_RANGE, MANIFEST_T_SLOT, i);
        prev = s.slot;
    }
    return MANIFEST_OK;
}

static enum manifest_error check_mappings(struct manifest_view *v, uint32_t p,
                                          const struct manifest_process *pr)
{
    struct manifest_mapping m = {0};
    struct manifest_object o = {0};
    for (uint32_t k = 0; k < pr->mapping_count; k++) {
        uint32_t i = pr->first_mapping + k;
        const uint32_t T = MANIFEST_T_MAPPING;
        manifest_mapping(v, i, &m);
        if (m.process != p)
            return fail(v, MANIFEST_E_ORDER, T, i);
        if (!manifest_object(v, m.object, &o))
            return fail(v, MANIFEST_E_INDEX, T, i);
        if (o.type != ANV_OBJ_FRAME)
            return fail(v, MANIFEST_E_TYPE, T, i);
        if (m.rights == 0 || (m.rights & ~(uint32_t)(ANV_RIGHT_READ | ANV_RIGHT_WRITE | ANV_RIGHT_EXEC)))
            return fail(v, MANIFEST_E_RIGHTS, T, i);
        if ((m.rights & ANV_RIGHT_WRITE) && (m.rights & ANV_RIGHT_EXEC))
            return fail(v, MANIFEST_E_WX, T, i);
        if (m.vaddr & PAGE_MASK)
            return fail(v, MANIFEST_E_ALIGN, T, i);
        if (m.pages == 0 || m.pages > o.size || m.reserved)
            return fail(v, MANIFEST_E_RANGE, T, i);
        if (!user_range_ok(m.vaddr, (uint64_t)m.pages * ANV_PAGE_SIZE))
            return fail(v, MANIFEST_E_ADDRESS, T, i);
        /* Device frames must be mapped as device memory and ordinary frames must not. */
        if (((m.flags & MANIFEST_MAP_F_DEVICE) != 0) != ((o.flags & MANIFEST_OBJ_F_DEVICE) != 0) ||
            (m.flags & ~MANIFEST_MAP_F_DEVICE))
            return fail(v, MANIFEST_E_RANGE, T, i);
    }
    return MANIFEST_OK;
}

static enum manifest_error check_threads(struct manifest_view *v, uint32_t p,
                                         const struct manifest_process *pr)
{
    struct manifest_thread t = {0};
    struct manifest_object o = {0};
    for (uint32_t k = 0; k < pr->thread_count; k++) {
        uint32_t i = pr->first_thread + k;
        const uint32_t T = MANIFEST_T_THREAD;
        manifest_thread(v, i, &t);
        if (t.process != p)
            return fail(v, MANIFEST_E_ORDER, T, i);
        if (!manifest_object(v, t.thread_object, &o) || !manifest_object(v, t.ipcbuf_object, &o))
            return fail(v, MANIFEST_E_INDEX, T, i);
        if (!object_is(v, t.thread_object, ANV_OBJ_THREAD, &o) ||
            !object_is(v, t.ipcbuf_object, ANV_OBJ_FRAME, &o) || (o.flags & MANIFEST_OBJ_F_DEVICE))
            return fail(v, MANIFEST_E_TYPE, T, i);
        if (t.priority > 255 || t.reserved || (t.flags & ~MANIFEST_THREAD_F_ALL))
            return fail(v, MANIFEST_E_RANGE, T, i);
        if (!(t.flags & MANIFEST_THREAD_F_PASSIVE) && (t.period_us == 0 || t.budget_us > t.period_us))
            return fail(v, MANIFEST_E_RANGE, T, i);
        if ((t.stack_top & PAGE_MASK) || (t.ipcbuf_vaddr & PAGE_MASK))
            return fail(v, MANIFEST_E_ALIGN, T, i);
        if (!user_range_ok(t.ipcbuf_vaddr, ANV_PAGE_SIZE) ||
            t.stack_top <= ANV_USER_BASE || t.stack_top > ANV_USER_TOP ||
            (t.entry != 0 && !user_range_ok(t.entry, 1)))
            return fail(v, MANIFEST_E_ADDRESS, T, i);
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
    uint32_t next_slot = 0, next_map = 0, next_thread = 0;
    for (uint32_t i = 0; i < v->count[MANIFEST_T_PROCESS]; i++) {
        const uint32_t T = MANIFEST_T_PROCESS;
        enum manifest_error e;
        manifest_process(v, i, &pr);
        if (pr.name >= v->count[MANIFEST_T_STRING])
            return fail(v, MANIFEST_E_STRING, T, i);
        if (pr.image != MANIFEST_NONE && pr.image >= v->count[MANIFEST_T_IMAGE])
            return fail(v, MANIFEST_E_INDEX, T, i);
        if (pr.cspace_object >= v->count[MANIFEST_T_OBJECT] ||
            pr.vspace_object >= v->count[MANIFEST_T_OBJECT])
            return fail(v, MANIFEST_E_INDEX, T, i);
        if (!object_is(v, pr.vspace_object, ANV_OBJ_VSPACE, &o) ||
            !object_is(v, pr.cspace_object, ANV_OBJ_CSPACE, &o))
            return fail(v, MANIFEST_E_TYPE, T, i);
        if (o.size != pr.cspace_slots || pr.flags)
            return fail(v, MANIFEST_E_RANGE, T, i);
        if (pr.heap_size && ((pr.heap_base | pr.heap_size) & PAGE_MASK))
            return fail(v, MANIFEST_E_ALIGN, T, i);
        if (pr.heap_size && !user_range_ok(pr.heap_base, pr.heap_size))
            return fail(v, MANIFEST_E_ADDRESS, T, i);
        /* Per-process ranges tile each table in process order: no entry is shared,
         * none is orphaned. */
        if (!range_ok(pr.first_slot, pr.slot_count, v->count[MANIFEST_T_SLOT]) ||
            !range_ok(pr.first_mapping, pr.mapping_count, v->count[MANIFEST_T_MAPPING]) ||
            !range_ok(pr.first_thread, pr.thread_count, v->count[MANIFEST_T_THREAD]))
            return fail(v, MANIFEST_E_INDEX, T, i);
        if (pr.first_slot != next_slot || pr.first_mapping != next_map ||
            pr.first_thread != next_thread)
            return fail(v, MANIFEST_E_ORDER, T, i);
        next_slot += pr.slot_count;
        next_map += pr.mapping_count;
        next_thread += pr.thread_count;
        if ((e = check_slots(v, i, &pr)) != MANIFEST_OK ||
            (e = check_mappings(v, i, &pr)) != MANIFEST_OK ||
            (e = check_threads(v, i, &pr)) != MANIFEST_OK)
            return e;
    }
    if (next_slot != v->count[MANIFEST_T_SLOT])
        return fail(v, MANIFEST_E_ORDER, MANIFEST_T_SLOT, next_slot);
    if (next_map != v->count[MANIFEST_T_MAPPING])
        return fail(v, MANIFEST_E_ORDER, MANIFEST_T_MAPPING, next_map);
    if (next_thread != v->count[MANIFEST_T_THREAD])
        return fail(v, MANIFEST_E_ORDER, MANIFEST_T_THREAD, next_thread);
    return MANIFEST_OK;
}

static enum manifest_error check_images(struct manifest_view *v)
{
    struct manifest_image im = {0};
    for (uint32_t i = 0; i < v->count[MANIFEST_T_IMAGE]; i++) {
        manifest_image(v, i, &im);
        if (im.name >= v->count[MANIFEST_T_STRING])
            return fail(v, MANIFEST_E_STRING, MANIFEST_T_IMAGE, i);
        if (im.flags)
            return fail(v, MANIFEST_E_RANGE, MANIFEST_T_IMAGE, i);
        if ((im.load_base & PAGE_MASK))
            return fail(v, MANIFEST_E_ALIGN, MANIFEST_T_IMAGE, i);
        if (!user_range_ok(im.load_base, ANV_PAGE_SIZE) || (im.entry && !user_range_ok(im.entry, 1)))
            return fail(v, MANIFEST_E_ADDRESS, MANIFEST_T_IMAGE, i);
    }
    return MANIFEST_OK;
}

enum manifest_error manifest_open(struct manifest_view *v, const void *blob, size_t len)
{
    const uint8_t *b = blob;
    enum manifest_error e;
    v->base = b;
    v->size = 0;
    v->bad_table = MANIFEST_NONE;
    v->bad_index = MANIFEST_NONE;
    for (uint32_t t = 0; t < MANIFEST_T_COUNT; t++)
        v->offset[t] = v->count[t] = 0;

    if (b == NULL || len < sizeof(struct manifest_header))
        return MANIFEST_E_TOO_SHORT;
    if (rd32(b) != MANIFEST_MAGIC)
        return MANIFEST_E_MAGIC;
    if (rd16(b + 4) != MANIFEST_VERSION_MAJOR)
        return MANIFEST_E_VERSION;
    uint32_t header_size = rd32(b + 8), total = rd32(b + 12);
    if (total > len || total < sizeof(struct manifest_header))
        return MANIFEST_E_TOO_SHORT;
    if (header_size != sizeof(struct manifest_header) || rd32(b + 24) != 0 ||
        rd32(b + 28) != MANIFEST_T_COUNT)
        return MANIFEST_E_HEADER;
    if (crc_skipping_field(b, total) != rd32(b + 16))
        return MANIFEST_E_CHECKSUM;
    v->size = total;
    v->version_minor = (uint16_t)rd16(b + 6);
    v->abi_version = rd32(b + 20);

    for (uint32_t t = 0; t < MANIFEST_T_COUNT; t++) {
        const uint8_t *d = b + 32 + 16 * t;
        uint32_t off = rd32(d), count = rd32(d + 4), esz = rd32(d + 8);
        if (esz != entry_size[t] || rd32(d + 12) != 0 || count > max_count[t] ||
            (off & 7u) || off < header_size || (uint64_t)off + (uint64_t)count * esz > total)
            return fail(v, MANIFEST_E_TABLE, t, MANIFEST_NONE);
        v->offset[t] = off;
        v->count[t] = count;
    }
    uint32_t ns = v->count[MANIFEST_T_STRING];
    if (ns == 0 || b[v->offset[MANIFEST_T_STRING] + ns - 1] != 0)
        return fail(v, MANIFEST_E_STRING, MANIFEST_T_STRING, MANIFEST_NONE);

    if ((e = check_objects(v)) != MANIFEST_OK || (e = check_images(v)) != MANIFEST_OK ||
        (e = check_processes(v)) != MANIFEST_OK) {
        v->size = 0; /* a failed view stays unusable even if the caller ignores the error */
        return e;
    }
    return MANIFEST_OK;
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
    case MANIFEST_E_COUNT_: break;
    }
    return "unknown manifest error";
}
