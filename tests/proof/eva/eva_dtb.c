/* Eva driver for the DTB reader (kernel/boot/dtb.c): a blob of up to EVA_DTB_MAX bytes
 * whose every byte is unknown, parsed with an unknown length. */
#include "__fc_builtin.h"

#include "boot/dtb.h"

#ifndef EVA_DTB_MAX
#define EVA_DTB_MAX 256
#endif

static unsigned char eva_blob[EVA_DTB_MAX];

int main(void)
{
    struct dtb_inventory inv;
    struct dtb_error err;
    Frama_C_make_unknown((char *)eva_blob, sizeof eva_blob);
    size_t len = Frama_C_size_t_interval(0, sizeof eva_blob);
    enum dtb_status s = dtb_parse(eva_blob, len, &inv, &err);
    const char *msg = dtb_strerror(s);
    return msg[0] == 0 ? -1 : (int)s;
}
