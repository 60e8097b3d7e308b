/* Step 01 prints what it reads exactly as `hexdump -C` would, and answers
 * nothing. */
#include "support.h"

int step_main(int argc, char **argv);   /* the step's main(), renamed */
#define main step_main
#include "01-open-tun/main.c"
#undef main

#include "ping_cases.h"

static uint8_t packet[TEST_MAX_PACKET], reply[TEST_MAX_PACKET];

static void assert_dump_of(const uint8_t *bytes, size_t len)
{
    size_t reply_len;
    char *log = run_step(handle_packet, bytes, len, reply, &reply_len);
    char *dump = run_tool("hexdump -C", bytes, len);
    char *expected = NULL;

    assert_true(asprintf(&expected, "read %zu bytes\n%s", len, dump) > 0);
    assert_string_equal(log, expected);
    assert_int_equal(reply_len, 0);
    free(log);
    free(dump);
    free(expected);
}

static void dumps_every_recorded_request(void **state)
{
    (void)state;
    char name[64];

    for (size_t i = 0; i < PING_CASE_COUNT; i++) {
        snprintf(name, sizeof name, "requests/%s.pcap", PING_CASES[i].name);
        size_t len = load_fixture(name, packet);
        assert_int_equal(len, PING_CASES[i].total_len);
        assert_dump_of(packet, len);
    }
}

static void dumps_ipv6_and_garbage_too(void **state)
{
    (void)state;
    size_t len = load_fixture("requests/ipv6-router-solicitation.pcap", packet);
    const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x7f, 0x20, 0x41};

    assert_dump_of(packet, len);
    assert_dump_of(garbage, sizeof garbage);
}

static void an_empty_read_is_one_line(void **state)
{
    (void)state;
    size_t reply_len;
    char *log = run_step(handle_packet, packet, 0, reply, &reply_len);

    assert_string_equal(log, "read 0 bytes\n");
    assert_int_equal(reply_len, 0);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dumps_every_recorded_request),
        cmocka_unit_test(dumps_ipv6_and_garbage_too),
        cmocka_unit_test(an_empty_read_is_one_line),
    };
    return cmocka_run_group_tests_name("step 01-open-tun", tests, NULL, NULL);
}
