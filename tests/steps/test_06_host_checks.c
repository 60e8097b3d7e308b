/* Step 06: every rung of the validation ladder, an address of its own, the
 * counters; and the IP options it does not read yet. */
#include "support.h"

int step_main(int argc, char **argv);   /* the step's main(), renamed */
#define main step_main
#include "06-host-checks/main.c"
#undef main

#define STEP_NAME "06-host-checks"
#define STEP_READS_OPTIONS 0
#include "ladder_cases.h"

/* As step 05: the kernel's ICMP bytes, but 0xffff for an all-zero reply. */
static void expected_icmp(uint8_t *icmp, size_t len)
{
    kernel_bytes_with_rfc1071_zero(icmp, len);
}

/*
 * ping -R, ping -T tsonly, ping -T tsandaddr, ping -Q 0xb8 and the
 * hand-written option requests: step 06 skips every option, as step 05
 * does, and answers. Its reply is the kernel's without what step 06 does
 * not do yet: the kernel's options go (a 20-byte header, so IHL 5 and a
 * total length of 20 plus the ICMP message) and its TOS (the request's,
 * copied) becomes 0. The rest is what every step writes: our address
 * (192.0.2.2) to the peer's (192.0.2.1), identification 0 with Don't
 * Fragment, and the header checksum computed again. The ICMP message is
 * the kernel's, byte for byte: no option ever enters it.
 */
static void answers_requests_with_options_without_them(void **state)
{
    (void)state;
    static const char *const CASES[] = {
        "record-route", "timestamp", "timestamp-addresses", "tos", "router-alert",
        "ts-one-slot", "ts-overflow", "ts-overflow-14", "ts-prespecified", "ts-then-rr",
        "ts-unknown-flag",
    };
    const uint8_t ours[4] = {192, 0, 2, 2}, peer[4] = {192, 0, 2, 1};
    char name[64];

    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        size_t reply_len;
        snprintf(name, sizeof name, "requests/%s.pcap", CASES[i]);
        size_t len = load_fixture(name, packet);
        snprintf(name, sizeof name, "kernel-replies/%s.pcap", CASES[i]);
        size_t kernel_len = load_fixture(name, kernel);
        size_t kernel_header_len = (size_t)(kernel[0] & 0x0f) * 4;
        size_t icmp_len = kernel_len - kernel_header_len;
        assert_int_equal(kernel[kernel_header_len], ICMP_ECHO_REPLY);   /* Linux answered */

        memcpy(expected, kernel, 20);                   /* the kernel's fixed header */
        expected[0] = 0x45;                             /* without its options */
        expected[1] = 0;                                /* TOS 0 */
        write_be16(expected + 2, (uint16_t)(20 + icmp_len));
        write_be16(expected + 4, 0);
        write_be16(expected + 6, 0x4000);
        memcpy(expected + 12, ours, 4);
        memcpy(expected + 16, peer, 4);
        write_be16(expected + 10, 0);
        write_be16(expected + 10, inet_checksum(expected, 20));
        memcpy(expected + 20, kernel + kernel_header_len, icmp_len);
        expected_icmp(expected + 20, icmp_len);

        char *log = run_step(handle_packet, packet, len, reply, &reply_len);
        print_message("%s: %zu-byte request, %zu-byte reply\n", CASES[i], len, reply_len);
        assert_reply_length(reply_len, 20 + icmp_len);
        assert_packet_equal(expected, reply, reply_len);
        assert_true(strncmp(log, "echo request 192.0.2.1 -> 192.0.2.2 ", 36) == 0);
        free(log);
    }
}

/* Step 06 reads no options, so none is malformed and none is a source
 * route to it: a request carrying one gets the reply the same request gets
 * without it (answers_every_recorded_request checks that one against the
 * kernel). Step 07 refuses all three, as Linux does; docs/differences.md
 * lists what that costs step 06. */
static void options_are_no_rung_of_its_ladder(void **state)
{
    (void)state;
    void (*const with_option[])(uint8_t *p, size_t *len) = {
        bad_option, source_routed, malformed_source_route,
    };
    size_t plain_len, reply_len, len = load_fixture("requests/default.pcap", packet);

    free(run_step(handle_packet, packet, len, expected, &plain_len));
    assert_int_equal(plain_len, 84);
    for (size_t i = 0; i < sizeof with_option / sizeof with_option[0]; i++) {
        size_t option_len = load_fixture("requests/default.pcap", packet);
        with_option[i](packet, &option_len);
        unsigned long answered = counters[ANSWERED];
        char *log = run_step(handle_packet, packet, option_len, reply, &reply_len);
        assert_reply_length(reply_len, plain_len);
        assert_packet_equal(expected, reply, plain_len);
        assert_int_equal(counters[ANSWERED], answered + 1);
        free(log);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ECHO_REPLY_TESTS,
        LADDER_TESTS,
        cmocka_unit_test(answers_requests_with_options_without_them),
        cmocka_unit_test(options_are_no_rung_of_its_ladder),
    };
    return cmocka_run_group_tests_name("step " STEP_NAME, tests, lab_address, NULL);
}
