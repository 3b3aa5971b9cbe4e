/* The audit log: a bounded ring of security-relevant events, readable through the audit
 * capability. Old records are overwritten; sequence numbers never repeat. */
#ifndef ANVAYA_KERNEL_AUDIT_H
#define ANVAYA_KERNEL_AUDIT_H

#include <stdint.h>

struct audit_record {
    uint64_t seq;
    uint32_t event;     /* ANV_AUDIT_* */
    uint32_t subject;   /* thread id */
    uint32_t object;    /* object id */
    uint32_t result;    /* ANV_ error code */
    uint64_t arg;
};

void audit_reset(void);
void audit_log(uint32_t event, uint32_t subject, uint32_t object, uint64_t arg, uint32_t result);
/* ANV_OK with the record of sequence number `seq`; ANV_E_INVALID_ARG when it was
 * overwritten or never written. */
int audit_get(uint64_t seq, struct audit_record *out);
uint64_t audit_next_seq(void);

#endif
