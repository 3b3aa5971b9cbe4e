/* http.c: URL parsing, GET requests and the incremental HTTP/1.1 response parser
 * (docs/http.md). The parser is a state machine over bytes: a line at a time for the
 * status, headers, chunk sizes and trailers; runs of body bytes straight to the caller. */
#include "http.h"

#include <string.h>

enum http_state {
    ST_STATUS = 0, /* reading the status line */
    ST_HEADER,     /* reading header lines */
    ST_BODY_LEN,   /* Content-Length bytes to go */
    ST_BODY_CLOSE, /* body until the connection closes */
    ST_CHUNK_SIZE, /* a chunk-size line */
    ST_CHUNK_DATA, /* chunk_left bytes of a chunk */
    ST_CHUNK_CRLF, /* the line end after a chunk's data */
    ST_TRAILER,    /* trailer lines after the last chunk */
    ST_DONE,
};

static const char *const http_messages[HTTP_ERR__COUNT] = {
    [HTTP_OK] = "ok",
    [HTTP_ERR_ARG] = "invalid argument",
    [HTTP_ERR_URL] = "not an http://host[:port][/path] URL",
    [HTTP_ERR_NOSPACE] = "request does not fit the buffer",
    [HTTP_ERR_STATUS_LINE] = "malformed status line",
    [HTTP_ERR_HEADER] = "malformed header line",
    [HTTP_ERR_LINE_TOO_LONG] = "line too long",
    [HTTP_ERR_HEAD_TOO_LONG] = "header section too large",
    [HTTP_ERR_LENGTH] = "bad or conflicting Content-Length",
    [HTTP_ERR_ENCODING] = "unsupported transfer coding",
    [HTTP_ERR_CHUNK] = "malformed chunk",
    [HTTP_ERR_TOO_BIG] = "body larger than allowed",
    [HTTP_ERR_TRUNCATED] = "connection closed before the message ended",
    [HTTP_ERR_EXTRA] = "bytes after the end of the message",
    [HTTP_ERR_BODY] = "body refused by the receiver",
};

const char *http_strerror(http_err err)
{
    if ((unsigned)err >= HTTP_ERR__COUNT)
        return "unknown error";
    return http_messages[err];
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

static int hex_value(char c)
{
    if (is_digit(c))
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* RFC 9110 tchar: the characters of a header name. */
static bool is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A path byte we are willing to put on the request line: visible ASCII, no space. */
static bool is_path_char(char c) { return c > 0x20 && c < 0x7f; }

/* Case-insensitive comparison of a counted string with a NUL-terminated lower-case one. */
static bool equals_nocase(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(s[i]) != lit[i])
            return false;
    return true;
}

static bool valid_host(const char *h, size_t len)
{
    if (len == 0 || len > HTTP_HOST_MAX)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        char c = h[i];
        if (c == '.') {
            if (label == 0 || h[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c);
        if (!alnum && !(c == '-' && label > 0))
            return false;
        if (++label > 63)
            return false;
    }
    return label > 0 && h[len - 1] != '-';
}

http_err http_url_parse(const char *url, size_t len, http_url *out)
{
    static const char scheme[] = "http://";
    const size_t scheme_len = sizeof scheme - 1u;
    if (url == NULL || out == NULL)
        return HTTP_ERR_ARG;
    if (len < scheme_len || !equals_nocase(url, scheme_len, scheme))
        return HTTP_ERR_URL;
    size_t pos = scheme_len;
    size_t host_start = pos;
    while (pos < len && url[pos] != ':' && url[pos] != '/')
        pos++;
    size_t host_len = pos - host_start;
    if (!valid_host(url + host_start, host_len))
        return HTTP_ERR_URL;
    uint32_t port = 80;
    if (pos < len && url[pos] == ':') {
        pos++;
        size_t digits = 0;
        port = 0;
        while (pos < len && is_digit(url[pos])) {
            port = port * 10u + (uint32_t)(url[pos] - '0');
            if (++digits > 5 || port > 65535u)
                return HTTP_ERR_URL;
            pos++;
        }
        if (digits == 0 || port == 0)
            return HTTP_ERR_URL;
    }
    size_t path_len = len - pos;
    if (pos < len && url[pos] != '/')
        return HTTP_ERR_URL;
    if (path_len > HTTP_PATH_MAX)
        return HTTP_ERR_URL;
    for (size_t i = pos; i < len; i++)
        if (!is_path_char(url[i]) || url[i] == '#')
            return HTTP_ERR_URL;
    for (size_t i = 0; i < host_len; i++)
        out->host[i] = lower(url[host_start + i]);
    out->host[host_len] = '\0';
    out->port = (uint16_t)port;
    if (path_len == 0) {
        out->path[0] = '/';
        out->path[1] = '\0';
    } else {
        memcpy(out->path, url + pos, path_len);
        out->path[path_len] = '\0';
    }
    return HTTP_OK;
}

/* strnlen, which C11 lacks: the length of s, or cap when there is no NUL in it. */
static size_t bounded_len(const char *s, size_t cap)
{
    const char *nul = memchr(s, '\0', cap);
    return nul == NULL ? cap : (size_t)(nul - s);
}

/* Appends a NUL-terminated string; false when it does not fit. */
static bool put(char *buf, size_t cap, size_t *at, const char *s)
{
    size_t n = strlen(s);
    if (n > cap - *at)
        return false;
    memcpy(buf + *at, s, n);
    *at += n;
    return true;
}

http_err http_request_get(const http_url *url, char *buf, size_t cap, size_t *out_len)
{
    if (url == NULL || buf == NULL || out_len == NULL)
        return HTTP_ERR_ARG;
    size_t host_len = bounded_len(url->host, sizeof url->host);
    size_t path_len = bounded_len(url->path, sizeof url->path);
    if (host_len == sizeof url->host || path_len == sizeof url->path ||
        !valid_host(url->host, host_len) || path_len == 0 || url->path[0] != '/')
        return HTTP_ERR_ARG;
    for (size_t i = 0; i < path_len; i++)
        if (!is_path_char(url->path[i]))
            return HTTP_ERR_ARG;
    char port[8];
    size_t port_len = 0;
    if (url->port != 80) {
        char digits[5];
        size_t n = 0;
        for (unsigned p = url->port; p != 0 && n < sizeof digits; p /= 10u)
            digits[n++] = (char)('0' + p % 10u);
        port[port_len++] = ':';
        while (n > 0)
            port[port_len++] = digits[--n];
    }
    port[port_len] = '\0';
    size_t at = 0;
    if (!put(buf, cap, &at, "GET ") || !put(buf, cap, &at, url->path) ||
        !put(buf, cap, &at, " HTTP/1.1\r\nHost: ") || !put(buf, cap, &at, url->host) ||
        !put(buf, cap, &at, port) ||
        !put(buf, cap, &at, "\r\nUser-Agent: anvaya\r\nAccept: */*\r\nConnection: close\r\n\r\n"))
        return HTTP_ERR_NOSPACE;
    *out_len = at;
    return HTTP_OK;
}

void http_resp_init(http_resp *r, uint64_t max_body, http_body_fn fn, void *ctx)
{
    if (r == NULL)
        return;
    memset(r, 0, sizeof *r);
    r->state = ST_STATUS;
    r->max_body = max_body;
    r->fn = fn;
    r->ctx = ctx;
}

bool http_resp_head_done(const http_resp *r)
{
    return r != NULL && r->err == HTTP_OK && r->state != ST_STATUS && r->state != ST_HEADER;
}

bool http_resp_done(const http_resp *r) { return r != NULL && r->err == HTTP_OK && r->state == ST_DONE; }

static http_err fail(http_resp *r, http_err err)
{
    r->err = err;
    return err;
}

/* "HTTP/1.x NNN[ reason]". */
static http_err parse_status(http_resp *r, const char *s, size_t n)
{
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !is_digit(s[7]) || s[8] != ' ')
        return HTTP_ERR_STATUS_LINE;
    if (!is_digit(s[9]) || !is_digit(s[10]) || !is_digit(s[11]))
        return HTTP_ERR_STATUS_LINE;
    unsigned code = (unsigned)(s[9] - '0') * 100u + (unsigned)(s[10] - '0') * 10u +
                    (unsigned)(s[11] - '0');
    if (code < 100 || code > 599 || (n > 12 && s[12] != ' '))
        return HTTP_ERR_STATUS_LINE;
    for (size_t i = 12; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
            return HTTP_ERR_STATUS_LINE;
    r->version_minor = (uint8_t)(s[7] - '0');
    r->status = (uint16_t)code;
    return HTTP_OK;
}

static http_err parse_content_length(http_resp *r, const char *v, size_t n)
{
    if (n == 0 || n > 19)
        return HTTP_ERR_LENGTH;
    uint64_t value = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(v[i]))
            return HTTP_ERR_LENGTH;
        value = value * 10u + (uint64_t)(v[i] - '0');
    }
    if (r->has_length && r->content_length != value)
        return HTTP_ERR_LENGTH;
    r->has_length = true;
    r->content_length = value;
    return HTTP_OK;
}

/* Whether a comma-separated header value holds the token (case-insensitive). */
static bool list_has(const char *v, size_t n, const char *token)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < n && v[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
            end--;
        if (end > start && equals_nocase(v + start, end - start, token))
            return true;
    }
    return false;
}

/* Checks one field line's syntax; gives the name's length and the trimmed value. */
static http_err field_syntax(const char *s, size_t n, size_t *name_len, size_t *vs_out,
                             size_t *ve_out)
{
    if (n > 0 && (s[0] == ' ' || s[0] == '\t'))
        return HTTP_ERR_HEADER; /* obsolete line folding (RFC 9112 §5.2) */
    size_t colon = 0;
    while (colon < n && is_tchar(s[colon]))
        colon++;
    if (colon == 0 || colon == n || s[colon] != ':')
        return HTTP_ERR_HEADER;
    size_t vs = colon + 1, ve = n;
    while (vs < ve && (s[vs] == ' ' || s[vs] == '\t'))
        vs++;
    while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t'))
        ve--;
    for (size_t i = vs; i < ve; i++)
        if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
            return HTTP_ERR_HEADER;
    *name_len = colon;
    *vs_out = vs;
    *ve_out = ve;
    return HTTP_OK;
}

static http_err parse_header(http_resp *r, const char *s, size_t n)
{
    size_t colon, vs, ve;
    http_err err = field_syntax(s, n, &colon, &vs, &ve);
    if (err != HTTP_OK)
        return err;
    const char *v = s + vs;
    size_t vn = ve - vs;
    if (equals_nocase(s, colon, "content-length"))
        return parse_content_length(r, v, vn);
    if (equals_nocase(s, colon, "transfer-encoding")) {
        /* Only "chunked" alone: any other coding would hand the caller encoded bytes. */
        if (r->chunked || !equals_nocase(v, vn, "chunked"))
            return HTTP_ERR_ENCODING;
        r->chunked = true;
        return HTTP_OK;
    }
    if (equals_nocase(s, colon, "connection") && list_has(v, vn, "close"))
        r->close = true;
    return HTTP_OK;
}

/* The header section ended: decide how the body is framed. */
static http_err head_complete(http_resp *r)
{
    if (r->status < 200) {
        /* An interim response (100 Continue, 103): the real one follows. */
        if (++r->interim > HTTP_INTERIM_MAX || r->has_length || r->chunked)
            return HTTP_ERR_STATUS_LINE;
        r->state = ST_STATUS;
        r->headers = 0;
        r->close = false;
        return HTTP_OK;
    }
    if (r->chunked && r->has_length)
        return HTTP_ERR_ENCODING; /* RFC 9112 §6.1: a sign of request smuggling */
    if (r->status == 204 || r->status == 304) {
        r->state = ST_DONE;
        return HTTP_OK;
    }
    if (r->chunked) {
        r->state = ST_CHUNK_SIZE;
    } else if (r->has_length) {
        if (r->content_length > r->max_body)
            return HTTP_ERR_TOO_BIG;
        r->chunk_left = r->content_length;
        r->state = r->content_length == 0 ? ST_DONE : ST_BODY_LEN;
    } else {
        r->state = ST_BODY_CLOSE;
    }
    return HTTP_OK;
}

static http_err parse_chunk_size(http_resp *r, const char *s, size_t n)
{
    size_t i = 0;
    uint64_t size = 0;
    while (i < n && hex_value(s[i]) >= 0) {
        if (i >= 15)
            return HTTP_ERR_CHUNK;
        size = size * 16u + (uint64_t)hex_value(s[i]);
        i++;
    }
    if (i == 0)
        return HTTP_ERR_CHUNK;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < n && s[i] != ';')
        return HTTP_ERR_CHUNK; /* chunk extensions after ';' are ignored */
    if (size == 0) {
        r->state = ST_TRAILER;
        return HTTP_OK;
    }
    if (size > r->max_body - r->body_bytes)
        return HTTP_ERR_TOO_BIG;
    r->chunk_left = size;
    r->state = ST_CHUNK_DATA;
    return HTTP_OK;
}

/* One complete line (without its line end) in the state that reads lines. */
static http_err take_line(http_resp *r, const char *s, size_t n)
{
    switch (r->state) {
    case ST_STATUS:
        return parse_status(r, s, n) == HTTP_OK ? (r->state = ST_HEADER, HTTP_OK)
                                                : HTTP_ERR_STATUS_LINE;
    case ST_HEADER:
        if (n == 0)
            return head_complete(r);
        if (++r->headers > HTTP_HEADERS_MAX)
            return HTTP_ERR_HEAD_TOO_LONG;
        return parse_header(r, s, n);
    case ST_CHUNK_SIZE:
        return parse_chunk_size(r, s, n);
    case ST_CHUNK_CRLF:
        if (n != 0)
            return HTTP_ERR_CHUNK;
        r->state = ST_CHUNK_SIZE;
        return HTTP_OK;
    case ST_TRAILER:
        if (n == 0) {
            r->state = ST_DONE;
            return HTTP_OK;
        }
        if (++r->headers > HTTP_HEADERS_MAX)
            return HTTP_ERR_HEAD_TOO_LONG;
        /* Trailer fields are checked for syntax and otherwise ignored: none may change
         * the framing of a message already read. */
        {
            size_t name_len, vs, ve;
            return field_syntax(s, n, &name_len, &vs, &ve);
        }
    default:
        return HTTP_ERR_ARG;
    }
}

static bool counts_to_head(const http_resp *r) { return r->state == ST_STATUS || r->state == ST_HEADER; }

static http_err deliver(http_resp *r, const uint8_t *data, size_t n)
{
    if (n == 0)
        return HTTP_OK;
    if (r->fn != NULL && r->fn(r->ctx, data, n) != HTTP_OK)
        return HTTP_ERR_BODY;
    r->body_bytes += n;
    return HTTP_OK;
}

http_err http_resp_feed(http_resp *r, const uint8_t *data, size_t len)
{
    if (r == NULL || (data == NULL && len != 0))
        return HTTP_ERR_ARG;
    if (r->err != HTTP_OK)
        return r->err;
    size_t i = 0;
    while (i < len) {
        http_err err = HTTP_OK;
        switch (r->state) {
        case ST_DONE:
            return fail(r, HTTP_ERR_EXTRA);
        case ST_BODY_LEN:
        case ST_CHUNK_DATA: {
            size_t n = len - i;
            if (n > r->chunk_left)
                n = (size_t)r->chunk_left;
            err = deliver(r, data + i, n);
            if (err != HTTP_OK)
                return fail(r, err);
            i += n;
            r->chunk_left -= n;
            if (r->chunk_left == 0)
                r->state = r->state == ST_BODY_LEN ? ST_DONE : ST_CHUNK_CRLF;
            break;
        }
        case ST_BODY_CLOSE: {
            size_t n = len - i;
            if (n > r->max_body - r->body_bytes)
                return fail(r, HTTP_ERR_TOO_BIG);
            err = deliver(r, data + i, n);
            if (err != HTTP_OK)
                return fail(r, err);
            i += n;
            break;
        }
        default: {
            /* A line-reading state: gather up to LF. */
            char c = (char)data[i++];
            if (counts_to_head(r) && ++r->head_bytes > HTTP_HEAD_MAX)
                return fail(r, HTTP_ERR_HEAD_TOO_LONG);
            if (c != '\n') {
                if (r->line_len >= HTTP_LINE_MAX)
                    return fail(r, HTTP_ERR_LINE_TOO_LONG);
                r->line[r->line_len++] = c;
                break;
            }
            size_t n = r->line_len;
            r->line_len = 0;
            /* CRLF ends a line; a bare LF is accepted (RFC 9112 §2.2), a bare CR is not. */
            if (n > 0 && r->line[n - 1] == '\r')
                n--;
            if (memchr(r->line, '\r', n) != NULL || memchr(r->line, '\0', n) != NULL)
                err = r->state == ST_STATUS ? HTTP_ERR_STATUS_LINE
                      : (r->state == ST_HEADER || r->state == ST_TRAILER) ? HTTP_ERR_HEADER
                                                                          : HTTP_ERR_CHUNK;
            else
                err = take_line(r, r->line, n);
            if (err != HTTP_OK)
                return fail(r, err);
            break;
        }
        }
    }
    return HTTP_OK;
}

http_err http_resp_close(http_resp *r)
{
    if (r == NULL)
        return HTTP_ERR_ARG;
    if (r->err != HTTP_OK)
        return r->err;
    if (r->state == ST_BODY_CLOSE)
        r->state = ST_DONE;
    if (r->state != ST_DONE)
        return fail(r, HTTP_ERR_TRUNCATED);
    return HTTP_OK;
}
