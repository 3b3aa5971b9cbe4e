/* The package service: verifies staged packages against the trust store and the system's
 * allowance (lib/pkg, lib/pkgsvc), installs them atomically into its subtree of the file
 * store, keeps the durable record of the highest version per name and the audit file, and
 * hands verified payloads to runners. Layout and argument: docs/packages.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */
#include "pkg.h"
#include "pkgsvc.h"

#define CLIENTS 2u
#define INDEX_MAX 32u
#define CHUNK PACKAGE_SERVICE_STORE_SIZE
#define FILE_NAME_MAX 54u
/* The largest package lib/pkg can describe: header, manifest, signature, payload. */
#define PACKAGE_LIMIT ((uint64_t)PKG_HEADER_SIZE + PKG_MANIFEST_MAX + PKG_SIGNATURE_SIZE + \
                       PKG_PAYLOAD_MAX)

struct installed {
    pkg_info info;
    uint8_t digest[64];       /* SHA-512 of its signed part (header and manifest) */
    uint64_t size;
};

static struct {
    uint32_t count;
    uint8_t id[PKGSVC_KEYS_MAX][PKG_KEY_ID_SIZE];
    crypto_ed25519_key key[PKGSVC_KEYS_MAX];
} trust;

static pkgsvc_allow allow;
static pkgsvc_versions versions;
static bool record_ok;
static struct installed index_[INDEX_MAX];
static uint32_t index_count;
static uint8_t *pkgbuf;
static uint64_t pkgbuf_cap;
/* The package whose verified bytes pkgbuf holds, for read; "" when none. */
static char cached[PKG_NAME_MAX + 1];
static char record_text[PKGSVC_VERSIONS_FILE_MAX];

/* Instructions retired so far (every process and the kernel: exact under -icount). */
static uint64_t instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

/* ---- the service lock (docs/packages.md, "Threads") ------------------------------------- */

/* Every call runs holding this lock, so all state (the index, the record, the package
 * buffer, the store's dataport) has one owner at a time. A download gives it up while it
 * waits on the network and takes it back for each write into the store. The holder
 * always gives it back within one call, whose own bounds (the store's, fetch_limit_ms)
 * end it; a wait far beyond those is a bug, and the service stops rather than hang. */
#define LOCK_WAIT_TICKS_MAX 60000u /* 10 minutes of 10 ms ticks */

static uint32_t svc_lock;

static void lock_take(void)
{
    for (uint32_t tick = 0;; tick++) {
        if (__atomic_exchange_n(&svc_lock, 1u, __ATOMIC_ACQUIRE) == 0u)
            return;
        if (tick >= LOCK_WAIT_TICKS_MAX) {
            printf("pkgsvc: the service lock was held for 10 minutes: stopping\n");
            anv_console_flush();
            anv_proc_exit(3);
        }
        /* The holder is usually blocked in the file store: a yield would spin, so sleep. */
        (void)anv_wait_one(ANV_HANDLE_NULL, 1, NULL, NULL);
    }
}

static void lock_give(void)
{
    __atomic_store_n(&svc_lock, 0u, __ATOMIC_RELEASE);
}

/* The generated serve loop with the lock around each call; every thread of the service
 * runs it on the one endpoint, so while one waits on a download another answers. */
static _Noreturn void serve_locked(void)
{
    uint64_t info, badge;
    int err = anv_ipc_receive(PACKAGE_SERVICE_HANDLE_SERVICE, &info, &badge);
    for (;;) {
        if (err != ANV_OK) {
            err = anv_ipc_receive(PACKAGE_SERVICE_HANDLE_SERVICE, &info, &badge);
            continue;
        }
        lock_take();
        uint64_t reply = package_service_dispatch(info, badge);
        lock_give();
        err = anv_ipc_reply_recv(PACKAGE_SERVICE_HANDLE_SERVICE, reply, &info, &badge);
    }
}

/* Threads 1.. (threads = N in pkgsvc_net.idl): they start once thread 0 first blocks, in
 * the middle of its start-up, which holds the lock until the service is ready. */
int anv_thread_main(uint32_t index)
{
    (void)index;
    serve_locked();
}

/* ---- paths and the file store --------------------------------------------------------- */

static bool path_join(struct anv_bytes_128 *p, const char *a, const char *b, const char *c)
{
    const char *parts[3] = {a, b, c};
    size_t at = 0;
    for (unsigned k = 0; k < 3; k++) {
        size_t n = parts[k] ? strlen(parts[k]) : 0;
        if (n > sizeof p->data - at)
            return false;
        memcpy(p->data + at, parts[k], n);
        at += n;
    }
    p->len = (uint32_t)at;
    return true;
}

static volatile uint8_t *store_io(void)
{
    return (volatile uint8_t *)PACKAGE_SERVICE_STORE;
}

/* The whole file into buf (at most cap bytes): NOENT, OVERSIZED when larger, STORE. */
static pkgsvc_result read_whole(const struct anv_bytes_128 *p, uint8_t *buf, uint64_t cap,
                                uint64_t *len, int *store_err)
{
    struct file_stat st;
    int e = package_service_files_stat(p, &st);
    *store_err = e;
    if (e == (int)FILES_E_NOENT)
        return PKGSVC_ERR_NOENT;
    if (e != ANV_OK)
        return PKGSVC_ERR_STORE;
    if (st.type != 1)
        return PKGSVC_ERR_NOENT;
    if (st.size > cap)
        return PKGSVC_ERR_OVERSIZED;
    uint64_t done = 0;
    for (uint32_t guard = 0; done < st.size && guard <= st.size / CHUNK + 1; guard++) {
        uint32_t want = st.size - done < CHUNK ? (uint32_t)(st.size - done) : CHUNK;
        uint32_t got = 0;
        e = package_service_files_read(p, done, want, &got);
        *store_err = e;
        if (e != ANV_OK)
            return PKGSVC_ERR_STORE;
        if (got != want)
            return PKGSVC_ERR_STORE;
        const volatile uint8_t *io = store_io();
        for (uint32_t i = 0; i < got; i++)
            buf[done + i] = io[i];
        done += got;
    }
    if (done != st.size)
        return PKGSVC_ERR_STORE;
    *len = done;
    return PKGSVC_OK;
}

/* buf whole into the file p, made if missing and cut to exactly len bytes. Not durable
 * until a sync; not atomic: callers write a temporary name and rename it. */
static int write_whole(const struct anv_bytes_128 *p, const uint8_t *buf, uint64_t len)
{
    int e = package_service_files_create(p);
    if (e != ANV_OK && e != (int)FILES_E_EXIST)
        return e;
    e = package_service_files_truncate(p, 0);
    for (uint64_t done = 0; e == ANV_OK && done < len;) {
        uint32_t n = len - done < CHUNK ? (uint32_t)(len - done) : CHUNK;
        volatile uint8_t *io = store_io();
        for (uint32_t i = 0; i < n; i++)
            io[i] = buf[done + i];
        e = package_service_files_write(p, done, n);
        done += n;
    }
    return e;
}

/* Write to tmp, sync, rename tmp over final, sync (docs/packages.md: why this is atomic). */
static int replace_atomically(const struct anv_bytes_128 *final, const struct anv_bytes_128 *tmp,
                              const uint8_t *buf, uint64_t len)
{
    int e = write_whole(tmp, buf, len);
    if (e == ANV_OK)
        e = package_service_files_sync();
    if (e == ANV_OK)
        e = package_service_files_rename(tmp, final);
    if (e != ANV_OK) {
        /* Not renamed: the old file stands. The temporary would be swept at the next start
         * anyway; removing it now gives its space back (a full disk is a likely cause). */
        int u = package_service_files_unlink(tmp);
        if (u != ANV_OK && u != (int)FILES_E_NOENT)
            printf("pkgsvc: removing %.*s after a failed install: %d\n", (int)tmp->len,
                   (const char *)tmp->data, u);
        return e;
    }
    return package_service_files_sync();
}

/* One line at the end of the audit file, synced, and the same on the console. */
static void audit(const char *event, const char *subject, pkgsvc_result r, const pkg_info *info,
                  const char *detail)
{
    char line[PKGSVC_AUDIT_LINE_MAX];
    size_t n = pkgsvc_audit_line(line, event, subject, r, info, detail);
    printf("pkgsvc: audit %s", line);
    struct anv_bytes_128 p;
    (void)path_join(&p, "audit.log", NULL, NULL);
    struct file_stat st;
    int e = package_service_files_stat(&p, &st);
    if (e == (int)FILES_E_NOENT) {
        e = package_service_files_create(&p);
        st.size = 0;
    }
    if (e == ANV_OK) {
        volatile uint8_t *io = store_io();
        for (size_t i = 0; i < n; i++)
            io[i] = (uint8_t)line[i];
        e = package_service_files_write(&p, st.size, (uint32_t)n);
    }
    if (e == ANV_OK)
        e = package_service_files_sync();
    if (e != ANV_OK)
        printf("pkgsvc: the audit record could not be written (%d)\n", e);
}

/* ---- names ------------------------------------------------------------------------------ */

/* A staging file name: [a-z0-9._-], 1..54 bytes, not "." or "..". */
static bool file_name_of(const struct anv_bytes_64 *in, char out[FILE_NAME_MAX + 1])
{
    if (in->len < 1 || in->len > FILE_NAME_MAX)
        return false;
    for (uint32_t i = 0; i < in->len; i++) {
        uint8_t c = in->data[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    if (in->data[0] == '.' && (in->len == 1 || (in->len == 2 && in->data[1] == '.')))
        return false;
    memcpy(out, in->data, in->len);
    out[in->len] = '\0';
    return true;
}

static bool package_name_of(const struct anv_bytes_64 *in, char out[PKG_NAME_MAX + 1])
{
    if (in->len > PKG_NAME_MAX || !pkg_name_valid((const char *)in->data, in->len))
        return false;
    memcpy(out, in->data, in->len);
    out[in->len] = '\0';
    return true;
}

static struct installed *find_installed(const char *name)
{
    for (uint32_t k = 0; k < index_count; k++)
        if (strcmp(index_[k].info.name, name) == 0)
            return &index_[k];
    return NULL;
}

static void describe(const pkg_info *in, struct package_info *out)
{
    memset(out, 0, sizeof *out);
    out->name.len = (uint32_t)strlen(in->name);
    memcpy(out->name.data, in->name, out->name.len);
    out->major = in->version.major;
    out->minor = in->version.minor;
    out->patch = in->version.patch;
    out->key_id.len = PKG_KEY_ID_SIZE;
    memcpy(out->key_id.data, in->key_id, PKG_KEY_ID_SIZE);
    out->payload_length = in->payload_length;
    out->payload_kind = in->payload_kind;
    out->storage_quota = in->has_storage ? in->storage_quota : 0;
    if (in->has_storage) {
        out->storage_path.len = (uint32_t)strlen(in->storage_path);
        memcpy(out->storage_path.data, in->storage_path, out->storage_path.len);
    }
    out->net_count = in->net_count;
    out->console = in->console != 0;
    out->entropy = in->entropy != 0;
    out->clocks = in->clocks;
}

static int code(pkgsvc_result r)
{
    return r == PKGSVC_OK ? ANV_OK : PKGSVC_ERROR_BASE + (int)r;
}

/* ---- verification ------------------------------------------------------------------------- */

/* Everything about the bytes in pkgbuf[0, len): format, trusted key, signature, digest,
 * payload kind; then the SHA-512 of its signed part (header and manifest) into digest.
 * detail names the reason. */
static pkgsvc_result verify_buffer(uint64_t len, pkg_info *info, uint8_t digest[64],
                                   char *detail, size_t detail_cap)
{
    size_t where = 0;
    pkg_result pr = pkg_parse(pkgbuf, (size_t)len, info, &where);
    if (pr != PKG_OK) {
        snprintf(detail, detail_cap, "%s (offset %lu)", pkg_result_message(pr),
                 (unsigned long)where);
        return pkgsvc_from_pkg(pr);
    }
    uint32_t k = 0;
    while (k < trust.count && memcmp(trust.id[k], info->key_id, PKG_KEY_ID_SIZE) != 0)
        k++;
    if (k == trust.count) {
        char hex[2 * PKG_KEY_ID_SIZE + 1];
        pkgsvc_hex_encode(info->key_id, PKG_KEY_ID_SIZE, hex);
        snprintf(detail, detail_cap, "key id %s", hex);
        return PKGSVC_ERR_UNKNOWN_KEY;
    }
    crypto_result cr = CRYPTO_OK;
    pr = pkg_verify_prepared(info, pkgbuf, (size_t)len, &trust.key[k], &cr);
    if (pr != PKG_OK) {
        snprintf(detail, detail_cap, "%s%s%s", pkg_result_message(pr),
                 pr == PKG_ERR_SIGNATURE ? ": " : "",
                 pr == PKG_ERR_SIGNATURE ? crypto_result_message(cr) : "");
        return pkgsvc_from_pkg(pr);
    }
    /* The package's identity for the record: the signed bytes, which bind the payload
     * through its verified digest, so a second hash of a large payload is not needed. */
    if (crypto_sha512(pkgbuf, info->signed_length, digest) != CRYPTO_OK) {
        snprintf(detail, detail_cap, "SHA-512 of the signed part failed");
        return PKGSVC_ERR_ARGUMENT;
    }
    return PKGSVC_OK;
}

/* ---- the interface ------------------------------------------------------------------------ */

/* The dataport of a Packages client (client1, client2 by badge) ... */
static volatile uint8_t *client_buf(uint64_t badge)
{
    uint64_t k = badge & 0xFFFFFFu;
    if (k == 1)
        return (volatile uint8_t *)PACKAGE_SERVICE_CLIENT1;
    if (k == 2)
        return (volatile uint8_t *)PACKAGE_SERVICE_CLIENT2;
    return NULL;
}

/* ... and of a PackageReader client (reader1 .. reader6: up to six runners). */
static volatile uint8_t *reader_buf(uint64_t badge)
{
    switch (badge & 0xFFFFFFu) {
    case 1: return (volatile uint8_t *)PACKAGE_SERVICE_READER1;
    case 2: return (volatile uint8_t *)PACKAGE_SERVICE_READER2;
    case 3: return (volatile uint8_t *)PACKAGE_SERVICE_READER3;
    case 4: return (volatile uint8_t *)PACKAGE_SERVICE_READER4;
    case 5: return (volatile uint8_t *)PACKAGE_SERVICE_READER5;
    case 6: return (volatile uint8_t *)PACKAGE_SERVICE_READER6;
    default: return NULL;
    }
}

int package_service_packages_stage(uint64_t badge, const struct anv_bytes_64 *file,
                                   uint64_t offset, uint32_t length)
{
    volatile uint8_t *buf = client_buf(badge);
    char name[FILE_NAME_MAX + 1];
    if (buf == NULL || !file_name_of(file, name) || length > PACKAGE_SERVICE_CLIENT1_SIZE ||
        offset > pkgbuf_cap || length > pkgbuf_cap - offset)
        return code(PKGSVC_ERR_ARGUMENT);
    struct anv_bytes_128 p;
    (void)path_join(&p, "staging/", name, NULL);
    int e = ANV_OK;
    if (offset == 0) {
        e = package_service_files_create(&p);
        if (e == (int)FILES_E_EXIST)
            e = package_service_files_truncate(&p, 0);
    }
    if (e == ANV_OK) {
        volatile uint8_t *io = store_io();
        for (uint32_t i = 0; i < length; i++)
            io[i] = buf[i];
        e = package_service_files_write(&p, offset, length);
    }
    if (e == (int)FILES_E_NOENT)
        return code(PKGSVC_ERR_NOENT);
    if (e != ANV_OK) {
        printf("pkgsvc: stage %s: the file store answered %d\n", name, e);
        return code(PKGSVC_ERR_STORE);
    }
    return ANV_OK;
}

int package_service_packages_unstage(uint64_t badge, const struct anv_bytes_64 *file)
{
    char name[FILE_NAME_MAX + 1];
    if (client_buf(badge) == NULL || !file_name_of(file, name))
        return code(PKGSVC_ERR_ARGUMENT);
    struct anv_bytes_128 p;
    (void)path_join(&p, "staging/", name, NULL);
    int e = package_service_files_unlink(&p);
    if (e == ANV_OK)
        e = package_service_files_sync();
    if (e == (int)FILES_E_NOENT)
        return code(PKGSVC_ERR_NOENT);
    return e == ANV_OK ? ANV_OK : code(PKGSVC_ERR_STORE);
}

/* The durable part of an accepted install: the record first, then the package. A crash
 * between the two leaves the record ahead of what is installed, which refuses nothing
 * that should be accepted (the same package may be installed again: same digest). */
static pkgsvc_result commit_install(const pkg_info *info, const uint8_t digest[64], uint64_t len,
                                    char *detail, size_t detail_cap)
{
    static pkgsvc_versions next;
    next = versions;
    pkgsvc_result r = pkgsvc_versions_raise(&next, info->name, &info->version, digest);
    if (r != PKGSVC_OK)
        return r;
    size_t text_len = 0;
    r = pkgsvc_versions_format(&next, record_text, sizeof record_text, &text_len);
    if (r != PKGSVC_OK)
        return r;
    struct anv_bytes_128 final, tmp;
    (void)path_join(&final, "versions", NULL, NULL);
    (void)path_join(&tmp, "versions.new", NULL, NULL);
    int e = replace_atomically(&final, &tmp, (const uint8_t *)record_text, text_len);
    if (e != ANV_OK) {
        snprintf(detail, detail_cap, "version record: the file store answered %d", e);
        return PKGSVC_ERR_STORE;
    }
    versions = next;
    (void)path_join(&final, "installed/", info->name, NULL);
    (void)path_join(&tmp, "installed/", info->name, ".new");
    e = replace_atomically(&final, &tmp, pkgbuf, len);
    if (e != ANV_OK) {
        snprintf(detail, detail_cap, "package: the file store answered %d", e);
        return PKGSVC_ERR_STORE;
    }
    return PKGSVC_OK;
}

int package_service_packages_install(uint64_t badge, const struct anv_bytes_64 *file,
                                     struct package_info *pkg)
{
    char name[FILE_NAME_MAX + 1] = "-";
    char subject[FILE_NAME_MAX + 16];
    char detail[160] = "";
    static pkg_info info;
    bool parsed = false;
    uint8_t digest[64];
    pkgsvc_result r = PKGSVC_OK;
    uint64_t len = 0;
    int store_err = 0;

    memset(pkg, 0, sizeof *pkg);
    if (client_buf(badge) == NULL || !file_name_of(file, name)) {
        r = PKGSVC_ERR_ARGUMENT;
        snprintf(subject, sizeof subject, "staging/?");
        audit("install", subject, r, NULL, "staging file name");
        return code(r);
    }
    snprintf(subject, sizeof subject, "staging/%s", name);
    if (!record_ok) {
        audit("install", subject, PKGSVC_ERR_RECORD, NULL, NULL);
        return code(PKGSVC_ERR_RECORD);
    }
    struct anv_bytes_128 p;
    (void)path_join(&p, "staging/", name, NULL);
    cached[0] = '\0';
    uint64_t t_read = instret();
    r = read_whole(&p, pkgbuf, pkgbuf_cap, &len, &store_err);
    uint64_t t_verify = instret();
    if (r == PKGSVC_ERR_OVERSIZED)
        snprintf(detail, sizeof detail, "above the service's limit of %lu bytes",
                 (unsigned long)pkgbuf_cap);
    else if (r == PKGSVC_ERR_STORE)
        snprintf(detail, sizeof detail, "the file store answered %d", store_err);
    /* Zeroed first: pkg_parse leaves it untouched on a refusal, and an earlier package's
     * name must not appear in this one's audit record. */
    memset(&info, 0, sizeof info);
    if (r == PKGSVC_OK)
        r = verify_buffer(len, &info, digest, detail, sizeof detail);
    parsed = info.name[0] != '\0';
    if (r == PKGSVC_OK) {
        struct installed *now = find_installed(info.name);
        r = pkgsvc_decide_version(&versions, &info, digest, now ? &now->info.version : NULL);
        if (r == PKGSVC_ERR_ROLLBACK || r == PKGSVC_ERR_INSTALLED) {
            const pkgsvc_version_entry *e = pkgsvc_versions_find(&versions, info.name);
            if (e != NULL)
                snprintf(detail, sizeof detail, "highest ever installed %u.%u.%u",
                         (unsigned)e->version.major, (unsigned)e->version.minor,
                         (unsigned)e->version.patch);
        }
    }
    if (r == PKGSVC_OK)
        r = pkgsvc_check_grants(&info, &allow, detail, sizeof detail);
    if (r == PKGSVC_OK && find_installed(info.name) == NULL && index_count == INDEX_MAX) {
        r = PKGSVC_ERR_FULL;
        snprintf(detail, sizeof detail, "%u packages installed", (unsigned)INDEX_MAX);
    }
    uint64_t t_commit = instret();
    if (r == PKGSVC_OK)
        r = commit_install(&info, digest, len, detail, sizeof detail);
    if (PACKAGE_SERVICE_CONFIG_REPORT_COSTS)
        printf("pkgsvc: costs of %s (%lu bytes): read %lu, verify %lu, write %lu instructions\n",
               name, (unsigned long)len, (unsigned long)(t_verify - t_read),
               (unsigned long)(t_commit - t_verify), (unsigned long)(instret() - t_commit));
    if (r != PKGSVC_OK) {
        audit("install", subject, r, parsed ? &info : NULL, detail);
        return code(r);
    }
    struct installed *slot = find_installed(info.name);
    if (slot == NULL) {
        /* Kept in name order, as list promises. */
        uint32_t k = 0;
        while (k < index_count && strcmp(index_[k].info.name, info.name) < 0)
            k++;
        for (uint32_t j = index_count; j > k; j--)
            index_[j] = index_[j - 1];
        index_count++;
        slot = &index_[k];
    }
    slot->info = info;
    memcpy(slot->digest, digest, 64);
    slot->size = len;
    memcpy(cached, info.name, strlen(info.name) + 1);
    describe(&info, pkg);
    audit("install", subject, PKGSVC_OK, &info, NULL);
    return ANV_OK;
}

int package_service_packages_uninstall(uint64_t badge, const struct anv_bytes_64 *n)
{
    char name[PKG_NAME_MAX + 1];
    if (client_buf(badge) == NULL || !package_name_of(n, name))
        return code(PKGSVC_ERR_ARGUMENT);
    struct installed *slot = find_installed(name);
    if (slot == NULL)
        return code(PKGSVC_ERR_NOENT);
    pkg_info info = slot->info;
    struct anv_bytes_128 p;
    (void)path_join(&p, "installed/", name, NULL);
    int e = package_service_files_unlink(&p);
    if (e == ANV_OK)
        e = package_service_files_sync();
    if (e != ANV_OK) {
        char detail[64];
        snprintf(detail, sizeof detail, "the file store answered %d", e);
        audit("uninstall", name, PKGSVC_ERR_STORE, &info, detail);
        return code(PKGSVC_ERR_STORE);
    }
    uint32_t k = (uint32_t)(slot - index_);
    for (uint32_t j = k; j + 1 < index_count; j++)
        index_[j] = index_[j + 1];
    index_count--;
    if (strcmp(cached, name) == 0)
        cached[0] = '\0';
    audit("uninstall", name, PKGSVC_OK, &info, NULL);
    return ANV_OK;
}

static int list_one(uint32_t *cookie, struct package_info *pkg)
{
    if (*cookie >= index_count)
        return code(PKGSVC_ERR_END);
    describe(&index_[*cookie].info, pkg);
    (*cookie)++;
    return ANV_OK;
}

int package_service_packages_list(uint64_t badge, uint32_t *cookie, struct package_info *pkg)
{
    memset(pkg, 0, sizeof *pkg);
    if (client_buf(badge) == NULL)
        return code(PKGSVC_ERR_ARGUMENT);
    return list_one(cookie, pkg);
}

int package_service_reader_list(uint64_t badge, uint32_t *cookie, struct package_info *pkg)
{
    memset(pkg, 0, sizeof *pkg);
    if (reader_buf(badge) == NULL)
        return code(PKGSVC_ERR_ARGUMENT);
    return list_one(cookie, pkg);
}

int package_service_reader_read(uint64_t badge, const struct anv_bytes_64 *n, uint64_t offset,
                                uint32_t length, uint32_t *got, uint64_t *total)
{
    volatile uint8_t *buf = reader_buf(badge);
    char name[PKG_NAME_MAX + 1];
    *got = 0;
    *total = 0;
    if (buf == NULL || !package_name_of(n, name) || length > PACKAGE_SERVICE_READER1_SIZE)
        return code(PKGSVC_ERR_ARGUMENT);
    struct installed *slot = find_installed(name);
    if (slot == NULL)
        return code(PKGSVC_ERR_NOENT);
    if (strcmp(cached, name) != 0) {
        /* From the disk again: the signature, the payload's digest and the file's digest
         * as installed, before a byte of it leaves the service. */
        cached[0] = '\0';
        struct anv_bytes_128 p;
        (void)path_join(&p, "installed/", name, NULL);
        uint64_t len = 0;
        int store_err = 0;
        char detail[160] = "";
        static pkg_info info;
        uint8_t digest[64];
        uint64_t t_read = instret();
        pkgsvc_result r = read_whole(&p, pkgbuf, pkgbuf_cap, &len, &store_err);
        uint64_t t_verify = instret();
        if (r == PKGSVC_OK)
            r = verify_buffer(len, &info, digest, detail, sizeof detail);
        if (PACKAGE_SERVICE_CONFIG_REPORT_COSTS)
            printf("pkgsvc: costs of reading %s (%lu bytes): read %lu, verify %lu instructions\n",
                   name, (unsigned long)len, (unsigned long)(t_verify - t_read),
                   (unsigned long)(instret() - t_verify));
        if (r == PKGSVC_OK && (len != slot->size || memcmp(digest, slot->digest, 64) != 0)) {
            r = PKGSVC_ERR_CORRUPT;
            snprintf(detail, sizeof detail, "not the file that was installed");
        }
        if (r != PKGSVC_OK) {
            if (detail[0] == '\0')
                snprintf(detail, sizeof detail, "%s (%d)", pkgsvc_result_message(r), store_err);
            audit("read", name, PKGSVC_ERR_CORRUPT, &slot->info, detail);
            return code(PKGSVC_ERR_CORRUPT);
        }
        memcpy(cached, name, strlen(name) + 1);
    }
    const pkg_info *info = &slot->info;
    *total = info->payload_length;
    if (offset > info->payload_length)
        return code(PKGSVC_ERR_ARGUMENT);
    uint64_t left = info->payload_length - offset;
    uint32_t n_out = left < length ? (uint32_t)left : length;
    const uint8_t *src = pkgbuf + info->payload_offset + offset;
    for (uint32_t i = 0; i < n_out; i++)
        buf[i] = src[i];
    *got = n_out;
    return ANV_OK;
}

/* Removes the entries of directory `dir` whose names end in `suffix` (every entry when it
 * is ""), counting them in *removed. A removal changes the directory under the listing's
 * cookie, so the walk starts again after each; 4,096 walks bound it. */
static int remove_entries(const char *dir, const char *suffix, uint32_t *removed)
{
    struct anv_bytes_128 d, p;
    size_t sl = strlen(suffix);
    (void)path_join(&d, dir, NULL, NULL);
    uint64_t cookie = 0;
    for (uint32_t guard = 0; guard < 4096; guard++) {
        struct anv_bytes_54 name;
        uint32_t type = 0;
        uint64_t size = 0;
        int e = package_service_files_list(&d, &cookie, &name, &type, &size);
        if (e == (int)FILES_E_END)
            return ANV_OK;
        if (e != ANV_OK)
            return e;
        if (name.len < sl || (sl > 0 && name.len == sl) ||
            memcmp(name.data + name.len - sl, suffix, sl) != 0)
            continue;
        char n[55];
        memcpy(n, name.data, name.len);
        n[name.len] = '\0';
        (void)path_join(&p, dir, "/", n);
        e = package_service_files_unlink(&p);
        if (e != ANV_OK)
            return e;
        (*removed)++;
        cookie = 0;
    }
    return ANV_OK;
}

/* ---- downloads (docs/packages.md, "Downloads") -------------------------------------------- */

#ifdef PACKAGE_SERVICE_HANDLE_NET
#include "http.h"

#define NET_CHUNK PACKAGE_SERVICE_NETBUF_SIZE
#define NAP_TICKS 10u         /* 0.1 s: the longest wait for the stack's event before asking again */
#define TIME_PER_MS 10000u    /* QEMU virt's timebase is 10 MHz */
#define TCP_ESTABLISHED 3u

static uint8_t net_chunk[NET_CHUNK];
static http_resp fetch_resp;

/* What one download is writing: the file in fetching/ and how far it got. */
static struct {
    struct anv_bytes_128 path;
    uint64_t written;
    int store_err;
    bool status_refused;
} fetch_out;

static uint64_t now_ms(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t / TIME_PER_MS;
}

/* Until the stack signals our event or a short nap ends: the stack signals on every change
 * of a socket we asked about, so a nap only bounds the cost of a lost signal. */
static void nap(void)
{
    uint64_t res = 0, bits = 0;
    (void)anv_wait_one(PACKAGE_SERVICE_HANDLE_EVENTS, NAP_TICKS, &res, &bits);
}

static const char *socket_word(int e)
{
    switch (e) {
    case NET_E_DENIED: return "denied";
    case NET_E_AGAIN: return "again";
    case NET_E_INVAL: return "invalid argument";
    case NET_E_NOSOCK: return "no such socket";
    case NET_E_NOSPACE: return "no socket free";
    case NET_E_NOADDR: return "no address yet";
    case NET_E_CLOSED: return "closed";
    case NET_E_RESET: return "connection reset";
    case NET_E_CONNREFUSED: return "connection refused";
    case NET_E_TIMEOUT: return "peer timed out";
    case NET_E_NXDOMAIN: return "NXDOMAIN, no such name";
    case NET_E_NODATA: return "NODATA, no A record";
    case NET_E_TRUNCATED: return "DNS answer truncated";
    case NET_E_SERVFAIL: return "DNS server failure";
    case NET_E_STATE: return "wrong socket state";
    case NET_E_NETWORK: return "could not send";
    default: return "unexpected answer";
    }
}

static pkgsvc_result socket_failure(int e)
{
    if (e == (int)NET_E_DENIED)
        return PKGSVC_ERR_DENIED;
    if (e == (int)NET_E_AGAIN || e == (int)NET_E_NOADDR)
        return PKGSVC_ERR_TIMEOUT;
    return PKGSVC_ERR_NETWORK;
}

/* Each run of body bytes straight into the file being downloaded. */
static http_err fetch_body(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    if (fetch_resp.status != 200) {
        fetch_out.status_refused = true;
        return HTTP_ERR_BODY;
    }
    /* The download runs without the service lock; the store's dataport is shared. */
    lock_take();
    http_err r = HTTP_OK;
    for (size_t done = 0; done < len;) {
        uint32_t n = len - done < CHUNK ? (uint32_t)(len - done) : CHUNK;
        volatile uint8_t *io = store_io();
        for (uint32_t i = 0; i < n; i++)
            io[i] = data[done + i];
        int e = package_service_files_write(&fetch_out.path, fetch_out.written, n);
        if (e != ANV_OK) {
            fetch_out.store_err = e;
            r = HTTP_ERR_BODY;
            break;
        }
        fetch_out.written += n;
        done += n;
    }
    lock_give();
    return r;
}

/* What a lib/http error means for a download. */
static pkgsvc_result http_failure(http_err he)
{
    if (fetch_out.store_err != ANV_OK)
        return PKGSVC_ERR_STORE;
    if (fetch_out.status_refused || (http_resp_head_done(&fetch_resp) && fetch_resp.status != 200))
        return PKGSVC_ERR_HTTP_STATUS;
    if (he == HTTP_ERR_TOO_BIG)
        return PKGSVC_ERR_HTTP_TOO_BIG;
    if (he == HTTP_ERR_TRUNCATED)
        return PKGSVC_ERR_HTTP_TRUNCATED;
    return PKGSVC_ERR_HTTP_MALFORMED;
}

/* Resolves, connects, sends the request and feeds the answer to lib/http, writing the body
 * into fetch_out.path. detail names the reason of a failure. */
static pkgsvc_result download(const http_url *url, char *detail, size_t detail_cap)
{
    const uint64_t idle_ms = PACKAGE_SERVICE_CONFIG_FETCH_TIMEOUT_MS;
    const uint64_t start = now_ms();
    const uint64_t hard_end = start + PACKAGE_SERVICE_CONFIG_FETCH_LIMIT_MS;
    uint64_t idle_end = start + idle_ms;
    uint32_t ip = 0;
    int e = ANV_OK;

    if (pkgsvc_ipv4_parse(url->host, strlen(url->host), &ip) != PKGSVC_OK) {
        struct anv_bytes_128 name = {0};
        size_t n = strlen(url->host);
        if (n > sizeof name.data) {
            snprintf(detail, detail_cap, "host name too long for a lookup");
            return PKGSVC_ERR_URL;
        }
        memcpy(name.data, url->host, n);
        name.len = (uint32_t)n;
        uint32_t aliases = 0;
        e = NET_E_AGAIN;
        while ((e == (int)NET_E_AGAIN || e == (int)NET_E_NOADDR) && now_ms() < idle_end) {
            e = package_service_net_lookup(&name, &ip, &aliases);
            if (e == (int)NET_E_AGAIN || e == (int)NET_E_NOADDR)
                nap();
        }
        if (e != ANV_OK) {
            snprintf(detail, detail_cap, "lookup %s: %s (%d)", url->host, socket_word(e), e);
            return socket_failure(e);
        }
    }
    anv_handle_t sock = ANV_HANDLE_NULL;
    e = NET_E_NOADDR;
    while (e == (int)NET_E_NOADDR && now_ms() < idle_end) {
        e = package_service_net_tcp_connect(ip, url->port, &sock);
        if (e == (int)NET_E_NOADDR)
            nap();
    }
    if (e != ANV_OK) {
        snprintf(detail, detail_cap, "connect %u.%u.%u.%u:%u: %s (%d)", (unsigned)(ip >> 24),
                 (unsigned)(ip >> 16) & 255u, (unsigned)(ip >> 8) & 255u, (unsigned)ip & 255u,
                 (unsigned)url->port, socket_word(e), e);
        return socket_failure(e);
    }

    pkgsvc_result r = PKGSVC_OK;
    char request[HTTP_REQUEST_MAX];
    size_t req_len = 0;
    if (http_request_get(url, request, sizeof request, &req_len) != HTTP_OK ||
        req_len > NET_CHUNK) {
        snprintf(detail, detail_cap, "the request does not fit");
        r = PKGSVC_ERR_URL;
    }
    /* The handshake, then the request: tcp_send answers AGAIN until established. */
    volatile uint8_t *nb = (volatile uint8_t *)PACKAGE_SERVICE_NETBUF;
    for (size_t off = 0; r == PKGSVC_OK && off < req_len;) {
        if (now_ms() >= idle_end) {
            snprintf(detail, detail_cap, "connecting: no answer in %lu ms", (unsigned long)idle_ms);
            r = PKGSVC_ERR_TIMEOUT;
            break;
        }
        for (size_t i = off; i < req_len; i++)
            nb[i - off] = (uint8_t)request[i];
        uint32_t taken = 0;
        e = package_service_socket_tcp_send(sock, (uint32_t)(req_len - off), &taken);
        if (e == (int)NET_E_AGAIN) {
            nap();
            continue;
        }
        if (e != ANV_OK) {
            snprintf(detail, detail_cap, "sending the request: %s (%d)", socket_word(e), e);
            r = socket_failure(e);
            break;
        }
        off += taken;
        idle_end = now_ms() + idle_ms;
    }

    http_resp_init(&fetch_resp, pkgbuf_cap, fetch_body, NULL);
    idle_end = now_ms() + idle_ms;
    while (r == PKGSVC_OK && !http_resp_done(&fetch_resp)) {
        uint64_t t = now_ms();
        if (t >= idle_end || t >= hard_end) {
            snprintf(detail, detail_cap, "%s after %lu body bytes",
                     t >= hard_end ? "over the whole download's limit" : "nothing arrived in time",
                     (unsigned long)fetch_resp.body_bytes);
            r = PKGSVC_ERR_TIMEOUT;
            break;
        }
        uint32_t got = 0;
        e = package_service_socket_tcp_recv(sock, NET_CHUNK, &got);
        if (e == (int)NET_E_AGAIN) {
            nap();
            continue;
        }
        http_err he = HTTP_OK;
        if (e == (int)NET_E_CLOSED) {
            he = http_resp_close(&fetch_resp);
            if (he == HTTP_OK && !http_resp_done(&fetch_resp))
                he = HTTP_ERR_TRUNCATED;
        } else if (e != ANV_OK) {
            snprintf(detail, detail_cap, "receiving after %lu body bytes: %s (%d)",
                     (unsigned long)fetch_resp.body_bytes, socket_word(e), e);
            r = socket_failure(e);
            break;
        } else {
            if (got > NET_CHUNK)
                got = NET_CHUNK;
            for (uint32_t i = 0; i < got; i++)
                net_chunk[i] = nb[i];
            he = http_resp_feed(&fetch_resp, net_chunk, got);
            idle_end = now_ms() + idle_ms;
        }
        if (he == HTTP_OK && http_resp_head_done(&fetch_resp) && fetch_resp.status != 200)
            he = HTTP_ERR_BODY;
        if (he != HTTP_OK) {
            r = http_failure(he);
            if (r == PKGSVC_ERR_HTTP_STATUS)
                snprintf(detail, detail_cap, "status %u", (unsigned)fetch_resp.status);
            else if (r == PKGSVC_ERR_STORE)
                snprintf(detail, detail_cap, "writing the body: the file store answered %d",
                         fetch_out.store_err);
            else
                snprintf(detail, detail_cap, "%s after %lu body bytes", http_strerror(he),
                         (unsigned long)fetch_resp.body_bytes);
            break;
        }
        if (e == (int)NET_E_CLOSED)
            break;
    }
    /* Orderly close whatever happened: the stack finishes it and frees the socket. */
    int ce = package_service_socket_close(sock);
    if (ce != ANV_OK && r == PKGSVC_OK)
        printf("pkgsvc: closing the download's socket: %d\n", ce);
    return r;
}

/* Removes what a download left in fetching/; says so when the store will not. */
static void discard_download(void)
{
    int e = package_service_files_unlink(&fetch_out.path);
    if (e == ANV_OK)
        e = package_service_files_sync();
    if (e != ANV_OK && e != (int)FILES_E_NOENT)
        printf("pkgsvc: removing %.*s after a failed download: %d\n", (int)fetch_out.path.len,
               (const char *)fetch_out.path.data, e);
}

/* One download at a time, since it owns the socket dataport, the parser and fetch_out;
 * fetches take their turns in the order they came (a ticket each), so a client that
 * fetches again at once cannot starve another. Read and written only under the lock. */
static uint32_t dl_next, dl_serving;

/* Waits, without the lock, for this call's turn. Every download ahead ends within its own
 * bounds (the lookup, connect and request each fetch_timeout_ms, the transfer
 * fetch_limit_ms), and at most two other threads can be ahead; a wait beyond that is a
 * bug, and the service stops rather than hang its clients. */
static void download_claim(void)
{
    const uint32_t mine = dl_next++;
    const uint64_t each = PACKAGE_SERVICE_CONFIG_FETCH_LIMIT_MS +
                          3u * (uint64_t)PACKAGE_SERVICE_CONFIG_FETCH_TIMEOUT_MS + 2000u;
    const uint64_t end = now_ms() + (uint64_t)(mine - dl_serving) * each + 1000u;
    while (dl_serving != mine) {
        if (now_ms() >= end) {
            printf("pkgsvc: a download waited past every bound for its turn: stopping\n");
            anv_console_flush();
            anv_proc_exit(3);
        }
        lock_give();
        (void)anv_wait_one(ANV_HANDLE_NULL, NAP_TICKS, NULL, NULL);
        lock_take();
    }
}

static int fetch_claimed(const struct anv_bytes_128 *url_in, const char *name,
                         const char *subject, uint64_t *length);

int package_service_packages_fetch(uint64_t badge, const struct anv_bytes_128 *url_in,
                                   const struct anv_bytes_64 *file, uint64_t *length)
{
    char name[FILE_NAME_MAX + 1] = "-";
    char subject[sizeof url_in->data + FILE_NAME_MAX + 16];
    *length = 0;
    if (client_buf(badge) == NULL || !file_name_of(file, name) ||
        url_in->len > sizeof url_in->data) {
        audit("fetch", "staging/?", PKGSVC_ERR_ARGUMENT, NULL, "staging file name or URL length");
        return code(PKGSVC_ERR_ARGUMENT);
    }
    /* The URL in the audit line as given: lib/audit replaces what is not printable. */
    snprintf(subject, sizeof subject, "%.*s->staging/%s", (int)url_in->len,
             (const char *)url_in->data, name);
    for (char *c = subject; *c != '\0'; c++)
        if (*c == ' ')
            *c = '?';
    download_claim();
    int rc = fetch_claimed(url_in, name, subject, length);
    dl_serving++;
    return rc;
}

/* The download proper, the downloader claimed and the lock held on entry and exit. */
static int fetch_claimed(const struct anv_bytes_128 *url_in, const char *name,
                         const char *subject, uint64_t *length)
{
    static http_url url;
    char detail[160] = "";
    if (http_url_parse((const char *)url_in->data, url_in->len, &url) != HTTP_OK) {
        audit("fetch", subject, PKGSVC_ERR_URL, NULL, "not http://host[:port][/path]");
        return code(PKGSVC_ERR_URL);
    }
    (void)path_join(&fetch_out.path, "fetching/", name, NULL);
    fetch_out.written = 0;
    fetch_out.store_err = ANV_OK;
    fetch_out.status_refused = false;
    int e = package_service_files_create(&fetch_out.path);
    if (e == (int)FILES_E_EXIST)
        e = package_service_files_truncate(&fetch_out.path, 0);
    if (e != ANV_OK) {
        snprintf(detail, sizeof detail, "fetching/%s: the file store answered %d", name, e);
        audit("fetch", subject, PKGSVC_ERR_STORE, NULL, detail);
        return code(PKGSVC_ERR_STORE);
    }
    uint64_t t0 = now_ms(), i0 = instret();
    /* Other clients are served while this waits on the network (fetch_body takes the lock
     * back for each write into the store). */
    lock_give();
    pkgsvc_result r = download(&url, detail, sizeof detail);
    lock_take();
    struct anv_bytes_128 staged;
    (void)path_join(&staged, "staging/", name, NULL);
    if (r == PKGSVC_OK) {
        /* Durable before it is visible: the whole body synced, then renamed in one step
         * over any earlier staged file of that name. */
        e = package_service_files_sync();
        if (e == ANV_OK)
            e = package_service_files_rename(&fetch_out.path, &staged);
        if (e == ANV_OK)
            e = package_service_files_sync();
        if (e != ANV_OK) {
            snprintf(detail, sizeof detail, "staging the download: the file store answered %d", e);
            r = PKGSVC_ERR_STORE;
        }
    }
    if (r != PKGSVC_OK) {
        discard_download();
        audit("fetch", subject, r, NULL, detail);
        return code(r);
    }
    *length = fetch_out.written;
    snprintf(detail, sizeof detail, "%lu bytes in %lu ms, %lu instructions",
             (unsigned long)fetch_out.written, (unsigned long)(now_ms() - t0),
             (unsigned long)(instret() - i0));
    audit("fetch", subject, PKGSVC_OK, NULL, detail);
    return ANV_OK;
}

/* Downloads interrupted by a crash or a reset: never staged, removed at start. */
static int sweep_downloads(uint32_t *removed)
{
    struct anv_bytes_128 dir;
    (void)path_join(&dir, "fetching", NULL, NULL);
    int e = package_service_files_mkdir(&dir);
    if (e != ANV_OK && e != (int)FILES_E_EXIST)
        return e;
    e = remove_entries("fetching", "", removed);
    if (e != ANV_OK)
        return e;
    return *removed ? package_service_files_sync() : ANV_OK;
}

#else

/* Built without a network stack (idl/components/pkgsvc.idl): nothing to download through. */
int package_service_packages_fetch(uint64_t badge, const struct anv_bytes_128 *url,
                                   const struct anv_bytes_64 *file, uint64_t *length)
{
    (void)url;
    *length = 0;
    char name[FILE_NAME_MAX + 1];
    if (client_buf(badge) == NULL || !file_name_of(file, name))
        return code(PKGSVC_ERR_ARGUMENT);
    audit("fetch", "-", PKGSVC_ERR_NO_NETWORK, NULL, "this system gives the service no network");
    return code(PKGSVC_ERR_NO_NETWORK);
}

#endif

/* ---- start ---------------------------------------------------------------------------------- */

static bool load_keys(void)
{
    const char *cfg[PKGSVC_KEYS_MAX][2] = {
        {PACKAGE_SERVICE_CONFIG_KEY1_ID, PACKAGE_SERVICE_CONFIG_KEY1_PUB},
        {PACKAGE_SERVICE_CONFIG_KEY2_ID, PACKAGE_SERVICE_CONFIG_KEY2_PUB},
        {PACKAGE_SERVICE_CONFIG_KEY3_ID, PACKAGE_SERVICE_CONFIG_KEY3_PUB},
        {PACKAGE_SERVICE_CONFIG_KEY4_ID, PACKAGE_SERVICE_CONFIG_KEY4_PUB},
    };
    for (uint32_t k = 0; k < PKGSVC_KEYS_MAX; k++) {
        if (cfg[k][0][0] == '\0' && cfg[k][1][0] == '\0')
            continue;
        uint8_t id[PKG_KEY_ID_SIZE], pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE], derived[PKG_KEY_ID_SIZE];
        if (pkgsvc_hex_decode(cfg[k][0], strlen(cfg[k][0]), id, sizeof id) != PKGSVC_OK ||
            pkgsvc_hex_decode(cfg[k][1], strlen(cfg[k][1]), pub, sizeof pub) != PKGSVC_OK) {
            printf("pkgsvc: key %u: the id needs 32 hex digits and the key 64\n", k + 1);
            return false;
        }
        if (pkg_key_id(pub, derived) != PKG_OK || memcmp(id, derived, sizeof id) != 0) {
            printf("pkgsvc: key %u: the id %s is not the id of its key\n", k + 1, cfg[k][0]);
            return false;
        }
        crypto_result cr = crypto_ed25519_key_prepare(&trust.key[trust.count], pub);
        if (cr != CRYPTO_OK) {
            printf("pkgsvc: key %u refused: %s\n", k + 1, crypto_result_message(cr));
            return false;
        }
        memcpy(trust.id[trust.count], id, sizeof id);
        trust.count++;
        /* What it trusts, where a reviewer of the boot log looks. */
        printf("pkgsvc: trusts key %u: id %s\n", k + 1, cfg[k][0]);
    }
    return true;
}

/* Leftover temporary files of an install a crash interrupted: never visible as installed. */
static int sweep_temporaries(uint32_t *removed)
{
    struct anv_bytes_128 p;
    int e = remove_entries("installed", ".new", removed);
    if (e != ANV_OK)
        return e;
    (void)path_join(&p, "versions.new", NULL, NULL);
    e = package_service_files_unlink(&p);
    if (e == ANV_OK)
        (*removed)++;
    else if (e != (int)FILES_E_NOENT)
        return e;
    return *removed ? package_service_files_sync() : ANV_OK;
}

static void load_record(void)
{
    struct anv_bytes_128 p;
    (void)path_join(&p, "versions", NULL, NULL);
    uint64_t len = 0;
    int store_err = 0;
    pkgsvc_result r = read_whole(&p, (uint8_t *)record_text, sizeof record_text, &len, &store_err);
    if (r == PKGSVC_ERR_NOENT) {
        versions.count = 0;
        record_ok = true;
        return;
    }
    size_t at = 0;
    if (r == PKGSVC_OK)
        r = pkgsvc_versions_parse(record_text, (size_t)len, &versions, &at);
    if (r != PKGSVC_OK) {
        printf("pkgsvc: the version record is unreadable (%s, offset %lu, store %d): "
               "installs refused\n", pkgsvc_result_message(r), (unsigned long)at, store_err);
        return;
    }
    record_ok = true;
}

/* The index from the installed files, each verified whole as at install. */
static void load_index(void)
{
    struct anv_bytes_128 dir;
    (void)path_join(&dir, "installed", NULL, NULL);
    uint64_t cookie = 0;
    for (uint32_t guard = 0; guard < 4096; guard++) {
        struct anv_bytes_54 entry;
        uint32_t type = 0;
        uint64_t size = 0;
        int e = package_service_files_list(&dir, &cookie, &entry, &type, &size);
        if (e != ANV_OK) {
            if (e != (int)FILES_E_END)
                printf("pkgsvc: listing installed: %d\n", e);
            break;
        }
        char name[PKG_NAME_MAX + 1];
        struct anv_bytes_64 n64 = {.len = entry.len};
        memcpy(n64.data, entry.data, entry.len);
        if (type != 1 || !package_name_of(&n64, name)) {
            printf("pkgsvc: installed/%.*s is not a package name: ignored\n", (int)entry.len,
                   (const char *)entry.data);
            continue;
        }
        struct anv_bytes_128 p;
        (void)path_join(&p, "installed/", name, NULL);
        uint64_t len = 0;
        int store_err = 0;
        char detail[160] = "";
        static pkg_info info;
        uint8_t digest[64];
        pkgsvc_result r = read_whole(&p, pkgbuf, pkgbuf_cap, &len, &store_err);
        if (r == PKGSVC_OK)
            r = verify_buffer(len, &info, digest, detail, sizeof detail);
        if (r == PKGSVC_OK && strcmp(info.name, name) != 0) {
            r = PKGSVC_ERR_CORRUPT;
            snprintf(detail, sizeof detail, "holds package %s", info.name);
        }
        if (r == PKGSVC_OK && index_count == INDEX_MAX)
            r = PKGSVC_ERR_FULL;
        if (r != PKGSVC_OK) {
            printf("pkgsvc: installed/%s does not verify (%s: %s): not offered\n", name,
                   pkgsvc_result_word(r), detail);
            continue;
        }
        /* The record can only go up: an installed package above it (the record lost or
         * replaced by an older copy) raises it. */
        const pkgsvc_version_entry *ve = pkgsvc_versions_find(&versions, name);
        if (record_ok && (ve == NULL || pkg_version_compare(&ve->version, &info.version) < 0)) {
            static pkgsvc_versions next;
            next = versions;
            size_t text_len = 0;
            struct anv_bytes_128 f, t;
            (void)path_join(&f, "versions", NULL, NULL);
            (void)path_join(&t, "versions.new", NULL, NULL);
            if (pkgsvc_versions_raise(&next, name, &info.version, digest) == PKGSVC_OK &&
                pkgsvc_versions_format(&next, record_text, sizeof record_text, &text_len) ==
                    PKGSVC_OK &&
                replace_atomically(&f, &t, (const uint8_t *)record_text, text_len) == ANV_OK) {
                versions = next;
                printf("pkgsvc: the record was below installed %s %u.%u.%u: raised\n", name,
                       (unsigned)info.version.major, (unsigned)info.version.minor,
                       (unsigned)info.version.patch);
            }
        }
        /* In name order, as list promises (the directory's own order is the store's). */
        uint32_t k = 0;
        while (k < index_count && strcmp(index_[k].info.name, name) < 0)
            k++;
        for (uint32_t j = index_count; j > k; j--)
            index_[j] = index_[j - 1];
        index_count++;
        struct installed *slot = &index_[k];
        slot->info = info;
        memcpy(slot->digest, digest, 64);
        slot->size = len;
    }
}

int main(void)
{
    /* Before any call that can block: the other threads start then, and must find the
     * service not ready yet. */
    lock_take();
    if (!load_keys())
        return 2;
    size_t bad_at = 0;
    const char *net = PACKAGE_SERVICE_CONFIG_ALLOW_NETWORK;
    if (pkgsvc_allow_parse_net(net, strlen(net), &allow, &bad_at) != PKGSVC_OK) {
        printf("pkgsvc: allow_network refused at offset %lu: \"%s\"\n", (unsigned long)bad_at, net);
        return 2;
    }
    allow.storage_quota_max = PACKAGE_SERVICE_CONFIG_ALLOW_STORAGE_QUOTA;
    allow.console = PACKAGE_SERVICE_CONFIG_ALLOW_CONSOLE;
    allow.entropy = PACKAGE_SERVICE_CONFIG_ALLOW_ENTROPY;
    if (PACKAGE_SERVICE_CONFIG_ALLOW_CLOCKS > 3u) {
        printf("pkgsvc: allow_clocks has bits beyond monotonic (1) and wall (2)\n");
        return 2;
    }
    allow.clocks = (uint8_t)PACKAGE_SERVICE_CONFIG_ALLOW_CLOCKS;
    /* Two lines, each shorter than the SDK's console line (128 bytes), so that no other
     * process's output can land inside one. */
    printf("pkgsvc: allows storage up to %lu bytes, console %s, entropy %s, clocks %u\n",
           (unsigned long)allow.storage_quota_max, allow.console ? "yes" : "no",
           allow.entropy ? "yes" : "no", (unsigned)allow.clocks);
    printf("pkgsvc: allows %u network entries: \"%s\"\n", (unsigned)allow.net_count, net);
    pkgbuf_cap = PACKAGE_SERVICE_CONFIG_MAX_PACKAGE;
    if (pkgbuf_cap < PKG_HEADER_SIZE || pkgbuf_cap > PACKAGE_LIMIT ||
        (pkgbuf = malloc((size_t)pkgbuf_cap)) == NULL) {
        printf("pkgsvc: max_package %lu: not between %u and %lu, or no heap for it\n",
               (unsigned long)pkgbuf_cap, PKG_HEADER_SIZE, (unsigned long)PACKAGE_LIMIT);
        return 2;
    }
    static const char *const dirs[] = {"staging", "installed"};
    for (unsigned k = 0; k < 2; k++) {
        struct anv_bytes_128 p;
        (void)path_join(&p, dirs[k], NULL, NULL);
        int e = package_service_files_mkdir(&p);
        if (e != ANV_OK && e != (int)FILES_E_EXIST) {
            printf("pkgsvc: mkdir %s: %d\n", dirs[k], e);
            return 2;
        }
    }
    uint32_t removed = 0;
    int e = sweep_temporaries(&removed);
    if (e != ANV_OK) {
        printf("pkgsvc: removing temporaries: %d\n", e);
        return 2;
    }
#ifdef PACKAGE_SERVICE_HANDLE_NET
    e = sweep_downloads(&removed);
    if (e != ANV_OK) {
        printf("pkgsvc: removing interrupted downloads: %d\n", e);
        return 2;
    }
#endif
    load_record();
    load_index();
#ifdef PACKAGE_SERVICE_HANDLE_NET
    printf("pkgsvc: downloads through the network stack: %lu ms without progress or %lu ms "
           "in all end a download\n", (unsigned long)PACKAGE_SERVICE_CONFIG_FETCH_TIMEOUT_MS,
           (unsigned long)PACKAGE_SERVICE_CONFIG_FETCH_LIMIT_MS);
#endif
    printf("pkgsvc: ready: %u keys, %u installed, record of %u names%s, %u temporaries removed\n",
           (unsigned)trust.count, (unsigned)index_count, (unsigned)versions.count,
           record_ok ? "" : " (unreadable)", (unsigned)removed);
    anv_console_flush();
    lock_give();
    serve_locked();
}
