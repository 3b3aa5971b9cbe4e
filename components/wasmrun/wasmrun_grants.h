/* The runner's capability decision (docs/wasm.md, "Capabilities"): what an app may use is
 * what its package requests intersected with what the system grants this runner, deny by
 * default. Pure C, built into every runner and natively for tests/host/wasmrun. */
#ifndef WASMRUN_GRANTS_H
#define WASMRUN_GRANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WASMRUN_CLOCK_MONOTONIC 1u
#define WASMRUN_CLOCK_WALL 2u
#define WASMRUN_CLOCKS_ALL (WASMRUN_CLOCK_MONOTONIC | WASMRUN_CLOCK_WALL)

/* What the app asks for: a package's manifest (PackageInfo), or for a module read from
 * the Files root, which has no manifest, everything (the runner's grant alone decides). */
typedef struct wasmrun_request {
    bool storage;      /* a storage quota above 0 */
    bool net;          /* at least one network entry */
    bool console;
    bool entropy;
    uint32_t clocks;   /* WASMRUN_CLOCK_* */
} wasmrun_request;

/* What the system gave this runner: its connections (files, entropy, net) and its
 * configuration (grant_console, grant_clocks). Same shape as the decision. */
typedef struct wasmrun_grants {
    bool storage, entropy, net, console;
    uint32_t clocks;
} wasmrun_grants;

/* The decision: each capability granted only if both requested and offered. Bits of clocks
 * outside WASMRUN_CLOCKS_ALL are never granted. */
void wasmrun_grants_decide(const wasmrun_request *req, const wasmrun_grants *offer,
                           wasmrun_grants *out);

/* One line (no newline) naming what was granted and, for each capability not granted,
 * why: "grants: console clocks=monotonic; refused: entropy (requested, not granted to this
 * runner); not requested: storage net". Returns the length written (cut to cap - 1). */
size_t wasmrun_grants_describe(const wasmrun_request *req, const wasmrun_grants *offer,
                               const wasmrun_grants *g, char *buf, size_t cap);

/* For the runner's other parts (the socket code): whether the app may use the network.
 * Defined by the runner (components/wasmrun/wasmrun.c) once the decision is made; false
 * before. */
bool wasmrun_grant_net(void);

#endif
