/* The field tables behind the annotated view and the diagrams must say what
 * the parsers read. */
#include "support.h"

#include "fields.h"
#include "icmp.h"
#include "ipv4.h"

static uint8_t packet[TEST_MAX_PACKET];

static uint32_t value_of(const struct header_field *fields, size_t count, const char *name,
                         const uint8_t *header)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(fields[i].name, name) == 0)
            return field_value(&fields[i], header);
    fail_msg("no field called %s", name);
    return 0;
}

/* Fields follow each other bit after bit, with no gap and no overlap. */
static void assert_tiles(const struct header_field *fields, size_t count, unsigned bits)
{
    unsigned next = 0;

    for (size_t i = 0; i < count; i++) {
        assert_int_equal(fields[i].bit_offset, next);
        assert_true(fields[i].bit_len >= 1 && fields[i].bit_len <= 32);
        next += fields[i].bit_len;
    }
    assert_int_equal(next, bits);
}

static void ipv4_fields_cover_20_bytes(void **state)
{
    (void)state;
    assert_tiles(IPV4_FIELDS, IPV4_FIELD_COUNT, 160);
}

static void icmp_fields_cover_8_bytes(void **state)
{
    (void)state;
    assert_tiles(ICMP_ECHO_FIELDS, ICMP_ECHO_FIELD_COUNT, 64);
}

/* Every field, read through the table, equals what ipv4_parse() read. A
 * fragment with options makes the flags and offset non-trivial. */
static void ipv4_table_agrees_with_the_parser(void **state)
{
    (void)state;
    struct ipv4_view ip;
    const struct header_field *f = IPV4_FIELDS;
    size_t n = IPV4_FIELD_COUNT;
    size_t len = load_fixture("requests/default.pcap", packet);

    packet[1] = 0xb8;                       /* TOS: DSCP EF */
    packet[6] = 0x20 | 0x05;                /* MF, offset high bits */
    packet[7] = 0x39;
    assert_int_equal(ipv4_parse(packet, len, &ip), IPV4_OK);
    assert_int_equal(value_of(f, n, "Version", packet), ip.version);
    assert_int_equal(value_of(f, n, "IHL", packet) * 4, ip.header_len);
    assert_int_equal(value_of(f, n, "TOS", packet), ip.tos);
    assert_int_equal(value_of(f, n, "Total Length", packet), ip.total_len);
    assert_int_equal(value_of(f, n, "Identification", packet), ip.identification);
    assert_int_equal(value_of(f, n, "Flags", packet),
                     (uint32_t)(ip.dont_fragment << 1 | ip.more_fragments));
    assert_int_equal(value_of(f, n, "Fragment Offset", packet) * 8, ip.fragment_offset);
    assert_int_equal(ip.fragment_offset, 0x539 * 8);
    assert_int_equal(value_of(f, n, "TTL", packet), ip.ttl);
    assert_int_equal(value_of(f, n, "Protocol", packet), ip.protocol);
    assert_int_equal(value_of(f, n, "Header Checksum", packet), ip.header_checksum);
    assert_int_equal(value_of(f, n, "Source", packet),
                     (uint32_t)ip.src[0] << 24 | ip.src[1] << 16 | ip.src[2] << 8 | ip.src[3]);
    assert_int_equal(value_of(f, n, "Destination", packet),
                     (uint32_t)ip.dst[0] << 24 | ip.dst[1] << 16 | ip.dst[2] << 8 | ip.dst[3]);
}

static void icmp_table_agrees_with_the_parser(void **state)
{
    (void)state;
    struct icmp_view icmp;
    const struct header_field *f = ICMP_ECHO_FIELDS;
    size_t n = ICMP_ECHO_FIELD_COUNT;
    size_t len = load_fixture("requests/s57.pcap", packet);
    const uint8_t *message = packet + 20;

    assert_int_equal(icmp_parse(message, len - 20, &icmp), 0);
    assert_int_equal(value_of(f, n, "Type", message), icmp.type);
    assert_int_equal(value_of(f, n, "Code", message), icmp.code);
    assert_int_equal(value_of(f, n, "Checksum", message), icmp.checksum);
    assert_int_equal(value_of(f, n, "Identifier", message), icmp.identifier);
    assert_int_equal(value_of(f, n, "Sequence Number", message), icmp.sequence);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4_fields_cover_20_bytes),
        cmocka_unit_test(icmp_fields_cover_8_bytes),
        cmocka_unit_test(ipv4_table_agrees_with_the_parser),
        cmocka_unit_test(icmp_table_agrees_with_the_parser),
    };
    return cmocka_run_group_tests_name("fields", tests, NULL, NULL);
}
