/* Step 04 sends the kernel's reply but for the ICMP checksum, still 0. */
#include "support.h"

int step_main(int argc, char **argv);   /* the step's main(), renamed */
#define main step_main
#include "04-echo-payload/main.c"
#undef main

#include "echo_cases.h"

static void expected_icmp(uint8_t *icmp, size_t len)
{
    (void)len;
    write_be16(icmp + 2, 0);                        /* no checksum yet */
}

/* RFC 792: the data of the request comes back as it was, whatever it is. */
static void data_comes_back_unchanged(void **state)
{
    (void)state;
    size_t reply_len, len = load_fixture("requests/pattern.pcap", packet);
    char *log = run_step(handle_packet, packet, len, reply, &reply_len);

    assert_reply_length(reply_len, len);
    memcpy(expected, reply, 28);
    memcpy(expected + 28, packet + 28, len - 28);
    assert_packet_equal(expected, reply, len);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ECHO_CASE_TESTS,
        cmocka_unit_test(data_comes_back_unchanged),
    };
    return cmocka_run_group_tests_name("step 04-echo-payload", tests, NULL, NULL);
}
