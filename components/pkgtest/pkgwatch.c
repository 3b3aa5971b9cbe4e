/* The other client of the download test: a PackageReader client that lists and reads
 * every period_ms and prints how long each round's answers took, and a Packages client
 * that installs one staged file a second after the fetch client says a download began
 * and asks for a download of its own a second later, so the console shows whether the
 * package service answered them during the download, and that a second download waits. */
#include <stdio.h>
#include <string.h>

#include "pfwatch_gen.h"

#define TIME_PER_MS 10000u /* QEMU virt's timebase is 10 MHz */
#define TICK_MS 10u
#define INSTALL_DELAY_MS 1000u

static uint64_t now_ms(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t / TIME_PER_MS;
}

static void round_once(uint32_t k)
{
    struct package_info pkg;
    uint32_t cookie = 0, got = 0;
    uint64_t total = 0, t0 = now_ms();
    int le = pkg_watch_packages_list(&cookie, &pkg);
    int re = le;
    if (le == ANV_OK) {
        struct anv_bytes_64 name = {.len = pkg.name.len};
        memcpy(name.data, pkg.name.data, pkg.name.len);
        re = pkg_watch_packages_read(&name, 0, PKG_WATCH_BUF_SIZE, &got, &total);
    }
    uint64_t ms = now_ms() - t0;
    if (le == ANV_OK)
        printf("pkgwatch: round %u at %lu ms: list %.*s %u.%u.%u, read %u of %lu -> %d, "
               "answered in %lu ms\n", (unsigned)k, (unsigned long)t0, (int)pkg.name.len,
               (const char *)pkg.name.data, (unsigned)pkg.major, (unsigned)pkg.minor,
               (unsigned)pkg.patch, (unsigned)got, (unsigned long)total, re, (unsigned long)ms);
    else
        printf("pkgwatch: round %u at %lu ms: list -> %d, answered in %lu ms\n", (unsigned)k,
               (unsigned long)t0, le, (unsigned long)ms);
    anv_console_flush();
}

/* A fetch while another download is under way: it waits its turn, then runs. */
static void fetch_queued(void)
{
    const char *url = PKG_WATCH_CONFIG_QUEUED_URL;
    struct anv_bytes_128 u = {.len = (uint32_t)strlen(url)};
    struct anv_bytes_64 f = {.len = 10};
    memcpy(u.data, url, u.len);
    memcpy(f.data, "queued.pkg", 10);
    uint64_t length = 0, t0 = now_ms();
    int e = pkg_watch_manage_fetch(&u, &f, &length);
    printf("pkgwatch: fetch %s at %lu ms -> %d, answered in %lu ms\n", url, (unsigned long)t0, e,
           (unsigned long)(now_ms() - t0));
    anv_console_flush();
}

static void install_once(void)
{
    const char *file = PKG_WATCH_CONFIG_INSTALL_FILE;
    struct anv_bytes_64 f = {.len = (uint32_t)strlen(file)};
    memcpy(f.data, file, f.len);
    struct package_info pkg;
    uint64_t t0 = now_ms();
    int e = pkg_watch_manage_install(&f, &pkg);
    uint64_t ms = now_ms() - t0;
    if (e == ANV_OK)
        printf("pkgwatch: install %s at %lu ms -> 0 (%.*s %u.%u.%u), answered in %lu ms\n", file,
               (unsigned long)t0, (int)pkg.name.len, (const char *)pkg.name.data,
               (unsigned)pkg.major, (unsigned)pkg.minor, (unsigned)pkg.patch, (unsigned long)ms);
    else
        printf("pkgwatch: install %s at %lu ms -> %d, answered in %lu ms\n", file,
               (unsigned long)t0, e, (unsigned long)ms);
    anv_console_flush();
}

int main(void)
{
    const uint32_t ticks =
        PKG_WATCH_CONFIG_PERIOD_MS / TICK_MS ? PKG_WATCH_CONFIG_PERIOD_MS / TICK_MS : 1u;
    uint64_t install_at = 0;
    bool installed = false, fetched = PKG_WATCH_CONFIG_QUEUED_URL[0] == '\0';
    for (uint32_t k = 1; k <= PKG_WATCH_CONFIG_ROUNDS; k++) {
        round_once(k);
        if (!installed && install_at != 0 && now_ms() >= install_at) {
            install_once();
            installed = true;
        }
        if (installed && !fetched && now_ms() >= install_at + INSTALL_DELAY_MS) {
            fetch_queued();
            fetched = true;
        }
        uint64_t res = 0, bits = 0;
        int e = anv_wait_one(PKG_WATCH_HANDLE_EVENTS, ticks, &res, &bits);
        if (e == ANV_OK && res == ANV_WAIT_NOTIFIED && install_at == 0)
            install_at = now_ms() + INSTALL_DELAY_MS;
    }
    printf("pkgwatch: done, %u rounds\n", (unsigned)PKG_WATCH_CONFIG_ROUNDS);
    return 0;
}
