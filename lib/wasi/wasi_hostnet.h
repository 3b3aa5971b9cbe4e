/* lib/wasi's socket backend over the host's POSIX sockets (Linux), for anvaya-wasm and the
 * host tests: what an app may reach is the same grant list the network stack enforces. */
#ifndef WASI_HOSTNET_H
#define WASI_HOSTNET_H

#include <stdio.h>

#include "../../components/netstack/netstack_grants.h"
#include "wasi.h"

#define WASI_HOSTNET_SOCKETS 16u

typedef struct wasi_hostnet {
    struct netstack_grants grants;
    int fds[WASI_HOSTNET_SOCKETS];      /* -1: free; a handle is its index + 1 */
    unsigned char listener[WASI_HOSTNET_SOCKETS];
    FILE *log;                          /* refusals are reported here (NULL: nowhere) */
    wasi_net_ops ops;
} wasi_hostnet;

/* Sets n up with the grants (their text as the stack's `allow`); the backend's operations
 * are then &n->ops. A malformed grant text is EINVAL, with *where its offset. */
wasi_errno wasi_hostnet_init(wasi_hostnet *n, const char *grants, size_t *where, FILE *log);

/* Closes every socket the app left open. */
void wasi_hostnet_close_all(wasi_hostnet *n);

#endif
