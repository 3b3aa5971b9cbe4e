/* hello: the default bootable program (idl/components/hello.idl) and the SDK's smoke test:
 * prints through stdio, asks the kernel about its capabilities, then shuts the system down
 * with the sysctl capability the system description gives it (hello_gen.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <anvaya/sdk.h>

#include "hello_gen.h"

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

    printf("hello: shutting down\n");
    anv_console_flush();
    err = anv_system_shutdown(HELLO_HANDLE_SYSCTL, 0);
    printf("hello: shutdown returned %d\n", err);
    return 1;
}
