/* The boot plan: installs and downloads the packages its configuration lists through the
 * package service, says what each step did and why, waits for the apps it awaits, then
 * shuts the system down (idl/components/installer.idl). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "installer_gen.h"
#include <anvaya/services.h>

#define PLAN_WORDS 16u
#define URL_MAX 128u
#define FILE_MAX 54u           /* staging file names: packages.idl's stage */
#define WORD_MAX 64u
#define POLL_TICKS 10u         /* kernel ticks of 10 ms between two looks at the awaited */

/* The configuration's strings (idl/components/installer.idl). */
static const char installer_plan[] = INSTALLER_CONFIG_PLAN;
static const char installer_expect[] = INSTALLER_CONFIG_EXPECT;
static const char installer_await_text[] = INSTALLER_CONFIG_AWAIT;

/* One line through the console service (Log: one line a call, at most 199 bytes). */
static void installer_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void installer_say(const char *fmt, ...)
{
    struct anv_bytes_200 line;
    memset(&line, 0, sizeof line);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf((char *)line.data, sizeof line.data, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    line.len = (size_t)n < sizeof line.data ? (uint32_t)n : (uint32_t)sizeof line.data - 1u;
    memset(line.data + line.len, 0, sizeof line.data - line.len);
    (void)installer_log_write(LOG_LEVEL_INFO, &line);   /* nowhere else to say it failed */
}

typedef struct installer_word {
    const char *text;
    size_t len;
} installer_word;

/* Space-separated words of s (bounded by cap); any more are ignored and said. */
static uint32_t installer_split(const char *s, size_t len, installer_word *out, uint32_t cap,
                                const char *what)
{
    uint32_t n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && s[i] == ' ')
            i++;
        size_t start = i;
        while (i < len && s[i] != ' ')
            i++;
        if (i == start)
            break;
        if (n == cap) {
            installer_say("installer: more than %u words in %s: the rest is ignored", cap, what);
            break;
        }
        out[n].text = s + start;
        out[n].len = i - start;
        n++;
    }
    return n;
}

/* "ok", or the Packages error's name, or the number for anything else. */
static const char *installer_outcome(int e, char *buf, size_t cap)
{
    if (e == ANV_OK || e == (int)PACKAGES_E_INSTALLED)
        return "ok";
    const char *name = packages_error_name(e);
    if (name != NULL)
        return name;
    (void)snprintf(buf, cap, "%d", e);
    return buf;
}

static void installer_print_result(const char *verb, const installer_word *subject, int e)
{
    char num[16];
    const char *name = installer_outcome(e, num, sizeof num);
    if (e == (int)PACKAGES_E_INSTALLED)
        installer_say("installer: %s %.*s: already installed", verb, (int)subject->len, subject->text);
    else
        installer_say("installer: %s %.*s refused: %s (%d)", verb, (int)subject->len, subject->text,
               name, e);
}

static int installer_install(const installer_word *file)
{
    struct anv_bytes_64 f = {.len = (uint32_t)file->len};
    memcpy(f.data, file->text, file->len);
    struct package_info pkg;
    int e = installer_packages_install(&f, &pkg);
    if (e == ANV_OK)
        installer_say("installer: installed %.*s %u.%u.%u from %.*s (%lu-byte payload)",
               (int)pkg.name.len, (const char *)pkg.name.data, (unsigned)pkg.major,
               (unsigned)pkg.minor, (unsigned)pkg.patch, (int)file->len, file->text,
               (unsigned long)pkg.payload_length);
    else
        installer_print_result("install", file, e);
    return e;
}

/* `url=file`: download, then install what came. */
static int installer_fetch(const installer_word *w, size_t eq)
{
    installer_word url = {w->text, eq}, file = {w->text + eq + 1, w->len - eq - 1};
    if (url.len == 0 || url.len > URL_MAX || file.len == 0 || file.len > FILE_MAX) {
        installer_say("installer: '%.*s' is not url=file (a URL of at most %u bytes, a file name of "
               "at most %u)", (int)w->len, w->text, URL_MAX, FILE_MAX);
        return (int)PACKAGES_E_ARGUMENT;
    }
    struct anv_bytes_128 u = {.len = (uint32_t)url.len};
    struct anv_bytes_64 f = {.len = (uint32_t)file.len};
    memcpy(u.data, url.text, url.len);
    memcpy(f.data, file.text, file.len);
    uint64_t length = 0;
    installer_say("installer: downloading %.*s", (int)url.len, url.text);
    int e = installer_packages_fetch(&u, &f, &length);
    if (e != ANV_OK) {
        installer_print_result("download", &url, e);
        return e;
    }
    installer_say("installer: downloaded %lu bytes into %.*s", (unsigned long)length,
           (int)file.len, file.text);
    return installer_install(&file);
}

static void installer_list(void)
{
    char line[400];
    size_t at = 0;
    uint32_t cookie = 0;
    line[0] = '\0';
    int e = ANV_OK;
    for (uint32_t guard = 0; guard < 32u; guard++) {
        struct package_info pkg;
        e = installer_packages_list(&cookie, &pkg);
        if (e != ANV_OK)
            break;
        int n = snprintf(line + at, sizeof line - at, " %.*s %u.%u.%u;", (int)pkg.name.len,
                         (const char *)pkg.name.data, (unsigned)pkg.major, (unsigned)pkg.minor,
                         (unsigned)pkg.patch);
        if (n > 0 && (size_t)n < sizeof line - at)
            at += (size_t)n;
    }
    if (e != ANV_OK && e != (int)PACKAGES_E_END)
        installer_say("installer: listing the installed packages failed: %d", e);
    installer_say("installer: installed now:%s", at ? line : " nothing");
}

/* Runs the plan; the number of steps whose outcome was not the expected one. */
static uint32_t installer_run_plan(void)
{
    installer_word plan[PLAN_WORDS], expect[PLAN_WORDS];
    uint32_t n = installer_split(installer_plan, sizeof installer_plan - 1, plan, PLAN_WORDS, "plan");
    uint32_t m = installer_split(installer_expect, sizeof installer_expect - 1, expect, PLAN_WORDS, "expect");
    if (m != 0 && m != n) {
        installer_say("installer: the plan has %u steps but expect names %u outcomes", n, m);
        return n ? n : 1;
    }
    uint32_t unexpected = 0;
    for (uint32_t k = 0; k < n; k++) {
        const char *eq = memchr(plan[k].text, '=', plan[k].len);
        int e = eq ? installer_fetch(&plan[k], (size_t)(eq - plan[k].text))
                   : (plan[k].len <= FILE_MAX ? installer_install(&plan[k])
                                              : (int)PACKAGES_E_ARGUMENT);
        char num[16];
        const char *got = installer_outcome(e, num, sizeof num);
        const char *want = "ok";
        size_t want_len = 2;
        if (m) {
            want = expect[k].text;
            want_len = expect[k].len;
        }
        if (strlen(got) != want_len || memcmp(got, want, want_len) != 0) {
            installer_say("installer: step %u (%.*s): expected %.*s, got %s", k + 1,
                   (int)plan[k].len, plan[k].text, (int)want_len, want, got);
            unexpected++;
        }
    }
    return unexpected;
}

#ifdef INSTALLER_HANDLE_REGISTRY
/* Waits until every awaited service has ended; how many had not by the deadline. */
static uint32_t installer_await(void)
{
    installer_word names[PLAN_WORDS];
    uint32_t n = installer_split(installer_await_text, sizeof installer_await_text - 1, names, PLAN_WORDS, "await");
    uint64_t rounds = (uint64_t)INSTALLER_CONFIG_AWAIT_MS / (POLL_TICKS * 10u) + 1u;
    uint32_t pending = n;
    for (uint64_t r = 0; r < rounds && pending; r++) {
        pending = 0;
        for (uint32_t k = 0; k < n; k++) {
            char name[WORD_MAX + 1];
            size_t len = names[k].len < WORD_MAX ? names[k].len : WORD_MAX;
            memcpy(name, names[k].text, len);
            name[len] = '\0';
            uint32_t state = 0, restarts = 0;
            int e = anv_sm_status(INSTALLER_HANDLE_REGISTRY, name, &state, &restarts);
            if (e != ANV_OK) {
                installer_say("installer: cannot await %s: init answers %d", name, e);
                return n;
            }
            if (state != ANV_SM_EXITED && state != ANV_SM_FAILED)
                pending++;
        }
        if (pending) {
            uint64_t result = 0;
            (void)anv_wait_one(ANV_HANDLE_NULL, POLL_TICKS, &result, NULL);
        }
    }
    if (pending)
        installer_say("installer: %u of the awaited services still run after %u ms", pending,
               (unsigned)INSTALLER_CONFIG_AWAIT_MS);
    else if (n)
        installer_say("installer: every awaited app has ended");
    return pending;
}
#else
static uint32_t installer_await(void)
{
    if (sizeof installer_await_text > 1) {
        installer_say("installer: `await` needs init's registry: connect manage installer -> <app>");
        return 1;
    }
    return 0;
}
#endif

int main(void)
{
    uint32_t unexpected = installer_run_plan();
    installer_list();
    installer_say("installer: plan done, %u unexpected outcomes", unexpected);
    uint32_t late = installer_await();
    int status = (unexpected || late) ? 1 : 0;
    if (INSTALLER_CONFIG_SHUTDOWN) {
        installer_say("installer: shutting the system down (status %d)", status);
        int e = anv_system_shutdown(INSTALLER_HANDLE_SYSCTL, (uint32_t)status);
        installer_say("installer: shutdown refused: %d", e);
    }
    return status;
}
