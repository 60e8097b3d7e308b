/* Step 05 sends the kernel's own ICMP bytes, and is right where the kernel
 * is not. */
#include "support.h"

int step_main(int argc, char **argv);   /* the step's main(), renamed */
#define main step_main
#include "05-checksum/main.c"
#undef main

#include "echo_cases.h"

static void expected_icmp(uint8_t *icmp, size_t len)
{
    kernel_bytes_with_rfc1071_zero(icmp, len);
}

static void all_zero_reply_gets_0xffff_unlike_linux(void **state)
{
    (void)state;
    size_t reply_len, len = load_fixture("requests/all-zero.pcap", packet);
    size_t kernel_len = load_fixture("kernel-replies/all-zero.pcap", kernel);
    char *log = run_step(handle_packet, packet, len, reply, &reply_len);

    assert_int_equal(read_be16(kernel + 22), 0x0000);         /* what Linux sent */
    assert_false(inet_checksum_ok(kernel + 20, kernel_len - 20));
    assert_int_equal(read_be16(reply + 22), 0xffff);          /* what RFC 1071 gives */
    assert_true(inet_checksum_ok(reply + 20, reply_len - 20));
    free(log);
}

/* Every reply verifies: its ICMP bytes, checksum included, sum to 0xffff. */
static void every_reply_verifies(void **state)
{
    (void)state;
    char name[64];

    for (size_t i = 0; i < PING_CASE_COUNT; i++) {
        size_t reply_len;
        snprintf(name, sizeof name, "requests/%s.pcap", PING_CASES[i].name);
        size_t len = load_fixture(name, packet);
        char *log = run_step(handle_packet, packet, len, reply, &reply_len);
        assert_true(inet_checksum_ok(reply + 20, reply_len - 20));
        free(log);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ECHO_CASE_TESTS,
        cmocka_unit_test(all_zero_reply_gets_0xffff_unlike_linux),
        cmocka_unit_test(every_reply_verifies),
    };
    return cmocka_run_group_tests_name("step 05-checksum", tests, NULL, NULL);
}
