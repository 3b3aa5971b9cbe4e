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

/* ---- SHA-256 (FIPS 180-4), streaming ---- */

typedef struct sha256_ctx {
    uint32_t h[8];
    uint8_t block[64];
    uint64_t bytes;
} sha256_ctx;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_compress(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

static void sha256_init(sha256_ctx *s)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->bytes = 0;
}

static void sha256_update(sha256_ctx *s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s->block[s->bytes % 64] = p[i];
        s->bytes++;
        if (s->bytes % 64 == 0)
            sha256_compress(s->h, s->block);
    }
}

static void sha256_final(sha256_ctx *s, char hex[65])
{
    uint64_t bits = s->bytes * 8;
    uint8_t pad = 0x80;
    sha256_update(s, &pad, 1);
    pad = 0;
    while (s->bytes % 64 != 56)
        sha256_update(s, &pad, 1);
    for (int i = 7; i >= 0; i--) {
        uint8_t b = (uint8_t)(bits >> (8 * i));
        sha256_update(s, &b, 1);
    }
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned)(s->h[i / 4] >> (24 - 8 * (i % 4))) & 255u);
}

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
static sha256_ctx body_hash;
static uint64_t body_len;
static char first_line[FIRST_LINE_MAX + 1];
static size_t first_len;
static int first_done;

static void body_bytes(const uint8_t *p, size_t n)
{
    sha256_update(&body_hash, p, n);
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
    sha256_init(&body_hash);
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
    sha256_final(&body_hash, hex);
    printf("fetch: body %llu bytes, sha256 %s\n", (unsigned long long)body_len, hex);
    printf("fetch: first line: %.*s\n", (int)first_len, first_line);
    return status == 200 ? 0 : 1;
}
