/*
 * Step 09: ICMP errors.
 *
 * Up to step 08 the host answers echo requests and nothing else: a UDP
 * datagram to a closed port, a protocol it does not speak, an option it
 * cannot parse all vanish, and whoever sent them waits for a timeout. RFC
 * 1122 3.2.2 asks a host to say what went wrong: port unreachable,
 * protocol unreachable, parameter problem; RFC 792 adds the timestamp
 * request. This step hands each datagram to its protocol through a table,
 * as Linux does (inet_protos), and answers as Linux 6.18 answers: the
 * errors built as __icmp_send() builds them (common/icmp_error.c), never
 * an error about an error, and no more errors than Linux's rate limits
 * allow (common/ratelimit.c).
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
#include "icmp_error.h"
#include "options.h"
#include "ratelimit.h"
#include "runner.h"

enum { REPLY_TTL = 64, UDP_HEADER_LEN = 8, IPV4_PROTOCOL_IGMP = 2, IPV4_PROTOCOL_TCP = 6,
       IPV4_PROTOCOL_UDP = 17, IPV4_PROTOCOL_PIM = 103, IPV4_PROTOCOL_UDPLITE = 136 };

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
    OPTIONS_LEAVE_NO_ROOM,
    ICMP_TOO_SHORT,
    BAD_ICMP_CHECKSUM,
    ICMP_ERROR,
    ICMP_NOT_ANSWERED,
    TIMESTAMP_TOO_SHORT,
    UDP_TOO_SHORT,
    BAD_UDP_CHECKSUM,
    TCP_TOO_SHORT,
    BAD_TCP_CHECKSUM,
    TCP_RESET_RECEIVED,
    MULTICAST_CONTROL,
    ABOUT_AN_ERROR,
    RATE_LIMITED,
    ANSWERED,
    TIMESTAMP_ANSWERED,
    PORT_UNREACHABLE,
    TCP_RESET_SENT,
    PROTOCOL_UNREACHABLE,
    PARAMETER_PROBLEM,
    VERDICT_COUNT,
    DELIVER = VERDICT_COUNT         /* no verdict yet: for us, to its protocol */
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
    [BAD_OPTIONS] = {"bad-options", "an IP option that cannot be, and no parameter problem can be built"},
    [SOURCE_ROUTED] = {"source-routed", "source route option: Linux refuses by default"},
    [OPTIONS_LEAVE_NO_ROOM] = {"options-leave-no-room", "good options, but no room for our stamp in a reply: Linux sends nothing"},
    [ICMP_TOO_SHORT] = {"icmp-too-short", "ICMP shorter than its 8-byte header"},
    [BAD_ICMP_CHECKSUM] = {"bad-icmp-checksum", "RFC 792: the checksum must verify"},
    [ICMP_ERROR] = {"icmp-error", "an ICMP error: noted, never answered (RFC 1122 3.2.2)"},
    [ICMP_NOT_ANSWERED] = {"icmp-not-answered", "an ICMP type a host does not answer (replies, obsolete types)"},
    [TIMESTAMP_TOO_SHORT] = {"timestamp-too-short", "a timestamp request without its originate time"},
    [UDP_TOO_SHORT] = {"udp-too-short", "UDP or UDP-Lite shorter than its header, or than its length field says"},
    [BAD_UDP_CHECKSUM] = {"bad-udp-checksum", "RFC 768, RFC 3828: a checksum must verify (UDP: unless it is 0)"},
    [TCP_TOO_SHORT] = {"tcp-too-short", "TCP shorter than its header, or than its data offset says"},
    [BAD_TCP_CHECKSUM] = {"bad-tcp-checksum", "RFC 793: the checksum must verify"},
    [TCP_RESET_RECEIVED] = {"tcp-reset-received", "RFC 793: a reset is never answered with a reset"},
    [MULTICAST_CONTROL] = {"multicast-control", "IGMP or PIM: Linux takes them and answers nothing"},
    [ABOUT_AN_ERROR] = {"about-an-error", "RFC 1122 3.2.2: never an error about an ICMP error"},
    [RATE_LIMITED] = {"rate-limited", "an error was due, suppressed by the rate limit (RFC 1812 4.3.2.8)"},
    [ANSWERED] = {"answered", "an echo request, answered (RFC 1122 3.2.2.6)"},
    [TIMESTAMP_ANSWERED] = {"timestamp-answered", "a timestamp request, answered (RFC 792)"},
    [PORT_UNREACHABLE] = {"port-unreachable", "UDP or UDP-Lite to a port nobody listens on (RFC 1122 3.2.2.1)"},
    [TCP_RESET_SENT] = {"tcp-reset-sent", "TCP to a port nobody listens on: a reset (RFC 793)"},
    [PROTOCOL_UNREACHABLE] = {"protocol-unreachable", "a protocol this host does not speak (RFC 1122 3.2.2.1)"},
    [PARAMETER_PROBLEM] = {"parameter-problem", "an IP option that cannot be (RFC 1122 3.2.2.5)"},
};

static unsigned long counters[VERDICT_COUNT];

/* Our addresses: the runner fills them from --address before the first
 * packet (tests and fuzzers through STEP_HOST). */
static struct host host;
#define STEP_HOST host

/* How many errors we may send: the runner fills them from --icmp-ratelimit,
 * --icmp-msgs-per-sec and --icmp-msgs-burst (Linux's defaults unless
 * given; tests and fuzzers through STEP_RATELIMIT). */
static struct ratelimit_settings limits = RATELIMIT_LINUX_DEFAULTS;
static struct ratelimit buckets;
#define STEP_RATELIMIT limits

/* Errors may be fragmented on their way, so each needs an identification
 * of its own (RFC 6864): a counter. */
static uint16_t next_identification;

/* What the time is, for the Timestamp option and timestamp replies:
 * milliseconds since midnight UT (RFC 791, RFC 792). A variable, so that
 * tests and fuzzers can stop the clock (they set STEP_CLOCK) and a run
 * can be repeated byte for byte. */
static uint32_t ms_since_midnight_ut(void)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return (uint32_t)(now.tv_sec % 86400 * 1000 + now.tv_nsec / 1000000);
}
static uint32_t (*clock_ms)(void) = ms_since_midnight_ut;
#define STEP_CLOCK clock_ms

/* The clock of the rate limits: one that never jumps back (STEP_UPTIME). */
static uint64_t ms_since_boot(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}
static uint64_t (*uptime_ms)(void) = ms_since_boot;
#define STEP_UPTIME uptime_ms

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
 * A datagram for us, on its way to its protocol, and what the protocol
 * decided: a reply it wrote, or an error to send about the datagram.
 */
struct datagram {
    const uint8_t *packet;          /* from its IP header on */
    struct ipv4_view ip;
    struct options_outcome options; /* the reply's options, and more */
    uint8_t *reply;                 /* where a reply goes */
    size_t reply_len;               /* a reply written: its length */
    struct icmp_error error;        /* or, with send_error, an error */
    size_t quote_len;               /* how much of the datagram it is about */
    int send_error;
};

/*
 * The ladder, up to the protocol. Each rung reads only what the rungs
 * above it proved is there, and a packet leaves at the first rung it
 * fails, with one line saying why. A datagram for us goes on (DELIVER),
 * with the options of its reply; a malformed option asks for a parameter
 * problem.
 */
static enum verdict check_request(const uint8_t *packet, size_t len, struct datagram *d,
                                  FILE *log)
{
    struct ipv4_view *ip = &d->ip;
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
    /* Never an error about a fragment but the first (RFC 1122 3.2.2): here
     * none at all, as no fragment gets further. */
    if (ip->more_fragments || ip->fragment_offset != 0)
        return refuse(log, FRAGMENT, "fragment (offset %u, %s), not reassembled here",
                      ip->fragment_offset, ip->more_fragments ? "more follow" : "the last");

    /* Never an error to a source that is not one host, nor about a datagram
     * to a broadcast or multicast address (RFC 1122 3.2.2): the rungs below
     * refuse those before anything can be said about them. */
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

    switch (ipv4_options_process(packet + IPV4_MIN_HEADER_LEN,
                                 ip->header_len - IPV4_MIN_HEADER_LEN, ip->dst, ip->src,
                                 clock_ms, &d->options, why, sizeof why)) {
    case OPTIONS_OK:
        return DELIVER;
    case OPTIONS_MALFORMED:
        break;
    case OPTIONS_SOURCE_ROUTED:
        return refuse(log, SOURCE_ROUTED, "%s", why);
    }
    if (d->options.reply_impossible)
        return refuse(log, d->options.malformed ? BAD_OPTIONS : OPTIONS_LEAVE_NO_ROOM, "%s",
                      why);
    /* A source route would take the error back to its last hop: never to
     * an address that is not one host's (RFC 1122 3.2.2). */
    if (d->options.source_routed && no_host_address(d->options.first_hop))
        return refuse(log, BAD_OPTIONS, "%s, and its source route leads back to %s, %s: no "
                      "error", why, dotted(address, d->options.first_hop),
                      no_host_address(d->options.first_hop));
    /* RFC 1122 3.2.2.5: a parameter problem, pointing at the bad byte. */
    fprintf(log, "%s: ", why);
    d->send_error = 1;
    d->error.type = ICMP_PARAMETER_PROBLEM;
    d->error.code = 0;
    d->error.info = (uint32_t)(IPV4_MIN_HEADER_LEN + d->options.problem) << 24;
    d->quote_len = ip->total_len;
    return PARAMETER_PROBLEM;
}

/* ---- ICMP ------------------------------------------------------------------ */

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

/* RFC 792's timestamp reply: the request's identifier, sequence number and
 * originate time, and our receive and transmit times, which are the same
 * instant here (Linux's icmp_timestamp). Anything after the three times is
 * not returned. */
static size_t write_timestamp_reply(const struct datagram *d, const struct icmp_view *request,
                                    uint8_t *reply)
{
    struct ipv4_header_fields header = {
        .tos = d->ip.tos,
        .ttl = REPLY_TTL,
        .protocol = IPV4_PROTOCOL_ICMP,
        .payload_len = ICMP_TIMESTAMP_LEN,
        .options = d->options.reply,
        .options_len = d->options.reply_len,
    };
    memcpy(header.src, d->ip.dst, 4);
    memcpy(header.dst, d->ip.src, 4);
    size_t header_len = ipv4_write_header(reply, &header);

    uint8_t *icmp = reply + header_len;
    uint32_t now = clock_ms();
    icmp[0] = ICMP_TIMESTAMP_REPLY;
    icmp[1] = 0;
    write_be16(icmp + 2, 0);
    write_be16(icmp + 4, request->identifier);
    write_be16(icmp + 6, request->sequence);
    memcpy(icmp + 8, request->data, 4);             /* originate */
    write_be32(icmp + 12, now);                     /* receive */
    write_be32(icmp + 16, now);                     /* transmit */
    write_be16(icmp + 2, inet_checksum(icmp, ICMP_TIMESTAMP_LEN));
    return header_len + ICMP_TIMESTAMP_LEN;
}

/* ICMP (Linux's icmp_rcv): echo and timestamp requests are answered; an
 * error is taken note of, and answering it could start an endless
 * exchange of errors between two hosts, so nothing is ever answered. */
static enum verdict icmp_input(struct datagram *d, FILE *log)
{
    struct icmp_view icmp;
    char from[16];

    if (icmp_parse(d->ip.payload, d->ip.payload_len, &icmp) < 0)
        return refuse(log, ICMP_TOO_SHORT, "ICMP message of %zu bytes from %s, shorter than 8",
                      d->ip.payload_len, dotted(from, d->ip.src));
    if (!inet_checksum_ok(d->ip.payload, d->ip.payload_len))
        return refuse(log, BAD_ICMP_CHECKSUM, "ICMP checksum 0x%04x from %s does not verify",
                      icmp.checksum, dotted(from, d->ip.src));
    if (icmp_type_is_error(icmp.type))
        return refuse(log, ICMP_ERROR, "ICMP %s (type %u, code %u) from %s: an error is never "
                      "answered", icmp_type_name(icmp.type), icmp.type, icmp.code,
                      dotted(from, d->ip.src));
    switch (icmp.type) {
    case ICMP_ECHO_REQUEST:
        d->reply_len = write_echo_reply(&d->ip, &icmp, d->options.reply, d->options.reply_len,
                                        d->reply);
        echo_log_reply(log, &d->ip, &icmp, d->reply, d->reply_len);
        return ANSWERED;
    case ICMP_TIMESTAMP_REQUEST:
        if (icmp.data_len < 4)
            return refuse(log, TIMESTAMP_TOO_SHORT, "timestamp request of %zu bytes from %s, "
                          "without its originate time (12 bytes at least)", d->ip.payload_len,
                          dotted(from, d->ip.src));
        d->reply_len = write_timestamp_reply(d, &icmp, d->reply);
        fprintf(log, "timestamp request %s id %u seq %u: replied\n", dotted(from, d->ip.src),
                icmp.identifier, icmp.sequence);
        return TIMESTAMP_ANSWERED;
    default:
        return refuse(log, ICMP_NOT_ANSWERED, "ICMP %s (type %u) from %s, not answered",
                      icmp_type_name(icmp.type), icmp.type, dotted(from, d->ip.src));
    }
}

/* ---- UDP ------------------------------------------------------------------- */

/* RFC 768 and RFC 793: the checksum covers a pseudo-header (the
 * addresses, the protocol and the length) and the whole segment. */
static uint16_t pseudo_header_sum(const struct ipv4_view *ip, const uint8_t *segment, size_t len,
                                  size_t covered)
{
    uint8_t pseudo[12];

    memcpy(pseudo, ip->src, 4);
    memcpy(pseudo + 4, ip->dst, 4);
    pseudo[8] = 0;
    pseudo[9] = ip->protocol;
    write_be16(pseudo + 10, (uint16_t)len);
    return inet_sum(inet_sum(0, pseudo, sizeof pseudo), segment, covered);
}

static int transport_checksum_ok(const struct ipv4_view *ip, const uint8_t *segment, size_t len)
{
    return pseudo_header_sum(ip, segment, len, len) == 0xffff;
}

/* What UDP and UDP-Lite do when nobody listens: ask for a port
 * unreachable about the first `quote_len` bytes of the datagram. */
static enum verdict port_unreachable(struct datagram *d, size_t quote_len, FILE *log)
{
    const uint8_t *udp = d->ip.payload;
    char from[16];

    fprintf(log, "%s %s port %u -> port %u, nobody listens: ", ipv4_protocol_name(d->ip.protocol),
            dotted(from, d->ip.src), read_be16(udp), read_be16(udp + 2));
    d->quote_len = quote_len;
    d->send_error = 1;
    d->error.type = ICMP_DESTINATION_UNREACHABLE;
    d->error.code = ICMP_UNREACHABLE_PORT;
    return PORT_UNREACHABLE;
}

/* UDP (Linux's __udp4_lib_rcv): nobody listens on any port here, so every
 * datagram that UDP itself accepts gets a port unreachable. */
static enum verdict udp_input(struct datagram *d, FILE *log)
{
    char from[16];

    dotted(from, d->ip.src);
    /* [exercise 09: check the UDP header (8 bytes, a length from 8 to what IP carries, a checksum that verifies unless it is 0), then ask for a port unreachable about the datagram cut to the UDP length (port_unreachable()); refuse with refuse(log, UDP_TOO_SHORT, "UDP datagram of %zu bytes from %s, shorter than its 8-byte header", ...), refuse(log, UDP_TOO_SHORT, "UDP length %zu from %s, but IP carries %zu bytes", ...) and refuse(log, BAD_UDP_CHECKSUM, "UDP checksum 0x%04x from %s does not verify", ...) (transport_checksum_ok()): the tests compare those lines] */
    const uint8_t *udp = d->ip.payload;
    if (d->ip.payload_len < UDP_HEADER_LEN)
        return refuse(log, UDP_TOO_SHORT, "UDP datagram of %zu bytes from %s, shorter than its "
                      "8-byte header", d->ip.payload_len, from);
    size_t udp_len = read_be16(udp + 4);
    if (udp_len < UDP_HEADER_LEN || udp_len > d->ip.payload_len)
        return refuse(log, UDP_TOO_SHORT, "UDP length %zu from %s, but IP carries %zu bytes",
                      udp_len, from, d->ip.payload_len);
    if (read_be16(udp + 6) != 0 && !transport_checksum_ok(&d->ip, udp, udp_len))
        return refuse(log, BAD_UDP_CHECKSUM, "UDP checksum 0x%04x from %s does not verify",
                      read_be16(udp + 6), from);
    /* Linux cuts the datagram to its UDP length before it quotes it. */
    return port_unreachable(d, d->ip.header_len + udp_len, log);
    /* [starter] return refuse(log, PORT_UNREACHABLE, "UDP from %s: no port unreachable sent yet", from); */
    /* [end exercise] */
}

/* UDP-Lite (RFC 3828, protocol 136), which Linux speaks too: UDP whose
 * length field says how many bytes the checksum covers (0: all of them),
 * and whose checksum is never 0. Nothing is cut before it is quoted. */
static enum verdict udplite_input(struct datagram *d, FILE *log)
{
    const uint8_t *udp = d->ip.payload;
    char from[16];

    dotted(from, d->ip.src);
    if (d->ip.payload_len < UDP_HEADER_LEN)
        return refuse(log, UDP_TOO_SHORT, "UDP-Lite datagram of %zu bytes from %s, shorter "
                      "than its 8-byte header", d->ip.payload_len, from);
    size_t covered = read_be16(udp + 4) ? read_be16(udp + 4) : d->ip.payload_len;
    if (covered < UDP_HEADER_LEN || covered > d->ip.payload_len)
        return refuse(log, UDP_TOO_SHORT, "UDP-Lite checksum coverage %zu from %s, but IP "
                      "carries %zu bytes", covered, from, d->ip.payload_len);
    if (read_be16(udp + 6) == 0 ||
        pseudo_header_sum(&d->ip, udp, d->ip.payload_len, covered) != 0xffff)
        return refuse(log, BAD_UDP_CHECKSUM, "UDP-Lite checksum 0x%04x from %s does not verify",
                      read_be16(udp + 6), from);
    return port_unreachable(d, d->ip.total_len, log);
}

/* ---- TCP ------------------------------------------------------------------- */

enum { TCP_HEADER_LEN = 20, TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_ACK = 0x10 };

/* RFC 793, "Reset Generation", as Linux's tcp_v4_send_reset() writes it:
 * from the port it came to, back to the port it came from. If the segment
 * acknowledged something, the reset takes that as its sequence number;
 * otherwise it acknowledges everything the segment occupied (its data,
 * and one each for SYN and FIN). No options, no window. */
static void write_reset(const struct datagram *d, uint8_t *tcp)
{
    const uint8_t *in = d->ip.payload;
    uint8_t flags = in[13];

    memset(tcp, 0, TCP_HEADER_LEN);
    memcpy(tcp, in + 2, 2);
    memcpy(tcp + 2, in, 2);
    if (flags & TCP_ACK) {
        memcpy(tcp + 4, in + 8, 4);
        tcp[13] = TCP_RST;
    } else {
        size_t data_len = d->ip.payload_len - (size_t)(in[12] >> 4) * 4;
        uint32_t occupied = (uint32_t)data_len + !!(flags & TCP_SYN) + !!(flags & TCP_FIN);
        write_be32(tcp + 8, read_be32(in + 4) + occupied);
        tcp[13] = TCP_RST | TCP_ACK;
    }
    tcp[12] = (TCP_HEADER_LEN / 4) << 4;
}

static size_t write_reset_datagram(const struct datagram *d, uint8_t *reply)
{
    struct ipv4_header_fields header = {
        /* Linux's ip_send_unicast_reply(): the request's TOS, without its
         * ECN bits (a reset is not part of a flow that negotiated ECN). */
        .tos = d->ip.tos & 0xfc,
        .ttl = REPLY_TTL,
        .protocol = IPV4_PROTOCOL_TCP,
        .payload_len = TCP_HEADER_LEN,
        .options = d->options.reply,
        .options_len = d->options.reply_len,
    };
    memcpy(header.src, d->ip.dst, 4);
    memcpy(header.dst, d->ip.src, 4);
    size_t header_len = ipv4_write_header(reply, &header);

    struct ipv4_view out = {.protocol = IPV4_PROTOCOL_TCP};
    memcpy(out.src, header.src, 4);
    memcpy(out.dst, header.dst, 4);
    uint8_t *tcp = reply + header_len;
    write_reset(d, tcp);
    write_be16(tcp + 16, (uint16_t)~pseudo_header_sum(&out, tcp, TCP_HEADER_LEN, TCP_HEADER_LEN));
    return header_len + TCP_HEADER_LEN;
}

/* TCP (Linux's tcp_v4_rcv): nobody listens either, and TCP says so with a
 * reset (RFC 793), after its own checks; never a reset for a reset, which
 * could bounce between two hosts for ever. */
static enum verdict tcp_input(struct datagram *d, FILE *log)
{
    const uint8_t *tcp = d->ip.payload;
    char from[16];

    dotted(from, d->ip.src);
    if (d->ip.payload_len < TCP_HEADER_LEN || (size_t)(tcp[12] >> 4) * 4 < TCP_HEADER_LEN ||
        (size_t)(tcp[12] >> 4) * 4 > d->ip.payload_len)
        return refuse(log, TCP_TOO_SHORT, "TCP segment of %zu bytes from %s, shorter than its "
                      "header", d->ip.payload_len, from);
    if (!transport_checksum_ok(&d->ip, tcp, d->ip.payload_len))
        return refuse(log, BAD_TCP_CHECKSUM, "TCP checksum 0x%04x from %s does not verify",
                      read_be16(tcp + 16), from);
    if (tcp[13] & TCP_RST)
        return refuse(log, TCP_RESET_RECEIVED, "TCP reset from %s: never answered",
                      from);
    d->reply_len = write_reset_datagram(d, d->reply);
    fprintf(log, "TCP %s port %u -> port %u, nobody listens: sent a reset\n", from,
            read_be16(tcp), read_be16(tcp + 2));
    return TCP_RESET_SENT;
}

/* ---- the protocols this host speaks ---------------------------------------- */

/* IGMP (2) and PIM (103): Linux always has them, for multicast group
 * membership and multicast routing, and answers neither with anything:
 * measured, every other protocol number but ICMP, TCP, UDP and UDP-Lite
 * gets a protocol unreachable from Linux 6.18. */
static enum verdict multicast_input(struct datagram *d, FILE *log)
{
    char from[16];

    return refuse(log, MULTICAST_CONTROL, "%s from %s: multicast control, nothing to answer",
                  ipv4_protocol_name(d->ip.protocol), dotted(from, d->ip.src));
}

typedef enum verdict (*protocol_input)(struct datagram *d, FILE *log);

/* Like Linux's inet_protos: a protocol is an entry, not a branch. A
 * protocol without one gets a protocol unreachable. */
static const protocol_input PROTOCOLS[256] = {
    [IPV4_PROTOCOL_ICMP] = icmp_input,
    [IPV4_PROTOCOL_IGMP] = multicast_input,
    [IPV4_PROTOCOL_TCP] = tcp_input,
    [IPV4_PROTOCOL_UDP] = udp_input,
    [IPV4_PROTOCOL_PIM] = multicast_input,
    [IPV4_PROTOCOL_UDPLITE] = udplite_input,
};

static enum verdict deliver(struct datagram *d, FILE *log)
{
    protocol_input input = PROTOCOLS[d->ip.protocol];
    char from[16];

    if (input)
        return input(d, log);
    fprintf(log, "%s (%u) from %s, a protocol we do not speak: ",
            ipv4_protocol_name(d->ip.protocol), d->ip.protocol, dotted(from, d->ip.src));
    d->send_error = 1;
    d->error.type = ICMP_DESTINATION_UNREACHABLE;
    d->error.code = ICMP_UNREACHABLE_PROTOCOL;
    d->quote_len = d->ip.total_len;
    return PROTOCOL_UNREACHABLE;
}

/* ---- errors ---------------------------------------------------------------- */

/* RFC 1122 3.2.2: is the datagram itself an ICMP error (or too short to
 * tell, which Linux treats alike)? */
static int is_icmp_error(const struct ipv4_view *ip)
{
    return ip->protocol == IPV4_PROTOCOL_ICMP &&
           (ip->payload_len < 1 || icmp_type_is_error(ip->payload[0]));
}

/*
 * Sends the error the ladder or a protocol asked for, unless it may not
 * be sent. The datagram is quoted as Linux holds it: cut to quote_len,
 * its options as they were stamped on arrival (Linux stamps the datagram
 * itself, and does not compute its header checksum again).
 */
static enum verdict send_error(struct datagram *d, enum verdict due, FILE *log)
{
    uint8_t quote[ICMP_ERROR_MAX_LEN];
    char to[16];

    if (is_icmp_error(&d->ip)) {
        fputs("not sent: never an error about an ICMP error (RFC 1122 3.2.2)\n", log);
        return ABOUT_AN_ERROR;
    }
    /* To the source; or back along a reversed source route, to its first
     * hop (a parameter problem about a source-routed datagram, as Linux). */
    d->error.to = d->options.source_routed ? d->options.first_hop : d->ip.src;
    switch (ratelimit_allow(&buckets, &limits, d->error.to, d->error.type, d->error.code,
                            uptime_ms())) {
    case RATELIMIT_SEND:
        break;
    case RATELIMIT_GLOBAL:
        fprintf(log, "not sent: more than %u errors a second\n", limits.msgs_per_sec);
        return RATE_LIMITED;
    case RATELIMIT_PEER:
        fprintf(log, "not sent: one error every %u ms to %s\n", limits.ratelimit_ms,
                dotted(to, d->error.to));
        return RATE_LIMITED;
    }
    size_t quote_len = d->quote_len < sizeof quote ? d->quote_len : sizeof quote;
    memcpy(quote, d->packet, quote_len);
    memcpy(quote + IPV4_MIN_HEADER_LEN, d->options.arrived, d->ip.header_len - IPV4_MIN_HEADER_LEN);
    d->error.ttl = REPLY_TTL;
    d->error.identification = next_identification++;
    d->error.options = d->options.reply;
    d->error.options_len = d->options.reply_len;
    d->reply_len = icmp_error_write(d->reply, &d->ip, quote, quote_len, &d->error);
    fprintf(log, "sent %s (type %u, code %u) to %s\n", icmp_type_name(d->error.type),
            d->error.type, d->error.code, dotted(to, d->error.to));
    return due;
}

static size_t handle_packet(const uint8_t *packet, size_t len, uint8_t *reply, FILE *log)
{
    struct datagram d = {.packet = packet, .reply = reply};

    enum verdict verdict = check_request(packet, len, &d, log);
    if (verdict == DELIVER)
        verdict = deliver(&d, log);
    if (d.send_error)
        verdict = send_error(&d, verdict, log);
    counters[verdict]++;
    return d.reply_len;
}

/* On SIGUSR1 and at exit: how many packets ended on each rung. */
static void report_counters(FILE *out)
{
    fputs("09-icmp-errors: packets by verdict\n", out);
    for (int v = 0; v < VERDICT_COUNT; v++)
        fprintf(out, "  %-26s %lu\n", VERDICTS[v].name, counters[v]);
}

int main(int argc, char **argv)
{
    static const struct step step = {
        .name = "09-icmp-errors",
        .summary = "Step 09: step 08, and the rest of ICMP as Linux answers it: port and "
                   "protocol unreachable, parameter problem, timestamp replies, within "
                   "Linux's rate limits.",
        .handle = handle_packet,
        .report = report_counters,
        .host = &host,
        .drops_privileges = 1,
        .ratelimit = &limits,
    };
    return step_run(&step, argc, argv);
}
