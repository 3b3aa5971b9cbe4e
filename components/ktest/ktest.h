/* Shared between the kernel test components: the request labels of the test server. */
#ifndef ANVAYA_KTEST_H
#define ANVAYA_KTEST_H

#define KT_ECHO_SUM 1        /* reply label = sum of words, mr0 = badge seen */
#define KT_BAD_CALL_THEN_REPLY 2 /* make a malformed call while owing a reply, then reply */
#define KT_TAKE_FRAME 3      /* receive a frame cap, map it read-only, reply with its word */
#define KT_CHECK_FRAME 4     /* after revoke: report identify and re-map results */
#define KT_WAIT_TIMEOUT 5    /* wait_one with a 3-tick timeout, reply with what happened */
#define KT_WAIT_FOREVER 6    /* (sent) wait on the notification until cancelled */
#define KT_LAST_WAIT 7       /* reply with the result of the last KT_WAIT_FOREVER */
#define KT_CALL_THROUGH 8     /* (sent) call through the capability we are sent; record */
#define KT_LAST_CALL 9        /* reply with the result of the last KT_CALL_THROUGH */
#define KT_GIVE_FRAME 10       /* reply with a READ copy of our IPC buffer frame (mr[63] =
                                * KT_GIVE_MARKER); if that reply is refused, reply with its
                                * error as label instead */
#define KT_RESTART_INFO 11     /* reply mr0 = anv_restart_arg(), mr1 = requests served */
#define KT_SERVER_MAP_VADDR 0x30000000ull
#define KT_SERVER_MAP_SLOT 60u /* kserver: free slots for its mapping capabilities */
#define KT_GIVE_MARKER 0x5EC0DEull
#define KT_SERVED_INITIAL 1000u /* kserver's request count as its image has it (.data) */

/* kfaulty restarted with a non-zero argument reports what it sees by faulting on a load
 * from this address (the fault record is its only channel): its .data run counter (the
 * image says KT_RUNS_INITIAL, each start adds one) and the restart argument (< 4096). */
#define KT_RUNS_INITIAL 40u
#define KT_REPORT_BASE 0x60000000ull
#define KT_REPORT_ADDRESS(runs, arg) (KT_REPORT_BASE + ((uint64_t)(runs) << 12) + (arg))

#endif
