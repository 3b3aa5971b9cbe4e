/* The download test client: reads "list" from its subtree of the file store (lines of
 * "<url> <staging file> <fetch|install> [watched]", written by tests/qemu/test_pkg_fetch.py),
 * asks the package service to fetch each URL and, for "install", to install the download
 * and then unstage it; prints each result with its instructions and milliseconds. Before a
 * "watched" fetch it signals its `watched` event (the watcher then acts during it). */
#include <stdio.h>
#include <string.h>

#include "pfclient_gen.h"

#define LIST_MAX 4096u
#define LINES_MAX 32u
#define TIME_PER_MS 10000u

static char list_text[LIST_MAX + 1];

static uint64_t now_ms(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t / TIME_PER_MS;
}

/* Every process's and the kernel's: exact under -icount (the benchmark), else indicative. */
static uint64_t instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

static bool read_list(size_t *len)
{
    struct anv_bytes_128 p = {.len = 4};
    memcpy(p.data, "list", 4);
    struct file_stat st;
    int e = pkg_fetch_client_files_stat(&p, &st);
    if (e != ANV_OK || st.size > LIST_MAX || st.size > PKG_FETCH_CLIENT_FBUF_SIZE) {
        printf("pkgfetch: the list: stat %d, %lu bytes (at most %u)\n", e,
               (unsigned long)st.size, LIST_MAX);
        return false;
    }
    uint32_t got = 0;
    e = pkg_fetch_client_files_read(&p, 0, (uint32_t)st.size, &got);
    if (e != ANV_OK || got != st.size) {
        printf("pkgfetch: the list: read %d, %u of %lu bytes\n", e, got, (unsigned long)st.size);
        return false;
    }
    const volatile uint8_t *fb = (const volatile uint8_t *)PKG_FETCH_CLIENT_FBUF;
    for (uint32_t i = 0; i < got; i++)
        list_text[i] = (char)fb[i];
    list_text[got] = '\0';
    *len = got;
    return true;
}

static void install_and_unstage(const struct anv_bytes_64 *file)
{
    struct package_info pkg;
    uint64_t i0 = instret(), t0 = now_ms();
    int e = pkg_fetch_client_packages_install(file, &pkg);
    uint64_t i1 = instret(), t1 = now_ms();
    if (e == ANV_OK)
        printf("pkgfetch: install %.*s -> 0 (%.*s %u.%u.%u, payload %lu): %lu ms, %lu "
               "instructions\n", (int)file->len, (const char *)file->data, (int)pkg.name.len,
               (const char *)pkg.name.data, (unsigned)pkg.major, (unsigned)pkg.minor,
               (unsigned)pkg.patch, (unsigned long)pkg.payload_length,
               (unsigned long)(t1 - t0), (unsigned long)(i1 - i0));
    else
        printf("pkgfetch: install %.*s -> %d\n", (int)file->len, (const char *)file->data, e);
    /* The download's job is done either way: installed (copied into installed/) or refused. */
    printf("pkgfetch: unstage %.*s -> %d\n", (int)file->len, (const char *)file->data,
           pkg_fetch_client_packages_unstage(file));
}

static void one(const char *url, size_t url_len, const char *file, size_t file_len, bool install,
                bool watched)
{
    struct anv_bytes_128 u = {.len = (uint32_t)url_len};
    struct anv_bytes_64 f = {.len = (uint32_t)file_len};
    memcpy(u.data, url, url_len);
    memcpy(f.data, file, file_len);
    uint64_t length = 0, i0 = instret(), t0 = now_ms();
    /* Where the call starts, so the console shows what else was answered meanwhile. */
    printf("pkgfetch: fetching %.*s at %lu ms\n", (int)url_len, url, (unsigned long)t0);
    anv_console_flush();
    if (watched) {
        int we = pkg_fetch_client_watched_emit();
        if (we != ANV_OK)
            printf("pkgfetch: the watched event: %d\n", we);
    }
    int e = pkg_fetch_client_packages_fetch(&u, &f, &length);
    uint64_t i1 = instret(), t1 = now_ms();
    printf("pkgfetch: fetch %.*s -> %d: %lu bytes, %lu ms, %lu instructions\n", (int)url_len,
           url, e, (unsigned long)length, (unsigned long)(t1 - t0), (unsigned long)(i1 - i0));
    anv_console_flush();
    if (e == ANV_OK && install)
        install_and_unstage(&f);
    anv_console_flush();
}

static void list_installed(void)
{
    char line[512];
    size_t at = 0;
    uint32_t cookie = 0;
    int e = ANV_OK;
    line[0] = '\0';
    for (uint32_t guard = 0; guard < 64; guard++) {
        struct package_info pkg;
        e = pkg_fetch_client_packages_list(&cookie, &pkg);
        if (e != ANV_OK)
            break;
        int n = snprintf(line + at, sizeof line - at, " %.*s=%u.%u.%u", (int)pkg.name.len,
                         (const char *)pkg.name.data, (unsigned)pkg.major, (unsigned)pkg.minor,
                         (unsigned)pkg.patch);
        if (n > 0 && (size_t)n < sizeof line - at)
            at += (size_t)n;
    }
    printf("pkgfetch: list:%s (then %d)\n", line, e);
}

/* Splits the list into its lines' three words; a line that does not fit is said and skipped. */
static unsigned run_list(size_t len)
{
    unsigned done = 0;
    size_t at = 0;
    for (uint32_t guard = 0; guard < LINES_MAX && at < len; guard++) {
        size_t end = at;
        while (end < len && list_text[end] != '\n')
            end++;
        const char *w[4];
        size_t wl[4], k = 0, i = at;
        while (k < 4 && i < end) {
            while (i < end && list_text[i] == ' ')
                i++;
            size_t s = i;
            while (i < end && list_text[i] != ' ')
                i++;
            if (i > s) {
                w[k] = list_text + s;
                wl[k] = i - s;
                k++;
            }
        }
        bool watched = k == 4 && wl[3] == 7 && memcmp(w[3], "watched", 7) == 0;
        if ((k == 3 || watched) && wl[0] <= 128 && wl[1] <= 64 &&
            ((wl[2] == 7 && memcmp(w[2], "install", 7) == 0) ||
             (wl[2] == 5 && memcmp(w[2], "fetch", 5) == 0))) {
            one(w[0], wl[0], w[1], wl[1], wl[2] == 7, watched);
            done++;
        } else if (end > at) {
            printf("pkgfetch: list line at %lu not understood\n", (unsigned long)at);
        }
        at = end + 1;
    }
    return done;
}

int main(void)
{
    size_t len = 0;
    int status = 1;
    list_installed();
    if (read_list(&len)) {
        unsigned n = run_list(len);
        list_installed();
        printf("pkgfetch: done, %u downloads asked for\n", n);
        status = 0;
    }
    anv_console_flush();
    anv_system_shutdown(PKG_FETCH_CLIENT_HANDLE_SYSCTL, status);
    return status;
}
