/* Eva driver for the manifest decoder (kernel/boot/manifest.c): a blob of up to
 * EVA_MANIFEST_MAX bytes whose every byte is unknown, opened with an unknown length;
 * when it opens, every entry of every table is decoded through the accessors. */
#include "__fc_builtin.h"

#include "boot/manifest.h"

#ifndef EVA_MANIFEST_MAX
#define EVA_MANIFEST_MAX 256
#endif

static unsigned char eva_blob[EVA_MANIFEST_MAX];

int main(void)
{
    struct manifest_view v;
    Frama_C_make_unknown((char *)eva_blob, sizeof eva_blob);
    size_t len = Frama_C_size_t_interval(0, sizeof eva_blob);
    enum manifest_error e = manifest_open(&v, eva_blob, len);
    /* The accessors are used only after a successful open, as the loader does; a
     * failed view answers "no such entry" to all of them. */
    uint32_t seen = 0;
    for (uint32_t i = 0; i < manifest_count(&v, MANIFEST_T_PROCESS); i++) {
        struct manifest_process p = {0};
        if (manifest_process(&v, i, &p))
            seen += manifest_string(&v, p.name)[0] != 0;
    }
    for (uint32_t i = 0; i < manifest_count(&v, MANIFEST_T_OBJECT); i++) {
        struct manifest_object o;
        seen += manifest_object(&v, i, &o);
    }
    for (uint32_t i = 0; i < manifest_count(&v, MANIFEST_T_SLOT); i++) {
        struct manifest_slot s;
        seen += manifest_slot(&v, i, &s);
    }
    for (uint32_t i = 0; i < manifest_count(&v, MANIFEST_T_MAPPING); i++) {
        struct manifest_mapping m;
        seen += manifest_mapping(&v, i, &m);
    }
    for (uint32_t i = 0; i < manifest_count(&v, MANIFEST_T_THREAD); i++) {
        struct manifest_thread t;
        seen += manifest_thread(&v, i, &t);
    }
    for (uint32_t i = 0; i < manifest_count(&v, MANIFEST_T_IMAGE); i++) {
        struct manifest_image im;
        seen += manifest_image(&v, i, &im);
    }
    const char *msg = manifest_strerror(e);
    return msg[0] == 0 ? -1 : (int)(e + seen);
}
