/* The file-store test's peer: works in its own subtree (apps/peer, an 8 KiB and 8-entry
 * quota), is refused what the quota does not allow with nothing changed, sees nothing of
 * the tester's, then tells the tester it is done. */
#include <stdio.h>

#include "fspeer_gen.h"
#include "fs_util.h"

int main(void)
{
    volatile uint8_t *buf = (volatile uint8_t *)FS_PEER_BUF;
    FS_PATH(secret, "secret");
    for (uint32_t i = 0; i < 4000; i++)
        buf[i] = fstest_byte(i, 0x5B);
    int c = fs_peer_files_create(&secret);
    int w = fs_peer_files_write(&secret, 0, 4000);
    /* 10,000 more bytes would pass the 8 KiB quota: refused, the file stays as it was. */
    int over = fs_peer_files_write(&secret, 4000, 10000);
    struct file_stat st = {0};
    int s = fs_peer_files_stat(&secret, &st);
    int y = fs_peer_files_sync();
    /* Our root holds only our file, whatever the tester keeps in its own. */
    FS_PATH(root, "");
    uint64_t cookie = 0;
    struct anv_bytes_54 name = {0};
    uint32_t type = 0, entries = 0;
    uint64_t size = 0;
    char names[128] = "";
    while (entries < 16 && fs_peer_files_list(&root, &cookie, &name, &type, &size) == ANV_OK) {
        entries++;
        fstest_append(names, sizeof names, name.data, name.len);
    }
    FS_PATH(up, "../tester/boots");
    FS_PATH(abs, "/apps/tester/boots");
    uint32_t got = 0;
    int dotdot = fs_peer_files_read(&up, 0, 8, &got);
    int absolute = fs_peer_files_read(&abs, 0, 8, &got);
    printf("fspeer: create %d write %d over-quota %d stat %d size %lu sync %d; root: %s(%u); "
           "../ %d absolute %d\n", c, w, over, s, (unsigned long)st.size, y, names, entries,
           dotdot, absolute);
    anv_console_flush();
    int err = fs_peer_done_emit();
    if (err != ANV_OK)
        printf("fspeer: done event failed (%d)\n", err);
    return 0;
}
