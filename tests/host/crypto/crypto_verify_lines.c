/* Line-driven front end to lib/crypto for the Python test drivers (Wycheproof, policy edge
 * cases): reads "verify PUB MSG SIG", "validate PUB" or "prepare PUB" lines of hex ("-" for an empty message)
 * from stdin and prints one result name per line. A signature or key of the wrong size is
 * "BAD_LENGTH": the API takes fixed-size arrays, so such input never reaches it. Every verify
 * line also runs through a prepared key when the key prepares, and any difference between
 * the two paths is printed as PREPARED_DIFFERS_..., which no driver expects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "crypto_test_util.h"

enum { MAX_MSG = 1 << 16 };

static long field(uint8_t *out, size_t cap, const char *tok)
{
    if (!tok)
        return -1;
    if (strcmp(tok, "-") == 0)
        return 0;
    return ctu_unhex(out, cap, tok, strlen(tok));
}

int main(void)
{
    static char line[4 * MAX_MSG];
    static uint8_t msg[MAX_MSG];
    unsigned long n = 0;
    while (fgets(line, sizeof line, stdin)) {
        n++;
        char *nl = strchr(line, '\n');
        if (!nl) {
            fprintf(stderr, "line %lu: too long\n", n);
            return 2;
        }
        *nl = '\0';
        char *op = strtok(line, " ");
        uint8_t pub[64], sig[128];
        if (op && (strcmp(op, "validate") == 0 || strcmp(op, "prepare") == 0)) {
            long pl = field(pub, sizeof pub, strtok(NULL, " "));
            if (pl < 0) {
                fprintf(stderr, "line %lu: bad hex\n", n);
                return 2;
            }
            static crypto_ed25519_key key;
            crypto_result r = op[0] == 'v' ? crypto_ed25519_validate_public_key(pub)
                                           : crypto_ed25519_key_prepare(&key, pub);
            puts(pl != 32 ? "BAD_LENGTH" : ctu_result_name(r));
            continue;
        }
        if (!op || strcmp(op, "verify") != 0) {
            fprintf(stderr, "line %lu: expected verify or validate\n", n);
            return 2;
        }
        long pl = field(pub, sizeof pub, strtok(NULL, " "));
        long ml = field(msg, sizeof msg, strtok(NULL, " "));
        long sl = field(sig, sizeof sig, strtok(NULL, " "));
        if (pl < 0 || ml < 0 || sl < 0) {
            fprintf(stderr, "line %lu: bad hex\n", n);
            return 2;
        }
        if (pl != 32 || sl != 64) {
            puts("BAD_LENGTH");
            continue;
        }
        crypto_result plain = crypto_ed25519_verify(sig, msg, (size_t)ml, pub);
        /* The full-length fallback must agree with the half-size path on every line. */
        crypto_result full = crypto_test_verify_full_size(sig, msg, (size_t)ml, pub);
        if (full != plain) {
            printf("FULL_SIZE_DIFFERS_%s_%s\n", ctu_result_name(plain), ctu_result_name(full));
            continue;
        }
        /* The prepared-key path must agree whenever it accepts the key. */
        static crypto_ed25519_key key;
        if (crypto_ed25519_key_prepare(&key, pub) == CRYPTO_OK) {
            crypto_result prep = crypto_ed25519_verify_prepared(&key, sig, msg, (size_t)ml);
            if (prep != plain) {
                printf("PREPARED_DIFFERS_%s_%s\n", ctu_result_name(plain), ctu_result_name(prep));
                continue;
            }
        }
        puts(ctu_result_name(plain));
    }
    return 0;
}
