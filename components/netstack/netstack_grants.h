/* netstack_grants.h: what each client of the network stack may do, and the one function
 * that checks a request against it. The list is the `allow` grant of the client's
 * connection in the system description (the generated grant table). Built for the guest (components/netstack) and natively (tests/host/netstack, the fuzzer). */
#ifndef NETSTACK_GRANTS_H
#define NETSTACK_GRANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETSTACK_GRANTS_MAX 16u

typedef enum netstack_op {
    NETSTACK_OP_TCP_LISTEN = 0, /* port */
    NETSTACK_OP_TCP_CONNECT,    /* ip, port */
    NETSTACK_OP_UDP_BIND,       /* port */
    NETSTACK_OP_UDP_SEND,       /* ip, port */
    NETSTACK_OP_RESOLVE,        /* a DNS lookup through the stack's resolver */
    NETSTACK_OP__COUNT
} netstack_op;

/* One grant: the operation, and the peer address and port it allows (0: any). Listen and
 * bind grants have no address. */
struct netstack_grant {
    uint8_t op;
    uint16_t port;
    uint32_t ip;
};

struct netstack_grants {
    uint32_t count;
    struct netstack_grant g[NETSTACK_GRANTS_MAX];
};

typedef enum netstack_grant_err {
    NETSTACK_GRANT_OK = 0,
    NETSTACK_GRANT_E_ARG,      /* a NULL pointer */
    NETSTACK_GRANT_E_UNKNOWN,  /* a word that names no operation */
    NETSTACK_GRANT_E_ADDRESS,  /* not a dotted IPv4 address or '*' */
    NETSTACK_GRANT_E_PORT,     /* not 1..65535 or '*' */
    NETSTACK_GRANT_E_SHAPE,    /* wrong number of ':' fields for the operation */
    NETSTACK_GRANT_E_TOO_MANY, /* more than NETSTACK_GRANTS_MAX words */
    NETSTACK_GRANT_E__COUNT
} netstack_grant_err;

const char *netstack_grant_strerror(netstack_grant_err e);
const char *netstack_op_name(netstack_op op);

/* Parses len bytes of grant text: words separated by spaces, each one of
 *   tcp-listen:PORT  udp-bind:PORT  tcp-connect:IP:PORT  udp-send:IP:PORT  resolve
 * where PORT and IP may be '*' (any). On an error *out is left empty (nothing granted)
 * and *where (if not NULL) is the offset of the word at fault. */
netstack_grant_err netstack_grants_parse(const char *text, size_t len, struct netstack_grants *out,
                                         size_t *where);

/* Whether the client holding g may do op with this peer (ip, port; ip is ignored for
 * listen and bind, both for resolve). The one place a request meets its grants. */
bool netstack_grant_check(const struct netstack_grants *g, netstack_op op, uint32_t ip,
                          uint16_t port);

#endif
