/* libFuzzer target for lib/http: the input's first byte picks how the rest is cut into
 * feeds (so every split of a message is reached), the rest is a response; inputs
 * starting with 'u' are URLs instead. Checks the parser's own promises: the body it hands
 * out never exceeds the limit or the Content-Length, and errors are sticky. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define FUZZ_MAX_BODY 4096u

struct count {
    uint64_t bytes;
};

static http_err count_body(void *ctx, const uint8_t *data, size_t len)
{
    struct count *c = ctx;
    (void)data;
    c->bytes += len;
    return HTTP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] == 'u') {
        http_url url;
        if (http_url_parse((const char *)data + 1, size - 1, &url) == HTTP_OK) {
            char req[HTTP_REQUEST_MAX];
            size_t n;
            if (http_request_get(&url, req, sizeof req, &n) != HTTP_OK)
                abort(); /* every URL the parser accepts makes a request */
        }
        return 0;
    }
    size_t step = (size_t)(data[0] % 16u) + 1u;
    struct count c = {0};
    http_resp r;
    http_resp_init(&r, FUZZ_MAX_BODY, count_body, &c);
    http_err err = HTTP_OK;
    for (size_t at = 1; at < size && err == HTTP_OK; at += step) {
        size_t n = size - at < step ? size - at : step;
        err = http_resp_feed(&r, data + at, n);
    }
    if (err == HTTP_OK)
        err = http_resp_close(&r);
    if (c.bytes != r.body_bytes || c.bytes > FUZZ_MAX_BODY)
        abort();
    if (r.has_length && !r.chunked && c.bytes > r.content_length)
        abort();
    if (err != HTTP_OK && http_resp_feed(&r, data, 1) != err)
        abort();
    return 0;
}
