/* files: a WASI command that works in its preopened directory: creates, writes, reads,
 * seeks, renames, lists, removes, and shows the errors the runtime gives for what is not
 * allowed. `files run` does all that and leaves its files; `files list` only lists. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists a directory in name order (listing order is the file system's own). */
static int list(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        printf("opendir %s: %s\n", dir, strerror(errno));
        return 1;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp);
    printf("%s: %d entr%s\n", dir, n, n == 1 ? "y" : "ies");
    for (int i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) != 0)
            printf("  %s: stat: %s\n", names[i], strerror(errno));
        else if (S_ISDIR(st.st_mode))
            printf("  %s/\n", names[i]);
        else
            printf("  %s %lld bytes\n", names[i], (long long)st.st_size);
        free(names[i]);
    }
    return 0;
}

static int put(const char *path, const char *text, int flags)
{
    int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
    if (fd < 0) {
        printf("open %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    close(fd);
    if (n != (ssize_t)len) {
        printf("write %s: %s\n", path, n < 0 ? strerror(errno) : "short");
        return 1;
    }
    return 0;
}

static int show(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("open %s: %s\n", path, strerror(errno));
        return 1;
    }
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) {
        printf("read %s: %s\n", path, strerror(errno));
        return 1;
    }
    buf[n] = '\0';
    printf("%s (%zd bytes): %s", path, n, buf);
    return 0;
}

static void expect_fail(const char *what, int rc)
{
    printf("%s: %s\n", what, rc == 0 ? "succeeded (should not)" : strerror(errno));
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "run";
    if (strcmp(mode, "list") == 0)
        return list(".");
    if (strcmp(mode, "run") != 0) {
        fprintf(stderr, "usage: files run|list\n");
        return 64;
    }
    int bad = 0;
    if (mkdir("notes", 0755) != 0) {
        printf("mkdir notes: %s\n", strerror(errno));
        return 1;
    }
    bad |= put("notes/draft.txt", "first line\n", O_TRUNC);
    bad |= put("notes/draft.txt", "second line\n", O_APPEND);
    bad |= show("notes/draft.txt");

    /* Positioned reads and writes through one descriptor. */
    int fd = open("notes/draft.txt", O_RDWR);
    if (fd < 0) {
        printf("open rw: %s\n", strerror(errno));
        return 1;
    }
    off_t end = lseek(fd, 0, SEEK_END);
    off_t at = lseek(fd, 6, SEEK_SET);
    char w[5];
    ssize_t got = read(fd, w, 4);
    w[got > 0 ? got : 0] = '\0';
    printf("size %lld, at %lld read \"%s\", now at %lld\n", (long long)end, (long long)at, w,
           (long long)lseek(fd, 0, SEEK_CUR));
    lseek(fd, 0, SEEK_SET);
    if (write(fd, "FIRST", 5) != 5)
        bad = 1;
    close(fd);
    bad |= show("notes/draft.txt");

    if (rename("notes/draft.txt", "notes/final.txt") != 0) {
        printf("rename: %s\n", strerror(errno));
        bad = 1;
    }
    bad |= put("log.txt", "files app was here\n", O_TRUNC);
    bad |= put("scratch.tmp", "temporary\n", O_TRUNC);
    bad |= list(".");
    bad |= list("notes");
    if (unlink("scratch.tmp") != 0) {
        printf("unlink: %s\n", strerror(errno));
        bad = 1;
    }

    struct stat st;
    expect_fail("stat scratch.tmp after unlink", stat("scratch.tmp", &st));
    expect_fail("open a missing file", open("missing.txt", O_RDONLY));
    expect_fail("mkdir notes again", mkdir("notes", 0755));
    expect_fail("rmdir notes (not empty)", rmdir("notes"));
    expect_fail("open a file as a directory", open("log.txt/x", O_RDONLY));
    expect_fail("create with O_EXCL over log.txt", open("log.txt", O_WRONLY | O_CREAT | O_EXCL, 0644));
    expect_fail("open ../outside.txt (above the directory)", open("../outside.txt", O_RDONLY));
    expect_fail("create notes/../../up.txt", open("notes/../../up.txt", O_WRONLY | O_CREAT, 0644));
    expect_fail("unlink a directory", unlink("notes"));
    if (mkdir("empty", 0755) != 0 || rmdir("empty") != 0) {
        printf("mkdir+rmdir empty: %s\n", strerror(errno));
        bad = 1;
    }
    bad |= list(".");
    printf("files: %s\n", bad ? "FAILED" : "done");
    return bad;
}
