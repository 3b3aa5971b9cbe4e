/* netclient_sha256.h: SHA-256 (FIPS 180-4) for the network test clients, so the bytes a
 * transfer carried can be compared with what Linux's side hashed (hashlib). */
#ifndef NETCLIENT_SHA256_H
#define NETCLIENT_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct netclient_sha256 {
    uint32_t h[8];
    uint64_t total;
    uint8_t block[64];
    uint32_t used;
};

void netclient_sha256_init(struct netclient_sha256 *s);
void netclient_sha256_update(struct netclient_sha256 *s, const uint8_t *data, size_t len);
/* The digest as 64 lowercase hex digits and a NUL. */
void netclient_sha256_hex(struct netclient_sha256 *s, char out[65]);

#endif
