/* hello: the default bootable program (idl/components/hello.idl) and the SDK's smoke test:
 * prints through stdio, asks the kernel about its capabilities, then shuts the system down. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <anvaya/sdk.h>

/* The sysctl capability's slot is the generator's choice; finding it by type keeps this
 * program independent of any one system's layout. */
static anv_handle_t find_sysctl(void)
{
    for (uint32_t slot = ANV_SLOT_FIRST_FREE; slot < anv_cspace_size(); slot++) {
        anv_handle_t h = anv_handle_make(slot, 0);
        uint64_t type = 0;
        if (anv_cap_identify(h, &type, NULL, NULL, NULL) == ANV_OK && type == ANV_OBJ_SYSCTL)
            return h;
    }
    return ANV_HANDLE_NULL;
}

int main(void)
{
    uint64_t version = 0, type = 0, rights = 0;
    int err = anv_abi_version(&version);
    printf("hello: ABI %lu.%lu (err %d), %lu CSpace slots\n", (unsigned long)(version >> 16),
           (unsigned long)(version & 0xFFFFu), err, (unsigned long)anv_cspace_size());

    err = anv_cap_identify(anv_handle_make(ANV_SLOT_CONSOLE, 0), &type, &rights, NULL, NULL);
    printf("hello: console capability type %lu rights 0x%lx (err %d)\n", (unsigned long)type,
           (unsigned long)rights, err);

    char *note = malloc(32);
    if (note) {
        strcpy(note, "heap ok");
        printf("hello: %s, IPC buffer at %p\n", note, (void *)anv_ipcbuf());
        free(note);
    } else {
        printf("hello: no heap, IPC buffer at %p\n", (void *)anv_ipcbuf());
    }

    anv_handle_t sysctl = find_sysctl();
    if (sysctl == ANV_HANDLE_NULL) {
        printf("hello: no sysctl capability, sleeping\n");
        return 0;
    }
    printf("hello: shutting down\n");
    anv_console_flush();
    err = anv_system_shutdown(sysctl, 0);
    printf("hello: shutdown returned %d\n", err);
    return 1;
}
