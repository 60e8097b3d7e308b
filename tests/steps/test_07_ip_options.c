/* Step 07: the kernel's replies, options and TOS included; every rung of
 * the validation ladder, bad-options and source-routed among them; an
 * address of its own; the counters. */
#include "support.h"

int step_main(int argc, char **argv);   /* the step's main(), renamed */
#define main step_main
#include "07-ip-options/main.c"
#undef main

#define STEP_NAME "07-ip-options"
#define STEP_READS_OPTIONS 1
#include "ladder_cases.h"

/* The clock the Timestamp option reads, stopped for the tests. */
static uint32_t stopped_clock_value;
static uint32_t stopped_clock(void)
{
    return stopped_clock_value;
}

/* As step 05: the kernel's ICMP bytes, but 0xffff for an all-zero reply. */
static void expected_icmp(uint8_t *icmp, size_t len)
{
    kernel_bytes_with_rfc1071_zero(icmp, len);
}

/*
 * ping -R, -T tsonly, -T tsandaddr and -Q: the kernel's whole reply header,
 * but for what makes it the kernel's and not ours. Its address
 * (198.51.100.1, in the addresses and in the options it stamped) becomes
 * ours (192.0.2.2); its identification and flags become ours (0, DF); then
 * the header checksum is computed again.
 */
static void answers_options_and_tos_like_linux(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint32_t kernel_time;       /* what tshark reads in the kernel's stamps */
    } cases[] = {
        {"record-route", 0}, {"timestamp", 0x012213aa},
        {"timestamp-addresses", 0x012213b0}, {"tos", 0},
    };
    const uint8_t kernel_address[4] = {198, 51, 100, 1}, ours[4] = {192, 0, 2, 2};
    const uint8_t peer[4] = {192, 0, 2, 1};
    char name[64];

    clock_ms = stopped_clock;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t reply_len;
        snprintf(name, sizeof name, "requests/%s.pcap", cases[i].name);
        size_t len = load_fixture(name, packet);
        snprintf(name, sizeof name, "kernel-replies/%s.pcap", cases[i].name);
        size_t kernel_len = load_fixture(name, kernel);
        size_t header_len = (size_t)(kernel[0] & 0x0f) * 4;

        memcpy(expected, kernel, kernel_len);
        memcpy(expected + 12, ours, 4);
        memcpy(expected + 16, peer, 4);
        for (size_t at = 20; at + 4 <= header_len; at++)    /* options are not aligned */
            if (memcmp(expected + at, kernel_address, 4) == 0)
                memcpy(expected + at, ours, 4);
        write_be16(expected + 4, 0);
        write_be16(expected + 6, 0x4000);
        write_be16(expected + 10, 0);
        write_be16(expected + 10, inet_checksum(expected, header_len));

        stopped_clock_value = cases[i].kernel_time;
        char *log = run_step(handle_packet, packet, len, reply, &reply_len);
        print_message("%s: %zu-byte reply, %zu-byte header\n", cases[i].name, reply_len, header_len);
        assert_reply_length(reply_len, kernel_len);
        assert_memory_equal(reply, expected, kernel_len);
        free(log);
    }
    clock_ms = ms_since_midnight_ut;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ECHO_REPLY_TESTS,
        LADDER_TESTS,
        cmocka_unit_test(answers_options_and_tos_like_linux),
    };
    return cmocka_run_group_tests_name("step " STEP_NAME, tests, lab_address, NULL);
}
