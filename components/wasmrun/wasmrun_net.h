/* The runner's socket backend over the network stack's Socket interface (wasmrun_net.c),
 * present when the runner's `net` port is connected (WASM_RUNNER_HANDLE_NET). */
#ifndef WASMRUN_NET_H
#define WASMRUN_NET_H

#include "../../lib/wasi/wasi.h"

/* Attaches the stack's sockets to the app's WASI context. */
wasi_errno wasmrun_net_attach(wasi_ctx *wc);

#endif
