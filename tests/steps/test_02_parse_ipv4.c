/* Step 02 prints one line per packet and answers nothing. */
#include "support.h"

int step_main(int argc, char **argv);   /* the step's main(), renamed */
#define main step_main
#include "02-parse-ipv4/main.c"
#undef main

#include "bytes.h"
#include "ping_cases.h"

static uint8_t packet[TEST_MAX_PACKET], reply[TEST_MAX_PACKET];

/* The line step 02 prints for `bytes`; a failure names the case's own
 * line in this file, not this helper's. */
static void assert_line_at(const uint8_t *bytes, size_t len, const char *expected,
                           const char *file, int line)
{
    size_t reply_len;
    char *log = run_step(handle_packet, bytes, len, reply, &reply_len);

    _assert_string_equal(log, expected, file, line);
    _assert_int_equal(reply_len, 0, file, line);
    free(log);
}
#define assert_line(bytes, len, expected) assert_line_at(bytes, len, expected, __FILE__, __LINE__)

static void one_line_per_recorded_request(void **state)
{
    (void)state;
    char name[64], expected[256];

    for (size_t i = 0; i < PING_CASE_COUNT; i++) {
        snprintf(name, sizeof name, "requests/%s.pcap", PING_CASES[i].name);
        size_t len = load_fixture(name, packet);
        snprintf(expected, sizeof expected,
                 "192.0.2.1 -> 192.0.2.2 ICMP (1), total length %zu, TTL 64, header 20 bytes\n",
                 PING_CASES[i].total_len);
        assert_line(packet, len, expected);
    }
}

/* The kernel's reply, seen from the other side: the addresses are those of
 * the oracle's tun (198.51.100.1 answering 198.51.100.2). */
static void a_reply_is_parsed_as_well(void **state)
{
    (void)state;
    size_t len = load_fixture("kernel-replies/default.pcap", packet);

    assert_line(packet, len,
                "198.51.100.1 -> 198.51.100.2 ICMP (1), total length 84, TTL 64, "
                "header 20 bytes\n");
}

static void says_what_it_ignores(void **state)
{
    (void)state;
    size_t len = load_fixture("requests/ipv6-router-solicitation.pcap", packet);
    assert_line(packet, len, "ignored: IPv6 packet (48 bytes), this step speaks IPv4 only\n");

    len = load_fixture("requests/default.pcap", packet);
    assert_line(packet, 12, "ignored: 12 bytes is too short for an IPv4 header (20 at least)\n");
    assert_line(packet, 60, "ignored: IPv4 total length 84 is more than the 60 bytes read\n");

    packet[9] = 17;                 /* UDP */
    assert_line(packet, len, "192.0.2.1 -> 192.0.2.2 UDP (17), total length 84, TTL 64, "
                             "header 20 bytes: ignored, not ICMP\n");
    packet[0] = 0x43;
    assert_line(packet, len, "ignored: IPv4 header length 12 bytes is below the minimum of 20\n");

    const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0,
                               0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_line(garbage, sizeof garbage, "ignored: IP version 13 is not 4 (24 bytes)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_line_per_recorded_request),
        cmocka_unit_test(a_reply_is_parsed_as_well),
        cmocka_unit_test(says_what_it_ignores),
    };
    return cmocka_run_group_tests_name("step 02-parse-ipv4", tests, NULL, NULL);
}
