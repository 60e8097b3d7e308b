/* Step 06: the kernel's replies, options and TOS included; every rung of
 * the validation ladder; the counters. */
#include "support.h"

int step_main(int argc, char **argv);   /* the step's main(), renamed */
#define main step_main
#include "07-ip-options/main.c"
#undef main

#include "echo_cases.h"

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

static unsigned long counted(enum verdict v)
{
    return counters[v];
}

/* Breaks a copy of the default request, fixes its header checksum (so that
 * only the intended rung can refuse it), and expects that rung's line. */
static void assert_refused(enum verdict verdict, const char *line,
                           void (*breaker)(uint8_t *p, size_t *len))
{
    size_t reply_len, len = load_fixture("requests/default.pcap", packet);
    unsigned long before = counted(verdict);

    breaker(packet, &len);
    char *log = run_step(handle_packet, packet, len, reply, &reply_len);
    assert_string_equal(log, line);
    assert_reply_length(reply_len, 0);
    assert_int_equal(counted(verdict), before + 1);
    free(log);
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

static void cut_to_19(uint8_t *p, size_t *len) { (void)p; *len = 19; }
static void as_ipv6(uint8_t *p, size_t *len) { (void)len; p[0] = 0x60; }
static void ihl_4(uint8_t *p, size_t *len) { (void)len; p[0] = 0x44; }
static void ihl_15(uint8_t *p, size_t *len) { *len = 40; p[0] = 0x4f; }
static void cut_to_83(uint8_t *p, size_t *len) { (void)p; *len = 83; }
static void total_19(uint8_t *p, size_t *len) { (void)len; write_be16(p + 2, 19); fix_header(p); }
static void header_checksum_off(uint8_t *p, size_t *len) { (void)len; p[10] ^= 0x01; }
static void fragment(uint8_t *p, size_t *len) { (void)len; write_be16(p + 6, 0x2000); fix_header(p); }
static void source_multicast(uint8_t *p, size_t *len) { (void)len; p[12] = 224; p[15] = 5; fix_header(p); }
static void source_zero(uint8_t *p, size_t *len) { (void)len; memset(p + 12, 0, 4); fix_header(p); }
static void source_loopback(uint8_t *p, size_t *len) { (void)len; p[12] = 127; p[15] = 1; fix_header(p); }
static void to_broadcast(uint8_t *p, size_t *len) { (void)len; memset(p + 16, 255, 4); fix_header(p); }
static void to_multicast(uint8_t *p, size_t *len) { (void)len; p[16] = 239; fix_header(p); }
static void source_ours(uint8_t *p, size_t *len) { (void)len; p[15] = 2; fix_header(p); }
static void source_subnet_broadcast(uint8_t *p, size_t *len) { (void)len; p[15] = 255; fix_header(p); }
static void to_subnet_broadcast(uint8_t *p, size_t *len) { (void)len; p[19] = 255; fix_header(p); }
static void to_another_host(uint8_t *p, size_t *len) { (void)len; p[19] = 77; fix_header(p); }
static void to_subnet_number(uint8_t *p, size_t *len) { (void)len; p[19] = 0; fix_header(p); }
static void bad_option(uint8_t *p, size_t *len)
{
    memmove(p + 24, p + 20, *len - 20);
    const uint8_t option[4] = {OPTION_RECORD_ROUTE, 3, 3, OPTION_END};  /* pointer 3: */
    memcpy(p + 20, option, 4);                                         /* below 4 */
    p[0] = 0x46;
    *len += 4;
    write_be16(p + 2, (uint16_t)*len);
    fix_header(p);
}
static void source_routed(uint8_t *p, size_t *len)
{
    memmove(p + 28, p + 20, *len - 20);
    const uint8_t option[8] = {OPTION_LOOSE_SOURCE_ROUTE, 7, 4, 192, 0, 2, 9, OPTION_END};
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

static void every_rung_of_the_ladder(void **state)
{
    (void)state;
    assert_refused(TOO_SHORT, "ignored: 19 bytes is too short for an IPv4 header (20 at least)\n", cut_to_19);
    assert_refused(NOT_IPV4, "ignored: IPv6 packet (84 bytes), this step speaks IPv4 only\n", as_ipv6);
    assert_refused(HEADER_LENGTH_BELOW_20, "ignored: IPv4 header length 16 bytes is below the minimum of 20\n", ihl_4);
    assert_refused(HEADER_PAST_END, "ignored: IPv4 header of 60 bytes is longer than the 40 bytes read\n", ihl_15);
    assert_refused(TOTAL_LENGTH_PAST_END, "ignored: IPv4 total length 84 is more than the 83 bytes read\n", cut_to_83);
    assert_refused(TOTAL_LENGTH_BELOW_HEADER, "ignored: IPv4 total length 19 is shorter than its 20-byte header\n", total_19);
    assert_refused(BAD_HEADER_CHECKSUM, "ignored: IPv4 header checksum 0xf10d does not verify\n", header_checksum_off);
    assert_refused(FRAGMENT, "ignored: fragment (offset 0, more follow), not reassembled here\n", fragment);
    assert_refused(BAD_SOURCE, "ignored: source 224.0.2.5 is a multicast address, which no host sends from\n", source_multicast);
    assert_refused(BAD_SOURCE, "ignored: source 0.0.0.0 is in 0.0.0.0/8 (this network), which no host sends from\n", source_zero);
    assert_refused(BAD_SOURCE, "ignored: source 127.0.2.1 is a loopback address, which no host sends from\n", source_loopback);
    assert_refused(MARTIAN_SOURCE, "ignored: source 192.0.2.2 is our own address, which a packet from outside cannot come from\n", source_ours);
    assert_refused(MARTIAN_SOURCE, "ignored: source 192.0.2.255 is a broadcast address, which a packet from outside cannot come from\n", source_subnet_broadcast);
    assert_refused(TO_BROADCAST, "ignored: destination 255.255.255.255 is a broadcast or multicast address, not answered\n", to_broadcast);
    assert_refused(TO_BROADCAST, "ignored: destination 192.0.2.255 is a broadcast or multicast address, not answered\n", to_subnet_broadcast);
    assert_refused(TO_BROADCAST, "ignored: destination 239.0.2.2 is a broadcast or multicast address, not answered\n", to_multicast);
    assert_refused(NOT_OURS, "ignored: destination 192.0.2.77 is not one of our addresses\n", to_another_host);
    assert_refused(NOT_OURS, "ignored: destination 192.0.2.0 is not one of our addresses\n", to_subnet_number);
    assert_refused(BAD_OPTIONS, "ignored: malformed Record Route option (length 3, pointer 3)\n", bad_option);
    assert_refused(SOURCE_ROUTED, "ignored: loose source route option: not answered, as Linux does by default (accept_source_route = 0)\n", source_routed);
    assert_refused(BAD_OPTIONS, "ignored: malformed loose source route option (length 7, pointer 3)\n", malformed_source_route);
    assert_refused(NOT_ICMP, "ignored: UDP (17) from 192.0.2.1, not ICMP\n", udp);
    assert_refused(ICMP_TOO_SHORT, "ignored: ICMP message of 4 bytes from 192.0.2.1, shorter than 8\n", icmp_4_bytes);
    assert_refused(BAD_ICMP_CHECKSUM, "ignored: ICMP checksum 0x72e0 from 192.0.2.1 does not verify\n", icmp_checksum_off);
    assert_refused(NOT_ECHO_REQUEST, "ignored: ICMP echo reply (type 0) from 192.0.2.1, we answer echo requests only\n", echo_reply);
    assert_refused(NOT_ECHO_REQUEST, "ignored: ICMP destination unreachable (type 3) from 192.0.2.1, we answer echo requests only\n", unreachable);
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
    FILE *out = open_memstream(&text, &size);
    report_counters(out);
    fclose(out);
    assert_non_null(strstr(text, "07-ip-options: packets by verdict\n"));
    assert_non_null(strstr(text, "\n  too-short                  1\n"));
    assert_non_null(strstr(text, "\n  answered                   2\n"));
    assert_non_null(strstr(text, "\n  bad-header-checksum        0\n"));
    free(text);
}

/* The lab's address, as the runner gives it when --address is left out. */
static int lab_address(void **state)
{
    (void)state;
    STEP_HOST.count = 0;
    return host_add_address(&STEP_HOST, HOST_DEFAULT_ADDRESS, NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ECHO_REPLY_TESTS,
        cmocka_unit_test(answers_options_and_tos_like_linux),
        cmocka_unit_test(every_rung_of_the_ladder),
        cmocka_unit_test(every_verdict_has_a_name_and_a_rule),
        cmocka_unit_test(counters_are_reported),
    };
    return cmocka_run_group_tests_name("step 07-ip-options", tests, lab_address, NULL);
}
