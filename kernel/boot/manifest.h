/* The kernel's system image manifest decoder: validates a whole manifest once, then
 * hands out decoded entries by index. No allocation; the view points into the blob. */
#ifndef KERNEL_MANIFEST_H
#define KERNEL_MANIFEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <anvaya/manifest.h>

enum manifest_error {
    MANIFEST_OK = 0,
    MANIFEST_E_TOO_SHORT,   /* blob shorter than its header or its total_size */
    MANIFEST_E_MAGIC,       /* not a manifest */
    MANIFEST_E_VERSION,     /* major version this decoder does not know */
    MANIFEST_E_HEADER,      /* header_size, flags or table_count wrong */
    MANIFEST_E_CHECKSUM,    /* CRC-32 mismatch */
    MANIFEST_E_TABLE,       /* table outside the blob, misaligned, wrong entry size, too many */
    MANIFEST_E_STRING,      /* string offset outside the table or table not NUL-terminated */
    MANIFEST_E_INDEX,       /* a cross-reference names an entry that does not exist */
    MANIFEST_E_TYPE,        /* an object of the wrong or an unknown type */
    MANIFEST_E_RIGHTS,      /* rights outside ANV_RIGHTS_ALL or not allowed here */
    MANIFEST_E_WX,          /* a mapping both writable and executable */
    MANIFEST_E_ALIGN,       /* address not page-aligned */
    MANIFEST_E_ADDRESS,     /* user address outside [ANV_USER_BASE, ANV_USER_TOP) */
    MANIFEST_E_RANGE,       /* a value outside its documented range */
    MANIFEST_E_ORDER,       /* process ranges inconsistent, or slots not ascending */
    MANIFEST_E_ABI,         /* abi_version: another major, or a minor newer than the kernel's */
    MANIFEST_E_COUNT_
};

/* Room for one refusal message, "record index (context): field value problem". */
#define MANIFEST_MESSAGE_MAX 192

struct manifest_view {
    const uint8_t *base;
    uint32_t size;
    uint16_t version_minor;
    uint32_t abi_version;
    uint32_t offset[MANIFEST_T_COUNT];
    uint32_t count[MANIFEST_T_COUNT];
    /* Where manifest_open found the first problem (table MANIFEST_T_*, entry index;
     * MANIFEST_NONE for the header or a whole table). */
    uint32_t bad_table;
    uint32_t bad_index;
    /* The same problem in words, naming the record and the field, e.g.
     * `thread 3 (process "app"): priority 300 out of range 0..255`; empty on success.
     * Always NUL-terminated; long names are cut, unprintable bytes shown as '?'. */
    char message[MANIFEST_MESSAGE_MAX];
    uint32_t message_len;
};

/* Validate `blob` completely; only on MANIFEST_OK may the accessors be used. On any
 * other result v->message says which record and which field are wrong. */
enum manifest_error manifest_open(struct manifest_view *v, const void *blob, size_t len);
const char *manifest_strerror(enum manifest_error e);
uint32_t manifest_crc32(const void *data, size_t len);

uint32_t manifest_count(const struct manifest_view *v, uint32_t table);
/* Decode entry i; false when i is out of range (out is then untouched). */
bool manifest_process(const struct manifest_view *v, uint32_t i, struct manifest_process *out);
bool manifest_object(const struct manifest_view *v, uint32_t i, struct manifest_object *out);
bool manifest_slot(const struct manifest_view *v, uint32_t i, struct manifest_slot *out);
bool manifest_mapping(const struct manifest_view *v, uint32_t i, struct manifest_mapping *out);
bool manifest_thread(const struct manifest_view *v, uint32_t i, struct manifest_thread *out);
bool manifest_image(const struct manifest_view *v, uint32_t i, struct manifest_image *out);
/* The NUL-terminated string at `offset` of the string table ("" when out of range). */
const char *manifest_string(const struct manifest_view *v, uint32_t offset);
/* Short lower-case name of an ANV_OBJ_* type for messages ("frame", "endpoint", ...). */
const char *manifest_type_name(uint32_t type);
/* Format a refusal into buf (always NUL-terminated when size > 0) with the kernel's one
 * formatter (lib/format.c); %s strings are cut at 48 bytes and unprintable bytes shown as
 * '?', since names come from the manifest and end up on the console. Shared with the boot
 * pre-flight (loader_check.c) so every refusal reads alike. Returns the length written. */
uint32_t manifest_format(char *buf, uint32_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
uint32_t manifest_vformat(char *buf, uint32_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
