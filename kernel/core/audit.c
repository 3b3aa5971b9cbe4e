/* Audit ring: fixed storage, so logging can never fail or allocate. */
#include "core/audit.h"

#include <anvaya/abi.h>

struct audit_record audit_ring[ANV_AUDIT_RING];
uint64_t audit_seq;

void audit_reset(void)
{
    audit_seq = 0;
}

void audit_log(uint32_t event, uint32_t subject, uint32_t object, uint64_t arg, uint32_t result)
{
    struct audit_record *r = &audit_ring[audit_seq % ANV_AUDIT_RING];
    r->seq = audit_seq++;
    r->event = event;
    r->subject = subject;
    r->object = object;
    r->arg = arg;
    r->result = result;
}

int audit_get(uint64_t seq, struct audit_record *out)
{
    if (seq >= audit_seq || audit_seq - seq > ANV_AUDIT_RING)
        return ANV_E_INVALID_ARG;
    *out = audit_ring[seq % ANV_AUDIT_RING];
    return ANV_OK;
}

uint64_t audit_next_seq(void)
{
    return audit_seq;
}
