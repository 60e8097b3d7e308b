/* IPv4 parsing of real packets and of every malformed shape. */
#include "support.h"

#include "bytes.h"
#include "checksum.h"
#include "ipv4.h"

static uint8_t packet[TEST_MAX_PACKET];

/* A copy of a real ping request (default size, 84 bytes) to break. */
static size_t load_default_request(void)
{
    return load_fixture("requests/default.pcap", packet);
}

static char *explain(enum ipv4_status status, const uint8_t *bytes, size_t len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    ipv4_explain(out, status, bytes, len);
    fclose(out);
    return text;
}

/* A status by its name, for failures a learner can read (step 02's
 * exercise writes these checks). */
static const char *status_name(int status)
{
    static const char *names[] = {
        [IPV4_OK] = "IPV4_OK (accepted)",
        [IPV4_TOO_SHORT] = "IPV4_TOO_SHORT",
        [IPV4_NOT_VERSION_4] = "IPV4_NOT_VERSION_4",
        [IPV4_IHL_TOO_SMALL] = "IPV4_IHL_TOO_SMALL",
        [IPV4_HEADER_PAST_END] = "IPV4_HEADER_PAST_END",
        [IPV4_TOTAL_LEN_PAST_END] = "IPV4_TOTAL_LEN_PAST_END",
        [IPV4_TOTAL_LEN_BELOW_HEADER] = "IPV4_TOTAL_LEN_BELOW_HEADER",
    };
    if (status < 0 || (size_t)status >= sizeof names / sizeof names[0] || !names[status])
        return "a status that is not in enum ipv4_status";
    return names[status];
}

/* ipv4_parse's verdict on the case `what`, by name: "a 19-byte packet:
 * ipv4_parse returned IPV4_OK (accepted), expected IPV4_TOO_SHORT". */
#define assert_status(got, expected, ...)                                          \
    do {                                                                           \
        int got_ = (got), expected_ = (expected);                                  \
        if (got_ != expected_) {                                                   \
            char what_[256];                                                       \
            snprintf(what_, sizeof what_, __VA_ARGS__);                            \
            fail_msg("%s: ipv4_parse returned %s, expected %s", what_,            \
                     status_name(got_), status_name(expected_));                   \
        }                                                                          \
    } while (0)

static void assert_refused(size_t len, enum ipv4_status expected, const char *line)
{
    struct ipv4_view view;
    char *text;

    assert_status(ipv4_parse(packet, len, &view), expected,
                  "a %zu-byte packet that should be refused (\"%s\")", len, line);
    text = explain(expected, packet, len);
    assert_string_equal(text, line);
    free(text);
}

/* The fields of the default ping request, as `tshark -V` reads them:
 * Total Length 84, Identification 0xc697, Flags 0x2 (Don't fragment),
 * TTL 64, Protocol ICMP (1), Header Checksum 0xf00d, 192.0.2.1 -> 192.0.2.2. */
static void parses_a_real_request(void **state)
{
    (void)state;
    struct ipv4_view ip;
    size_t len = load_default_request();
    const uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {192, 0, 2, 2};

    assert_int_equal(len, 84);
    assert_status(ipv4_parse(packet, len, &ip), IPV4_OK, "a well-formed %zu-byte packet", len);
    assert_int_equal(ip.version, 4);
    assert_int_equal(ip.header_len, 20);
    assert_int_equal(ip.tos, 0);
    assert_int_equal(ip.total_len, 84);
    assert_int_equal(ip.identification, 0xc697);
    assert_true(ip.dont_fragment);
    assert_false(ip.more_fragments);
    assert_int_equal(ip.fragment_offset, 0);
    assert_int_equal(ip.ttl, 64);
    assert_int_equal(ip.protocol, IPV4_PROTOCOL_ICMP);
    assert_int_equal(ip.header_checksum, 0xf00d);
    assert_memory_equal(ip.src, src, 4);
    assert_memory_equal(ip.dst, dst, 4);
    assert_ptr_equal(ip.payload, packet + 20);
    assert_int_equal(ip.payload_len, 64);
    assert_int_equal(ip.padding_len, 0);
}

static void too_short(void **state)
{
    (void)state;
    load_default_request();
    assert_refused(0, IPV4_TOO_SHORT, "ignored: an empty packet");
    assert_refused(1, IPV4_TOO_SHORT,
                   "ignored: 1 bytes is too short for an IPv4 header (20 at least)");
    assert_refused(19, IPV4_TOO_SHORT,
                   "ignored: 19 bytes is too short for an IPv4 header (20 at least)");
}

/* The kernel's IPv6 router solicitation, as captured on a fresh tun. */
static void ipv6_is_not_version_4(void **state)
{
    (void)state;
    size_t len = load_fixture("requests/ipv6-router-solicitation.pcap", packet);

    assert_refused(len, IPV4_NOT_VERSION_4,
                   "ignored: IPv6 packet (48 bytes), this step speaks IPv4 only");
    load_default_request();
    packet[0] = 0x55;
    assert_refused(84, IPV4_NOT_VERSION_4, "ignored: IP version 5 is not 4 (84 bytes)");
}

static void header_length_below_20(void **state)
{
    (void)state;
    load_default_request();
    packet[0] = 0x44;               /* IHL 4: 16 bytes */
    assert_refused(84, IPV4_IHL_TOO_SMALL,
                   "ignored: IPv4 header length 16 bytes is below the minimum of 20");
    packet[0] = 0x40;
    assert_refused(84, IPV4_IHL_TOO_SMALL,
                   "ignored: IPv4 header length 0 bytes is below the minimum of 20");
}

static void header_longer_than_packet(void **state)
{
    (void)state;
    load_default_request();
    packet[0] = 0x4f;               /* IHL 15: 60 bytes */
    assert_refused(40, IPV4_HEADER_PAST_END,
                   "ignored: IPv4 header of 60 bytes is longer than the 40 bytes read");
}

static void total_length_past_end(void **state)
{
    (void)state;
    load_default_request();
    assert_refused(83, IPV4_TOTAL_LEN_PAST_END,
                   "ignored: IPv4 total length 84 is more than the 83 bytes read");
}

static void total_length_below_header(void **state)
{
    (void)state;
    load_default_request();
    write_be16(packet + 2, 19);
    assert_refused(84, IPV4_TOTAL_LEN_BELOW_HEADER,
                   "ignored: IPv4 total length 19 is shorter than its 20-byte header");
}

/* Bytes after the total length (an Ethernet link pads short frames, for
 * one) are not part of the packet: the payload ends at the total length. */
static void padding_is_not_payload(void **state)
{
    (void)state;
    struct ipv4_view ip;
    load_default_request();

    memset(packet + 84, 0xee, 6);
    assert_status(ipv4_parse(packet, 90, &ip), IPV4_OK, "a well-formed 90-byte packet");
    assert_int_equal(ip.payload_len, 64);
    assert_int_equal(ip.padding_len, 6);
}

/* Options lengthen the header; the payload starts after them. */
static void options_move_the_payload(void **state)
{
    (void)state;
    struct ipv4_view ip;
    load_default_request();

    memmove(packet + 24, packet + 20, 64);
    memset(packet + 20, 0x01, 4);   /* four No-Operation options */
    packet[0] = 0x46;
    write_be16(packet + 2, 88);
    assert_status(ipv4_parse(packet, 88, &ip), IPV4_OK, "a well-formed 88-byte packet");
    assert_int_equal(ip.header_len, 24);
    assert_ptr_equal(ip.payload, packet + 24);
    assert_int_equal(ip.payload_len, 64);
}

static void fragment_fields(void **state)
{
    (void)state;
    struct ipv4_view ip;
    load_default_request();

    write_be16(packet + 6, 0x2000 | 185);   /* more fragments, offset 185*8 */
    assert_status(ipv4_parse(packet, 84, &ip), IPV4_OK, "a well-formed 84-byte packet");
    assert_false(ip.dont_fragment);
    assert_true(ip.more_fragments);
    assert_int_equal(ip.fragment_offset, 1480);
}

/* No length from 0 to 84 makes the parser read past what it was given:
 * under AddressSanitizer, a copy of exactly `len` bytes proves it. */
static void never_reads_past_the_end(void **state)
{
    (void)state;
    struct ipv4_view ip;
    load_default_request();

    for (size_t len = 0; len <= 84; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, packet, len);
        (void)ipv4_parse(copy, len, &ip);
        free(copy);
    }
}

/* The header of the hand-made all-zero request (tests/fixtures/requests/
 * all-zero.txt), which tshark reads as valid with checksum 0xb6dd. */
static void writes_a_header_with_its_checksum(void **state)
{
    (void)state;
    const uint8_t expected[20] = {
        0x45, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x01,
        0xb6, 0xdd, 0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02,
    };
    struct ipv4_header_fields fields = {
        .src = {192, 0, 2, 1}, .dst = {192, 0, 2, 2},
        .ttl = 64, .protocol = IPV4_PROTOCOL_ICMP, .payload_len = 8,
    };
    uint8_t header[20];

    ipv4_write_header(header, &fields);
    assert_memory_equal(header, expected, 20);
}

static void protocol_names(void **state)
{
    (void)state;
    assert_string_equal(ipv4_protocol_name(1), "ICMP");
    assert_string_equal(ipv4_protocol_name(6), "TCP");
    assert_string_equal(ipv4_protocol_name(17), "UDP");
    assert_string_equal(ipv4_protocol_name(253), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_a_real_request),
        cmocka_unit_test(too_short),
        cmocka_unit_test(ipv6_is_not_version_4),
        cmocka_unit_test(header_length_below_20),
        cmocka_unit_test(header_longer_than_packet),
        cmocka_unit_test(total_length_past_end),
        cmocka_unit_test(total_length_below_header),
        cmocka_unit_test(padding_is_not_payload),
        cmocka_unit_test(options_move_the_payload),
        cmocka_unit_test(fragment_fields),
        cmocka_unit_test(never_reads_past_the_end),
        cmocka_unit_test(writes_a_header_with_its_checksum),
        cmocka_unit_test(protocol_names),
    };
    return cmocka_run_group_tests_name("ipv4", tests, NULL, NULL);
}
