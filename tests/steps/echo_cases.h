/*
 * The tests that every answering step shares (03 on; 06 on add
 * ladder_cases.h). Before including this file, a
 * test defines handle_packet (by including the step's main.c) and
 *
 *   static void expected_icmp(uint8_t *icmp, size_t len);
 *
 * which turns the ICMP bytes of the Linux kernel's reply to a request into
 * the bytes this step must send instead, as the step's lesson reasons.
 */
#ifndef ICMP_STEPS_ECHO_CASES_H
#define ICMP_STEPS_ECHO_CASES_H

#include "bytes.h"
#include "checksum.h"
#include "ping_cases.h"

static uint8_t packet[TEST_MAX_PACKET], reply[TEST_MAX_PACKET];
static uint8_t kernel[TEST_MAX_PACKET], expected[TEST_MAX_PACKET];

static void expected_icmp(uint8_t *icmp, size_t len);

/*
 * From step 05 on, the reply's ICMP bytes are the kernel's with one
 * correction: a message that sums to zero gets checksum 0xffff. Linux writes
 * 0x0000 there, which its own receive check rejects (RFC 1624 section 3: a
 * sender that computes the complement of the sum never writes +0).
 */
static void kernel_bytes_with_rfc1071_zero(uint8_t *icmp, size_t len) __attribute__((unused));
static void kernel_bytes_with_rfc1071_zero(uint8_t *icmp, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (icmp[i])
            return;
    write_be16(icmp + 2, 0xffff);
}

/* The log line a reply gets, from the case's own numbers. */
static void expected_reply_line(char *line, size_t size, const struct ping_case *c,
                                uint16_t checksum)
{
    snprintf(line, size, "echo request 192.0.2.1 -> 192.0.2.2 id %u seq %u, %zu data bytes: "
             "replied, ICMP checksum 0x%04x\n", c->identifier, c->sequence, c->data_len,
             checksum);
}

/*
 * The reply's IPv4 header, field by field: version 4 and IHL 5, TOS 0, the
 * total length of the request's ICMP message plus 20, identification 0 with
 * Don't Fragment, TTL 64, ICMP, the two addresses swapped, and a header
 * checksum that verifies (the only field not fixed here: its value for one
 * size is worked out by hand in reply_header_byte_for_byte).
 */
static void assert_reply_header(const uint8_t *ip, size_t icmp_len)
{
    uint8_t want[20] = {0x45, 0x00, 0, 0, 0x00, 0x00, 0x40, 0x00, 64, 1, 0, 0,
                        192, 0, 2, 2, 192, 0, 2, 1};

    write_be16(want + 2, (uint16_t)(20 + icmp_len));
    if (inet_checksum_ok(ip, 20))
        memcpy(want + 10, ip + 10, 2);
    else
        write_be16(want + 10, inet_checksum(want, 20));
    assert_packet_equal(want, ip, 20);
}

/* Every recorded request gets one reply, whose ICMP bytes are the kernel's
 * as expected_icmp() changes them, and one log line. */
static void answers_every_recorded_request(void **state)
{
    (void)state;
    char name[64], line[256];

    for (size_t i = 0; i < PING_CASE_COUNT; i++) {
        const struct ping_case *c = &PING_CASES[i];
        size_t reply_len;

        snprintf(name, sizeof name, "requests/%s.pcap", c->name);
        size_t len = load_fixture(name, packet);
        snprintf(name, sizeof name, "kernel-replies/%s.pcap", c->name);
        size_t kernel_len = load_fixture(name, kernel);
        assert_int_equal(kernel_len, c->total_len);
        assert_int_equal(read_be16(kernel + 22), c->kernel_checksum);

        size_t icmp_len = kernel_len - 20;
        memcpy(expected, kernel + 20, icmp_len);
        expected_icmp(expected, icmp_len);

        char *log = run_step(handle_packet, packet, len, reply, &reply_len);
        print_message("%s (%s): %zu-byte reply\n", c->name, c->how, reply_len);
        assert_reply_length(reply_len, c->total_len);
        assert_reply_header(reply, icmp_len);
        memcpy(kernel + 20, expected, icmp_len);    /* compare as whole packets, */
        memcpy(kernel, reply, 20);                  /* the header checked above */
        assert_packet_equal(kernel, reply, reply_len);
        expected_reply_line(line, sizeof line, c, read_be16(expected + 2));
        assert_string_equal(log, line);
        free(log);
    }
}

/* The default request's reply header, all 20 bytes. The header checksum
 * 0xb6a5 is worked out by hand: the ten words 4500 0054 0000 4000 4001 0000
 * c000 0202 c000 0201 add up to 0x24958; folding the carry gives
 * 0x495a, and its complement is 0xb6a5. */
static void reply_header_byte_for_byte(void **state)
{
    (void)state;
    const uint8_t header[20] = {
        0x45, 0x00, 0x00, 0x54, 0x00, 0x00, 0x40, 0x00, 0x40, 0x01,
        0xb6, 0xa5, 0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01,
    };
    size_t reply_len, len = load_fixture("requests/default.pcap", packet);
    char *log = run_step(handle_packet, packet, len, reply, &reply_len);

    assert_reply_length(reply_len, 84);
    assert_packet_equal(header, reply, 20);
    free(log);
}

static void assert_ignored(const uint8_t *bytes, size_t len, const char *line)
{
    size_t reply_len;
    char *log = run_step(handle_packet, bytes, len, reply, &reply_len);

    assert_string_equal(log, line);
    assert_reply_length(reply_len, 0);
    free(log);
}

/* What must never be answered, each with its line. */
static void ignores_what_is_not_an_echo_request(void **state) __attribute__((unused));
static void ignores_what_is_not_an_echo_request(void **state)
{
    (void)state;
    size_t len = load_fixture("requests/ipv6-router-solicitation.pcap", packet);
    assert_ignored(packet, len, "ignored: IPv6 packet (48 bytes), this step speaks IPv4 only\n");

    /* An echo reply: answering it could start an endless ping-pong. */
    len = load_fixture("kernel-replies/default.pcap", packet);
    assert_ignored(packet, len, "ignored: ICMP echo reply (type 0) from 198.51.100.1, "
                                "we answer echo requests only\n");

    len = load_fixture("requests/default.pcap", packet);
    packet[20] = 3;                 /* destination unreachable */
    assert_ignored(packet, len, "ignored: ICMP destination unreachable (type 3) from "
                                "192.0.2.1, we answer echo requests only\n");

    load_fixture("requests/default.pcap", packet);
    packet[9] = 17;
    assert_ignored(packet, len, "ignored: UDP (17) from 192.0.2.1, not ICMP\n");

    load_fixture("requests/default.pcap", packet);
    write_be16(packet + 6, 0x2000);  /* more fragments */
    assert_ignored(packet, len, "ignored: fragment from 192.0.2.1 (offset 0, more follow), "
                                "this step does not reassemble\n");
    write_be16(packet + 6, 185);     /* the last fragment, at 1480 */
    assert_ignored(packet, len, "ignored: fragment from 192.0.2.1 (offset 1480, the last), "
                                "this step does not reassemble\n");

    load_fixture("requests/default.pcap", packet);
    write_be16(packet + 2, 24);      /* 4 bytes of ICMP */
    assert_ignored(packet, len, "ignored: ICMP message of 4 bytes from 192.0.2.1, shorter "
                                "than the 8-byte echo header\n");

    assert_ignored(packet, 0, "ignored: an empty packet\n");
    const uint8_t garbage[] = {0xff, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                               0xff, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
    assert_ignored(garbage, sizeof garbage, "ignored: IP version 15 is not 4 (20 bytes)\n");
}

/* A request cut short at every length: never a reply, never a read past
 * the end (each copy is exactly `len` bytes, and AddressSanitizer watches). */
static void every_truncation_is_refused(void **state)
{
    (void)state;
    size_t reply_len, len = load_fixture("requests/default.pcap", packet);

    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, packet, cut);
        char *log = run_step(handle_packet, copy, cut, reply, &reply_len);
        assert_reply_length(reply_len, 0);
        assert_true(strncmp(log, "ignored: ", 9) == 0);
        free(log);
        free(copy);
    }
}

/* Bytes after the total length are link padding: the reply is the one the
 * unpadded request gets, and never echoes them. */
static void padding_is_not_echoed(void **state)
{
    (void)state;
    size_t plain_len, padded_len, len = load_fixture("requests/default.pcap", packet);

    char *log = run_step(handle_packet, packet, len, expected, &plain_len);
    free(log);
    memset(packet + len, 0xee, 10);
    log = run_step(handle_packet, packet, len + 10, reply, &padded_len);
    assert_int_equal(padded_len, plain_len);
    assert_memory_equal(reply, expected, plain_len);
    free(log);
}

/* IP options in the request (here four No-Operation bytes) are skipped: the
 * reply has a plain 20-byte header and the same ICMP message. */
static void options_are_skipped(void **state)
{
    (void)state;
    size_t plain_len, reply_len, len = load_fixture("requests/default.pcap", packet);

    char *log = run_step(handle_packet, packet, len, expected, &plain_len);
    free(log);
    memmove(packet + 24, packet + 20, len - 20);
    memset(packet + 20, 0x01, 4);
    packet[0] = 0x46;
    write_be16(packet + 2, (uint16_t)(len + 4));
    write_be16(packet + 10, 0);
    write_be16(packet + 10, inet_checksum(packet, 24));
    log = run_step(handle_packet, packet, len + 4, reply, &reply_len);
    assert_reply_length(reply_len, plain_len);
    assert_memory_equal(reply, expected, plain_len);
    free(log);
}

/* What every answering step must do. */
#define ECHO_REPLY_TESTS                                        \
    cmocka_unit_test(answers_every_recorded_request),           \
    cmocka_unit_test(reply_header_byte_for_byte),               \
    cmocka_unit_test(every_truncation_is_refused),              \
    cmocka_unit_test(padding_is_not_echoed),                    \
    cmocka_unit_test(options_are_skipped)

/* Steps 03 to 05, which check with common/echo.c and nothing more. */
#define ECHO_CASE_TESTS                                         \
    ECHO_REPLY_TESTS,                                           \
    cmocka_unit_test(ignores_what_is_not_an_echo_request)

#endif
