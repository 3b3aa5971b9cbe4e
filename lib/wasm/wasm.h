/* WebAssembly 1.0 (MVP) interpreter: the embedder's interface (decoding and validation,
 * instantiation against resolved imports, calls, host objects, limits, fuel). */
#ifndef WASM_H
#define WASM_H

#include <stddef.h>
#include <stdint.h>

/* Status codes. Ranges tell the class: malformed binary, invalid module, link failure,
 * resource or limit, trap. wasm_status_message() gives the text for each; trap texts are
 * the specification's. */
typedef enum wasm_status {
    WASM_OK = 0,
    /* malformed (decoding) */
    WASM_ERR_MALFORMED_FIRST = 100,
    WASM_ERR_MAGIC = WASM_ERR_MALFORMED_FIRST,
    WASM_ERR_VERSION,
    WASM_ERR_UNEXPECTED_END,
    WASM_ERR_LEB_TOO_LONG,
    WASM_ERR_LEB_TOO_LARGE,
    WASM_ERR_SECTION_ID,
    WASM_ERR_SECTION_ORDER,
    WASM_ERR_SECTION_SIZE,
    WASM_ERR_UTF8,
    WASM_ERR_VALTYPE,
    WASM_ERR_FUNCTYPE_FORM,
    WASM_ERR_IMPORT_KIND,
    WASM_ERR_EXPORT_KIND,
    WASM_ERR_ELEMTYPE,
    WASM_ERR_LIMITS_FLAGS,
    WASM_ERR_MUTABILITY,
    WASM_ERR_FUNC_CODE_MISMATCH,
    WASM_ERR_TOO_MANY_LOCALS,
    WASM_ERR_ILLEGAL_OPCODE,
    WASM_ERR_ZERO_BYTE,
    WASM_ERR_JUNK_AFTER_END,
    WASM_ERR_BODY_END,
    WASM_ERR_BLOCKTYPE,
    WASM_ERR_MALFORMED_LAST = WASM_ERR_BLOCKTYPE,
    /* invalid (validation) */
    WASM_ERR_INVALID_FIRST = 200,
    WASM_ERR_TYPE_MISMATCH = WASM_ERR_INVALID_FIRST,
    WASM_ERR_UNKNOWN_TYPE,
    WASM_ERR_UNKNOWN_FUNC,
    WASM_ERR_UNKNOWN_TABLE,
    WASM_ERR_UNKNOWN_MEMORY,
    WASM_ERR_UNKNOWN_GLOBAL,
    WASM_ERR_UNKNOWN_LOCAL,
    WASM_ERR_UNKNOWN_LABEL,
    WASM_ERR_IMMUTABLE_GLOBAL,
    WASM_ERR_ALIGNMENT,
    WASM_ERR_CONST_EXPR,
    WASM_ERR_MULTIPLE_TABLES,
    WASM_ERR_MULTIPLE_MEMORIES,
    WASM_ERR_LIMITS_MIN_MAX,
    WASM_ERR_MEMORY_SIZE,
    WASM_ERR_RESULT_ARITY,
    WASM_ERR_DUPLICATE_EXPORT,
    WASM_ERR_START_TYPE,
    WASM_ERR_INVALID_LAST = WASM_ERR_START_TYPE,
    /* link and instantiation */
    WASM_ERR_LINK_FIRST = 300,
    WASM_ERR_UNKNOWN_IMPORT = WASM_ERR_LINK_FIRST,
    WASM_ERR_IMPORT_TYPE,
    WASM_ERR_ELEM_NOFIT,
    WASM_ERR_DATA_NOFIT,
    WASM_ERR_LINK_LAST = WASM_ERR_DATA_NOFIT,
    /* resources and embedder limits */
    WASM_ERR_RESOURCE_FIRST = 400,
    WASM_ERR_NOMEM = WASM_ERR_RESOURCE_FIRST,
    WASM_ERR_LIMIT_MEMORY,
    WASM_ERR_LIMIT_TABLE,
    WASM_ERR_LIMIT_MODULE,
    WASM_ERR_ARGUMENT,
    WASM_ERR_NOT_FOUND,
    WASM_ERR_RESOURCE_LAST = WASM_ERR_NOT_FOUND,
    /* traps */
    WASM_TRAP_FIRST = 500,
    WASM_TRAP_UNREACHABLE = WASM_TRAP_FIRST,
    WASM_TRAP_MEMORY_OOB,
    WASM_TRAP_DIV_ZERO,
    WASM_TRAP_INT_OVERFLOW,
    WASM_TRAP_INVALID_CONVERSION,
    WASM_TRAP_UNDEFINED_ELEMENT,
    WASM_TRAP_UNINITIALIZED_ELEMENT,
    WASM_TRAP_INDIRECT_TYPE,
    WASM_TRAP_CALL_DEPTH,
    WASM_TRAP_VALUE_STACK,
    WASM_TRAP_FUEL,
    WASM_TRAP_HOST,
    WASM_TRAP_LAST = WASM_TRAP_HOST,
} wasm_status;

typedef enum wasm_status_class {
    WASM_CLASS_OK,
    WASM_CLASS_MALFORMED,
    WASM_CLASS_INVALID,
    WASM_CLASS_LINK,
    WASM_CLASS_RESOURCE,
    WASM_CLASS_TRAP,
} wasm_status_class;

const char *wasm_status_message(wasm_status s);
wasm_status_class wasm_status_classify(wasm_status s);

/* Value types, with their binary encodings. */
enum {
    WASM_I32 = 0x7F,
    WASM_I64 = 0x7E,
    WASM_F32 = 0x7D,
    WASM_F64 = 0x7C,
};

/* One value. Floats travel as their bits (i32/i64 members) so NaN payloads survive;
 * the f32/f64 members are for convenience. */
typedef union wasm_value {
    uint32_t i32;
    uint64_t i64;
    float f32;
    double f64;
} wasm_value;

/* The embedder's allocator: realloc semantics (ptr NULL allocates, new_size 0 frees and
 * returns NULL). old_size is the size previously granted (0 for a new block). */
typedef struct wasm_allocator {
    void *(*realloc)(void *ctx, void *ptr, size_t old_size, size_t new_size);
    void *ctx;
} wasm_allocator;

/* Linear memory backing. grow() makes [0, new_bytes) usable with the bytes past
 * old_bytes reading as zero, and returns the (possibly moved) base, or NULL to refuse
 * (memory.grow then returns -1). max_bytes is the most this memory can ever reach, so a
 * backing that reserves address space can reserve it once. release() gives it back. */
typedef struct wasm_memory_ops {
    void *(*grow)(void *ctx, void *base, size_t old_bytes, size_t new_bytes, size_t max_bytes);
    void (*release)(void *ctx, void *base, size_t bytes);
    void *ctx;
} wasm_memory_ops;

/* Limits an environment enforces; each overrun is a clean error or trap. */
typedef struct wasm_limits {
    uint32_t max_memory_pages; /* cap on any memory (64 KiB pages), at most 65536 */
    uint32_t max_table_size;   /* cap on any table's size */
    uint32_t value_stack_cells; /* 8-byte cells for locals and operands, all frames */
    uint32_t call_depth;       /* nested wasm calls */
    uint32_t max_module_bytes; /* refuse larger binaries */
} wasm_limits;

typedef struct wasm_module wasm_module;
typedef struct wasm_env wasm_env;
typedef struct wasm_instance wasm_instance;
typedef struct wasm_func wasm_func;
typedef struct wasm_table wasm_table;
typedef struct wasm_memory wasm_memory;
typedef struct wasm_global wasm_global;

typedef enum wasm_extern_kind {
    WASM_EXTERN_FUNC = 0,
    WASM_EXTERN_TABLE = 1,
    WASM_EXTERN_MEMORY = 2,
    WASM_EXTERN_GLOBAL = 3,
} wasm_extern_kind;

typedef struct wasm_extern {
    wasm_extern_kind kind;
    union {
        wasm_func *func;
        wasm_table *table;
        wasm_memory *memory;
        wasm_global *global;
    } u;
} wasm_extern;

/* Where decoding or validation failed (byte offset in the binary). */
typedef struct wasm_diag {
    size_t offset;
} wasm_diag;

/* Decode and validate a binary; on success *out is a module ready to instantiate (the
 * bytes are copied). diag may be NULL. */
wasm_status wasm_module_load(const wasm_allocator *alloc, const wasm_limits *limits,
                             const uint8_t *bytes, size_t len, wasm_module **out,
                             wasm_diag *diag);
/* Free a module; every instance made from it must be gone (its environment freed). */
void wasm_module_free(wasm_module *m);

/* An environment (the specification's store): owns instances, host objects, the value
 * and call stacks and the fuel counter. Everything made in it lives until it is freed. */
wasm_status wasm_env_new(const wasm_allocator *alloc, const wasm_memory_ops *mem_ops,
                         const wasm_limits *limits, wasm_env **out);
void wasm_env_free(wasm_env *env);
/* Fuel: each loop iteration and each call costs one; at zero the run traps with
 * WASM_TRAP_FUEL. The default is effectively unlimited (INT64_MAX). */
void wasm_env_set_fuel(wasm_env *env, int64_t fuel);
int64_t wasm_env_fuel(const wasm_env *env);

/* Import resolution: fill *out with the extern for (module, name) of the given kind and
 * return WASM_OK, or return WASM_ERR_UNKNOWN_IMPORT. The interpreter then checks it. */
typedef wasm_status (*wasm_resolve_fn)(void *ctx, const char *module, size_t module_len,
                                       const char *name, size_t name_len,
                                       wasm_extern_kind kind, wasm_extern *out);

/* Instantiate in the specification's order: resolve and check imports, allocate, check
 * every segment fits, write elements then data, run the start function. On a failure
 * after allocation (a segment that does not fit, a trap in start) the partial instance
 * stays in env (imported tables may point at its functions) and *out is NULL. */
wasm_status wasm_instantiate(wasm_env *env, const wasm_module *m, wasm_resolve_fn resolve,
                             void *resolve_ctx, wasm_instance **out);

/* Look up an export by name. */
wasm_status wasm_instance_export(const wasm_instance *inst, const char *name, size_t len,
                                 wasm_extern *out);

/* The i-th export in the module's order (its name is not NUL-terminated); WASM_ERR_NOT_FOUND
 * past the last. */
wasm_status wasm_instance_export_at(const wasm_instance *inst, uint32_t i, const char **name,
                                    size_t *len, wasm_extern *out);

/* Call a function with the given arguments (checked against its type). */
wasm_status wasm_call(wasm_env *env, wasm_func *f, const wasm_value *args, size_t nargs,
                      wasm_value *results, size_t nresults);

/* A function's type: parameter and result value types. */
void wasm_func_type(const wasm_func *f, const uint8_t **params, uint32_t *nparams,
                    const uint8_t **results, uint32_t *nresults);

/* Host objects. A host function gets its arguments and writes its results (nresults of
 * them, as its type says); any status other than WASM_OK traps the caller with it. */
typedef wasm_status (*wasm_host_fn)(void *ctx, wasm_env *env, const wasm_value *args,
                                    wasm_value *results);
wasm_status wasm_host_func_new(wasm_env *env, const uint8_t *params, uint32_t nparams,
                               const uint8_t *results, uint32_t nresults, wasm_host_fn fn,
                               void *ctx, wasm_func **out);
wasm_status wasm_host_global_new(wasm_env *env, uint8_t type, int mutable_, wasm_value v,
                                 wasm_global **out);
wasm_status wasm_host_table_new(wasm_env *env, uint32_t min, uint32_t max, int has_max,
                                wasm_table **out);
wasm_status wasm_host_memory_new(wasm_env *env, uint32_t min, uint32_t max, int has_max,
                                 wasm_memory **out);

/* Globals' and memories' current state, for the embedder. */
wasm_value wasm_global_get(const wasm_global *g);
uint8_t wasm_global_type(const wasm_global *g);
uint8_t *wasm_memory_data(const wasm_memory *m);
uint64_t wasm_memory_size(const wasm_memory *m);

#endif
