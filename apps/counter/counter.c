/* counter: a boot counter kept in the app's own directory. Reads `count` if it is there
 * (a decimal number), writes the next one to a temporary file and renames it over
 * `count`, so a crash leaves either the old count or the new one, never a torn file; then
 * prints "counter: boot N" and exits 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT_FILE "count"
#define TEMP_FILE "count.tmp"

/* 0 and *n = the stored count, 1 if there is none yet, -1 (message printed) if it is not
 * a count this app wrote. */
static int read_count(unsigned long *n)
{
    FILE *f = fopen(COUNT_FILE, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return 1;
        printf("counter: cannot open %s: %s\n", COUNT_FILE, strerror(errno));
        return -1;
    }
    char text[32];
    size_t got = fread(text, 1, sizeof text - 1, f);
    int bad = ferror(f);
    fclose(f);
    text[got] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (bad || got == 0 || end == text || (*end != '\0' && *end != '\n') || errno != 0 ||
        v >= 1000000000ul) {
        printf("counter: %s holds no count I wrote (%zu bytes): leaving it alone\n",
               COUNT_FILE, got);
        return -1;
    }
    *n = v;
    return 0;
}

int main(void)
{
    unsigned long n = 0;
    int r = read_count(&n);
    if (r < 0)
        return 1;
    n = r == 1 ? 1 : n + 1;
    FILE *f = fopen(TEMP_FILE, "w");
    if (f == NULL) {
        printf("counter: cannot create %s: %s\n", TEMP_FILE, strerror(errno));
        return 1;
    }
    int ok = fprintf(f, "%lu\n", n) > 0;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        printf("counter: cannot write %s\n", TEMP_FILE);
        remove(TEMP_FILE);
        return 1;
    }
    if (rename(TEMP_FILE, COUNT_FILE) != 0) {
        printf("counter: cannot rename %s over %s: %s\n", TEMP_FILE, COUNT_FILE,
               strerror(errno));
        return 1;
    }
    printf("counter: boot %lu\n", n);
    return 0;
}
