/*
 * ICMPv6 (common/icmpv6.c): the checksum with its pseudo-header, worked by
 * hand from RFC 8200 8.1; the echo reply and the error writers against the
 * Linux kernel's own replies and errors (tests/fixtures/ipv6/kernel-replies,
 * the kernel's answers to tests/fixtures/ipv6/requests on a tun owning
 * 2001:db8:1::1/64 and fe80::1/64). Seen from the kernel's side: each
 * request is taken as kernel-oracle wrote it (2001:db8::1 became
 * 2001:db8:1::2 and 2001:db8::2 became 2001:db8:1::1, its checksum moved
 * along), and the writer must produce the kernel's bytes, all but one
 * field: the flow label. Linux labels each flow with a hash of its
 * addresses and a key drawn at boot (net.ipv6.auto_flowlabels), which no
 * one else can compute; RFC 6437 lets a source send 0, and the writers do.
 */
#include "support.h"

#include <arpa/inet.h>

#include "bytes.h"
#include "host.h"
#include "icmp.h"
#include "icmpv6.h"
#include "ipv6.h"

static uint8_t request[TEST_MAX_PACKET], kernel[TEST_MAX_PACKET], out[TEST_MAX_PACKET];

static void address(const char *text, uint8_t a[16])
{
    assert_int_equal(inet_pton(AF_INET6, text, a), 1);
}

static size_t load6(const char *dir, const char *name, uint8_t *bytes)
{
    char path[1024], why[512] = "";

    snprintf(path, sizeof path, "%s/tests/fixtures/ipv6/%s/%s.pcap", PROJECT_ROOT, dir, name);
    long len = pcap_read_first(path, bytes, TEST_MAX_PACKET, why, sizeof why);
    if (len < 0)
        fail_msg("cannot load fixture %s: %s", path, why);
    return (size_t)len;
}

/* ---- the checksum, by hand ---------------------------------------------- */

/*
 * RFC 8200 8.1, worked for an echo request (type 128, code 0, identifier
 * 0x1234, sequence 1, no data: 8 bytes) from 2001:db8::1 to 2001:db8::2.
 * The 16-bit words summed:
 *
 *   source        2001 0db8 0000 0000 0000 0000 0000 0001  -> 2dba
 *   destination   2001 0db8 0000 0000 0000 0000 0000 0002  -> 2dbb
 *   length (32)   0000 0008                                -> 0008
 *   zero, next    0000 003a  (58, ICMPv6)                  -> 003a
 *   message       8000 [0000] 1234 0001                    -> 9235
 *
 *   2dba + 2dbb = 5b75; + 0008 = 5b7d; + 003a = 5bb7; + 9235 = edec
 *   (no carry), and the checksum is its complement: ~edec = 1213.
 *
 * Summed without the pseudo-header, the message alone gives ~9235 = 6dca:
 * the pitfall of step 11's exercise, which the kernel drops
 * (ipv6-echo-bad-checksum: Icmp6InCsumErrors, no reply).
 */
static void the_pseudo_header_by_hand(void **state)
{
    (void)state;
    uint8_t src[16], dst[16];
    uint8_t message[8] = {0x80, 0, 0, 0, 0x12, 0x34, 0, 1};

    address("2001:db8::1", src);
    address("2001:db8::2", dst);
    assert_int_equal(icmpv6_checksum(src, dst, message, 8), 0x1213);
    write_be16(message + 2, 0x1213);
    assert_true(icmpv6_checksum_ok(src, dst, message, 8));
    /* The same message to another address fails: that is the point. */
    dst[15] = 3;
    assert_false(icmpv6_checksum_ok(src, dst, message, 8));
    dst[15] = 2;
    write_be16(message + 2, 0x6dca);
    assert_false(icmpv6_checksum_ok(src, dst, message, 8));
}

/* The kernel's own replies and errors all pass the check, and the crafted
 * bad request fails it. Odd lengths too: ping -s 1 (9 bytes of ICMPv6). */
static void the_kernels_checksums_hold(void **state)
{
    (void)state;
    static const char *const NAMES[] = {
        "ipv6-default", "ipv6-s0", "ipv6-s1", "ipv6-s1232", "ipv6-hbh-10", "ipv6-udp-large",
        "ipv6-multicast", "ipv6-echo-multicast-link-local", "ipv6-neighbor-solicitation",
    };
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
        size_t len = load6("kernel-replies", NAMES[i], kernel);
        assert_int_equal(kernel[6], IPV6_NEXT_ICMPV6);
        if (!icmpv6_checksum_ok(kernel + 8, kernel + 24, kernel + 40, len - 40))
            fail_msg("%s: the kernel's checksum fails", NAMES[i]);
        kernel[40 + 4] ^= 1;
        assert_false(icmpv6_checksum_ok(kernel + 8, kernel + 24, kernel + 40, len - 40));
    }
    size_t len = load6("requests", "ipv6-echo-bad-checksum", request);
    assert_false(icmpv6_checksum_ok(request + 8, request + 24, request + 40, len - 40));
    len = load6("requests", "ipv6-s1", request);
    assert_int_equal(len, 49);
    assert_true(icmpv6_checksum_ok(request + 8, request + 24, request + 40, len - 40));
}

/* ---- the request as the kernel got it ------------------------------------ */

static const uint8_t LAB_PEER[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t LAB_HOST[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t ORACLE_PEER[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2};
static const uint8_t ORACLE_KERNEL[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1};

/* An upper layer's checksum over the pseudo-header, summed here apart from
 * the code under test (RFC 8200 8.1). */
static uint16_t upper_checksum(const uint8_t *p, size_t at, size_t len, uint8_t next)
{
    uint32_t sum = (uint32_t)len + next;
    for (int i = 8; i < 40; i += 2)
        sum += read_be16(p + i);
    for (size_t i = 0; i < len; i += 2)
        sum += (uint32_t)p[at + i] << 8 | (i + 1 < len ? p[at + i + 1] : 0);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* ipv6/requests/NAME with kernel-oracle's change of addresses (everywhere
 * they stand at an even offset), and the upper layer's checksum, right
 * before, right again after. */
static size_t as_the_kernel_got_it(const char *name)
{
    size_t len = load6("requests", name, request);
    for (size_t at = 8; at + 16 <= len; at += 2) {
        if (memcmp(request + at, LAB_PEER, 16) == 0)
            memcpy(request + at, ORACLE_PEER, 16), at += 14;
        else if (memcmp(request + at, LAB_HOST, 16) == 0)
            memcpy(request + at, ORACLE_KERNEL, 16), at += 14;
    }
    /* Payload length 0 before hop-by-hop: every byte is payload (ipv6.h). */
    size_t at = 40, end = read_be16(request + 4) ? 40 + (size_t)read_be16(request + 4) : len;
    uint8_t next = request[6];
    while ((next == 0 || next == 43 || next == 60) && at + 8 <= end) {
        next = request[at];
        at += ((size_t)request[at + 1] + 1) * 8;
    }
    size_t field = next == 58 ? 2 : next == 17 ? 6 : 0;
    if (field && at + field + 2 <= end) {
        write_be16(request + at + field, 0);
        uint16_t sum = upper_checksum(request, at, end - at, next);
        write_be16(request + at + field, next == 17 && sum == 0 ? 0xffff : sum);
    }
    return len;
}

/* The kernel's reply with its flow label set to 0 (see the top). */
static size_t kernels_without_flow_label(const char *name)
{
    size_t len = load6("kernel-replies", name, kernel);
    write_be32(kernel, read_be32(kernel) & 0xfff00000);
    return len;
}

/* The kernel's addresses on the oracle tun, as a host of ours. */
static void oracle_host(struct host *host)
{
    memset(host, 0, sizeof *host);
    assert_int_equal(host_add_address6(host, "2001:db8:1::1/64", NULL, 0), 0);
    assert_int_equal(host_add_address6(host, "fe80::1/64", NULL, 0), 0);
}

/* ---- echo replies -------------------------------------------------------- */

/* RFC 4443 4.2 as Linux does it (icmpv6_echo_reply): from the address the
 * request came to, or for a group the unicast address RFC 6724 picks;
 * hop limit 64 (the route's); the request's whole traffic class, ECN bits
 * too (ipv6_get_dsfield); identifier, sequence and data as they came; only
 * the request's ICMPv6 message, without its extension headers. */
static void assert_kernel_echo_reply(const char *name)
{
    struct ipv6_view ip;
    struct ipv6_walk walk;
    struct host host;

    size_t len = as_the_kernel_got_it(name);
    assert_int_equal(ipv6_parse(request, len, &ip), IPV6_OK);
    assert_int_equal(ipv6_walk_headers(&ip, &walk), IPV6_WALK_UPPER);
    assert_int_equal(walk.protocol, IPV6_NEXT_ICMPV6);
    oracle_host(&host);
    const uint8_t *src = host_classify6(&host, ip.dst) == HOST6_OWN
                             ? ip.dst : host_source6_for(&host, ip.src);
    assert_non_null(src);
    size_t message_len = 40 + ip.payload_bytes - walk.offset;
    size_t n = icmpv6_echo_reply_write(out, &ip, src, request + walk.offset, message_len, 64,
                                       ip.traffic_class);
    size_t kernel_len = kernels_without_flow_label(name);
    if (n != kernel_len)
        fail_msg("%s: %zu bytes, the kernel %zu", name, n, kernel_len);
    if (memcmp(out, kernel, n) != 0) {
        for (size_t i = 0; i < n; i++)
            if (out[i] != kernel[i])
                fail_msg("%s: byte %zu is 0x%02x, the kernel's 0x%02x", name, i, out[i],
                         kernel[i]);
    }
}

static void echo_replies_as_the_kernels(void **state)
{
    (void)state;
    static const char *const NAMES[] = {
        "ipv6-default", "ipv6-s0", "ipv6-s1", "ipv6-s1232",       /* ping -6 -s N */
        "ipv6-tclass", "ipv6-tclass-ecn", "ipv6-echo-tclass",       /* traffic class back */
        "ipv6-multicast", "ipv6-echo-multicast-link-local",         /* to ff02::1 */
        "ipv6-hbh-00-multicast",
        "ipv6-echo-padding", "ipv6-hbh-00", "ipv6-hbh-padn", "ipv6-destination-options",
        "ipv6-routing-type0-sl0", "ipv6-fragment-atomic", "ipv6-hbh-payload-length-0",
    };
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        assert_kernel_echo_reply(NAMES[i]);
}

/* ---- errors -------------------------------------------------------------- */

/* icmp6_send() as the kernel answered: from the address the packet came
 * to when it is ours (else the one RFC 6724 picks), hop limit 64, traffic
 * class 0 (the ICMPv6 socket's own, not the packet's), the pointer or 0,
 * and the packet quoted from its IPv6 header, cut to keep the error within
 * 1280 bytes. */
static void assert_kernel_error(const char *name, uint8_t type, uint8_t code, uint32_t info,
                                int error_to_multicast)
{
    struct ipv6_view ip;
    struct host host;

    size_t len = as_the_kernel_got_it(name);
    assert_int_equal(ipv6_parse(request, len, &ip), IPV6_OK);
    oracle_host(&host);
    struct icmpv6_error error = {
        .type = type, .code = code, .info = info, .hop_limit = 64, .traffic_class = 0,
        .src = host_classify6(&host, ip.dst) == HOST6_OWN ? ip.dst
                                                          : host_source6_for(&host, ip.src),
    };
    if (icmpv6_error_forbidden(&ip, &error, error_to_multicast))
        fail_msg("%s: forbidden: %s", name, icmpv6_error_forbidden(&ip, &error,
                                                                   error_to_multicast));
    size_t n = icmpv6_error_write(out, &ip, request, len, &error);
    size_t kernel_len = kernels_without_flow_label(name);
    if (n != kernel_len)
        fail_msg("%s: %zu bytes, the kernel %zu", name, n, kernel_len);
    for (size_t i = 0; i < n; i++)
        if (out[i] != kernel[i])
            fail_msg("%s: byte %zu is 0x%02x, the kernel's 0x%02x", name, i, out[i], kernel[i]);
}

static void errors_as_the_kernels(void **state)
{
    (void)state;
    assert_kernel_error("ipv6-udp-closed", ICMPV6_DESTINATION_UNREACHABLE,
                        ICMPV6_UNREACHABLE_PORT, 0, 0);
    /* 1448 bytes quoted as 1232: 40 + 8 + 1232 = 1280. */
    assert_kernel_error("ipv6-udp-large", ICMPV6_DESTINATION_UNREACHABLE,
                        ICMPV6_UNREACHABLE_PORT, 0, 0);
    assert_int_equal(kernels_without_flow_label("ipv6-udp-large"), 1280);
    assert_kernel_error("ipv6-next-header-unknown", ICMPV6_PARAMETER_PROBLEM, 1, 6, 0);
    assert_kernel_error("ipv6-next-header-unknown-after-options", ICMPV6_PARAMETER_PROBLEM, 1,
                        40, 0);
    assert_kernel_error("ipv6-hbh-not-first", ICMPV6_PARAMETER_PROBLEM, 1, 40, 0);
    assert_kernel_error("ipv6-hbh-10", ICMPV6_PARAMETER_PROBLEM, 2, 42, 1);
    assert_kernel_error("ipv6-hbh-11", ICMPV6_PARAMETER_PROBLEM, 2, 42, 0);
    assert_kernel_error("ipv6-destination-10", ICMPV6_PARAMETER_PROBLEM, 2, 42, 1);
    assert_kernel_error("ipv6-destination-hao", ICMPV6_PARAMETER_PROBLEM, 2, 42, 0);
    /* To ff02::1, from the unicast address the kernel picked. */
    assert_kernel_error("ipv6-hbh-10-multicast", ICMPV6_PARAMETER_PROBLEM, 2, 42, 1);
    assert_kernel_error("ipv6-routing-type0-sl1", ICMPV6_PARAMETER_PROBLEM, 0, 42, 0);
    assert_kernel_error("ipv6-routing-type253-sl1", ICMPV6_PARAMETER_PROBLEM, 0, 42, 0);
    assert_kernel_error("ipv6-hbh-jumbo-short", ICMPV6_PARAMETER_PROBLEM, 0, 44, 0);
    assert_kernel_error("ipv6-hbh-jumbo-with-length", ICMPV6_PARAMETER_PROBLEM, 0, 42, 0);
    assert_kernel_error("ipv6-fragment-header-cut", ICMPV6_PARAMETER_PROBLEM, 0, 40, 0);
    /* No route to 2001:db8:2::99: from the address RFC 6724 picks for the
     * source, not from the destination, which is not the kernel's. */
    assert_kernel_error("ipv6-echo-to-off-link", ICMPV6_DESTINATION_UNREACHABLE,
                        ICMPV6_UNREACHABLE_NO_ROUTE, 0, 0);
}

/* ---- what is never answered (RFC 4443 2.4 e) ----------------------------- */

static const char *forbidden(const char *name, uint8_t type, uint8_t code, int to_multicast)
{
    struct ipv6_view ip;
    size_t len = load6("requests", name, request);
    assert_int_equal(ipv6_parse(request, len, &ip), IPV6_OK);
    struct icmpv6_error error = {.type = type, .code = code};
    return icmpv6_error_forbidden(&ip, &error, to_multicast);
}

static void what_never_gets_an_error(void **state)
{
    (void)state;
    /* The kernel said nothing to each of these (ipv6-kernel.txt). */
    assert_string_equal(forbidden("ipv6-next-header-unknown-multicast", 4, 1, 0),
                        "it went to a multicast address");
    assert_string_equal(forbidden("ipv6-udp-multicast", 1, 4, 0),
                        "it went to a multicast address");
    assert_string_equal(forbidden("ipv6-hbh-11-multicast", 4, 2, 0),
                        "it went to a multicast address");
    assert_null(forbidden("ipv6-hbh-10-multicast", 4, 2, 1));  /* the exception (e.3) */
    assert_null(forbidden("ipv6-udp-multicast", ICMPV6_PACKET_TOO_BIG, 0, 0));
    assert_string_equal(forbidden("ipv6-error-unreachable", 4, 1, 0), "it is an ICMPv6 error");
    assert_string_equal(forbidden("ipv6-error-unknown-type", 4, 1, 0), "it is an ICMPv6 error");
    assert_null(forbidden("ipv6-informational-unknown", 4, 1, 0));
    assert_null(forbidden("ipv6-default", 4, 1, 0));
    /* An error behind extension headers is found (as ipv6_skip_exthdr). */
    size_t len = load6("requests", "ipv6-destination-options", request);
    request[48] = ICMPV6_DESTINATION_UNREACHABLE;
    struct ipv6_view ip;
    struct icmpv6_error error = {.type = 4, .code = 0};
    assert_int_equal(ipv6_parse(request, len, &ip), IPV6_OK);
    assert_string_equal(icmpv6_error_forbidden(&ip, &error, 0), "it is an ICMPv6 error");
    /* An ICMPv6 message with no byte of it: its type cannot be seen. */
    write_be16(request + 4, 8);
    assert_int_equal(ipv6_parse(request, 48, &ip), IPV6_OK);
    assert_string_equal(icmpv6_error_forbidden(&ip, &error, 0),
                        "it is an ICMPv6 message too short to show its type");
    /* An atomic fragment's header cut after 6 bytes: its next header (58)
     * and offset are there, so Linux's ipv6_skip_exthdr walks past it to an
     * ICMPv6 message that is not there, and is_ineligible sends nothing
     * (measured: difftest --seed 20261130, case 22005, kernel silent). */
    len = load6("requests", "ipv6-fragment-atomic", request);
    assert_int_equal(request[6], 44);
    assert_int_equal(request[40], 58);
    assert_int_equal(read_be16(request + 42), 0);
    write_be16(request + 4, 6);
    assert_int_equal(ipv6_parse(request, 46, &ip), IPV6_OK);
    assert_string_equal(icmpv6_error_forbidden(&ip, &error, 0),
                        "it is an ICMPv6 message too short to show its type");
    /* Sources that name no one host. */
    len = load6("requests", "ipv6-udp-closed", request);
    memset(request + 8, 0, 16);
    assert_int_equal(ipv6_parse(request, len, &ip), IPV6_OK);
    assert_string_equal(icmpv6_error_forbidden(&ip, &error, 0),
                        "its source is the unspecified address");
    request[8] = 0xff;
    request[9] = 0x02;
    assert_int_equal(ipv6_parse(request, len, &ip), IPV6_OK);
    assert_string_equal(icmpv6_error_forbidden(&ip, &error, 0),
                        "its source is a multicast address");
}

/* The reply and the error may be written over the packet they answer
 * (a step answers in place): the same bytes. */
static void writing_in_place(void **state)
{
    (void)state;
    struct ipv6_view ip;
    struct ipv6_walk walk;
    uint8_t expected[TEST_MAX_PACKET];

    size_t len = load6("requests", "ipv6-s1232", request);
    assert_int_equal(ipv6_parse(request, len, &ip), IPV6_OK);
    assert_int_equal(ipv6_walk_headers(&ip, &walk), IPV6_WALK_UPPER);
    size_t n = icmpv6_echo_reply_write(expected, &ip, ip.dst, request + 40, len - 40, 64, 0);
    size_t m = icmpv6_echo_reply_write(request, &ip, ip.dst, request + 40, len - 40, 64, 0);
    assert_int_equal(n, m);
    assert_memory_equal(expected, request, n);

    len = load6("requests", "ipv6-udp-large", request);
    assert_int_equal(ipv6_parse(request, len, &ip), IPV6_OK);
    struct icmpv6_error error = {.type = 1, .code = 4, .hop_limit = 64, .src = ip.dst};
    n = icmpv6_error_write(expected, &ip, request, len, &error);
    m = icmpv6_error_write(request, &ip, request, len, &error);
    assert_int_equal(n, 1280);
    assert_int_equal(m, 1280);
    assert_memory_equal(expected, request, n);
}

static void type_names(void **state)
{
    (void)state;
    assert_string_equal(icmpv6_type_name(128), "echo request");
    assert_string_equal(icmpv6_type_name(133), "router solicitation");
    assert_string_equal(icmpv6_type_name(143), "multicast listener report v2");
    assert_string_equal(icmpv6_type_name(200), "unknown");
    assert_true(icmpv6_type_is_error(127));
    assert_false(icmpv6_type_is_error(128));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_pseudo_header_by_hand),
        cmocka_unit_test(the_kernels_checksums_hold),
        cmocka_unit_test(echo_replies_as_the_kernels),
        cmocka_unit_test(errors_as_the_kernels),
        cmocka_unit_test(what_never_gets_an_error),
        cmocka_unit_test(writing_in_place),
        cmocka_unit_test(type_names),
    };
    return cmocka_run_group_tests_name("common/icmpv6.c", tests, NULL, NULL);
}
