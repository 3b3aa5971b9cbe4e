/* Crash states: workloads run over a device that records every write and flush; then, at
 * every write, the disk a power cut could leave (none, all, random subsets, reordered,
 * the last write torn mid-sector, of the writes since the last completed flush) is
 * mounted, checked, and its tree compared with the model after some prefix of the
 * operations: at least every operation whose sync returned, at most those begun.
 * STORE_CRASH_STRESS=N multiplies the random variants per write by N. */
#include "store_test_util.h"

#include <stdarg.h>

/* ---- the model: paths to contents ---- */

#define MODEL_MAX 256

typedef struct ment {
    char path[160];
    uint32_t type;
    uint8_t *data;
    size_t len;
} ment;

typedef struct model {
    ment e[MODEL_MAX];
    int n;
} model;

static ment *m_find(model *m, const char *path)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->e[i].path, path) == 0)
            return &m->e[i];
    return NULL;
}

static void m_remove(model *m, const char *path)
{
    ment *e = m_find(m, path);
    if (e == NULL)
        abort();
    free(e->data);
    *e = m->e[--m->n];
}

static void m_add(model *m, const char *path, uint32_t type)
{
    if (m->n == MODEL_MAX)
        abort();
    ment *e = &m->e[m->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->path, sizeof e->path, "%s", path);
    e->type = type;
}

static void m_resize(ment *e, size_t len)
{
    e->data = realloc(e->data, len ? len : 1);
    if (e->data == NULL)
        abort();
    if (len > e->len)
        memset(e->data + e->len, 0, len - e->len);
    e->len = len;
}

static void m_rename(model *m, const char *from, const char *to)
{
    ment *t = m_find(m, to);
    if (t != NULL)
        m_remove(m, to);
    size_t fl = strlen(from);
    for (int i = 0; i < m->n; i++) {
        ment *e = &m->e[i];
        if (strcmp(e->path, from) == 0) {
            snprintf(e->path, sizeof e->path, "%s", to);
        } else if (strncmp(e->path, from, fl) == 0 && e->path[fl] == '/') {
            char rest[160];
            snprintf(rest, sizeof rest, "%s", e->path + fl);
            snprintf(e->path, sizeof e->path, "%s%s", to, rest);
        }
    }
}

static uint64_t m_digest(const model *m)
{
    uint64_t sum = 0;
    for (int i = 0; i < m->n; i++)
        sum += entry_hash(m->e[i].path, m->e[i].type, m->e[i].data, m->e[i].len);
    return sum;
}

static void m_clear(model *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->e[i].data);
    m->n = 0;
}

/* ---- a workload run, recorded ---- */

typedef struct run {
    const char *name;
    simdev d;
    store s;
    void *mem;
    size_t memlen;
    store_root r;
    uint8_t *base; /* the image right after mkfs */
    model m;
    int allow_nospc;
    /* per operation: its first event, and the model's digest after it */
    size_t nops, capops;
    size_t *op_start;
    uint64_t *digest; /* digest[k]: after k operations; digest[0] the empty store */
    long *synced;     /* synced[k]: event index after which ops 0..k-1 are durable, or -1 */
    uint64_t rng;
    int failed;
} run;

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void fail_run(run *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL %s: ", w->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    w->failed = 1;
}

static void run_init(run *w, const char *name, uint64_t sectors, uint32_t cache, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    w->name = name;
    w->rng = seed;
    sim_init(&w->d, sectors);
    w->mem = store_test_mem(sectors, 1024, cache, &w->memlen);
    if (store_mkfs(&w->d.dev, 1024) != STORE_OK ||
        store_mount(&w->s, &w->d.dev, w->mem, w->memlen) != STORE_OK ||
        store_root_handle(&w->s, &w->r) != STORE_OK)
        abort();
    w->base = malloc(sectors * STORE_SECTOR);
    memcpy(w->base, w->d.img, sectors * STORE_SECTOR);
    w->d.record = 1;
    w->capops = 1024;
    w->op_start = calloc(w->capops, sizeof(size_t));
    w->digest = calloc(w->capops + 1, sizeof(uint64_t));
    w->synced = calloc(w->capops + 1, sizeof(long));
    w->digest[0] = m_digest(&w->m);
}

enum { OP_CREATE, OP_MKDIR, OP_WRITE, OP_TRUNC, OP_RENAME, OP_UNLINK, OP_RMDIR, OP_SYNC };

/* Runs one operation on the store and, when it succeeds, on the model. */
static store_err op(run *w, int kind, const char *a, const char *b, uint64_t off, size_t len,
                    uint32_t seed)
{
    if (w->nops == w->capops)
        abort();
    w->op_start[w->nops] = w->d.nlog;
    static uint8_t buf[1 << 20];
    store_err e = STORE_OK;
    switch (kind) {
    case OP_CREATE:
        e = store_create(&w->s, &w->r, a);
        break;
    case OP_MKDIR:
        e = store_mkdir(&w->s, &w->r, a);
        break;
    case OP_WRITE:
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1664525u + 1013904223u;
            buf[i] = (uint8_t)(seed >> 24);
        }
        e = store_write(&w->s, &w->r, a, off, buf, len);
        break;
    case OP_TRUNC:
        e = store_truncate(&w->s, &w->r, a, off);
        break;
    case OP_RENAME:
        e = store_rename(&w->s, &w->r, a, b);
        break;
    case OP_UNLINK:
        e = store_unlink(&w->s, &w->r, a);
        break;
    case OP_RMDIR:
        e = store_rmdir(&w->s, &w->r, a);
        break;
    case OP_SYNC:
        e = store_sync(&w->s);
        break;
    }
    if (e == STORE_E_NOSPC && w->allow_nospc) {
        /* Refused: the model is unchanged. */
    } else if (e != STORE_OK) {
        fail_run(w, "operation %zu (%d %s) failed: %s", w->nops, kind, a ? a : "",
                 store_strerror(e));
    } else {
        ment *m;
        switch (kind) {
        case OP_CREATE:
            m_add(&w->m, a, STORE_T_FILE);
            break;
        case OP_MKDIR:
            m_add(&w->m, a, STORE_T_DIR);
            break;
        case OP_WRITE:
            m = m_find(&w->m, a);
            if (off + len > m->len)
                m_resize(m, off + len);
            memcpy(m->data + off, buf, len);
            break;
        case OP_TRUNC:
            m_resize(m_find(&w->m, a), off);
            break;
        case OP_RENAME:
            if (strcmp(a, b) != 0)
                m_rename(&w->m, a, b);
            break;
        case OP_UNLINK:
        case OP_RMDIR:
            m_remove(&w->m, a);
            break;
        }
    }
    w->nops++;
    w->digest[w->nops] = m_digest(&w->m);
    w->synced[w->nops] = (kind == OP_SYNC && e == STORE_OK) ? (long)w->d.nlog : -1;
    return e;
}

/* ---- the crash states ---- */

typedef struct crashctx {
    simdev view; /* reads the image under test */
    void *mem;
    size_t memlen;
    uint8_t *undo;
    uint32_t *undo_lba;
    size_t nundo;
    uint64_t states;
} crashctx;

static void apply(crashctx *c, uint8_t *img, uint32_t lba, const uint8_t *data, size_t bytes)
{
    memcpy(c->undo + c->nundo * STORE_SECTOR, img + (size_t)lba * STORE_SECTOR, STORE_SECTOR);
    c->undo_lba[c->nundo++] = lba;
    memcpy(img + (size_t)lba * STORE_SECTOR, data, bytes);
}

static void undo_all(crashctx *c, uint8_t *img)
{
    while (c->nundo > 0) {
        c->nundo--;
        memcpy(img + (size_t)c->undo_lba[c->nundo] * STORE_SECTOR,
               c->undo + c->nundo * STORE_SECTOR, STORE_SECTOR);
    }
}

/* Mounts the image as it stands and compares it with the operations' prefixes. */
static void verify(run *w, crashctx *c, size_t at, const char *variant, size_t kmin, size_t kmax)
{
    store s;
    c->states++;
    store_err e = store_mount(&s, &c->view.dev, c->mem, c->memlen);
    if (e != STORE_OK) {
        char msg[200];
        store_fault_format(store_last_fault(&s), msg, sizeof msg);
        fail_run(w, "crash at event %zu (%s): mount failed: %s (%s)", at, variant,
                 store_strerror(e), msg);
        return;
    }
    uint64_t problems = check_problems(&s);
    if (problems != 0) {
        char msg[200];
        store_fault_format(store_last_fault(&s), msg, sizeof msg);
        fail_run(w, "crash at event %zu (%s): check found %llu problem(s): %s", at, variant,
                 (unsigned long long)problems, msg);
        return;
    }
    uint64_t dg;
    e = tree_digest(&s, &dg);
    if (e != STORE_OK) {
        fail_run(w, "crash at event %zu (%s): reading the tree: %s", at, variant, store_strerror(e));
        return;
    }
    for (size_t k = kmin; k <= kmax; k++)
        if (w->digest[k] == dg)
            return;
    fail_run(w, "crash at event %zu (%s): the tree matches no state after %zu..%zu operations",
             at, variant, kmin, kmax);
}

static uint64_t crash_all(run *w, int stress)
{
    crashctx c;
    memset(&c, 0, sizeof c);
    uint64_t sectors = w->d.sectors;
    uint8_t *img = malloc(sectors * STORE_SECTOR);
    memcpy(img, w->base, sectors * STORE_SECTOR);
    sim_init(&c.view, 1);
    free(c.view.img);
    c.view.img = img;
    c.view.sectors = sectors;
    c.view.dev.block_count = sectors;
    c.mem = store_test_mem(sectors, 1024, 64, &c.memlen);
    size_t nlog = w->d.nlog;
    c.undo = malloc((nlog + 1) * STORE_SECTOR);
    c.undo_lba = malloc((nlog + 1) * sizeof(uint32_t));
    size_t *pend = malloc((nlog + 1) * sizeof(size_t));
    size_t flushed_upto = 0; /* events [0, flushed_upto) are applied to img */
    size_t op_at = 0;        /* operations begun at or before the current event */
    size_t kmin = 0;
    int rounds = 6 * stress;
    for (size_t at = 0; at < nlog && !w->failed; at++) {
        const simev *ev = &w->d.log[at];
        while (op_at < w->nops && w->op_start[op_at] <= at)
            op_at++;
        if (ev->flush) {
            /* Completed: everything before it is on the disk for good. */
            for (size_t i = flushed_upto; i < at; i++)
                if (!w->d.log[i].flush)
                    memcpy(img + (size_t)w->d.log[i].lba * STORE_SECTOR, w->d.log[i].data,
                           STORE_SECTOR);
            flushed_upto = at + 1;
            /* "None": the disk exactly as the flush left it. */
            for (size_t k = kmin; k <= w->nops; k++)
                if (w->synced[k] >= 0 && (size_t)w->synced[k] <= at + 1)
                    kmin = k;
            verify(w, &c, at, "at a flush", kmin, op_at);
            continue;
        }
        for (size_t k = kmin; k <= w->nops; k++)
            if (w->synced[k] >= 0 && (size_t)w->synced[k] <= at)
                kmin = k;
        size_t np = 0;
        for (size_t i = flushed_upto; i <= at; i++)
            if (!w->d.log[i].flush)
                pend[np++] = i;
        if (np == 1) {
            /* None of the writes since the last flush: one disk for the whole interval,
             * checked at its first write, where the fewest operations have begun. */
            verify(w, &c, at, "none pending", kmin, op_at);
        }
        /* All of them, in order. */
        for (size_t i = 0; i < np; i++)
            apply(&c, img, w->d.log[pend[i]].lba, w->d.log[pend[i]].data, STORE_SECTOR);
        verify(w, &c, at, "all pending", kmin, op_at);
        undo_all(&c, img);
        for (int r = 0; r < rounds && np > 1; r++) {
            for (size_t i = 0; i < np; i++)
                if (rnd(&w->rng) & 1)
                    apply(&c, img, w->d.log[pend[i]].lba, w->d.log[pend[i]].data, STORE_SECTOR);
            verify(w, &c, at, "random subset", kmin, op_at);
            undo_all(&c, img);
        }
        for (int r = 0; r < 3 * stress && np > 1; r++) {
            /* Reordered: a random subset applied in a shuffled order (later writes of the
             * same sector may land before earlier ones). */
            size_t *perm = malloc(np * sizeof(size_t));
            for (size_t i = 0; i < np; i++)
                perm[i] = pend[i];
            for (size_t i = np - 1; i > 0; i--) {
                size_t j = (size_t)(rnd(&w->rng) % (i + 1));
                size_t t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            for (size_t i = 0; i < np; i++)
                if (rnd(&w->rng) % 4 != 0)
                    apply(&c, img, w->d.log[perm[i]].lba, w->d.log[perm[i]].data, STORE_SECTOR);
            free(perm);
            verify(w, &c, at, "reordered subset", kmin, op_at);
            undo_all(&c, img);
        }
        for (int r = 0; r < 2 * stress; r++) {
            /* The last write torn mid-sector, after all (then a subset) of the others. */
            for (int sub = 0; sub < 2; sub++) {
                for (size_t i = 0; i + 1 < np; i++)
                    if (sub == 0 || (rnd(&w->rng) & 1))
                        apply(&c, img, w->d.log[pend[i]].lba, w->d.log[pend[i]].data, STORE_SECTOR);
                size_t cut = 1 + (size_t)(rnd(&w->rng) % (STORE_SECTOR - 1));
                apply(&c, img, ev->lba, ev->data, cut);
                verify(w, &c, at, sub ? "torn last after a subset" : "torn last", kmin, op_at);
                undo_all(&c, img);
                if (np == 1)
                    break;
            }
        }
    }
    /* And the end: everything written. */
    free(pend);
    free(c.undo);
    free(c.undo_lba);
    free(c.mem);
    free(img);
    c.view.img = NULL;
    sim_free(&c.view);
    return c.states;
}

static void run_free(run *w)
{
    sim_free(&w->d);
    free(w->mem);
    free(w->base);
    free(w->op_start);
    free(w->digest);
    free(w->synced);
    m_clear(&w->m);
}

/* ---- workloads ---- */

static void wl_small_files(run *w)
{
    char p[64];
    op(w, OP_MKDIR, "s", NULL, 0, 0, 0);
    for (int i = 0; i < 36; i++) {
        snprintf(p, sizeof p, i % 2 ? "s/f%02d" : "f%02d", i);
        op(w, OP_CREATE, p, NULL, 0, 0, 0);
        op(w, OP_WRITE, p, NULL, 0, 40 + (size_t)(rnd(&w->rng) % 1400), (uint32_t)i);
        if (i % 4 == 3)
            op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
        if (i % 7 == 6) {
            /* Overwrite an earlier file, if it is still there. */
            snprintf(p, sizeof p, (i - 3) % 2 ? "s/f%02d" : "f%02d", i - 3);
            if (m_find(&w->m, p) != NULL)
                op(w, OP_WRITE, p, NULL, 17, 300, (uint32_t)(i * 7));
        }
        if (i % 9 == 8) {
            snprintf(p, sizeof p, (i - 2) % 2 ? "s/f%02d" : "f%02d", i - 2);
            op(w, OP_UNLINK, p, NULL, 0, 0, 0);
        }
    }
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
}

static void wl_large_files(run *w)
{
    op(w, OP_CREATE, "L1", NULL, 0, 0, 0);
    for (int i = 0; i < 8; i++) {
        op(w, OP_WRITE, "L1", NULL, (uint64_t)i * 8192, 8192, (uint32_t)(100 + i));
        if (i % 2 == 1)
            op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    }
    op(w, OP_WRITE, "L1", NULL, 20000, 12000, 7);
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    op(w, OP_TRUNC, "L1", NULL, 40001, 0, 0);
    op(w, OP_CREATE, "L2", NULL, 0, 0, 0);
    op(w, OP_WRITE, "L2", NULL, 0, 30000, 8);
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    op(w, OP_UNLINK, "L1", NULL, 0, 0, 0);
    op(w, OP_WRITE, "L2", NULL, 29000, 20000, 9);
    op(w, OP_TRUNC, "L2", NULL, 1000, 0, 0);
    op(w, OP_WRITE, "L2", NULL, 60000, 100, 10);
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
}

static void wl_renames(run *w)
{
    char p[32], q[32];
    for (int i = 0; i < 8; i++) {
        snprintf(p, sizeof p, "a%d", i);
        op(w, OP_CREATE, p, NULL, 0, 0, 0);
        op(w, OP_WRITE, p, NULL, 0, 200 + (size_t)i * 50, (uint32_t)i);
    }
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    for (int i = 0; i < 24; i++) {
        /* The atomic-replace idiom: write a temporary, rename it over the target. */
        snprintf(q, sizeof q, "a%d", (int)(rnd(&w->rng) % 8));
        op(w, OP_CREATE, "tmp", NULL, 0, 0, 0);
        op(w, OP_WRITE, "tmp", NULL, 0, 100 + (size_t)(rnd(&w->rng) % 900), (uint32_t)(50 + i));
        op(w, OP_RENAME, "tmp", q, 0, 0, 0);
        if (i % 3 == 2)
            op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    }
    op(w, OP_RENAME, "a1", "a2", 0, 0, 0);
    op(w, OP_MKDIR, "d", NULL, 0, 0, 0);
    op(w, OP_RENAME, "a3", "d/a3", 0, 0, 0);
    op(w, OP_RENAME, "a4", "d/a5", 0, 0, 0);
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    op(w, OP_RENAME, "d", "e", 0, 0, 0);
    op(w, OP_RENAME, "a5", "e/a3", 0, 0, 0);
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
}

static void wl_trees(run *w)
{
    const char *dirs[] = {"t", "t/a", "t/b", "t/a/x", "t/a/y", "t/b/x", "t/b/y", "t/a/x/deep"};
    char p[64];
    for (int i = 0; i < 8; i++) {
        op(w, OP_MKDIR, dirs[i], NULL, 0, 0, 0);
        if (i % 3 == 2)
            op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    }
    for (int i = 0; i < 12; i++) {
        snprintf(p, sizeof p, "%s/f%d", dirs[3 + i % 5], i);
        op(w, OP_CREATE, p, NULL, 0, 0, 0);
        op(w, OP_WRITE, p, NULL, 0, 64 + (size_t)(rnd(&w->rng) % 700), (uint32_t)i);
    }
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    op(w, OP_RENAME, "t/a/x", "t/b/z", 0, 0, 0);
    op(w, OP_RENAME, "t/b/y", "t/a/y2", 0, 0, 0);
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    op(w, OP_UNLINK, "t/b/x/f2", NULL, 0, 0, 0);
    op(w, OP_UNLINK, "t/b/x/f7", NULL, 0, 0, 0);
    op(w, OP_RMDIR, "t/b/x", NULL, 0, 0, 0);
    op(w, OP_MKDIR, "t/b/x", NULL, 0, 0, 0);
    op(w, OP_RENAME, "t/b/z", "t/b/x", 0, 0, 0);
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    op(w, OP_RENAME, "t/b", "u", 0, 0, 0);
    op(w, OP_WRITE, "u/x/deep/f9", NULL, 5, 100, 99);
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
}

static void wl_full_disk(run *w)
{
    char p[32];
    w->allow_nospc = 1;
    int made = 0;
    for (int i = 0; i < 30; i++) {
        snprintf(p, sizeof p, "f%d", i);
        if (op(w, OP_CREATE, p, NULL, 0, 0, 0) != STORE_OK)
            break;
        store_err e = op(w, OP_WRITE, p, NULL, 0, 4096, (uint32_t)i);
        op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
        if (e == STORE_E_NOSPC)
            break;
        made++;
    }
    if (made < 3)
        fail_run(w, "full-disk workload filled after %d files", made);
    op(w, OP_UNLINK, "f0", NULL, 0, 0, 0);
    op(w, OP_UNLINK, "f1", NULL, 0, 0, 0);
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    for (int i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "g%d", i);
        if (op(w, OP_CREATE, p, NULL, 0, 0, 0) != STORE_OK)
            break;
        op(w, OP_WRITE, p, NULL, 0, 3000, (uint32_t)(40 + i));
        if (i % 2 == 1)
            op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    }
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
}

/* Rewrites on a small disk: the allocator laps the disk many times, so sectors the last
 * commit still needs are next to the cursor again and again. */
static void wl_overwrites(run *w)
{
    op(w, OP_CREATE, "F", NULL, 0, 0, 0);
    op(w, OP_WRITE, "F", NULL, 0, 16384, 1);
    op(w, OP_CREATE, "G", NULL, 0, 0, 0);
    op(w, OP_WRITE, "G", NULL, 0, 3000, 2);
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    for (int i = 0; i < 40; i++) {
        uint64_t off = rnd(&w->rng) % 14000;
        op(w, OP_WRITE, i % 3 ? "F" : "G", NULL, i % 3 ? off : off % 2000, 1024 + (size_t)(rnd(&w->rng) % 2048),
           (uint32_t)(10 + i));
        if (i % 4 == 3)
            op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
        if (i % 10 == 9)
            op(w, OP_TRUNC, "G", NULL, 100 + rnd(&w->rng) % 3000, 0, 0);
    }
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
}

/* Long transactions in a cache of 64 nodes (the least a store takes): the store must commit on its own between
 * operations, and a crash may then show any prefix of the operations, never part of one. */
static void wl_cache_pressure(run *w)
{
    char p[48];
    for (int d = 0; d < 4; d++) {
        snprintf(p, sizeof p, "d%d", d);
        op(w, OP_MKDIR, p, NULL, 0, 0, 0);
        snprintf(p, sizeof p, "d%d/e", d);
        op(w, OP_MKDIR, p, NULL, 0, 0, 0);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(p, sizeof p, "d%d/e/f%d", i % 4, i);
        op(w, OP_CREATE, p, NULL, 0, 0, 0);
        op(w, OP_WRITE, p, NULL, 0, 20 + (size_t)(rnd(&w->rng) % 300), (uint32_t)i);
        if (i == 45)
            op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
    }
    op(w, OP_RENAME, "d1/e", "d2/e2", 0, 0, 0);
    op(w, OP_SYNC, NULL, NULL, 0, 0, 0);
}

typedef struct wl {
    const char *name;
    void (*fn)(run *);
    uint64_t sectors;
    uint32_t cache;
} wl;

int main(void)
{
    const char *env = getenv("STORE_CRASH_STRESS");
    int stress = env != NULL ? atoi(env) : 1;
    if (stress < 1)
        stress = 1;
    const wl wls[] = {
        {"many small files", wl_small_files, 1024, 64},
        {"large files", wl_large_files, 1024, 64},
        {"renames over existing files", wl_renames, 512, 64},
        {"directory trees", wl_trees, 512, 64},
        {"full disk", wl_full_disk, 112, 64},
        {"overwrites on a small disk", wl_overwrites, 160, 64},
        {"commits forced by the cache", wl_cache_pressure, 1024, 64},
    };
    uint64_t total = 0;
    int failed = 0;
    for (size_t i = 0; i < sizeof wls / sizeof wls[0]; i++) {
        for (int seed = 0; seed < stress; seed++) {
            run w;
            run_init(&w, wls[i].name, wls[i].sectors, wls[i].cache, 0x9e3779b97f4a7c15ull + (uint64_t)seed * 7919);
            wls[i].fn(&w);
            uint64_t n = 0;
            if (!w.failed) {
                /* The live store agrees with the model before any crash is tried. */
                uint64_t dg;
                if (tree_digest(&w.s, &dg) != STORE_OK || dg != w.digest[w.nops])
                    fail_run(&w, "the store differs from the model after the workload");
                else
                    n = crash_all(&w, stress);
            }
            size_t syncs = 0;
            for (size_t k = 1; k <= w.nops; k++)
                syncs += w.synced[k] >= 0;
            printf("%-28s seed %d: %zu operations (%zu syncs, %llu commits), %zu device events, "
                   "%llu crash states%s\n",
                   wls[i].name, seed, w.nops, syncs, (unsigned long long)w.s.stats.commits,
                   w.d.nlog, (unsigned long long)n, w.failed ? " FAILED" : "");
            total += n;
            failed |= w.failed;
            run_free(&w);
        }
    }
    printf("crash states checked: %llu\n", (unsigned long long)total);
    if (!failed && total < 10000) {
        printf("FAIL: fewer than 10000 crash states\n");
        failed = 1;
    }
    return failed ? 1 : 0;
}
