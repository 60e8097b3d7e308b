/*
 * Step 06: a host's checks, and an address of its own.
 *
 * Step 05 makes ping happy. A host on a real network is judged on everything
 * else it is sent. RFC 1122 section 3.2.1 says what a host must check before
 * it believes a packet, and 3.2.2.6 how it answers an echo. This step makes
 * those checks in about the order Linux does (the header in ip_rcv_core,
 * the addresses when routing, the message in icmp_rcv), counts every packet
 * by the reason it was refused or answered, and answers only the addresses
 * it was given (--address, default 192.0.2.2/24): not another host's, not a
 * broadcast.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "checksum.h"
#include "echo.h"
#include "host.h"
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
 * It fills the views for a request to answer.
 */
static enum verdict check_request(const uint8_t *packet, size_t len, struct ipv4_view *ip,
                                  struct icmp_view *icmp, FILE *log)
{
    char address[16];

    enum ipv4_status status = ipv4_parse(packet, len, ip);
    if (status != IPV4_OK) {
        ipv4_explain(log, status, packet, len);
        fputc('\n', log);
        return STRUCTURE[status];
    }
    /* [exercise 06: refuse a header whose checksum does not verify (RFC 1122 3.2.1.2), with refuse(log, BAD_HEADER_CHECKSUM, "IPv4 header checksum 0x%04x does not verify", ...): the tests compare that line] */
    if (!inet_checksum_ok(packet, ip->header_len))
        return refuse(log, BAD_HEADER_CHECKSUM, "IPv4 header checksum 0x%04x does not verify",
                      ip->header_checksum);
    /* [end exercise] */
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

    /* [exercise 06: answer our own addresses only: refuse a broadcast or multicast destination with refuse(log, TO_BROADCAST, "destination %s is a broadcast or multicast address, not answered", ...) and any other that is not ours with refuse(log, NOT_OURS, "destination %s is not one of our addresses", ...) (use host_classify): the tests compare those lines] */
    enum host_address_kind destination = host_classify(&host, ip->dst);
    if (destination == HOST_BROADCAST || (ip->dst[0] >= 224 && ip->dst[0] <= 239))
        return refuse(log, TO_BROADCAST, "destination %s is a broadcast or multicast address, "
                      "not answered", dotted(address, ip->dst));
    if (destination != HOST_OWN)
        return refuse(log, NOT_OURS, "destination %s is not one of our addresses",
                      dotted(address, ip->dst));
    /* [starter] (void)host_classify; */
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

/* The reply: step 05's. Its source is the request's destination, which
 * the ladder proved is one of ours (RFC 1122 3.2.2.6: the specific
 * destination, never a broadcast). */
static size_t write_echo_reply(const struct ipv4_view *ip, const struct icmp_view *request,
                               uint8_t *reply)
{
    size_t icmp_len = ICMP_ECHO_HEADER_LEN + request->data_len;
    struct ipv4_header_fields header = {
        .ttl = REPLY_TTL,
        .protocol = IPV4_PROTOCOL_ICMP,
        .payload_len = icmp_len,
    };
    memcpy(header.src, ip->dst, 4);
    memcpy(header.dst, ip->src, 4);
    ipv4_write_header(reply, &header);

    uint8_t *icmp = reply + IPV4_MIN_HEADER_LEN;
    icmp[0] = ICMP_ECHO_REPLY;
    icmp[1] = 0;
    write_be16(icmp + 2, 0);
    write_be16(icmp + 4, request->identifier);
    write_be16(icmp + 6, request->sequence);
    memcpy(icmp + ICMP_ECHO_HEADER_LEN, request->data, request->data_len);
    write_be16(icmp + 2, inet_checksum(icmp, icmp_len));
    return IPV4_MIN_HEADER_LEN + icmp_len;
}

static size_t handle_packet(const uint8_t *packet, size_t len, uint8_t *reply, FILE *log)
{
    struct ipv4_view ip;
    struct icmp_view request;

    enum verdict verdict = check_request(packet, len, &ip, &request, log);
    counters[verdict]++;
    if (verdict != ANSWERED)
        return 0;
    size_t reply_len = write_echo_reply(&ip, &request, reply);
    echo_log_reply(log, &ip, &request, reply, reply_len);
    return reply_len;
}

/* On SIGUSR1 and at exit: how many packets ended on each rung. */
static void report_counters(FILE *out)
{
    fputs("06-host-checks: packets by verdict\n", out);
    for (int v = 0; v < VERDICT_COUNT; v++)
        fprintf(out, "  %-26s %lu\n", VERDICTS[v].name, counters[v]);
}

int main(int argc, char **argv)
{
    static const struct step step = {
        .name = "06-host-checks",
        .summary = "Step 06: answers ICMP echo requests to its own addresses after every "
                   "check RFC 1122 asks of a host, and counts what it refused (SIGUSR1).",
        .handle = handle_packet,
        .report = report_counters,
        .host = &host,
    };
    return step_run(&step, argc, argv);
}
