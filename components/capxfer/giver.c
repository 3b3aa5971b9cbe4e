/* capxfer's giver (idl/components/capxfer.idl): gets a Counter from the vault and hands it
 * to the keeper (`in cap<Counter>`); checks what each side sees, that a revoke of its own
 * copy takes back the keeper's, and that it cannot hand over what it does not hold. */
#include <stdio.h>

#include <anvaya/sdk.h>

#include "giver_gen.h"

static void flush_line(void)
{
    anv_console_flush();
}

int main(void)
{
    anv_handle_t c = ANV_HANDLE_NULL;
    uint32_t total = 0;
    int err = xgiver_vault_open(10, &c);
    printf("giver: opened a counter at 10 in slot %lu (err %d)\n",
           (unsigned long)(c & ANV_HANDLE_SLOT_MASK), err);
    err = xgiver_counter_add(c, 1, &total);
    printf("giver: add 1 -> %lu (err %d)\n", (unsigned long)total, err);

    /* Handed over for one call: the keeper adds through it, then it is deleted there. */
    err = xgiver_keeper_hand(c, 5, &total);
    printf("giver: keeper added 5 -> %lu (err %d)\n", (unsigned long)total, err);
    err = xgiver_keeper_poke(1, &total);
    printf("giver: poke before hold -> err %d\n", err);

    /* Kept: the keeper's copy reaches the same counter. */
    err = xgiver_keeper_hold(c);
    printf("giver: hold (err %d)\n", err);
    err = xgiver_keeper_poke(2, &total);
    printf("giver: keeper poked 2 -> %lu (err %d)\n", (unsigned long)total, err);
    err = xgiver_counter_add(c, 1, &total);
    printf("giver: add 1 -> %lu (err %d)\n", (unsigned long)total, err);

    /* The keeper cannot call a handle it was not given, whatever slot it names. */
    int32_t r1 = 0, r2 = 0;
    (void)xgiver_keeper_forge(3, &r1);
    (void)xgiver_keeper_forge(5000, &r2);
    printf("giver: keeper's forged handles -> %ld, %ld\n", (long)r1, (long)r2);

    /* The giver cannot hand over what it does not hold: an empty slot of its own, a stale
     * handle; the kernel refuses the call, the keeper never runs. */
    err = xgiver_keeper_hand(anv_handle_make(XGIVER_SLOT_FIRST_DYNAMIC + 7, 0), 1, &total);
    printf("giver: hand an empty slot -> %d\n", err);
    err = xgiver_keeper_hand(anv_handle_make((uint32_t)(c & ANV_HANDLE_SLOT_MASK), 9), 1, &total);
    printf("giver: hand a stale handle -> %d\n", err);

    /* Revoking its own copy takes back the keeper's (a child of it). */
    err = anv_cap_revoke(c);
    printf("giver: revoked its counter (err %d)\n", err);
    err = xgiver_keeper_poke(1, &total);
    printf("giver: keeper poke after revoke -> %d\n", err);
    err = xgiver_counter_add(c, 1, &total);
    printf("giver: its own add -> %lu (err %d)\n", (unsigned long)total, err);

    printf("giver: done\n");
    flush_line();
    (void)anv_system_shutdown(XGIVER_HANDLE_SYSCTL, 0);
    return 1;
}
