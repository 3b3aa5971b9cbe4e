/* WebAssembly runtime: environments (the store), host objects, instantiation in the
 * specification's order, calls, and the interpreter loop over the pre-decoded code. */
#include <string.h>

#include "wasm_internal.h"

/* ---- status texts ---- */

const char *wasm_status_message(wasm_status s)
{
    switch (s) {
    case WASM_OK: return "ok";
    case WASM_ERR_MAGIC: return "magic header not detected";
    case WASM_ERR_VERSION: return "unknown binary version";
    case WASM_ERR_UNEXPECTED_END: return "unexpected end";
    case WASM_ERR_LEB_TOO_LONG: return "integer representation too long";
    case WASM_ERR_LEB_TOO_LARGE: return "integer too large";
    case WASM_ERR_SECTION_ID: return "malformed section id";
    case WASM_ERR_SECTION_ORDER: return "unexpected content after last section";
    case WASM_ERR_SECTION_SIZE: return "section size mismatch";
    case WASM_ERR_UTF8: return "malformed UTF-8 encoding";
    case WASM_ERR_VALTYPE: return "malformed value type";
    case WASM_ERR_FUNCTYPE_FORM: return "integer representation too long (function type form)";
    case WASM_ERR_IMPORT_KIND: return "malformed import kind";
    case WASM_ERR_EXPORT_KIND: return "malformed export kind";
    case WASM_ERR_ELEMTYPE: return "malformed element type";
    case WASM_ERR_LIMITS_FLAGS: return "integer too large (limits flags)";
    case WASM_ERR_MUTABILITY: return "malformed mutability";
    case WASM_ERR_FUNC_CODE_MISMATCH: return "function and code section have inconsistent lengths";
    case WASM_ERR_TOO_MANY_LOCALS: return "too many locals";
    case WASM_ERR_ILLEGAL_OPCODE: return "illegal opcode";
    case WASM_ERR_ZERO_BYTE: return "zero byte expected";
    case WASM_ERR_JUNK_AFTER_END: return "junk after last section";
    case WASM_ERR_BODY_END: return "section size mismatch (function body)";
    case WASM_ERR_BLOCKTYPE: return "malformed block type";
    case WASM_ERR_TYPE_MISMATCH: return "type mismatch";
    case WASM_ERR_UNKNOWN_TYPE: return "unknown type";
    case WASM_ERR_UNKNOWN_FUNC: return "unknown function";
    case WASM_ERR_UNKNOWN_TABLE: return "unknown table";
    case WASM_ERR_UNKNOWN_MEMORY: return "unknown memory";
    case WASM_ERR_UNKNOWN_GLOBAL: return "unknown global";
    case WASM_ERR_UNKNOWN_LOCAL: return "unknown local";
    case WASM_ERR_UNKNOWN_LABEL: return "unknown label";
    case WASM_ERR_IMMUTABLE_GLOBAL: return "global is immutable";
    case WASM_ERR_ALIGNMENT: return "alignment must not be larger than natural";
    case WASM_ERR_CONST_EXPR: return "constant expression required";
    case WASM_ERR_MULTIPLE_TABLES: return "multiple tables";
    case WASM_ERR_MULTIPLE_MEMORIES: return "multiple memories";
    case WASM_ERR_LIMITS_MIN_MAX: return "size minimum must not be greater than maximum";
    case WASM_ERR_MEMORY_SIZE: return "memory size must be at most 65536 pages (4GiB)";
    case WASM_ERR_RESULT_ARITY: return "invalid result arity";
    case WASM_ERR_DUPLICATE_EXPORT: return "duplicate export name";
    case WASM_ERR_START_TYPE: return "start function";
    case WASM_ERR_UNKNOWN_IMPORT: return "unknown import";
    case WASM_ERR_IMPORT_TYPE: return "incompatible import type";
    case WASM_ERR_ELEM_NOFIT: return "elements segment does not fit";
    case WASM_ERR_DATA_NOFIT: return "data segment does not fit";
    case WASM_ERR_NOMEM: return "out of memory";
    case WASM_ERR_LIMIT_MEMORY: return "memory limit exceeded";
    case WASM_ERR_LIMIT_TABLE: return "table limit exceeded";
    case WASM_ERR_LIMIT_MODULE: return "module too large";
    case WASM_ERR_ARGUMENT: return "bad argument";
    case WASM_ERR_NOT_FOUND: return "not found";
    case WASM_TRAP_UNREACHABLE: return "unreachable";
    case WASM_TRAP_MEMORY_OOB: return "out of bounds memory access";
    case WASM_TRAP_DIV_ZERO: return "integer divide by zero";
    case WASM_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WASM_TRAP_UNDEFINED_ELEMENT: return "undefined element";
    case WASM_TRAP_UNINITIALIZED_ELEMENT: return "uninitialized element";
    case WASM_TRAP_INDIRECT_TYPE: return "indirect call type mismatch";
    case WASM_TRAP_CALL_DEPTH: return "call stack exhausted";
    case WASM_TRAP_VALUE_STACK: return "call stack exhausted (value stack)";
    case WASM_TRAP_FUEL: return "fuel exhausted";
    case WASM_TRAP_HOST: return "host function trapped";
    }
    return "unknown status";
}

wasm_status_class wasm_status_classify(wasm_status s)
{
    if (s == WASM_OK)
        return WASM_CLASS_OK;
    if (s >= WASM_ERR_MALFORMED_FIRST && s <= WASM_ERR_MALFORMED_LAST)
        return WASM_CLASS_MALFORMED;
    if (s >= WASM_ERR_INVALID_FIRST && s <= WASM_ERR_INVALID_LAST)
        return WASM_CLASS_INVALID;
    if (s >= WASM_ERR_LINK_FIRST && s <= WASM_ERR_LINK_LAST)
        return WASM_CLASS_LINK;
    if (s >= WASM_TRAP_FIRST && s <= WASM_TRAP_LAST)
        return WASM_CLASS_TRAP;
    return WASM_CLASS_RESOURCE;
}

/* ---- environment and owned objects ---- */

enum { OWN_PLAIN, OWN_MEMORY, OWN_TABLE };

typedef union own_hdr {
    wasm_owned h;
    double align_;
    uint64_t align2_;
} own_hdr;

static void *own_new(wasm_env *env, size_t size, int kind)
{
    own_hdr *o = wasm__alloc(&env->alloc, sizeof(own_hdr) + size);
    if (!o)
        return NULL;
    o->h.kind = kind;
    o->h.size = size;
    o->h.next = env->owned;
    env->owned = &o->h;
    return o + 1;
}

wasm_status wasm_env_new(const wasm_allocator *alloc, const wasm_memory_ops *mem_ops,
                         const wasm_limits *limits, wasm_env **out)
{
    if (!alloc || !alloc->realloc || !mem_ops || !mem_ops->grow || !out)
        return WASM_ERR_ARGUMENT;
    *out = NULL;
    wasm_limits lim;
    if (limits)
        lim = *limits;
    else
        wasm__default_limits(&lim);
    if (lim.max_memory_pages > 65536 || lim.value_stack_cells < 16 || lim.call_depth < 1 ||
        lim.value_stack_cells > (1u << 28) || lim.call_depth > (1u << 24))
        return WASM_ERR_ARGUMENT;
    wasm_env *env = wasm__alloc(alloc, sizeof(*env));
    if (!env)
        return WASM_ERR_NOMEM;
    env->alloc = *alloc;
    env->mem_ops = *mem_ops;
    env->limits = lim;
    env->fuel = INT64_MAX;
    env->stack = wasm__alloc(alloc, (size_t)lim.value_stack_cells * sizeof(uint64_t));
    env->frames = wasm__alloc(alloc, (size_t)lim.call_depth * sizeof(wasm_frame));
    if (!env->stack || !env->frames) {
        wasm_env_free(env);
        return WASM_ERR_NOMEM;
    }
    env->sp = env->stack;
    *out = env;
    return WASM_OK;
}

void wasm_env_free(wasm_env *env)
{
    if (!env)
        return;
    wasm_allocator a = env->alloc;
    wasm_instance *inst = env->instances;
    while (inst) {
        wasm_instance *next = inst->next;
        wasm__free(&a, inst->funcs);
        wasm__free(&a, inst->own_funcs);
        wasm__free(&a, inst->globals);
        wasm__free(&a, inst->own_globals);
        wasm__free(&a, inst);
        inst = next;
    }
    wasm_owned *o = env->owned;
    while (o) {
        wasm_owned *next = o->next;
        void *obj = (own_hdr *)o + 1;
        if (o->kind == OWN_MEMORY) {
            wasm_memory *m = obj;
            if (m->data && env->mem_ops.release)
                env->mem_ops.release(env->mem_ops.ctx, m->data, (size_t)m->bytes);
        } else if (o->kind == OWN_TABLE) {
            wasm__free(&a, ((wasm_table *)obj)->elems);
        }
        wasm__free(&a, o);
        o = next;
    }
    wasm__free(&a, env->stack);
    wasm__free(&a, env->frames);
    wasm__free(&a, env);
}

void wasm_env_set_fuel(wasm_env *env, int64_t fuel)
{
    if (env)
        env->fuel = fuel < 0 ? 0 : fuel;
}

int64_t wasm_env_fuel(const wasm_env *env)
{
    return env ? env->fuel : 0;
}

static int is_valtype(uint8_t t)
{
    return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64;
}

wasm_status wasm_host_func_new(wasm_env *env, const uint8_t *params, uint32_t nparams,
                               const uint8_t *results, uint32_t nresults, wasm_host_fn fn,
                               void *ctx, wasm_func **out)
{
    if (!env || !fn || !out || nresults > 1 || nparams > 1000 || (nparams && !params) ||
        (nresults && !results))
        return WASM_ERR_ARGUMENT;
    for (uint32_t i = 0; i < nparams; i++)
        if (!is_valtype(params[i]))
            return WASM_ERR_ARGUMENT;
    if (nresults && !is_valtype(results[0]))
        return WASM_ERR_ARGUMENT;
    size_t size = sizeof(wasm_func) + sizeof(wasm_functype) + nparams;
    wasm_func *f = own_new(env, size, OWN_PLAIN);
    if (!f)
        return WASM_ERR_NOMEM;
    wasm_functype *ft = (wasm_functype *)(f + 1);
    uint8_t *p = (uint8_t *)(ft + 1);
    if (nparams)
        memcpy(p, params, nparams);
    ft->nparams = nparams;
    ft->params = p;
    ft->nresults = nresults;
    ft->result = nresults ? results[0] : 0;
    f->type = ft;
    f->host = fn;
    f->host_ctx = ctx;
    *out = f;
    return WASM_OK;
}

wasm_status wasm_host_global_new(wasm_env *env, uint8_t type, int mutable_, wasm_value v,
                                 wasm_global **out)
{
    if (!env || !out || !is_valtype(type))
        return WASM_ERR_ARGUMENT;
    wasm_global *g = own_new(env, sizeof(*g), OWN_PLAIN);
    if (!g)
        return WASM_ERR_NOMEM;
    g->type = type;
    g->mut = mutable_ != 0;
    g->v = v;
    *out = g;
    return WASM_OK;
}

static wasm_status table_new(wasm_env *env, uint32_t min, uint32_t max, int has_max,
                             wasm_table **out)
{
    if (has_max && max < min)
        return WASM_ERR_ARGUMENT;
    if (min > env->limits.max_table_size)
        return WASM_ERR_LIMIT_TABLE;
    wasm_table *t = own_new(env, sizeof(*t), OWN_TABLE);
    if (!t)
        return WASM_ERR_NOMEM;
    t->elems = wasm__alloc(&env->alloc, ((size_t)min + 1) * sizeof(wasm_func *));
    if (!t->elems)
        return WASM_ERR_NOMEM;
    t->size = min;
    t->max = max;
    t->has_max = has_max;
    *out = t;
    return WASM_OK;
}

static uint32_t memory_cap(const wasm_env *env, const wasm_memory *m)
{
    uint32_t cap = env->limits.max_memory_pages;
    if (m->has_max && m->max < cap)
        cap = m->max;
    return cap;
}

static wasm_status memory_new(wasm_env *env, uint32_t min, uint32_t max, int has_max,
                              wasm_memory **out)
{
    if (min > 65536 || (has_max && (max < min || max > 65536)))
        return WASM_ERR_ARGUMENT;
    if (min > env->limits.max_memory_pages)
        return WASM_ERR_LIMIT_MEMORY;
    wasm_memory *m = own_new(env, sizeof(*m), OWN_MEMORY);
    if (!m)
        return WASM_ERR_NOMEM;
    m->max = max;
    m->has_max = has_max;
    if (min) {
        uint64_t bytes = (uint64_t)min * WASM_PAGE;
        uint64_t cap = (uint64_t)memory_cap(env, m) * WASM_PAGE;
        if (bytes > SIZE_MAX || cap > SIZE_MAX)
            return WASM_ERR_LIMIT_MEMORY;
        void *d = env->mem_ops.grow(env->mem_ops.ctx, NULL, 0, (size_t)bytes, (size_t)cap);
        if (!d)
            return WASM_ERR_NOMEM;
        m->data = d;
        m->bytes = bytes;
        m->pages = min;
    }
    *out = m;
    return WASM_OK;
}

wasm_status wasm_host_table_new(wasm_env *env, uint32_t min, uint32_t max, int has_max,
                                wasm_table **out)
{
    if (!env || !out)
        return WASM_ERR_ARGUMENT;
    return table_new(env, min, max, has_max, out);
}

wasm_status wasm_host_memory_new(wasm_env *env, uint32_t min, uint32_t max, int has_max,
                                 wasm_memory **out)
{
    if (!env || !out)
        return WASM_ERR_ARGUMENT;
    return memory_new(env, min, max, has_max, out);
}

static uint64_t mask_value(uint8_t type, uint64_t bits)
{
    return (type == WASM_I32 || type == WASM_F32) ? (uint32_t)bits : bits;
}

wasm_value wasm_global_get(const wasm_global *g)
{
    wasm_value v;
    v.i64 = g ? mask_value(g->type, g->v.i64) : 0;
    return v;
}

uint8_t wasm_global_type(const wasm_global *g)
{
    return g ? g->type : 0;
}

uint8_t *wasm_memory_data(const wasm_memory *m)
{
    return m ? m->data : NULL;
}

uint64_t wasm_memory_size(const wasm_memory *m)
{
    return m ? m->bytes : 0;
}

void wasm_func_type(const wasm_func *f, const uint8_t **params, uint32_t *nparams,
                    const uint8_t **results, uint32_t *nresults)
{
    *params = f->type->params;
    *nparams = f->type->nparams;
    *results = &f->type->result;
    *nresults = f->type->nresults;
}

/* ---- instantiation ---- */

static uint64_t eval_const(const wasm_instance *inst, const wasm_const_expr *e)
{
    if (e->is_global)
        return inst->globals[e->global]->v.i64;
    return e->bits;
}

static wasm_status check_import(const wasm_module *m, const wasm_import *im, const wasm_extern *x)
{
    if ((uint8_t)x->kind != im->kind)
        return WASM_ERR_IMPORT_TYPE;
    switch (x->kind) {
    case WASM_EXTERN_FUNC:
        if (!x->u.func || !wasm__functype_eq(x->u.func->type, &m->types[im->index]))
            return WASM_ERR_IMPORT_TYPE;
        return WASM_OK;
    case WASM_EXTERN_TABLE: {
        const wasm_table *t = x->u.table;
        if (!t || t->size < im->limits.min)
            return WASM_ERR_IMPORT_TYPE;
        if (im->limits.has_max && (!t->has_max || t->max > im->limits.max))
            return WASM_ERR_IMPORT_TYPE;
        return WASM_OK;
    }
    case WASM_EXTERN_MEMORY: {
        const wasm_memory *mem = x->u.memory;
        if (!mem || mem->pages < im->limits.min)
            return WASM_ERR_IMPORT_TYPE;
        if (im->limits.has_max && (!mem->has_max || mem->max > im->limits.max))
            return WASM_ERR_IMPORT_TYPE;
        return WASM_OK;
    }
    case WASM_EXTERN_GLOBAL:
        if (!x->u.global || x->u.global->type != im->gtype || x->u.global->mut != im->gmut)
            return WASM_ERR_IMPORT_TYPE;
        return WASM_OK;
    }
    return WASM_ERR_IMPORT_TYPE;
}

static wasm_status run(wasm_env *env, wasm_func *f, uint64_t *base);

wasm_status wasm_instantiate(wasm_env *env, const wasm_module *m, wasm_resolve_fn resolve,
                             void *resolve_ctx, wasm_instance **out)
{
    if (!env || !m || !out || (m->nimports && !resolve))
        return WASM_ERR_ARGUMENT;
    *out = NULL;
    wasm_extern *ext = wasm__alloc(&env->alloc, ((size_t)m->nimports + 1) * sizeof(*ext));
    if (!ext)
        return WASM_ERR_NOMEM;
    wasm_status st = WASM_OK;
    for (uint32_t i = 0; i < m->nimports && st == WASM_OK; i++) {
        const wasm_import *im = &m->imports[i];
        memset(&ext[i], 0, sizeof(ext[i]));
        st = resolve(resolve_ctx, (const char *)m->bytes + im->module_off, im->module_len,
                     (const char *)m->bytes + im->name_off, im->name_len,
                     (wasm_extern_kind)im->kind, &ext[i]);
        if (st != WASM_OK)
            st = WASM_ERR_UNKNOWN_IMPORT;
        else
            st = check_import(m, im, &ext[i]);
    }
    if (st != WASM_OK) {
        wasm__free(&env->alloc, ext);
        return st;
    }

    wasm_instance *inst = wasm__alloc(&env->alloc, sizeof(*inst));
    if (!inst) {
        wasm__free(&env->alloc, ext);
        return WASM_ERR_NOMEM;
    }
    /* from here the instance belongs to the environment, whatever happens */
    inst->module = m;
    inst->next = env->instances;
    env->instances = inst;
    uint32_t ndef_funcs = m->nfuncs - m->nimported_funcs;
    uint32_t ndef_globals = m->nglobals - m->nimported_globals;
    inst->funcs = wasm__alloc(&env->alloc, ((size_t)m->nfuncs + 1) * sizeof(wasm_func *));
    inst->own_funcs = wasm__alloc(&env->alloc, ((size_t)ndef_funcs + 1) * sizeof(wasm_func));
    inst->globals = wasm__alloc(&env->alloc, ((size_t)m->nglobals + 1) * sizeof(wasm_global *));
    inst->own_globals =
        wasm__alloc(&env->alloc, ((size_t)ndef_globals + 1) * sizeof(wasm_global));
    if (!inst->funcs || !inst->own_funcs || !inst->globals || !inst->own_globals) {
        st = WASM_ERR_NOMEM;
        goto out;
    }
    uint32_t nf = 0, ng = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        switch (ext[i].kind) {
        case WASM_EXTERN_FUNC: inst->funcs[nf++] = ext[i].u.func; break;
        case WASM_EXTERN_TABLE: inst->table = ext[i].u.table; break;
        case WASM_EXTERN_MEMORY: inst->memory = ext[i].u.memory; break;
        case WASM_EXTERN_GLOBAL: inst->globals[ng++] = ext[i].u.global; break;
        }
    }
    for (uint32_t i = 0; i < ndef_funcs; i++) {
        wasm_func *f = &inst->own_funcs[i];
        const wasm_code_info *ci = &m->code_info[i];
        f->type = &m->types[m->func_types[m->nimported_funcs + i]];
        f->inst = inst;
        f->code = m->code + ci->entry;
        f->nlocals = ci->nlocals;
        f->frame_cells = ci->frame_cells;
        inst->funcs[nf++] = f;
    }
    if (m->has_table && !m->table_imported) {
        st = table_new(env, m->table.min, m->table.max, m->table.has_max, &inst->table);
        if (st != WASM_OK)
            goto out;
    }
    if (m->has_memory && !m->memory_imported) {
        st = memory_new(env, m->memory.min, m->memory.max, m->memory.has_max, &inst->memory);
        if (st != WASM_OK)
            goto out;
    }
    for (uint32_t i = 0; i < ndef_globals; i++) {
        const wasm_global_decl *d = &m->globals[m->nimported_globals + i];
        wasm_global *g = &inst->own_globals[i];
        g->type = d->type;
        g->mut = d->mut;
        g->v.i64 = eval_const(inst, &d->init);
        inst->globals[ng++] = g;
    }
    /* every segment must fit before any is written */
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wasm_elem_seg *s = &m->elems[i];
        uint64_t off = (uint32_t)eval_const(inst, &s->offset);
        if (off + s->count > inst->table->size) {
            st = WASM_ERR_ELEM_NOFIT;
            goto out;
        }
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wasm_data_seg *s = &m->datas[i];
        uint64_t off = (uint32_t)eval_const(inst, &s->offset);
        if (off + s->len > inst->memory->bytes) {
            st = WASM_ERR_DATA_NOFIT;
            goto out;
        }
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wasm_elem_seg *s = &m->elems[i];
        uint32_t off = (uint32_t)eval_const(inst, &s->offset);
        for (uint32_t k = 0; k < s->count; k++)
            inst->table->elems[off + k] = inst->funcs[s->funcs[k]];
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wasm_data_seg *s = &m->datas[i];
        uint32_t off = (uint32_t)eval_const(inst, &s->offset);
        if (s->len)
            memcpy(inst->memory->data + off, m->bytes + s->off, s->len);
    }
    if (m->has_start) {
        uint64_t *base = env->sp;
        if ((size_t)(env->stack + env->limits.value_stack_cells - base) < 1) {
            st = WASM_TRAP_VALUE_STACK;
            goto out;
        }
        st = run(env, inst->funcs[m->start], base);
        if (st != WASM_OK)
            goto out;
    }
    *out = inst;
out:
    wasm__free(&env->alloc, ext);
    return st;
}

static void export_extern(const wasm_instance *inst, const wasm_export *e, wasm_extern *out)
{
    out->kind = (wasm_extern_kind)e->kind;
    switch (e->kind) {
    case WASM_EXTERN_FUNC: out->u.func = inst->funcs[e->index]; break;
    case WASM_EXTERN_TABLE: out->u.table = inst->table; break;
    case WASM_EXTERN_MEMORY: out->u.memory = inst->memory; break;
    default: out->u.global = inst->globals[e->index]; break;
    }
}

wasm_status wasm_instance_export_at(const wasm_instance *inst, uint32_t i, const char **name,
                                    size_t *len, wasm_extern *out)
{
    if (!inst || !name || !len || !out)
        return WASM_ERR_ARGUMENT;
    const wasm_module *m = inst->module;
    if (i >= m->nexports)
        return WASM_ERR_NOT_FOUND;
    const wasm_export *e = &m->exports[i];
    *name = (const char *)m->bytes + e->name_off;
    *len = e->name_len;
    export_extern(inst, e, out);
    return WASM_OK;
}

wasm_status wasm_instance_export(const wasm_instance *inst, const char *name, size_t len,
                                 wasm_extern *out)
{
    if (!inst || !out || (!name && len))
        return WASM_ERR_ARGUMENT;
    const wasm_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wasm_export *e = &m->exports[i];
        if (e->name_len != len || (len && memcmp(m->bytes + e->name_off, name, len) != 0))
            continue;
        export_extern(inst, e, out);
        return WASM_OK;
    }
    return WASM_ERR_NOT_FOUND;
}

wasm_status wasm_call(wasm_env *env, wasm_func *f, const wasm_value *args, size_t nargs,
                      wasm_value *results, size_t nresults)
{
    if (!env || !f || nargs != f->type->nparams || nresults != f->type->nresults ||
        (nargs && !args) || (nresults && !results))
        return WASM_ERR_ARGUMENT;
    uint64_t *base = env->sp;
    size_t room = (size_t)(env->stack + env->limits.value_stack_cells - base);
    if (room < nargs + 1)
        return WASM_TRAP_VALUE_STACK;
    for (size_t i = 0; i < nargs; i++)
        base[i] = mask_value(f->type->params[i], args[i].i64);
    wasm_status st = run(env, f, base);
    if (st == WASM_OK && nresults)
        results[0].i64 = mask_value(f->type->result, base[0]);
    return st;
}

/* ---- numeric helpers ---- */

static inline float f32_of(uint64_t c)
{
    uint32_t b = (uint32_t)c;
    float f;
    memcpy(&f, &b, 4);
    return f;
}

static inline uint64_t of_f32(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static inline double f64_of(uint64_t c)
{
    double d;
    memcpy(&d, &c, 8);
    return d;
}

static inline uint64_t of_f64(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

/* Rounding to integral values on the bits (no libm, exact in every mode): the exponent
 * says which mantissa bits are fraction. mode: 0 trunc, 1 floor, 2 ceil, 3 nearest. */
#define ROUND_FN(name, UT, MANT, BIAS, EXPMASK)                                              \
    static UT name(UT x, int mode)                                                           \
    {                                                                                        \
        const UT sign = (UT)1 << (sizeof(UT) * 8 - 1);                                       \
        const UT one = (UT)BIAS << MANT;                                                     \
        int e = (int)((x >> MANT) & EXPMASK) - BIAS;                                         \
        int neg = (x & sign) != 0;                                                           \
        if (e >= MANT) {                                                                     \
            if (e == EXPMASK - BIAS && (x & (((UT)1 << MANT) - 1)))                          \
                return x | ((UT)1 << (MANT - 1)); /* NaN: quiet it */                        \
            return x;                                                                        \
        }                                                                                    \
        if (e < 0) {                                                                         \
            if ((x & ~sign) == 0)                                                            \
                return x;                                                                    \
            switch (mode) {                                                                  \
            case 1: return neg ? (sign | one) : 0;                                           \
            case 2: return neg ? sign : one;                                                 \
            case 3:                                                                          \
                if (e == -1 && (x & ~sign) != ((UT)(BIAS - 1) << MANT))                      \
                    return (x & sign) | one;                                                 \
                return x & sign;                                                             \
            default: return x & sign;                                                        \
            }                                                                                \
        }                                                                                    \
        UT mask = ((UT)1 << (MANT - e)) - 1;                                                 \
        UT frac = x & mask;                                                                  \
        if (frac == 0)                                                                       \
            return x;                                                                        \
        UT ip = x & ~mask;                                                                   \
        int up;                                                                              \
        switch (mode) {                                                                      \
        case 1: up = neg; break;                                                             \
        case 2: up = !neg; break;                                                            \
        case 3: {                                                                            \
            UT half = (mask >> 1) + 1;                                                       \
            up = frac > half || (frac == half && (x & (mask + 1)));                          \
            break;                                                                           \
        }                                                                                    \
        default: up = 0; break;                                                              \
        }                                                                                    \
        return up ? ip + (mask + 1) : ip;                                                    \
    }

ROUND_FN(round32, uint32_t, 23, 127, 0xFF)
ROUND_FN(round64, uint64_t, 52, 1023, 0x7FF)

static uint32_t fmin32(uint32_t a, uint32_t b, int max)
{
    float x = f32_of(a), y = f32_of(b);
    if (x != x)
        return a | 0x00400000u;
    if (y != y)
        return b | 0x00400000u;
    if (x == y)
        return max ? (a & b) : (a | b);
    return (max ? x > y : x < y) ? a : b;
}

static uint64_t fmin64(uint64_t a, uint64_t b, int max)
{
    double x = f64_of(a), y = f64_of(b);
    if (x != x)
        return a | 0x0008000000000000ull;
    if (y != y)
        return b | 0x0008000000000000ull;
    if (x == y)
        return max ? (a & b) : (a | b);
    return (max ? x > y : x < y) ? a : b;
}

static inline uint32_t rotl32(uint32_t a, uint32_t k)
{
    k &= 31;
    return k ? (a << k) | (a >> (32 - k)) : a;
}

static inline uint64_t rotl64(uint64_t a, uint64_t k)
{
    k &= 63;
    return k ? (a << k) | (a >> (64 - k)) : a;
}

/* ---- the interpreter ---- */

#if defined(__GNUC__) && !defined(WASM_NO_THREADED)
#define WASM_THREADED 1
#else
#define WASM_THREADED 0
#endif

#define I32(x) ((uint32_t)(x))

#if WASM_THREADED
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#define CASE(x) L_##x:
#define NEXT() goto *labels[*ip++]
#else
#define CASE(x) case WOP_##x:
#define NEXT() continue
#endif

#define TRAP(code)      \
    do {                \
        st = (code);    \
        goto trap;      \
    } while (0)

#define LOAD_INST()                                     \
    do {                                                \
        wasm_memory *m_ = inst->memory;                 \
        mem = m_ ? m_->data : NULL;                     \
        mem_size = m_ ? m_->bytes : 0;                  \
    } while (0)

/* operand words: ip[0] destination, ip[1], ip[2] sources */
#define BIN32(name, expr) \
    CASE(name) { uint32_t a = I32(fp[ip[1]]), b = I32(fp[ip[2]]); fp[ip[0]] = (uint32_t)(expr); ip += 3; } NEXT();
#define BIN32_I(name, expr) \
    CASE(name##_I) { uint32_t a = I32(fp[ip[1]]), b = ip[2]; fp[ip[0]] = (uint32_t)(expr); ip += 3; } NEXT();
#define BIN64(name, expr) \
    CASE(name) { uint64_t a = fp[ip[1]], b = fp[ip[2]]; fp[ip[0]] = (uint64_t)(expr); ip += 3; } NEXT();
#define BIN64_I(name, expr) \
    CASE(name##_I) { uint64_t a = fp[ip[1]], b = (uint64_t)ip[2] | ((uint64_t)ip[3] << 32); \
                     fp[ip[0]] = (uint64_t)(expr); ip += 4; } NEXT();
#define CMP64(name, expr) \
    CASE(name) { uint64_t a = fp[ip[1]], b = fp[ip[2]]; fp[ip[0]] = (uint32_t)(expr); ip += 3; } NEXT();
#define CMP64_I(name, expr) \
    CASE(name##_I) { uint64_t a = fp[ip[1]], b = (uint64_t)ip[2] | ((uint64_t)ip[3] << 32); \
                     fp[ip[0]] = (uint32_t)(expr); ip += 4; } NEXT();
#define UN32(name, expr) \
    CASE(name) { uint32_t a = I32(fp[ip[1]]); fp[ip[0]] = (uint32_t)(expr); ip += 2; } NEXT();
#define UN64(name, expr) \
    CASE(name) { uint64_t a = fp[ip[1]]; fp[ip[0]] = (uint64_t)(expr); ip += 2; } NEXT();
#define FBIN32(name, expr) \
    CASE(name) { float a = f32_of(fp[ip[1]]), b = f32_of(fp[ip[2]]); fp[ip[0]] = of_f32(expr); ip += 3; } NEXT();
#define FBIN64(name, expr) \
    CASE(name) { double a = f64_of(fp[ip[1]]), b = f64_of(fp[ip[2]]); fp[ip[0]] = of_f64(expr); ip += 3; } NEXT();
#define FCMP32(name, expr) \
    CASE(name) { float a = f32_of(fp[ip[1]]), b = f32_of(fp[ip[2]]); fp[ip[0]] = (uint32_t)(expr); ip += 3; } NEXT();
#define FCMP64(name, expr) \
    CASE(name) { double a = f64_of(fp[ip[1]]), b = f64_of(fp[ip[2]]); fp[ip[0]] = (uint32_t)(expr); ip += 3; } NEXT();
#define FBIN32_I(name, expr) \
    CASE(name##_I) { float a = f32_of(fp[ip[1]]), b = f32_of(ip[2]); fp[ip[0]] = of_f32(expr); ip += 3; } NEXT();
#define FBIN64_I(name, expr) \
    CASE(name##_I) { double a = f64_of(fp[ip[1]]), b = f64_of((uint64_t)ip[2] | ((uint64_t)ip[3] << 32)); \
                     fp[ip[0]] = of_f64(expr); ip += 4; } NEXT();
#define FCMP32_I(name, expr) \
    CASE(name##_I) { float a = f32_of(fp[ip[1]]), b = f32_of(ip[2]); fp[ip[0]] = (uint32_t)(expr); ip += 3; } NEXT();
#define FCMP64_I(name, expr) \
    CASE(name##_I) { double a = f64_of(fp[ip[1]]), b = f64_of((uint64_t)ip[2] | ((uint64_t)ip[3] << 32)); \
                     fp[ip[0]] = (uint32_t)(expr); ip += 4; } NEXT();
#define CONV(name, expr) \
    CASE(name) { uint64_t a = fp[ip[1]]; fp[ip[0]] = (expr); ip += 2; } NEXT();

/* [op][dst][addr][offset] and [op][addr][value][offset] */
#define LOAD(name, N, T, conv)                                       \
    CASE(name) {                                                     \
        uint64_t ea = (uint64_t)I32(fp[ip[1]]) + ip[2];              \
        T v_;                                                        \
        if (ea + N > mem_size)                                       \
            TRAP(WASM_TRAP_MEMORY_OOB);                              \
        memcpy(&v_, mem + ea, N);                                    \
        fp[ip[0]] = conv;                                            \
        ip += 3;                                                     \
    } NEXT();
#define STORE(name, N, T)                                            \
    CASE(name) {                                                     \
        uint64_t ea = (uint64_t)I32(fp[ip[0]]) + ip[2];              \
        T v_ = (T)fp[ip[1]];                                         \
        if (ea + N > mem_size)                                       \
            TRAP(WASM_TRAP_MEMORY_OOB);                              \
        memcpy(mem + ea, &v_, N);                                    \
        ip += 3;                                                     \
    } NEXT();

#define TRUNC(name, FT, src, lo_ok, hi, IT, dst)                     \
    CASE(name) {                                                     \
        FT x = src(fp[ip[1]]);                                       \
        if (x != x)                                                  \
            TRAP(WASM_TRAP_INVALID_CONVERSION);                      \
        if (!(lo_ok && x < hi))                                      \
            TRAP(WASM_TRAP_INT_OVERFLOW);                            \
        fp[ip[0]] = dst((IT)x);                                      \
        ip += 2;                                                     \
    } NEXT();

#define BRANCH_AT(p) (ip = (p) + (int32_t) * (p))

/* compare-and-branch: [a][b or constant][target]; a taken branch costs one unit of fuel
 * (it may be a loop's back-edge) */
#define BR32(name, expr) \
    CASE(BR_##name) { uint32_t a = I32(fp[ip[0]]), b = I32(fp[ip[1]]); \
        if (expr) { if (--fuel < 0) TRAP(WASM_TRAP_FUEL); BRANCH_AT(ip + 2); } else ip += 3; } NEXT(); \
    CASE(BR_##name##_I) { uint32_t a = I32(fp[ip[0]]), b = ip[1]; \
        if (expr) { if (--fuel < 0) TRAP(WASM_TRAP_FUEL); BRANCH_AT(ip + 2); } else ip += 3; } NEXT();
#define BRF32(name, expr) \
    CASE(BR_##name) { float a = f32_of(fp[ip[0]]), b = f32_of(fp[ip[1]]); \
        if (expr) { if (--fuel < 0) TRAP(WASM_TRAP_FUEL); BRANCH_AT(ip + 2); } else ip += 3; } NEXT(); \
    CASE(BR_##name##_I) { float a = f32_of(fp[ip[0]]), b = f32_of(ip[1]); \
        if (expr) { if (--fuel < 0) TRAP(WASM_TRAP_FUEL); BRANCH_AT(ip + 2); } else ip += 3; } NEXT();
#define BRF64(name, expr) \
    CASE(BR_##name) { double a = f64_of(fp[ip[0]]), b = f64_of(fp[ip[1]]); \
        if (expr) { if (--fuel < 0) TRAP(WASM_TRAP_FUEL); BRANCH_AT(ip + 2); } else ip += 3; } NEXT(); \
    CASE(BR_##name##_I) { double a = f64_of(fp[ip[0]]), b = f64_of((uint64_t)ip[1] | ((uint64_t)ip[2] << 32)); \
        if (expr) { if (--fuel < 0) TRAP(WASM_TRAP_FUEL); BRANCH_AT(ip + 3); } else ip += 4; } NEXT();
#define BR64(name, expr) \
    CASE(BR_##name) { uint64_t a = fp[ip[0]], b = fp[ip[1]]; \
        if (expr) { if (--fuel < 0) TRAP(WASM_TRAP_FUEL); BRANCH_AT(ip + 2); } else ip += 3; } NEXT(); \
    CASE(BR_##name##_I) { uint64_t a = fp[ip[0]], b = (uint64_t)ip[1] | ((uint64_t)ip[2] << 32); \
        if (expr) { if (--fuel < 0) TRAP(WASM_TRAP_FUEL); BRANCH_AT(ip + 3); } else ip += 4; } NEXT();

static wasm_status run(wasm_env *env, wasm_func *f, uint64_t *base)
{
#if WASM_THREADED
#define WASM_LABEL(n) &&L_##n,
#define WASM_LABEL_I(n, expr) &&L_##n##_I,
#define WASM_LABEL_BR(n, expr) &&L_BR_##n, &&L_BR_##n##_I,
    static const void *const labels[WOP_COUNT] = {
        WASM_OPS(WASM_LABEL) WASM_I32_IMM_OPS(WASM_LABEL_I) WASM_I64_IMM_OPS(WASM_LABEL_I)
        WASM_I64_CMP_IMM_OPS(WASM_LABEL_I) WASM_I32_CMP_OPS(WASM_LABEL_BR)
        WASM_I64_CMP_IMM_OPS(WASM_LABEL_BR) WASM_F32_IMM_OPS(WASM_LABEL_I)
        WASM_F64_IMM_OPS(WASM_LABEL_I) WASM_F32_CMP_OPS(WASM_LABEL_I)
        WASM_F64_CMP_OPS(WASM_LABEL_I) WASM_F32_CMP_OPS(WASM_LABEL_BR)
        WASM_F64_CMP_OPS(WASM_LABEL_BR)};
#undef WASM_LABEL
#undef WASM_LABEL_I
#undef WASM_LABEL_BR
#endif
    wasm_status st = WASM_OK;
    const uint32_t depth_base = env->depth;
    uint32_t depth = depth_base;
    const uint32_t depth_max = env->limits.call_depth;
    uint64_t *const stack_end = env->stack + env->limits.value_stack_cells;
    wasm_frame *const frames = env->frames;
    int64_t fuel = env->fuel;
    uint64_t *fp = base;
    uint64_t *nfp = base;
    const uint32_t *ip = NULL;
    wasm_instance *inst = NULL;
    uint8_t *mem = NULL;
    uint64_t mem_size = 0;
    wasm_func *callee = f;
    int entry = 1;

    goto do_call;

#if !WASM_THREADED
    for (;;) {
        switch (*ip++) {
#endif
    CASE(UNREACHABLE) TRAP(WASM_TRAP_UNREACHABLE);
    CASE(BR) { BRANCH_AT(ip); } NEXT();
    CASE(BR_B) {
        if (--fuel < 0)
            TRAP(WASM_TRAP_FUEL);
        BRANCH_AT(ip);
    } NEXT();
    CASE(BR_IF) {
        if (I32(fp[ip[0]]))
            BRANCH_AT(ip + 1);
        else
            ip += 2;
    } NEXT();
    CASE(BR_IF_B) {
        if (I32(fp[ip[0]])) {
            if (--fuel < 0)
                TRAP(WASM_TRAP_FUEL);
            BRANCH_AT(ip + 1);
        } else {
            ip += 2;
        }
    } NEXT();
    CASE(BR_UNLESS) {
        if (!I32(fp[ip[0]]))
            BRANCH_AT(ip + 1);
        else
            ip += 2;
    } NEXT();
    CASE(BR_IF_COPY) {
        /* [cond][target][src][dst] */
        if (I32(fp[ip[0]])) {
            fp[ip[3]] = fp[ip[2]];
            BRANCH_AT(ip + 1);
        } else {
            ip += 4;
        }
    } NEXT();
    CASE(BR_TABLE) {
        /* [index][n][src or NONE] then n+1 pairs [target][dst] */
        uint32_t i = I32(fp[ip[0]]), n = ip[1], src = ip[2];
        if (i > n)
            i = n;
        const uint32_t *e = ip + 3 + 2 * (size_t)i;
        if (src != WASM_NONE)
            fp[e[1]] = fp[src];
        if (--fuel < 0)
            TRAP(WASM_TRAP_FUEL);
        if (*e == WASM_NONE)
            goto do_ret;
        BRANCH_AT(e);
    } NEXT();
    CASE(RETURN1) {
        fp[0] = fp[ip[0]];
        goto do_ret;
    }
    CASE(RETURN0)
    do_ret:
        if (depth == depth_base)
            goto done;
        depth--;
        ip = frames[depth].ip;
        fp = frames[depth].fp;
        if (frames[depth].inst != inst) {
            inst = frames[depth].inst;
            LOAD_INST();
        }
        NEXT();
    CASE(CALL) {
        callee = inst->funcs[ip[0]];
        nfp = fp + ip[1];
        ip += 2;
        goto do_call;
    }
    CASE(CALL_INDIRECT) {
        const wasm_functype *ft = &inst->module->types[ip[0]];
        uint32_t i = I32(fp[ip[2]]);
        const wasm_table *t = inst->table;
        nfp = fp + ip[1];
        ip += 3;
        if (i >= t->size)
            TRAP(WASM_TRAP_UNDEFINED_ELEMENT);
        callee = t->elems[i];
        if (!callee)
            TRAP(WASM_TRAP_UNINITIALIZED_ELEMENT);
        if (callee->type != ft && !wasm__functype_eq(callee->type, ft))
            TRAP(WASM_TRAP_INDIRECT_TYPE);
        goto do_call;
    }
    do_call: {
        if (--fuel < 0)
            TRAP(WASM_TRAP_FUEL);
        if (callee->host) {
            wasm_value res;
            res.i64 = 0;
            /* a host function may call back in: above this frame's arguments */
            env->sp = nfp + callee->type->nparams + 1;
            env->depth = depth;
            env->fuel = fuel;
            wasm_status hs = callee->host(callee->host_ctx, env, (wasm_value *)nfp, &res);
            fuel = env->fuel;
            if (hs != WASM_OK)
                TRAP(wasm_status_classify(hs) == WASM_CLASS_TRAP ? hs : WASM_TRAP_HOST);
            if (callee->type->nresults)
                nfp[0] = mask_value(callee->type->result, res.i64);
            if (entry)
                goto done;
            LOAD_INST();
            NEXT();
        }
        if ((size_t)(stack_end - nfp) < callee->frame_cells)
            TRAP(WASM_TRAP_VALUE_STACK);
        if (entry) {
            entry = 0;
        } else {
            if (depth >= depth_max)
                TRAP(WASM_TRAP_CALL_DEPTH);
            frames[depth].ip = ip;
            frames[depth].fp = fp;
            frames[depth].inst = inst;
            depth++;
        }
        fp = nfp;
        for (uint32_t i = callee->type->nparams; i < callee->nlocals; i++)
            fp[i] = 0;
        ip = callee->code;
        if (callee->inst != inst) {
            inst = callee->inst;
            LOAD_INST();
        }
        NEXT();
    }
    CASE(COPY) { fp[ip[0]] = fp[ip[1]]; ip += 2; } NEXT();
    CASE(SELECT) {
        fp[ip[0]] = I32(fp[ip[3]]) ? fp[ip[1]] : fp[ip[2]];
        ip += 4;
    } NEXT();
    CASE(GLOBAL_GET) { fp[ip[0]] = inst->globals[ip[1]]->v.i64; ip += 2; } NEXT();
    CASE(GLOBAL_SET) { inst->globals[ip[1]]->v.i64 = fp[ip[0]]; ip += 2; } NEXT();
    LOAD(I32_LOAD, 4, uint32_t, v_)
    LOAD(I64_LOAD, 8, uint64_t, v_)
    LOAD(I32_LOAD8_S, 1, int8_t, (uint32_t)(int32_t)v_)
    LOAD(I32_LOAD8_U, 1, uint8_t, v_)
    LOAD(I32_LOAD16_S, 2, int16_t, (uint32_t)(int32_t)v_)
    LOAD(I32_LOAD16_U, 2, uint16_t, v_)
    LOAD(I64_LOAD8_S, 1, int8_t, (uint64_t)(int64_t)v_)
    LOAD(I64_LOAD8_U, 1, uint8_t, v_)
    LOAD(I64_LOAD16_S, 2, int16_t, (uint64_t)(int64_t)v_)
    LOAD(I64_LOAD16_U, 2, uint16_t, v_)
    LOAD(I64_LOAD32_S, 4, int32_t, (uint64_t)(int64_t)v_)
    LOAD(I64_LOAD32_U, 4, uint32_t, v_)
    STORE(I32_STORE, 4, uint32_t)
    STORE(I64_STORE, 8, uint64_t)
    STORE(I32_STORE8, 1, uint8_t)
    STORE(I32_STORE16, 2, uint16_t)
    STORE(I64_STORE8, 1, uint8_t)
    STORE(I64_STORE16, 2, uint16_t)
    STORE(I64_STORE32, 4, uint32_t)
    CASE(MEMORY_SIZE) { fp[ip[0]] = inst->memory->pages; ip += 1; } NEXT();
    CASE(MEMORY_GROW) {
        wasm_memory *m = inst->memory;
        uint32_t delta = I32(fp[ip[1]]);
        uint32_t old = m->pages;
        uint64_t want = (uint64_t)old + delta;
        uint32_t cap = memory_cap(env, m);
        uint32_t result = old;
        if (want > cap) {
            result = UINT32_MAX;
        } else if (delta) {
            void *nb = env->mem_ops.grow(env->mem_ops.ctx, m->data, (size_t)m->bytes,
                                         (size_t)(want * WASM_PAGE),
                                         (size_t)((uint64_t)cap * WASM_PAGE));
            if (!nb) {
                result = UINT32_MAX;
            } else {
                m->data = nb;
                m->bytes = want * WASM_PAGE;
                m->pages = (uint32_t)want;
            }
        }
        fp[ip[0]] = result;
        ip += 2;
        LOAD_INST();
    } NEXT();
    CASE(CONST32) { fp[ip[0]] = ip[1]; ip += 2; } NEXT();
    CASE(CONST64) { fp[ip[0]] = (uint64_t)ip[1] | ((uint64_t)ip[2] << 32); ip += 3; } NEXT();

    WASM_I32_CMP_OPS(BR32)
    WASM_I64_CMP_IMM_OPS(BR64)
    UN32(I32_EQZ, a == 0)
    WASM_I32_IMM_OPS(BIN32)
    WASM_I32_IMM_OPS(BIN32_I)
    CASE(I64_EQZ) { fp[ip[0]] = (uint32_t)(fp[ip[1]] == 0); ip += 2; } NEXT();
    WASM_I64_CMP_IMM_OPS(CMP64)
    WASM_I64_CMP_IMM_OPS(CMP64_I)
    WASM_F32_CMP_OPS(FCMP32)
    WASM_F32_CMP_OPS(FCMP32_I)
    WASM_F64_CMP_OPS(FCMP64)
    WASM_F64_CMP_OPS(FCMP64_I)
    WASM_F32_CMP_OPS(BRF32)
    WASM_F64_CMP_OPS(BRF64)
    WASM_F32_IMM_OPS(FBIN32_I)
    WASM_F64_IMM_OPS(FBIN64_I)
    UN32(I32_CLZ, a ? __builtin_clz(a) : 32)
    UN32(I32_CTZ, a ? __builtin_ctz(a) : 32)
    UN32(I32_POPCNT, __builtin_popcount(a))
    CASE(I32_DIV_S) {
        int32_t a = (int32_t)I32(fp[ip[1]]), b = (int32_t)I32(fp[ip[2]]);
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        if (a == INT32_MIN && b == -1)
            TRAP(WASM_TRAP_INT_OVERFLOW);
        fp[ip[0]] = (uint32_t)(a / b);
        ip += 3;
    } NEXT();
    CASE(I32_DIV_U) {
        uint32_t a = I32(fp[ip[1]]), b = I32(fp[ip[2]]);
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        fp[ip[0]] = a / b;
        ip += 3;
    } NEXT();
    CASE(I32_REM_S) {
        int32_t a = (int32_t)I32(fp[ip[1]]), b = (int32_t)I32(fp[ip[2]]);
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        fp[ip[0]] = b == -1 ? 0 : (uint32_t)(a % b);
        ip += 3;
    } NEXT();
    CASE(I32_REM_U) {
        uint32_t a = I32(fp[ip[1]]), b = I32(fp[ip[2]]);
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        fp[ip[0]] = a % b;
        ip += 3;
    } NEXT();
    UN64(I64_CLZ, a ? __builtin_clzll(a) : 64)
    UN64(I64_CTZ, a ? __builtin_ctzll(a) : 64)
    UN64(I64_POPCNT, __builtin_popcountll(a))
    WASM_I64_IMM_OPS(BIN64)
    WASM_I64_IMM_OPS(BIN64_I)
    CASE(I64_DIV_S) {
        int64_t a = (int64_t)fp[ip[1]], b = (int64_t)fp[ip[2]];
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        if (a == INT64_MIN && b == -1)
            TRAP(WASM_TRAP_INT_OVERFLOW);
        fp[ip[0]] = (uint64_t)(a / b);
        ip += 3;
    } NEXT();
    CASE(I64_DIV_U) {
        uint64_t a = fp[ip[1]], b = fp[ip[2]];
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        fp[ip[0]] = a / b;
        ip += 3;
    } NEXT();
    CASE(I64_REM_S) {
        int64_t a = (int64_t)fp[ip[1]], b = (int64_t)fp[ip[2]];
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        fp[ip[0]] = b == -1 ? 0 : (uint64_t)(a % b);
        ip += 3;
    } NEXT();
    CASE(I64_REM_U) {
        uint64_t a = fp[ip[1]], b = fp[ip[2]];
        if (b == 0)
            TRAP(WASM_TRAP_DIV_ZERO);
        fp[ip[0]] = a % b;
        ip += 3;
    } NEXT();
    UN32(F32_ABS, a & 0x7FFFFFFFu)
    UN32(F32_NEG, a ^ 0x80000000u)
    UN32(F32_CEIL, round32(a, 2))
    UN32(F32_FLOOR, round32(a, 1))
    UN32(F32_TRUNC, round32(a, 0))
    UN32(F32_NEAREST, round32(a, 3))
    CASE(F32_SQRT) { fp[ip[0]] = of_f32(__builtin_sqrtf(f32_of(fp[ip[1]]))); ip += 2; } NEXT();
    FBIN32(F32_ADD, a + b)
    FBIN32(F32_SUB, a - b)
    FBIN32(F32_MUL, a * b)
    FBIN32(F32_DIV, a / b)
    BIN32(F32_MIN, fmin32(a, b, 0))
    BIN32(F32_MAX, fmin32(a, b, 1))
    BIN32(F32_COPYSIGN, (a & 0x7FFFFFFFu) | (b & 0x80000000u))
    UN64(F64_ABS, a & 0x7FFFFFFFFFFFFFFFull)
    UN64(F64_NEG, a ^ 0x8000000000000000ull)
    UN64(F64_CEIL, round64(a, 2))
    UN64(F64_FLOOR, round64(a, 1))
    UN64(F64_TRUNC, round64(a, 0))
    UN64(F64_NEAREST, round64(a, 3))
    CASE(F64_SQRT) { fp[ip[0]] = of_f64(__builtin_sqrt(f64_of(fp[ip[1]]))); ip += 2; } NEXT();
    FBIN64(F64_ADD, a + b)
    FBIN64(F64_SUB, a - b)
    FBIN64(F64_MUL, a * b)
    FBIN64(F64_DIV, a / b)
    BIN64(F64_MIN, fmin64(a, b, 0))
    BIN64(F64_MAX, fmin64(a, b, 1))
    BIN64(F64_COPYSIGN, (a & 0x7FFFFFFFFFFFFFFFull) | (b & 0x8000000000000000ull))
    CONV(I32_WRAP_I64, (uint32_t)a)
    TRUNC(I32_TRUNC_F32_S, float, f32_of, x >= -2147483648.0f, 2147483648.0f, int32_t, (uint32_t))
    TRUNC(I32_TRUNC_F32_U, float, f32_of, x > -1.0f, 4294967296.0f, uint32_t, (uint32_t))
    TRUNC(I32_TRUNC_F64_S, double, f64_of, x > -2147483649.0, 2147483648.0, int32_t, (uint32_t))
    TRUNC(I32_TRUNC_F64_U, double, f64_of, x > -1.0, 4294967296.0, uint32_t, (uint32_t))
    CONV(I64_EXTEND_I32_S, (uint64_t)(int64_t)(int32_t)I32(a))
    CONV(I64_EXTEND_I32_U, I32(a))
    TRUNC(I64_TRUNC_F32_S, float, f32_of, x >= -9223372036854775808.0f, 9223372036854775808.0f, int64_t, (uint64_t))
    TRUNC(I64_TRUNC_F32_U, float, f32_of, x > -1.0f, 18446744073709551616.0f, uint64_t, (uint64_t))
    TRUNC(I64_TRUNC_F64_S, double, f64_of, x >= -9223372036854775808.0, 9223372036854775808.0, int64_t, (uint64_t))
    TRUNC(I64_TRUNC_F64_U, double, f64_of, x > -1.0, 18446744073709551616.0, uint64_t, (uint64_t))
    CONV(F32_CONVERT_I32_S, of_f32((float)(int32_t)I32(a)))
    CONV(F32_CONVERT_I32_U, of_f32((float)I32(a)))
    CONV(F32_CONVERT_I64_S, of_f32((float)(int64_t)a))
    CONV(F32_CONVERT_I64_U, of_f32((float)a))
    CONV(F32_DEMOTE_F64, of_f32((float)f64_of(a)))
    CONV(F64_CONVERT_I32_S, of_f64((double)(int32_t)I32(a)))
    CONV(F64_CONVERT_I32_U, of_f64((double)I32(a)))
    CONV(F64_CONVERT_I64_S, of_f64((double)(int64_t)a))
    CONV(F64_CONVERT_I64_U, of_f64((double)a))
    CONV(F64_PROMOTE_F32, of_f64((double)f32_of(a)))
#if !WASM_THREADED
        default:
            TRAP(WASM_TRAP_UNREACHABLE);
        }
    }
#endif

done:
    env->fuel = fuel;
    env->sp = base;
    env->depth = depth_base;
    return WASM_OK;
trap:
    env->fuel = fuel < 0 ? 0 : fuel;
    env->sp = base;
    env->depth = depth_base;
    return st;
}

#if WASM_THREADED
#pragma GCC diagnostic pop
#endif
