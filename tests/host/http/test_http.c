/* lib/http host tests: URL parsing, the request's exact bytes, and the response parser on
 * hand-written messages fed whole, a byte at a time and split at every position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

/* --- URLs --- */

static void test_url_good(void **state)
{
    (void)state;
    http_url u;
    const char *a = "http://example.com/pkg/app-1.2.pkg?x=1";
    assert_int_equal(http_url_parse(a, strlen(a), &u), HTTP_OK);
    assert_string_equal(u.host, "example.com");
    assert_int_equal(u.port, 80);
    assert_string_equal(u.path, "/pkg/app-1.2.pkg?x=1");
    const char *b = "HTTP://Host-1.Example:8080";
    assert_int_equal(http_url_parse(b, strlen(b), &u), HTTP_OK);
    assert_string_equal(u.host, "host-1.example");
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.path, "/");
    const char *c = "http://10.0.2.2:65535/";
    assert_int_equal(http_url_parse(c, strlen(c), &u), HTTP_OK);
    assert_string_equal(u.host, "10.0.2.2");
    assert_int_equal(u.port, 65535);
    /* len counts, not a NUL: the tail past len is not part of the URL. */
    assert_int_equal(http_url_parse("http://a/bcd", 10, &u), HTTP_OK);
    assert_string_equal(u.path, "/b");
}

static void test_url_bad(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "http:/", "http://", "https://a/", "ftp://a/", "http://user@a/", "http://a:0/",
        "http://a:65536/", "http://a:/", "http://a:123456/", "http://[::1]/", "http://a/b c",
        "http://a/b#frag", "http://-a/", "http://a-/", "http://a..b/", "http://a.b./x", "http://a?b",
        "http://a:80x/", "http://a/\x7f", "http://a/\t",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        http_url u;
        memset(&u, 0x5a, sizeof u);
        assert_int_equal(http_url_parse(bad[i], strlen(bad[i]), &u), HTTP_ERR_URL);
        assert_int_equal((unsigned char)u.host[0], 0x5a); /* untouched on failure */
    }
    char longhost[300] = "http://";
    memset(longhost + 7, 'a', 64);
    assert_int_equal(http_url_parse(longhost, 7 + 64, &(http_url){0}), HTTP_ERR_URL); /* label > 63 */
    char longpath[1100] = "http://a/";
    memset(longpath + 9, 'p', 1024);
    assert_int_equal(http_url_parse(longpath, 9 + 1024, &(http_url){0}), HTTP_ERR_URL);
    assert_int_equal(http_url_parse(longpath, 9 + 1023, &(http_url){0}), HTTP_OK);
    assert_int_equal(http_url_parse(NULL, 3, &(http_url){0}), HTTP_ERR_ARG);
    assert_int_equal(http_url_parse("http://a/", 9, NULL), HTTP_ERR_ARG);
}

static void test_request(void **state)
{
    (void)state;
    http_url u;
    const char *url = "http://10.0.2.2:8000/apps/hello.pkg";
    assert_int_equal(http_url_parse(url, strlen(url), &u), HTTP_OK);
    char buf[512];
    size_t n = 0;
    assert_int_equal(http_request_get(&u, buf, sizeof buf, &n), HTTP_OK);
    const char *want = "GET /apps/hello.pkg HTTP/1.1\r\nHost: 10.0.2.2:8000\r\n"
                       "User-Agent: anvaya\r\nAccept: */*\r\nConnection: close\r\n\r\n";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, n);
    for (size_t cap = 0; cap < n; cap++) {
        size_t got = 777;
        assert_int_equal(http_request_get(&u, buf, cap, &got), HTTP_ERR_NOSPACE);
        assert_int_equal(got, 777);
    }
    u.port = 80;
    assert_int_equal(http_request_get(&u, buf, sizeof buf, &n), HTTP_OK);
    assert_non_null(memmem(buf, n, "Host: 10.0.2.2\r\n", 16));
    http_url evil = u;
    strcpy(evil.path, "/a\r\nX: y");
    assert_int_equal(http_request_get(&evil, buf, sizeof buf, &n), HTTP_ERR_ARG);
    evil = u;
    strcpy(evil.host, "a\r\nb");
    assert_int_equal(http_request_get(&evil, buf, sizeof buf, &n), HTTP_ERR_ARG);
}

/* --- responses --- */

struct sink {
    uint8_t data[70000];
    size_t len;
    size_t refuse_after; /* refuse once this many bytes have come; 0: never */
};

static http_err sink_fn(void *ctx, const uint8_t *data, size_t len)
{
    struct sink *s = ctx;
    if (s->refuse_after != 0 && s->len + len > s->refuse_after)
        return HTTP_ERR_BODY;
    if (len > sizeof s->data - s->len)
        return HTTP_ERR_BODY;
    memcpy(s->data + s->len, data, len);
    s->len += len;
    return HTTP_OK;
}

/* Parses msg in pieces of `step` bytes (0: whole) and then closes when `close` says so;
 * returns the first error. */
static http_err parse(const char *msg, size_t len, size_t step, int close, uint64_t max,
                      http_resp *r, struct sink *s)
{
    memset(s, 0, sizeof *s);
    http_resp_init(r, max, sink_fn, s);
    size_t at = 0;
    if (step == 0)
        step = len;
    while (at < len) {
        size_t n = len - at < step ? len - at : step;
        http_err err = http_resp_feed(r, (const uint8_t *)msg + at, n);
        if (err != HTTP_OK)
            return err;
        at += n;
    }
    return close ? http_resp_close(r) : HTTP_OK;
}

struct good_case {
    const char *msg;
    int close;
    uint16_t status;
    const char *body;
};

static const struct good_case good[] = {
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, 200, "hello"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 200, ""},
    {"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil the end", 1, 200, "until the end"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n",
     0, 200, "hello, world"},
    {"HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
     0, 200, "0123456789"},
    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, 200, "ok"},
    {"HTTP/1.1 204 No Content\r\n\r\n", 0, 204, ""},
    {"HTTP/1.1 404 Not Found\nContent-Length: 3\n\nnot", 0, 404, "not"},
    {"HTTP/1.1 200\r\nContent-Length:  3 \r\nContent-Length: 3\r\n\r\nabc", 0, 200, "abc"},
    {"HTTP/1.1 301 Moved\r\nLocation: /x\r\nConnection: keep-alive, Close\r\nContent-Length: 1\r\n\r\n.",
     0, 301, "."},
};

static void test_resp_good(void **state)
{
    (void)state;
    static struct sink s;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        size_t len = strlen(good[i].msg);
        size_t steps[] = {0, 1, 2, 3, 7};
        for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
            http_resp r;
            assert_int_equal(parse(good[i].msg, len, steps[k], good[i].close, 1000, &r, &s), HTTP_OK);
            assert_true(http_resp_done(&r));
            assert_int_equal(r.status, good[i].status);
            assert_int_equal(s.len, strlen(good[i].body));
            assert_memory_equal(s.data, good[i].body, s.len);
            assert_int_equal(r.body_bytes, s.len);
        }
    }
    http_resp r;
    assert_int_equal(parse(good[9].msg, strlen(good[9].msg), 0, 0, 1000, &r, &s), HTTP_OK);
    assert_true(r.close);
    assert_int_equal(parse(good[0].msg, strlen(good[0].msg), 0, 0, 1000, &r, &s), HTTP_OK);
    assert_false(r.close);
    assert_true(r.has_length);
    assert_int_equal(r.content_length, 5);
    assert_int_equal(r.version_minor, 1);
}

/* Every split of a chunked message into two feeds gives the same body. */
static void test_resp_every_split(void **state)
{
    (void)state;
    const char *msg = good[3].msg;
    size_t len = strlen(msg);
    static struct sink s;
    for (size_t cut = 0; cut <= len; cut++) {
        http_resp r;
        memset(&s, 0, sizeof s);
        http_resp_init(&r, 100, sink_fn, &s);
        assert_int_equal(http_resp_feed(&r, (const uint8_t *)msg, cut), HTTP_OK);
        assert_int_equal(http_resp_done(&r), cut == len);
        assert_int_equal(http_resp_feed(&r, (const uint8_t *)msg + cut, len - cut), HTTP_OK);
        assert_true(http_resp_done(&r));
        assert_int_equal(s.len, 12);
        assert_memory_equal(s.data, "hello, world", 12);
    }
}

struct bad_case {
    const char *msg;
    int close;
    http_err err;
};

static const struct bad_case bad[] = {
    {"HTTP/2 200 OK\r\n\r\n", 0, HTTP_ERR_STATUS_LINE},
    {"HTTP/1.1 20 OK\r\n\r\n", 0, HTTP_ERR_STATUS_LINE},
    {"HTTP/1.1 099 x\r\n\r\n", 0, HTTP_ERR_STATUS_LINE},
    {"HTTP/1.1 600 x\r\n\r\n", 0, HTTP_ERR_STATUS_LINE},
    {"HTTP/1.1 200OK\r\n\r\n", 0, HTTP_ERR_STATUS_LINE},
    {"HTTP/1.1 200 O\rK\r\n\r\n", 0, HTTP_ERR_STATUS_LINE},
    {"SSH-2.0-OpenSSH\r\n", 0, HTTP_ERR_STATUS_LINE},
    {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", 0, HTTP_ERR_HEADER},
    {"HTTP/1.1 200 OK\r\nName : x\r\n\r\n", 0, HTTP_ERR_HEADER},
    {"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", 0, HTTP_ERR_HEADER},
    {"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", 0, HTTP_ERR_HEADER},
    {"HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n", 0, HTTP_ERR_HEADER},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 0, HTTP_ERR_LENGTH},
    {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, HTTP_ERR_LENGTH},
    {"HTTP/1.1 200 OK\r\nContent-Length: 1,1\r\n\r\n", 0, HTTP_ERR_LENGTH},
    {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", 0, HTTP_ERR_LENGTH},
    {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 0, HTTP_ERR_ENCODING},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, HTTP_ERR_ENCODING},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 0, HTTP_ERR_ENCODING},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", 0, HTTP_ERR_CHUNK},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n", 0, HTTP_ERR_CHUNK},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n", 0, HTTP_ERR_CHUNK},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", 0, HTTP_ERR_CHUNK},
    {"HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n", 0, HTTP_ERR_TOO_BIG},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3E9\r\n", 0, HTTP_ERR_TOO_BIG},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 1, HTTP_ERR_TRUNCATED},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 1, HTTP_ERR_TRUNCATED},
    {"HTTP/1.1 200 OK\r\nContent-", 1, HTTP_ERR_TRUNCATED},
    {"", 1, HTTP_ERR_TRUNCATED},
    {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokX", 0, HTTP_ERR_EXTRA},
    {"HTTP/1.1 204 No Content\r\n\r\nbody", 0, HTTP_ERR_EXTRA},
    {"HTTP/1.1 100 Continue\r\nContent-Length: 1\r\n\r\n", 0, HTTP_ERR_STATUS_LINE},
};

static void test_resp_bad(void **state)
{
    (void)state;
    static struct sink s;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t steps[] = {0, 1};
        for (size_t k = 0; k < 2; k++) {
            http_resp r;
            http_err err = parse(bad[i].msg, strlen(bad[i].msg), steps[k], bad[i].close, 1000, &r, &s);
            if (err != bad[i].err)
                fail_msg("case %zu step %zu: %s, want %s", i, steps[k], http_strerror(err),
                         http_strerror(bad[i].err));
            assert_false(http_resp_done(&r));
            /* Sticky: the parser keeps the first error. */
            assert_int_equal(http_resp_feed(&r, (const uint8_t *)"x", 1), bad[i].err);
            assert_int_equal(http_resp_close(&r), bad[i].err);
        }
    }
}

static void test_resp_limits(void **state)
{
    (void)state;
    static struct sink s;
    static char msg[40000];
    http_resp r;
    /* A line of exactly HTTP_LINE_MAX bytes before CRLF fits... */
    int n = snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\nX: ");
    memset(msg + n, 'v', HTTP_LINE_MAX - 4 - 1);
    n += HTTP_LINE_MAX - 4 - 1;
    n += snprintf(msg + n, sizeof msg - (size_t)n, "\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(parse(msg, (size_t)n, 0, 0, 10, &r, &s), HTTP_OK);
    /* ...one more byte does not. */
    n = snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\nX: ");
    memset(msg + n, 'v', HTTP_LINE_MAX - 4 + 1);
    n += HTTP_LINE_MAX - 4 + 1;
    n += snprintf(msg + n, sizeof msg - (size_t)n, "\r\n\r\n");
    assert_int_equal(parse(msg, (size_t)n, 0, 0, 10, &r, &s), HTTP_ERR_LINE_TOO_LONG);
    /* HTTP_HEADERS_MAX fields are fine, one more is not. */
    for (unsigned extra = 0; extra < 2; extra++) {
        n = snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\n");
        for (unsigned i = 0; i < HTTP_HEADERS_MAX + extra - 1; i++)
            n += snprintf(msg + n, sizeof msg - (size_t)n, "X-%u: y\r\n", i);
        n += snprintf(msg + n, sizeof msg - (size_t)n, "Content-Length: 0\r\n\r\n");
        assert_int_equal(parse(msg, (size_t)n, 0, 0, 10, &r, &s),
                         extra ? HTTP_ERR_HEAD_TOO_LONG : HTTP_OK);
    }
    /* The head as a whole is bounded, however the lines are cut. */
    n = snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\n");
    for (unsigned i = 0; i < 20; i++) {
        n += snprintf(msg + n, sizeof msg - (size_t)n, "X: ");
        memset(msg + n, 'z', 1000);
        n += 1000;
        n += snprintf(msg + n, sizeof msg - (size_t)n, "\r\n");
    }
    assert_int_equal(parse(msg, (size_t)n, 0, 0, 10, &r, &s), HTTP_ERR_HEAD_TOO_LONG);
    /* Too many interim responses. */
    n = 0;
    for (unsigned i = 0; i <= HTTP_INTERIM_MAX; i++)
        n += snprintf(msg + n, sizeof msg - (size_t)n, "HTTP/1.1 100 Continue\r\n\r\n");
    assert_int_equal(parse(msg, (size_t)n, 0, 0, 10, &r, &s), HTTP_ERR_STATUS_LINE);
    /* A close-delimited body is bounded too. */
    const char *c = "HTTP/1.0 200 OK\r\n\r\n0123456789A";
    assert_int_equal(parse(c, strlen(c), 0, 1, 10, &r, &s), HTTP_ERR_TOO_BIG);
    assert_int_equal(parse(c, strlen(c), 0, 1, 11, &r, &s), HTTP_OK);
    /* Chunks adding up past the limit. */
    const char *k = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n6\r\n";
    assert_int_equal(parse(k, strlen(k), 0, 0, 10, &r, &s), HTTP_ERR_TOO_BIG);
    assert_int_equal(s.len, 5);
}

static void test_resp_callback(void **state)
{
    (void)state;
    static struct sink s;
    http_resp r;
    memset(&s, 0, sizeof s);
    s.refuse_after = 3;
    http_resp_init(&r, 100, sink_fn, &s);
    const char *m = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    assert_int_equal(http_resp_feed(&r, (const uint8_t *)m, strlen(m) - 3), HTTP_OK);
    assert_true(http_resp_head_done(&r));
    assert_int_equal(http_resp_feed(&r, (const uint8_t *)m + strlen(m) - 3, 3), HTTP_ERR_BODY);
    assert_int_equal(s.len, 2);
    assert_int_equal(r.body_bytes, 2);
    /* A NULL callback just counts. */
    http_resp_init(&r, 100, NULL, NULL);
    assert_int_equal(http_resp_feed(&r, (const uint8_t *)m, strlen(m)), HTTP_OK);
    assert_true(http_resp_done(&r));
    assert_int_equal(r.body_bytes, 5);
    assert_int_equal(http_resp_feed(NULL, (const uint8_t *)m, 1), HTTP_ERR_ARG);
    assert_int_equal(http_resp_feed(&r, NULL, 1), HTTP_ERR_ARG);
    assert_int_equal(http_resp_close(NULL), HTTP_ERR_ARG);
    for (int e = 0; e <= HTTP_ERR__COUNT; e++)
        assert_non_null(http_strerror((http_err)e));
    assert_string_equal(http_strerror(HTTP_ERR__COUNT), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_good),         cmocka_unit_test(test_url_bad),
        cmocka_unit_test(test_request),          cmocka_unit_test(test_resp_good),
        cmocka_unit_test(test_resp_every_split), cmocka_unit_test(test_resp_bad),
        cmocka_unit_test(test_resp_limits),      cmocka_unit_test(test_resp_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
