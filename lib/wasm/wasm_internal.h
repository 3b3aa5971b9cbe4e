/* WebAssembly interpreter internals shared by the loader (decode, validate, compile) and
 * the runtime: module layout, runtime objects and the pre-decoded instruction set. */
#ifndef WASM_INTERNAL_H
#define WASM_INTERNAL_H

#include "wasm.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the interpreter keeps values as little-endian cells"
#endif

#define WASM_PAGE 65536u
#define WASM_NONE 0xFFFFFFFFu

/* Internal instruction set: a register form over the frame. Every instruction is one
 * 32-bit word followed by its operands: frame slots (fp[0..nlocals) are the locals,
 * fp[nlocals + h] holds the operand stack's entry at height h), immediates, and branch
 * offsets relative to the word holding them. Dense numbers, so the dispatch table has no
 * holes. The numeric block I32_EQZ..F64_PROMOTE_F32 follows the binary opcodes
 * 0x45..0xBB in order. */
#define WASM_OPS(X) \
    X(UNREACHABLE) X(BR) X(BR_B) X(BR_IF) X(BR_IF_B) X(BR_UNLESS) X(BR_IF_COPY) X(BR_TABLE) \
    X(RETURN0) X(RETURN1) X(CALL) X(CALL_INDIRECT) X(COPY) X(SELECT) \
    X(GLOBAL_GET) X(GLOBAL_SET) \
    X(I32_LOAD) X(I64_LOAD) X(I32_LOAD8_S) X(I32_LOAD8_U) X(I32_LOAD16_S) X(I32_LOAD16_U) \
    X(I64_LOAD8_S) X(I64_LOAD8_U) X(I64_LOAD16_S) X(I64_LOAD16_U) X(I64_LOAD32_S) \
    X(I64_LOAD32_U) X(I32_STORE) X(I64_STORE) X(I32_STORE8) X(I32_STORE16) X(I64_STORE8) \
    X(I64_STORE16) X(I64_STORE32) X(MEMORY_SIZE) X(MEMORY_GROW) X(CONST32) X(CONST64) \
    X(I32_EQZ) X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U) \
    X(I32_LE_S) X(I32_LE_U) X(I32_GE_S) X(I32_GE_U) \
    X(I64_EQZ) X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U) X(I64_GT_S) X(I64_GT_U) \
    X(I64_LE_S) X(I64_LE_U) X(I64_GE_S) X(I64_GE_U) \
    X(F32_EQ) X(F32_NE) X(F32_LT) X(F32_GT) X(F32_LE) X(F32_GE) \
    X(F64_EQ) X(F64_NE) X(F64_LT) X(F64_GT) X(F64_LE) X(F64_GE) \
    X(I32_CLZ) X(I32_CTZ) X(I32_POPCNT) X(I32_ADD) X(I32_SUB) X(I32_MUL) X(I32_DIV_S) \
    X(I32_DIV_U) X(I32_REM_S) X(I32_REM_U) X(I32_AND) X(I32_OR) X(I32_XOR) X(I32_SHL) \
    X(I32_SHR_S) X(I32_SHR_U) X(I32_ROTL) X(I32_ROTR) \
    X(I64_CLZ) X(I64_CTZ) X(I64_POPCNT) X(I64_ADD) X(I64_SUB) X(I64_MUL) X(I64_DIV_S) \
    X(I64_DIV_U) X(I64_REM_S) X(I64_REM_U) X(I64_AND) X(I64_OR) X(I64_XOR) X(I64_SHL) \
    X(I64_SHR_S) X(I64_SHR_U) X(I64_ROTL) X(I64_ROTR) \
    X(F32_ABS) X(F32_NEG) X(F32_CEIL) X(F32_FLOOR) X(F32_TRUNC) X(F32_NEAREST) X(F32_SQRT) \
    X(F32_ADD) X(F32_SUB) X(F32_MUL) X(F32_DIV) X(F32_MIN) X(F32_MAX) X(F32_COPYSIGN) \
    X(F64_ABS) X(F64_NEG) X(F64_CEIL) X(F64_FLOOR) X(F64_TRUNC) X(F64_NEAREST) X(F64_SQRT) \
    X(F64_ADD) X(F64_SUB) X(F64_MUL) X(F64_DIV) X(F64_MIN) X(F64_MAX) X(F64_COPYSIGN) \
    X(I32_WRAP_I64) X(I32_TRUNC_F32_S) X(I32_TRUNC_F32_U) X(I32_TRUNC_F64_S) \
    X(I32_TRUNC_F64_U) X(I64_EXTEND_I32_S) X(I64_EXTEND_I32_U) X(I64_TRUNC_F32_S) \
    X(I64_TRUNC_F32_U) X(I64_TRUNC_F64_S) X(I64_TRUNC_F64_U) X(F32_CONVERT_I32_S) \
    X(F32_CONVERT_I32_U) X(F32_CONVERT_I64_S) X(F32_CONVERT_I64_U) X(F32_DEMOTE_F64) \
    X(F64_CONVERT_I32_S) X(F64_CONVERT_I32_U) X(F64_CONVERT_I64_S) X(F64_CONVERT_I64_U) \
    X(F64_PROMOTE_F32)

/* Integer operations that also exist with a constant second operand (suffix _I; the
 * constant inline: one word for i32, two for i64), with the expression over a and b. */
#define WASM_I32_CMP_OPS(X) \
    X(I32_EQ, a == b) X(I32_NE, a != b) X(I32_LT_S, (int32_t)a < (int32_t)b) \
    X(I32_LT_U, a < b) X(I32_GT_S, (int32_t)a > (int32_t)b) X(I32_GT_U, a > b) \
    X(I32_LE_S, (int32_t)a <= (int32_t)b) X(I32_LE_U, a <= b) \
    X(I32_GE_S, (int32_t)a >= (int32_t)b) X(I32_GE_U, a >= b)
#define WASM_I32_IMM_OPS(X) \
    WASM_I32_CMP_OPS(X) \
    X(I32_ADD, a + b) X(I32_SUB, a - b) X(I32_MUL, a * b) X(I32_AND, a & b) \
    X(I32_OR, a | b) X(I32_XOR, a ^ b) X(I32_SHL, a << (b & 31)) \
    X(I32_SHR_S, (uint32_t)((int32_t)a >> (b & 31))) X(I32_SHR_U, a >> (b & 31)) \
    X(I32_ROTL, rotl32(a, b)) X(I32_ROTR, rotl32(a, 32 - (b & 31)))
#define WASM_I64_IMM_OPS(X) \
    X(I64_ADD, a + b) X(I64_SUB, a - b) X(I64_MUL, a * b) X(I64_AND, a & b) \
    X(I64_OR, a | b) X(I64_XOR, a ^ b) X(I64_SHL, a << (b & 63)) \
    X(I64_SHR_S, (uint64_t)((int64_t)a >> (b & 63))) X(I64_SHR_U, a >> (b & 63)) \
    X(I64_ROTL, rotl64(a, b)) X(I64_ROTR, rotl64(a, 64 - (b & 63)))
#define WASM_I64_CMP_IMM_OPS(X) \
    X(I64_EQ, a == b) X(I64_NE, a != b) X(I64_LT_S, (int64_t)a < (int64_t)b) \
    X(I64_LT_U, a < b) X(I64_GT_S, (int64_t)a > (int64_t)b) X(I64_GT_U, a > b) \
    X(I64_LE_S, (int64_t)a <= (int64_t)b) X(I64_LE_U, a <= b) \
    X(I64_GE_S, (int64_t)a >= (int64_t)b) X(I64_GE_U, a >= b)

/* Floating-point operations with a constant second operand (its bits inline). */
#define WASM_F32_IMM_OPS(X) X(F32_ADD, a + b) X(F32_SUB, a - b) X(F32_MUL, a * b) X(F32_DIV, a / b)
#define WASM_F64_IMM_OPS(X) X(F64_ADD, a + b) X(F64_SUB, a - b) X(F64_MUL, a * b) X(F64_DIV, a / b)
#define WASM_F32_CMP_OPS(X) \
    X(F32_EQ, a == b) X(F32_NE, a != b) X(F32_LT, a < b) X(F32_GT, a > b) X(F32_LE, a <= b) \
    X(F32_GE, a >= b)
#define WASM_F64_CMP_OPS(X) \
    X(F64_EQ, a == b) X(F64_NE, a != b) X(F64_LT, a < b) X(F64_GT, a > b) X(F64_LE, a <= b) \
    X(F64_GE, a >= b)

/* A comparison followed by br_if (or if, negated) becomes one compare-and-branch
 * instruction: BR_<cmp> [a][b][target], BR_<cmp>_I [a][constant][target]. */
#define WASM_OP_ENUM(name) WOP_##name,
#define WASM_OP_ENUM_I(name, expr) WOP_##name##_I,
#define WASM_OP_ENUM_BR(name, expr) WOP_BR_##name, WOP_BR_##name##_I,
enum wasm_op {
    WASM_OPS(WASM_OP_ENUM)
    WASM_I32_IMM_OPS(WASM_OP_ENUM_I)
    WASM_I64_IMM_OPS(WASM_OP_ENUM_I)
    WASM_I64_CMP_IMM_OPS(WASM_OP_ENUM_I)
    WASM_I32_CMP_OPS(WASM_OP_ENUM_BR)
    WASM_I64_CMP_IMM_OPS(WASM_OP_ENUM_BR)
    WASM_F32_IMM_OPS(WASM_OP_ENUM_I)
    WASM_F64_IMM_OPS(WASM_OP_ENUM_I)
    WASM_F32_CMP_OPS(WASM_OP_ENUM_I)
    WASM_F64_CMP_OPS(WASM_OP_ENUM_I)
    WASM_F32_CMP_OPS(WASM_OP_ENUM_BR)
    WASM_F64_CMP_OPS(WASM_OP_ENUM_BR)
    WOP_COUNT
};

typedef struct wasm_functype {
    uint32_t nparams;
    uint32_t nresults; /* 0 or 1 in the MVP */
    const uint8_t *params;
    uint8_t result;
} wasm_functype;

typedef struct wasm_limits_decl {
    uint32_t min, max;
    int has_max;
} wasm_limits_decl;

/* A constant expression: a value or a read of an (imported) global. */
typedef struct wasm_const_expr {
    int is_global;
    uint32_t global;
    uint64_t bits;
} wasm_const_expr;

typedef struct wasm_import {
    uint32_t module_off, module_len, name_off, name_len;
    uint8_t kind;
    uint32_t index; /* functype index for functions */
    wasm_limits_decl limits;
    uint8_t gtype, gmut;
} wasm_import;

typedef struct wasm_export {
    uint32_t name_off, name_len;
    uint8_t kind;
    uint32_t index;
} wasm_export;

typedef struct wasm_global_decl {
    uint8_t type, mut;
    wasm_const_expr init;
} wasm_global_decl;

typedef struct wasm_elem_seg {
    wasm_const_expr offset;
    uint32_t count;
    uint32_t *funcs;
} wasm_elem_seg;

typedef struct wasm_data_seg {
    wasm_const_expr offset;
    uint32_t off, len; /* in the module's copy of the bytes */
} wasm_data_seg;

typedef struct wasm_code_info {
    uint32_t entry;     /* word offset in the module's code */
    uint32_t nlocals;   /* parameters included */
    uint32_t frame_cells; /* locals plus the deepest operand stack */
    uint32_t body_off, body_len; /* the body in the module's bytes */
} wasm_code_info;

struct wasm_module {
    wasm_allocator alloc;
    uint8_t *bytes;
    size_t len;
    uint32_t ntypes;
    wasm_functype *types;
    uint8_t *type_pool;
    uint32_t nimports;
    wasm_import *imports;
    uint32_t nfuncs, nimported_funcs;
    uint32_t *func_types;
    wasm_code_info *code_info;
    int has_table, table_imported;
    wasm_limits_decl table;
    int has_memory, memory_imported;
    wasm_limits_decl memory;
    uint32_t nglobals, nimported_globals;
    wasm_global_decl *globals;
    uint32_t nexports;
    wasm_export *exports;
    int has_start;
    uint32_t start;
    uint32_t nelems;
    wasm_elem_seg *elems;
    uint32_t *elem_pool;
    uint32_t ndatas;
    wasm_data_seg *datas;
    uint32_t *code;
    size_t code_len, code_cap;
};

struct wasm_func {
    const wasm_functype *type;
    wasm_instance *inst; /* NULL for a host function */
    const uint32_t *code;
    uint32_t nlocals, frame_cells;
    wasm_host_fn host;
    void *host_ctx;
};

struct wasm_table {
    wasm_func **elems;
    uint32_t size, max;
    int has_max;
};

struct wasm_memory {
    uint8_t *data;
    uint64_t bytes;
    uint32_t pages, max;
    int has_max;
};

struct wasm_global {
    wasm_value v;
    uint8_t type, mut;
};

struct wasm_instance {
    const wasm_module *module;
    wasm_instance *next;
    wasm_func **funcs;
    wasm_func *own_funcs;
    wasm_table *table;
    wasm_memory *memory;
    wasm_global **globals;
    wasm_global *own_globals;
};

/* Host objects made in an environment, freed with it. */
typedef struct wasm_owned {
    struct wasm_owned *next;
    size_t size;
    int kind; /* 0 plain block, 1 memory, 2 table */
} wasm_owned;

typedef struct wasm_frame {
    const uint32_t *ip;
    uint64_t *fp;
    wasm_instance *inst;
} wasm_frame;

struct wasm_env {
    wasm_allocator alloc;
    wasm_memory_ops mem_ops;
    wasm_limits limits;
    uint64_t *stack;
    uint64_t *sp;
    wasm_frame *frames;
    uint32_t depth;
    int64_t fuel;
    wasm_instance *instances;
    wasm_owned *owned;
};

/* Blocks carry their size in a header, so the embedder's allocator gets old sizes. */
void *wasm__alloc(const wasm_allocator *a, size_t size); /* zeroed */
void *wasm__realloc(const wasm_allocator *a, void *p, size_t size); /* new bytes zeroed */
void wasm__free(const wasm_allocator *a, void *p);
int wasm__functype_eq(const wasm_functype *a, const wasm_functype *b);
void wasm__default_limits(wasm_limits *l);

#endif
