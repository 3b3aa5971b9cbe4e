/* test_net_parsers.c: the DNS and DHCP parsers on hand-built messages, hostile ones
 * included: compression loops and forward pointers, names past the message, CNAME
 * loops, mismatched IDs and questions, truncated options, missing end marks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net_dhcp.h"
#include "net_dns.h"

static uint8_t msg[1024];
static size_t mlen;
static uint8_t qn[NET_DNS_NAME_MAX];
static size_t ql;

static void b(const void *p, size_t n) { memcpy(msg + mlen, p, n); mlen += n; }
static void b16(unsigned v) { uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v}; b(x, 2); }
static void b32(uint32_t v) { b16(v >> 16); b16(v & 0xffff); }

/* Header + question for "www.example.test" A IN; the name sits at offset 12. */
static void dns_start(unsigned flags, unsigned ancount)
{
    mlen = 0;
    b16(0xbeef);
    b16(flags);
    b16(1);
    b16(ancount);
    b16(0);
    b16(0);
    ql = net_dns_encode_name("www.example.test", qn);
    b(qn, ql);
    b16(1);
    b16(1);
}

static void rr_hdr(unsigned type, uint32_t ttl, unsigned rdlen)
{
    b16(type);
    b16(1);
    b32(ttl);
    b16(rdlen);
}

static void test_encode(void **state)
{
    (void)state;
    uint8_t w[NET_DNS_NAME_MAX];
    assert_int_equal(net_dns_encode_name("A.b.", w), 5);
    assert_memory_equal(w, "\1a\1b\0", 5);
    assert_int_equal(net_dns_encode_name("", w), 0);
    assert_int_equal(net_dns_encode_name("a..b", w), 0);
    assert_int_equal(net_dns_encode_name(".a", w), 0);
    char longlabel[70];
    memset(longlabel, 'x', 64);
    longlabel[64] = 0;
    assert_int_equal(net_dns_encode_name(longlabel, w), 0);
    char longname[300];
    for (int i = 0; i < 127; i++) {
        longname[2 * i] = 'a';
        longname[2 * i + 1] = '.';
    }
    longname[253] = 0; /* 127 labels: 254 wire bytes + root = 255: the limit */
    assert_int_equal(net_dns_encode_name(longname, w), 0u + 255u);
    longname[253] = 'a';
    longname[254] = 0;
    assert_int_equal(net_dns_encode_name(longname, w), 0);
}

static void test_dns_answer_compressed(void **state)
{
    (void)state;
    net_dns_result r;
    dns_start(0x8180, 3);
    /* www.example.test CNAME web.example.test (target compressed onto "example.test") */
    b16(0xc00c);
    rr_hdr(5, 300, 6);
    b("\3web", 4);
    b16(0xc010);
    size_t web = mlen - 6;
    /* an unrelated A record is ignored */
    b16(0xc010);
    rr_hdr(1, 10, 4);
    b32(0x01020304);
    /* web.example.test A 192.0.2.5 via pointer to the CNAME's rdata */
    b16(0xc000 | (unsigned)web);
    rr_hdr(1, 60, 4);
    b32(0xc0000205);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_OK);
    assert_int_equal(r.naddrs, 1);
    assert_int_equal(r.addrs[0], 0xc0000205);
    assert_int_equal(r.cname_hops, 1);
    assert_int_equal(r.ttl, 60);
    assert_string_equal(r.canonical, "web.example.test");
    /* Every prefix of the message is refused cleanly. */
    for (size_t n = 0; n < mlen; n++)
        assert_int_not_equal(net_dns_parse(msg, n, 0xbeef, qn, ql, &r), NET_OK);
    /* Another ID, or a response to another question, is not ours. */
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeee, qn, ql, &r), NET_ERR_NOTFOUND);
    uint8_t other[NET_DNS_NAME_MAX];
    size_t ol = net_dns_encode_name("www.example.tesu", other);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, other, ol, &r), NET_ERR_NOTFOUND);
}

static void test_dns_hostile_names(void **state)
{
    (void)state;
    net_dns_result r;
    /* A pointer to itself. */
    dns_start(0x8180, 1);
    size_t at = mlen;
    b16(0xc000 | (unsigned)at);
    rr_hdr(1, 1, 4);
    b32(1);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_MALFORMED);
    /* A forward pointer. */
    dns_start(0x8180, 1);
    b16(0xc000 | (unsigned)(mlen + 2));
    b("\0", 1);
    rr_hdr(1, 1, 4);
    b32(1);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_MALFORMED);
    /* Two names pointing at each other (the second points back at the first, the
     * first forward at the second): refused by the backwards rule. */
    dns_start(0x8180, 1);
    size_t n1 = mlen;
    b("\1a", 2);
    b16(0xc000 | (unsigned)(n1 + 4));
    b("\1b", 2);
    b16(0xc000 | (unsigned)n1);
    rr_hdr(1, 1, 4);
    b32(1);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_MALFORMED);
    /* A pointer past the end, a label running off the end, a 0x40 label type. */
    dns_start(0x8180, 1);
    b16(0xc3ff);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_MALFORMED);
    dns_start(0x8180, 1);
    b("\x3f" "abc", 4);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_MALFORMED);
    dns_start(0x8180, 1);
    b("\x41", 1);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_MALFORMED);
    /* A name longer than 255 bytes built from backward pointers into the labels that a
     * TXT record's data carries. */
    dns_start(0x8180, 2);
    b16(0xc00c);
    rr_hdr(16, 1, 65 + 5 * 66);
    size_t base = mlen;
    b("\x3f", 1);
    for (int i = 0; i < 63; i++)
        b("x", 1);
    b("\0", 1);
    for (int k = 0; k < 5; k++) {
        size_t prev = base;
        base = mlen;
        b("\x3f", 1);
        for (int i = 0; i < 63; i++)
            b("y", 1);
        b16(0xc000 | (unsigned)prev);
    }
    b16(0xc000 | (unsigned)base);
    rr_hdr(1, 1, 4);
    b32(1);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_MALFORMED);
    /* rdlength past the end; an A record with rdlength 3. */
    dns_start(0x8180, 1);
    b16(0xc00c);
    rr_hdr(1, 1, 40);
    b32(1);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_MALFORMED);
    dns_start(0x8180, 1);
    b16(0xc00c);
    rr_hdr(1, 1, 3);
    b("abc", 3);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_MALFORMED);
}

static void test_dns_cname_loop_and_codes(void **state)
{
    (void)state;
    net_dns_result r;
    /* www -> a.example.test -> www: a loop, refused after the hop limit. */
    dns_start(0x8180, 2);
    b16(0xc00c);
    rr_hdr(5, 1, 4);
    b("\1a", 2);
    b16(0xc010);
    b16(0xc000 | (unsigned)(mlen - 4)); /* owner: the first record's target */
    rr_hdr(5, 1, 2);
    b16(0xc00c);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_MALFORMED);
    dns_start(0x8183, 0);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_NXDOMAIN);
    dns_start(0x8382, 0);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_TRUNCATED);
    dns_start(0x8185, 0);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_SERVFAIL);
    dns_start(0x8180, 0);
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_NODATA);
    dns_start(0x0100, 0); /* a query, not a response */
    assert_int_equal(net_dns_parse(msg, mlen, 0xbeef, qn, ql, &r), NET_ERR_NOTFOUND);
}

static const uint8_t mac[6] = {2, 0, 0, 0, 0, 2};

static void dhcp_start_msg(uint32_t xid)
{
    memset(msg, 0, sizeof msg);
    msg[0] = 2;
    msg[1] = 1;
    msg[2] = 6;
    msg[4] = (uint8_t)(xid >> 24);
    msg[5] = (uint8_t)(xid >> 16);
    msg[6] = (uint8_t)(xid >> 8);
    msg[7] = (uint8_t)xid;
    msg[16] = 10, msg[19] = 5; /* yiaddr 10.0.0.5 */
    memcpy(msg + 28, mac, 6);
    memcpy(msg + 236, "\x63\x82\x53\x63", 4);
    mlen = 240;
}

static void test_dhcp_parse(void **state)
{
    (void)state;
    uint8_t type;
    uint32_t yi;
    net_dhcp_lease l;
    dhcp_start_msg(0x11223344);
    b("\x35\x01\x05", 3);                 /* ACK */
    b("\x01\x04\xff\xff\xff\x00", 6);     /* mask */
    b("\x03\x08\x0a\x00\x00\x01\x0a\x00\x00\x02", 10); /* two routers: the first used */
    b("\x06\x04\x0a\x00\x00\x01", 6);
    b("\x33\x04\x00\x00\x0e\x10", 6);     /* lease 3600 */
    b("\x36\x04\x0a\x00\x00\x01", 6);
    b("\x00\x00", 2);                     /* pads */
    b("\xff", 1);
    assert_int_equal(net_dhcp_parse(msg, mlen, 0x11223344, mac, &type, &yi, &l), NET_OK);
    assert_int_equal(type, 5);
    assert_int_equal(yi, 0x0a000005);
    assert_int_equal(l.mask, 0xffffff00);
    assert_int_equal(l.router, 0x0a000001);
    assert_int_equal(l.ndns, 1);
    assert_int_equal(l.lease_s, 3600);
    assert_int_equal(l.server, 0x0a000001);
    for (size_t n = 0; n < mlen; n++)
        assert_int_not_equal(net_dhcp_parse(msg, n, 0x11223344, mac, &type, &yi, &l), NET_OK);
    assert_int_equal(net_dhcp_parse(msg, mlen, 0x11223345, mac, &type, &yi, &l), NET_ERR_NOTFOUND);
    /* An option whose length runs past the end. */
    dhcp_start_msg(1);
    b("\x35\x01\x02\x33\x20\x00", 6);
    assert_int_equal(net_dhcp_parse(msg, mlen, 1, mac, &type, &yi, &l), NET_ERR_MALFORMED);
    /* Wrong fixed lengths. */
    dhcp_start_msg(1);
    b("\x35\x02\x02\x02\xff", 5);
    assert_int_equal(net_dhcp_parse(msg, mlen, 1, mac, &type, &yi, &l), NET_ERR_MALFORMED);
    dhcp_start_msg(1);
    b("\x35\x01\x02\x01\x03\xff\xff\xff\xff", 9);
    assert_int_equal(net_dhcp_parse(msg, mlen, 1, mac, &type, &yi, &l), NET_ERR_MALFORMED);
    /* No message type; a bad cookie; a request (op 1). */
    dhcp_start_msg(1);
    b("\xff", 1);
    assert_int_equal(net_dhcp_parse(msg, mlen, 1, mac, &type, &yi, &l), NET_ERR_MALFORMED);
    dhcp_start_msg(1);
    msg[236] = 0;
    b("\x35\x01\x02\xff", 4);
    assert_int_equal(net_dhcp_parse(msg, mlen, 1, mac, &type, &yi, &l), NET_ERR_MALFORMED);
    dhcp_start_msg(1);
    msg[0] = 1;
    b("\x35\x01\x02\xff", 4);
    assert_int_equal(net_dhcp_parse(msg, mlen, 1, mac, &type, &yi, &l), NET_ERR_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_dns_answer_compressed),
        cmocka_unit_test(test_dns_hostile_names),
        cmocka_unit_test(test_dns_cname_loop_and_codes),
        cmocka_unit_test(test_dhcp_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
