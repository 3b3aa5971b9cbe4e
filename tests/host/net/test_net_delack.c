/* test_net_delack.c: lib/net's TCP built with delayed ACKs (NET_TCP_DELACK_MS=40, as the
 * guest component is): every second in-order data segment is acknowledged at once, a lone
 * one after the delay, and out-of-order data, a filled hole and a FIN at once; data we send
 * carries the ACK and cancels the delayed one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net_tcp.h"

#if NET_TCP_DELACK_MS != 40
#error "this test is built with -DNET_TCP_DELACK_MS=40u"
#endif

#include "net_tcp_harness.h"

static void test_delayed_acks(void **state)
{
    (void)state;
    assert_int_equal(harness_start(), 0);
    assert_int_equal(net_tcp_listen(&tcp, 80), NET_OK);
    nout = 0;
    input_seg(4000, 80, 1000, 0, 0x02, 65535, NULL, 0, 1460, 1000);
    assert_int_equal(nout, 1);
    uint32_t iss = g32(seg(0) + 4);
    input_seg(4000, 80, 1001, iss + 1, 0x10, 65535, NULL, 0, 0, 1001);
    int h = net_tcp_accept(&tcp, 80);
    assert_true(h >= 0);
    uint8_t d[100];
    memset(d, 'a', sizeof d);
    uint32_t seq = 1001;
    /* One segment: no ACK yet; a second: the ACK for both at once. */
    nout = 0;
    input_seg(4000, 80, seq, iss + 1, 0x18, 65535, d, 100, 0, 2000);
    seq += 100;
    assert_int_equal(nout, 0);
    input_seg(4000, 80, seq, iss + 1, 0x18, 65535, d, 100, 0, 2001);
    seq += 100;
    assert_int_equal(nout, 1);
    assert_int_equal(g32(seg(0) + 8), seq);
    /* A lone segment is acknowledged when the delay is up, not before. */
    nout = 0;
    input_seg(4000, 80, seq, iss + 1, 0x18, 65535, d, 100, 0, 3000);
    seq += 100;
    net_tcp_poll(&tcp, 3039);
    assert_int_equal(nout, 0);
    net_tcp_poll(&tcp, 3040);
    assert_int_equal(nout, 1);
    assert_int_equal(g32(seg(0) + 8), seq);
    net_tcp_poll(&tcp, 3100);
    assert_int_equal(nout, 1); /* once */
    /* Out of order: a duplicate ACK at once; the hole filled: the ACK jumps at once. */
    nout = 0;
    input_seg(4000, 80, seq + 100, iss + 1, 0x18, 65535, d, 100, 0, 4000);
    assert_int_equal(nout, 1);
    assert_int_equal(g32(seg(0) + 8), seq);
    input_seg(4000, 80, seq, iss + 1, 0x18, 65535, d, 100, 0, 4001);
    seq += 200;
    assert_int_equal(nout, 2);
    assert_int_equal(g32(seg(1) + 8), seq);
    /* Data of ours carries the ACK: no separate one follows at the deadline. */
    nout = 0;
    input_seg(4000, 80, seq, iss + 1, 0x18, 65535, d, 100, 0, 5000);
    seq += 100;
    assert_int_equal(nout, 0);
    assert_int_equal(net_tcp_send(&tcp, h, d, 10), 10);
    assert_int_equal(nout, 1);
    assert_int_equal(seg_data(0), 10);
    assert_int_equal(g32(seg(0) + 8), seq);
    net_tcp_poll(&tcp, 5040);
    assert_int_equal(nout, 1);
    /* A FIN is acknowledged at once, with the data before it. */
    input_seg(4000, 80, seq, iss + 11, 0x19, 65535, d, 100, 0, 6000);
    seq += 101;
    assert_int_equal(nout, 2);
    assert_int_equal(g32(seg(1) + 8), seq);
    assert_int_equal(net_tcp_get_state(&tcp, h), NET_TCP_CLOSE_WAIT);
    uint8_t r[1000];
    assert_int_equal(net_tcp_recv(&tcp, h, r, sizeof r), 700);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delayed_acks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
