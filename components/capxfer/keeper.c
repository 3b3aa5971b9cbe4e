/* capxfer's keeper (idl/components/capxfer.idl): calls the Counter capabilities requests
 * hand it (`in cap<Counter>`), keeps one when asked, and shows what the kernel answers
 * for a handle it was never given. */
#include <stdio.h>

#include <anvaya/sdk.h>

#include "keeper_gen.h"

static anv_handle_t kept = ANV_HANDLE_NULL;

int xkeeper_keeper_hand(uint64_t badge, anv_handle_t *counter, uint32_t n, uint32_t *total)
{
    (void)badge;
    uint64_t type = 0, rights = 0, cbadge = 0, id = 0;
    int err = anv_cap_identify(*counter, &type, &rights, &cbadge, &id);
    printf("keeper: handed slot %lu, type %lu rights 0x%lx badge 0x%lx (err %d)\n",
           (unsigned long)(*counter & ANV_HANDLE_SLOT_MASK), (unsigned long)type,
           (unsigned long)rights, (unsigned long)cbadge, err);
    err = xkeeper_counter_add(*counter, n, total);
    printf("keeper: add %lu through it -> %lu (err %d)\n", (unsigned long)n, (unsigned long)*total, err);
    return err; /* not kept: the dispatch deletes it */
}

int xkeeper_keeper_hold(uint64_t badge, anv_handle_t *counter)
{
    (void)badge;
    if (kept != ANV_HANDLE_NULL)
        (void)anv_cap_delete(kept);
    kept = *counter;
    *counter = ANV_HANDLE_NULL; /* ours now */
    printf("keeper: holding slot %lu\n", (unsigned long)(kept & ANV_HANDLE_SLOT_MASK));
    return ANV_OK;
}

int xkeeper_keeper_poke(uint64_t badge, uint32_t n, uint32_t *total)
{
    (void)badge;
    int err = xkeeper_counter_add(kept, n, total);
    printf("keeper: poke %lu through the kept one -> %lu (err %d)\n", (unsigned long)n,
           (unsigned long)*total, err);
    return err;
}

int xkeeper_keeper_forge(uint64_t badge, uint32_t offset, int32_t *result)
{
    (void)badge;
    uint32_t total = 0;
    uint32_t slot = offset < 0x100000u ? XKEEPER_SLOT_FIRST_DYNAMIC + offset : 0xFFFFFu;
    *result = xkeeper_counter_add(anv_handle_make(slot, 0), 1, &total);
    printf("keeper: forged slot %lu -> %ld\n", (unsigned long)slot, (long)*result);
    return ANV_OK;
}

int main(void)
{
    anv_console_flush();
    return xkeeper_serve();
}
