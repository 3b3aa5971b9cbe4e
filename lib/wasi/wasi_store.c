/* The WASI file-system backend over lib/store: each operation is the store's own, on the
 * tree's root; the host tool and tests use it, so apps see the guest's store semantics. */
#include "wasi_store.h"

#include <string.h>

static wasi_errno ws_stat(void *ctx, const char *path, wasi_file_stat *out)
{
    wasi_store_tree *t = ctx;
    store_stat st;
    store_err e = store_stat_path(t->s, &t->root, path, &st);
    if (e != STORE_OK)
        return wasi_errno_from_store(e);
    out->type = st.type == STORE_T_DIR ? WASI_FILETYPE_DIRECTORY : WASI_FILETYPE_REGULAR_FILE;
    out->ino = st.ino;
    out->size = st.type == STORE_T_DIR ? 0 : st.size;
    return WASI_ESUCCESS;
}

static wasi_errno ws_create(void *ctx, const char *path)
{
    wasi_store_tree *t = ctx;
    return wasi_errno_from_store(store_create(t->s, &t->root, path));
}

static wasi_errno ws_mkdir(void *ctx, const char *path)
{
    wasi_store_tree *t = ctx;
    return wasi_errno_from_store(store_mkdir(t->s, &t->root, path));
}

static wasi_errno ws_read(void *ctx, const char *path, uint64_t off, void *buf, size_t len,
                          size_t *got)
{
    wasi_store_tree *t = ctx;
    return wasi_errno_from_store(store_read(t->s, &t->root, path, off, buf, len, got));
}

static wasi_errno ws_write(void *ctx, const char *path, uint64_t off, const void *buf,
                           size_t len)
{
    wasi_store_tree *t = ctx;
    return wasi_errno_from_store(store_write(t->s, &t->root, path, off, buf, len));
}

static wasi_errno ws_truncate(void *ctx, const char *path, uint64_t size)
{
    wasi_store_tree *t = ctx;
    return wasi_errno_from_store(store_truncate(t->s, &t->root, path, size));
}

static wasi_errno ws_rename(void *ctx, const char *from, const char *to)
{
    wasi_store_tree *t = ctx;
    return wasi_errno_from_store(store_rename(t->s, &t->root, from, to));
}

static wasi_errno ws_unlink(void *ctx, const char *path)
{
    wasi_store_tree *t = ctx;
    return wasi_errno_from_store(store_unlink(t->s, &t->root, path));
}

static wasi_errno ws_rmdir(void *ctx, const char *path)
{
    wasi_store_tree *t = ctx;
    return wasi_errno_from_store(store_rmdir(t->s, &t->root, path));
}

static wasi_errno ws_list(void *ctx, const char *path, uint64_t *cookie, char *name,
                          size_t name_cap, wasi_file_stat *st, int *end)
{
    wasi_store_tree *t = ctx;
    store_dirent d;
    store_err e = store_list(t->s, &t->root, path, cookie, &d);
    if (e == STORE_E_END) {
        *end = 1;
        return WASI_ESUCCESS;
    }
    if (e != STORE_OK)
        return wasi_errno_from_store(e);
    size_t n = strlen(d.name);
    if (n + 1 > name_cap)
        return WASI_ENAMETOOLONG;
    memcpy(name, d.name, n + 1);
    st->type = d.type == STORE_T_DIR ? WASI_FILETYPE_DIRECTORY : WASI_FILETYPE_REGULAR_FILE;
    st->ino = d.ino;
    st->size = d.size;
    *end = 0;
    return WASI_ESUCCESS;
}

static wasi_errno ws_sync(void *ctx)
{
    wasi_store_tree *t = ctx;
    return wasi_errno_from_store(store_sync(t->s));
}

static const wasi_fs_ops store_ops = {
    ws_stat, ws_create, ws_mkdir, ws_read, ws_write, ws_truncate, ws_rename, ws_unlink,
    ws_rmdir, ws_list, ws_sync, 32768, /* well inside what one store operation may change */
};

const wasi_fs_ops *wasi_store_ops(void)
{
    return &store_ops;
}
