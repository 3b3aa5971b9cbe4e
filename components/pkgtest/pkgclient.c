/* The package service's test client. Mode 0 (tests/qemu/test_pkg.py): installs the staged
 * packages the test preloaded, in a fixed order, and prints every result, the list and
 * a digest of a payload read back; mode 1 (tests/qemu/test_pkg_crash.py): installs and
 * uninstalls one package for ever while the test kills QEMU. */
#include <stdio.h>
#include <string.h>

#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */

static struct anv_bytes_64 name64(const char *s)
{
    struct anv_bytes_64 b = {0};
    size_t n = strlen(s);
    if (n > sizeof b.data)
        n = sizeof b.data;
    memcpy(b.data, s, n);
    b.len = (uint32_t)n;
    return b;
}

static int install(const char *file)
{
    struct anv_bytes_64 f = name64(file);
    struct package_info pkg;
    int e = pkg_client_packages_install(&f, &pkg);
    if (e == ANV_OK)
        printf("pkgclient: install %s -> 0 (%.*s %u.%u.%u, payload %lu)\n", file,
               (int)pkg.name.len, (const char *)pkg.name.data, (unsigned)pkg.major,
               (unsigned)pkg.minor, (unsigned)pkg.patch, (unsigned long)pkg.payload_length);
    else
        printf("pkgclient: install %s -> %d\n", file, e);
    return e;
}

/* Through the managing interface, or the reader's (a runner's view): the same index. */
static void list(bool via_reader)
{
    char line[512];
    size_t at = 0;
    uint32_t cookie = 0;
    int e = ANV_OK;
    line[0] = '\0';
    for (uint32_t guard = 0; guard < 64; guard++) {
        struct package_info pkg;
        e = via_reader ? pkg_client_reader_list(&cookie, &pkg)
                       : pkg_client_packages_list(&cookie, &pkg);
        if (e != ANV_OK)
            break;
        int n = snprintf(line + at, sizeof line - at, " %.*s=%u.%u.%u", (int)pkg.name.len,
                         (const char *)pkg.name.data, (unsigned)pkg.major, (unsigned)pkg.minor,
                         (unsigned)pkg.patch);
        if (n > 0 && (size_t)n < sizeof line - at)
            at += (size_t)n;
    }
    printf("pkgclient: list:%s (then %d)\n", line, e);
}

/* The payload read back whole through the dataport, and its FNV-1a 64: the test computes
 * the same over the payload it packed. */
static void read_payload(const char *name)
{
    volatile uint8_t *buf = (volatile uint8_t *)PKG_CLIENT_RBUF;
    struct anv_bytes_64 n = name64(name);
    uint64_t h = 0xcbf29ce484222325u, off = 0, total = 0;
    uint8_t head[4] = {0};
    int e = ANV_OK;
    for (uint32_t guard = 0; guard < 1024; guard++) {
        uint32_t got = 0;
        e = pkg_client_reader_read(&n, off, PKG_CLIENT_RBUF_SIZE, &got, &total);
        if (e != ANV_OK || got == 0)
            break;
        for (uint32_t i = 0; i < got; i++) {
            if (off + i < 4)
                head[off + i] = buf[i];
            h = (h ^ buf[i]) * 0x100000001b3u;
        }
        off += got;
    }
    printf("pkgclient: read %s -> %d: %lu of %lu bytes, head %02x%02x%02x%02x, fnv1a %016lx\n",
           name, e, (unsigned long)off, (unsigned long)total, head[0], head[1], head[2], head[3],
           (unsigned long)h);
}

static void scenario(void)
{
    static const char *const first[] = {
        "hello-1.0.0.pkg",      /* accepted */
        "hello-1.1.0.pkg",      /* the upgrade */
        "hello-1.0.0.pkg",      /* rollback */
        "hello-1.1.0.pkg",      /* already installed */
        "hello-1.1.0-other.pkg", /* the same version, other bytes: rollback */
        "hello-tampered.pkg",   /* payload changed after signing */
        "hello-badsig.pkg",     /* a signature bit flipped */
        "hello-unknown.pkg",    /* signed by a key the system does not trust */
        "hello-truncated.pkg",
        "hello-oversized.pkg",  /* a byte after the payload */
        "huge.pkg",             /* above the service's limit */
        "hello-malformed.pkg",  /* a manifest field breaking its rule */
        "greedy-1.0.0.pkg",     /* more storage than the system allows */
        "listener-1.0.0.pkg",   /* a port the system does not allow */
        "missing.pkg",          /* not staged at all */
        "tool-2.0.0.pkg",       /* the second publisher */
    };
    for (unsigned k = 0; k < sizeof first / sizeof first[0]; k++)
        (void)install(first[k]);
    list(true);
    struct anv_bytes_64 tool = name64("tool");
    printf("pkgclient: uninstall tool -> %d\n", pkg_client_packages_uninstall(&tool));
    printf("pkgclient: uninstall tool again -> %d\n", pkg_client_packages_uninstall(&tool));
    (void)install("tool-1.0.0.pkg"); /* below the highest ever installed, though none is now */
    read_payload("hello");
    read_payload("tool");
    /* Bytes from the dataport, as a downloader would stage them. */
    volatile uint8_t *buf = (volatile uint8_t *)PKG_CLIENT_BUF;
    static const char junk[] = "this is not a package, only text staged through the dataport";
    for (size_t i = 0; i < sizeof junk - 1; i++)
        buf[i] = (uint8_t)junk[i];
    struct anv_bytes_64 j = name64("junk.pkg");
    printf("pkgclient: stage junk.pkg -> %d\n",
           pkg_client_packages_stage(&j, 0, (uint32_t)(sizeof junk - 1)));
    (void)install("junk.pkg");
    printf("pkgclient: unstage junk.pkg -> %d\n", pkg_client_packages_unstage(&j));
    struct anv_bytes_64 bad = name64("../versions");
    printf("pkgclient: stage ../versions -> %d\n", pkg_client_packages_stage(&bad, 0, 4));
    list(false);
}

static uint64_t now(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

/* Install, read back, wait as long as the install took, uninstall, for ever: every kill
 * lands somewhere in that cycle, about as often with the package installed as not. */
static void crash_loop(void)
{
    for (uint32_t round = 0;; round++) {
        uint64_t t0 = now();
        int e = install("big.pkg");
        uint64_t took = now() - t0;
        /* Installed already: the kill before this boot came after the install's rename. */
        if (e == ANV_OK || e == (int)PACKAGES_E_INSTALLED)
            read_payload("big");
        anv_console_flush();
        for (uint64_t until = now() + took; now() < until;)
            (void)anv_thread_yield();
        struct anv_bytes_64 big = name64("big");
        e = pkg_client_packages_uninstall(&big);
        printf("pkgclient: round %u uninstall -> %d\n", (unsigned)round, e);
        anv_console_flush();
    }
}

/* The benchmark (tools/pkg_bench.py): installs of a staged 1 MiB package, each timed by
 * the instruction counter and the clock, each followed by an uninstall. */
static void bench(void)
{
    struct anv_bytes_64 name = name64("bench");
    for (uint32_t k = 0; k < 3; k++) {
        uint64_t i0, t0, i1, t1;
        __asm__ volatile("rdinstret %0" : "=r"(i0));
        t0 = now();
        int e = install("bench.pkg");
        __asm__ volatile("rdinstret %0" : "=r"(i1));
        t1 = now();
        printf("pkgclient: bench install %u -> %d: %lu instructions, %lu ticks\n", (unsigned)k, e,
               (unsigned long)(i1 - i0), (unsigned long)(t1 - t0));
        e = pkg_client_packages_uninstall(&name);
        if (e != ANV_OK)
            printf("pkgclient: bench uninstall -> %d\n", e);
    }
}

int main(void)
{
    printf("pkgclient: mode %u\n", (unsigned)PKG_CLIENT_CONFIG_MODE);
    list(false);
    if (PKG_CLIENT_CONFIG_MODE == 1)
        crash_loop();
    if (PKG_CLIENT_CONFIG_MODE == 2)
        bench();
    else
        scenario();
    printf("pkgclient: done\n");
    anv_console_flush();
    anv_system_shutdown(PKG_CLIENT_HANDLE_SYSCTL, 0);
    return 0;
}
