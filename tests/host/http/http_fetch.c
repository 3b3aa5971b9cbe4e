/* http_fetch: GET one URL from a server on this host with lib/http over a POSIX socket and
 * print what the parser made of the response (status, body length, the body's SHA-512),
 * or its error. The test script compares this with what its own server sent. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "http.h"

/* An error as one word (its message with '_' for spaces), for the script to compare. */
static void print_error(http_err err)
{
    printf("error=");
    for (const char *m = http_strerror(err); *m != '\0'; m++)
        putchar(*m == ' ' ? '_' : *m);
}

static http_err hash_body(void *ctx, const uint8_t *data, size_t len)
{
    return crypto_sha512_update(ctx, data, len) == CRYPTO_OK ? HTTP_OK : HTTP_ERR_BODY;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: http_fetch URL MAX_BODY\n");
        return 2;
    }
    http_url url;
    http_err err = http_url_parse(argv[1], strlen(argv[1]), &url);
    if (err != HTTP_OK) {
        print_error(err);
        printf("\n");
        return 0;
    }
    char req[HTTP_REQUEST_MAX];
    size_t req_len;
    if (http_request_get(&url, req, sizeof req, &req_len) != HTTP_OK)
        return 2;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(url.port)};
    if (inet_pton(AF_INET, url.host, &sa.sin_addr) != 1)
        return 2;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("connect");
        return 2;
    }
    for (size_t sent = 0; sent < req_len;) {
        ssize_t n = send(fd, req + sent, req_len - sent, 0);
        if (n <= 0)
            return 2;
        sent += (size_t)n;
    }
    crypto_sha512_ctx sha;
    if (crypto_sha512_init(&sha) != CRYPTO_OK)
        return 2;
    http_resp r;
    http_resp_init(&r, strtoull(argv[2], NULL, 10), hash_body, &sha);
    static uint8_t buf[1500];
    err = HTTP_OK;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0)
            return 2;
        if (n == 0) {
            err = http_resp_close(&r);
            break;
        }
        err = http_resp_feed(&r, buf, (size_t)n);
        if (err != HTTP_OK)
            break;
    }
    close(fd);
    if (err != HTTP_OK) {
        print_error(err);
        printf(" status=%u bytes=%llu\n", r.status,
               (unsigned long long)r.body_bytes);
        return 0;
    }
    uint8_t digest[64];
    if (crypto_sha512_final(&sha, digest) != CRYPTO_OK)
        return 2;
    printf("status=%u bytes=%llu chunked=%d sha512=", r.status, (unsigned long long)r.body_bytes,
           r.chunked);
    for (size_t i = 0; i < sizeof digest; i++)
        printf("%02x", digest[i]);
    printf("\n");
    return 0;
}
