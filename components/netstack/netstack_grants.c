/* netstack_grants.c: parsing a client's grant text and checking a request against it
 * (netstack_grants.h). The text is the system author's, but it is parsed as if hostile:
 * every field is bounded and a bad one grants nothing. */
#include "netstack_grants.h"

#include <string.h>

static const char *const op_names[NETSTACK_OP__COUNT] = {
    [NETSTACK_OP_TCP_LISTEN] = "tcp-listen", [NETSTACK_OP_TCP_CONNECT] = "tcp-connect",
    [NETSTACK_OP_UDP_BIND] = "udp-bind",     [NETSTACK_OP_UDP_SEND] = "udp-send",
    [NETSTACK_OP_RESOLVE] = "resolve",
};

const char *netstack_op_name(netstack_op op)
{
    return (unsigned)op < NETSTACK_OP__COUNT ? op_names[op] : "unknown operation";
}

const char *netstack_grant_strerror(netstack_grant_err e)
{
    switch (e) {
    case NETSTACK_GRANT_OK: return "ok";
    case NETSTACK_GRANT_E_ARG: return "missing argument";
    case NETSTACK_GRANT_E_UNKNOWN: return "unknown operation (tcp-listen, tcp-connect, udp-bind, udp-send, resolve)";
    case NETSTACK_GRANT_E_ADDRESS: return "not a dotted IPv4 address or '*'";
    case NETSTACK_GRANT_E_PORT: return "not a port 1..65535 or '*'";
    case NETSTACK_GRANT_E_SHAPE: return "wrong number of ':' fields for the operation";
    case NETSTACK_GRANT_E_TOO_MANY: return "too many grants for one client";
    case NETSTACK_GRANT_E__COUNT: break;
    }
    return "unknown grant error";
}

/* A decimal number of at most max in s[0..n); false for empty, signs, leading zeros of
 * a longer number, or anything else. */
static bool number(const char *s, size_t n, uint32_t max, uint32_t *out)
{
    if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10u + (uint32_t)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static bool port_of(const char *s, size_t n, uint16_t *out)
{
    uint32_t v = 0;
    if (n == 1 && s[0] == '*') {
        *out = 0;
        return true;
    }
    if (!number(s, n, 65535u, &v) || v == 0)
        return false;
    *out = (uint16_t)v;
    return true;
}

static bool ip_of(const char *s, size_t n, uint32_t *out)
{
    if (n == 1 && s[0] == '*') {
        *out = 0;
        return true;
    }
    uint32_t ip = 0;
    size_t start = 0;
    for (uint32_t part = 0; part < 4; part++) {
        size_t end = start;
        while (end < n && s[end] != '.')
            end++;
        uint32_t v = 0;
        if (!number(s + start, end - start, 255u, &v))
            return false;
        ip = (ip << 8) | v;
        if (part < 3 && end >= n)
            return false;
        start = end + 1;
    }
    if (start != n + 1)
        return false; /* something after the fourth part */
    if (ip == 0)
        return false; /* 0.0.0.0 is not a peer: '*' says "any" */
    *out = ip;
    return true;
}

static netstack_grant_err word(const char *w, size_t n, struct netstack_grant *g)
{
    size_t colon[3];
    size_t ncolon = 0;
    for (size_t i = 0; i < n; i++)
        if (w[i] == ':') {
            if (ncolon == 2)
                return NETSTACK_GRANT_E_SHAPE;
            colon[ncolon++] = i;
        }
    size_t name_len = ncolon ? colon[0] : n;
    int op = -1;
    for (int k = 0; k < (int)NETSTACK_OP__COUNT; k++)
        if (strlen(op_names[k]) == name_len && memcmp(op_names[k], w, name_len) == 0)
            op = k;
    if (op < 0)
        return NETSTACK_GRANT_E_UNKNOWN;
    g->op = (uint8_t)op;
    g->ip = 0;
    g->port = 0;
    switch ((netstack_op)op) {
    case NETSTACK_OP_RESOLVE:
        return ncolon == 0 ? NETSTACK_GRANT_OK : NETSTACK_GRANT_E_SHAPE;
    case NETSTACK_OP_TCP_LISTEN:
    case NETSTACK_OP_UDP_BIND:
        if (ncolon != 1)
            return NETSTACK_GRANT_E_SHAPE;
        return port_of(w + colon[0] + 1, n - colon[0] - 1, &g->port) ? NETSTACK_GRANT_OK
                                                                     : NETSTACK_GRANT_E_PORT;
    case NETSTACK_OP_TCP_CONNECT:
    case NETSTACK_OP_UDP_SEND:
        if (ncolon != 2)
            return NETSTACK_GRANT_E_SHAPE;
        if (!ip_of(w + colon[0] + 1, colon[1] - colon[0] - 1, &g->ip))
            return NETSTACK_GRANT_E_ADDRESS;
        return port_of(w + colon[1] + 1, n - colon[1] - 1, &g->port) ? NETSTACK_GRANT_OK
                                                                     : NETSTACK_GRANT_E_PORT;
    case NETSTACK_OP__COUNT:
        break;
    }
    return NETSTACK_GRANT_E_UNKNOWN;
}

netstack_grant_err netstack_grants_parse(const char *text, size_t len, struct netstack_grants *out,
                                         size_t *where)
{
    if (!out || (!text && len))
        return NETSTACK_GRANT_E_ARG;
    struct netstack_grants t;
    t.count = 0;
    size_t i = 0;
    while (i < len) {
        if (text[i] == ' ') {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && text[i] != ' ')
            i++;
        netstack_grant_err e = NETSTACK_GRANT_E_TOO_MANY;
        if (t.count < NETSTACK_GRANTS_MAX)
            e = word(text + start, i - start, &t.g[t.count]);
        if (e != NETSTACK_GRANT_OK) {
            out->count = 0;
            if (where)
                *where = start;
            return e;
        }
        t.count++;
    }
    *out = t;
    return NETSTACK_GRANT_OK;
}

bool netstack_grant_check(const struct netstack_grants *g, netstack_op op, uint32_t ip,
                          uint16_t port)
{
    if (!g || (unsigned)op >= NETSTACK_OP__COUNT)
        return false;
    for (uint32_t k = 0; k < g->count && k < NETSTACK_GRANTS_MAX; k++) {
        const struct netstack_grant *e = &g->g[k];
        if (e->op != (uint8_t)op)
            continue;
        if (op == NETSTACK_OP_RESOLVE)
            return true;
        bool has_peer = op == NETSTACK_OP_TCP_CONNECT || op == NETSTACK_OP_UDP_SEND;
        if (has_peer && e->ip != 0 && e->ip != ip)
            continue;
        if (e->port != 0 && e->port != port)
            continue;
        return true;
    }
    return false;
}
