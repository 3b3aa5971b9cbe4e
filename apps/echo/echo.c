/* echo: a TCP echo server over WASI sockets. Listens on the port given (anvaya.sock_listen),
 * takes one connection (sock_accept through wasi-libc's accept), sends back every byte it
 * receives until the peer closes, then prints how many bytes and their SHA-256 and exits 0
 * (1 on a network error, 64 bad usage). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

__attribute__((import_module("anvaya"), import_name("sock_listen")))
int32_t anvaya_sock_listen(uint32_t port, uint32_t fdflags, uint32_t *fd);

#include "../../lib/crypto/sha256.c"

/* Every byte of buf out, or -1. */
static int send_all(int fd, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = send(fd, buf + done, len - done, 0);
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long port = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
    if (port == 0 || port > 65535) {
        fprintf(stderr, "usage: echo PORT\n");
        return 64;
    }
    uint32_t lfd = 0;
    int32_t e = anvaya_sock_listen((uint32_t)port, 0, &lfd);
    if (e != 0) {
        printf("echo: listen on %lu: errno %d (%s)\n", port, (int)e, strerror(e));
        return 1;
    }
    printf("echo: listening on %lu\n", port);
    fflush(stdout);
    int fd = accept((int)lfd, NULL, NULL);
    if (fd < 0) {
        printf("echo: accept: errno %d (%s)\n", errno, strerror(errno));
        return 1;
    }
    printf("echo: a connection\n");
    fflush(stdout);
    static uint8_t buf[8192];
    crypto_sha256_ctx h;
    crypto_sha256_init(&h);
    uint64_t total = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0)
            break;
        if (n < 0 || send_all(fd, buf, (size_t)n) != 0) {
            printf("echo: after %llu bytes: errno %d (%s)\n", (unsigned long long)total, errno,
                   strerror(errno));
            return 1;
        }
        crypto_sha256_update(&h, buf, (size_t)n);
        total += (uint64_t)n;
    }
    uint8_t digest[32];
    char hex[65];
    crypto_sha256_final(&h, digest);
    crypto_sha256_hex(digest, hex);
    close(fd);
    close((int)lfd);
    printf("echo: echoed %llu bytes, sha256 %s\n", (unsigned long long)total, hex);
    return 0;
}
