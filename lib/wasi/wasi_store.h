/* WASI's file-system backend over lib/store (one store root is one preopen), and the one
 * mapping of the store's errors to WASI errno values, shared with the guest's Files client. */
#ifndef WASI_STORE_H
#define WASI_STORE_H

#include "store.h"
#include "wasi.h"

/* A store error (or a Files error minus 600) as the WASI errno an app sees. */
static inline wasi_errno wasi_errno_from_store(int e)
{
    switch (e) {
    case STORE_OK: return WASI_ESUCCESS;
    case STORE_E_NOMEM: return WASI_ENOMEM;
    case STORE_E_INVAL: return WASI_EINVAL;
    case STORE_E_NOENT: return WASI_ENOENT;
    case STORE_E_EXIST: return WASI_EEXIST;
    case STORE_E_NOTDIR: return WASI_ENOTDIR;
    case STORE_E_ISDIR: return WASI_EISDIR;
    case STORE_E_NOTEMPTY: return WASI_ENOTEMPTY;
    case STORE_E_NOSPC: return WASI_ENOSPC;
    case STORE_E_QUOTA_BYTES: return WASI_EDQUOT;
    case STORE_E_QUOTA_ENTRIES: return WASI_EDQUOT;
    case STORE_E_NOINODE: return WASI_ENOSPC;
    case STORE_E_NAMETOOLONG: return WASI_ENAMETOOLONG;
    case STORE_E_PATHTOOLONG: return WASI_ENAMETOOLONG;
    case STORE_E_ABSOLUTE: return WASI_ENOTCAPABLE;
    case STORE_E_DOTDOT: return WASI_ENOTCAPABLE;
    case STORE_E_EMPTYNAME: return WASI_EINVAL;
    case STORE_E_NEEDNAME: return WASI_EBUSY;
    case STORE_E_CYCLE: return WASI_EINVAL;
    case STORE_E_TOOBIG: return WASI_EFBIG;
    case STORE_E_STALE: return WASI_ESTALE;
    default: return WASI_EIO; /* IO, CORRUPT, NOSTORE, DEVICE, BROKEN, BUSY */
    }
}

typedef struct wasi_store_tree {
    store *s;
    store_root root;
} wasi_store_tree;

/* The operations for a wasi_preopen whose ctx is a wasi_store_tree. */
const wasi_fs_ops *wasi_store_ops(void);

#endif
