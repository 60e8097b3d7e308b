/* What the CMocka tests share: loading a recorded packet, and running a
 * step's packet function with its log captured in memory. */
#ifndef ICMP_STEPS_TEST_SUPPORT_H
#define ICMP_STEPS_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fields.h"
#include "pcapfile.h"

/* The project root, so that tests find their fixtures from any directory. */
#ifndef PROJECT_ROOT
#define PROJECT_ROOT "."
#endif

enum { TEST_MAX_PACKET = 65535 };

/* Loads the packet of tests/fixtures/NAME (a one-packet capture) into
 * `bytes` (room for TEST_MAX_PACKET) and returns its length. */
static inline size_t load_fixture(const char *name, uint8_t *bytes)
{
    char path[1024], why[512] = "";

    snprintf(path, sizeof path, "%s/tests/fixtures/%s", PROJECT_ROOT, name);
    long len = pcap_read_first(path, bytes, TEST_MAX_PACKET, why, sizeof why);
    if (len < 0)
        fail_msg("cannot load fixture %s: %s", path, why);
    return (size_t)len;
}

/* Every packet of a capture (step 10's fixtures hold several: a
 * datagram's fragments), each in a block of its own. */
enum { FIXTURE_MAX_PACKETS = 64 };
struct fixture_packets {
    size_t count;
    uint8_t *packet[FIXTURE_MAX_PACKETS];
    size_t len[FIXTURE_MAX_PACKETS];
};

static inline int keep_fixture_packet(void *context, const struct timeval *when,
                                      const uint8_t *packet, size_t len)
{
    struct fixture_packets *all = context;

    (void)when;
    if (all->count == FIXTURE_MAX_PACKETS)
        return -1;
    all->packet[all->count] = malloc(len);
    if (!all->packet[all->count])
        return -1;
    memcpy(all->packet[all->count], packet, len);
    all->len[all->count++] = len;
    return 0;
}

/* Loads every packet of tests/fixtures/NAME; free_fixture_packets() after. */
static inline void load_fixture_packets(const char *name, struct fixture_packets *all)
{
    char path[1024], why[512] = "";

    memset(all, 0, sizeof *all);
    snprintf(path, sizeof path, "%s/tests/fixtures/%s", PROJECT_ROOT, name);
    if (pcap_read_packets(path, keep_fixture_packet, all, why, sizeof why) != 0 || all->count == 0)
        fail_msg("cannot load the packets of fixture %s: %s", path, why[0] ? why : "none");
}

static inline void free_fixture_packets(struct fixture_packets *all)
{
    for (size_t i = 0; i < all->count; i++)
        free(all->packet[i]);
    all->count = 0;
}

/* A step's packet function, as common/runner.h declares it. */
typedef size_t (*test_handler)(const uint8_t *packet, size_t len, uint8_t *reply, FILE *log);

/* Runs `handle` on `packet`; returns its log as a string to free(), and the
 * reply length in *reply_len. The reply buffer gets a canary pattern first,
 * so that a step which returns bytes it never wrote is caught. The packet
 * is handed over in a heap block of exactly `len` bytes, so that under
 * AddressSanitizer a step that reads one byte past it (copying
 * `data_len + 8` bytes, say) fails the test instead of reading what
 * happens to follow in a large buffer. */
static inline char *run_step(test_handler handle, const uint8_t *packet, size_t len,
                             uint8_t *reply, size_t *reply_len)
{
    char *log_text = NULL;
    size_t log_size = 0;
    FILE *log = open_memstream(&log_text, &log_size);
    uint8_t *exact = malloc(len ? len : 1);

    assert_non_null(log);
    assert_non_null(exact);
    if (len)
        memcpy(exact, packet, len);
    memset(reply, 0xa5, TEST_MAX_PACKET);
    *reply_len = handle(exact, len, reply, log);
    fclose(log);
    free(exact);
    return log_text;
}

/* Runs `command` with `input` on its standard input and returns what it
 * printed, as a string to free(). Used to ask real tools (hexdump). */
static inline char *run_tool(const char *command, const uint8_t *input, size_t len)
{
    char in_path[] = "/tmp/icmp-steps-test-XXXXXX";
    int fd = mkstemp(in_path);
    assert_true(fd >= 0);
    FILE *in = fdopen(fd, "wb");
    assert_non_null(in);
    assert_int_equal(fwrite(input, 1, len, in), len);
    fclose(in);

    char full[2048];
    snprintf(full, sizeof full, "(%s) < %s", command, in_path);
    FILE *out = popen(full, "r");
    assert_non_null(out);
    char *text = NULL;
    size_t size = 0;
    FILE *collect = open_memstream(&text, &size);
    int c;
    while ((c = fgetc(out)) != EOF)
        fputc(c, collect);
    fclose(collect);
    assert_int_equal(pclose(out), 0);
    unlink(in_path);
    return text;
}

/* What to look at when a field of a reply is wrong: the step that teaches
 * it, in a few words. */
static inline const char *field_hint(const char *field)
{
    static const struct {
        const char *field, *hint;
    } hints[] = {
        {"Version", "byte 0 is 0x45 for a header without options"},
        {"IHL", "byte 0 is 0x45 for a header without options"},
        {"Total Length", "20 for the header plus the whole ICMP message, big-endian (step 03)"},
        {"TTL", "a fresh reply starts at 64 (step 03)"},
        {"Protocol", "ICMP is protocol 1"},
        {"Header Checksum", "RFC 1071 over the 20 header bytes with the field at 0: the kernel "
                            "drops the reply silently when it is wrong (step 03)"},
        {"Source", "the reply comes from the address the request went to: swap them (step 03)"},
        {"Destination", "the reply goes back to the request's source: swap them (step 03)"},
        {"Type", "an echo reply is type 0 (step 03)"},
        {"Code", "0 (step 03)"},
        {"Checksum", "RFC 1071 over the whole ICMP message with the field at 0, odd byte "
                     "included (step 05)"},
        {"Identifier", "copy the request's, so that ping can match the reply (step 03)"},
        {"Sequence Number", "copy the request's, so that ping can match the reply (step 03)"},
        {"Data", "the data comes back as it came, all of it (RFC 792, step 04)"},
    };
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
        if (strcmp(hints[i].field, field) == 0)
            return hints[i].hint;
    return "see the lesson of this step";
}

/* The name of the field that byte `offset` of an IPv4 packet with a
 * `header_len`-byte header and an ICMP message belongs to. */
static inline const char *field_at(size_t offset, size_t header_len, size_t *first, size_t *last)
{
    const struct header_field *fields = IPV4_FIELDS;
    size_t count = IPV4_FIELD_COUNT, base = 0;

    if (offset >= header_len + 8) {
        *first = header_len + 8;
        *last = (size_t)-1;
        return "Data";
    }
    if (offset >= 20 && offset < header_len) {
        *first = 20;
        *last = header_len - 1;
        return "Options";
    }
    if (offset >= header_len) {
        fields = ICMP_ECHO_FIELDS;
        count = ICMP_ECHO_FIELD_COUNT;
        base = header_len;
    }
    for (size_t i = 0; i < count; i++) {
        size_t from = base + fields[i].bit_offset / 8;
        size_t to = base + (fields[i].bit_offset + fields[i].bit_len - 1) / 8;
        if (offset >= from && offset <= to) {
            *first = from;
            *last = to;
            return fields[i].name;
        }
    }
    *first = *last = offset;
    return "?";
}

/*
 * Compares a reply with the expected bytes. On a difference, says which
 * fields differ, by byte offset and name, expected against actual, with a
 * hint, as in "bytes 22-23 ICMP Checksum: expected 0xfae0, got 0x0000";
 * then fails the test.
 */
static inline void assert_packet_equal(const uint8_t *expected, const uint8_t *actual, size_t len)
{
    size_t header_len = (size_t)(expected[0] & 0x0f) * 4;
    int differences = 0;

    for (size_t offset = 0; offset < len; offset++) {
        if (expected[offset] == actual[offset])
            continue;
        size_t first, last;
        const char *name = field_at(offset, header_len, &first, &last);
        if (last > len - 1)
            last = len - 1;
        const char *layer = first < header_len ? "IPv4" : "ICMP";
        if (strcmp(name, "Data") == 0)
            print_error("bytes %zu-%zu ICMP Data (ping's data bytes #%zu to #%zu): first "
                        "difference at data byte #%zu, expected 0x%02x, got 0x%02x\n",
                        first, last, first - header_len - 8, last - header_len - 8,
                        offset - header_len - 8, expected[offset], actual[offset]);
        else {
            print_error("byte%s %zu", first == last ? "" : "s", first);
            if (last != first)
                print_error("-%zu", last);
            print_error(" %s %s: expected 0x", layer, name);
            for (size_t i = first; i <= last; i++)
                print_error("%02x", expected[i]);
            print_error(", got 0x");
            for (size_t i = first; i <= last; i++)
                print_error("%02x", actual[i]);
            if (last - first == 3 && first < header_len)    /* an address: say it dotted */
                print_error(" (expected %u.%u.%u.%u, got %u.%u.%u.%u)", expected[first],
                            expected[first + 1], expected[first + 2], expected[first + 3],
                            actual[first], actual[first + 1], actual[first + 2], actual[first + 3]);
            print_error("\n");
            if (last - first == 1 && expected[first] == actual[last] && expected[last] == actual[first])
                print_error("    the two bytes are swapped: fields are big-endian on the wire "
                            "(write_be16, not a plain uint16_t store)\n");
        }
        print_error("    hint: %s\n", field_hint(name));
        differences++;
        offset = last;                  /* one report per field */
    }
    if (differences)
        fail_msg("the reply differs from the expected bytes in %d field%s", differences,
                 differences == 1 ? "" : "s");
}

/* A reply's length, said the way a learner reads it: "reply length:
 * expected 84, got 85", or that there should have been no reply. */
#define assert_reply_length(got, expected)                                          \
    do {                                                                            \
        size_t got_ = (got), expected_ = (expected);                                \
        if (got_ != expected_) {                                                    \
            if (expected_ == 0)                                                     \
                fail_msg("reply length: expected no reply, got a %zu-byte reply", got_); \
            else if (got_ == 0)                                                     \
                fail_msg("reply length: expected %zu, got no reply", expected_);    \
            else                                                                    \
                fail_msg("reply length: expected %zu, got %zu", expected_, got_);   \
        }                                                                           \
    } while (0)

#endif
