/*
 * The IPv6 header view and the extension header walk (common/ipv6.c)
 * against what Linux did with the same packets: every request of
 * tests/fixtures/ipv6/requests was written into a tun whose address the
 * kernel owns, and its answer (or its silence: an empty capture) recorded
 * in tests/fixtures/ipv6/kernel-replies (scripts/capture-fixtures.sh,
 * kernel-oracle; ipv6-kernel.txt there says what each one was and which
 * kernel counters moved). For each, the walk's verdict must be what the
 * kernel did: the same parameter problem code and pointer, read from the
 * kernel's own error; an upper layer where the kernel answered one; a drop
 * where it said nothing and counted a header error.
 */
#include "support.h"

#include <arpa/inet.h>

#include "bytes.h"
#include "icmpv6.h"
#include "ipv6.h"

static uint8_t packet[TEST_MAX_PACKET], kernel[TEST_MAX_PACKET];

/* Loads ipv6/DIR/NAME.pcap; 0 for a capture with no packet (the kernel's
 * silence). */
static size_t load6(const char *dir, const char *name, uint8_t *bytes)
{
    char path[1024], why[512] = "";

    snprintf(path, sizeof path, "%s/tests/fixtures/ipv6/%s/%s.pcap", PROJECT_ROOT, dir, name);
    long len = pcap_read_first(path, bytes, TEST_MAX_PACKET, why, sizeof why);
    if (len < 0 && strstr(why, "holds no packet"))
        return 0;
    if (len < 0)
        fail_msg("cannot load fixture %s: %s", path, why);
    return (size_t)len;
}

static void address(const char *text, uint8_t out[16])
{
    assert_int_equal(inet_pton(AF_INET6, text, out), 1);
}

/* ---- the header --------------------------------------------------------- */

/* ping -6 2001:db8::2 from tun0 (2001:db8::1): tshark reads it as version
 * 6, traffic class 0x00, flow label (ping's own), payload length 64 (8 +
 * 56), next header 58, hop limit 64. */
static void a_ping_request(void **state)
{
    (void)state;
    struct ipv6_view ip;
    uint8_t src[16], dst[16];
    size_t len = load6("requests", "ipv6-default", packet);

    assert_int_equal(len, 104);
    assert_int_equal(ipv6_parse(packet, len, &ip), IPV6_OK);
    assert_int_equal(ip.version, 6);
    assert_int_equal(ip.traffic_class, 0);
    assert_int_equal(ip.flow_label, read_be32(packet) & 0xfffff);
    assert_int_equal(ip.payload_len, 64);
    assert_int_equal(ip.payload_bytes, 64);
    assert_int_equal(ip.padding_len, 0);
    assert_int_equal(ip.next_header, IPV6_NEXT_ICMPV6);
    assert_int_equal(ip.hop_limit, 64);
    address("2001:db8::1", src);
    address("2001:db8::2", dst);
    assert_memory_equal(ip.src, src, 16);
    assert_memory_equal(ip.dst, dst, 16);
    assert_ptr_equal(ip.payload, packet + 40);
}

/* The crafted echo with traffic class 0xbb and flow label 0x12345:
 * 0x6bb12345 in the first word (version 6, then 8 bits, then 20). */
static void traffic_class_and_flow_label(void **state)
{
    (void)state;
    struct ipv6_view ip;
    size_t len = load6("requests", "ipv6-echo-tclass", packet);

    assert_int_equal(read_be32(packet), 0x6bb12345);
    assert_int_equal(ipv6_parse(packet, len, &ip), IPV6_OK);
    assert_int_equal(ip.traffic_class, 0xbb);
    assert_int_equal(ip.flow_label, 0x12345);
}

/* Link padding past the payload length is not payload (the kernel answered
 * ipv6-echo-padding with a 24-byte echo reply, its request's 24 bytes). */
static void padding_is_not_payload(void **state)
{
    (void)state;
    struct ipv6_view ip;
    size_t len = load6("requests", "ipv6-echo-padding", packet);

    assert_int_equal(len, 40 + 24 + 4);
    assert_int_equal(ipv6_parse(packet, len, &ip), IPV6_OK);
    assert_int_equal(ip.payload_bytes, 24);
    assert_int_equal(ip.padding_len, 4);
    assert_int_equal(load6("kernel-replies", "ipv6-echo-padding", kernel), 40 + 24);
}

static void what_parse_refuses(void **state)
{
    (void)state;
    struct ipv6_view ip;
    size_t len = load6("requests", "ipv6-default", packet);

    assert_int_equal(ipv6_parse(packet, 39, &ip), IPV6_TOO_SHORT);
    assert_int_equal(ipv6_parse(packet, 0, &ip), IPV6_TOO_SHORT);
    assert_int_equal(ipv6_parse(packet, len - 1, &ip), IPV6_PAYLOAD_LEN_PAST_END);
    assert_int_equal(ipv6_parse(packet, 40, &ip), IPV6_PAYLOAD_LEN_PAST_END);
    packet[0] = 0x45;
    assert_int_equal(ipv6_parse(packet, len, &ip), IPV6_NOT_VERSION_6);
    packet[0] = 0x60;
    /* An IPv4 echo request from ping is no IPv6 packet. */
    size_t v4 = load_fixture("requests/default.pcap", packet);
    assert_int_equal(ipv6_parse(packet, v4, &ip), IPV6_NOT_VERSION_6);

    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    len = load6("requests", "ipv6-default", packet);
    ipv6_explain(out, IPV6_PAYLOAD_LEN_PAST_END, packet, 100);
    fclose(out);
    assert_string_equal(text, "payload length 64, but only 60 bytes follow the header");
    free(text);
}

/* RFC 5952's text: the longest run of zero groups (two or more; the first
 * of equal runs) as "::", lower case, no leading zeros. Its own examples
 * (4.2.1, 4.2.2, 4.2.3, 4.3). */
static void addresses_print_as_rfc_5952_says(void **state)
{
    (void)state;
    static const char *const CASES[][2] = {
        {"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},     /* one zero group stays */
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},              /* the longer run */
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},        /* the first of two */
        {"2001:DB8::AAAA", "2001:db8::aaaa"},
        {"::", "::"}, {"::1", "::1"}, {"ff02::1", "ff02::1"}, {"1::", "1::"},
        {"ff02::1:ff00:2", "ff02::1:ff00:2"}, {"fe80::9dcd:18b0:e4d:b576", "fe80::9dcd:18b0:e4d:b576"},
        {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        uint8_t a[16];
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);
        address(CASES[i][0], a);
        ipv6_print_address(out, a);
        fclose(out);
        assert_string_equal(text, CASES[i][1]);
        free(text);
    }
}

static void the_header_writer(void **state)
{
    (void)state;
    struct ipv6_header_fields fields = {
        .traffic_class = 0xbb, .flow_label = 0x12345, .hop_limit = 64,
        .next_header = IPV6_NEXT_ICMPV6, .payload_len = 24,
    };
    address("2001:db8::1", fields.src);
    address("2001:db8::2", fields.dst);
    uint8_t out[40];
    assert_int_equal(ipv6_write_header(out, &fields), 40);
    /* The crafted request's header: the same fields, from craft-11.py. */
    load6("requests", "ipv6-echo-tclass", packet);
    assert_memory_equal(out, packet, 40);
}

/* ---- the walk, case by case, against the kernel ------------------------ */

struct expected_walk {
    const char *name;
    enum ipv6_walk_verdict verdict;
    int detail;                     /* UPPER: the protocol; DROP: the reason;
                                       PARAMETER_PROBLEM: the code */
    size_t where;                   /* UPPER: next_header_at; PARAMETER_PROBLEM:
                                       the pointer */
    const char *why_silent;         /* an UPPER the kernel did not answer: why */
    int ladder;                     /* the host's address rungs decide, not the walk */
};

#define UP(n, proto, at) {n, IPV6_WALK_UPPER, proto, at, NULL, 0}
#define UP_SILENT(n, proto, at, why) {n, IPV6_WALK_UPPER, proto, at, why, 0}
#define DROP(n, reason) {n, IPV6_WALK_DROP, reason, 0, NULL, 0}
#define PROBLEM(n, code, pointer) {n, IPV6_WALK_PARAMETER_PROBLEM, code, pointer, NULL, 0}
/* An echo request whose addresses the host's ladder refuses before any
 * walk (ipv6-kernel.txt says what the kernel did: silence, or for an
 * address it has no route to, destination unreachable code 0). */
#define LADDER(n, why) {n, IPV6_WALK_UPPER, 58, 6, why, 1}

static const struct expected_walk CASES[] = {
    UP("ipv6-default", 58, 6),
    UP("ipv6-s0", 58, 6),
    UP("ipv6-s1232", 58, 6),
    UP("ipv6-multicast", 58, 6),
    UP("ipv6-hbh-00", 58, 40),
    UP("ipv6-hbh-00-multicast", 58, 40),
    DROP("ipv6-hbh-01", IPV6_DROP_UNKNOWN_OPTION),
    DROP("ipv6-hbh-01-multicast", IPV6_DROP_UNKNOWN_OPTION),
    PROBLEM("ipv6-hbh-10", 2, 42),
    PROBLEM("ipv6-hbh-10-multicast", 2, 42),
    PROBLEM("ipv6-hbh-11", 2, 42),
    DROP("ipv6-hbh-11-multicast", IPV6_DROP_UNKNOWN_OPTION),
    UP("ipv6-hbh-padn", 58, 40),
    DROP("ipv6-hbh-padn-nonzero", IPV6_DROP_BAD_PADDING),
    DROP("ipv6-hbh-pad-too-long", IPV6_DROP_BAD_PADDING),
    UP("ipv6-hbh-router-alert", 58, 40),
    DROP("ipv6-hbh-calipso", IPV6_DROP_CALIPSO),
    DROP("ipv6-hbh-calipso-then-10", IPV6_DROP_CALIPSO),
    UP("ipv6-destination-calipso", 58, 40), /* unknown there: skipped */
    DROP("ipv6-hbh-ioam-misaligned", IPV6_DROP_BAD_OPTION),
    UP("ipv6-hbh-ioam-aligned", 58, 40),
    DROP("ipv6-hbh-option-past-end", IPV6_DROP_OPTION_PAST_END),
    DROP("ipv6-hbh-truncated", IPV6_DROP_TRUNCATED),
    UP("ipv6-hbh-not-first", 0, 40),        /* hop-by-hop, second: code 1 at 40 */
    UP("ipv6-hbh-payload-length-0", 58, 40),
    PROBLEM("ipv6-hbh-jumbo-short", 0, 44),
    PROBLEM("ipv6-hbh-jumbo-with-length", 0, 42),
    UP("ipv6-destination-options", 58, 40),
    PROBLEM("ipv6-destination-10", 2, 42),
    DROP("ipv6-destination-00-and-01", IPV6_DROP_UNKNOWN_OPTION),
    DROP("ipv6-too-many-options", IPV6_DROP_TOO_MANY_OPTIONS),
    {"ipv6-destination-then-none", IPV6_WALK_NO_NEXT_HEADER, 0, 40, NULL, 0},
    {"ipv6-no-next-header", IPV6_WALK_NO_NEXT_HEADER, 0, 6, NULL, 0},
    UP("ipv6-routing-type0-sl0", 58, 40),
    PROBLEM("ipv6-routing-type0-sl1", 0, 42),
    DROP("ipv6-routing-type4-sl0", IPV6_DROP_ROUTING_DISABLED),
    DROP("ipv6-routing-type4-sl1", IPV6_DROP_ROUTING_DISABLED),
    DROP("ipv6-routing-type3-sl0", IPV6_DROP_ROUTING_DISABLED),
    UP("ipv6-routing-type253-sl0", 58, 40),
    PROBLEM("ipv6-routing-type253-sl1", 0, 42),
    DROP("ipv6-routing-type0-multicast", IPV6_DROP_ROUTING_TO_MULTICAST),
    /* Mobile IPv6's type 2 and Home Address option are unknown to this
     * kernel (no CONFIG_IPV6_MIP6): handled as any unknown type. */
    UP("ipv6-routing-type2-sl0", 58, 40),
    PROBLEM("ipv6-routing-type2-sl1", 0, 42),
    PROBLEM("ipv6-destination-hao", 2, 42),
    UP("ipv6-fragment-atomic", 58, 40),
    PROBLEM("ipv6-fragment-header-cut", 0, 40),
    UP("ipv6-next-header-unknown", 253, 6),
    UP("ipv6-next-header-unknown-after-options", 253, 40),
    UP_SILENT("ipv6-next-header-unknown-multicast", 253, 6, "no error to multicast"),
    UP_SILENT("ipv6-next-header-pim", 103, 6, "PIM: Linux's pim6_rcv() drops what is no register"),
    UP("ipv6-udp-closed", 17, 6),
    UP("ipv6-udp-large", 17, 6),
    UP("ipv6-udp-length-0", 17, 6),         /* port unreachable: the length is the payload's */
    UP_SILENT("ipv6-udp-multicast", 17, 6, "no error to multicast"),
    UP("ipv6-tcp-syn", 6, 6),               /* a reset (tcp_v6_send_reset) */
    UP("ipv6-tcp-syn-tclass", 6, 6),
    UP("ipv6-tcp-ack-data", 6, 6),
    UP_SILENT("ipv6-tcp-rst", 6, 6, "a reset is never answered with a reset"),
    UP_SILENT("ipv6-echo-bad-checksum", 58, 6, "the ICMPv6 checksum fails"),
    UP("ipv6-echo-multicast-link-local", 58, 6),
    UP("ipv6-echo-padding", 58, 6),
    UP("ipv6-echo-tclass", 58, 6),
    UP("ipv6-echo-hop-limit-0", 58, 6),     /* hop limit 0 is no reason to drop */
    LADDER("ipv6-echo-from-multicast", "a multicast source: dropped (Ip6InHdrErrors)"),
    LADDER("ipv6-echo-from-loopback", "::1 from a link: dropped (Ip6InHdrErrors)"),
    LADDER("ipv6-echo-from-unspecified", "no route back to :: (Ip6OutNoRoutes)"),
    LADDER("ipv6-echo-from-v4-mapped", "no route back (Ip6OutNoRoutes); not dropped on input"),
    LADDER("ipv6-echo-from-own-address", "the reply went to the kernel itself"),
    LADDER("ipv6-echo-to-loopback", "::1 from a link: dropped (Ip6InHdrErrors)"),
    LADDER("ipv6-echo-to-other-host", "not forwarding (Ip6InAddrErrors)"),
    LADDER("ipv6-echo-to-off-link", "no route: destination unreachable code 0"),
    LADDER("ipv6-echo-to-all-routers", "a group it is not in"),
    LADDER("ipv6-echo-to-other-solicited-node", "a group it is not in"),
    LADDER("ipv6-echo-to-interface-local", "scope 1 from a link: dropped (Ip6InHdrErrors)"),
    LADDER("ipv6-echo-to-reserved-scope", "scope 0: dropped (Ip6InHdrErrors)"),
    UP_SILENT("ipv6-error-unreachable", 58, 6, "an error is never answered"),
    UP_SILENT("ipv6-error-unknown-type", 58, 6, "an error is never answered"),
    UP_SILENT("ipv6-informational-unknown", 58, 6, "unknown informational: discarded"),
    UP_SILENT("ipv6-echo-reply", 58, 6, "nobody asked"),
    UP_SILENT("ipv6-rs-unicast-source", 58, 6, "a host is no router"),
    UP_SILENT("ipv6-router-advertisement", 58, 6, "not from a link-local source"),
    UP("ipv6-neighbor-solicitation", 58, 6), /* Linux answers it: an advertisement */
    UP_SILENT("ipv6-neighbor-solicitation-hop64", 58, 6, "hop limit not 255"),
    UP_SILENT("ipv6-neighbor-advertisement", 58, 6, "nothing to answer"),
    UP_SILENT("ipv6-redirect", 58, 6, "not from a link-local source"),
    UP_SILENT("ipv6-mld-query", 58, 40, "a query is answered by a report later, if ever"),
    UP_SILENT("ipv6-mld-report", 58, 40, "not a group of the kernel's"),
};

/* The kernel's error, if it sent one: its type, code and pointer. */
static int kernel_error(const uint8_t *reply, size_t len, uint8_t *type, uint8_t *code,
                        uint32_t *pointer)
{
    if (len < 48 || reply[6] != IPV6_NEXT_ICMPV6 || reply[40] >= 128)
        return 0;
    *type = reply[40];
    *code = reply[41];
    *pointer = read_be32(reply + 44);
    return 1;
}

static void check_case(const struct expected_walk *c)
{
    struct ipv6_view ip;
    struct ipv6_walk walk;
    uint8_t type = 0, code = 0;
    uint32_t pointer = 0;
    size_t len = load6("requests", c->name, packet);
    size_t answer = load6("kernel-replies", c->name, kernel);

    if (ipv6_parse(packet, len, &ip) != IPV6_OK)
        fail_msg("%s: not parsed", c->name);
    enum ipv6_walk_verdict verdict = ipv6_walk_headers(&ip, &walk);
    if (verdict != c->verdict)
        fail_msg("%s: verdict %d, expected %d", c->name, verdict, c->verdict);
    int error = kernel_error(kernel, answer, &type, &code, &pointer);

    switch (verdict) {
    case IPV6_WALK_PARAMETER_PROBLEM: {
        /* The kernel sent this very parameter problem. */
        if (!error)
            fail_msg("%s: the kernel sent no error", c->name);
        assert_int_equal(type, ICMPV6_PARAMETER_PROBLEM);
        assert_int_equal(walk.code, code);
        assert_int_equal(walk.pointer, pointer);
        assert_int_equal(walk.code, c->detail);
        assert_int_equal(walk.pointer, c->where);
        struct icmpv6_error e = {.type = type, .code = code};
        assert_null(icmpv6_error_forbidden(&ip, &e, walk.error_to_multicast));
        break;
    }
    case IPV6_WALK_DROP:
        if (answer != 0)
            fail_msg("%s: the kernel answered what the walk drops", c->name);
        assert_int_equal(walk.drop_reason, c->detail);
        break;
    case IPV6_WALK_NO_NEXT_HEADER:
        assert_int_equal(answer, 0);
        assert_int_equal(walk.next_header_at, c->where);
        break;
    case IPV6_WALK_UPPER:
        assert_int_equal(walk.protocol, c->detail);
        assert_int_equal(walk.next_header_at, c->where);
        assert_true(walk.offset >= 40 && walk.offset <= 40 + ip.payload_bytes);
        if (c->ladder) {
            /* No echo reply from the kernel, whatever else it did. */
            if (answer >= 41 && kernel[40] == ICMPV6_ECHO_REPLY)
                fail_msg("%s: the kernel answered (%s)", c->name, c->why_silent);
        } else if (c->why_silent) {
            if (answer != 0)
                fail_msg("%s: the kernel answered (said silent: %s)", c->name, c->why_silent);
        } else if (error && type == ICMPV6_PARAMETER_PROBLEM) {
            /* An unknown upper layer: code 1 at the byte that named it. */
            assert_int_equal(code, IPV6_PARAMETER_UNKNOWN_NEXT_HEADER);
            assert_int_equal(pointer, walk.next_header_at);
        } else if (error) {
            assert_int_equal(walk.protocol, IPV6_NEXT_UDP);  /* port unreachable */
            assert_int_equal(type, ICMPV6_DESTINATION_UNREACHABLE);
        } else {
            if (answer == 0)
                fail_msg("%s: the kernel said nothing", c->name);
            if (walk.protocol == 6) {
                /* TCP to a closed port: the kernel's answer is a reset. */
                assert_int_equal(kernel[6], 6);
                assert_true(answer >= 40 + 20 && (kernel[40 + 13] & 0x04));
            } else
                assert_int_equal(walk.protocol, IPV6_NEXT_ICMPV6);
        }
        break;
    case IPV6_WALK_FRAGMENT:
        fail_msg("%s: a fragment", c->name);
        break;
    }
}

static void every_case_as_the_kernel_did_it(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
        check_case(&CASES[i]);
}

/* Every crafted request has its row above (a new fixture needs one). */
static void every_fixture_has_a_row(void **state)
{
    (void)state;
    char path[1024], line[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/ipv6/kernel-replies/ipv6-kernel.txt",
             PROJECT_ROOT);
    FILE *summary = fopen(path, "r");
    assert_non_null(summary);
    unsigned rows = 0;
    while (fgets(line, sizeof line, summary)) {
        if (line[0] == '#')
            continue;
        char *colon = strchr(line, ':');
        assert_non_null(colon);
        *colon = '\0';
        int found = 0;
        for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
            found |= strcmp(CASES[i].name, line) == 0;
        /* ping's echo requests at other sizes and traffic classes walk
         * as ipv6-default does. */
        if (!found && strncmp(line, "ipv6-s", 6) != 0 && strncmp(line, "ipv6-tclass", 11) != 0)
            fail_msg("%s has no row in CASES", line);
        rows++;
    }
    fclose(summary);
    assert_true(rows >= sizeof CASES / sizeof CASES[0]);
}

/* The details the kernel's verdicts do not show. */
static void what_the_walk_reports(void **state)
{
    (void)state;
    struct ipv6_view ip;
    struct ipv6_walk walk;
    size_t len;

    len = load6("requests", "ipv6-hbh-router-alert", packet);
    assert_int_equal(ipv6_parse(packet, len, &ip), IPV6_OK);
    assert_int_equal(ipv6_walk_headers(&ip, &walk), IPV6_WALK_UPPER);
    assert_true(walk.router_alert);
    assert_int_equal(walk.offset, 48);
    assert_int_equal(walk.headers, 1);

    len = load6("requests", "ipv6-hbh-10-multicast", packet);
    assert_int_equal(ipv6_parse(packet, len, &ip), IPV6_OK);
    assert_int_equal(ipv6_walk_headers(&ip, &walk), IPV6_WALK_PARAMETER_PROBLEM);
    assert_true(walk.error_to_multicast);
    len = load6("requests", "ipv6-hbh-11", packet);
    assert_int_equal(ipv6_parse(packet, len, &ip), IPV6_OK);
    assert_int_equal(ipv6_walk_headers(&ip, &walk), IPV6_WALK_PARAMETER_PROBLEM);
    assert_false(walk.error_to_multicast);

    /* RFC 6946: an atomic fragment is whole; its header is walked past. */
    len = load6("requests", "ipv6-fragment-atomic", packet);
    assert_int_equal(ipv6_parse(packet, len, &ip), IPV6_OK);
    assert_int_equal(ipv6_walk_headers(&ip, &walk), IPV6_WALK_UPPER);
    assert_true(walk.atomic_fragment);
    assert_int_equal(walk.fragment.identification, 0x12345678);
    assert_int_equal(walk.offset, 48);

    /* A second fragment header after an atomic one: Linux's ipv6_frag_rcv
     * refuses it (the packet is already marked IP6SKB_FRAGMENTED) with a
     * parameter problem code 0 pointing at it (measured: difftest --seed
     * 20261130, case 23547, two atomic fragment headers before an echo
     * request: the kernel's 4/0 pointer 48). */
    len = load6("requests", "ipv6-fragment-atomic", packet);
    memmove(packet + 48, packet + 40, len - 40);
    memcpy(packet + 40, packet + 48, 8);
    packet[40] = 44;                /* the first names a second fragment header */
    write_be16(packet + 4, (uint16_t)(read_be16(packet + 4) + 8));
    assert_int_equal(ipv6_parse(packet, len + 8, &ip), IPV6_OK);
    assert_int_equal(ipv6_walk_headers(&ip, &walk), IPV6_WALK_PARAMETER_PROBLEM);
    assert_int_equal(walk.code, 0);
    assert_int_equal(walk.pointer, 48);

    /* A payload length of 0, a hop-by-hop header (Pad1s) and an atomic
     * fragment: Linux refuses the fragment header, 4/0 pointing at it
     * (measured: difftest --seed 101 --ipv6, case 15542, pointer 48). */
    len = load6("requests", "ipv6-fragment-atomic", packet);
    memmove(packet + 48, packet + 40, len - 40);
    memset(packet + 40, 0, 8);
    packet[40] = packet[6];         /* the hop-by-hop header names the fragment header */
    packet[6] = 0;
    write_be16(packet + 4, 0);
    assert_int_equal(ipv6_parse(packet, len + 8, &ip), IPV6_OK);
    assert_int_equal(ipv6_walk_headers(&ip, &walk), IPV6_WALK_PARAMETER_PROBLEM);
    assert_int_equal(walk.code, 0);
    assert_int_equal(walk.pointer, 48);

    /* A real fragment stops the walk: offset 0 with M set, then offset
     * 1232 (154 units) without, identification 0xdeadbeef. */
    len = load6("requests", "ipv6-fragment-atomic", packet);
    packet[43] = 1;
    assert_int_equal(ipv6_parse(packet, len, &ip), IPV6_OK);
    assert_int_equal(ipv6_walk_headers(&ip, &walk), IPV6_WALK_FRAGMENT);
    assert_int_equal(walk.offset, 40);
    assert_int_equal(walk.next_header_at, 6);
    assert_int_equal(walk.fragment.next_header, 58);
    assert_int_equal(walk.fragment.offset, 0);
    assert_true(walk.fragment.more_fragments);
    write_be16(packet + 42, 154 << 3);
    write_be32(packet + 44, 0xdeadbeef);
    assert_int_equal(ipv6_walk_headers(&ip, &walk), IPV6_WALK_FRAGMENT);
    assert_int_equal(walk.fragment.offset, 1232);
    assert_false(walk.fragment.more_fragments);
    assert_int_equal(walk.fragment.identification, 0xdeadbeef);
}

/* Every prefix of every request: the walk reads no byte past the payload
 * (AddressSanitizer watches the heap copy of exactly that length) and
 * never says "upper layer" past the end. */
static void every_cut_is_safe(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        size_t len = load6("requests", CASES[i].name, packet);
        for (size_t cut = 40; cut <= len; cut++) {
            uint8_t *exact = malloc(cut);
            assert_non_null(exact);
            memcpy(exact, packet, cut);
            write_be16(exact + 4, (uint16_t)(cut - 40));   /* a packet that ends there */
            struct ipv6_view ip;
            struct ipv6_walk walk;
            if (ipv6_parse(exact, cut, &ip) == IPV6_OK &&
                ipv6_walk_headers(&ip, &walk) == IPV6_WALK_UPPER)
                assert_true(walk.offset <= cut);
            free(exact);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_ping_request),
        cmocka_unit_test(traffic_class_and_flow_label),
        cmocka_unit_test(padding_is_not_payload),
        cmocka_unit_test(what_parse_refuses),
        cmocka_unit_test(addresses_print_as_rfc_5952_says),
        cmocka_unit_test(the_header_writer),
        cmocka_unit_test(every_case_as_the_kernel_did_it),
        cmocka_unit_test(every_fixture_has_a_row),
        cmocka_unit_test(what_the_walk_reports),
        cmocka_unit_test(every_cut_is_safe),
    };
    return cmocka_run_group_tests_name("common/ipv6.c", tests, NULL, NULL);
}
