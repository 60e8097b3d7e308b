/*
 * Step 07: IP options and the TOS, as Linux answers them.
 *
 * Step 06 answers `ping -R` and `ping -T tsonly`, but drops their options:
 * the reply says nothing of the route it took, and ping prints no route.
 * RFC 1122 3.2.2.6 says a Record Route or Timestamp option in an echo
 * request SHOULD come back in the reply, updated with this host's stamp.
 * This step reads every option the way Linux does (common/options.c: two
 * passes, like ip_options_compile and ip_options_echo), refuses what Linux
 * refuses (a malformed option, a source route), and returns the request's
 * TOS byte whole (RFC 1349 section 5.1).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bytes.h"
#include "checksum.h"
#include "echo.h"
#include "host.h"
#include "options.h"
#include "runner.h"

enum { REPLY_TTL = 64 };

/* Every packet ends up as exactly one of these. */
enum verdict {
    TOO_SHORT,
    NOT_IPV4,
    HEADER_LENGTH_BELOW_20,
    HEADER_PAST_END,
    TOTAL_LENGTH_PAST_END,
    TOTAL_LENGTH_BELOW_HEADER,
    BAD_HEADER_CHECKSUM,
    FRAGMENT,
    BAD_SOURCE,
    MARTIAN_SOURCE,
    TO_BROADCAST,
    NOT_OURS,
    BAD_OPTIONS,
    SOURCE_ROUTED,
    NOT_ICMP,
    ICMP_TOO_SHORT,
    BAD_ICMP_CHECKSUM,
    NOT_ECHO_REQUEST,
    ANSWERED,
    VERDICT_COUNT
};

/* The ladder, rung by rung: a name for the counters, and the rule. */
static const struct {
    const char *name;
    const char *rule;
} VERDICTS[VERDICT_COUNT] = {
    [TOO_SHORT] = {"too-short", "fewer than 20 bytes: no room for an IPv4 header"},
    [NOT_IPV4] = {"not-ipv4", "version is not 4 (RFC 1122 3.2.1.1: silently discard)"},
    [HEADER_LENGTH_BELOW_20] = {"header-length-below-20", "IHL below 5"},
    [HEADER_PAST_END] = {"header-past-end", "IHL says more header than was read"},
    [TOTAL_LENGTH_PAST_END] = {"total-length-past-end", "total length says more than was read"},
    [TOTAL_LENGTH_BELOW_HEADER] = {"total-length-below-header", "total length shorter than the header"},
    [BAD_HEADER_CHECKSUM] = {"bad-header-checksum", "RFC 1122 3.2.1.2: MUST verify, and silently discard"},
    [FRAGMENT] = {"fragment", "a piece of a datagram: this step does not reassemble"},
    [BAD_SOURCE] = {"bad-source", "RFC 1122 3.2.1.3: no host sends from that address"},
    [MARTIAN_SOURCE] = {"martian-source", "RFC 1122 3.2.1.3: from our own address, or from a broadcast"},
    [TO_BROADCAST] = {"to-broadcast", "RFC 1122 3.2.2.6: echo to broadcast or multicast MAY be discarded"},
    [NOT_OURS] = {"not-ours", "RFC 1122 3.2.1.3: addressed to another host"},
    [BAD_OPTIONS] = {"bad-options", "an IP option that cannot be (RFC 791)"},
    [SOURCE_ROUTED] = {"source-routed", "source route option: Linux refuses by default"},
    [NOT_ICMP] = {"not-icmp", "not protocol 1: nothing here answers it"},
    [ICMP_TOO_SHORT] = {"icmp-too-short", "ICMP shorter than its 8-byte header"},
    [BAD_ICMP_CHECKSUM] = {"bad-icmp-checksum", "RFC 792: the checksum must verify"},
    [NOT_ECHO_REQUEST] = {"not-echo-request", "only requests get replies: never answer a reply"},
    [ANSWERED] = {"answered", "an echo request, answered (RFC 1122 3.2.2.6)"},
};

static unsigned long counters[VERDICT_COUNT];

/* Our addresses: the runner fills them from --address before the first
 * packet (tests and fuzzers through STEP_HOST). */
static struct host host;
#define STEP_HOST host

/* What the time is, for the Timestamp option: milliseconds since midnight
 * UT (RFC 791). A variable, so that tests and fuzzers can stop the clock
 * (they set STEP_CLOCK) and a run can be repeated byte for byte. */
static uint32_t ms_since_midnight_ut(void)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return (uint32_t)(now.tv_sec % 86400 * 1000 + now.tv_nsec / 1000000);
}
static uint32_t (*clock_ms)(void) = ms_since_midnight_ut;
#define STEP_CLOCK clock_ms

/* Logs "ignored: ..." and returns the verdict, so a rung is one line. */
static enum verdict refuse(FILE *log, enum verdict verdict, const char *format, ...)
{
    va_list args;

    fputs("ignored: ", log);
    va_start(args, format);
    vfprintf(log, format, args);
    va_end(args);
    fputc('\n', log);
    return verdict;
}

/* RFC 1122 3.2.1.3: addresses that no host may have. NULL for the others. */
static const char *no_host_address(const uint8_t a[4])
{
    if (a[0] == 0)
        return "in 0.0.0.0/8 (this network)";
    if (a[0] == 127)
        return "a loopback address";
    if (a[0] >= 224 && a[0] <= 239)
        return "a multicast address";
    if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255)
        return "the limited broadcast address";
    return NULL;
}

/* "192.0.2.1", for log lines. Called only where a line needs it: an answer
 * never does, and under a flood snprintf() would cost as much as the rest
 * of the packet's work in user space. */
static const char *dotted(char text[16], const uint8_t a[4])
{
    snprintf(text, 16, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    return text;
}

static const enum verdict STRUCTURE[] = {
    [IPV4_TOO_SHORT] = TOO_SHORT,
    [IPV4_NOT_VERSION_4] = NOT_IPV4,
    [IPV4_IHL_TOO_SMALL] = HEADER_LENGTH_BELOW_20,
    [IPV4_HEADER_PAST_END] = HEADER_PAST_END,
    [IPV4_TOTAL_LEN_PAST_END] = TOTAL_LENGTH_PAST_END,
    [IPV4_TOTAL_LEN_BELOW_HEADER] = TOTAL_LENGTH_BELOW_HEADER,
};

/*
 * The ladder. Each rung reads only what the rungs above it proved is there,
 * and a packet leaves at the first rung it fails, with one line saying why.
 * It fills the views and the reply's options for a request to answer.
 */
static enum verdict check_request(const uint8_t *packet, size_t len, struct ipv4_view *ip,
                                  struct icmp_view *icmp, uint8_t *options, size_t *options_len,
                                  FILE *log)
{
    char why[160], address[16];

    enum ipv4_status status = ipv4_parse(packet, len, ip);
    if (status != IPV4_OK) {
        ipv4_explain(log, status, packet, len);
        fputc('\n', log);
        return STRUCTURE[status];
    }
    if (!inet_checksum_ok(packet, ip->header_len))
        return refuse(log, BAD_HEADER_CHECKSUM, "IPv4 header checksum 0x%04x does not verify",
                      ip->header_checksum);
    if (ip->more_fragments || ip->fragment_offset != 0)
        return refuse(log, FRAGMENT, "fragment (offset %u, %s), not reassembled here",
                      ip->fragment_offset, ip->more_fragments ? "more follow" : "the last");

    const char *what = no_host_address(ip->src);
    if (what)
        return refuse(log, BAD_SOURCE, "source %s is %s, which no host sends from",
                      dotted(address, ip->src), what);
    /* A packet from outside cannot come from our own address, nor from a
     * broadcast address (RFC 1122 3.2.1.3). Linux drops the first as a
     * martian, the second only with reverse-path filtering on. */
    enum host_address_kind source = host_classify(&host, ip->src);
    if (source != HOST_OTHER)
        return refuse(log, MARTIAN_SOURCE, "source %s is %s, which a packet from outside "
                      "cannot come from", dotted(address, ip->src),
                      source == HOST_OWN ? "our own address" : "a broadcast address");

    enum host_address_kind destination = host_classify(&host, ip->dst);
    if (destination == HOST_BROADCAST || (ip->dst[0] >= 224 && ip->dst[0] <= 239))
        return refuse(log, TO_BROADCAST, "destination %s is a broadcast or multicast address, "
                      "not answered", dotted(address, ip->dst));
    if (destination != HOST_OWN)
        return refuse(log, NOT_OURS, "destination %s is not one of our addresses",
                      dotted(address, ip->dst));

    /* [exercise 07: build the reply's options with ipv4_options_echo() (common/options.h), and refuse what it refuses: refuse(log, BAD_OPTIONS, "%s", why) for OPTIONS_MALFORMED, refuse(log, SOURCE_ROUTED, "%s", why) for OPTIONS_SOURCE_ROUTED: the tests compare the replies' options and those lines] */
    *options_len = 0;
    switch (ipv4_options_echo(packet + IPV4_MIN_HEADER_LEN, ip->header_len - IPV4_MIN_HEADER_LEN,
                              ip->dst, clock_ms, options, options_len, why, sizeof why)) {
    case OPTIONS_OK:
        break;
    case OPTIONS_MALFORMED:
        return refuse(log, BAD_OPTIONS, "%s", why);
    case OPTIONS_SOURCE_ROUTED:
        return refuse(log, SOURCE_ROUTED, "%s", why);
    }
    /* [starter] *options_len = 0; (void)why; (void)clock_ms; */
    /* [end exercise] */

    if (ip->protocol != IPV4_PROTOCOL_ICMP)
        return refuse(log, NOT_ICMP, "%s (%u) from %s, not ICMP",
                      ipv4_protocol_name(ip->protocol), ip->protocol, dotted(address, ip->src));
    if (icmp_parse(ip->payload, ip->payload_len, icmp) < 0)
        return refuse(log, ICMP_TOO_SHORT, "ICMP message of %zu bytes from %s, shorter than 8",
                      ip->payload_len, dotted(address, ip->src));
    if (!inet_checksum_ok(ip->payload, ip->payload_len))
        return refuse(log, BAD_ICMP_CHECKSUM, "ICMP checksum 0x%04x from %s does not verify",
                      icmp->checksum, dotted(address, ip->src));
    if (icmp->type != ICMP_ECHO_REQUEST)
        return refuse(log, NOT_ECHO_REQUEST, "ICMP %s (type %u) from %s, we answer echo requests "
                      "only", icmp_type_name(icmp->type), icmp->type, dotted(address, ip->src));
    return ANSWERED;
}

/* The reply: step 05's, with the request's whole TOS byte (RFC 1349
 * section 5.1; Linux copies its ECN bits too) and the updated options.
 * It is never longer than the request. */
static size_t write_echo_reply(const struct ipv4_view *ip, const struct icmp_view *request,
                               const uint8_t *options, size_t options_len, uint8_t *reply)
{
    size_t icmp_len = ICMP_ECHO_HEADER_LEN + request->data_len;
    struct ipv4_header_fields header = {
        .tos = ip->tos,
        .ttl = REPLY_TTL,
        .protocol = IPV4_PROTOCOL_ICMP,
        .payload_len = icmp_len,
        .options = options,
        .options_len = options_len,
    };
    memcpy(header.src, ip->dst, 4);
    memcpy(header.dst, ip->src, 4);
    size_t header_len = ipv4_write_header(reply, &header);

    uint8_t *icmp = reply + header_len;
    icmp[0] = ICMP_ECHO_REPLY;
    icmp[1] = 0;
    write_be16(icmp + 2, 0);
    write_be16(icmp + 4, request->identifier);
    write_be16(icmp + 6, request->sequence);
    memcpy(icmp + ICMP_ECHO_HEADER_LEN, request->data, request->data_len);
    write_be16(icmp + 2, inet_checksum(icmp, icmp_len));
    return header_len + icmp_len;
}

static size_t handle_packet(const uint8_t *packet, size_t len, uint8_t *reply, FILE *log)
{
    struct ipv4_view ip;
    struct icmp_view request;
    uint8_t options[OPTIONS_MAX_LEN];
    size_t options_len = 0;

    enum verdict verdict = check_request(packet, len, &ip, &request, options, &options_len, log);
    counters[verdict]++;
    if (verdict != ANSWERED)
        return 0;
    size_t reply_len = write_echo_reply(&ip, &request, options, options_len, reply);
    echo_log_reply(log, &ip, &request, reply, reply_len);
    return reply_len;
}

/* On SIGUSR1 and at exit: how many packets ended on each rung. */
static void report_counters(FILE *out)
{
    fputs("07-ip-options: packets by verdict\n", out);
    for (int v = 0; v < VERDICT_COUNT; v++)
        fprintf(out, "  %-26s %lu\n", VERDICTS[v].name, counters[v]);
}

int main(int argc, char **argv)
{
    static const struct step step = {
        .name = "07-ip-options",
        .summary = "Step 07: step 06, and the request's IP options and TOS returned as Linux "
                   "returns them: ping -R and ping -T show the route and the times.",
        .handle = handle_packet,
        .report = report_counters,
        .host = &host,
    };
    return step_run(&step, argc, argv);
}
