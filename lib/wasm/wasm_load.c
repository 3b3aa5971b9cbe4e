/* WebAssembly binary decoder and validator: checks a whole module (the specification's
 * validation algorithm, operand and control stacks with unreachable polymorphism) and
 * translates each function once into the interpreter's pre-decoded code. */
#include <string.h>

#include "wasm_internal.h"

#define T_UNKNOWN 0

typedef struct reader {
    const uint8_t *base, *p, *end;
    wasm_status err;
} reader;

static int fail(reader *r, wasm_status s)
{
    if (r->err == WASM_OK)
        r->err = s;
    return 0;
}

static int rd_byte(reader *r, uint8_t *out)
{
    if (r->err != WASM_OK)
        return 0;
    if (r->p >= r->end)
        return fail(r, WASM_ERR_UNEXPECTED_END);
    *out = *r->p++;
    return 1;
}

/* LEB128 of an integer `bits` wide (32 or 64), as the binary format's integers are: at
 * most ceil(bits/7) bytes, and the unused high bits of the last byte must be zero
 * (unsigned) or copies of the value's sign bit (signed), or the encoding is too large. */
static int rd_leb(reader *r, unsigned bits, int is_signed, uint64_t *out)
{
    const unsigned max_bytes = (bits + 6) / 7;
    uint64_t v = 0;
    for (unsigned i = 0; i < max_bytes; i++) {
        uint8_t b;
        if (!rd_byte(r, &b))
            return 0;
        if (i == max_bytes - 1) {
            if (b & 0x80)
                return fail(r, WASM_ERR_LEB_TOO_LONG);
            const unsigned used = bits - 7 * i;
            const uint8_t unused = (uint8_t)(0x7F & ~((1u << used) - 1));
            const uint8_t sign_copies = (is_signed && (b & (1u << (used - 1)))) ? unused : 0;
            if ((b & unused) != sign_copies)
                return fail(r, WASM_ERR_LEB_TOO_LARGE);
        }
        v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            if (is_signed && 7 * (i + 1) < 64 && (b & 0x40))
                v |= ~(uint64_t)0 << (7 * (i + 1));
            *out = v;
            return 1;
        }
    }
    return fail(r, WASM_ERR_LEB_TOO_LONG);
}

static int rd_u32(reader *r, uint32_t *out)
{
    uint64_t v;
    if (!rd_leb(r, 32, 0, &v))
        return 0;
    *out = (uint32_t)v;
    return 1;
}

static int rd_s32(reader *r, int32_t *out)
{
    uint64_t v;
    if (!rd_leb(r, 32, 1, &v))
        return 0;
    *out = (int32_t)(uint32_t)v;
    return 1;
}

static int rd_s64(reader *r, int64_t *out)
{
    uint64_t v;
    if (!rd_leb(r, 64, 1, &v))
        return 0;
    *out = (int64_t)v;
    return 1;
}

static int rd_fixed(reader *r, unsigned n, uint64_t *out)
{
    if (r->err != WASM_OK)
        return 0;
    if ((size_t)(r->end - r->p) < n)
        return fail(r, WASM_ERR_UNEXPECTED_END);
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    *out = v;
    return 1;
}

/* A count of items each at least min_size bytes long must fit in what is left, which
 * bounds every allocation by the input's size. */
static int rd_count(reader *r, uint32_t *out, size_t min_size)
{
    if (!rd_u32(r, out))
        return 0;
    if ((uint64_t)*out * min_size > (uint64_t)(r->end - r->p))
        return fail(r, WASM_ERR_UNEXPECTED_END);
    return 1;
}

static int utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        unsigned len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            len = 2; cp = c & 0x1F; min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3; cp = c & 0x0F; min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4; cp = c & 0x07; min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

static int rd_name(reader *r, uint32_t *off, uint32_t *len)
{
    uint32_t n;
    if (!rd_u32(r, &n))
        return 0;
    if (n > (size_t)(r->end - r->p))
        return fail(r, WASM_ERR_UNEXPECTED_END);
    if (!utf8_valid(r->p, n))
        return fail(r, WASM_ERR_UTF8);
    *off = (uint32_t)(r->p - r->base);
    *len = n;
    r->p += n;
    return 1;
}

static int is_valtype(uint8_t t)
{
    return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64;
}

static int rd_valtype(reader *r, uint8_t *out)
{
    if (!rd_byte(r, out))
        return 0;
    if (!is_valtype(*out))
        return fail(r, WASM_ERR_VALTYPE);
    return 1;
}

static int rd_limits(reader *r, wasm_limits_decl *l, uint32_t bound, wasm_status too_big)
{
    uint8_t flags;
    if (!rd_byte(r, &flags))
        return 0;
    if (flags > 1)
        return fail(r, WASM_ERR_LIMITS_FLAGS);
    if (!rd_u32(r, &l->min))
        return 0;
    l->has_max = flags;
    l->max = 0;
    if (flags && !rd_u32(r, &l->max))
        return 0;
    if (l->min > bound || (l->has_max && l->max > bound))
        return fail(r, too_big);
    if (l->has_max && l->min > l->max)
        return fail(r, WASM_ERR_LIMITS_MIN_MAX);
    return 1;
}

/* ---- allocation helpers ---- */

typedef struct blk_hdr {
    size_t size;
    size_t pad;
} blk_hdr;

void *wasm__alloc(const wasm_allocator *a, size_t size)
{
    if (size > SIZE_MAX - sizeof(blk_hdr))
        return NULL;
    blk_hdr *h = a->realloc(a->ctx, NULL, 0, size + sizeof(blk_hdr));
    if (!h)
        return NULL;
    h->size = size;
    memset(h + 1, 0, size);
    return h + 1;
}

void *wasm__realloc(const wasm_allocator *a, void *p, size_t size)
{
    if (!p)
        return wasm__alloc(a, size);
    if (size > SIZE_MAX - sizeof(blk_hdr))
        return NULL;
    blk_hdr *h = (blk_hdr *)p - 1;
    size_t old = h->size;
    blk_hdr *n = a->realloc(a->ctx, h, old + sizeof(blk_hdr), size + sizeof(blk_hdr));
    if (!n)
        return NULL;
    n->size = size;
    if (size > old)
        memset((uint8_t *)(n + 1) + old, 0, size - old);
    return n + 1;
}

void wasm__free(const wasm_allocator *a, void *p)
{
    if (!p)
        return;
    blk_hdr *h = (blk_hdr *)p - 1;
    (void)a->realloc(a->ctx, h, h->size + sizeof(blk_hdr), 0);
}

static void *alloc_array(const wasm_allocator *a, size_t n, size_t size)
{
    if (n != 0 && size > SIZE_MAX / 2 / n)
        return NULL;
    return wasm__alloc(a, (n * size) != 0 ? n * size : 1);
}

int wasm__functype_eq(const wasm_functype *a, const wasm_functype *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           (a->nresults == 0 || a->result == b->result) &&
           (a->nparams == 0 || memcmp(a->params, b->params, a->nparams) == 0);
}

void wasm__default_limits(wasm_limits *l)
{
    l->max_memory_pages = 65536;
    l->max_table_size = 1u << 20;
    l->value_stack_cells = 1u << 20;
    l->call_depth = 10000;
    l->max_module_bytes = 64u << 20;
}

/* ---- the function body: validate and compile ---- */

/* Validation keeps the specification's operand stack of types; beside each entry the
 * compiler keeps where the value lives: its own frame slot (canonical: nlocals + height),
 * a local's slot (after local.get, until that local is written) or a constant not yet
 * written anywhere. Deferred entries are written to their canonical slots where control
 * flow joins (block, loop, if, else, end), so every path agrees on where values are. */

enum { K_BLOCK, K_LOOP, K_IF, K_ELSE, K_FUNC };

#define LOC_CONST 0xFFFFFFFEu

typedef struct vctrl {
    uint8_t kind, result, unreachable, dead;
    uint32_t height;
    uint32_t start;    /* loop: its first instruction */
    uint32_t chain;    /* forward branches waiting for the end */
    uint32_t else_fix; /* if: the branch to the else arm */
} vctrl;

typedef struct ventry {
    uint8_t type;
    uint32_t pos, loc;
    uint64_t k;
} ventry;

typedef struct vstate {
    wasm_module *m;
    reader *r;
    uint8_t *vals;
    uint32_t *loc;
    uint64_t *kval;
    uint32_t nvals, cap_vals, max_vals;
    uint32_t lowest_def; /* every entry below is in its canonical slot */
    vctrl *ctrls;
    uint32_t nctrls, cap_ctrls;
    uint8_t *locals;
    uint32_t *refcnt; /* per local: deferred entries reading it */
    uint32_t nlocals;
    uint32_t last_dst; /* the destination word of the instruction just emitted, if any */
    uint32_t last_pos; /* and the stack position its result went to */
} vstate;

static int verr(vstate *v, wasm_status s)
{
    return fail(v->r, s);
}

static int emit(vstate *v, uint32_t w)
{
    wasm_module *m = v->m;
    if (m->code_len == m->code_cap) {
        size_t cap = m->code_cap ? m->code_cap * 2 : 1024;
        if (cap > (SIZE_MAX / 8) || cap > 0x7FFFFFFFu)
            return verr(v, WASM_ERR_LIMIT_MODULE);
        uint32_t *n = wasm__realloc(&m->alloc, m->code, cap * sizeof(uint32_t));
        if (!n)
            return verr(v, WASM_ERR_NOMEM);
        m->code = n;
        m->code_cap = cap;
    }
    m->code[m->code_len++] = w;
    v->last_dst = WASM_NONE;
    return 1;
}

static int emit2(vstate *v, uint32_t a, uint32_t b)
{
    return emit(v, a) && emit(v, b);
}

static int emit3(vstate *v, uint32_t a, uint32_t b, uint32_t c)
{
    return emit(v, a) && emit(v, b) && emit(v, c);
}

static int emit4(vstate *v, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    return emit3(v, a, b, c) && emit(v, d);
}

static uint32_t pc(const vstate *v)
{
    return (uint32_t)v->m->code_len;
}

static uint32_t canon(const vstate *v, uint32_t pos)
{
    return v->nlocals + pos;
}

static int live(const vstate *v)
{
    const vctrl *c = &v->ctrls[v->nctrls - 1];
    return !c->unreachable && !c->dead;
}

static int grow_vals(vstate *v)
{
    uint32_t cap = v->cap_vals ? v->cap_vals * 2 : 64;
    if (cap > (1u << 24))
        return verr(v, WASM_ERR_LIMIT_MODULE);
    uint8_t *t = wasm__realloc(&v->m->alloc, v->vals, cap);
    if (!t)
        return verr(v, WASM_ERR_NOMEM);
    v->vals = t;
    uint32_t *l = wasm__realloc(&v->m->alloc, v->loc, (size_t)cap * sizeof(uint32_t));
    if (!l)
        return verr(v, WASM_ERR_NOMEM);
    v->loc = l;
    uint64_t *k = wasm__realloc(&v->m->alloc, v->kval, (size_t)cap * sizeof(uint64_t));
    if (!k)
        return verr(v, WASM_ERR_NOMEM);
    v->kval = k;
    v->cap_vals = cap;
    return 1;
}

/* Push a value living at loc (a canonical slot, a local, or LOC_CONST with k). */
static int push_at(vstate *v, uint8_t t, uint32_t loc, uint64_t k)
{
    if (v->nvals == v->cap_vals && !grow_vals(v))
        return 0;
    uint32_t pos = v->nvals++;
    v->vals[pos] = t;
    if (loc == WASM_NONE)
        loc = canon(v, pos);
    v->loc[pos] = loc;
    v->kval[pos] = k;
    if (loc != canon(v, pos)) {
        if (loc < v->nlocals)
            v->refcnt[loc]++;
        if (v->lowest_def > pos)
            v->lowest_def = pos;
    }
    if (v->nvals > v->max_vals)
        v->max_vals = v->nvals;
    return 1;
}

static int push(vstate *v, uint8_t t)
{
    return push_at(v, t, WASM_NONE, 0);
}

/* Push a computed result and remember the instruction that wrote it (dst_word), so a
 * following local.set can make that instruction write the local directly. */
static int push_result(vstate *v, uint8_t t, uint32_t dst_word)
{
    uint32_t pos = v->nvals;
    if (!push(v, t))
        return 0;
    v->last_dst = dst_word;
    v->last_pos = pos;
    return 1;
}

static void unref(vstate *v, uint32_t pos)
{
    uint32_t l = v->loc[pos];
    if (l < v->nlocals && l != canon(v, pos))
        v->refcnt[l]--;
}

static int pop(vstate *v, uint8_t expect, ventry *e)
{
    vctrl *c = &v->ctrls[v->nctrls - 1];
    uint8_t t;
    uint32_t pos;
    if (v->nvals == c->height) {
        if (!c->unreachable)
            return verr(v, WASM_ERR_TYPE_MISMATCH);
        t = T_UNKNOWN;
        pos = v->nvals;
        if (e) {
            e->loc = canon(v, pos);
            e->k = 0;
        }
    } else {
        pos = --v->nvals;
        t = v->vals[pos];
        unref(v, pos);
        if (e) {
            e->loc = v->loc[pos];
            e->k = v->kval[pos];
        }
        if (v->lowest_def > v->nvals)
            v->lowest_def = v->nvals;
    }
    if (t != T_UNKNOWN && expect != T_UNKNOWN && t != expect)
        return verr(v, WASM_ERR_TYPE_MISMATCH);
    if (e) {
        e->type = t == T_UNKNOWN ? expect : t;
        e->pos = pos;
    }
    return 1;
}

static void truncate_vals(vstate *v, uint32_t n)
{
    while (v->nvals > n)
        unref(v, --v->nvals);
    if (v->lowest_def > n)
        v->lowest_def = n;
}

static int is64(uint8_t t)
{
    return t == WASM_I64 || t == WASM_F64;
}

/* Write a value (its location and constant) into slot dst. */
static int move_to(vstate *v, uint8_t type, uint32_t loc, uint64_t k, uint32_t dst)
{
    if (loc == dst)
        return 1;
    if (loc == LOC_CONST) {
        if (is64(type))
            return emit4(v, WOP_CONST64, dst, (uint32_t)k, (uint32_t)(k >> 32));
        return emit3(v, WOP_CONST32, dst, (uint32_t)k);
    }
    return emit3(v, WOP_COPY, dst, loc);
}

/* The slot a popped operand can be read from; a constant gets written to its own
 * canonical slot first. */
static int operand(vstate *v, const ventry *e, uint32_t *slot)
{
    if (e->loc == LOC_CONST) {
        *slot = canon(v, e->pos);
        return move_to(v, e->type, e->loc, e->k, *slot);
    }
    *slot = e->loc;
    return 1;
}

static int materialize(vstate *v, uint32_t pos)
{
    uint32_t c = canon(v, pos);
    if (v->loc[pos] == c)
        return 1;
    if (!move_to(v, v->vals[pos] ? v->vals[pos] : WASM_I64, v->loc[pos], v->kval[pos], c))
        return 0;
    unref(v, pos);
    v->loc[pos] = c;
    return 1;
}

static int materialize_all(vstate *v)
{
    for (uint32_t i = v->lowest_def; i < v->nvals; i++)
        if (!materialize(v, i))
            return 0;
    v->lowest_def = v->nvals;
    return 1;
}

static int push_ctrl(vstate *v, uint8_t kind, uint8_t result)
{
    if (v->nctrls == v->cap_ctrls) {
        uint32_t cap = v->cap_ctrls ? v->cap_ctrls * 2 : 16;
        if (cap > (1u << 22))
            return verr(v, WASM_ERR_LIMIT_MODULE);
        vctrl *n = wasm__realloc(&v->m->alloc, v->ctrls, cap * sizeof(vctrl));
        if (!n)
            return verr(v, WASM_ERR_NOMEM);
        v->ctrls = n;
        v->cap_ctrls = cap;
    }
    vctrl *c = &v->ctrls[v->nctrls];
    int dead = v->nctrls > 0 && !live(v);
    c->kind = kind;
    c->result = result;
    c->unreachable = 0;
    c->dead = (uint8_t)dead;
    c->height = v->nvals;
    c->start = pc(v);
    c->chain = WASM_NONE;
    c->else_fix = WASM_NONE;
    v->nctrls++;
    v->last_dst = WASM_NONE;
    return 1;
}

static void set_unreachable(vstate *v)
{
    vctrl *c = &v->ctrls[v->nctrls - 1];
    truncate_vals(v, c->height);
    c->unreachable = 1;
}

/* Branch targets are stored relative to the word that holds them. */
static void patch_chain(vstate *v, uint32_t pos, uint32_t target)
{
    uint32_t *code = v->m->code;
    while (pos != WASM_NONE) {
        uint32_t next = code[pos];
        code[pos] = target - pos;
        pos = next;
    }
    v->last_dst = WASM_NONE;
}

static int emit_target(vstate *v, vctrl *t)
{
    uint32_t here = pc(v);
    if (t->kind == K_LOOP)
        return emit(v, t->start - here);
    if (!emit(v, t->chain))
        return 0;
    t->chain = here;
    return 1;
}

static uint32_t label_arity(const vctrl *t)
{
    return t->kind == K_LOOP ? 0 : (t->result != 0);
}

static int get_label(vstate *v, uint32_t depth, vctrl **out)
{
    if (depth >= v->nctrls)
        return verr(v, WASM_ERR_UNKNOWN_LABEL);
    *out = &v->ctrls[v->nctrls - 1 - depth];
    return 1;
}

static int pop_label(vstate *v, vctrl *t, ventry *e)
{
    if (label_arity(t))
        return pop(v, t->result, e);
    return 1;
}

/* Return with the value e (if the function has a result). */
static int emit_return(vstate *v, const ventry *e, int has_result)
{
    if (!has_result)
        return emit(v, WOP_RETURN0);
    if (e->loc == LOC_CONST)
        return move_to(v, e->type, e->loc, e->k, 0) && emit(v, WOP_RETURN0);
    return emit2(v, WOP_RETURN1, e->loc);
}

static int end_frame_check(vstate *v)
{
    vctrl *c = &v->ctrls[v->nctrls - 1];
    if (c->result && !pop(v, c->result, NULL))
        return 0;
    if (v->nvals != c->height)
        return verr(v, WASM_ERR_TYPE_MISMATCH);
    return 1;
}

static int numeric_sig(uint8_t op, uint8_t *a, uint8_t *b, uint8_t *res)
{
    const uint8_t I = WASM_I32, L = WASM_I64, F = WASM_F32, D = WASM_F64;
    *b = 0;
    if (op == 0x45) { *a = I; *res = I; }
    else if (op <= 0x4F) { *a = *b = I; *res = I; }
    else if (op == 0x50) { *a = L; *res = I; }
    else if (op <= 0x5A) { *a = *b = L; *res = I; }
    else if (op <= 0x60) { *a = *b = F; *res = I; }
    else if (op <= 0x66) { *a = *b = D; *res = I; }
    else if (op <= 0x69) { *a = I; *res = I; }
    else if (op <= 0x78) { *a = *b = I; *res = I; }
    else if (op <= 0x7B) { *a = L; *res = L; }
    else if (op <= 0x8A) { *a = *b = L; *res = L; }
    else if (op <= 0x91) { *a = F; *res = F; }
    else if (op <= 0x98) { *a = *b = F; *res = F; }
    else if (op <= 0x9F) { *a = D; *res = D; }
    else if (op <= 0xA6) { *a = *b = D; *res = D; }
    else {
        static const uint8_t conv[][2] = {
            /* A7 */ {L, I}, {F, I}, {F, I}, {D, I}, {D, I}, {I, L}, {I, L}, {F, L}, {F, L},
            /* B0 */ {D, L}, {D, L}, {I, F}, {I, F}, {L, F}, {L, F}, {D, F}, {I, D}, {I, D},
            /* B9 */ {L, D}, {L, D}, {F, D}, {F, I}, {D, L}, {I, F}, {L, D},
        };
        if (op < 0xA7 || op > 0xBF)
            return 0;
        *a = conv[op - 0xA7][0];
        *res = conv[op - 0xA7][1];
    }
    return 1;
}

typedef struct memop {
    uint8_t op, type, align, store;
} memop;

static const memop memops[] = {
    {WOP_I32_LOAD, WASM_I32, 2, 0},    {WOP_I64_LOAD, WASM_I64, 3, 0},
    {WOP_I32_LOAD, WASM_F32, 2, 0},    {WOP_I64_LOAD, WASM_F64, 3, 0},
    {WOP_I32_LOAD8_S, WASM_I32, 0, 0}, {WOP_I32_LOAD8_U, WASM_I32, 0, 0},
    {WOP_I32_LOAD16_S, WASM_I32, 1, 0}, {WOP_I32_LOAD16_U, WASM_I32, 1, 0},
    {WOP_I64_LOAD8_S, WASM_I64, 0, 0}, {WOP_I64_LOAD8_U, WASM_I64, 0, 0},
    {WOP_I64_LOAD16_S, WASM_I64, 1, 0}, {WOP_I64_LOAD16_U, WASM_I64, 1, 0},
    {WOP_I64_LOAD32_S, WASM_I64, 2, 0}, {WOP_I64_LOAD32_U, WASM_I64, 2, 0},
    {WOP_I32_STORE, WASM_I32, 2, 1},   {WOP_I64_STORE, WASM_I64, 3, 1},
    {WOP_I32_STORE, WASM_F32, 2, 1},   {WOP_I64_STORE, WASM_F64, 3, 1},
    {WOP_I32_STORE8, WASM_I32, 0, 1},  {WOP_I32_STORE16, WASM_I32, 1, 1},
    {WOP_I64_STORE8, WASM_I64, 0, 1},  {WOP_I64_STORE16, WASM_I64, 1, 1},
    {WOP_I64_STORE32, WASM_I64, 2, 1},
};

static int valid_func_type(const wasm_module *m, uint32_t f, const wasm_functype **out)
{
    if (f >= m->nfuncs)
        return 0;
    *out = &m->types[m->func_types[f]];
    return 1;
}

static int global_type(const wasm_module *m, uint32_t g, uint8_t *type, uint8_t *mut)
{
    if (g >= m->nglobals)
        return 0;
    *type = m->globals[g].type;
    *mut = m->globals[g].mut;
    return 1;
}

/* Integer binary operations that have a variant with an inline constant operand. */
static uint32_t imm_variant(uint8_t op)
{
#define IMM_CASE(name, expr) case WOP_##name: return WOP_##name##_I;
    switch (WOP_I32_EQZ + (op - 0x45)) {
    WASM_I32_IMM_OPS(IMM_CASE)
    WASM_I64_IMM_OPS(IMM_CASE)
    WASM_I64_CMP_IMM_OPS(IMM_CASE)
    WASM_F32_IMM_OPS(IMM_CASE)
    WASM_F64_IMM_OPS(IMM_CASE)
    WASM_F32_CMP_OPS(IMM_CASE)
    WASM_F64_CMP_OPS(IMM_CASE)
    default: return 0;
    }
#undef IMM_CASE
}

/* Write a value into local l (local.set / local.tee). */
static int write_local(vstate *v, uint32_t l, const ventry *e)
{
    if (e->loc == l)
        return 1;
    int retarget = v->last_dst != WASM_NONE && v->last_pos == e->pos &&
                   e->loc == canon(v, e->pos) && v->refcnt[l] == 0;
    if (v->refcnt[l] > 0 && !materialize_all(v))
        return 0;
    if (retarget) {
        v->m->code[v->last_dst] = l;
        v->last_dst = WASM_NONE;
        return 1;
    }
    return move_to(v, e->type, e->loc, e->k, l);
}

/* If the branch condition was computed by the instruction just emitted and that is an
 * integer comparison (or eqz), remove it and give the compare-and-branch instruction that
 * replaces it, with its operand words (negated for `if`, which branches when false). */
typedef struct fused_cmp {
    uint32_t op, nwords;
    uint32_t words[3];
} fused_cmp;

static int take_compare(vstate *v, const ventry *cond, int negate, fused_cmp *f)
{
    static const uint8_t neg[10] = {1, 0, 8, 9, 6, 7, 4, 5, 2, 3};
    if (v->last_dst == WASM_NONE || v->last_pos != cond->pos || cond->loc != canon(v, cond->pos))
        return 0;
    uint32_t start = v->last_dst - 1;
    const uint32_t *c = v->m->code + start;
    uint32_t op = c[0], base, cmp, imm, n;
    if (op == WOP_I32_EQZ || op == WOP_I64_EQZ) {
        base = op == WOP_I32_EQZ ? WOP_BR_I32_EQ : WOP_BR_I64_EQ;
        cmp = 0;
        imm = 1;
        f->words[0] = c[2];
        f->words[1] = 0;
        f->words[2] = 0;
        n = op == WOP_I32_EQZ ? 2 : 3;
    } else if (op >= WOP_I32_EQ && op <= WOP_I32_GE_U) {
        base = WOP_BR_I32_EQ; cmp = op - WOP_I32_EQ; imm = 0; n = 2;
    } else if (op >= WOP_I32_EQ_I && op <= WOP_I32_GE_U_I) {
        base = WOP_BR_I32_EQ; cmp = op - WOP_I32_EQ_I; imm = 1; n = 2;
    } else if (op >= WOP_I64_EQ && op <= WOP_I64_GE_U) {
        base = WOP_BR_I64_EQ; cmp = op - WOP_I64_EQ; imm = 0; n = 2;
    } else if (op >= WOP_I64_EQ_I && op <= WOP_I64_GE_U_I) {
        base = WOP_BR_I64_EQ; cmp = op - WOP_I64_EQ_I; imm = 1; n = 3;
    } else if (!negate && op >= WOP_F32_EQ && op <= WOP_F32_GE) {
        /* floating-point comparisons are false for NaN, so only br_if, never negated */
        base = WOP_BR_F32_EQ; cmp = op - WOP_F32_EQ; imm = 0; n = 2;
    } else if (!negate && op >= WOP_F32_EQ_I && op <= WOP_F32_GE_I) {
        base = WOP_BR_F32_EQ; cmp = op - WOP_F32_EQ_I; imm = 1; n = 2;
    } else if (!negate && op >= WOP_F64_EQ && op <= WOP_F64_GE) {
        base = WOP_BR_F64_EQ; cmp = op - WOP_F64_EQ; imm = 0; n = 2;
    } else if (!negate && op >= WOP_F64_EQ_I && op <= WOP_F64_GE_I) {
        base = WOP_BR_F64_EQ; cmp = op - WOP_F64_EQ_I; imm = 1; n = 3;
    } else {
        return 0;
    }
    if (op != WOP_I32_EQZ && op != WOP_I64_EQZ)
        for (uint32_t i = 0; i < n; i++)
            f->words[i] = c[2 + i];
    if (negate)
        cmp = neg[cmp];
    f->op = base + 2 * cmp + imm;
    f->nwords = n;
    v->m->code_len = start;
    v->last_dst = WASM_NONE;
    return 1;
}

static int emit_fused(vstate *v, const fused_cmp *f)
{
    if (!emit(v, f->op))
        return 0;
    for (uint32_t i = 0; i < f->nwords; i++)
        if (!emit(v, f->words[i]))
            return 0;
    return 1;
}

static int compile_instr(vstate *v, uint8_t op, int *done)
{
    reader *r = v->r;
    wasm_module *m = v->m;
    uint32_t idx = 0, s1 = 0, s2 = 0;
    ventry e1 = {0, 0, 0, 0}, e2 = {0, 0, 0, 0}, e3 = {0, 0, 0, 0};
    vctrl *t;

    switch (op) {
    case 0x00:
        if (live(v) && !emit(v, WOP_UNREACHABLE))
            return 0;
        set_unreachable(v);
        return 1;
    case 0x01:
        return 1;
    case 0x02:
    case 0x03:
    case 0x04: {
        uint8_t bt;
        if (!rd_byte(r, &bt))
            return 0;
        if (bt == 0x40)
            bt = 0;
        else if (!is_valtype(bt))
            return verr(v, WASM_ERR_BLOCKTYPE);
        uint32_t fix = WASM_NONE;
        if (op == 0x04) {
            if (!pop(v, WASM_I32, &e1))
                return 0;
            if (live(v)) {
                fused_cmp fc;
                if (take_compare(v, &e1, 1, &fc)) {
                    if (!materialize_all(v) || !emit_fused(v, &fc))
                        return 0;
                } else if (!operand(v, &e1, &s1) || !materialize_all(v) ||
                           !emit2(v, WOP_BR_UNLESS, s1)) {
                    return 0;
                }
                fix = pc(v);
                if (!emit(v, WASM_NONE))
                    return 0;
            }
        } else if (live(v) && !materialize_all(v)) {
            return 0;
        }
        if (!push_ctrl(v, op == 0x02 ? K_BLOCK : op == 0x03 ? K_LOOP : K_IF, bt))
            return 0;
        v->ctrls[v->nctrls - 1].else_fix = fix;
        return 1;
    }
    case 0x05: {
        vctrl *c = &v->ctrls[v->nctrls - 1];
        if (c->kind != K_IF)
            return verr(v, WASM_ERR_ILLEGAL_OPCODE);
        if (live(v) && !materialize_all(v))
            return 0;
        if (!end_frame_check(v))
            return 0;
        if (live(v)) {
            if (!emit(v, WOP_BR) || !emit_target(v, c))
                return 0;
        }
        if (c->else_fix != WASM_NONE)
            patch_chain(v, c->else_fix, pc(v));
        c->else_fix = WASM_NONE;
        c->kind = K_ELSE;
        c->unreachable = 0;
        truncate_vals(v, c->height);
        v->last_dst = WASM_NONE;
        return 1;
    }
    case 0x0B: {
        vctrl *c = &v->ctrls[v->nctrls - 1];
        if (c->kind == K_FUNC) {
            int emitting = live(v);
            if (c->result && v->nvals > c->height) {
                uint32_t p = v->nvals - 1;
                e1.type = v->vals[p];
                e1.pos = p;
                e1.loc = v->loc[p];
                e1.k = v->kval[p];
            }
            if (!end_frame_check(v))
                return 0;
            if (emitting && !emit_return(v, &e1, c->result != 0))
                return 0;
            v->nctrls--;
            *done = 1;
            return 1;
        }
        if (live(v) && !materialize_all(v))
            return 0;
        if (!end_frame_check(v))
            return 0;
        if (c->kind == K_IF && c->result)
            return verr(v, WASM_ERR_TYPE_MISMATCH);
        if (c->else_fix != WASM_NONE)
            patch_chain(v, c->else_fix, pc(v));
        patch_chain(v, c->chain, pc(v));
        uint8_t res = c->result;
        uint32_t h = c->height;
        v->nctrls--;
        truncate_vals(v, h);
        v->last_dst = WASM_NONE;
        return res ? push(v, res) : 1;
    }
    case 0x0C:
        if (!rd_u32(r, &idx) || !get_label(v, idx, &t))
            return 0;
        if (!pop_label(v, t, &e1))
            return 0;
        if (live(v)) {
            if (t == &v->ctrls[0]) {
                if (!emit_return(v, &e1, label_arity(t)))
                    return 0;
            } else {
                if (label_arity(t) && !move_to(v, e1.type, e1.loc, e1.k, canon(v, t->height)))
                    return 0;
                if (!emit(v, t->kind == K_LOOP ? WOP_BR_B : WOP_BR) || !emit_target(v, t))
                    return 0;
            }
        }
        set_unreachable(v);
        return 1;
    case 0x0D: {
        if (!rd_u32(r, &idx) || !get_label(v, idx, &t))
            return 0;
        if (!pop(v, WASM_I32, &e2))
            return 0;
        uint32_t arity = label_arity(t);
        if (!pop_label(v, t, &e1))
            return 0;
        if (arity && !push_at(v, e1.type, e1.loc == canon(v, e1.pos) ? WASM_NONE : e1.loc, e1.k))
            return 0;
        if (!live(v))
            return 1;
        if (!arity && t != &v->ctrls[0]) {
            fused_cmp fc;
            if (take_compare(v, &e2, 0, &fc))
                return emit_fused(v, &fc) && emit_target(v, t);
        }
        if (!operand(v, &e2, &s2))
            return 0;
        if (arity && !materialize(v, v->nvals - 1))
            return 0;
        uint32_t src = arity ? canon(v, v->nvals - 1) : 0;
        if (t == &v->ctrls[0]) {
            /* to the function label: branch over a return */
            if (!emit2(v, WOP_BR_UNLESS, s2))
                return 0;
            uint32_t fix = pc(v);
            if (!emit(v, 0))
                return 0;
            if (!emit(v, arity ? WOP_RETURN1 : WOP_RETURN0) || (arity && !emit(v, src)))
                return 0;
            m->code[fix] = pc(v) - fix;
            return 1;
        }
        uint32_t dst = canon(v, t->height);
        if (arity && src != dst) {
            if (!emit2(v, WOP_BR_IF_COPY, s2) || !emit_target(v, t) || !emit2(v, src, dst))
                return 0;
            return 1;
        }
        return emit2(v, t->kind == K_LOOP ? WOP_BR_IF_B : WOP_BR_IF, s2) && emit_target(v, t);
    }
    case 0x0E: {
        uint32_t n, def;
        if (!rd_count(r, &n, 1))
            return 0;
        const uint8_t *labels = r->p;
        for (uint32_t i = 0; i < n; i++) {
            if (!rd_u32(r, &idx) || !get_label(v, idx, &t))
                return 0;
        }
        if (!rd_u32(r, &def) || !get_label(v, def, &t))
            return 0;
        if (!pop(v, WASM_I32, &e2))
            return 0;
        uint32_t arity = label_arity(t);
        uint8_t lt = arity ? t->result : 0;
        /* every label must take what the default takes */
        reader lr = {r->base, labels, r->end, WASM_OK};
        for (uint32_t i = 0; i < n; i++) {
            vctrl *li = t;
            /* the first pass read and checked these labels: a failure here is a bug,
             * reported as the reader's error rather than ignored */
            if (!rd_u32(&lr, &idx))
                return verr(v, lr.err);
            if (!get_label(v, idx, &li))
                return 0;
            uint32_t la = label_arity(li);
            if (la != arity || (la && li->result != lt))
                return verr(v, WASM_ERR_TYPE_MISMATCH);
        }
        if (arity && !pop(v, lt, &e1))
            return 0;
        if (live(v)) {
            uint32_t src = WASM_NONE;
            if (!operand(v, &e2, &s2))
                return 0;
            if (arity && !operand(v, &e1, &src))
                return 0;
            if (!emit4(v, WOP_BR_TABLE, s2, n, src))
                return 0;
            lr.p = labels;
            for (uint32_t i = 0; i <= n; i++) {
                vctrl *li = t;
                if (i < n) {
                    if (!rd_u32(&lr, &idx))
                        return verr(v, lr.err);
                    if (!get_label(v, idx, &li))
                        return 0;
                }
                if (li == &v->ctrls[0]) {
                    /* the function label: a target slot meaning "return" */
                    if (!emit2(v, WASM_NONE, 0))
                        return 0;
                    continue;
                }
                if (!emit_target(v, li) || !emit(v, canon(v, li->height)))
                    return 0;
            }
        }
        set_unreachable(v);
        return 1;
    }
    case 0x0F: {
        vctrl *f = &v->ctrls[0];
        if (f->result && !pop(v, f->result, &e1))
            return 0;
        if (live(v) && !emit_return(v, &e1, f->result != 0))
            return 0;
        set_unreachable(v);
        return 1;
    }
    case 0x10:
    case 0x11: {
        const wasm_functype *ft;
        if (!rd_u32(r, &idx))
            return 0;
        if (op == 0x10) {
            if (!valid_func_type(m, idx, &ft))
                return verr(v, WASM_ERR_UNKNOWN_FUNC);
        } else {
            uint8_t zero;
            if (!rd_byte(r, &zero))
                return 0;
            if (idx >= m->ntypes)
                return verr(v, WASM_ERR_UNKNOWN_TYPE);
            if (zero != 0)
                return verr(v, WASM_ERR_ZERO_BYTE);
            if (!m->has_table)
                return verr(v, WASM_ERR_UNKNOWN_TABLE);
            ft = &m->types[idx];
            if (!pop(v, WASM_I32, &e2))
                return 0;
        }
        for (uint32_t i = ft->nparams; i-- > 0;)
            if (!pop(v, ft->params[i], NULL))
                return 0;
        if (live(v)) {
            /* the arguments go to consecutive canonical slots: the callee's frame */
            uint32_t base = v->nvals;
            for (uint32_t i = 0; i < ft->nparams; i++) {
                uint32_t p = base + i;
                if (!move_to(v, v->vals[p], v->loc[p], v->kval[p], canon(v, p)))
                    return 0;
            }
            if (op == 0x10) {
                if (!emit3(v, WOP_CALL, idx, canon(v, base)))
                    return 0;
            } else {
                if (!operand(v, &e2, &s2) || !emit4(v, WOP_CALL_INDIRECT, idx, canon(v, base), s2))
                    return 0;
            }
        }
        return ft->nresults ? push(v, ft->result) : 1;
    }
    case 0x1A:
        return pop(v, T_UNKNOWN, NULL);
    case 0x1B:
        if (!pop(v, WASM_I32, &e3) || !pop(v, T_UNKNOWN, &e2) || !pop(v, e2.type, &e1))
            return 0;
        if (live(v)) {
            uint32_t s3, dst = canon(v, v->nvals);
            if (!operand(v, &e1, &s1) || !operand(v, &e2, &s2) || !operand(v, &e3, &s3) ||
                !emit(v, WOP_SELECT) || !emit4(v, dst, s1, s2, s3))
                return 0;
            return push_result(v, e1.type != T_UNKNOWN ? e1.type : e2.type, pc(v) - 4);
        }
        return push(v, e1.type != T_UNKNOWN ? e1.type : e2.type);
    case 0x20:
    case 0x21:
    case 0x22: {
        if (!rd_u32(r, &idx))
            return 0;
        if (idx >= v->nlocals)
            return verr(v, WASM_ERR_UNKNOWN_LOCAL);
        uint8_t lt = v->locals[idx];
        if (op == 0x20)
            return push_at(v, lt, idx, 0);
        if (!pop(v, lt, &e1))
            return 0;
        if (live(v) && !write_local(v, idx, &e1))
            return 0;
        return op == 0x22 ? push_at(v, lt, idx, 0) : 1;
    }
    case 0x23:
    case 0x24: {
        uint8_t gt, mut;
        if (!rd_u32(r, &idx))
            return 0;
        if (!global_type(m, idx, &gt, &mut))
            return verr(v, WASM_ERR_UNKNOWN_GLOBAL);
        if (op == 0x24) {
            if (!mut)
                return verr(v, WASM_ERR_IMMUTABLE_GLOBAL);
            if (!pop(v, gt, &e1))
                return 0;
            if (live(v) && (!operand(v, &e1, &s1) || !emit3(v, WOP_GLOBAL_SET, s1, idx)))
                return 0;
            return 1;
        }
        if (live(v)) {
            if (!emit3(v, WOP_GLOBAL_GET, canon(v, v->nvals), idx))
                return 0;
            return push_result(v, gt, pc(v) - 2);
        }
        return push(v, gt);
    }
    case 0x3F:
    case 0x40: {
        uint8_t zero;
        if (!rd_byte(r, &zero))
            return 0;
        if (zero != 0)
            return verr(v, WASM_ERR_ZERO_BYTE);
        if (!m->has_memory)
            return verr(v, WASM_ERR_UNKNOWN_MEMORY);
        if (op == 0x40 && !pop(v, WASM_I32, &e1))
            return 0;
        if (live(v)) {
            uint32_t dst = canon(v, v->nvals);
            if (op == 0x3F ? !emit2(v, WOP_MEMORY_SIZE, dst)
                           : (!operand(v, &e1, &s1) || !emit3(v, WOP_MEMORY_GROW, dst, s1)))
                return 0;
        }
        return push(v, WASM_I32);
    }
    case 0x41: {
        int32_t c;
        if (!rd_s32(r, &c))
            return 0;
        return push_at(v, WASM_I32, LOC_CONST, (uint32_t)c);
    }
    case 0x42: {
        int64_t c;
        if (!rd_s64(r, &c))
            return 0;
        return push_at(v, WASM_I64, LOC_CONST, (uint64_t)c);
    }
    case 0x43: {
        uint64_t c;
        if (!rd_fixed(r, 4, &c))
            return 0;
        return push_at(v, WASM_F32, LOC_CONST, c);
    }
    case 0x44: {
        uint64_t c;
        if (!rd_fixed(r, 8, &c))
            return 0;
        return push_at(v, WASM_F64, LOC_CONST, c);
    }
    default:
        break;
    }
    if (op >= 0x28 && op <= 0x3E) {
        const memop *mo = &memops[op - 0x28];
        uint32_t align, offset;
        if (!rd_u32(r, &align) || !rd_u32(r, &offset))
            return 0;
        if (!m->has_memory)
            return verr(v, WASM_ERR_UNKNOWN_MEMORY);
        if (align > mo->align)
            return verr(v, WASM_ERR_ALIGNMENT);
        if (mo->store && !pop(v, mo->type, &e2))
            return 0;
        if (!pop(v, WASM_I32, &e1))
            return 0;
        if (!live(v))
            return mo->store ? 1 : push(v, mo->type);
        if (!operand(v, &e1, &s1))
            return 0;
        if (mo->store)
            return operand(v, &e2, &s2) && emit4(v, mo->op, s1, s2, offset);
        if (!emit4(v, mo->op, canon(v, v->nvals), s1, offset))
            return 0;
        return push_result(v, mo->type, pc(v) - 3);
    }
    if (op >= 0x45 && op <= 0xBF) {
        uint8_t a, b, res;
        (void)numeric_sig(op, &a, &b, &res);
        if (b && !pop(v, b, &e2))
            return 0;
        if (!pop(v, a, &e1))
            return 0;
        if (op >= 0xBC) /* reinterpretations: the bits stay where they are */
            return push_at(v, res, e1.loc == canon(v, e1.pos) ? WASM_NONE : e1.loc, e1.k);
        if (!live(v))
            return push(v, res);
        uint32_t dst = canon(v, v->nvals);
        uint32_t iop = (uint32_t)(WOP_I32_EQZ + (op - 0x45));
        uint32_t imm = b ? imm_variant(op) : 0;
        if (imm && e2.loc == LOC_CONST && e1.loc != LOC_CONST) {
            if (!emit3(v, imm, dst, e1.loc) || !emit(v, (uint32_t)e2.k))
                return 0;
            if (is64(b) && !emit(v, (uint32_t)(e2.k >> 32)))
                return 0;
            return push_result(v, res, pc(v) - (is64(b) ? 4 : 3));
        }
        if (!operand(v, &e1, &s1))
            return 0;
        if (b) {
            if (!operand(v, &e2, &s2) || !emit4(v, iop, dst, s1, s2))
                return 0;
            return push_result(v, res, pc(v) - 3);
        }
        if (!emit3(v, iop, dst, s1))
            return 0;
        return push_result(v, res, pc(v) - 2);
    }
    return verr(v, WASM_ERR_ILLEGAL_OPCODE);
}

/* The binary format is checked over the whole body before validation starts, so a body
 * that is both malformed and invalid is reported as malformed, as the specification's
 * decode-then-validate order has it. */
static int scan_body(reader *rp)
{
    uint64_t depth = 0;
    for (;;) {
        uint8_t op, b;
        uint32_t u, n;
        int32_t s32;
        int64_t s64;
        uint64_t fx;
        if (!rd_byte(rp, &op))
            return 0;
        switch (op) {
        case 0x02: case 0x03: case 0x04:
            if (!rd_byte(rp, &b))
                return 0;
            if (b != 0x40 && !is_valtype(b))
                return fail(rp, WASM_ERR_BLOCKTYPE);
            depth++;
            break;
        case 0x0B:
            if (depth == 0)
                return rp->p == rp->end ? 1 : fail(rp, WASM_ERR_BODY_END);
            depth--;
            break;
        case 0x00: case 0x01: case 0x05: case 0x0F: case 0x1A: case 0x1B:
            break;
        case 0x0C: case 0x0D: case 0x10: case 0x20: case 0x21: case 0x22: case 0x23: case 0x24:
            if (!rd_u32(rp, &u))
                return 0;
            break;
        case 0x0E:
            if (!rd_count(rp, &n, 1))
                return 0;
            for (uint32_t i = 0; i <= n; i++)
                if (!rd_u32(rp, &u))
                    return 0;
            break;
        case 0x11:
            if (!rd_u32(rp, &u) || !rd_byte(rp, &b))
                return 0;
            if (b != 0)
                return fail(rp, WASM_ERR_ZERO_BYTE);
            break;
        case 0x3F: case 0x40:
            if (!rd_byte(rp, &b))
                return 0;
            if (b != 0)
                return fail(rp, WASM_ERR_ZERO_BYTE);
            break;
        case 0x41:
            if (!rd_s32(rp, &s32))
                return 0;
            break;
        case 0x42:
            if (!rd_s64(rp, &s64))
                return 0;
            break;
        case 0x43:
            if (!rd_fixed(rp, 4, &fx))
                return 0;
            break;
        case 0x44:
            if (!rd_fixed(rp, 8, &fx))
                return 0;
            break;
        default:
            if (op >= 0x28 && op <= 0x3E) {
                if (!rd_u32(rp, &u) || !rd_u32(rp, &n))
                    return 0;
                break;
            }
            if (op >= 0x45 && op <= 0xBF)
                break;
            return fail(rp, WASM_ERR_ILLEGAL_OPCODE);
        }
    }
}

static int compile_body(wasm_module *m, reader *r, uint32_t fidx, wasm_code_info *ci,
                        uint32_t max_locals)
{
    const wasm_functype *ft = &m->types[m->func_types[fidx]];
    vstate v;
    memset(&v, 0, sizeof(v));
    v.m = m;
    v.r = r;
    int ok = 0;

    /* locals: first the parameters, then the declared groups */
    uint32_t ngroups;
    const uint8_t *groups;
    uint64_t total = ft->nparams;
    if (!rd_count(r, &ngroups, 2))
        return 0;
    groups = r->p;
    for (uint32_t i = 0; i < ngroups; i++) {
        uint32_t n;
        uint8_t t;
        if (!rd_u32(r, &n) || !rd_valtype(r, &t))
            return 0;
        total += n;
        if (total > max_locals)
            return fail(r, WASM_ERR_TOO_MANY_LOCALS);
    }
    v.nlocals = (uint32_t)total;
    v.locals = alloc_array(&m->alloc, total, 1);
    v.refcnt = alloc_array(&m->alloc, total, sizeof(uint32_t));
    v.last_dst = WASM_NONE;
    if (!v.locals || !v.refcnt) {
        fail(r, WASM_ERR_NOMEM);
        goto out;
    }
    if (ft->nparams)
        memcpy(v.locals, ft->params, ft->nparams);
    {
        reader g = {r->base, groups, r->end, WASM_OK};
        uint32_t k = ft->nparams;
        for (uint32_t i = 0; i < ngroups; i++) {
            uint32_t n = 0;
            uint8_t t = 0;
            (void)rd_u32(&g, &n);
            (void)rd_byte(&g, &t);
            memset(v.locals + k, t, n);
            k += n;
        }
    }

    ci->entry = pc(&v);
    ci->nlocals = v.nlocals;
    if (!push_ctrl(&v, K_FUNC, ft->nresults ? ft->result : 0))
        goto out;
    int done = 0;
    while (!done) {
        uint8_t op;
        if (!rd_byte(r, &op))
            goto out;
        if (!compile_instr(&v, op, &done))
            goto out;
    }
    if (r->p != r->end) {
        fail(r, WASM_ERR_BODY_END);
        goto out;
    }
    ci->frame_cells = v.nlocals + v.max_vals + 2;
    ok = 1;
out:
    wasm__free(&m->alloc, v.locals);
    wasm__free(&m->alloc, v.refcnt);
    wasm__free(&m->alloc, v.vals);
    wasm__free(&m->alloc, v.loc);
    wasm__free(&m->alloc, v.kval);
    wasm__free(&m->alloc, v.ctrls);
    return ok;
}

/* ---- module sections ---- */

static int rd_const_expr(reader *r, const wasm_module *m, uint8_t type, wasm_const_expr *e)
{
    uint8_t op, t;
    memset(e, 0, sizeof(*e));
    if (!rd_byte(r, &op))
        return 0;
    switch (op) {
    case 0x41: {
        int32_t c;
        if (!rd_s32(r, &c))
            return 0;
        e->bits = (uint32_t)c;
        t = WASM_I32;
        break;
    }
    case 0x42: {
        int64_t c;
        if (!rd_s64(r, &c))
            return 0;
        e->bits = (uint64_t)c;
        t = WASM_I64;
        break;
    }
    case 0x43:
        if (!rd_fixed(r, 4, &e->bits))
            return 0;
        t = WASM_F32;
        break;
    case 0x44:
        if (!rd_fixed(r, 8, &e->bits))
            return 0;
        t = WASM_F64;
        break;
    case 0x23: {
        uint32_t g;
        if (!rd_u32(r, &g))
            return 0;
        /* only imported globals exist while constant expressions are evaluated */
        if (g >= m->nimported_globals)
            return fail(r, WASM_ERR_UNKNOWN_GLOBAL);
        if (m->globals[g].mut)
            return fail(r, WASM_ERR_CONST_EXPR);
        e->is_global = 1;
        e->global = g;
        t = m->globals[g].type;
        break;
    }
    case 0x0B:
        return fail(r, WASM_ERR_TYPE_MISMATCH);
    default:
        return fail(r, WASM_ERR_CONST_EXPR);
    }
    if (!rd_byte(r, &op))
        return 0;
    if (op != 0x0B) {
        if (op >= 0x41 && op <= 0x44)
            return fail(r, WASM_ERR_TYPE_MISMATCH);
        if (op == 0x23)
            return fail(r, WASM_ERR_TYPE_MISMATCH);
        return fail(r, WASM_ERR_CONST_EXPR);
    }
    if (t != type)
        return fail(r, WASM_ERR_TYPE_MISMATCH);
    return 1;
}

static int sec_types(reader *r, wasm_module *m)
{
    uint32_t n;
    if (!rd_count(r, &n, 3))
        return 0;
    m->types = alloc_array(&m->alloc, n, sizeof(wasm_functype));
    m->type_pool = alloc_array(&m->alloc, (size_t)(r->end - r->p), 1);
    if (!m->types || !m->type_pool)
        return fail(r, WASM_ERR_NOMEM);
    size_t pool = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t form;
        uint32_t np, nr;
        if (!rd_byte(r, &form))
            return 0;
        if (form != 0x60)
            return fail(r, WASM_ERR_FUNCTYPE_FORM);
        if (!rd_count(r, &np, 1))
            return 0;
        wasm_functype *ft = &m->types[i];
        ft->params = m->type_pool + pool;
        ft->nparams = np;
        for (uint32_t k = 0; k < np; k++)
            if (!rd_valtype(r, &m->type_pool[pool++]))
                return 0;
        if (!rd_count(r, &nr, 1))
            return 0;
        for (uint32_t k = 0; k < nr; k++)
            if (!rd_valtype(r, &ft->result))
                return 0;
        if (nr > 1)
            return fail(r, WASM_ERR_RESULT_ARITY);
        ft->nresults = nr;
        m->ntypes = i + 1;
    }
    return 1;
}

static int add_global_slots(wasm_module *m, reader *r, uint32_t more)
{
    wasm_global_decl *g = wasm__realloc(&m->alloc, m->globals,
                                        ((size_t)m->nglobals + more + 1) * sizeof(*g));
    if (!g)
        return fail(r, WASM_ERR_NOMEM);
    m->globals = g;
    return 1;
}

static int sec_imports(reader *r, wasm_module *m)
{
    uint32_t n;
    if (!rd_count(r, &n, 4))
        return 0;
    m->imports = alloc_array(&m->alloc, n, sizeof(wasm_import));
    m->func_types = alloc_array(&m->alloc, n, sizeof(uint32_t));
    if (!m->imports || !m->func_types || !add_global_slots(m, r, n))
        return fail(r, WASM_ERR_NOMEM);
    for (uint32_t i = 0; i < n; i++) {
        wasm_import *im = &m->imports[i];
        if (!rd_name(r, &im->module_off, &im->module_len) ||
            !rd_name(r, &im->name_off, &im->name_len) || !rd_byte(r, &im->kind))
            return 0;
        switch (im->kind) {
        case WASM_EXTERN_FUNC:
            if (!rd_u32(r, &im->index))
                return 0;
            if (im->index >= m->ntypes)
                return fail(r, WASM_ERR_UNKNOWN_TYPE);
            m->func_types[m->nfuncs++] = im->index;
            m->nimported_funcs++;
            break;
        case WASM_EXTERN_TABLE: {
            uint8_t et;
            if (!rd_byte(r, &et))
                return 0;
            if (et != 0x70)
                return fail(r, WASM_ERR_ELEMTYPE);
            if (!rd_limits(r, &im->limits, UINT32_MAX, WASM_ERR_LIMITS_MIN_MAX))
                return 0;
            if (m->has_table)
                return fail(r, WASM_ERR_MULTIPLE_TABLES);
            m->has_table = m->table_imported = 1;
            m->table = im->limits;
            break;
        }
        case WASM_EXTERN_MEMORY:
            if (!rd_limits(r, &im->limits, 65536, WASM_ERR_MEMORY_SIZE))
                return 0;
            if (m->has_memory)
                return fail(r, WASM_ERR_MULTIPLE_MEMORIES);
            m->has_memory = m->memory_imported = 1;
            m->memory = im->limits;
            break;
        case WASM_EXTERN_GLOBAL:
            if (!rd_valtype(r, &im->gtype) || !rd_byte(r, &im->gmut))
                return 0;
            if (im->gmut > 1)
                return fail(r, WASM_ERR_MUTABILITY);
            m->globals[m->nglobals].type = im->gtype;
            m->globals[m->nglobals].mut = im->gmut;
            m->nglobals++;
            m->nimported_globals++;
            break;
        default:
            return fail(r, WASM_ERR_IMPORT_KIND);
        }
        m->nimports = i + 1;
    }
    return 1;
}

static int sec_functions(reader *r, wasm_module *m, uint32_t *ndefined)
{
    uint32_t n;
    if (!rd_count(r, &n, 1))
        return 0;
    uint32_t *ft = wasm__realloc(&m->alloc, m->func_types,
                                 ((size_t)m->nfuncs + n + 1) * sizeof(uint32_t));
    if (!ft)
        return fail(r, WASM_ERR_NOMEM);
    m->func_types = ft;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t;
        if (!rd_u32(r, &t))
            return 0;
        if (t >= m->ntypes)
            return fail(r, WASM_ERR_UNKNOWN_TYPE);
        m->func_types[m->nfuncs++] = t;
    }
    *ndefined = n;
    return 1;
}

static int sec_tables(reader *r, wasm_module *m)
{
    uint32_t n;
    if (!rd_count(r, &n, 2))
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t et;
        wasm_limits_decl l;
        if (!rd_byte(r, &et))
            return 0;
        if (et != 0x70)
            return fail(r, WASM_ERR_ELEMTYPE);
        if (!rd_limits(r, &l, UINT32_MAX, WASM_ERR_LIMITS_MIN_MAX))
            return 0;
        if (m->has_table)
            return fail(r, WASM_ERR_MULTIPLE_TABLES);
        m->has_table = 1;
        m->table = l;
    }
    return 1;
}

static int sec_memories(reader *r, wasm_module *m)
{
    uint32_t n;
    if (!rd_count(r, &n, 2))
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        wasm_limits_decl l;
        if (!rd_limits(r, &l, 65536, WASM_ERR_MEMORY_SIZE))
            return 0;
        if (m->has_memory)
            return fail(r, WASM_ERR_MULTIPLE_MEMORIES);
        m->has_memory = 1;
        m->memory = l;
    }
    return 1;
}

static int sec_globals(reader *r, wasm_module *m)
{
    uint32_t n;
    if (!rd_count(r, &n, 3))
        return 0;
    if (!add_global_slots(m, r, n))
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        wasm_global_decl *g = &m->globals[m->nglobals];
        if (!rd_valtype(r, &g->type) || !rd_byte(r, &g->mut))
            return 0;
        if (g->mut > 1)
            return fail(r, WASM_ERR_MUTABILITY);
        if (!rd_const_expr(r, m, g->type, &g->init))
            return 0;
        m->nglobals++;
    }
    return 1;
}

static uint32_t name_hash(const uint8_t *s, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 16777619u;
    return h;
}

static int sec_exports(reader *r, wasm_module *m)
{
    uint32_t n;
    if (!rd_count(r, &n, 3))
        return 0;
    m->exports = alloc_array(&m->alloc, n, sizeof(wasm_export));
    if (!m->exports)
        return fail(r, WASM_ERR_NOMEM);
    for (uint32_t i = 0; i < n; i++) {
        wasm_export *e = &m->exports[i];
        if (!rd_name(r, &e->name_off, &e->name_len) || !rd_byte(r, &e->kind) ||
            !rd_u32(r, &e->index))
            return 0;
        switch (e->kind) {
        case WASM_EXTERN_FUNC:
            if (e->index >= m->nfuncs)
                return fail(r, WASM_ERR_UNKNOWN_FUNC);
            break;
        case WASM_EXTERN_TABLE:
            if (e->index != 0 || !m->has_table)
                return fail(r, WASM_ERR_UNKNOWN_TABLE);
            break;
        case WASM_EXTERN_MEMORY:
            if (e->index != 0 || !m->has_memory)
                return fail(r, WASM_ERR_UNKNOWN_MEMORY);
            break;
        case WASM_EXTERN_GLOBAL:
            if (e->index >= m->nglobals)
                return fail(r, WASM_ERR_UNKNOWN_GLOBAL);
            break;
        default:
            return fail(r, WASM_ERR_EXPORT_KIND);
        }
        m->nexports = i + 1;
    }
    /* duplicate names, through an open-addressing table twice the count */
    size_t cap = 1;
    while (cap < (size_t)n * 2)
        cap <<= 1;
    uint32_t *slots = alloc_array(&m->alloc, cap, sizeof(uint32_t));
    if (!slots)
        return fail(r, WASM_ERR_NOMEM);
    memset(slots, 0xFF, cap * sizeof(uint32_t));
    int ok = 1;
    for (uint32_t i = 0; i < n && ok; i++) {
        const wasm_export *e = &m->exports[i];
        const uint8_t *name = m->bytes + e->name_off;
        size_t s = name_hash(name, e->name_len) & (cap - 1);
        for (size_t probe = 0; probe < cap; probe++) {
            uint32_t j = slots[s];
            if (j == WASM_NONE) {
                slots[s] = i;
                break;
            }
            const wasm_export *o = &m->exports[j];
            if (o->name_len == e->name_len &&
                memcmp(m->bytes + o->name_off, name, e->name_len) == 0) {
                ok = fail(r, WASM_ERR_DUPLICATE_EXPORT);
                break;
            }
            s = (s + 1) & (cap - 1);
        }
    }
    wasm__free(&m->alloc, slots);
    return ok;
}

static int sec_start(reader *r, wasm_module *m)
{
    const wasm_functype *ft;
    if (!rd_u32(r, &m->start))
        return 0;
    if (!valid_func_type(m, m->start, &ft))
        return fail(r, WASM_ERR_UNKNOWN_FUNC);
    if (ft->nparams || ft->nresults)
        return fail(r, WASM_ERR_START_TYPE);
    m->has_start = 1;
    return 1;
}

static int sec_elems(reader *r, wasm_module *m)
{
    uint32_t n;
    if (!rd_count(r, &n, 4))
        return 0;
    m->elems = alloc_array(&m->alloc, n, sizeof(wasm_elem_seg));
    m->elem_pool = alloc_array(&m->alloc, (size_t)(r->end - r->p), sizeof(uint32_t));
    if (!m->elems || !m->elem_pool)
        return fail(r, WASM_ERR_NOMEM);
    size_t pool = 0;
    for (uint32_t i = 0; i < n; i++) {
        wasm_elem_seg *s = &m->elems[i];
        uint32_t table, count;
        if (!rd_u32(r, &table))
            return 0;
        if (table != 0 || !m->has_table)
            return fail(r, WASM_ERR_UNKNOWN_TABLE);
        if (!rd_const_expr(r, m, WASM_I32, &s->offset) || !rd_count(r, &count, 1))
            return 0;
        s->funcs = m->elem_pool + pool;
        s->count = count;
        for (uint32_t k = 0; k < count; k++) {
            uint32_t f;
            if (!rd_u32(r, &f))
                return 0;
            if (f >= m->nfuncs)
                return fail(r, WASM_ERR_UNKNOWN_FUNC);
            m->elem_pool[pool++] = f;
        }
        m->nelems = i + 1;
    }
    return 1;
}

static int sec_code(reader *r, wasm_module *m, uint32_t ndefined)
{
    uint32_t n;
    if (!rd_count(r, &n, 2))
        return 0;
    if (n != ndefined)
        return fail(r, WASM_ERR_FUNC_CODE_MISMATCH);
    m->code_info = alloc_array(&m->alloc, n, sizeof(wasm_code_info));
    if (!m->code_info)
        return fail(r, WASM_ERR_NOMEM);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t size;
        if (!rd_u32(r, &size))
            return 0;
        if (size > (size_t)(r->end - r->p))
            return fail(r, WASM_ERR_UNEXPECTED_END);
        /* syntax now (locals and instructions); validation once every section is read */
        reader body = {r->base, r->p, r->p + size, WASM_OK};
        uint32_t ngroups;
        if (!rd_count(&body, &ngroups, 2))
            return fail(r, body.err);
        uint64_t total = 0;
        for (uint32_t k = 0; k < ngroups; k++) {
            uint32_t cnt;
            uint8_t t;
            if (!rd_u32(&body, &cnt) || !rd_valtype(&body, &t))
                return fail(r, body.err);
            total += cnt;
            if (total > UINT32_MAX)
                return fail(r, WASM_ERR_TOO_MANY_LOCALS);
        }
        if (!scan_body(&body))
            return fail(r, body.err);
        m->code_info[i].body_off = (uint32_t)(r->p - r->base);
        m->code_info[i].body_len = size;
        r->p += size;
    }
    return 1;
}

static int sec_data(reader *r, wasm_module *m)
{
    uint32_t n;
    if (!rd_count(r, &n, 4))
        return 0;
    m->datas = alloc_array(&m->alloc, n, sizeof(wasm_data_seg));
    if (!m->datas)
        return fail(r, WASM_ERR_NOMEM);
    for (uint32_t i = 0; i < n; i++) {
        wasm_data_seg *s = &m->datas[i];
        uint32_t mem;
        if (!rd_u32(r, &mem))
            return 0;
        if (mem != 0 || !m->has_memory)
            return fail(r, WASM_ERR_UNKNOWN_MEMORY);
        if (!rd_const_expr(r, m, WASM_I32, &s->offset) || !rd_u32(r, &s->len))
            return 0;
        if (s->len > (size_t)(r->end - r->p))
            return fail(r, WASM_ERR_UNEXPECTED_END);
        s->off = (uint32_t)(r->p - r->base);
        r->p += s->len;
        m->ndatas = i + 1;
    }
    return 1;
}

void wasm_module_free(wasm_module *m)
{
    if (!m)
        return;
    wasm_allocator a = m->alloc;
    wasm__free(&a, m->bytes);
    wasm__free(&a, m->types);
    wasm__free(&a, m->type_pool);
    wasm__free(&a, m->imports);
    wasm__free(&a, m->func_types);
    wasm__free(&a, m->code_info);
    wasm__free(&a, m->globals);
    wasm__free(&a, m->exports);
    wasm__free(&a, m->elems);
    wasm__free(&a, m->elem_pool);
    wasm__free(&a, m->datas);
    wasm__free(&a, m->code);
    wasm__free(&a, m);
}

static int decode(reader *r, wasm_module *m, const wasm_limits *lim)
{
    uint64_t head;
    if ((size_t)(r->end - r->p) < 4 || !rd_fixed(r, 4, &head) || head != 0x6D736100u)
        return fail(r, WASM_ERR_MAGIC);
    if (!rd_fixed(r, 4, &head))
        return fail(r, WASM_ERR_VERSION);
    if (head != 1)
        return fail(r, WASM_ERR_VERSION);
    uint8_t last = 0;
    uint32_t ndefined = 0;
    int have_code = 0;
    while (r->p < r->end) {
        uint8_t id;
        uint32_t size;
        if (!rd_byte(r, &id) || !rd_u32(r, &size))
            return 0;
        if (size > (size_t)(r->end - r->p))
            return fail(r, WASM_ERR_UNEXPECTED_END);
        if (id > 11)
            return fail(r, WASM_ERR_SECTION_ID);
        if (id != 0) {
            if (id <= last)
                return fail(r, WASM_ERR_SECTION_ORDER);
            last = id;
        }
        reader s = {r->base, r->p, r->p + size, WASM_OK};
        int ok = 1;
        switch (id) {
        case 0: {
            uint32_t off, len;
            ok = rd_name(&s, &off, &len);
            s.p = s.end;
            break;
        }
        case 1: ok = sec_types(&s, m); break;
        case 2: ok = sec_imports(&s, m); break;
        case 3: ok = sec_functions(&s, m, &ndefined); break;
        case 4: ok = sec_tables(&s, m); break;
        case 5: ok = sec_memories(&s, m); break;
        case 6: ok = sec_globals(&s, m); break;
        case 7: ok = sec_exports(&s, m); break;
        case 8: ok = sec_start(&s, m); break;
        case 9: ok = sec_elems(&s, m); break;
        case 10: ok = sec_code(&s, m, ndefined); have_code = 1; break;
        case 11: ok = sec_data(&s, m); break;
        default: break;
        }
        if (!ok) {
            r->p = s.p;
            return fail(r, s.err);
        }
        if (s.p != s.end) {
            r->p = s.p;
            return fail(r, WASM_ERR_SECTION_SIZE);
        }
        r->p = s.end;
    }
    if (!have_code && ndefined != 0)
        return fail(r, WASM_ERR_FUNC_CODE_MISMATCH);
    uint32_t max_locals = lim->value_stack_cells / 2;
    if (max_locals > 50000)
        max_locals = 50000;
    for (uint32_t i = 0; i < ndefined; i++) {
        wasm_code_info *ci = &m->code_info[i];
        reader body = {r->base, r->base + ci->body_off, r->base + ci->body_off + ci->body_len,
                       WASM_OK};
        if (!compile_body(m, &body, m->nimported_funcs + i, ci, max_locals)) {
            r->p = body.p;
            return fail(r, body.err);
        }
    }
    return 1;
}

wasm_status wasm_module_load(const wasm_allocator *alloc, const wasm_limits *limits,
                             const uint8_t *bytes, size_t len, wasm_module **out,
                             wasm_diag *diag)
{
    wasm_limits lim;
    if (!alloc || !alloc->realloc || !out || (!bytes && len))
        return WASM_ERR_ARGUMENT;
    *out = NULL;
    if (limits)
        lim = *limits;
    else
        wasm__default_limits(&lim);
    if (len > lim.max_module_bytes || len > 0x7FFFFFFFu)
        return WASM_ERR_LIMIT_MODULE;
    wasm_module *m = wasm__alloc(alloc, sizeof(*m));
    if (!m)
        return WASM_ERR_NOMEM;
    m->alloc = *alloc;
    m->bytes = wasm__alloc(alloc, len ? len : 1);
    if (!m->bytes) {
        wasm_module_free(m);
        return WASM_ERR_NOMEM;
    }
    if (len)
        memcpy(m->bytes, bytes, len);
    m->len = len;
    reader r = {m->bytes, m->bytes, m->bytes + len, WASM_OK};
    if (!decode(&r, m, &lim)) {
        if (diag)
            diag->offset = (size_t)(r.p - r.base);
        wasm_status s = r.err;
        wasm_module_free(m);
        return s;
    }
    *out = m;
    return WASM_OK;
}
