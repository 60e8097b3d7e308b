/* ICMP parsing of real ping requests. */
#include "support.h"

#include "icmp.h"

static uint8_t packet[TEST_MAX_PACKET];

/* tshark -V on requests/default.pcap: Type 8 (Echo (ping) request), Code 0,
 * Checksum 0xf2e0, Identifier (BE) 3198, Sequence Number (BE) 1, 56 bytes
 * of data, the first 16 bytes ping's timestamp and then 10 11 12 ... 37. */
static void parses_a_real_echo_request(void **state)
{
    (void)state;
    struct icmp_view icmp;
    size_t len = load_fixture("requests/default.pcap", packet);

    assert_int_equal(icmp_parse(packet + 20, len - 20, &icmp), 0);
    assert_int_equal(icmp.type, ICMP_ECHO_REQUEST);
    assert_int_equal(icmp.code, 0);
    assert_int_equal(icmp.checksum, 0xf2e0);
    assert_int_equal(icmp.identifier, 3198);
    assert_int_equal(icmp.sequence, 1);
    assert_ptr_equal(icmp.data, packet + 28);
    assert_int_equal(icmp.data_len, 56);
    for (size_t i = 16; i < 56; i++)
        assert_int_equal(icmp.data[i], 0x10 + (i - 16));
}

static void header_only_has_no_data(void **state)
{
    (void)state;
    struct icmp_view icmp;
    size_t len = load_fixture("requests/s0.pcap", packet);

    assert_int_equal(len, 28);
    assert_int_equal(icmp_parse(packet + 20, 8, &icmp), 0);
    assert_int_equal(icmp.data_len, 0);
}

static void shorter_than_8_bytes_is_refused(void **state)
{
    (void)state;
    struct icmp_view icmp;
    load_fixture("requests/s0.pcap", packet);

    for (size_t len = 0; len < 8; len++) {
        uint8_t *copy = malloc(len ? len : 1);   /* exact size: ASan watches */
        memcpy(copy, packet + 20, len);
        assert_int_equal(icmp_parse(copy, len, &icmp), -1);
        free(copy);
    }
}

static void type_names(void **state)
{
    (void)state;
    assert_string_equal(icmp_type_name(0), "echo reply");
    assert_string_equal(icmp_type_name(3), "destination unreachable");
    assert_string_equal(icmp_type_name(8), "echo request");
    assert_string_equal(icmp_type_name(11), "time exceeded");
    assert_string_equal(icmp_type_name(200), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_a_real_echo_request),
        cmocka_unit_test(header_only_has_no_data),
        cmocka_unit_test(shorter_than_8_bytes_is_refused),
        cmocka_unit_test(type_names),
    };
    return cmocka_run_group_tests_name("icmp", tests, NULL, NULL);
}
