/* http.h: a bounded HTTP/1.1 client's pieces (docs/http.md): URL parsing, GET request
 * building and an incremental response parser, one source for the guest and the host.
 *
 * Nothing here touches a socket or allocates: the caller moves the bytes (through the
 * network stack in the guest, POSIX sockets on the host) and feeds what arrives, in pieces
 * of any size, to http_resp_feed(); body bytes come out through a callback. Every length
 * is bounded before use and every loop is bounded by the bytes handed in. */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HOST_MAX 253u    /* a DNS name's longest text form */
#define HTTP_PATH_MAX 1024u   /* the longest path (with query) a URL may carry */
#define HTTP_LINE_MAX 1024u   /* the longest status, header or chunk-size line */
#define HTTP_HEAD_MAX 16384u  /* all status and header lines of one response together */
#define HTTP_HEADERS_MAX 100u /* header fields in one response */
#define HTTP_INTERIM_MAX 8u   /* 1xx responses before the final one */
#define HTTP_REQUEST_MAX (HTTP_PATH_MAX + HTTP_HOST_MAX + 128u)

typedef enum http_err {
    HTTP_OK = 0,
    HTTP_ERR_ARG,           /* an argument is NULL or out of range */
    HTTP_ERR_URL,           /* not http://host[:port][/path] */
    HTTP_ERR_NOSPACE,       /* the caller's buffer is too small for the request */
    HTTP_ERR_STATUS_LINE,   /* the status line is not HTTP/1.x NNN ... */
    HTTP_ERR_HEADER,        /* a header line breaks the syntax (no colon, space before it) */
    HTTP_ERR_LINE_TOO_LONG, /* a line longer than HTTP_LINE_MAX */
    HTTP_ERR_HEAD_TOO_LONG, /* header section above HTTP_HEAD_MAX or HTTP_HEADERS_MAX */
    HTTP_ERR_LENGTH,        /* Content-Length not a number, or two that disagree */
    HTTP_ERR_ENCODING,      /* a transfer coding other than chunked, or with Content-Length */
    HTTP_ERR_CHUNK,         /* a chunk-size line or a chunk's CRLF is wrong */
    HTTP_ERR_TOO_BIG,       /* the body is longer than the caller allows */
    HTTP_ERR_TRUNCATED,     /* the connection closed before the message ended */
    HTTP_ERR_EXTRA,         /* bytes after the end of the message */
    HTTP_ERR_BODY,          /* the body callback refused the bytes */
    HTTP_ERR__COUNT
} http_err;

const char *http_strerror(http_err err);

typedef struct http_url {
    char host[HTTP_HOST_MAX + 1]; /* NUL-terminated, lower case */
    uint16_t port;                /* 80 unless the URL names one */
    char path[HTTP_PATH_MAX + 1]; /* starts with '/'; "/" when the URL has none */
} http_url;

/* Parses "http://host[:port][/path]" (len bytes of url, no NUL needed). The host is a DNS
 * name or a dotted IPv4 address; userinfo, fragments, IPv6 literals and other schemes are
 * refused (HTTP_ERR_URL); out is written only on success. */
http_err http_url_parse(const char *url, size_t len, http_url *out);

/* Writes "GET <path> HTTP/1.1" with Host, User-Agent and Connection: close into buf
 * (cap bytes, not NUL-terminated) and its length into *out_len. */
http_err http_request_get(const http_url *url, char *buf, size_t cap, size_t *out_len);

/* Called with each run of body bytes, decoded (chunk framing removed). Returning anything
 * but HTTP_OK stops the parser with HTTP_ERR_BODY. */
typedef http_err (*http_body_fn)(void *ctx, const uint8_t *data, size_t len);

typedef struct http_resp {
    /* What the response said; valid once http_resp_head_done(). */
    uint16_t status;
    uint8_t version_minor;
    bool has_length, chunked, close;
    uint64_t content_length;
    uint64_t body_bytes; /* delivered to the callback so far */
    /* The parser's own state. */
    uint8_t state;
    http_err err; /* sticky: once set, every later call returns it */
    uint16_t line_len;
    uint16_t headers;
    uint8_t interim;
    uint32_t head_bytes;
    uint64_t chunk_left;
    uint64_t max_body;
    http_body_fn fn;
    void *ctx;
    char line[HTTP_LINE_MAX];
} http_resp;

/* A parser for one response; the body may be at most max_body bytes. */
void http_resp_init(http_resp *r, uint64_t max_body, http_body_fn fn, void *ctx);
/* The next len bytes from the connection. Returns HTTP_OK while the message is
 * incomplete or once it is complete (http_resp_done), or the error that ended it. */
http_err http_resp_feed(http_resp *r, const uint8_t *data, size_t len);
/* The connection closed: completes a body delimited by the close, or reports
 * HTTP_ERR_TRUNCATED for a message that was not complete. */
http_err http_resp_close(http_resp *r);
bool http_resp_head_done(const http_resp *r);
bool http_resp_done(const http_resp *r);

#endif
