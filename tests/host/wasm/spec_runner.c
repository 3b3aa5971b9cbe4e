/* WebAssembly spec-test runner: executes every command of the JSON scripts wabt's
 * wast2json makes (modules, register, actions, assertions) against lib/wasm, with the
 * `spectest` host module, and prints pass/fail counts per script. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm.h"
#include "wasm_test_mem.h"

/* ---- a small JSON reader (objects, arrays, strings with lengths, numbers) ---- */

typedef enum { J_NULL, J_NUM, J_STR, J_ARR, J_OBJ, J_BOOL } jkind;

typedef struct jnode {
    jkind kind;
    char *str; /* J_STR: bytes (may hold NUL); J_NUM: the text */
    size_t len;
    struct jnode **items; /* J_ARR values, J_OBJ alternating key, value */
    size_t n;
} jnode;

typedef struct jparser {
    const char *p, *end;
    int err;
} jparser;

static void jskip(jparser *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static jnode *jnew(jkind k)
{
    jnode *n = calloc(1, sizeof(*n));
    if (!n) {
        perror("calloc");
        exit(2);
    }
    n->kind = k;
    return n;
}

static void jpush(jnode *n, jnode *item)
{
    jnode **it = realloc(n->items, (n->n + 1) * sizeof(*it));
    if (!it) {
        perror("realloc");
        exit(2);
    }
    n->items = it;
    n->items[n->n++] = item;
}

static void put_utf8(char *out, size_t *len, unsigned cp)
{
    if (cp < 0x80) {
        out[(*len)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*len)++] = (char)(0xC0 | (cp >> 6));
        out[(*len)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*len)++] = (char)(0xE0 | (cp >> 12));
        out[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*len)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*len)++] = (char)(0xF0 | (cp >> 18));
        out[(*len)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*len)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static jnode *jparse(jparser *j);

static jnode *jstring(jparser *j)
{
    j->p++;
    jnode *n = jnew(J_STR);
    n->str = malloc((size_t)(j->end - j->p) + 1);
    if (!n->str) {
        perror("malloc");
        exit(2);
    }
    while (j->p < j->end && *j->p != '"') {
        if (*j->p == '\\' && j->p + 1 < j->end) {
            char c = j->p[1];
            j->p += 2;
            switch (c) {
            case 'n': n->str[n->len++] = '\n'; break;
            case 't': n->str[n->len++] = '\t'; break;
            case 'r': n->str[n->len++] = '\r'; break;
            case 'b': n->str[n->len++] = '\b'; break;
            case 'f': n->str[n->len++] = '\f'; break;
            case 'u': {
                unsigned cp, lo;
                if (j->end - j->p < 4 || !hex4(j->p, &cp)) {
                    j->err = 1;
                    return n;
                }
                j->p += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' &&
                    j->p[1] == 'u' && hex4(j->p + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    j->p += 6;
                }
                put_utf8(n->str, &n->len, cp);
                break;
            }
            default: n->str[n->len++] = c; break;
            }
        } else {
            n->str[n->len++] = *j->p++;
        }
    }
    if (j->p >= j->end)
        j->err = 1;
    else
        j->p++;
    n->str[n->len] = 0;
    return n;
}

static jnode *jparse(jparser *j)
{
    jskip(j);
    if (j->p >= j->end) {
        j->err = 1;
        return jnew(J_NULL);
    }
    char c = *j->p;
    if (c == '"')
        return jstring(j);
    if (c == '{' || c == '[') {
        jnode *n = jnew(c == '{' ? J_OBJ : J_ARR);
        char close = c == '{' ? '}' : ']';
        j->p++;
        jskip(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return n;
        }
        while (!j->err) {
            if (n->kind == J_OBJ) {
                jskip(j);
                if (j->p >= j->end || *j->p != '"') {
                    j->err = 1;
                    break;
                }
                jpush(n, jstring(j));
                jskip(j);
                if (j->p >= j->end || *j->p != ':') {
                    j->err = 1;
                    break;
                }
                j->p++;
            }
            jpush(n, jparse(j));
            jskip(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->end && *j->p == close) {
                j->p++;
                break;
            }
            j->err = 1;
        }
        return n;
    }
    const char *s = j->p;
    while (j->p < j->end && *j->p != ',' && *j->p != '}' && *j->p != ']' && *j->p != ' ' &&
           *j->p != '\n')
        j->p++;
    jnode *n = jnew(J_NUM);
    n->len = (size_t)(j->p - s);
    n->str = malloc(n->len + 1);
    if (!n->str) {
        perror("malloc");
        exit(2);
    }
    memcpy(n->str, s, n->len);
    n->str[n->len] = 0;
    return n;
}

static void jfree(jnode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        jfree(n->items[i]);
    free(n->items);
    free(n->str);
    free(n);
}

static const jnode *jget(const jnode *o, const char *key)
{
    if (!o || o->kind != J_OBJ)
        return NULL;
    for (size_t i = 0; i + 1 < o->n; i += 2)
        if (strcmp(o->items[i]->str, key) == 0)
            return o->items[i + 1];
    return NULL;
}

static const char *jstr(const jnode *o, const char *key)
{
    const jnode *n = jget(o, key);
    return n && (n->kind == J_STR || n->kind == J_NUM) ? n->str : NULL;
}

/* ---- embedder plumbing ---- */


typedef struct named {
    char *name;
    size_t len;
    wasm_instance *inst;
} named;

typedef struct runner {
    wasm_env *env;
    const char *dir;
    wasm_instance *current;
    named *names;
    size_t nnames;
    named *registered;
    size_t nregistered;
    wasm_module **modules;
    size_t nmodules;
    /* spectest */
    wasm_func *print[7];
    wasm_global *g_i32, *g_i64, *g_f32, *g_f64;
    wasm_table *table;
    wasm_memory *memory;
    unsigned passed, failed, skipped_text, class_mismatch;
    const char *file;
} runner;

static wasm_status spectest_print(void *ctx, wasm_env *env, const wasm_value *args,
                                  wasm_value *results)
{
    (void)ctx;
    (void)env;
    (void)args;
    (void)results;
    return WASM_OK;
}

static int add_named(named **list, size_t *n, const char *name, size_t len, wasm_instance *inst)
{
    for (size_t i = 0; i < *n; i++)
        if ((*list)[i].len == len && memcmp((*list)[i].name, name, len) == 0) {
            (*list)[i].inst = inst;
            return 1;
        }
    named *l = realloc(*list, (*n + 1) * sizeof(named));
    if (!l)
        return 0;
    *list = l;
    l[*n].name = malloc(len + 1);
    if (!l[*n].name)
        return 0;
    memcpy(l[*n].name, name, len);
    l[*n].name[len] = 0;
    l[*n].len = len;
    l[*n].inst = inst;
    (*n)++;
    return 1;
}

static wasm_instance *find_named(const named *list, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].len == len && memcmp(list[i].name, name, len) == 0)
            return list[i].inst;
    return NULL;
}

static int name_is(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static wasm_status resolve(void *ctx, const char *module, size_t module_len, const char *name,
                           size_t name_len, wasm_extern_kind kind, wasm_extern *out)
{
    runner *r = ctx;
    (void)kind;
    if (name_is(module, module_len, "spectest")) {
        static const char *const prints[7] = {"print", "print_i32", "print_i64", "print_f32",
                                              "print_f64", "print_i32_f32", "print_f64_f64"};
        for (int i = 0; i < 7; i++)
            if (name_is(name, name_len, prints[i])) {
                out->kind = WASM_EXTERN_FUNC;
                out->u.func = r->print[i];
                return WASM_OK;
            }
        out->kind = WASM_EXTERN_GLOBAL;
        if (name_is(name, name_len, "global_i32")) { out->u.global = r->g_i32; return WASM_OK; }
        if (name_is(name, name_len, "global_i64")) { out->u.global = r->g_i64; return WASM_OK; }
        if (name_is(name, name_len, "global_f32")) { out->u.global = r->g_f32; return WASM_OK; }
        if (name_is(name, name_len, "global_f64")) { out->u.global = r->g_f64; return WASM_OK; }
        if (name_is(name, name_len, "table")) {
            out->kind = WASM_EXTERN_TABLE;
            out->u.table = r->table;
            return WASM_OK;
        }
        if (name_is(name, name_len, "memory")) {
            out->kind = WASM_EXTERN_MEMORY;
            out->u.memory = r->memory;
            return WASM_OK;
        }
        return WASM_ERR_UNKNOWN_IMPORT;
    }
    wasm_instance *inst = find_named(r->registered, r->nregistered, module, module_len);
    if (!inst)
        return WASM_ERR_UNKNOWN_IMPORT;
    if (wasm_instance_export(inst, name, name_len, out) != WASM_OK)
        return WASM_ERR_UNKNOWN_IMPORT;
    return WASM_OK;
}

static int setup_spectest(runner *r)
{
    static const uint8_t i32[] = {WASM_I32}, i64[] = {WASM_I64}, f32[] = {WASM_F32},
                         f64[] = {WASM_F64}, i32f32[] = {WASM_I32, WASM_F32},
                         f64f64[] = {WASM_F64, WASM_F64};
    const uint8_t *params[7] = {NULL, i32, i64, f32, f64, i32f32, f64f64};
    const uint32_t np[7] = {0, 1, 1, 1, 1, 2, 2};
    for (int i = 0; i < 7; i++)
        if (wasm_host_func_new(r->env, params[i], np[i], NULL, 0, spectest_print, NULL,
                               &r->print[i]) != WASM_OK)
            return 0;
    wasm_value v;
    v.i64 = 666;
    if (wasm_host_global_new(r->env, WASM_I32, 0, v, &r->g_i32) != WASM_OK ||
        wasm_host_global_new(r->env, WASM_I64, 0, v, &r->g_i64) != WASM_OK)
        return 0;
    v.i64 = 0;
    v.f32 = 666.6f;
    if (wasm_host_global_new(r->env, WASM_F32, 0, v, &r->g_f32) != WASM_OK)
        return 0;
    v.f64 = 666.6;
    if (wasm_host_global_new(r->env, WASM_F64, 0, v, &r->g_f64) != WASM_OK)
        return 0;
    return wasm_host_table_new(r->env, 10, 20, 1, &r->table) == WASM_OK &&
           wasm_host_memory_new(r->env, 1, 2, 1, &r->memory) == WASM_OK;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static void report_fail(runner *r, long line, const char *what)
{
    r->failed++;
    printf("FAIL %s:%ld: %s\n", r->file, line, what);
}

/* Load a module file; returns its status and keeps the module (instances point at it). */
static wasm_status load(runner *r, const char *filename, wasm_module **out)
{
    char path[4096];
    size_t len;
    snprintf(path, sizeof(path), "%s/%s", r->dir, filename);
    uint8_t *bytes = read_file(path, &len);
    *out = NULL;
    if (!bytes) {
        printf("cannot read %s: %s\n", path, strerror(errno));
        return WASM_ERR_NOT_FOUND;
    }
    wasm_status st = wasm_module_load(wasm_test_allocator(), NULL, bytes, len, out, NULL);
    free(bytes);
    if (st == WASM_OK) {
        wasm_module **l = realloc(r->modules, (r->nmodules + 1) * sizeof(*l));
        if (!l) {
            wasm_module_free(*out);
            *out = NULL;
            return WASM_ERR_NOMEM;
        }
        r->modules = l;
        l[r->nmodules++] = *out;
    }
    return st;
}

static int parse_value(const jnode *v, wasm_value *out, uint8_t *type)
{
    const char *t = jstr(v, "type"), *val = jstr(v, "value");
    if (!t || !val)
        return 0;
    out->i64 = 0;
    if (strcmp(t, "i32") == 0) *type = WASM_I32;
    else if (strcmp(t, "i64") == 0) *type = WASM_I64;
    else if (strcmp(t, "f32") == 0) *type = WASM_F32;
    else if (strcmp(t, "f64") == 0) *type = WASM_F64;
    else return 0;
    if (strncmp(val, "nan:", 4) == 0)
        return 2;
    errno = 0;
    unsigned long long x = strtoull(val, NULL, 10);
    if (errno)
        return 0;
    out->i64 = x;
    return 1;
}

/* Run an action; *st gets the call's status. Returns 0 if the action itself is bad. */
static int do_action(runner *r, const jnode *action, wasm_value *results, uint32_t *nresults,
                     wasm_status *st)
{
    const char *type = jstr(action, "type");
    const jnode *field = jget(action, "field");
    const jnode *modname = jget(action, "module");
    wasm_instance *inst = r->current;
    if (modname)
        inst = find_named(r->names, r->nnames, modname->str, modname->len);
    if (!inst || !type || !field)
        return 0;
    wasm_extern ex;
    if (wasm_instance_export(inst, field->str, field->len, &ex) != WASM_OK)
        return 0;
    if (strcmp(type, "get") == 0) {
        if (ex.kind != WASM_EXTERN_GLOBAL)
            return 0;
        results[0] = wasm_global_get(ex.u.global);
        *nresults = 1;
        *st = WASM_OK;
        return 1;
    }
    if (strcmp(type, "invoke") != 0 || ex.kind != WASM_EXTERN_FUNC)
        return 0;
    const jnode *args = jget(action, "args");
    wasm_value av[64];
    size_t na = args ? args->n : 0;
    if (na > 64)
        return 0;
    for (size_t i = 0; i < na; i++) {
        uint8_t t;
        if (parse_value(args->items[i], &av[i], &t) != 1)
            return 0;
    }
    const uint8_t *pt, *rt;
    uint32_t np, nr;
    wasm_func_type(ex.u.func, &pt, &np, &rt, &nr);
    *nresults = nr;
    *st = wasm_call(r->env, ex.u.func, av, na, results, nr);
    return 1;
}

static int value_matches(const jnode *exp, wasm_value got)
{
    wasm_value want;
    uint8_t t;
    int k = parse_value(exp, &want, &t);
    if (k == 0)
        return 0;
    if (k == 2) {
        const char *val = jstr(exp, "value");
        int canonical = strcmp(val, "nan:canonical") == 0;
        if (t == WASM_F32) {
            uint32_t b = got.i32 & 0x7FFFFFFFu;
            return canonical ? b == 0x7FC00000u : (b & 0x7FC00000u) == 0x7FC00000u;
        }
        if (t == WASM_F64) {
            uint64_t b = got.i64 & 0x7FFFFFFFFFFFFFFFull;
            return canonical ? b == 0x7FF8000000000000ull
                             : (b & 0x7FF8000000000000ull) == 0x7FF8000000000000ull;
        }
        return 0;
    }
    if (t == WASM_I32 || t == WASM_F32)
        return got.i32 == want.i32;
    return got.i64 == want.i64;
}

static int text_matches(wasm_status st, const char *text)
{
    const char *msg = wasm_status_message(st);
    if (!text)
        return 1;
    return strncmp(msg, text, strlen(text)) == 0 || strncmp(msg, text, strlen(msg)) == 0;
}

static void command(runner *r, const jnode *c)
{
    const char *type = jstr(c, "type");
    const char *ls = jstr(c, "line");
    long line = ls ? strtol(ls, NULL, 10) : 0;
    const char *filename = jstr(c, "filename");
    const char *text = jstr(c, "text");
    char msg[512];
    wasm_module *m;
    wasm_status st;
    if (!type) {
        report_fail(r, line, "command without a type");
        return;
    }
    if (strcmp(type, "module") == 0) {
        wasm_instance *inst = NULL;
        st = filename ? load(r, filename, &m) : WASM_ERR_ARGUMENT;
        if (st == WASM_OK)
            st = wasm_instantiate(r->env, m, resolve, r, &inst);
        if (st != WASM_OK) {
            snprintf(msg, sizeof(msg), "module %s: %s", filename ? filename : "?",
                     wasm_status_message(st));
            report_fail(r, line, msg);
            r->current = NULL;
            return;
        }
        r->current = inst;
        const jnode *name = jget(c, "name");
        if (name && !add_named(&r->names, &r->nnames, name->str, name->len, inst)) {
            report_fail(r, line, "out of memory");
            return;
        }
        r->passed++;
        return;
    }
    if (strcmp(type, "register") == 0) {
        const jnode *as = jget(c, "as");
        const jnode *name = jget(c, "name");
        wasm_instance *inst = name ? find_named(r->names, r->nnames, name->str, name->len)
                                   : r->current;
        if (!as || !inst || !add_named(&r->registered, &r->nregistered, as->str, as->len, inst)) {
            report_fail(r, line, "register: no such module");
            return;
        }
        r->passed++;
        return;
    }
    if (strcmp(type, "action") == 0 || strcmp(type, "assert_return") == 0 ||
        strcmp(type, "assert_trap") == 0 || strcmp(type, "assert_exhaustion") == 0) {
        wasm_value res[4];
        uint32_t nres = 0;
        const jnode *action = jget(c, "action");
        if (!action || !do_action(r, action, res, &nres, &st)) {
            report_fail(r, line, "bad action (no module or export)");
            return;
        }
        const jnode *field = jget(action, "field");
        if (strcmp(type, "action") == 0) {
            if (st != WASM_OK) {
                snprintf(msg, sizeof(msg), "action %s: %s", field->str, wasm_status_message(st));
                report_fail(r, line, msg);
                return;
            }
            r->passed++;
            return;
        }
        if (strcmp(type, "assert_return") == 0) {
            const jnode *exp = jget(c, "expected");
            if (st != WASM_OK) {
                snprintf(msg, sizeof(msg), "%s: trapped: %s", field->str, wasm_status_message(st));
                report_fail(r, line, msg);
                return;
            }
            if (!exp || exp->n != nres) {
                report_fail(r, line, "result count");
                return;
            }
            for (uint32_t i = 0; i < nres; i++)
                if (!value_matches(exp->items[i], res[i])) {
                    snprintf(msg, sizeof(msg), "%s: result %u is 0x%llx, expected %s",
                             field->str, i, (unsigned long long)res[i].i64,
                             jstr(exp->items[i], "value"));
                    report_fail(r, line, msg);
                    return;
                }
            r->passed++;
            return;
        }
        int exhaustion = strcmp(type, "assert_exhaustion") == 0;
        int ok = wasm_status_classify(st) == WASM_CLASS_TRAP && text_matches(st, text);
        if (exhaustion)
            ok = st == WASM_TRAP_CALL_DEPTH || st == WASM_TRAP_VALUE_STACK;
        if (!ok) {
            snprintf(msg, sizeof(msg), "%s: expected trap \"%s\", got %s", field->str,
                     text ? text : "", wasm_status_message(st));
            report_fail(r, line, msg);
            return;
        }
        r->passed++;
        return;
    }
    if (strcmp(type, "assert_malformed") == 0 || strcmp(type, "assert_invalid") == 0) {
        const char *mt = jstr(c, "module_type");
        if (mt && strcmp(mt, "text") == 0) {
            r->skipped_text++;
            return;
        }
        int malformed = type[7] == 'm';
        st = filename ? load(r, filename, &m) : WASM_ERR_ARGUMENT;
        wasm_status_class cls = wasm_status_classify(st);
        if (cls != WASM_CLASS_MALFORMED && cls != WASM_CLASS_INVALID) {
            snprintf(msg, sizeof(msg), "%s %s: expected \"%s\", got %s", type, filename,
                     text ? text : "", wasm_status_message(st));
            report_fail(r, line, msg);
            return;
        }
        if ((cls == WASM_CLASS_MALFORMED) != malformed) {
            r->class_mismatch++;
            if (getenv("WASM_SPEC_VERBOSE"))
                printf("note %s:%ld: %s reported as %s (%s)\n", r->file, line, type,
                       wasm_status_message(st), text ? text : "");
        }
        r->passed++;
        return;
    }
    if (strcmp(type, "assert_unlinkable") == 0 || strcmp(type, "assert_uninstantiable") == 0) {
        wasm_instance *inst;
        st = filename ? load(r, filename, &m) : WASM_ERR_ARGUMENT;
        if (st == WASM_OK)
            st = wasm_instantiate(r->env, m, resolve, r, &inst);
        wasm_status_class cls = wasm_status_classify(st);
        int ok = type[7] == 'u' && type[8] == 'n' && type[9] == 'l'
                     ? cls == WASM_CLASS_LINK
                     : (cls == WASM_CLASS_TRAP || cls == WASM_CLASS_LINK);
        if (!ok) {
            snprintf(msg, sizeof(msg), "%s %s: expected \"%s\", got %s", type,
                     filename ? filename : "?", text ? text : "", wasm_status_message(st));
            report_fail(r, line, msg);
            return;
        }
        r->passed++;
        return;
    }
    snprintf(msg, sizeof(msg), "unknown command %s", type);
    report_fail(r, line, msg);
}

static int run_script(const char *json_path)
{
    size_t len;
    uint8_t *text = read_file(json_path, &len);
    if (!text) {
        printf("cannot read %s: %s\n", json_path, strerror(errno));
        return 1;
    }
    jparser j = {(const char *)text, (const char *)text + len, 0};
    jnode *root = jparse(&j);
    const jnode *cmds = jget(root, "commands");
    if (j.err || !cmds || cmds->kind != J_ARR) {
        printf("%s: bad JSON\n", json_path);
        jfree(root);
        free(text);
        return 1;
    }
    runner r;
    memset(&r, 0, sizeof(r));
    char *dir = strdup(json_path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = 0;
    r.dir = slash ? dir : ".";
    const char *base = strrchr(json_path, '/');
    r.file = base ? base + 1 : json_path;
    wasm_limits lim = {65536, 1u << 20, 1u << 20, 20000, 64u << 20};
    if (wasm_env_new(wasm_test_allocator(), wasm_test_memory(), &lim, &r.env) != WASM_OK || !setup_spectest(&r)) {
        printf("%s: cannot set up the environment\n", json_path);
        return 1;
    }
    for (size_t i = 0; i < cmds->n; i++)
        command(&r, cmds->items[i]);
    printf("%s: %u passed, %u failed, %u skipped (text, not applicable)", r.file, r.passed,
           r.failed, r.skipped_text);
    if (r.class_mismatch)
        printf(", %u rejected in the other class (malformed/invalid)", r.class_mismatch);
    printf("\n");
    int rc = r.failed != 0;
    wasm_env_free(r.env);
    for (size_t i = 0; i < r.nmodules; i++)
        wasm_module_free(r.modules[i]);
    free(r.modules);
    for (size_t i = 0; i < r.nnames; i++)
        free(r.names[i].name);
    for (size_t i = 0; i < r.nregistered; i++)
        free(r.registered[i].name);
    free(r.names);
    free(r.registered);
    free(dir);
    jfree(root);
    free(text);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRIPT.json...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        rc |= run_script(argv[i]);
    return rc;
}
