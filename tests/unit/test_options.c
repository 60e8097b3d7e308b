/* The options of an echo reply, against the Linux kernel's own replies to
 * ping -R, ping -T tsonly and ping -T tsandaddr (tests/fixtures). Given the
 * kernel's address (198.51.100.1) and the time it stamped, our options must
 * be the kernel's, byte for byte. */
#include "support.h"

#include "bytes.h"
#include "options.h"

static uint8_t request[TEST_MAX_PACKET], kernel[TEST_MAX_PACKET];
static const uint8_t KERNEL_ADDRESS[4] = {198, 51, 100, 1};

/* The clock the options read: stopped at the time the kernel stamped. */
static uint32_t stopped_at;
static uint32_t stopped_clock(void)
{
    return stopped_at;
}

static enum options_status echo(const uint8_t *options, size_t len, uint32_t now,
                                uint8_t *out, size_t *out_len, char *why)
{
    stopped_at = now;
    return ipv4_options_echo(options, len, KERNEL_ADDRESS, stopped_clock, out, out_len, why,
                             200);
}

static void assert_same_as_kernel(const char *name, uint32_t kernel_time)
{
    char path[128], why[200];
    uint8_t out[OPTIONS_MAX_LEN];
    size_t out_len;

    snprintf(path, sizeof path, "requests/%s.pcap", name);
    load_fixture(path, request);
    snprintf(path, sizeof path, "kernel-replies/%s.pcap", name);
    load_fixture(path, kernel);
    size_t options_len = (size_t)(request[0] & 0x0f) * 4 - 20;
    size_t kernel_options_len = (size_t)(kernel[0] & 0x0f) * 4 - 20;

    assert_int_equal(echo(request + 20, options_len, kernel_time, out, &out_len, why), OPTIONS_OK);
    assert_int_equal(out_len, kernel_options_len);
    assert_memory_equal(out, kernel + 20, out_len);
}

/* tshark: the request's Record Route holds 192.0.2.1 (pointer 8); the
 * kernel's reply adds 198.51.100.1 twice (pointer 16). */
static void record_route_as_linux(void **state)
{
    (void)state;
    assert_same_as_kernel("record-route", 0);
}

/* ping -T tsonly: the kernel stamped 0x012213aa twice (pointer 9 to 17). */
static void timestamps_as_linux(void **state)
{
    (void)state;
    assert_same_as_kernel("timestamp", 0x012213aa);
}

/* ping -T tsandaddr: address and time, twice (pointer 13 to 29). */
static void timestamps_with_addresses_as_linux(void **state)
{
    (void)state;
    assert_same_as_kernel("timestamp-addresses", 0x012213b0);
}

static void nothing_in_nothing_out(void **state)
{
    (void)state;
    uint8_t out[OPTIONS_MAX_LEN];
    size_t out_len = 99;
    char why[200];
    const uint8_t padding[4] = {OPTION_NOP, OPTION_NOP, OPTION_NOP, OPTION_END};
    const uint8_t router_alert[4] = {148, 4, 0, 0};

    assert_int_equal(echo(padding, 0, 0, out, &out_len, why), OPTIONS_OK);
    assert_int_equal(out_len, 0);
    assert_int_equal(echo(padding, 4, 0, out, &out_len, why), OPTIONS_OK);
    assert_int_equal(out_len, 0);
    assert_int_equal(echo(router_alert, 4, 0, out, &out_len, why), OPTIONS_OK);
    assert_int_equal(out_len, 0);           /* not returned (RFC 1122 3.2.2.6) */
}

/* A full Record Route comes back as it came. */
static void full_record_route_is_returned_unchanged(void **state)
{
    (void)state;
    uint8_t option[8] = {OPTION_RECORD_ROUTE, 7, 8, 192, 0, 2, 1, OPTION_END};
    uint8_t out[OPTIONS_MAX_LEN];
    size_t out_len;
    char why[200];

    assert_int_equal(echo(option, 8, 0, out, &out_len, why), OPTIONS_OK);
    assert_int_equal(out_len, 8);
    assert_memory_equal(out, option, 8);
}

/*
 * Options ping cannot send, written by hand (tests/fixtures/requests/NAME.txt,
 * where each says what it holds) and answered by the kernel. The times are
 * what the kernel stamped, read with tshark; where it stamped twice, both
 * stamps fell in the same millisecond.
 */
static void options_as_linux_answers_them(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint32_t kernel_time;
    } cases[] = {
        {"ts-overflow", 0},             /* full: overflow 3 becomes 4, not 5 */
        {"ts-overflow-14", 0},          /* full: 14 becomes 15, answered */
        {"ts-one-slot", 0x00e1f1fa},    /* one slot: stamped once, no overflow */
        {"ts-unknown-flag", 0},         /* flag 2: returned as it came */
        {"ts-then-rr", 0x00e1f22a},     /* the reply has Record Route first */
        {"ts-prespecified", 0x00e1f241},/* our two slots stamped, not the third */
        {"ts-prespecified-full", 0},    /* full, prespecified: no overflow counted */
        {"router-alert", 0},            /* Router Alert is not returned */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        print_message("%s\n", cases[i].name);
        assert_same_as_kernel(cases[i].name, cases[i].kernel_time);
    }
}

/* A full Timestamp whose overflow count is 15 cannot count us: Linux
 * answers with a parameter problem, we refuse it (no errors in step 06). */
static void timestamp_overflow_of_15_is_an_error(void **state)
{
    (void)state;
    uint8_t option[4] = {OPTION_TIMESTAMP, 4, 5, 0xf0};
    uint8_t out[OPTIONS_MAX_LEN];
    size_t out_len;
    char why[200];

    assert_int_equal(echo(option, 4, 1234, out, &out_len, why), OPTIONS_MALFORMED);
    assert_string_equal(why, "malformed Timestamp option (its overflow count overflows)");
}

/* Prespecified addresses (flag 3): only our own slot is stamped. */
static void timestamp_prespecified(void **state)
{
    (void)state;
    uint8_t option[20] = {OPTION_TIMESTAMP, 20, 5, 0x03,
                          198, 51, 100, 1, 0, 0, 0, 0,
                          192, 0, 2, 9, 0, 0, 0, 0};
    uint8_t out[OPTIONS_MAX_LEN];
    size_t out_len;
    char why[200];

    assert_int_equal(echo(option, 20, 0x01020304, out, &out_len, why), OPTIONS_OK);
    assert_int_equal(out[2], 13);                       /* one slot used */
    assert_memory_equal(out + 8, "\x01\x02\x03\x04", 4);
    assert_memory_equal(out + 16, "\0\0\0\0", 4);       /* not ours to stamp */
}

static void malformed_options(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[12];
        size_t len;
        const char *why;
    } cases[] = {
        {{OPTION_RECORD_ROUTE}, 1, "malformed IP option 7 (length 0, 1 bytes left)"},
        {{OPTION_RECORD_ROUTE, 1}, 4, "malformed IP option 7 (length 1, 4 bytes left)"},
        {{OPTION_RECORD_ROUTE, 12}, 8, "malformed IP option 7 (length 12, 8 bytes left)"},
        {{OPTION_RECORD_ROUTE, 7, 3}, 8, "malformed Record Route option (length 7, pointer 3)"},
        {{OPTION_RECORD_ROUTE, 6, 4}, 8, "malformed Record Route option (length 6, pointer 4)"},
        {{OPTION_TIMESTAMP, 8, 4, 0}, 8, "malformed Timestamp option (length 8, pointer 4)"},
        {{OPTION_TIMESTAMP, 8, 5, 1}, 8, "malformed Timestamp option (length 8, pointer 5)"},
        {{148, 2, 148, 2}, 4, "malformed Router Alert option (length 2, pointer 0)"},
        {{134, 6, 0, 0, 0, 1}, 8, "CIPSO security option: no domain of interpretation is "
                                  "configured, refused as Linux does"},
        {{OPTION_LOOSE_SOURCE_ROUTE, 7, 3}, 8, "malformed loose source route option (length 7, pointer 3)"},
        /* Linux stays silent on these two: room for a stamp on arrival,
         * then part of a slot for the reply (tests/e2e/test_differential.sh) */
        {{OPTION_RECORD_ROUTE, 9, 4}, 12, "Record Route leaves part of a slot for the reply "
                                          "(length 9, pointer 8): no reply, as Linux"},
        {{OPTION_TIMESTAMP, 10, 5, 0}, 12, "Timestamp leaves part of a slot for the reply "
                                           "(length 10, pointer 9): no reply, as Linux"},
        {{OPTION_RECORD_ROUTE, 3, 4, OPTION_RECORD_ROUTE, 3, 4}, 8,
         "malformed IP options (option 7 twice)"},
    };
    uint8_t out[OPTIONS_MAX_LEN];
    size_t out_len;
    char why[200];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *exact = malloc(cases[i].len);   /* ASan watches every read */
        memcpy(exact, cases[i].bytes, cases[i].len);
        assert_int_equal(echo(exact, cases[i].len, 0, out, &out_len, why), OPTIONS_MALFORMED);
        assert_string_equal(why, cases[i].why);
        free(exact);
    }
}

/*
 * ipv4_options_process(): where a parameter problem points, by Linux's
 * ip_options_compile() (net/ipv4/ip_options.c, its pp_ptr): the type
 * byte of an option with no room for its length or a length that cannot
 * be, or of an option given twice; the length byte of an option too short
 * for its kind; the pointer byte of a pointer out of place; the flags byte
 * of a Timestamp whose overflow count overflows. Three of these are
 * measured against the kernel in step 09's test (22, 21, 34).
 */
static void the_problem_is_where_linux_points(void **state)
{
    (void)state;
    static const struct {
        uint8_t bytes[12];
        size_t len, problem;
    } cases[] = {
        {{OPTION_RECORD_ROUTE}, 1, 0},
        {{OPTION_RECORD_ROUTE, 1}, 4, 0},
        {{OPTION_RECORD_ROUTE, 12}, 8, 0},
        {{OPTION_NOP, 30, 9}, 8, 1},
        {{OPTION_RECORD_ROUTE, 2}, 4, 1},
        {{OPTION_RECORD_ROUTE, 7, 3}, 8, 2},
        {{OPTION_RECORD_ROUTE, 6, 4}, 8, 2},
        {{OPTION_RECORD_ROUTE, 3, 4, OPTION_RECORD_ROUTE, 3, 4}, 8, 3},
        {{OPTION_TIMESTAMP, 3, 5}, 4, 1},
        {{OPTION_TIMESTAMP, 8, 4, 0}, 8, 2},
        {{OPTION_TIMESTAMP, 8, 5, 1}, 8, 2},
        {{OPTION_TIMESTAMP, 4, 5, 0xf0}, 4, 3},
        {{OPTION_NOP, OPTION_TIMESTAMP, 4, 5, 0, OPTION_TIMESTAMP, 4, 5}, 8, 5},
        {{148, 2, 148, 2}, 4, 1},
        {{134, 6, 0, 0, 0, 1}, 8, 1},
        {{134, 8, 0, 0, 0, 1, 0, 0}, 8, 2},
        {{OPTION_LOOSE_SOURCE_ROUTE, 2}, 4, 1},
        {{OPTION_LOOSE_SOURCE_ROUTE, 7, 3}, 8, 2},
        {{OPTION_LOOSE_SOURCE_ROUTE, 3, 4, OPTION_STRICT_SOURCE_ROUTE, 3, 4}, 8, 3},
    };
    const uint8_t self[4] = {192, 0, 2, 2};
    struct options_outcome outcome;
    char why[200];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *exact = malloc(cases[i].len);   /* ASan watches every read */
        memcpy(exact, cases[i].bytes, cases[i].len);
        print_message("case %zu\n", i);
        assert_int_equal(ipv4_options_process(exact, cases[i].len, self, NULL, stopped_clock,
                                              &outcome, why, sizeof why), OPTIONS_MALFORMED);
        assert_true(outcome.malformed);
        assert_int_equal(outcome.problem, cases[i].problem);
        free(exact);
    }
}

/*
 * What an error quotes and carries (Linux, measured: step 09's
 * record-route-error and rr-then-bad-option fixtures): the options as
 * stamped on arrival, what follows End of Option List made End of Option
 * List; a reply's options even for a parameter problem, from the options
 * that passed before the bad one; and a reply that cannot be built.
 */
static void what_an_error_quotes_and_carries(void **state)
{
    (void)state;
    const uint8_t self[4] = {192, 0, 2, 2};
    struct options_outcome outcome;
    char why[200];

    const uint8_t rr[12] = {OPTION_RECORD_ROUTE, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, OPTION_END};
    assert_int_equal(ipv4_options_process(rr, 12, self, NULL, stopped_clock,
                                          &outcome, why, sizeof why),
                     OPTIONS_OK);
    const uint8_t arrived[12] = {7, 11, 8, 192, 0, 2, 2, 0, 0, 0, 0, 0};
    assert_memory_equal(outcome.arrived, arrived, 12);
    const uint8_t reply[12] = {7, 11, 12, 192, 0, 2, 2, 192, 0, 2, 2, 0};
    assert_int_equal(outcome.reply_len, 12);
    assert_memory_equal(outcome.reply, reply, 12);

    const uint8_t end_then_junk[4] = {OPTION_END, 7, 99, 1};
    assert_int_equal(ipv4_options_process(end_then_junk, 4, self, NULL, stopped_clock,
                                          &outcome, why, sizeof why),
                     OPTIONS_OK);
    const uint8_t all_end[4] = {0, 0, 0, 0};
    assert_memory_equal(outcome.arrived, all_end, 4);

    uint8_t rr_then_bad[20] = {OPTION_RECORD_ROUTE, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, OPTION_NOP,
                               OPTION_TIMESTAMP, 8, 3, 0, 0, 0, 0, 0};
    assert_int_equal(ipv4_options_process(rr_then_bad, 20, self, NULL, stopped_clock, &outcome, why,
                                          sizeof why),
                     OPTIONS_MALFORMED);
    assert_int_equal(outcome.problem, 14);
    assert_false(outcome.reply_impossible);
    assert_int_equal(outcome.reply_len, 12);
    assert_memory_equal(outcome.reply, reply, 12);

    const uint8_t no_room[12] = {OPTION_RECORD_ROUTE, 9, 4};
    assert_int_equal(ipv4_options_process(no_room, 12, self, NULL, stopped_clock, &outcome, why,
                                          sizeof why),
                     OPTIONS_MALFORMED);
    assert_false(outcome.malformed);
    assert_true(outcome.reply_impossible);
}

/*
 * A parameter problem about a datagram that came along a source route goes
 * back along it reversed (Linux's ip_options_echo; the kernel's own error
 * is step 09's lsrr-then-bad-option fixture): the last hop recorded is the
 * first hop back, the others follow in reverse order, and the last slot is
 * the datagram's source. When the first hop recorded is the source itself,
 * it is not listed twice (RFC 1812 5.2.4.1, "fix illegal source routes").
 */
static void a_source_route_goes_back_reversed(void **state)
{
    (void)state;
    const uint8_t self[4] = {192, 0, 2, 2}, source[4] = {192, 0, 2, 1};
    struct options_outcome outcome;
    char why[200];

    const uint8_t routed[20] = {OPTION_STRICT_SOURCE_ROUTE, 15, 16, 198, 51, 100, 10,
                                198, 51, 100, 20, 198, 51, 100, 30, OPTION_NOP,
                                OPTION_TIMESTAMP, 4, 3, 0};
    assert_int_equal(ipv4_options_process(routed, 20, self, source, stopped_clock, &outcome, why,
                                          sizeof why), OPTIONS_MALFORMED);
    assert_int_equal(outcome.problem, 18);
    assert_true(outcome.source_routed);
    assert_memory_equal(outcome.first_hop, "\xc6\x33\x64\x1e", 4);     /* 198.51.100.30 */
    const uint8_t back[16] = {OPTION_STRICT_SOURCE_ROUTE, 15, 4, 198, 51, 100, 20,
                              198, 51, 100, 10, 192, 0, 2, 1, OPTION_END};
    assert_int_equal(outcome.reply_len, 16);
    assert_memory_equal(outcome.reply, back, 16);

    uint8_t from_source[20];
    memcpy(from_source, routed, 20);
    memcpy(from_source + 3, source, 4);
    assert_int_equal(ipv4_options_process(from_source, 20, self, source, stopped_clock,
                                          &outcome, why, sizeof why), OPTIONS_MALFORMED);
    const uint8_t shorter[12] = {OPTION_STRICT_SOURCE_ROUTE, 11, 4, 198, 51, 100, 20,
                                 192, 0, 2, 1, OPTION_END};
    assert_int_equal(outcome.reply_len, 12);
    assert_memory_equal(outcome.reply, shorter, 12);

    /* Only one hop recorded: it is the first hop back, and the route holds
     * the source alone; unless that hop is the source, and then there is
     * no route to go back along: straight to the source. */
    uint8_t one_hop[12] = {OPTION_LOOSE_SOURCE_ROUTE, 7, 8, 198, 51, 100, 10,
                           OPTION_TIMESTAMP, 4, 3, 0, OPTION_END};
    assert_int_equal(ipv4_options_process(one_hop, 12, self, source, stopped_clock, &outcome, why,
                                          sizeof why), OPTIONS_MALFORMED);
    assert_true(outcome.source_routed);
    assert_memory_equal(outcome.first_hop, "\xc6\x33\x64\x0a", 4);     /* 198.51.100.10 */
    const uint8_t just_the_source[8] = {OPTION_LOOSE_SOURCE_ROUTE, 7, 4, 192, 0, 2, 1,
                                        OPTION_END};
    assert_int_equal(outcome.reply_len, 8);
    assert_memory_equal(outcome.reply, just_the_source, 8);
    memcpy(one_hop + 3, source, 4);
    assert_int_equal(ipv4_options_process(one_hop, 12, self, source, stopped_clock, &outcome, why,
                                          sizeof why), OPTIONS_MALFORMED);
    assert_false(outcome.source_routed);
    assert_int_equal(outcome.reply_len, 0);
}

static void source_routes_are_refused(void **state)
{
    (void)state;
    uint8_t loose[8] = {OPTION_LOOSE_SOURCE_ROUTE, 7, 4, 192, 0, 2, 9, OPTION_END};
    uint8_t strict[8] = {OPTION_STRICT_SOURCE_ROUTE, 7, 4, 192, 0, 2, 9, OPTION_END};
    uint8_t out[OPTIONS_MAX_LEN];
    size_t out_len;
    char why[200];

    assert_int_equal(echo(loose, 8, 0, out, &out_len, why), OPTIONS_SOURCE_ROUTED);
    assert_string_equal(why, "loose source route option: not answered, as Linux does by "
                             "default (accept_source_route = 0)");
    assert_int_equal(echo(strict, 8, 0, out, &out_len, why), OPTIONS_SOURCE_ROUTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(record_route_as_linux),
        cmocka_unit_test(timestamps_as_linux),
        cmocka_unit_test(timestamps_with_addresses_as_linux),
        cmocka_unit_test(nothing_in_nothing_out),
        cmocka_unit_test(full_record_route_is_returned_unchanged),
        cmocka_unit_test(options_as_linux_answers_them),
        cmocka_unit_test(timestamp_overflow_of_15_is_an_error),
        cmocka_unit_test(timestamp_prespecified),
        cmocka_unit_test(malformed_options),
        cmocka_unit_test(the_problem_is_where_linux_points),
        cmocka_unit_test(what_an_error_quotes_and_carries),
        cmocka_unit_test(a_source_route_goes_back_reversed),
        cmocka_unit_test(source_routes_are_refused),
    };
    return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
