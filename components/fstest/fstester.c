/* The file-store test's main client: reads what the host preloaded, keeps a boot counter
 * in its own subtree, creates, writes, renames over an existing file, lists, truncates and
 * unlinks, and shuts the system down once the peer is done. */
#include <stdio.h>

#include "fstester_gen.h"
#include "fs_util.h"

int main(void)
{
    volatile uint8_t *buf = (volatile uint8_t *)FS_TESTER_BUF;
    uint32_t got = 0;

    FS_PATH(hello, "hello.txt");
    int r = fs_tester_files_read(&hello, 0, 64, &got);
    char text[65] = "";
    for (uint32_t i = 0; i < got && i < 64; i++)
        text[i] = (char)buf[i];
    printf("fstester: preloaded hello.txt: %d, %u bytes: %s\n", r, got, text);

    /* The boot counter: what an earlier boot left, plus one. */
    FS_PATH(boots, "boots");
    uint32_t n = 0;
    r = fs_tester_files_read(&boots, 0, 4, &got);
    if (r == ANV_OK && got == 4)
        n = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24;
    else
        (void)fs_tester_files_create(&boots); /* first boot: EXIST is impossible here */
    n++;
    for (uint32_t i = 0; i < 4; i++)
        buf[i] = (uint8_t)(n >> (8 * i));
    int w = fs_tester_files_write(&boots, 0, 4);
    int y = fs_tester_files_sync();
    printf("fstester: boot %u (write %d, sync %d)\n", n, w, y);

    /* A directory, a file, and a rename over an existing one. */
    FS_PATH(docs, "docs");
    FS_PATH(draft, "docs/draft");
    FS_PATH(final, "docs/final");
    int m = fs_tester_files_mkdir(&docs);
    int c1 = fs_tester_files_create(&final);
    for (uint32_t i = 0; i < 100; i++)
        buf[i] = 'o';
    int w1 = fs_tester_files_write(&final, 0, 100);
    int c2 = fs_tester_files_create(&draft);
    for (uint32_t i = 0; i < 20000; i++)
        buf[i] = fstest_byte(i, (uint8_t)n);
    int w2 = fs_tester_files_write(&draft, 0, 20000);
    int mv = fs_tester_files_rename(&draft, &final);
    struct file_stat st = {0};
    int s = fs_tester_files_stat(&final, &st);
    for (uint32_t i = 0; i < 20000; i++)
        buf[i] = 0;
    int rd = fs_tester_files_read(&final, 0, 20000, &got);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < 20000; i++)
        bad += buf[i] != fstest_byte(i, (uint8_t)n);
    int gone = fs_tester_files_stat(&draft, &st);
    printf("fstester: mkdir %d create %d/%d write %d/%d rename over %d stat %d size %lu read %d "
           "(%u bytes, %u differ), old name %d\n", m, c1, c2, w1, w2, mv, s, (unsigned long)20000,
           rd, got, bad, gone);

    FS_PATH(tmp, "docs/tmp");
    int t1 = fs_tester_files_create(&tmp);
    int t2 = fs_tester_files_truncate(&tmp, 5000);
    int t3 = fs_tester_files_stat(&tmp, &st);
    uint64_t tsize = st.size;
    int t4 = fs_tester_files_unlink(&tmp);
    int t5 = fs_tester_files_stat(&tmp, &st);
    int rmfull = fs_tester_files_rmdir(&docs);
    printf("fstester: create %d truncate %d stat %d (%lu bytes) unlink %d then %d; rmdir of a "
           "full directory %d\n", t1, t2, t3, (unsigned long)tsize, t4, t5, rmfull);

    uint64_t cookie = 0;
    struct anv_bytes_54 name = {0};
    uint32_t type = 0, entries = 0;
    uint64_t size = 0;
    int last = ANV_OK;
    char names[160] = "";
    while (entries < 16) {
        last = fs_tester_files_list(&docs, &cookie, &name, &type, &size);
        if (last != ANV_OK)
            break;
        entries++;
        fstest_append(names, sizeof names, name.data, name.len);
    }
    y = fs_tester_files_sync();
    printf("fstester: docs holds %s(%u entries, then %d); sync %d\n", names, entries, last, y);

    uint64_t bits = 0, res = 0;
    int e = anv_wait_one(FS_TESTER_HANDLE_EVENTS, 1000, &res, &bits);
    printf("fstester: peer done: %s\n", e == ANV_OK && (bits & FS_TESTER_EVENT_PEER_DONE) ? "yes" : "no");
    anv_console_flush();
    anv_system_shutdown(FS_TESTER_HANDLE_SYSCTL, 0);
    return 0;
}
