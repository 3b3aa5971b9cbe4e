/* The audit log: a bounded ring of security-relevant events, readable through the audit
 * capability. Old records are overwritten; sequence numbers never repeat. */
#ifndef ANVAYA_KERNEL_AUDIT_H
#define ANVAYA_KERNEL_AUDIT_H

#include <stdint.h>

#include <anvaya/abi.h>

struct audit_record {
    uint64_t seq;
    uint32_t event;     /* ANV_AUDIT_* */
    uint32_t subject;   /* thread id */
    uint32_t object;    /* object id */
    uint32_t result;    /* ANV_ error code */
    uint64_t arg;
};

/* The ring and the next sequence number: named here for the WP contracts (the IPC
 * transfer's says it writes them and nothing of a thread); only audit.c writes them. */
extern struct audit_record audit_ring[ANV_AUDIT_RING];
extern uint64_t audit_seq;

void audit_reset(void);
/* No record written and the sequence number kept: what a refused operation keeps. */
/*@ predicate audit_unchanged{L1, L2} = \at(audit_seq, L1) == \at(audit_seq, L2) &&
        \forall integer i; 0 <= i < ANV_AUDIT_RING ==>
            \at(audit_ring[i].seq, L1) == \at(audit_ring[i].seq, L2) &&
            \at(audit_ring[i].event, L1) == \at(audit_ring[i].event, L2) &&
            \at(audit_ring[i].subject, L1) == \at(audit_ring[i].subject, L2) &&
            \at(audit_ring[i].object, L1) == \at(audit_ring[i].object, L2) &&
            \at(audit_ring[i].result, L1) == \at(audit_ring[i].result, L2) &&
            \at(audit_ring[i].arg, L1) == \at(audit_ring[i].arg, L2);
*/
/* ACSL (proved by WP, tests/proof/wp/; docs/assurance.md): one record, nothing else. */
/*@ assigns audit_seq, audit_ring[0 .. ANV_AUDIT_RING - 1];
*/
void audit_log(uint32_t event, uint32_t subject, uint32_t object, uint64_t arg, uint32_t result);
/* ANV_OK with the record of sequence number `seq`; ANV_E_INVALID_ARG when it was
 * overwritten or never written. */
int audit_get(uint64_t seq, struct audit_record *out);
uint64_t audit_next_seq(void);

#endif
