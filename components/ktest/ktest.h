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
#define KT_SERVER_MAP_VADDR 0x30000000ull

#endif
