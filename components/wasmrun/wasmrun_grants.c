/* The runner's capability decision: request intersected with offer, and the one console
 * line that says what was granted and why the rest was not. */
#include "wasmrun_grants.h"

#include <stdio.h>
#include <string.h>

void wasmrun_grants_decide(const wasmrun_request *req, const wasmrun_grants *offer,
                           wasmrun_grants *out)
{
    wasmrun_grants g;
    g.storage = req->storage && offer->storage;
    g.entropy = req->entropy && offer->entropy;
    g.net = req->net && offer->net;
    g.console = req->console && offer->console;
    g.clocks = req->clocks & offer->clocks & WASMRUN_CLOCKS_ALL;
    *out = g;
}

/* Appends text at *at within cap, never past it; *at stops at cap - 1 once full. */
static void put(char *buf, size_t cap, size_t *at, const char *text)
{
    size_t n = strlen(text);
    if (*at + 1 >= cap)
        return;
    if (n > cap - 1 - *at)
        n = cap - 1 - *at;
    memcpy(buf + *at, text, n);
    *at += n;
    buf[*at] = '\0';
}

static const char *clock_words(uint32_t bits)
{
    switch (bits & WASMRUN_CLOCKS_ALL) {
    case WASMRUN_CLOCK_MONOTONIC: return "monotonic";
    case WASMRUN_CLOCK_WALL: return "wall";
    case WASMRUN_CLOCKS_ALL: return "monotonic+wall";
    default: return "none";
    }
}

size_t wasmrun_grants_describe(const wasmrun_request *req, const wasmrun_grants *offer,
                               const wasmrun_grants *g, char *buf, size_t cap)
{
    if (buf == NULL || cap == 0)
        return 0;
    size_t at = 0;
    buf[0] = '\0';
    const char *names[4] = {"storage", "net", "console", "entropy"};
    bool asked[4] = {req->storage, req->net, req->console, req->entropy};
    bool offered[4] = {offer->storage, offer->net, offer->console, offer->entropy};
    bool given[4] = {g->storage, g->net, g->console, g->entropy};
    char word[48];

    put(buf, cap, &at, "grants:");
    int any = 0;
    for (int i = 0; i < 4; i++)
        if (given[i]) {
            put(buf, cap, &at, " ");
            put(buf, cap, &at, names[i]);
            any = 1;
        }
    if (g->clocks) {
        snprintf(word, sizeof word, " clocks=%s", clock_words(g->clocks));
        put(buf, cap, &at, word);
        any = 1;
    }
    if (!any)
        put(buf, cap, &at, " none");

    any = 0;
    for (int i = 0; i < 4; i++)
        if (asked[i] && !offered[i]) {
            put(buf, cap, &at, any ? ", " : "; refused: ");
            put(buf, cap, &at, names[i]);
            put(buf, cap, &at, " (requested, not granted to this runner)");
            any = 1;
        }
    uint32_t missing = req->clocks & WASMRUN_CLOCKS_ALL & ~offer->clocks;
    if (missing) {
        snprintf(word, sizeof word, "clocks=%s", clock_words(missing));
        put(buf, cap, &at, any ? ", " : "; refused: ");
        put(buf, cap, &at, word);
        put(buf, cap, &at, " (requested, not granted to this runner)");
    }

    any = 0;
    for (int i = 0; i < 4; i++)
        if (!asked[i]) {
            put(buf, cap, &at, any ? " " : "; not requested: ");
            put(buf, cap, &at, names[i]);
            any = 1;
        }
    if ((req->clocks & WASMRUN_CLOCKS_ALL) == 0)
        put(buf, cap, &at, any ? " clocks" : "; not requested: clocks");
    return at;
}
