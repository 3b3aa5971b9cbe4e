/* libFuzzer harness for the package parser (lib/pkg): whatever the bytes, pkg_parse refuses
 * with a known code and an offset inside the input, or accepts a package whose every part
 * lies inside the input and obeys the format's rules; pkg_verify then answers with a known
 * code (against the key the seeds were signed with), never reading outside the buffer. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The public key of make_seeds.py's fixed signing key (seed bytes 0x42). */
static const uint8_t seed_pub[32] = {
#include "fuzz_pkg_key.inc"
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pkg_info info;
    size_t at = SIZE_MAX;
    pkg_result r = pkg_parse(data, size, &info, &at);
    FUZZ_CHECK((unsigned)r < PKG_RESULT_COUNT, "result out of range");
    FUZZ_CHECK(strcmp(pkg_result_message(r), "unknown result") != 0, "message");
    if (r != PKG_OK) {
        FUZZ_CHECK(at <= size, "error offset outside the input");
        return 0;
    }
    FUZZ_CHECK(info.manifest_offset == PKG_HEADER_SIZE, "manifest offset");
    FUZZ_CHECK(info.manifest_length >= 1 && info.manifest_length <= PKG_MANIFEST_MAX, "manifest length");
    FUZZ_CHECK(info.signed_length == PKG_HEADER_SIZE + info.manifest_length, "signed length");
    FUZZ_CHECK(info.payload_offset == info.signed_length + PKG_SIGNATURE_SIZE, "payload offset");
    FUZZ_CHECK(info.payload_length >= 1 && info.payload_length <= PKG_PAYLOAD_MAX, "payload length");
    FUZZ_CHECK(info.payload_offset + info.payload_length == size, "payload ends the input");
    size_t nlen = strnlen(info.name, sizeof info.name);
    FUZZ_CHECK(nlen >= 1 && nlen <= PKG_NAME_MAX && info.name[0] >= 'a' && info.name[0] <= 'z' &&
                   info.name[nlen - 1] != '-', "name");
    FUZZ_CHECK(info.payload_kind == PKG_PAYLOAD_WASM, "payload kind");
    FUZZ_CHECK(info.net_count <= PKG_NET_MAX, "network entries");
    for (uint32_t i = 0; i < info.net_count; i++)
        FUZZ_CHECK(info.net[i].port != 0 && info.net[i].kind >= PKG_NET_TCP_CONNECT &&
                       info.net[i].kind <= PKG_NET_UDP, "network entry");
    FUZZ_CHECK(!info.has_storage || (info.storage_quota >= 1 && info.storage_quota <= PKG_STORAGE_QUOTA_MAX &&
                                     strnlen(info.storage_path, sizeof info.storage_path) <= PKG_STORAGE_PATH_MAX),
               "storage");
    FUZZ_CHECK((info.clocks & ~3u) == 0, "clocks");
    crypto_result c = CRYPTO_RESULT_COUNT;
    pkg_result v = pkg_verify(&info, data, size, seed_pub, &c);
    FUZZ_CHECK((unsigned)v < PKG_RESULT_COUNT && v != PKG_ERR_ARGUMENT, "verify result");
    if (v == PKG_ERR_SIGNATURE)
        FUZZ_CHECK(c != CRYPTO_OK && (unsigned)c < CRYPTO_RESULT_COUNT, "signature verdict");
    return 0;
}
