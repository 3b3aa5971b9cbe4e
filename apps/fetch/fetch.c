/* fetch: an HTTP/1.0 GET over WASI sockets. Resolves the URL's host through the anvaya
 * import (a dotted address is itself), connects through anvaya.sock_connect, sends and
 * receives with wasi-libc's send/recv, and prints the address, the status line, the
 * body's length, SHA-256 and first line. `fetch @FILE` reads the URL from FILE in its
 * directory (a system fixes a runner's arguments at build time; the URL's port may not
 * be known then). Exit status 0 on 200, 1 another status, 2 a network error, 3 a
 * malformed answer, 64 bad usage. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

__attribute__((import_module("anvaya"), import_name("resolve")))
int32_t anvaya_resolve(const char *name, uint32_t len, uint32_t *ip);
__attribute__((import_module("anvaya"), import_name("sock_connect")))
int32_t anvaya_sock_connect(uint32_t ip, uint32_t port, uint32_t fdflags, uint32_t *fd);

/* SHA-256: lib/crypto's one source, compiled into the app (as apps/compute does). */
#include "../../lib/crypto/sha256.c"

/* ---- the URL ---- */

#define HOST_MAX 253
#define PATH_MAX_LEN 1024

static int parse_url(const char *url, char *host, unsigned *port, char *path)
{
    static const char scheme[] = "http://";
    if (strncmp(url, scheme, sizeof scheme - 1) != 0)
        return -1;
    const char *p = url + sizeof scheme - 1;
    size_t h = strcspn(p, ":/");
    if (h == 0 || h > HOST_MAX)
        return -1;
    memcpy(host, p, h);
    host[h] = '\0';
    p += h;
    *port = 80;
    if (*p == ':') {
        p++;
        unsigned v = 0;
        size_t d = 0;
        while (p[d] >= '0' && p[d] <= '9' && d < 6)
            v = v * 10 + (unsigned)(p[d++] - '0');
        if (d == 0 || v == 0 || v > 65535)
            return -1;
        *port = v;
        p += d;
    }
    if (*p == '\0')
        p = "/";
    if (*p != '/' || strlen(p) > PATH_MAX_LEN)
        return -1;
    for (const char *q = p; *q; q++)
        if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f)
            return -1;
    strcpy(path, p);
    return 0;
}

/* ---- the answer: the head kept, the body streamed ---- */

#define HEAD_MAX 8192
#define FIRST_LINE_MAX 160

static char head[HEAD_MAX + 1];
static size_t head_len;
static int head_done;
static crypto_sha256_ctx body_hash;
static uint64_t body_len;
static char first_line[FIRST_LINE_MAX + 1];
static size_t first_len;
static int first_done;

static void body_bytes(const uint8_t *p, size_t n)
{
    crypto_sha256_update(&body_hash, p, n);
    body_len += n;
    for (size_t i = 0; i < n && !first_done; i++) {
        if (p[i] == '\n' || p[i] == '\r' || first_len == FIRST_LINE_MAX)
            first_done = 1;
        else
            first_line[first_len++] = (char)p[i];
    }
}

/* Feeds received bytes; -1 when the head is too long. */
static int feed(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (!head_done && i < n) {
        if (head_len == HEAD_MAX)
            return -1;
        head[head_len++] = (char)p[i++];
        if (head_len >= 4 && memcmp(head + head_len - 4, "\r\n\r\n", 4) == 0) {
            head_done = 1;
            head[head_len] = '\0';
        }
    }
    if (i < n)
        body_bytes(p + i, n - i);
    return 0;
}

/* The Content-Length header's value, or -1 when there is none. */
static long long content_length(void)
{
    for (const char *l = strstr(head, "\r\n"); l != NULL && l[2] != '\r'; l = strstr(l + 2, "\r\n")) {
        const char *name = l + 2;
        if (strncasecmp(name, "Content-Length:", 15) == 0)
            return strtoll(name + 15, NULL, 10);
    }
    return -1;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = send(fd, p, n, 0);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* The URL from the file name (its first line), into url. */
static int url_from_file(const char *name, char *url, size_t cap)
{
    FILE *f = fopen(name, "r");
    if (f == NULL) {
        printf("fetch: %s: %s\n", name, strerror(errno));
        return -1;
    }
    size_t n = fread(url, 1, cap - 1, f);
    fclose(f);
    url[n] = '\0';
    url[strcspn(url, "\r\n")] = '\0';
    return 0;
}

int main(int argc, char **argv)
{
    static char host[HOST_MAX + 1], path[PATH_MAX_LEN + 1], request[PATH_MAX_LEN + HOST_MAX + 128];
    static char url_buf[PATH_MAX_LEN + HOST_MAX + 32];
    unsigned port;
    const char *url = argc == 2 ? argv[1] : "";
    if (argc == 2 && url[0] == '@') {
        if (url_from_file(url + 1, url_buf, sizeof url_buf) != 0)
            return 64;
        url = url_buf;
    }
    if (argc != 2 || parse_url(url, host, &port, path) != 0) {
        fprintf(stderr, "usage: fetch http://host[:port]/path\n");
        return 64;
    }
    uint32_t ip = 0;
    int32_t e = anvaya_resolve(host, (uint32_t)strlen(host), &ip);
    if (e != 0) {
        printf("fetch: resolve %s: %s (errno %d)\n", host, strerror(e), (int)e);
        return 2;
    }
    printf("fetch: %s is %u.%u.%u.%u\n", host, (unsigned)(ip >> 24), (unsigned)(ip >> 16) & 255u,
           (unsigned)(ip >> 8) & 255u, (unsigned)ip & 255u);
    uint32_t fd = 0;
    e = anvaya_sock_connect(ip, port, 0, &fd);
    if (e != 0) {
        printf("fetch: connect %u.%u.%u.%u:%u: %s (errno %d)\n", (unsigned)(ip >> 24),
               (unsigned)(ip >> 16) & 255u, (unsigned)(ip >> 8) & 255u, (unsigned)ip & 255u,
               port, strerror(e), (int)e);
        return 2;
    }
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: anvaya-fetch\r\n"
                     "Connection: close\r\n\r\n", path, host);
    if (n < 0 || (size_t)n >= sizeof request || send_all((int)fd, request, (size_t)n) != 0) {
        printf("fetch: sending the request: %s\n", strerror(errno));
        return 2;
    }
    if (shutdown((int)fd, SHUT_WR) != 0) {
        printf("fetch: shutdown: %s\n", strerror(errno));
        return 2;
    }
    crypto_sha256_init(&body_hash);
    static uint8_t buf[16384];
    for (;;) {
        /* Wait for the answer with poll (poll_oneoff: a read subscription and a clock), so
         * a server that stops sending ends the fetch after 30 s of silence. */
        struct pollfd pfd = {(int)fd, POLLIN, 0};
        int pr = poll(&pfd, 1, 30000);
        if (pr <= 0) {
            printf("fetch: %s after %llu body bytes\n", pr == 0 ? "no data for 30 s" : strerror(errno),
                   (unsigned long long)body_len);
            return 2;
        }
        ssize_t r = recv((int)fd, buf, sizeof buf, 0);
        if (r < 0) {
            printf("fetch: receiving after %llu body bytes: %s (errno %d)\n",
                   (unsigned long long)body_len, strerror(errno), errno);
            return 2;
        }
        if (r == 0)
            break;
        if (feed(buf, (size_t)r) != 0) {
            printf("fetch: the answer's head is longer than %d bytes\n", HEAD_MAX);
            return 3;
        }
    }
    if (close((int)fd) != 0)
        printf("fetch: close: %s\n", strerror(errno));
    if (!head_done) {
        printf("fetch: the answer ended inside its head (%zu bytes)\n", head_len);
        return 3;
    }
    size_t sl = strcspn(head, "\r\n");
    int status = 0;
    if (sl < 12 || strncmp(head, "HTTP/1.", 7) != 0 || head[8] != ' ' ||
        sscanf(head + 9, "%3d", &status) != 1) {
        printf("fetch: not an HTTP status line\n");
        return 3;
    }
    printf("fetch: status %.*s\n", (int)sl, head);
    long long cl = content_length();
    if (cl >= 0 && (uint64_t)cl != body_len) {
        printf("fetch: body %llu bytes, Content-Length said %lld\n",
               (unsigned long long)body_len, cl);
        return 3;
    }
    char hex[65];
    uint8_t digest[32];
    crypto_sha256_final(&body_hash, digest);
    crypto_sha256_hex(digest, hex);
    printf("fetch: body %llu bytes, sha256 %s\n", (unsigned long long)body_len, hex);
    printf("fetch: first line: %.*s\n", (int)first_len, first_line);
    return status == 200 ? 0 : 1;
}
