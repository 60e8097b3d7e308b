/* Step 03 answers like the post's first version: the kernel's reply, but
 * with zeros for data and 0 for the ICMP checksum. */
#include "support.h"

int step_main(int argc, char **argv);   /* the step's main(), renamed */
#define main step_main
#include "03-naive-reply/main.c"
#undef main

#include "echo_cases.h"

static void expected_icmp(uint8_t *icmp, size_t len)
{
    write_be16(icmp + 2, 0);                        /* no checksum */
    memset(icmp + 8, 0, len - 8);                   /* zeros for data */
}

/* The post's symptom, in bytes: ping checks data byte #16 (the first after
 * its 16-byte timestamp) for 0x10 and finds 0x00. */
static void data_byte_16_is_zero_not_0x10(void **state)
{
    (void)state;
    size_t reply_len, len = load_fixture("requests/default.pcap", packet);
    char *log = run_step(handle_packet, packet, len, reply, &reply_len);

    assert_int_equal(packet[28 + 16], 0x10);
    assert_int_equal(reply[28 + 16], 0x00);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ECHO_CASE_TESTS,
        cmocka_unit_test(data_byte_16_is_zero_not_0x10),
    };
    return cmocka_run_group_tests_name("step 03-naive-reply", tests, NULL, NULL);
}
