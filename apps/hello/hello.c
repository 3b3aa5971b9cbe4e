/* hello: a WASI command that shows what its runtime gave it: its arguments, its
 * environment, the monotonic clock (with HELLO_EXTRAS also the wall clock and random
 * bytes), output on stdout and stderr, and the exit status named by HELLO_EXIT. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    printf("hello from wasm: %d argument%s\n", argc, argc == 1 ? "" : "s");
    for (int i = 0; i < argc; i++)
        printf("argv[%d] = \"%s\"\n", i, argv[i]);
    int n = 0;
    for (char **e = environ; e && *e; e++)
        printf("env: %s\n", *e), n++;
    printf("%d environment entr%s\n", n, n == 1 ? "y" : "ies");

    struct timespec a, b;
    if (clock_gettime(CLOCK_MONOTONIC, &a) != 0 || clock_gettime(CLOCK_MONOTONIC, &b) != 0) {
        printf("clock: failed\n");
        return 2;
    }
    int ordered = b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec);
    printf("monotonic clock: %s\n", ordered ? "ok" : "went backwards");
    /* Only where the runtime has a wall clock and an entropy source (HELLO_EXTRAS set):
     * wasi-libc aborts when random_get fails. */
    if (getenv("HELLO_EXTRAS")) {
        struct timespec wall;
        printf("realtime clock after 2020: %s\n",
               clock_gettime(CLOCK_REALTIME, &wall) == 0 && wall.tv_sec > 1577836800 ? "yes"
                                                                                     : "no");
        unsigned char r1[32], r2[32];
        arc4random_buf(r1, sizeof r1);
        arc4random_buf(r2, sizeof r2);
        printf("random: %s\n", memcmp(r1, r2, sizeof r1) != 0 ? "two different draws"
                                                               : "repeated");
    }

    fprintf(stderr, "hello: this line goes to stderr\n");
    const char *code = getenv("HELLO_EXIT");
    int status = code ? atoi(code) : 0;
    printf("exiting with status %d\n", status);
    fflush(stdout);
    return status;
}
