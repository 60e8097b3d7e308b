/*
 * The tests that steps 06, 07 and 08 share: every rung of RFC 1122's
 * validation ladder, the addresses of the host's own, and the counters.
 * Before including this file, a test includes the step's main.c (for
 * handle_packet, the verdicts, the counters and STEP_HOST), defines
 *
 *   STEP_NAME            the step's name, as its counters report it
 *   STEP_READS_OPTIONS   1 from step 07 on: it has the bad-options and
 *                        source-routed rungs; 0 for step 06, which skips
 *                        every option as step 05 does and answers anyway
 *   STEP_SENDS_ERRORS    1 from step 09 on (0 if left out): a bad option
 *                        and UDP get errors, which the step's own test
 *                        compares with the kernel's; other ICMP types are
 *                        refused on rungs of their own
 *   STEP_REASSEMBLES     1 from step 10 on (0 if left out): a fragment is
 *                        no rung of the ladder but held, which the step's
 *                        own test checks
 *
 * and expected_icmp(), as echo_cases.h asks. The group setup lab_address
 * gives the step the lab's address (192.0.2.2/24), as the runner does when
 * --address is left out (and gives it back after the test that adds a
 * second one, even when that test fails).
 */
#ifndef ICMP_STEPS_LADDER_CASES_H
#define ICMP_STEPS_LADDER_CASES_H

#ifndef STEP_SENDS_ERRORS
#define STEP_SENDS_ERRORS 0
#endif
#ifndef STEP_REASSEMBLES
#define STEP_REASSEMBLES 0
#endif
#ifndef STEP_SPEAKS_IPV6
#define STEP_SPEAKS_IPV6 0              /* 1 from step 11 on: an IPv6 packet is no rung */
#endif

#include "echo_cases.h"
#include "host.h"

static int lab_address(void **state)
{
    (void)state;
    STEP_HOST.count = 0;
    STEP_HOST.count6 = 0;
    return host_add_address(&STEP_HOST, HOST_DEFAULT_ADDRESS, NULL, 0);
}

static void fix_header(uint8_t *p)
{
    size_t header_len = (size_t)(p[0] & 0x0f) * 4;
    write_be16(p + 10, 0);
    write_be16(p + 10, inet_checksum(p, header_len));
}

static void fix_icmp(uint8_t *p, size_t len)
{
    write_be16(p + 22, 0);
    write_be16(p + 22, inet_checksum(p + 20, len - 20));
}

/* Breakers: each bends a copy of the default request (ping, 192.0.2.1 ->
 * 192.0.2.2, 84 bytes) and fixes its header checksum, so that only the
 * intended rung can refuse it. */
static void cut_to_19(uint8_t *p, size_t *len) { (void)p; *len = 19; }
#if !STEP_SPEAKS_IPV6
static void as_ipv6(uint8_t *p, size_t *len) { (void)len; p[0] = 0x60; }
#endif
static void ihl_4(uint8_t *p, size_t *len) { (void)len; p[0] = 0x44; }
static void ihl_15(uint8_t *p, size_t *len) { *len = 40; p[0] = 0x4f; }
static void cut_to_83(uint8_t *p, size_t *len) { (void)p; *len = 83; }
static void total_19(uint8_t *p, size_t *len) { (void)len; write_be16(p + 2, 19); fix_header(p); }
static void header_checksum_off(uint8_t *p, size_t *len) { (void)len; p[10] ^= 0x01; }
static void fragment(uint8_t *p, size_t *len) __attribute__((unused));
static void fragment(uint8_t *p, size_t *len) { (void)len; write_be16(p + 6, 0x2000); fix_header(p); }
static void source_multicast(uint8_t *p, size_t *len) { (void)len; p[12] = 224; p[15] = 5; fix_header(p); }
static void source_zero(uint8_t *p, size_t *len) { (void)len; memset(p + 12, 0, 4); fix_header(p); }
static void source_loopback(uint8_t *p, size_t *len) { (void)len; p[12] = 127; p[15] = 1; fix_header(p); }
static void source_limited_broadcast(uint8_t *p, size_t *len) { (void)len; memset(p + 12, 255, 4); fix_header(p); }
static void to_broadcast(uint8_t *p, size_t *len) { (void)len; memset(p + 16, 255, 4); fix_header(p); }
static void to_multicast(uint8_t *p, size_t *len) { (void)len; p[16] = 239; fix_header(p); }
static void to_all_hosts(uint8_t *p, size_t *len) { (void)len; p[16] = 224; p[17] = 0; p[18] = 0; p[19] = 1; fix_header(p); }
static void source_ours(uint8_t *p, size_t *len) { (void)len; p[15] = 2; fix_header(p); }
static void source_subnet_broadcast(uint8_t *p, size_t *len) { (void)len; p[15] = 255; fix_header(p); }
static void to_subnet_broadcast(uint8_t *p, size_t *len) { (void)len; p[19] = 255; fix_header(p); }
static void to_another_host(uint8_t *p, size_t *len) { (void)len; p[19] = 77; fix_header(p); }
static void to_the_peer(uint8_t *p, size_t *len) { (void)len; p[19] = 1; fix_header(p); }
static void to_subnet_number(uint8_t *p, size_t *len) { (void)len; p[19] = 0; fix_header(p); }
static void to_another_subnet(uint8_t *p, size_t *len) { (void)len; p[16] = 198; p[17] = 51; p[18] = 100; p[19] = 2; fix_header(p); }
static void bad_option(uint8_t *p, size_t *len)
{
    memmove(p + 24, p + 20, *len - 20);
    const uint8_t option[4] = {7, 3, 3, 0};     /* Record Route, pointer 3: below 4 */
    memcpy(p + 20, option, 4);
    p[0] = 0x46;
    *len += 4;
    write_be16(p + 2, (uint16_t)*len);
    fix_header(p);
}
static void source_routed(uint8_t *p, size_t *len)
{
    memmove(p + 28, p + 20, *len - 20);
    const uint8_t option[8] = {131, 7, 4, 192, 0, 2, 9, 0};    /* loose source route */
    memcpy(p + 20, option, 8);
    p[0] = 0x47;
    *len += 8;
    write_be16(p + 2, (uint16_t)*len);
    fix_header(p);
}
/* A loose source route whose pointer is below 4 is malformed before it is a
 * source route: Linux answers it with a parameter problem (counted as a
 * header error), not the silent drop of a well-formed one. */
static void malformed_source_route(uint8_t *p, size_t *len)
{
    source_routed(p, len);
    p[22] = 3;
    fix_header(p);
}
static void udp(uint8_t *p, size_t *len) { (void)len; p[9] = 17; fix_header(p); }
static void icmp_4_bytes(uint8_t *p, size_t *len) { *len = 24; write_be16(p + 2, 24); fix_header(p); }
static void icmp_checksum_off(uint8_t *p, size_t *len) { (void)len; p[22] ^= 0x80; }
static void echo_reply(uint8_t *p, size_t *len) { p[20] = 0; fix_icmp(p, *len); }
static void unreachable(uint8_t *p, size_t *len) { p[20] = 3; fix_icmp(p, *len); }

/* Breaks a copy of the default request and expects that rung's line, no
 * reply, and one more on that rung's counter. */
static void assert_refused(enum verdict verdict, const char *line,
                           void (*breaker)(uint8_t *p, size_t *len))
{
    size_t reply_len, len = load_fixture("requests/default.pcap", packet);
    unsigned long before = counters[verdict];

    breaker(packet, &len);
    char *log = run_step(handle_packet, packet, len, reply, &reply_len);
    assert_string_equal(log, line);
    assert_reply_length(reply_len, 0);
    assert_int_equal(counters[verdict], before + 1);
    free(log);
}

static void every_rung_of_the_ladder(void **state)
{
    (void)state;
    assert_refused(TOO_SHORT, "ignored: 19 bytes is too short for an IPv4 header (20 at least)\n", cut_to_19);
#if !STEP_SPEAKS_IPV6
    assert_refused(NOT_IPV4, "ignored: IPv6 packet (84 bytes), this step speaks IPv4 only\n", as_ipv6);
#endif
    assert_refused(HEADER_LENGTH_BELOW_20, "ignored: IPv4 header length 16 bytes is below the minimum of 20\n", ihl_4);
    assert_refused(HEADER_PAST_END, "ignored: IPv4 header of 60 bytes is longer than the 40 bytes read\n", ihl_15);
    assert_refused(TOTAL_LENGTH_PAST_END, "ignored: IPv4 total length 84 is more than the 83 bytes read\n", cut_to_83);
    assert_refused(TOTAL_LENGTH_BELOW_HEADER, "ignored: IPv4 total length 19 is shorter than its 20-byte header\n", total_19);
    assert_refused(BAD_HEADER_CHECKSUM, "ignored: IPv4 header checksum 0xf10d does not verify\n", header_checksum_off);
#if !STEP_REASSEMBLES
    assert_refused(FRAGMENT, "ignored: fragment (offset 0, more follow), not reassembled here\n", fragment);
#endif
    assert_refused(BAD_SOURCE, "ignored: source 224.0.2.5 is a multicast address, which no host sends from\n", source_multicast);
    assert_refused(BAD_SOURCE, "ignored: source 0.0.0.0 is in 0.0.0.0/8 (this network), which no host sends from\n", source_zero);
    assert_refused(BAD_SOURCE, "ignored: source 127.0.2.1 is a loopback address, which no host sends from\n", source_loopback);
    assert_refused(BAD_SOURCE, "ignored: source 255.255.255.255 is the limited broadcast address, which no host sends from\n", source_limited_broadcast);
#if STEP_READS_OPTIONS && !STEP_SENDS_ERRORS
    assert_refused(BAD_OPTIONS, "ignored: malformed Record Route option (length 3, pointer 3)\n", bad_option);
    assert_refused(BAD_OPTIONS, "ignored: malformed loose source route option (length 7, pointer 3)\n", malformed_source_route);
#endif
#if STEP_READS_OPTIONS
    assert_refused(SOURCE_ROUTED, "ignored: loose source route option: not answered, as Linux does by default (accept_source_route = 0)\n", source_routed);
#endif
#if !STEP_SENDS_ERRORS
    assert_refused(NOT_ICMP, "ignored: UDP (17) from 192.0.2.1, not ICMP\n", udp);
#endif
    assert_refused(ICMP_TOO_SHORT, "ignored: ICMP message of 4 bytes from 192.0.2.1, shorter than 8\n", icmp_4_bytes);
    assert_refused(BAD_ICMP_CHECKSUM, "ignored: ICMP checksum 0x72e0 from 192.0.2.1 does not verify\n", icmp_checksum_off);
#if STEP_SENDS_ERRORS
    assert_refused(ICMP_NOT_ANSWERED, "ignored: ICMP echo reply (type 0) from 192.0.2.1, not answered\n", echo_reply);
    assert_refused(ICMP_ERROR, "ignored: ICMP destination unreachable (type 3, code 0) from 192.0.2.1: an error is never answered\n", unreachable);
#else
    assert_refused(NOT_ECHO_REQUEST, "ignored: ICMP echo reply (type 0) from 192.0.2.1, we answer echo requests only\n", echo_reply);
    assert_refused(NOT_ECHO_REQUEST, "ignored: ICMP destination unreachable (type 3) from 192.0.2.1, we answer echo requests only\n", unreachable);
#endif
}

/* The addresses the host has not: the lab's subnet is 192.0.2.0/24, so its
 * number is 192.0.2.0 and its broadcast 192.0.2.2 | 0.0.0.255 =
 * 192.0.2.255. Linux answers none of these either (docs/differences.md:
 * measured, no row). */
static void only_our_own_address_is_answered(void **state)
{
    (void)state;
    assert_refused(NOT_OURS, "ignored: destination 192.0.2.77 is not one of our addresses\n", to_another_host);
    assert_refused(NOT_OURS, "ignored: destination 192.0.2.1 is not one of our addresses\n", to_the_peer);
    assert_refused(NOT_OURS, "ignored: destination 192.0.2.0 is not one of our addresses\n", to_subnet_number);
    assert_refused(NOT_OURS, "ignored: destination 198.51.100.2 is not one of our addresses\n", to_another_subnet);
    assert_refused(TO_BROADCAST, "ignored: destination 192.0.2.255 is a broadcast or multicast address, not answered\n", to_subnet_broadcast);
    assert_refused(TO_BROADCAST, "ignored: destination 255.255.255.255 is a broadcast or multicast address, not answered\n", to_broadcast);
    assert_refused(TO_BROADCAST, "ignored: destination 239.0.2.2 is a broadcast or multicast address, not answered\n", to_multicast);
    assert_refused(TO_BROADCAST, "ignored: destination 224.0.0.1 is a broadcast or multicast address, not answered\n", to_all_hosts);
}

/* Linux's martians: a packet from outside cannot come from our own address
 * or from a broadcast address of ours. */
static void martian_sources_are_refused(void **state)
{
    (void)state;
    assert_refused(MARTIAN_SOURCE, "ignored: source 192.0.2.2 is our own address, which a packet from outside cannot come from\n", source_ours);
    assert_refused(MARTIAN_SOURCE, "ignored: source 192.0.2.255 is a broadcast address, which a packet from outside cannot come from\n", source_subnet_broadcast);
}

/* The request's destination in `p`, the header checksum fixed. */
static void address_to(uint8_t *p, const uint8_t dst[4])
{
    memcpy(p + 16, dst, 4);
    fix_header(p);
}

/*
 * A second address, as --address 192.0.2.2/24 --address 198.51.100.7/24
 * gives: a request to it is answered from it. The reply is the kernel's
 * reply to the same request (its ICMP bytes: the addresses do not enter
 * the ICMP checksum), under the header every step writes, from
 * 198.51.100.7 to 192.0.2.1. The second subnet's broadcast (198.51.100.7 |
 * 0.0.0.255) is not answered, and the second address is no source.
 */
static void a_second_address_is_answered_from_it(void **state)
{
    (void)state;
    const uint8_t second[4] = {198, 51, 100, 7}, second_broadcast[4] = {198, 51, 100, 255};
    char why[256] = "";
    size_t reply_len;

    assert_int_equal(host_add_address(&STEP_HOST, "198.51.100.7/24", why, sizeof why), 0);

    size_t len = load_fixture("requests/default.pcap", packet);
    size_t kernel_len = load_fixture("kernel-replies/default.pcap", kernel);
    address_to(packet, second);
    uint8_t want[20] = {0x45, 0x00, 0, 0, 0x00, 0x00, 0x40, 0x00, 64, 1, 0, 0,
                        198, 51, 100, 7, 192, 0, 2, 1};
    write_be16(want + 2, (uint16_t)kernel_len);
    write_be16(want + 10, inet_checksum(want, 20));
    memcpy(expected, want, 20);
    memcpy(expected + 20, kernel + 20, kernel_len - 20);
    expected_icmp(expected + 20, kernel_len - 20);

    char *log = run_step(handle_packet, packet, len, reply, &reply_len);
    assert_reply_length(reply_len, kernel_len);
    assert_packet_equal(expected, reply, reply_len);
    assert_string_equal(log, "echo request 192.0.2.1 -> 198.51.100.7 id 3198 seq 1, 56 data "
                             "bytes: replied, ICMP checksum 0xfae0\n");
    free(log);

    load_fixture("requests/default.pcap", packet);
    address_to(packet, second_broadcast);
    assert_ignored(packet, len, "ignored: destination 198.51.100.255 is a broadcast or multicast "
                                "address, not answered\n");

    load_fixture("requests/default.pcap", packet);
    memcpy(packet + 12, second, 4);
    fix_header(packet);
    assert_ignored(packet, len, "ignored: source 198.51.100.7 is our own address, which a packet "
                                "from outside cannot come from\n");
}

/* The ladder diagram and the counters name every verdict. */
static void every_verdict_has_a_name_and_a_rule(void **state)
{
    (void)state;
    for (int v = 0; v < VERDICT_COUNT; v++) {
        assert_non_null(VERDICTS[v].name);
        assert_non_null(VERDICTS[v].rule);
    }
}

static void counters_are_reported(void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0, reply_len;
    size_t len = load_fixture("requests/default.pcap", packet);

    memset(counters, 0, sizeof counters);
    free(run_step(handle_packet, packet, len, reply, &reply_len));
    free(run_step(handle_packet, packet, len, reply, &reply_len));
    free(run_step(handle_packet, packet, 10, reply, &reply_len));
    to_another_host(packet, &len);
    free(run_step(handle_packet, packet, len, reply, &reply_len));
    FILE *out = open_memstream(&text, &size);
    report_counters(out);
    fclose(out);
    assert_non_null(strstr(text, STEP_NAME ": packets by verdict\n"));
    assert_non_null(strstr(text, "\n  too-short                  1\n"));
    assert_non_null(strstr(text, "\n  not-ours                   1\n"));
    assert_non_null(strstr(text, "\n  answered                   2\n"));
    assert_non_null(strstr(text, "\n  bad-header-checksum        0\n"));
    /* one line per verdict after the title */
    size_t lines = 0;
    for (const char *c = text; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 1 + VERDICT_COUNT);
    free(text);
}

/* What every step from 06 on must do, beside ECHO_REPLY_TESTS. */
#define LADDER_TESTS                                            \
    cmocka_unit_test(every_rung_of_the_ladder),                 \
    cmocka_unit_test(only_our_own_address_is_answered),         \
    cmocka_unit_test(martian_sources_are_refused),              \
    cmocka_unit_test_teardown(a_second_address_is_answered_from_it, lab_address), \
    cmocka_unit_test(every_verdict_has_a_name_and_a_rule),      \
    cmocka_unit_test(counters_are_reported)

#endif
