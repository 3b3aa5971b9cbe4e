/* capxfer's vault (idl/components/capxfer.idl): serves Counter objects, each a badged
 * copy of its endpoint minted into a run-time slot; the badge's low bits name the counter. */
#include <anvaya/sdk.h>

#include "vault_gen.h"

#define VAULT_COUNTERS 4u

static struct {
    anv_handle_t cap; /* the vault's own copy: revoking it takes back every copy made of it */
    uint32_t total;
} counters[VAULT_COUNTERS];

int xvault_vault_open(uint64_t badge, uint32_t start, anv_handle_t *counter)
{
    (void)badge;
    for (uint32_t i = 0; i < VAULT_COUNTERS; i++) {
        if (counters[i].cap != ANV_HANDLE_NULL)
            continue;
        int err = xvault_counter_mint(XVAULT_SLOT_FIRST_DYNAMIC + i, i,
                                      &counters[i].cap);
        if (err != ANV_OK)
            return err;
        counters[i].total = start;
        *counter = counters[i].cap;
        return ANV_OK;
    }
    return ANV_E_NO_SLOTS;
}

int xvault_counter_add(uint64_t low, uint32_t n, uint32_t *total)
{
    if (low >= VAULT_COUNTERS || counters[low].cap == ANV_HANDLE_NULL)
        return COUNTER_E_GONE;
    counters[low].total += n;
    *total = counters[low].total;
    return ANV_OK;
}

void xvault_cap_unsent(anv_handle_t cap)
{
    for (uint32_t i = 0; i < VAULT_COUNTERS; i++)
        if (counters[i].cap == cap) {
            (void)anv_cap_revoke(cap);
            (void)anv_cap_delete(cap);
            counters[i].cap = ANV_HANDLE_NULL;
        }
}

int main(void)
{
    return xvault_serve();
}
