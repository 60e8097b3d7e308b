/* The Internet checksum against RFC 1071, RFC 1624 and real packets. */
#include "support.h"

#include "bytes.h"
#include "checksum.h"

/* RFC 1071 section 3, "Numerical Example": the bytes 00 01 f2 03 f4 f5 f6 f7
 * sum to 0xddf2 once the carries are folded in, so the checksum (the one's
 * complement of the sum) is 0x220d. */
static void rfc1071_worked_example(void **state)
{
    (void)state;
    const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

    assert_int_equal(inet_checksum(bytes, sizeof bytes), 0x220d);
}

/* RFC 1071 section 2(B): the sum does not depend on byte order. Swapping the
 * two bytes of every word swaps the two bytes of the checksum. */
static void byte_order_independence(void **state)
{
    (void)state;
    const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    const uint8_t swapped[] = {0x01, 0x00, 0x03, 0xf2, 0xf5, 0xf4, 0xf7, 0xf6};

    assert_int_equal(inet_checksum(bytes, sizeof bytes), 0x220d);
    assert_int_equal(inet_checksum(swapped, sizeof swapped), 0x0d22);
}

/* An odd byte is the high half of a zero-padded word (RFC 1071 section 4.1:
 * "Add left-over byte, if any"): 0xab counts as 0xab00. */
static void odd_length_pads_low_byte(void **state)
{
    (void)state;
    const uint8_t one[] = {0xab};
    const uint8_t three[] = {0x00, 0x01, 0xf2};

    assert_int_equal(inet_checksum(one, 1), (uint16_t)~0xab00);
    assert_int_equal(inet_checksum(three, 3), (uint16_t)~(0x0001 + 0xf200));
}

/* The sum of nothing, or of zeros, is 0, and its complement is 0xffff. RFC
 * 1624 section 3 is why that matters: a receiver must see 0xffff, -0, and a
 * sender never writes +0 for a message that sums to zero. */
static void all_zero_message(void **state)
{
    (void)state;
    const uint8_t zeros[8] = {0};

    assert_int_equal(inet_checksum(zeros, sizeof zeros), 0xffff);
    assert_int_equal(inet_checksum(zeros, 0), 0xffff);
}

/* Carries out of bit 15 come back in at bit 0 (the end-around carry):
 * 0xffff + 0x0002 = 0x10001, folded 0x0002, complemented 0xfffd. */
static void end_around_carry(void **state)
{
    (void)state;
    const uint8_t bytes[] = {0xff, 0xff, 0x00, 0x02};

    assert_int_equal(inet_checksum(bytes, sizeof bytes), 0xfffd);
}

/* The receiver's check: a message with its checksum in place sums to 0xffff,
 * and any single flipped bit breaks that. */
static void verify_includes_checksum(void **state)
{
    (void)state;
    uint8_t bytes[] = {0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x00, 0x01, 0xab};

    write_be16(bytes + 2, inet_checksum(bytes, sizeof bytes));
    assert_true(inet_checksum_ok(bytes, sizeof bytes));
    for (size_t bit = 0; bit < 8 * sizeof bytes; bit++) {
        bytes[bit / 8] ^= (uint8_t)(1u << bit % 8);
        assert_false(inet_checksum_ok(bytes, sizeof bytes));
        bytes[bit / 8] ^= (uint8_t)(1u << bit % 8);
    }
}

/* Real packets: every ICMP checksum that ping and the kernel wrote, and
 * every IPv4 header checksum, is what we compute for the same bytes. The
 * names cover odd ICMP lengths (s1: 9 bytes, s57: 65 bytes). */
static void real_packets_from_ping_and_kernel(void **state)
{
    (void)state;
    static const char *names[] = {
        "requests/default.pcap", "requests/s0.pcap", "requests/s1.pcap",
        "requests/s57.pcap", "requests/s1472.pcap", "requests/pattern.pcap",
        "kernel-replies/default.pcap", "kernel-replies/s0.pcap", "kernel-replies/s1.pcap",
        "kernel-replies/s57.pcap", "kernel-replies/s1472.pcap", "kernel-replies/pattern.pcap",
    };
    static uint8_t packet[TEST_MAX_PACKET];

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t len = load_fixture(names[i], packet);
        size_t header_len = (size_t)(packet[0] & 0x0f) * 4;
        uint8_t *icmp = packet + header_len;
        size_t icmp_len = len - header_len;

        assert_true(inet_checksum_ok(packet, header_len));
        assert_true(inet_checksum_ok(icmp, icmp_len));

        uint16_t written = read_be16(icmp + 2);
        write_be16(icmp + 2, 0);
        assert_int_equal(inet_checksum(icmp, icmp_len), written);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc1071_worked_example),
        cmocka_unit_test(byte_order_independence),
        cmocka_unit_test(odd_length_pads_low_byte),
        cmocka_unit_test(all_zero_message),
        cmocka_unit_test(end_around_carry),
        cmocka_unit_test(verify_includes_checksum),
        cmocka_unit_test(real_packets_from_ping_and_kernel),
    };
    return cmocka_run_group_tests_name("checksum", tests, NULL, NULL);
}
