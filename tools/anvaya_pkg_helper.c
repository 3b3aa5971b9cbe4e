/* The C half of tools/anvaya-pkg: parses and verifies packages with lib/pkg and lib/crypto,
 * the same code the guest uses, so the host tool never has a parser of its own.
 *   anvaya_pkg_helper inspect PACKAGE
 *   anvaya_pkg_helper verify PACKAGE PUBLIC_KEY_HEX
 * Exit status 0 on success, 1 when the package is refused, 2 on a usage or I/O error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "pkg.h"

#define MAX_FILE (PKG_HEADER_SIZE + PKG_MANIFEST_MAX + PKG_SIGNATURE_SIZE + PKG_PAYLOAD_MAX)

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "anvaya-pkg: cannot open %s\n", path);
        return NULL;
    }
    /* one byte more than any package may have, so that oversize shows as such */
    uint8_t *buf = malloc(MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        fprintf(stderr, "anvaya-pkg: out of memory\n");
        return NULL;
    }
    size_t n = fread(buf, 1, MAX_FILE + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        fprintf(stderr, "anvaya-pkg: cannot read %s\n", path);
        return NULL;
    }
    *len = n;
    return buf;
}

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
    printf("%s: ", label);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static void print_info(const pkg_info *in)
{
    static const char *const net_kinds[] = {"?", "tcp-connect", "tcp-listen", "udp"};
    printf("name: %s\n", in->name);
    printf("version: %u.%u.%u\n", in->version.major, in->version.minor, in->version.patch);
    print_hex("publisher-key-id", in->key_id, PKG_KEY_ID_SIZE);
    printf("payload-kind: %s\n", in->payload_kind == PKG_PAYLOAD_WASM ? "wasm" : "?");
    printf("payload-length: %llu\n", (unsigned long long)in->payload_length);
    print_hex("payload-sha512", in->payload_sha512, 64);
    if (in->has_storage)
        printf("storage: %s %llu\n", in->storage_path, (unsigned long long)in->storage_quota);
    for (uint32_t i = 0; i < in->net_count; i++)
        printf("network: %s %u.%u.%u.%u:%u\n", net_kinds[in->net[i].kind <= 3 ? in->net[i].kind : 0],
               in->net[i].peer[0], in->net[i].peer[1], in->net[i].peer[2], in->net[i].peer[3],
               in->net[i].port);
    if (in->console)
        printf("console: yes\n");
    if (in->entropy)
        printf("entropy: yes\n");
    if (in->clocks) {
        printf("clocks:");
        if (in->clocks & PKG_CLOCK_MONOTONIC)
            printf(" monotonic");
        if (in->clocks & PKG_CLOCK_WALL)
            printf(" wall");
        printf("\n");
    }
    printf("manifest-length: %zu\n", in->manifest_length);
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "inspect") == 0 && argc != 3) ||
        (strcmp(argv[1], "verify") == 0 && argc != 4) ||
        (strcmp(argv[1], "inspect") != 0 && strcmp(argv[1], "verify") != 0)) {
        fprintf(stderr, "usage: %s inspect PACKAGE | verify PACKAGE PUBLIC_KEY_HEX\n", argv[0]);
        return 2;
    }
    uint8_t pub[32];
    if (argc == 4) {
        const char *h = argv[3];
        if (strlen(h) != 64) {
            fprintf(stderr, "anvaya-pkg: public key must be 64 hex digits\n");
            return 2;
        }
        for (int i = 0; i < 32; i++) {
            unsigned v;
            if (sscanf(h + 2 * i, "%2x", &v) != 1) {
                fprintf(stderr, "anvaya-pkg: public key must be 64 hex digits\n");
                return 2;
            }
            pub[i] = (uint8_t)v;
        }
    }
    size_t len = 0;
    uint8_t *buf = read_file(argv[2], &len);
    if (!buf)
        return 2;
    pkg_info info;
    size_t at = 0;
    pkg_result r = pkg_parse(buf, len, &info, &at);
    if (r != PKG_OK) {
        printf("refused: %s (at byte %zu)\n", pkg_result_message(r), at);
        free(buf);
        return 1;
    }
    int status = 0;
    if (argc == 3) {
        print_info(&info);
    } else {
        crypto_result c = CRYPTO_OK;
        r = pkg_verify(&info, buf, len, pub, &c);
        if (r == PKG_OK) {
            printf("verified: %s %u.%u.%u\n", info.name, info.version.major, info.version.minor,
                   info.version.patch);
        } else if (r == PKG_ERR_SIGNATURE) {
            printf("refused: %s: %s\n", pkg_result_message(r), crypto_result_message(c));
            status = 1;
        } else {
            printf("refused: %s\n", pkg_result_message(r));
            status = 1;
        }
    }
    free(buf);
    return status;
}
