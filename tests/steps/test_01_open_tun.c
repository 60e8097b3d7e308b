/* Step 01 prints what it reads exactly as `hexdump -C` would. (That it
 * answers nothing, and its messages, are checked live: tests/e2e.) */
#include "support.h"

int step_main(int argc, char **argv);   /* the step's main(), renamed */
#define main step_main
#include "01-open-tun/main.c"
#undef main

#include "ping_cases.h"


static uint8_t packet_copy[TEST_MAX_PACKET];

/* What the step prints for `bytes`, as a string. */
static char *printed(const uint8_t *bytes, size_t len)
{
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);

    assert_non_null(out);
    print_packet(out, bytes, len);
    fclose(out);
    return text;
}

static void assert_dump_of(const uint8_t *bytes, size_t len)
{
    char *log = printed(bytes, len);
    char *dump = run_tool("hexdump -C", bytes, len);
    char *expected = NULL;

    assert_true(asprintf(&expected, "read %zu bytes\n%s", len, dump) > 0);
    assert_string_equal(log, expected);
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
        size_t len = load_fixture(name, packet_copy);
        assert_int_equal(len, PING_CASES[i].total_len);
        assert_dump_of(packet_copy, len);
    }
}

static void dumps_ipv6_and_garbage_too(void **state)
{
    (void)state;
    size_t len = load_fixture("requests/ipv6-router-solicitation.pcap", packet);
    const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x7f, 0x20, 0x41};

    assert_dump_of(packet_copy, len);
    assert_dump_of(garbage, sizeof garbage);
}

/* The buffer must hold the largest IPv4 packet, or read() truncates it. */
static void the_buffer_holds_the_largest_ipv4_packet(void **state)
{
    (void)state;
    assert_int_equal(sizeof packet, 65535);
}

static void an_empty_read_is_one_line(void **state)
{
    (void)state;
    char *log = printed(packet_copy, 0);

    assert_string_equal(log, "read 0 bytes\n");
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dumps_every_recorded_request),
        cmocka_unit_test(dumps_ipv6_and_garbage_too),
        cmocka_unit_test(an_empty_read_is_one_line),
        cmocka_unit_test(the_buffer_holds_the_largest_ipv4_packet),
    };
    return cmocka_run_group_tests_name("step 01-open-tun", tests, NULL, NULL);
}
