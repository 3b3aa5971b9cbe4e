/* anvaya-store: the host tool for store images (mkfs, ls, get, put, rm, mkdir, quota, check,
 * dump) over a raw disk image file, built from the same store.c as the guest. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct filedev {
    int fd;
    store_dev dev;
} filedev;

static int fd_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    filedev *f = ctx;
    size_t want = (size_t)count * STORE_SECTOR;
    ssize_t n = pread(f->fd, buf, want, (off_t)(lba * STORE_SECTOR));
    return n == (ssize_t)want ? 0 : -1;
}

static int fd_write(void *ctx, uint64_t lba, uint32_t count, const void *buf)
{
    filedev *f = ctx;
    size_t want = (size_t)count * STORE_SECTOR;
    ssize_t n = pwrite(f->fd, buf, want, (off_t)(lba * STORE_SECTOR));
    return n == (ssize_t)want ? 0 : -1;
}

static int fd_flush(void *ctx)
{
    filedev *f = ctx;
    return fsync(f->fd) == 0 ? 0 : -1;
}

static int open_dev(filedev *f, const char *path, int writable)
{
    f->fd = open(path, writable ? O_RDWR : O_RDONLY);
    if (f->fd < 0) {
        fprintf(stderr, "anvaya-store: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(f->fd, &st) != 0) {
        fprintf(stderr, "anvaya-store: %s: %s\n", path, strerror(errno));
        return -1;
    }
    f->dev.ctx = f;
    f->dev.read = fd_read;
    f->dev.write = fd_write;
    f->dev.flush = fd_flush;
    f->dev.block_count = (uint64_t)st.st_size / STORE_SECTOR;
    f->dev.block_size = STORE_SECTOR;
    return 0;
}

static void say_fault(const store *s, store_err e, const char *what)
{
    const store_fault *f = store_last_fault(s);
    if ((e == STORE_E_CORRUPT || e == STORE_E_IO || e == STORE_E_NOSTORE) && f->err == e) {
        char line[200];
        store_fault_format(f, line, sizeof line);
        fprintf(stderr, "anvaya-store: %s: %s\n", what, line);
    } else {
        fprintf(stderr, "anvaya-store: %s: %s\n", what, store_strerror(e));
    }
}

static void *mem;

static int mount_image(store *s, filedev *f, const char *image, int writable)
{
    if (open_dev(f, image, writable) != 0)
        return -1;
    size_t len = store_mem_size(f->dev.block_count, STORE_INODES_MAX, 2048);
    mem = aligned_alloc(8, (len + 7) & ~(size_t)7);
    if (mem == NULL) {
        fprintf(stderr, "anvaya-store: out of memory\n");
        return -1;
    }
    store_err e = store_mount(s, &f->dev, mem, len);
    if (e != STORE_OK) {
        say_fault(s, e, image);
        return -1;
    }
    return 0;
}

static uint64_t parse_size(const char *a)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(a, &end, 0);
    if (errno != 0 || end == a)
        return 0;
    if (*end == 'K' || *end == 'k')
        v <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        v <<= 20, end++;
    else if (*end == 'G' || *end == 'g')
        v <<= 30, end++;
    return *end == '\0' ? (uint64_t)v : 0;
}

static int put_stream(store *s, const store_root *r, const char *path, FILE *in);

/* Copies the host directory `dir` into the store below `path` (regular files and
 * directories only; names must be valid store names). */
static int preload(store *s, const store_root *r, const char *dir, const char *path, int depth)
{
    if (depth > (int)STORE_PATH_DEPTH) {
        fprintf(stderr, "anvaya-store: %s: too deep\n", dir);
        return 1;
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "anvaya-store: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char host[4096], inner[STORE_PATH_MAX + 2];
        snprintf(host, sizeof host, "%s/%s", dir, e->d_name);
        int n = snprintf(inner, sizeof inner, "%s%s%s", path, path[0] ? "/" : "", e->d_name);
        if (n < 0 || (size_t)n > STORE_PATH_MAX) {
            fprintf(stderr, "anvaya-store: %s: path too long for the store\n", host);
            rc = 1;
            break;
        }
        struct stat st;
        if (stat(host, &st) != 0) {
            fprintf(stderr, "anvaya-store: %s: %s\n", host, strerror(errno));
            rc = 1;
        } else if (S_ISDIR(st.st_mode)) {
            store_err err = store_mkdir(s, r, inner);
            if (err != STORE_OK) {
                say_fault(s, err, inner);
                rc = 1;
            } else {
                rc = preload(s, r, host, inner, depth + 1);
            }
        } else if (S_ISREG(st.st_mode)) {
            FILE *in = fopen(host, "rb");
            if (in == NULL) {
                fprintf(stderr, "anvaya-store: %s: %s\n", host, strerror(errno));
                rc = 1;
            } else {
                rc = put_stream(s, r, inner, in);
                fclose(in);
            }
        }
    }
    closedir(d);
    return rc;
}

static int cmd_mkfs(int argc, char **argv)
{
    const char *image = NULL, *from = NULL;
    uint64_t size = 0, inodes = 4096;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
            size = parse_size(argv[++i]);
        else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (strcmp(argv[i], "--inodes") == 0 && i + 1 < argc)
            inodes = parse_size(argv[++i]);
        else if (image == NULL)
            image = argv[i];
        else
            return 2;
    }
    if (image == NULL)
        return 2;
    int fd = open(image, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        fprintf(stderr, "anvaya-store: %s: %s\n", image, strerror(errno));
        return 1;
    }
    if (size != 0 && ftruncate(fd, (off_t)(size / STORE_SECTOR * STORE_SECTOR)) != 0) {
        fprintf(stderr, "anvaya-store: %s: %s\n", image, strerror(errno));
        close(fd);
        return 1;
    }
    close(fd);
    filedev f;
    if (open_dev(&f, image, 1) != 0)
        return 1;
    store_err e = store_mkfs(&f.dev, inodes);
    close(f.fd);
    if (e != STORE_OK) {
        fprintf(stderr, "anvaya-store: mkfs %s: %s\n", image, store_strerror(e));
        return 1;
    }
    if (from != NULL) {
        store s;
        filedev g;
        if (mount_image(&s, &g, image, 1) != 0)
            return 1;
        store_root r;
        store_root_handle(&s, &r);
        int rc = preload(&s, &r, from, "", 0);
        if (rc == 0 && store_sync(&s) != STORE_OK) {
            fprintf(stderr, "anvaya-store: sync failed\n");
            rc = 1;
        }
        free(mem);
        close(g.fd);
        if (rc != 0)
            return 1;
    }
    printf("%s: store of %" PRIu64 " sectors, %" PRIu64 " inodes%s%s\n", image,
           f.dev.block_count, inodes, from ? ", preloaded from " : "", from ? from : "");
    return 0;
}

static int ls_dir(store *s, const store_root *r, const char *path, int recursive, int depth)
{
    uint64_t cookie = 0;
    store_dirent d;
    for (uint64_t n = 0; n < 1000000; n++) {
        store_err e = store_list(s, r, path, &cookie, &d);
        if (e == STORE_E_END)
            return 0;
        if (e != STORE_OK) {
            say_fault(s, e, path[0] ? path : "(root)");
            return 1;
        }
        char child[STORE_PATH_MAX + 2];
        int len = snprintf(child, sizeof child, "%s%s%s", path, path[0] ? "/" : "", d.name);
        printf("%c %10" PRIu64 "  %s%s\n", d.type == STORE_T_DIR ? 'd' : '-', d.size, child,
               d.type == STORE_T_DIR ? "/" : "");
        if (recursive && d.type == STORE_T_DIR && len > 0 && (size_t)len < sizeof child &&
            depth < (int)STORE_PATH_DEPTH) {
            if (ls_dir(s, r, child, recursive, depth + 1) != 0)
                return 1;
        }
    }
    return 0;
}

static int cmd_ls(store *s, int argc, char **argv)
{
    int rec = 0;
    const char *path = "";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0)
            rec = 1;
        else
            path = argv[i];
    }
    store_root r;
    store_err e = store_root_handle(s, &r);
    if (e != STORE_OK) {
        say_fault(s, e, "root");
        return 1;
    }
    return ls_dir(s, &r, path, rec, 0);
}

static int cmd_get(store *s, int argc, char **argv)
{
    if (argc < 1 || argc > 2)
        return 2;
    FILE *out = stdout;
    if (argc == 2 && strcmp(argv[1], "-") != 0) {
        out = fopen(argv[1], "wb");
        if (out == NULL) {
            fprintf(stderr, "anvaya-store: %s: %s\n", argv[1], strerror(errno));
            return 1;
        }
    }
    store_root r;
    store_root_handle(s, &r);
    static uint8_t buf[1 << 16];
    uint64_t off = 0;
    for (;;) {
        size_t got;
        store_err e = store_read(s, &r, argv[0], off, buf, sizeof buf, &got);
        if (e != STORE_OK) {
            say_fault(s, e, argv[0]);
            if (out != stdout)
                fclose(out);
            return 1;
        }
        if (got == 0)
            break;
        if (fwrite(buf, 1, got, out) != got) {
            fprintf(stderr, "anvaya-store: write failed\n");
            return 1;
        }
        off += got;
    }
    if (out != stdout && fclose(out) != 0)
        return 1;
    return 0;
}

/* Creates (or empties) path and writes the stream into it, in pieces the cache can hold. */
static int put_stream(store *s, const store_root *r, const char *path, FILE *in)
{
    store_err e = store_create(s, r, path);
    if (e == STORE_E_EXIST)
        e = store_truncate(s, r, path, 0);
    if (e != STORE_OK) {
        say_fault(s, e, path);
        return 1;
    }
    size_t chunk = (size_t)store_max_write(s);
    if (chunk > (1u << 20))
        chunk = 1u << 20;
    uint8_t *buf = malloc(chunk);
    if (buf == NULL)
        return 1;
    uint64_t off = 0;
    for (;;) {
        size_t n = fread(buf, 1, chunk, in);
        if (n == 0)
            break;
        e = store_write(s, r, path, off, buf, n);
        if (e != STORE_OK) {
            say_fault(s, e, path);
            free(buf);
            return 1;
        }
        off += n;
    }
    free(buf);
    if (ferror(in)) {
        fprintf(stderr, "anvaya-store: reading the input of %s failed\n", path);
        return 1;
    }
    return 0;
}

static int cmd_put(store *s, int argc, char **argv)
{
    if (argc < 1 || argc > 2)
        return 2;
    FILE *in = stdin;
    if (argc == 2 && strcmp(argv[1], "-") != 0) {
        in = fopen(argv[1], "rb");
        if (in == NULL) {
            fprintf(stderr, "anvaya-store: %s: %s\n", argv[1], strerror(errno));
            return 1;
        }
    }
    store_root r;
    store_root_handle(s, &r);
    int rc = put_stream(s, &r, argv[0], in);
    if (in != stdin)
        fclose(in);
    if (rc != 0)
        return 1;
    store_err e = store_sync(s);
    if (e != STORE_OK) {
        say_fault(s, e, "sync");
        return 1;
    }
    return 0;
}

static int finish(store *s, store_err e, const char *what)
{
    if (e == STORE_OK)
        e = store_sync(s);
    if (e != STORE_OK) {
        say_fault(s, e, what);
        return 1;
    }
    return 0;
}

static void report_line(void *ctx, const char *line)
{
    (void)ctx;
    printf("damage: %s\n", line);
}

static int cmd_check(store *s, const char *image)
{
    uint64_t problems = 0;
    store_err e = store_check(s, report_line, NULL, &problems);
    if (e != STORE_OK) {
        say_fault(s, e, image);
        return 1;
    }
    if (problems != 0) {
        printf("%s: %" PRIu64 " problem(s)\n", image, problems);
        return 1;
    }
    printf("%s: clean\n", image);
    return 0;
}

static void dump_line(void *ctx, const char *line)
{
    (void)ctx;
    printf("%s\n", line);
}

/* The raw superblocks, then the store's own description of every inode. */
static int cmd_dump(const char *image)
{
    filedev f;
    if (open_dev(&f, image, 0) != 0)
        return 1;
    uint8_t b[STORE_SECTOR];
    for (uint64_t slot = 0; slot < 2; slot++) {
        if (fd_read(&f, slot, 1, b) != 0) {
            printf("superblock %" PRIu64 ": unreadable\n", slot);
            continue;
        }
        uint32_t crc = store_crc32c(0, b, 508);
        printf("superblock %" PRIu64 ": magic %016" PRIx64 " version %u generation %" PRIu64
               " sectors %" PRIu64 " inodes %" PRIu64 " next-birth %" PRIu64
               " itab-height %u crc %08x (%s)\n",
               slot, store_get64(b), store_get32(b + 8), store_get64(b + 16),
               store_get64(b + 24), store_get64(b + 32), store_get64(b + 40),
               store_get32(b + 48), store_get32(b + 508),
               crc == store_get32(b + 508) ? "ok" : "BAD");
    }
    close(f.fd);
    store s;
    filedev g;
    if (mount_image(&s, &g, image, 0) != 0)
        return 1;
    store_err e = store_dump(&s, dump_line, NULL);
    if (e != STORE_OK) {
        say_fault(&s, e, image);
        return 1;
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: anvaya-store mkfs IMAGE [--size BYTES[K|M|G]] [--inodes N] [--from DIR]\n"
            "       anvaya-store ls IMAGE [PATH] [-r]\n"
            "       anvaya-store get IMAGE PATH [OUT]\n"
            "       anvaya-store put IMAGE PATH [IN]\n"
            "       anvaya-store rm IMAGE PATH\n"
            "       anvaya-store mkdir IMAGE PATH\n"
            "       anvaya-store quota IMAGE DIR BYTES ENTRIES   (\"-\" for unlimited)\n"
            "       anvaya-store check IMAGE\n"
            "       anvaya-store dump IMAGE\n"
            "Paths are relative to the store's root: no leading '/', no '.' or '..'.\n");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        usage();
        return 2;
    }
    const char *cmd = argv[1], *image = argv[2];
    int rc;
    if (strcmp(cmd, "mkfs") == 0) {
        rc = cmd_mkfs(argc - 2, argv + 2);
        if (rc == 2)
            usage();
        return rc;
    }
    if (strcmp(cmd, "dump") == 0)
        return cmd_dump(image);
    int writable = strcmp(cmd, "put") == 0 || strcmp(cmd, "rm") == 0 ||
                   strcmp(cmd, "mkdir") == 0 || strcmp(cmd, "quota") == 0;
    if (!writable && strcmp(cmd, "ls") != 0 && strcmp(cmd, "get") != 0 &&
        strcmp(cmd, "check") != 0) {
        usage();
        return 2;
    }
    store s;
    filedev f;
    if (mount_image(&s, &f, image, writable) != 0)
        return 1;
    store_root r;
    store_root_handle(&s, &r);
    if (strcmp(cmd, "ls") == 0) {
        rc = cmd_ls(&s, argc - 3, argv + 3);
    } else if (strcmp(cmd, "get") == 0) {
        rc = cmd_get(&s, argc - 3, argv + 3);
    } else if (strcmp(cmd, "put") == 0) {
        rc = cmd_put(&s, argc - 3, argv + 3);
    } else if (strcmp(cmd, "check") == 0) {
        rc = cmd_check(&s, image);
    } else if (argc != 4 && strcmp(cmd, "quota") != 0) {
        rc = 2;
    } else if (strcmp(cmd, "rm") == 0) {
        store_stat st;
        store_err e = store_stat_path(&s, &r, argv[3], &st);
        if (e == STORE_OK)
            e = st.type == STORE_T_DIR ? store_rmdir(&s, &r, argv[3]) : store_unlink(&s, &r, argv[3]);
        rc = finish(&s, e, argv[3]);
    } else if (strcmp(cmd, "mkdir") == 0) {
        rc = finish(&s, store_mkdir(&s, &r, argv[3]), argv[3]);
    } else if (argc == 6) {
        uint64_t qb = strcmp(argv[4], "-") == 0 ? STORE_UNLIMITED : parse_size(argv[4]);
        uint64_t qe = strcmp(argv[5], "-") == 0 ? STORE_UNLIMITED : parse_size(argv[5]);
        rc = finish(&s, store_set_quota(&s, &r, argv[3], qb, qe), argv[3]);
    } else {
        rc = 2;
    }
    if (rc == 2)
        usage();
    free(mem);
    close(f.fd);
    return rc;
}
