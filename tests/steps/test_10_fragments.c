/*
 * Step 10: everything step 09 does still holds (its tests, run here through
 * the link: the step sends, the test collects), and fragments: an echo
 * request in fragments, in any order, gets one reply, the kernel's, cut
 * as the kernel cuts it for the link's MTU; a UDP datagram in fragments
 * gets the port unreachable the kernel sends, quoting the datagram put
 * back together; a first fragment left alone gets the kernel's time
 * exceeded (11/1) when its time is up; a parameter problem goes about a
 * first fragment only. The kernel's bytes are in tests/fixtures
 * (scripts/capture-fragment-fixtures.sh).
 */
#include "support.h"

int step_main(int argc, char **argv);   /* the step's main(), renamed */
#define main step_main
#define step_run recorded_step_run      /* what main() hands the runner, kept */
#ifndef STEP_SOURCE                     /* step 11's test runs these on itself */
#define STEP_SOURCE "10-fragments/main.c"
#endif
#include STEP_SOURCE
#undef step_run
#undef main

/*
 * The link, as the runner would fill it: every packet the step sends is
 * kept here. The tests written for step 09 call handle_packet() and look
 * at its reply; handle_through_link() is that for step 10: the one packet
 * the step sent, copied to `reply` (a test that expects fragments looks at
 * the collection itself).
 */
enum { SENT_MAX = 64 };
static struct {
    size_t count;
    uint8_t packet[SENT_MAX][TEST_MAX_PACKET];
    size_t len[SENT_MAX];
} outbox;

static void collect(void *context, const uint8_t *p, size_t len, FILE *log)
{
    (void)context;
    (void)log;
    assert_true(outbox.count < SENT_MAX);
    memcpy(outbox.packet[outbox.count], p, len);
    outbox.len[outbox.count++] = len;
}

static size_t handle_through_link(const uint8_t *p, size_t len, uint8_t *out, FILE *log)
{
    outbox.count = 0;
    assert_int_equal(handle_packet(p, len, out, log), 0);
    if (outbox.count == 0)
        return 0;
    assert_int_equal(outbox.count, 1);
    memcpy(out, outbox.packet[0], outbox.len[0]);
    return outbox.len[0];
}
static const step_handler the_step_handle_packet = handle_packet;
#define handle_packet handle_through_link

/* A new reassembly table, and a link of MTU 1500 that collects. */
static void fresh_fragments(void)
{
    reassembly_free(fragments);
    fragments = NULL;
    tun.mtu = 1500;
    tun.send = collect;
    tun.context = NULL;
    outbox.count = 0;
}

static struct step recorded;
int recorded_step_run(const struct step *step, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    recorded = *step;
    return 0;
}

#ifndef STEP_NAME
#define STEP_NAME "10-fragments"
#endif
#define STEP_READS_OPTIONS 1
#define STEP_SENDS_ERRORS 1
#define STEP_REASSEMBLES 1
#include "ladder_cases.h"

#include "error_cases.h"

/* ---- fragments ---------------------------------------------------------------- */

/* The kernel's packet as the step must send it: addresses ours (in the
 * header and in the options the kernel stamped), the identification the
 * step's (`id`: the kernel's comes from its hashed counters, ours from a
 * counter, RFC 6864; the lesson says why either is right), the header
 * checksum computed again. Nothing else may differ. */
static void as_ours(uint8_t *p, uint16_t id)
{
    assert_true(inet_checksum_ok(p, ihl(p)));
    assert_memory_equal(p + 12, KERNEL, 4);
    assert_memory_equal(p + 16, ORACLE_PEER, 4);
    memcpy(p + 12, OURS, 4);
    memcpy(p + 16, PEER, 4);
    map_address(p, 20, ihl(p), KERNEL, OURS);
    write_be16(p + 4, id);
    write_be16(p + 10, 0);
    write_be16(p + 10, inet_checksum(p, ihl(p)));
}

/* Hands the fragments of requests/NAME.pcap to the step in `order`; every
 * one but the last is held, and sends nothing. */
static void send_in_order(const struct fixture_packets *request, const size_t *order, FILE *log)
{
    for (size_t i = 0; i < request->count; i++) {
        unsigned long held = counters[FRAGMENT_HELD];
        outbox.count = 0;
        assert_int_equal(the_step_handle_packet(request->packet[order[i]],
                                                request->len[order[i]], reply, log), 0);
        if (i + 1 < request->count) {
            assert_int_equal(outbox.count, 0);
            assert_int_equal(counters[FRAGMENT_HELD], held + 1);
        }
    }
}

/* What the step sent after the last fragment, against the kernel's reply
 * to the same fragments: as many packets, each the kernel's as ours. */
static void assert_sent_as_kernel(const char *kernel_name)
{
    struct fixture_packets kernel_sent;

    load_fixture_packets(kernel_name, &kernel_sent);
    if (outbox.count != kernel_sent.count)
        fail_msg("%s: the kernel sent %zu packets, the step %zu", kernel_name, kernel_sent.count,
                 outbox.count);
    uint16_t id = read_be16(outbox.packet[0] + 4);
    for (size_t i = 0; i < outbox.count; i++) {
        print_message("%s: packet %zu, %zu bytes, the kernel's %zu\n", kernel_name, i + 1,
                      outbox.len[i], kernel_sent.len[i]);
        assert_reply_length(outbox.len[i], kernel_sent.len[i]);
        as_ours(kernel_sent.packet[i], id);
        assert_packet_equal(kernel_sent.packet[i], outbox.packet[i], outbox.len[i]);
    }
    free_fixture_packets(&kernel_sent);
}

/* ping -s 4000 through MTU 1500: three fragments, in every order. One
 * reply, cut as the kernel cut its own (1480 + 1480 + 1048 bytes of
 * ICMP), and nothing held afterwards. Step 09 dropped each fragment. */
static void echo_in_fragments_in_any_order(void **state)
{
    (void)state;
    const size_t orders[][3] = {{0, 1, 2}, {2, 1, 0}, {1, 0, 2}, {0, 2, 1}, {2, 0, 1}, {1, 2, 0}};
    struct fixture_packets request;
    char *text = NULL;
    size_t size = 0;

    load_fixture_packets("fragments/echo-4000.request.pcap", &request);
    assert_int_equal(request.count, 3);
    for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
        unsigned long answered = counters[ANSWERED], whole = counters[REASSEMBLED];
        FILE *log = open_memstream(&text, &size);
        send_in_order(&request, orders[o], log);
        fclose(log);
        assert_sent_as_kernel("fragments/echo-4000-mtu1500.kernel.pcap");
        assert_int_equal(counters[ANSWERED], answered + 1);
        assert_int_equal(counters[REASSEMBLED], whole + 1);
        assert_int_equal(reassembly_count(fragments), 0);
        char line[160];
        snprintf(line, sizeof line, "datagram whole again, 4028 bytes; echo request 192.0.2.1 "
                 "-> 192.0.2.2 id %u seq 1, 4000 data bytes: replied",
                 read_be16(request.packet[0] + 24));     /* ping's identifier */
        assert_non_null(strstr(text, line));
        free(text);
        text = NULL;
    }
    free_fixture_packets(&request);
}

/* The same reply through MTU 576: eight fragments of 552 bytes but the
 * last, as the kernel's. */
static void a_reply_longer_than_the_mtu_as_linux_cuts_it(void **state)
{
    (void)state;
    const size_t in_order[] = {0, 1, 2};
    struct fixture_packets request;
    char *text = NULL;
    size_t size = 0;

    load_fixture_packets("fragments/echo-4000.request.pcap", &request);
    tun.mtu = 576;
    FILE *log = open_memstream(&text, &size);
    send_in_order(&request, in_order, log);
    fclose(log);
    free(text);
    assert_sent_as_kernel("fragments/echo-4000-mtu576.kernel.pcap");
    free_fixture_packets(&request);
}

/* ping -R -s 4000: the Record Route reply as the kernel's, our address
 * stamped where it stamped its own; its later fragments carry NOPs in
 * place of the route (the option is not copied, RFC 791). */
static void record_route_reply_in_fragments_as_linux(void **state)
{
    (void)state;
    const size_t reversed[] = {2, 1, 0};
    const unsigned mtus[] = {1500, 576};
    const char *kernels[] = {"fragments/echo-4000-rr-mtu1500.kernel.pcap",
                             "fragments/echo-4000-rr-mtu576.kernel.pcap"};
    struct fixture_packets request;
    char *text = NULL;
    size_t size = 0;

    load_fixture_packets("fragments/echo-4000-rr.request.pcap", &request);
    for (size_t m = 0; m < 2; m++) {
        tun.mtu = mtus[m];
        FILE *log = open_memstream(&text, &size);
        send_in_order(&request, reversed, log);
        fclose(log);
        free(text);
        text = NULL;
        assert_sent_as_kernel(kernels[m]);
    }
    free_fixture_packets(&request);
}

/* The test's own reassembly of a request's fragments (RFC 791), to build
 * what the kernel quotes: the first fragment's header, offset and MF
 * cleared, total length and header checksum new. */
static size_t put_together(const struct fixture_packets *f, uint8_t *whole)
{
    size_t header_len = ihl(f->packet[0]), end = 0;

    memcpy(whole, f->packet[0], header_len);
    for (size_t i = 0; i < f->count; i++) {
        size_t at = header_len + (size_t)(read_be16(f->packet[i] + 6) & 0x1fff) * 8;
        size_t data_len = f->len[i] - ihl(f->packet[i]);
        memcpy(whole + at, f->packet[i] + ihl(f->packet[i]), data_len);
        end = at + data_len > end ? at + data_len : end;
    }
    write_be16(whole + 2, (uint16_t)end);
    write_be16(whole + 6, 0);
    fix_header(whole);
    return end;
}

/*
 * The kernel's error about `request` (the datagram the step got, whole or
 * a fragment), as the step must send it: the kernel's, its addresses
 * ours; its quote first checked to be `request` as kernel-oracle wrote it
 * (so also its UDP checksum, moved with the addresses), then put back to
 * `request`; the ICMP checksum computed again. The identification is
 * Linux's: the step's counter is set to it.
 */
static size_t expected_error(const uint8_t *request, size_t request_len, const char *kernel_name)
{
    size_t kernel_len = load_fixture(kernel_name, kernel);
    uint8_t *payload = want + 20;

    memcpy(want, kernel, kernel_len);
    assert_true(inet_checksum_ok(kernel, 20));
    memcpy(want + 12, OURS, 4);
    memcpy(want + 16, PEER, 4);
    size_t payload_len = kernel_len - 20, quote_len = payload_len - 8;
    assert_true(inet_checksum_ok(payload, payload_len));
    memcpy(asked, request, request_len);
    as_the_oracle_wrote_it(asked, request_len);
    assert_memory_equal(payload + 8, asked, quote_len);
    memcpy(payload + 8, request, quote_len);
    write_be16(payload + 2, 0);
    write_be16(payload + 2, inet_checksum(payload, payload_len));
    next_identification = read_be16(kernel + 4);
    fix_header(want);
    return kernel_len;
}

/* A 3000-byte UDP datagram to a closed port, in three fragments: the
 * kernel's port unreachable, quoting the datagram put back together (its
 * header with total length 3028, no fragment flags), cut at 576 bytes. */
static void udp_in_fragments_gets_the_port_unreachable_linux_sends(void **state)
{
    (void)state;
    const size_t reversed[] = {2, 1, 0};
    static uint8_t whole[TEST_MAX_PACKET];
    struct fixture_packets request;
    char *text = NULL;
    size_t size = 0;

    load_fixture_packets("fragments/udp-3000.request.pcap", &request);
    size_t whole_len = put_together(&request, whole);
    assert_int_equal(whole_len, 3028);
    size_t want_len = expected_error(whole, whole_len, "fragments/udp-3000.kernel.pcap");
    unsigned long before = counters[PORT_UNREACHABLE];
    FILE *log = open_memstream(&text, &size);
    send_in_order(&request, reversed, log);
    fclose(log);
    assert_int_equal(outbox.count, 1);
    assert_reply_length(outbox.len[0], want_len);
    assert_packet_equal(want, outbox.packet[0], want_len);
    assert_int_equal(counters[PORT_UNREACHABLE], before + 1);
    assert_non_null(strstr(text, "datagram whole again, 3028 bytes; UDP 192.0.2.1 port "));
    free(text);
    free_fixture_packets(&request);
}

/*
 * A first fragment alone (tests/fixtures/fragments/NAME.request.pcap, from
 * 192.0.2.1 to 192.0.2.2), and what the kernel, holding 192.0.2.2 itself,
 * sent when its time was up (NAME.kernel.pcap: recorded by
 * tests/docs/kernel_fragments.py): a time exceeded, fragment reassembly
 * (11/1), quoting the fragment as the kernel kept it. Nothing before
 * --ipfrag-time (30 s) is up; then exactly the kernel's bytes, but for
 * the identification, which is Linux's hashed counter: the step's counter
 * is set to it. The table is empty after.
 */
static void timeout_as_linux(const char *name, const char *line)
{
    char path[128];
    char *text = NULL;
    size_t size = 0;

    snprintf(path, sizeof path, "fragments/%s.request.pcap", name);
    size_t len = load_fixture(path, packet);
    snprintf(path, sizeof path, "fragments/%s.kernel.pcap", name);
    size_t kernel_len = load_fixture(path, kernel);
    assert_int_equal(read_be16(packet + 6), 0x2000);        /* offset 0, more follow */
    next_identification = read_be16(kernel + 4);
    unsigned long before = counters[REASSEMBLY_TIMEOUT];

    uptime = 500000;
    FILE *log = open_memstream(&text, &size);
    assert_int_equal(the_step_handle_packet(packet, len, reply, log), 0);
    assert_int_equal(outbox.count, 0);
    assert_int_equal(expire_reassembly(log), 30000);
    uptime += 29999;
    assert_int_equal(expire_reassembly(log), 1);
    assert_int_equal(outbox.count, 0);
    uptime += 1;
    assert_int_equal(expire_reassembly(log), -1);
    fclose(log);
    print_message("%s: %zu bytes, the kernel's %zu\n", name, outbox.len[0], kernel_len);
    assert_int_equal(outbox.count, 1);
    assert_reply_length(outbox.len[0], kernel_len);
    assert_packet_equal(kernel, outbox.packet[0], kernel_len);
    assert_int_equal(counters[REASSEMBLY_TIMEOUT], before + 1);
    assert_int_equal(reassembly_count(fragments), 0);
    assert_non_null(strstr(text, line));
    free(text);
    outbox.count = 0;
}

/* 512 bytes of data: quoted whole. Then a last fragment alone: its
 * datagram is freed in silence (RFC 792: no first fragment, no error). */
static void timeout_sends_time_exceeded_as_linux(void **state)
{
    (void)state;
    struct fixture_packets request;
    char *text = NULL;
    size_t size = 0;

    timeout_as_linux("fragment-timeout", "from 192.0.2.1 timed out after 30 s: sent time "
                                         "exceeded (type 11, code 1) to 192.0.2.1\n");

    load_fixture_packets("fragments/echo-4000.request.pcap", &request);
    unsigned long before = counters[REASSEMBLY_TIMEOUT];
    FILE *log = open_memstream(&text, &size);
    the_step_handle_packet(request.packet[2], request.len[2], reply, log);
    uptime += 30000;
    assert_int_equal(expire_reassembly(log), -1);
    fclose(log);
    assert_int_equal(outbox.count, 0);
    assert_int_equal(counters[REASSEMBLY_TIMEOUT], before + 1);
    assert_non_null(strstr(text, "without its first fragment: freed, no error\n"));
    free(text);
    free_fixture_packets(&request);
}

/* 13 bytes of data, not a multiple of 8: the kernel keeps 8 (its
 * ip_frag_queue(): `end &= ~7` for a fragment with more to follow) and
 * quotes those under the header as it came, total length 33 and all. */
static void timeout_quotes_the_first_fragment_as_kept(void **state)
{
    (void)state;
    timeout_as_linux("fragment-timeout-cut", "timed out after 30 s: sent time exceeded "
                                             "(type 11, code 1) to 192.0.2.1\n");
}

/* bad-option-length's request (a malformed option: the kernel's answer is
 * a parameter problem) as a first fragment: the error goes, quoting the
 * fragment (Linux's icmp_send() takes offset 0); as a later fragment, no
 * error about it (RFC 1122 3.2.2), and nothing held. */
static void parameter_problem_only_about_a_first_fragment(void **state)
{
    (void)state;
    size_t reply_len;
    size_t len = load_fixture("requests/bad-option-length.pcap", packet);

    first_fragment(packet, &len);
    fix_header(packet);
    char *log = run_step(handle_packet, packet, len, reply, &reply_len);
    assert_true(reply_len > 28);
    assert_int_equal(reply[20], ICMP_PARAMETER_PROBLEM);
    assert_int_equal(read_be16(reply + 28 + 6), 0x2000);    /* the fragment, quoted */
    free(log);

    load_fixture("requests/bad-option-length.pcap", packet);
    later_fragment(packet, &len);
    fix_header(packet);
    unsigned long before = counters[BAD_OPTIONS];
    log = run_step(handle_packet, packet, len, reply, &reply_len);
    assert_reply_length(reply_len, 0);
    assert_int_equal(counters[BAD_OPTIONS], before + 1);
    assert_non_null(strstr(log, "in a fragment at offset 24: no error about a fragment but "
                                "the first\n"));
    assert_int_equal(fragments ? reassembly_count(fragments) : 0, 0);
    free(log);
}

/* What fails a rung is never held: a fragment from a martian source. */
static void a_fragment_climbs_the_ladder_first(void **state)
{
    (void)state;
    size_t len = load_fixture("requests/udp-closed.pcap", packet);

    first_fragment(packet, &len);
    packet[15] = 2;                 /* from our own address */
    fix_header(packet);
    size_t reply_len;
    char *log = run_step(handle_packet, packet, len, reply, &reply_len);
    assert_reply_length(reply_len, 0);
    assert_string_equal(log, "ignored: source 192.0.2.2 is our own address, which a packet "
                             "from outside cannot come from\n");
    assert_int_equal(fragments ? reassembly_count(fragments) : 0, 0);
    free(log);
}

/* The step as main() hands it to the runner: the rate limits' and the
 * reassembly's settings are the step's own, for the runner to fill from
 * the command line; so is its link, and it has a clock (expire). */
static void it_hands_its_settings_and_link_to_the_runner(void **state)
{
    (void)state;
    char *argv[] = {"10-fragments", NULL};

    assert_int_equal(step_main(1, argv), 0);
    assert_string_equal(recorded.name, STEP_NAME);
    assert_ptr_equal(recorded.handle, the_step_handle_packet);
    assert_ptr_equal(recorded.host, &STEP_HOST);
    assert_ptr_equal(recorded.ratelimit, &STEP_RATELIMIT);
    assert_ptr_equal(recorded.reassembly, &STEP_REASSEMBLY);
    assert_ptr_equal(recorded.link, &STEP_LINK);
    assert_ptr_equal(recorded.expire, expire_reassembly);
    assert_int_equal(recorded.drops_privileges, 1);
    assert_int_equal(STEP_REASSEMBLY.time_s, 30);
    assert_int_equal(STEP_REASSEMBLY.high_thresh, 4194304);
}

#ifndef STEP_TESTS_MAIN
#define STEP_TESTS_MAIN main
#endif
int STEP_TESTS_MAIN(void)
{
    const struct CMUnitTest tests[] = {
        ECHO_REPLY_TESTS,
        LADDER_TESTS,
        ERROR_TESTS,
        KERNEL_TEST(echo_in_fragments_in_any_order),
        KERNEL_TEST(a_reply_longer_than_the_mtu_as_linux_cuts_it),
        KERNEL_TEST(record_route_reply_in_fragments_as_linux),
        KERNEL_TEST(udp_in_fragments_gets_the_port_unreachable_linux_sends),
        KERNEL_TEST(timeout_sends_time_exceeded_as_linux),
        KERNEL_TEST(timeout_quotes_the_first_fragment_as_kept),
        KERNEL_TEST(parameter_problem_only_about_a_first_fragment),
        KERNEL_TEST(a_fragment_climbs_the_ladder_first),
        cmocka_unit_test(it_hands_its_settings_and_link_to_the_runner),
    };
    return cmocka_run_group_tests_name("step " STEP_NAME, tests, limits_off, NULL);
}
