/*
 * Step 09's own tests, for every step from 09 on: each error, timestamp
 * reply and reset the step sends, byte for byte against the Linux kernel's
 * own answer to the same datagram (tests/fixtures/kernel-replies, recorded
 * by scripts/capture-fixtures.sh from the requests
 * tests/fixtures/craft-09.py writes); the errors it must never send; its
 * rate limits. Included after the step's source and ladder_cases.h, whose
 * STEP_ macros it reads; from step 10 on (STEP_REASSEMBLES), the includer
 * defines fresh_fragments() first, and every test begins with a new
 * reassembly table.
 *
 * ERROR_TESTS lists them for the includer's table, each with limits_off()
 * as its setup (KERNEL_TEST).
 */
#ifndef ICMP_STEPS_ERROR_CASES_H
#define ICMP_STEPS_ERROR_CASES_H

/* As step 05: the kernel's ICMP bytes, but 0xffff for an all-zero reply. */
static void expected_icmp(uint8_t *icmp, size_t len)
{
    kernel_bytes_with_rfc1071_zero(icmp, len);
}

static uint8_t asked[TEST_MAX_PACKET], want[TEST_MAX_PACKET];

/* The kernel answered at 198.51.100.1 to kernel-oracle's 198.51.100.2
 * (GUIDE.md section 3); the step answers at 192.0.2.2 to 192.0.2.1. */
static const uint8_t KERNEL[4] = {198, 51, 100, 1}, ORACLE_PEER[4] = {198, 51, 100, 2};
static const uint8_t OURS[4] = {192, 0, 2, 2}, PEER[4] = {192, 0, 2, 1};

/* The clocks, stopped: the time of day (Timestamp option and timestamp
 * replies) and the rate limits' clock. */
static uint32_t time_of_day;
static uint32_t stopped_time_of_day(void)
{
    return time_of_day;
}
static uint64_t uptime;
static uint64_t stopped_uptime(void)
{
    return uptime;
}

/* Every test but the rate limits' own runs with the limits off, as the
 * fixtures were recorded (capture-fixtures.sh turns the kernel's off). */
static int limits_off(void **state)
{
    const struct ratelimit_settings off = {.ratelimit_ms = 0, .msgs_per_sec = 0, .msgs_burst = 50};

    limits = off;
    memset(&buckets, 0, sizeof buckets);
    clock_ms = stopped_time_of_day;
    uptime_ms = stopped_uptime;
#if STEP_REASSEMBLES
    fresh_fragments();
#endif
    return lab_address(state);
}

static size_t ihl(const uint8_t *p)
{
    return (size_t)(p[0] & 0x0f) * 4;
}

/* An independent RFC 768 / RFC 793 checksum (not the step's): the
 * pseudo-header of `ip`, `len` as its length, over `covered` bytes of the
 * segment. */
static uint16_t transport_checksum(const uint8_t *ip, const uint8_t *segment, size_t len,
                                   size_t covered)
{
    uint32_t sum = 0;

    for (int i = 12; i < 20; i += 2)
        sum += read_be16(ip + i);
    sum += ip[9] + (uint32_t)len;
    for (size_t i = 0; i < covered; i += 2)
        sum += (uint32_t)segment[i] << 8 | (i + 1 < covered ? segment[i + 1] : 0);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Every 4-byte run `from` in p[at..end) becomes `to`: the addresses
 * stamped in options, which are not aligned. */
static void map_address(uint8_t *p, size_t at, size_t end, const uint8_t from[4],
                        const uint8_t to[4])
{
    for (; at + 4 <= end; at++)
        if (memcmp(p + at, from, 4) == 0)
            memcpy(p + at, to, 4);
}

/* The checksum a transport segment (TCP, UDP, UDP-Lite) of the datagram
 * `p` carries in its header, or NULL (UDP's 0: none). */
static uint8_t *transport_checksum_field(uint8_t *p, size_t len)
{
    size_t at = ihl(p) + (p[9] == 6 ? 16 : 6);

    if ((p[9] != 6 && p[9] != 17 && p[9] != 136) || at + 2 > len)
        return NULL;
    if (p[9] == 17 && read_be16(p + at) == 0)
        return NULL;
    return p + at;
}

/* The request as kernel-oracle wrote it into the kernel's tun: its
 * addresses, so its header checksum and (with a pseudo-header) its TCP,
 * UDP or UDP-Lite checksum are computed again. */
static void as_the_oracle_wrote_it(uint8_t *p, size_t len)
{
    memcpy(p + 12, ORACLE_PEER, 4);
    memcpy(p + 16, KERNEL, 4);
    write_be16(p + 10, 0);
    write_be16(p + 10, inet_checksum(p, ihl(p)));
    uint8_t *field = transport_checksum_field(p, len);
    if (!field)
        return;
    uint8_t *segment = p + ihl(p);
    size_t segment_len = read_be16(p + 2) - ihl(p);
    size_t pseudo_len = p[9] == 17 ? read_be16(segment + 4) : segment_len;
    size_t covered = p[9] == 136 && read_be16(segment + 4) ? read_be16(segment + 4) : pseudo_len;
    write_be16(field, 0);
    uint16_t sum = transport_checksum(p, segment, pseudo_len, covered);
    write_be16(field, p[9] == 17 && sum == 0 ? 0xffff : sum);
}

/*
 * The kernel's answer to requests/NAME.pcap, as the step must send it.
 * The kernel's bytes, but for what must differ, and only that:
 *
 * - its addresses become ours, in the header and in the options it
 *   stamped (198.51.100.1 is the kernel's, 192.0.2.2 ours);
 * - an ICMP error quotes the datagram the kernel got, which is the request
 *   as kernel-oracle rewrote it: first checked to be exactly that (every
 *   byte but the options the kernel stamped on arrival), then put back to
 *   the request the step got, with the kernel's stamps made ours;
 * - a checksum over what changed is computed again: the header's, the
 *   ICMP checksum of an error (its quote changed), a reset's TCP checksum
 *   (its pseudo-header changed), each first checked to be right as the
 *   kernel sent it;
 * - a timestamp reply gets Don't Fragment and identification 0, as every
 *   reply from step 05 on (an atomic datagram, RFC 6864), where Linux's
 *   has DF clear and an identification from its hashed counters.
 *
 * The identification of an error is Linux's hashed counter: the step's
 * counter is set to the kernel's value before the run instead, and the
 * clock to the time the kernel stamped, so that neither is normalised.
 */
static size_t expected_answer(const char *name, size_t *request_len)
{
    char path[128];

    snprintf(path, sizeof path, "requests/%s.pcap", name);
    size_t len = load_fixture(path, packet);
    snprintf(path, sizeof path, "kernel-replies/%s.pcap", name);
    size_t kernel_len = load_fixture(path, kernel);
    *request_len = len;
    memcpy(want, kernel, kernel_len);

    assert_true(inet_checksum_ok(kernel, ihl(kernel)));
    assert_memory_equal(kernel + 12, KERNEL, 4);
    memcpy(want + 12, OURS, 4);
    map_address(want, 20, ihl(want), KERNEL, OURS);
    if (ihl(want) > 20 && (want[20] == OPTION_LOOSE_SOURCE_ROUTE ||
                           want[20] == OPTION_STRICT_SOURCE_ROUTE)) {
        /* Back along a reversed source route: to its first hop, an
         * address the request named (the same for both), the route's last
         * slot the datagram's source (the oracle's, so ours). */
        map_address(want, 20, ihl(want), ORACLE_PEER, PEER);
    } else {
        assert_memory_equal(kernel + 16, ORACLE_PEER, 4);
        memcpy(want + 16, PEER, 4);
    }

    uint8_t *payload = want + ihl(want);
    size_t payload_len = kernel_len - ihl(want);
    if (want[9] == 6) {
        assert_int_equal(transport_checksum(kernel, kernel + ihl(kernel), payload_len,
                                            payload_len), 0);
        write_be16(payload + 16, 0);
        write_be16(payload + 16, transport_checksum(want, payload, payload_len, payload_len));
    } else if (payload[0] == ICMP_TIMESTAMP_REPLY) {
        write_be16(want + 4, 0);
        write_be16(want + 6, 0x4000);
        time_of_day = read_be32(payload + 12);
    } else {
        assert_true(inet_checksum_ok(payload, payload_len));
        uint8_t *quote = payload + 8;
        size_t quote_len = payload_len - 8, quote_header = ihl(quote);
        memcpy(asked, packet, len);
        as_the_oracle_wrote_it(asked, len);
        assert_memory_equal(quote, asked, 20);
        assert_memory_equal(quote + quote_header, asked + quote_header, quote_len - quote_header);
        memcpy(quote, packet, 20);
        map_address(quote, 20, quote_header, KERNEL, OURS);
        memcpy(quote + quote_header, packet + quote_header, quote_len - quote_header);
        write_be16(payload + 2, 0);
        write_be16(payload + 2, inet_checksum(payload, payload_len));
        next_identification = read_be16(kernel + 4);
        /* The Timestamp option's stamps, if any, at the kernel's time. */
        time_of_day = 0;
    }
    write_be16(want + 10, 0);
    write_be16(want + 10, inet_checksum(want, ihl(want)));
    return kernel_len;
}

static void answers_as_linux(const char *name, enum verdict verdict, const char *line)
{
    size_t len, reply_len;
    size_t want_len = expected_answer(name, &len);
    unsigned long before = counters[verdict];

    char *log = run_step(handle_packet, packet, len, reply, &reply_len);
    print_message("%s: %zu bytes, the kernel's %zu\n", name, reply_len, want_len);
    assert_reply_length(reply_len, want_len);
    assert_packet_equal(want, reply, want_len);
    assert_string_equal(log, line);
    assert_int_equal(counters[verdict], before + 1);
    free(log);
}

/* UDP to a closed port: port unreachable (3/3), TOS 0xc0, no DF, TTL 64,
 * the whole datagram quoted. */
static void port_unreachable_as_linux(void **state)
{
    (void)state;
    answers_as_linux("udp-closed", PORT_UNREACHABLE,
                     "UDP 192.0.2.1 port 40000 -> port 9, nobody listens: sent destination "
                     "unreachable (type 3, code 3) to 192.0.2.1\n");
    answers_as_linux("udplite-closed", PORT_UNREACHABLE,
                     "UDP-Lite 192.0.2.1 port 40000 -> port 9, nobody listens: sent destination "
                     "unreachable (type 3, code 3) to 192.0.2.1\n");
}

/* 1028 bytes of UDP: the error is 576 bytes, 20 + 8 + 548 quoted (RFC
 * 1812 4.3.2.3), as the kernel's. */
static void a_long_datagram_is_quoted_up_to_576_bytes(void **state)
{
    (void)state;
    answers_as_linux("udp-large", PORT_UNREACHABLE,
                     "UDP 192.0.2.1 port 40000 -> port 9, nobody listens: sent destination "
                     "unreachable (type 3, code 3) to 192.0.2.1\n");
    assert_int_equal(read_be16(reply + 2), ICMP_ERROR_MAX_LEN);
}

/* UDP length 12 in 24 bytes of IP payload: the quote stops at the UDP
 * length, its IP header unchanged (total length 44). */
static void udp_is_quoted_up_to_its_length(void **state)
{
    (void)state;
    answers_as_linux("udp-short-length", PORT_UNREACHABLE,
                     "UDP 192.0.2.1 port 40000 -> port 9, nobody listens: sent destination "
                     "unreachable (type 3, code 3) to 192.0.2.1\n");
    assert_int_equal(read_be16(reply + 2), 20 + 8 + 20 + 12);
}

static void protocol_unreachable_as_linux(void **state)
{
    (void)state;
    answers_as_linux("protocol-unknown", PROTOCOL_UNREACHABLE,
                     "unknown (253) from 192.0.2.1, a protocol we do not speak: sent destination "
                     "unreachable (type 3, code 2) to 192.0.2.1\n");
}

/* Parameter problem 12/0, the pointer (the byte after the checksum) at
 * the offending byte: 22, the Timestamp's pointer; 21, an option whose
 * length runs past the options (after a No Operation at 20); 34, the
 * pointer of a Timestamp after a Record Route and a No Operation. */
static void parameter_problem_as_linux(void **state)
{
    (void)state;
    answers_as_linux("bad-option-pointer", PARAMETER_PROBLEM,
                     "malformed Timestamp option (length 8, pointer 3): sent parameter problem "
                     "(type 12, code 0) to 192.0.2.1\n");
    assert_int_equal(reply[20 + 4], 22);
    answers_as_linux("bad-option-length", PARAMETER_PROBLEM,
                     "malformed IP option 30 (length 9, 7 bytes left): sent parameter problem "
                     "(type 12, code 0) to 192.0.2.1\n");
    assert_int_equal(reply[20 + 4], 21);
    /* A good Record Route before the bad Timestamp: the parameter problem
     * carries it, stamped as a reply's, and points at byte 34. */
    answers_as_linux("rr-then-bad-option", PARAMETER_PROBLEM,
                     "malformed Timestamp option (length 8, pointer 3): sent parameter problem "
                     "(type 12, code 0) to 192.0.2.1\n");
    assert_int_equal(reply[32 + 4], 34);
    /* CIPSO, which no configured domain accepts: pointer 22, and the error
     * carries the CIPSO option back, as Linux's ip_options_echo() does. */
    answers_as_linux("cipso-error", PARAMETER_PROBLEM,
                     "CIPSO security option: no domain of interpretation is configured, refused "
                     "as Linux does: sent parameter problem (type 12, code 0) to 192.0.2.1\n");
    assert_int_equal(reply[28 + 4], 22);
    assert_int_equal(reply[20], 134);
    /* After a good loose source route, full (198.51.100.10, .20, .2): the
     * error goes to the last hop (.2), back along .20 and .10, its last
     * slot the source; pointer 38. */
    answers_as_linux("lsrr-then-bad-option", PARAMETER_PROBLEM,
                     "malformed Timestamp option (length 4, pointer 3): sent parameter problem "
                     "(type 12, code 0) to 198.51.100.2\n");
    assert_int_equal(reply[36 + 4], 38);
    const uint8_t route[16] = {131, 15, 4, 198, 51, 100, 20, 198, 51, 100, 10, 192, 0, 2, 1, 0};
    assert_memory_equal(reply + 20, route, 16);
}

/* Record Route in an error: the error carries it as an echo reply would
 * (stamped twice with our address), and quotes the datagram with the stamp
 * of its arrival, under its old header checksum, as Linux holds it. */
static void options_in_errors_as_linux(void **state)
{
    (void)state;
    answers_as_linux("record-route-error", PORT_UNREACHABLE,
                     "UDP 192.0.2.1 port 40000 -> port 9, nobody listens: sent destination "
                     "unreachable (type 3, code 3) to 192.0.2.1\n");
}

/* TOS 0xbb: the error's TOS is 0xda, (0xbb & 0x1e) | 0xc0. */
static void tos_of_errors_as_linux(void **state)
{
    (void)state;
    answers_as_linux("tos-error", PORT_UNREACHABLE,
                     "UDP 192.0.2.1 port 40000 -> port 9, nobody listens: sent destination "
                     "unreachable (type 3, code 3) to 192.0.2.1\n");
    assert_int_equal(reply[1], 0xda);
}

/* Timestamp reply 14: 20 bytes of ICMP whatever the request's length (12
 * or more), the originate time copied, receive and transmit the time. */
static void timestamp_replies_as_linux(void **state)
{
    (void)state;
    answers_as_linux("timestamp-request", TIMESTAMP_ANSWERED,
                     "timestamp request 192.0.2.1 id 4660 seq 1: replied\n");
    answers_as_linux("timestamp-long", TIMESTAMP_ANSWERED,
                     "timestamp request 192.0.2.1 id 4660 seq 2: replied\n");
    answers_as_linux("timestamp-short", TIMESTAMP_ANSWERED,
                     "timestamp request 192.0.2.1 id 4660 seq 3: replied\n");
}

/* Resets: RST|ACK acknowledging SYN, FIN and data; RST with the sequence
 * number the segment acknowledged; TOS without ECN; options echoed. */
static void resets_as_linux(void **state)
{
    (void)state;
    const char *line = "TCP 192.0.2.1 port 40000 -> port 80, nobody listens: sent a reset\n";

    answers_as_linux("tcp-syn", TCP_RESET_SENT, line);
    answers_as_linux("tcp-syn-tos", TCP_RESET_SENT, line);
    answers_as_linux("tcp-ack-data", TCP_RESET_SENT, line);
    answers_as_linux("tcp-syn-fin-data", TCP_RESET_SENT, line);
    answers_as_linux("tcp-record-route", TCP_RESET_SENT, line);
}

/* Step 08's silent rungs that step 09 answers: a malformed Record Route
 * and a malformed loose source route (pointer 3, below 4: Linux points at
 * the pointer, byte 22), and UDP, which here is the echo request's bytes
 * read as UDP: its "length" (the echo identifier, 3198) runs past them. */
static void what_step_08_ignored(void **state)
{
    (void)state;
    void (*const malformed[])(uint8_t *p, size_t *len) = {bad_option, malformed_source_route};
    size_t reply_len;

    for (size_t i = 0; i < 2; i++) {
        size_t len = load_fixture("requests/default.pcap", packet);
        malformed[i](packet, &len);
        unsigned long before = counters[PARAMETER_PROBLEM];
        free(run_step(handle_packet, packet, len, reply, &reply_len));
        assert_reply_length(reply_len, 20 + 8 + len);
        assert_int_equal(reply[20], ICMP_PARAMETER_PROBLEM);
        assert_int_equal(reply[21], 0);
        assert_int_equal(reply[24], 22);
        assert_int_equal(counters[PARAMETER_PROBLEM], before + 1);
    }
    assert_refused(UDP_TOO_SHORT, "ignored: UDP length 3198 from 192.0.2.1, but IP carries 64 "
                                  "bytes\n", udp);
}

/* A copy of requests/NAME.pcap in `packet`, changed by `change`, its
 * header checksum right; then no answer, that line, that counter. */
static void assert_silent(const char *name, void (*change)(uint8_t *p, size_t *len),
                          enum verdict verdict, const char *line)
{
    char path[128];
    size_t reply_len;

    snprintf(path, sizeof path, "requests/%s.pcap", name);
    size_t len = load_fixture(path, packet);
    if (change)
        change(packet, &len);
    fix_header(packet);
    unsigned long before = counters[verdict];
    char *log = run_step(handle_packet, packet, len, reply, &reply_len);
    assert_string_equal(log, line);
    assert_reply_length(reply_len, 0);
    assert_int_equal(counters[verdict], before + 1);
    free(log);
}

/* The requests that would get an error, bent so that none may go. */
static void to_broadcast_address(uint8_t *p, size_t *len) { (void)len; p[19] = 255; }
static void from_nowhere(uint8_t *p, size_t *len) { (void)len; memset(p + 12, 0, 4); }
static void first_fragment(uint8_t *p, size_t *len) { (void)len; write_be16(p + 6, 0x2000); }
static void later_fragment(uint8_t *p, size_t *len) { (void)len; write_be16(p + 6, 0x0003); }
static void as_an_unreachable(uint8_t *p, size_t *len)
{
    /* bad-option-length's echo request, made a port unreachable */
    p[28] = 3;
    p[29] = 3;
    write_be16(p + 30, 0);
    write_be16(p + 30, inet_checksum(p + 28, *len - 28));
}
static void as_type_200(uint8_t *p, size_t *len)
{
    p[28] = 200;                    /* unknown: Linux takes it for an error */
    write_be16(p + 30, 0);
    write_be16(p + 30, inet_checksum(p + 28, *len - 28));
}

/* RFC 1122 3.2.2: never an error about an ICMP error, a datagram to a
 * broadcast or multicast address, a fragment but the first (here: any
 * fragment), a source that is not one host. The kernel's silence for each
 * is measured by the differential test (tools/difftest.c). */
static void never_an_error_about(void **state)
{
    (void)state;
    assert_silent("bad-option-length", as_an_unreachable, ABOUT_AN_ERROR,
                  "malformed IP option 30 (length 9, 7 bytes left): not sent: never an error "
                  "about an ICMP error (RFC 1122 3.2.2)\n");
    assert_silent("bad-option-length", as_type_200, ABOUT_AN_ERROR,
                  "malformed IP option 30 (length 9, 7 bytes left): not sent: never an error "
                  "about an ICMP error (RFC 1122 3.2.2)\n");
    assert_silent("udp-closed", to_broadcast_address, TO_BROADCAST,
                  "ignored: destination 192.0.2.255 is a broadcast or multicast address, not "
                  "answered\n");
    assert_silent("udp-closed", from_nowhere, BAD_SOURCE,
                  "ignored: source 0.0.0.0 is in 0.0.0.0/8 (this network), which no host sends "
                  "from\n");
#if !STEP_REASSEMBLES
    assert_silent("udp-closed", first_fragment, FRAGMENT,
                  "ignored: fragment (offset 0, more follow), not reassembled here\n");
    assert_silent("protocol-unknown", later_fragment, FRAGMENT,
                  "ignored: fragment (offset 24, the last), not reassembled here\n");
#endif
}

static void udp_checksum_off(uint8_t *p, size_t *len) { (void)len; p[27] ^= 0x01; }
static void udp_length_7(uint8_t *p, size_t *len) { (void)len; write_be16(p + 24, 7); }
static void udp_length_past_ip(uint8_t *p, size_t *len) { (void)len; write_be16(p + 24, 25); }
static void udp_in_4_bytes(uint8_t *p, size_t *len) { *len = 24; write_be16(p + 2, 24); }
static void udplite_checksum_0(uint8_t *p, size_t *len) { (void)len; write_be16(p + 26, 0); }
static void udplite_coverage_4(uint8_t *p, size_t *len) { (void)len; write_be16(p + 24, 4); }
static void tcp_checksum_off(uint8_t *p, size_t *len) { (void)len; p[37] ^= 0x01; }
static void tcp_reset(uint8_t *p, size_t *len)
{
    p[33] = 0x04;                   /* RST instead of SYN: 2 less in the checksum */
    write_be16(p + 36, 0);
    write_be16(p + 36, transport_checksum(p, p + 20, *len - 20, *len - 20));
}
static void tcp_offset_4(uint8_t *p, size_t *len) { (void)len; p[32] = 0x40; }
static void timestamp_in_11(uint8_t *p, size_t *len)
{
    *len = 31;
    write_be16(p + 2, 31);
    write_be16(p + 22, 0);
    write_be16(p + 22, inet_checksum(p + 20, 11));
}
/* Record Route of 9 bytes, pointer 4: our stamp on arrival fills 4..7,
 * and the reply's stamp would not fit (Linux: no reply, no error). */
/* lsrr-then-bad-option's route, its last hop made 224.0.0.1. */
static void route_back_to_multicast(uint8_t *p, size_t *len)
{
    (void)len;
    const uint8_t all_hosts[4] = {224, 0, 0, 1};
    memcpy(p + 31, all_hosts, 4);
}
static void record_route_without_room(uint8_t *p, size_t *len)
{
    (void)len;
    const uint8_t option[12] = {7, 9, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(p + 20, option, 12);
}

/* What each protocol checks before it answers: the kernel drops each of
 * these without a word (RFC 768, RFC 3828, RFC 793, RFC 792). */
static void protocols_check_before_they_answer(void **state)
{
    (void)state;
    assert_silent("udp-closed", udp_checksum_off, BAD_UDP_CHECKSUM,
                  "ignored: UDP checksum 0x26b1 from 192.0.2.1 does not verify\n");
    assert_silent("udp-closed", udp_length_7, UDP_TOO_SHORT,
                  "ignored: UDP length 7 from 192.0.2.1, but IP carries 24 bytes\n");
    assert_silent("udp-closed", udp_length_past_ip, UDP_TOO_SHORT,
                  "ignored: UDP length 25 from 192.0.2.1, but IP carries 24 bytes\n");
    assert_silent("udp-closed", udp_in_4_bytes, UDP_TOO_SHORT,
                  "ignored: UDP datagram of 4 bytes from 192.0.2.1, shorter than its 8-byte "
                  "header\n");
    assert_silent("udplite-closed", udplite_checksum_0, BAD_UDP_CHECKSUM,
                  "ignored: UDP-Lite checksum 0x0000 from 192.0.2.1 does not verify\n");
    assert_silent("udplite-closed", udplite_coverage_4, UDP_TOO_SHORT,
                  "ignored: UDP-Lite checksum coverage 4 from 192.0.2.1, but IP carries 24 "
                  "bytes\n");
    assert_silent("tcp-syn", tcp_checksum_off, BAD_TCP_CHECKSUM,
                  "ignored: TCP checksum 0x9056 from 192.0.2.1 does not verify\n");
    assert_silent("tcp-syn", tcp_reset, TCP_RESET_RECEIVED,
                  "ignored: TCP reset from 192.0.2.1: never answered\n");
    assert_silent("tcp-syn", tcp_offset_4, TCP_TOO_SHORT,
                  "ignored: TCP segment of 20 bytes from 192.0.2.1, shorter than its header\n");
    assert_silent("timestamp-short", timestamp_in_11, TIMESTAMP_TOO_SHORT,
                  "ignored: timestamp request of 11 bytes from 192.0.2.1, without its "
                  "originate time (12 bytes at least)\n");
    assert_silent("lsrr-then-bad-option", route_back_to_multicast, BAD_OPTIONS,
                  "ignored: malformed Timestamp option (length 4, pointer 3), and its source "
                  "route leads back to 224.0.0.1, a multicast address: no error\n");
    assert_silent("record-route-error", record_route_without_room, OPTIONS_LEAVE_NO_ROOM,
                  "ignored: Record Route leaves part of a slot for the reply (length 9, pointer "
                  "8): no reply, as Linux\n");
}

/*
 * Measured on Linux 6.18 (one datagram of each protocol number written into
 * the oracle tun, 16 bytes of payload): every protocol but ICMP, IGMP, TCP,
 * UDP, PIM (103) and UDP-Lite (136) gets a protocol unreachable; those six
 * get none for those bytes. So must it be here.
 */
static void protocol_unreachable_for_every_protocol_linux_lacks(void **state)
{
    (void)state;
    size_t reply_len;

    for (unsigned protocol = 0; protocol < 256; protocol++) {
        size_t len = load_fixture("requests/protocol-unknown.pcap", packet);
        packet[9] = (uint8_t)protocol;
        fix_header(packet);
        free(run_step(handle_packet, packet, len, reply, &reply_len));
        int linux_speaks = protocol == 1 || protocol == 2 || protocol == 6 || protocol == 17 ||
                           protocol == 103 || protocol == 136;
        if (linux_speaks) {
            assert_reply_length(reply_len, 0);
        } else {
            assert_reply_length(reply_len, 20 + 8 + len);
            assert_int_equal(reply[20], 3);
            assert_int_equal(reply[21], 2);
        }
    }
}

/* n copies of udp-closed at the stopped uptime; how many errors went. */
static int errors_sent(int n)
{
    size_t reply_len;
    int sent = 0;
    size_t len = load_fixture("requests/udp-closed.pcap", packet);

    for (int i = 0; i < n; i++) {
        free(run_step(handle_packet, packet, len, reply, &reply_len));
        sent += reply_len > 0;
    }
    return sent;
}

/*
 * Linux's defaults (common/ratelimit.c explains the arithmetic): a new
 * destination may have 6 errors at once (XRLIM_BURST_FACTOR), then one a
 * second (icmp_ratelimit 1000 ms), and after 3.5 quiet seconds 3 more.
 * With the per-destination limit off, all destinations together get 50 at
 * once (icmp_msgs_burst), then 1000 a second (icmp_msgs_per_sec): 20 in
 * 20 ms. Echo and timestamp replies are never limited.
 */
static void rate_limits_as_linux(void **state)
{
    (void)state;
    const struct ratelimit_settings linux_defaults = RATELIMIT_LINUX_DEFAULTS;
    size_t reply_len;

    limits = linux_defaults;
    memset(&buckets, 0, sizeof buckets);
    uptime = 100000;
    unsigned long before = counters[RATE_LIMITED];
    assert_int_equal(errors_sent(7), 6);
    assert_int_equal(counters[RATE_LIMITED], before + 1);
    uptime += 999;
    assert_int_equal(errors_sent(1), 0);
    uptime += 1;
    assert_int_equal(errors_sent(2), 1);
    uptime += 3500;
    assert_int_equal(errors_sent(4), 3);

    size_t len = load_fixture("requests/timestamp-request.pcap", packet);
    for (int i = 0; i < 100; i++) {
        free(run_step(handle_packet, packet, len, reply, &reply_len));
        assert_true(reply_len > 0);
    }

    limits.ratelimit_ms = 0;
    memset(&buckets, 0, sizeof buckets);
    assert_int_equal(errors_sent(60), 50);
    uptime += 19;
    assert_int_equal(errors_sent(10), 0);
    uptime += 1;
    assert_int_equal(errors_sent(30), 20);

    limits_off(state);
    assert_int_equal(errors_sent(200), 200);
}

/* Each error has an identification of its own (it may be fragmented). */
static void errors_have_identifications_of_their_own(void **state)
{
    (void)state;
    size_t reply_len;
    size_t len = load_fixture("requests/udp-closed.pcap", packet);

    free(run_step(handle_packet, packet, len, reply, &reply_len));
    uint16_t first = read_be16(reply + 4);
    free(run_step(handle_packet, packet, len, reply, &reply_len));
    assert_int_not_equal(read_be16(reply + 4), first);
    assert_int_equal(read_be16(reply + 6), 0);          /* no DF, as Linux */
}

#define KERNEL_TEST(f) cmocka_unit_test_setup(f, limits_off)

#define ERROR_TESTS KERNEL_TEST(port_unreachable_as_linux), \
    KERNEL_TEST(a_long_datagram_is_quoted_up_to_576_bytes), \
    KERNEL_TEST(udp_is_quoted_up_to_its_length), \
    KERNEL_TEST(protocol_unreachable_as_linux), \
    KERNEL_TEST(parameter_problem_as_linux), \
    KERNEL_TEST(options_in_errors_as_linux), \
    KERNEL_TEST(tos_of_errors_as_linux), \
    KERNEL_TEST(timestamp_replies_as_linux), \
    KERNEL_TEST(resets_as_linux), \
    KERNEL_TEST(what_step_08_ignored), \
    KERNEL_TEST(never_an_error_about), \
    KERNEL_TEST(protocols_check_before_they_answer), \
    KERNEL_TEST(protocol_unreachable_for_every_protocol_linux_lacks), \
    KERNEL_TEST(rate_limits_as_linux), \
    KERNEL_TEST(errors_have_identifications_of_their_own)

#endif
