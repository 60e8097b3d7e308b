/*
 * Step 11: IPv6.
 *
 * `ping -6 2001:db8::2` reached every step so far, and every step said it
 * ignored it: "IPv6 packet, this step speaks IPv4 only". This step is step
 * 10, whole, for IPv4, and the same host for IPv6: handle_packet() looks
 * at the version first. An IPv6 packet climbs a ladder of its own (RFC
 * 8200: no header checksum; the extension headers walked in section 4's
 * order, common/ipv6.c), and ICMPv6 (RFC 4443) answers echo, never an
 * error, and never Neighbor Discovery: a tun has no link layer addresses
 * to resolve. ICMPv6's checksum covers the addresses (RFC 8200 8.1): the
 * IPv6 header has no checksum of its own to protect them.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bytes.h"
#include "checksum.h"
#include "echo.h"
#include "fragment.h"
#include "host.h"
#include "icmp_error.h"
#include "icmpv6.h"
#include "ipv6.h"
#include "options.h"
#include "ratelimit.h"
#include "reassembly.h"
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
    BAD_SOURCE,
    MARTIAN_SOURCE,
    TO_BROADCAST,
    NOT_OURS,
    BAD_OPTIONS,
    FRAGMENT_HELD,
    FRAGMENT_DUPLICATE,
    FRAGMENTS_OVERLAP,
    DATAGRAM_TOO_LONG,
    FRAGMENTS_INCONSISTENT,
    REASSEMBLY_MEMORY_FULL,
    REASSEMBLY_TIMEOUT,
    REASSEMBLED,
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
    REPLY_TOO_FRAGMENTED,
    ANSWERED,
    TIMESTAMP_ANSWERED,
    PORT_UNREACHABLE,
    TCP_RESET_SENT,
    PROTOCOL_UNREACHABLE,
    PARAMETER_PROBLEM,
    /* IPv6 (step 11): a ladder of its own, then ICMPv6; UDP, UDP-Lite and
     * TCP end on the rungs above. */
    IPV6_LINK_TOO_SMALL,
    IPV6_PACKET_TOO_SHORT,
    IPV6_PAYLOAD_PAST_END,
    IPV6_BAD_SOURCE,
    IPV6_MARTIAN_SOURCE,
    IPV6_NOT_OURS,
    IPV6_GROUP_NOT_JOINED,
    IPV6_HEADER_DROPPED,
    IPV6_NO_NEXT_HEADER,
    IPV6_FRAGMENT_PROBLEM,
    IPV6_PARAMETER_PROBLEM,
    IPV6_UNKNOWN_NEXT_HEADER,
    ICMPV6_TOO_SHORT,
    BAD_ICMPV6_CHECKSUM,
    ICMPV6_ERROR,
    NEIGHBOR_DISCOVERY,
    MULTICAST_LISTENER,
    ICMPV6_NOT_ANSWERED,
    IPV6_NO_ERROR,
    IPV6_ANSWERED,
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
    [BAD_SOURCE] = {"bad-source", "RFC 1122 3.2.1.3: no host sends from that address"},
    [MARTIAN_SOURCE] = {"martian-source", "RFC 1122 3.2.1.3: from our own address, or from a broadcast"},
    [TO_BROADCAST] = {"to-broadcast", "RFC 1122 3.2.2.6: echo to broadcast or multicast MAY be discarded"},
    [NOT_OURS] = {"not-ours", "RFC 1122 3.2.1.3: addressed to another host"},
    [BAD_OPTIONS] = {"bad-options", "an IP option that cannot be, and no parameter problem can be built (or it is not a first fragment)"},
    [FRAGMENT_HELD] = {"fragment-held", "a fragment, kept until its datagram is whole (RFC 791, RFC 1122 3.3.2)"},
    [FRAGMENT_DUPLICATE] = {"fragment-duplicate", "a fragment with only bytes already held: dropped, the rest kept"},
    [FRAGMENTS_OVERLAP] = {"fragments-overlap", "fragments that overlap otherwise: the whole datagram dropped (RFC 5722, Linux)"},
    [DATAGRAM_TOO_LONG] = {"datagram-too-long", "a fragment that would end past 65535 bytes: the ping of death, datagram dropped"},
    [FRAGMENTS_INCONSISTENT] = {"fragments-inconsistent", "an empty fragment, one past the end, or a second end: datagram dropped"},
    [REASSEMBLY_MEMORY_FULL] = {"reassembly-memory-full", "more than --ipfrag-high-thresh bytes held: fragment dropped"},
    [REASSEMBLY_TIMEOUT] = {"reassembly-timeout", "not whole within --ipfrag-time seconds: freed, time exceeded (11/1) if its first fragment came"},
    [REASSEMBLED] = {"reassembled", "a datagram whole again (counted besides its own verdict)"},
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
    [REPLY_TOO_FRAGMENTED] = {"reply-too-fragmented", "a reply whose fragments would not fit Linux's ICMP send buffer: not sent"},
    [ANSWERED] = {"answered", "an echo request, answered (RFC 1122 3.2.2.6)"},
    [TIMESTAMP_ANSWERED] = {"timestamp-answered", "a timestamp request, answered (RFC 792)"},
    [PORT_UNREACHABLE] = {"port-unreachable", "UDP or UDP-Lite to a port nobody listens on (RFC 1122 3.2.2.1)"},
    [TCP_RESET_SENT] = {"tcp-reset-sent", "TCP to a port nobody listens on: a reset (RFC 793)"},
    [PROTOCOL_UNREACHABLE] = {"protocol-unreachable", "a protocol this host does not speak (RFC 1122 3.2.2.1)"},
    [PARAMETER_PROBLEM] = {"parameter-problem", "an IP option that cannot be (RFC 1122 3.2.2.5)"},
    [IPV6_LINK_TOO_SMALL] = {"ipv6-link-below-1280", "IPv6 on a link whose MTU is under the 1280 bytes IPv6 needs (RFC 8200 5): Linux turns IPv6 off there, and so do we"},
    [IPV6_PACKET_TOO_SHORT] = {"ipv6-too-short", "fewer than 40 bytes: no room for an IPv6 header"},
    [IPV6_PAYLOAD_PAST_END] = {"ipv6-payload-past-end", "payload length says more than was read"},
    [IPV6_BAD_SOURCE] = {"ipv6-bad-source", "from ::1, a multicast or an IPv4-mapped address, which no host sends from (RFC 4291); TCP from ::"},
    [IPV6_MARTIAN_SOURCE] = {"ipv6-martian-source", "from our own address: a packet from outside cannot be"},
    [IPV6_NOT_OURS] = {"ipv6-not-ours", "to a unicast address that is not ours"},
    [IPV6_GROUP_NOT_JOINED] = {"ipv6-group-not-joined", "to a multicast group we are not in (we are in ff02::1 and our solicited-node groups)"},
    [IPV6_HEADER_DROPPED] = {"ipv6-header-dropped", "an extension header that says drop without a word (RFC 8200 4.2, 4.4)"},
    [IPV6_NO_NEXT_HEADER] = {"ipv6-no-next-header", "next header 59: nothing follows (RFC 8200 4.7)"},
    [IPV6_FRAGMENT_PROBLEM] = {"fragment-parameter-problem", "an IPv6 fragment Linux refuses with a parameter problem: not a multiple of 8 with more to come, past 65535, or a first fragment without the upper-layer header (RFC 8200 4.5, RFC 7112)"},
    [IPV6_PARAMETER_PROBLEM] = {"ipv6-parameter-problem", "an extension header that cannot be: parameter problem with its pointer (RFC 8200 4)"},
    [IPV6_UNKNOWN_NEXT_HEADER] = {"ipv6-unknown-next-header", "a next header we do not speak: parameter problem code 1 (RFC 8200 4)"},
    [ICMPV6_TOO_SHORT] = {"icmpv6-too-short", "ICMPv6 shorter than its 8-byte header"},
    [BAD_ICMPV6_CHECKSUM] = {"bad-icmpv6-checksum", "RFC 4443 2.3: the checksum, pseudo-header included, must verify"},
    [ICMPV6_ERROR] = {"icmpv6-error", "an ICMPv6 error: noted, never answered (RFC 4443 2.4)"},
    [NEIGHBOR_DISCOVERY] = {"neighbor-discovery", "router and neighbor solicitations, advertisements, redirects (RFC 4861): a tun has no link layer, never answered"},
    [MULTICAST_LISTENER] = {"multicast-listener", "MLD queries and reports (RFC 2710, RFC 3810): never answered"},
    [ICMPV6_NOT_ANSWERED] = {"icmpv6-not-answered", "an echo reply, or an informational type we do not know (RFC 4443 2.4 (b))"},
    [IPV6_NO_ERROR] = {"ipv6-no-error", "an error was due, and RFC 4443 2.4 (e) forbids it"},
    [IPV6_ANSWERED] = {"ipv6-answered", "an ICMPv6 echo request, answered (RFC 4443 4.2)"},
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

/* Errors, and replies we cut into fragments, may be fragmented, so each
 * needs an identification of its own (RFC 6864): a counter. */
static uint16_t next_identification;

/* Where fragments wait for the rest of their datagram, within the bounds
 * the runner fills from --ipfrag-time and --ipfrag-high-thresh (Linux's
 * defaults unless given; tests and fuzzers through STEP_REASSEMBLY). */
static struct reassembly_settings reassembly_settings = REASSEMBLY_LINUX_DEFAULTS;
static struct reassembly *fragments;
#define STEP_REASSEMBLY reassembly_settings

/* IPv6's fragments wait in a table of their own, as in Linux (whose
 * net.ipv6.ip6frag_time is 60 s, ip6frag_high_thresh 4 MiB).
 * --ipfrag-time and --ipfrag-high-thresh set both tables; IPv6's time stays
 * Linux's 60 s unless --ipfrag-time says something other than IPv4's 30. */
static struct reassembly_settings reassembly6_settings = REASSEMBLY6_LINUX_DEFAULTS;
static struct reassembly *fragments6;

/* The identification of the IPv6 packets we cut into fragments: a counter
 * too (Linux hashes the two addresses with a secret and adds a counter,
 * ipv6_select_ident(), so that no one can guess the next; on a tun to one
 * peer a counter says the same: each packet cut gets a new number). */
static uint32_t next_identification6;

/* The tun, as the runner lets us write to it: its MTU and send()
 * (tests and fuzzers fill it through STEP_LINK). */
static struct step_link tun;
#define STEP_LINK tun

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
    /* Never an error about a fragment but the first (RFC 1122 3.2.2;
     * Linux's icmp_send() refuses): the fragment is dropped, and its
     * datagram waits for a good copy of it, or times out. */
    if (ip->fragment_offset != 0)
        return refuse(log, BAD_OPTIONS, "%s, in a fragment at offset %u: no error about a "
                      "fragment but the first", why, ip->fragment_offset);
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
static void write_reset(const uint8_t *in, size_t segment_len, uint8_t *tcp)
{
    uint8_t flags = in[13];

    memset(tcp, 0, TCP_HEADER_LEN);
    memcpy(tcp, in + 2, 2);
    memcpy(tcp + 2, in, 2);
    if (flags & TCP_ACK) {
        memcpy(tcp + 4, in + 8, 4);
        tcp[13] = TCP_RST;
    } else {
        size_t data_len = segment_len - (size_t)(in[12] >> 4) * 4;
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
    write_reset(d->ip.payload, d->ip.payload_len, tcp);
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

/* ---- fragments ------------------------------------------------------------- */

/*
 * A fragment that climbed the ladder goes to the table (Linux's
 * ip_defrag, from ip_local_deliver). When it completes its datagram, the
 * whole datagram climbs the ladder again from its header, so that its
 * options are those of its first fragment (Linux answers with them), and
 * goes on (DELIVER) as step 09's datagrams do. (A Timestamp option is so
 * stamped when the datagram is whole; Linux stamps it as the first
 * fragment arrives: milliseconds apart.)
 */
static enum verdict reassemble(struct datagram *d, FILE *log)
{
    char from[16];

    dotted(from, d->ip.src);
    /* [exercise 10: put the fragment in the table (reassembly_new(&reassembly_settings) the first time, then reassembly_add(fragments, d->packet, &d->ip, uptime_ms(), whole, &whole_len), `whole` a static buffer of STEP_MAX_PACKET bytes); log one line and return the rung its outcome names (fragment-held, fragment-duplicate, ...); when the datagram is whole, count REASSEMBLED, make `d` a new struct datagram for it ({.packet = whole, .reply = d->reply}) and return check_request(whole, whole_len, d, log)] */
    static const enum verdict RUNGS[] = {
        [REASSEMBLY_HELD] = FRAGMENT_HELD,
        [REASSEMBLY_COMPLETE] = REASSEMBLED,
        [REASSEMBLY_DUPLICATE] = FRAGMENT_DUPLICATE,
        [REASSEMBLY_OVERLAP] = FRAGMENTS_OVERLAP,
        [REASSEMBLY_TOO_LONG] = DATAGRAM_TOO_LONG,
        [REASSEMBLY_INCONSISTENT] = FRAGMENTS_INCONSISTENT,
        [REASSEMBLY_NO_MEMORY] = REASSEMBLY_MEMORY_FULL,
    };
    static uint8_t whole[STEP_MAX_PACKET];     /* the datagram made whole */
    size_t whole_len;

    if (!fragments)
        fragments = reassembly_new(&reassembly_settings);
    if (!fragments)
        return refuse(log, REASSEMBLY_MEMORY_FULL, "fragment from %s: no memory for the "
                      "reassembly table", from);
    enum reassembly_outcome outcome = reassembly_add(fragments, d->packet, &d->ip, uptime_ms(),
                                                     whole, &whole_len);
    fprintf(log, "fragment id %u from %s (offset %u, %zu bytes, %s): ", d->ip.identification,
            from, d->ip.fragment_offset, d->ip.payload_len,
            d->ip.more_fragments ? "more follow" : "the last");
    if (outcome != REASSEMBLY_COMPLETE) {
        fprintf(log, "%s (%zu datagrams, %zu bytes held)\n", reassembly_outcome_name(outcome),
                reassembly_count(fragments), reassembly_memory(fragments));
        return RUNGS[outcome];
    }
    counters[REASSEMBLED]++;
    fprintf(log, "datagram whole again, %zu bytes; ", whole_len);
    struct datagram again = {.packet = whole, .reply = d->reply};
    *d = again;
    return check_request(whole, whole_len, d, log);
    /* [starter] return refuse(log, FRAGMENT_HELD, "fragment id %u from %s (offset %u, %s), not reassembled yet", d->ip.identification, from, d->ip.fragment_offset, d->ip.more_fragments ? "more follow" : "the last"); */
    /* [end exercise] */
}

/*
 * Everything we send goes out here. What fits the tun's MTU goes as it is;
 * a longer datagram is cut into fragments as Linux cuts its own. Ours are
 * written with Don't Fragment and identification 0 (RFC 6864: an atomic
 * datagram's identification means nothing); one cut into fragments is
 * atomic no more, and its fragments need an identification of their own,
 * the next of our counter. Returns the number of packets sent.
 */
/* [exercise 10: write send_datagram(): what fits tun.mtu goes out as it is, tun.send(tun.context, datagram, len, log); a longer datagram gets the next identification (write_be16(datagram + 4, next_identification++)) and is cut by ipv4_fragment(datagram, len, tun.mtu, send_fragment, log), where send_fragment() hands each fragment to tun.send(); "not sent: ..." in one line if the MTU leaves no room for a fragment] */
static void send_fragment(void *log, const uint8_t *fragment, size_t len)
{
    tun.send(tun.context, fragment, len, log);
}

static size_t send_datagram(uint8_t *datagram, size_t len, FILE *log)
{
    if (len <= tun.mtu) {
        tun.send(tun.context, datagram, len, log);
        return 1;
    }
    write_be16(datagram + 4, next_identification++);
    size_t sent = ipv4_fragment(datagram, len, tun.mtu, send_fragment, log);
    if (sent == 0)
        fprintf(log, "not sent: an MTU of %u leaves no room for a %u-byte header and 8 bytes "
                "of data\n", tun.mtu, (datagram[0] & 0x0f) * 4);
    return sent;
}
/* [starter] static size_t send_datagram(uint8_t *datagram, size_t len, FILE *log) */
/* [starter] { */
/* [starter]     if (len > tun.mtu) { */
/* [starter]         fprintf(log, "not sent: %zu bytes do not fit an MTU of %u\n", len, tun.mtu); */
/* [starter]         return 0; */
/* [starter]     } */
/* [starter]     tun.send(tun.context, datagram, len, log); */
/* [starter]     return 1; */
/* [starter] } */
/* [end exercise] */

/* ---- IPv6 ------------------------------------------------------------------ */

/*
 * An IPv6 packet for us, on its way to its upper layer, and what that
 * decided: a reply it wrote, or an ICMPv6 error to send about the packet.
 */
struct packet6 {
    const uint8_t *packet;          /* from its IPv6 header on */
    size_t len;
    struct ipv6_view ip;
    struct ipv6_walk walk;          /* where the upper layer starts, and more */
    const uint8_t *upper;           /* the upper-layer message (ICMPv6, UDP, TCP) */
    size_t upper_len;
    uint8_t *reply;
    size_t reply_len;
    struct icmpv6_error error;      /* with send_error, the error to send */
    size_t quote_payload;           /* of the packet's payload, how much it quotes */
    int send_error;
};

/* "2001:db8::1", for log lines. */
static const char *text6(char text[48], const uint8_t a[16])
{
    FILE *out = fmemopen(text, 48, "w");

    text[0] = '\0';
    if (out) {
        ipv6_print_address(out, a);
        fclose(out);
    }
    return text;
}

/* RFC 4291 2.5: addresses no packet from another host may come from. The
 * unspecified address :: is not among them: a host that has no address
 * yet sends from it (RFC 4861's solicitations), and the protocols above
 * decide (nothing can be sent back to it). */
static const char *no_host_address6(const uint8_t a[16])
{
    static const uint8_t LOOPBACK[16] = {[15] = 1};
    static const uint8_t V4_MAPPED[12] = {[10] = 0xff, [11] = 0xff};

    if (ipv6_is_multicast(a))
        return "a multicast address";
    if (memcmp(a, LOOPBACK, 16) == 0)
        return "the loopback address";
    if (memcmp(a, V4_MAPPED, 12) == 0)
        return "an IPv4-mapped address";
    return NULL;
}

/*
 * IPv6's ladder (Linux's ip6_rcv_core, then ip6_input_finish): the header,
 * the addresses, then the chain of extension headers, walked as RFC 8200
 * section 4 says (common/ipv6.c). There is no header checksum to check:
 * IPv6 leaves that to the link below and the upper layer above, whose
 * checksum covers the addresses (RFC 8200 8.1).
 */
static enum verdict check_request6(const uint8_t *packet, size_t len, struct packet6 *d,
                                   FILE *log)
{
    struct ipv6_view *ip = &d->ip;
    char address[48];

    enum ipv6_status status = ipv6_parse(packet, len, ip);
    if (status != IPV6_OK) {
        ipv6_explain(log, status, packet, len);
        fputc('\n', log);
        return status == IPV6_TOO_SHORT ? IPV6_PACKET_TOO_SHORT : IPV6_PAYLOAD_PAST_END;
    }
    const char *what = no_host_address6(ip->src);
    if (what)
        return refuse(log, IPV6_BAD_SOURCE, "source %s is %s, which no host sends from",
                      text6(address, ip->src), what);
    if (host_classify6(&host, ip->src) == HOST6_OWN)
        return refuse(log, IPV6_MARTIAN_SOURCE, "source %s is our own address, which a packet "
                      "from outside cannot come from", text6(address, ip->src));
    switch (host_classify6(&host, ip->dst)) {
    case HOST6_OWN:
    case HOST6_MULTICAST_MEMBER:
        break;
    case HOST6_MULTICAST_OTHER:
        /* The router solicitations a fresh tun carries go to all routers,
         * ff02::2, which a host is not in: named, as Neighbor Discovery. */
        if (ip->next_header == IPV6_NEXT_ICMPV6 && ip->payload_bytes > 0 &&
            ip->payload[0] >= ICMPV6_ROUTER_SOLICITATION && ip->payload[0] <= ICMPV6_REDIRECT)
            return refuse(log, NEIGHBOR_DISCOVERY, "ICMPv6 %s (type %u) to %s: no neighbor "
                          "discovery on a tun, and we are in no routers' group",
                          icmpv6_type_name(ip->payload[0]), ip->payload[0],
                          text6(address, ip->dst));
        return refuse(log, IPV6_GROUP_NOT_JOINED, "destination %s is a multicast group we are "
                      "not in", text6(address, ip->dst));
    case HOST6_OTHER:
        return refuse(log, IPV6_NOT_OURS, "destination %s is not one of our addresses",
                      text6(address, ip->dst));
    }

    struct ipv6_walk *walk = &d->walk;
    switch (ipv6_walk_headers(ip, walk)) {
    case IPV6_WALK_UPPER:
        d->upper = packet + walk->offset;
        d->upper_len = IPV6_HEADER_LEN + ip->payload_bytes - walk->offset;
        return DELIVER;
    case IPV6_WALK_NO_NEXT_HEADER:
        return refuse(log, IPV6_NO_NEXT_HEADER, "IPv6 packet from %s with no next header (59): "
                      "nothing to deliver", text6(address, ip->src));
    case IPV6_WALK_FRAGMENT:
        return DELIVER;             /* to the reassembly table (handle_ipv6) */
    case IPV6_WALK_DROP:
        fputs("ignored: ", log);
        ipv6_walk_explain(log, walk);
        fputc('\n', log);
        return IPV6_HEADER_DROPPED;
    case IPV6_WALK_PARAMETER_PROBLEM:
        break;
    }
    ipv6_walk_explain(log, walk);
    fputs(": ", log);
    d->send_error = 1;
    d->error.type = ICMPV6_PARAMETER_PROBLEM;
    d->error.code = walk->code;
    d->error.info = walk->pointer;
    return IPV6_PARAMETER_PROBLEM;
}

/* ---- ICMPv6 ---------------------------------------------------------------- */

/*
 * The echo reply (RFC 4443 4.2): from the address the request came to, or,
 * for a request to a group, from the address of ours Linux would pick;
 * hop limit 64, the request's traffic class whole (measured: Linux
 * reflects it, ECN too), flow label 0 (Linux hashes one: a listed
 * difference), then the request's identifier, sequence and data.
 */
static size_t write_echo_reply6(const struct packet6 *d, const uint8_t src[16], uint8_t *reply)
{
    struct ipv6_header_fields header = {
        .traffic_class = d->ip.traffic_class,
        .hop_limit = REPLY_TTL,
        .next_header = IPV6_NEXT_ICMPV6,
        .payload_len = d->upper_len,
    };
    memcpy(header.src, src, 16);
    memcpy(header.dst, d->ip.src, 16);
    size_t header_len = ipv6_write_header(reply, &header);

    uint8_t *icmp = reply + header_len;
    memcpy(icmp, d->upper, d->upper_len);
    icmp[0] = ICMPV6_ECHO_REPLY;
    icmp[1] = 0;
    write_be16(icmp + 2, 0);
    /* [exercise 11: the checksum: RFC 8200 8.1 says ICMPv6's covers a pseudo-header first (our address, theirs, the ICMPv6 length as 32 bits, three zero bytes and next header 58), then the message: write_be16(icmp + 2, icmpv6_checksum(header.src, header.dst, icmp, d->upper_len)) (common/icmpv6.h). Summed without it, ping -6 and Wireshark say what?] */
    write_be16(icmp + 2, icmpv6_checksum(header.src, header.dst, icmp, d->upper_len));
    /* [starter] write_be16(icmp + 2, inet_checksum(icmp, d->upper_len)); */
    /* [end exercise] */
    return header_len + d->upper_len;
}

/* The address of ours to send from, to the source of `d`: the one it came
 * to, or, when it came to a group, the one Linux would pick (RFC 6724). */
static const uint8_t *our_source6(const struct packet6 *d)
{
    if (host_classify6(&host, d->ip.dst) == HOST6_OWN)
        return d->ip.dst;
    return host_source6_for(&host, d->ip.src);
}

/* ICMPv6 (Linux's icmpv6_rcv): its checksum first, then by type. Echo is
 * answered; an error never is (RFC 4443 2.4); Neighbor Discovery and MLD
 * are for hosts on a link with link layer addresses and groups to manage,
 * and a tun has neither: noted, never answered. */
static enum verdict icmpv6_input(struct packet6 *d, FILE *log)
{
    struct icmp_view icmp;
    char from[48], to[48], ours[48];

    text6(from, d->ip.src);
    if (icmp_parse(d->upper, d->upper_len, &icmp) < 0)
        return refuse(log, ICMPV6_TOO_SHORT, "ICMPv6 message of %zu bytes from %s, shorter "
                      "than 8", d->upper_len, from);
    if (!icmpv6_checksum_ok(d->ip.src, d->ip.dst, d->upper, d->upper_len))
        return refuse(log, BAD_ICMPV6_CHECKSUM, "ICMPv6 checksum 0x%04x from %s does not "
                      "verify (with the pseudo-header)", icmp.checksum, from);
    if (icmpv6_type_is_error(icmp.type))
        return refuse(log, ICMPV6_ERROR, "ICMPv6 %s (type %u, code %u) from %s: an error is "
                      "never answered", icmpv6_type_name(icmp.type), icmp.type, icmp.code, from);
    switch (icmp.type) {
    case ICMPV6_ECHO_REQUEST: {
        if (ipv6_is_unspecified(d->ip.src))
            return refuse(log, ICMPV6_NOT_ANSWERED, "echo request from ::, to which no reply "
                          "can go");
        const uint8_t *src = our_source6(d);
        if (!src)
            return refuse(log, ICMPV6_NOT_ANSWERED, "echo request from %s to a group: no "
                          "address of ours to answer from", from);
        d->reply_len = write_echo_reply6(d, src, d->reply);
        fprintf(log, "ICMPv6 echo request %s -> %s id %u seq %u, %zu bytes of data: replied "
                "from %s\n", from, text6(to, d->ip.dst), icmp.identifier, icmp.sequence,
                icmp.data_len, text6(ours, src));
        return IPV6_ANSWERED;
    }
    case ICMPV6_ROUTER_SOLICITATION:
    case ICMPV6_ROUTER_ADVERTISEMENT:
    case ICMPV6_NEIGHBOR_SOLICITATION:
    case ICMPV6_NEIGHBOR_ADVERTISEMENT:
    case ICMPV6_REDIRECT:
        return refuse(log, NEIGHBOR_DISCOVERY, "ICMPv6 %s (type %u) from %s: no neighbor "
                      "discovery on a tun", icmpv6_type_name(icmp.type), icmp.type, from);
    case ICMPV6_MLD_QUERY:
    case ICMPV6_MLD_REPORT:
    case ICMPV6_MLD_DONE:
    case ICMPV6_MLD2_REPORT:
        return refuse(log, MULTICAST_LISTENER, "ICMPv6 %s (type %u) from %s: multicast "
                      "listener discovery, nothing to answer", icmpv6_type_name(icmp.type),
                      icmp.type, from);
    default:
        return refuse(log, ICMPV6_NOT_ANSWERED, "ICMPv6 %s (type %u) from %s, not answered",
                      icmpv6_type_name(icmp.type), icmp.type, from);
    }
}

/* ---- UDP, UDP-Lite and TCP over IPv6 ---------------------------------------- */

/* The pseudo-header of RFC 8200 8.1 for `protocol`, then `covered` bytes
 * of the segment: what UDP's and TCP's checksums sum, as ICMPv6's does. */
static uint16_t pseudo_header_sum6(const uint8_t src[16], const uint8_t dst[16],
                                   uint8_t protocol, const uint8_t *segment, size_t len,
                                   size_t covered)
{
    uint8_t pseudo[40] = {0};

    memcpy(pseudo, src, 16);
    memcpy(pseudo + 16, dst, 16);
    write_be32(pseudo + 32, (uint32_t)len);
    pseudo[39] = protocol;
    return inet_sum(inet_sum(0, pseudo, sizeof pseudo), segment, covered);
}

/* Port unreachable (1/4) about the packet, its payload cut to `payload`
 * bytes (Linux trims a UDP datagram to its length first). */
static enum verdict port_unreachable6(struct packet6 *d, size_t payload, FILE *log)
{
    char from[48];

    fprintf(log, "%s %s port %u -> port %u, nobody listens: ",
            ipv6_next_header_name(d->walk.protocol), text6(from, d->ip.src),
            read_be16(d->upper), read_be16(d->upper + 2));
    d->send_error = 1;
    d->error.type = ICMPV6_DESTINATION_UNREACHABLE;
    d->error.code = ICMPV6_UNREACHABLE_PORT;
    d->quote_payload = payload;
    return PORT_UNREACHABLE;
}

/* UDP (Linux's __udp6_lib_rcv): as over IPv4, but a checksum of 0 is no
 * checksum no more: RFC 8200 8.1 makes it mandatory, and Linux drops it.
 * A length of 0 is a length too: RFC 2675 4 writes 0 in a UDP jumbogram,
 * too long for 16 bits, whose length the IPv6 payload gives; only there,
 * but Linux takes any UDP length 0 that way, jumbogram or not, and so do
 * we (measured: ipv6-udp-length-0). */
static enum verdict udp6_input(struct packet6 *d, FILE *log)
{
    const uint8_t *udp = d->upper;
    char from[48];

    text6(from, d->ip.src);
    if (d->upper_len < UDP_HEADER_LEN)
        return refuse(log, UDP_TOO_SHORT, "UDP datagram of %zu bytes from %s, shorter than its "
                      "8-byte header", d->upper_len, from);
    size_t udp_len = read_be16(udp + 4) ? read_be16(udp + 4) : d->upper_len;
    if (udp_len < UDP_HEADER_LEN || udp_len > d->upper_len)
        return refuse(log, UDP_TOO_SHORT, "UDP length %zu from %s, but IPv6 carries %zu bytes",
                      udp_len, from, d->upper_len);
    if (read_be16(udp + 6) == 0 ||
        pseudo_header_sum6(d->ip.src, d->ip.dst, IPV6_NEXT_UDP, udp, udp_len, udp_len) != 0xffff)
        return refuse(log, BAD_UDP_CHECKSUM, "UDP checksum 0x%04x from %s does not verify",
                      read_be16(udp + 6), from);
    return port_unreachable6(d, d->walk.offset - IPV6_HEADER_LEN + udp_len, log);
}

/* UDP-Lite (RFC 3828) over IPv6, as over IPv4. */
static enum verdict udplite6_input(struct packet6 *d, FILE *log)
{
    const uint8_t *udp = d->upper;
    char from[48];

    text6(from, d->ip.src);
    if (d->upper_len < UDP_HEADER_LEN)
        return refuse(log, UDP_TOO_SHORT, "UDP-Lite datagram of %zu bytes from %s, shorter "
                      "than its 8-byte header", d->upper_len, from);
    size_t covered = read_be16(udp + 4) ? read_be16(udp + 4) : d->upper_len;
    if (covered < UDP_HEADER_LEN || covered > d->upper_len)
        return refuse(log, UDP_TOO_SHORT, "UDP-Lite checksum coverage %zu from %s, but IPv6 "
                      "carries %zu bytes", covered, from, d->upper_len);
    if (read_be16(udp + 6) == 0 ||
        pseudo_header_sum6(d->ip.src, d->ip.dst, IPV4_PROTOCOL_UDPLITE, udp, d->upper_len,
                           covered) != 0xffff)
        return refuse(log, BAD_UDP_CHECKSUM, "UDP-Lite checksum 0x%04x from %s does not verify",
                      read_be16(udp + 6), from);
    return port_unreachable6(d, d->ip.payload_bytes, log);
}

/* TCP (Linux's tcp_v6_rcv): a reset as tcp_v6_send_reset() writes it, the
 * same TCP header as over IPv4, in an IPv6 header with the request's
 * traffic class without its ECN bits and hop limit 64. */
static enum verdict tcp6_input(struct packet6 *d, FILE *log)
{
    const uint8_t *tcp = d->upper;
    char from[48];

    text6(from, d->ip.src);
    if (d->upper_len < TCP_HEADER_LEN || (size_t)(tcp[12] >> 4) * 4 < TCP_HEADER_LEN ||
        (size_t)(tcp[12] >> 4) * 4 > d->upper_len)
        return refuse(log, TCP_TOO_SHORT, "TCP segment of %zu bytes from %s, shorter than its "
                      "header", d->upper_len, from);
    if (pseudo_header_sum6(d->ip.src, d->ip.dst, IPV6_NEXT_TCP, tcp, d->upper_len,
                           d->upper_len) != 0xffff)
        return refuse(log, BAD_TCP_CHECKSUM, "TCP checksum 0x%04x from %s does not verify",
                      read_be16(tcp + 16), from);
    if (tcp[13] & TCP_RST)
        return refuse(log, TCP_RESET_RECEIVED, "TCP reset from %s: never answered", from);
    if (ipv6_is_unspecified(d->ip.src))
        return refuse(log, IPV6_BAD_SOURCE, "TCP segment from ::, to which no reset can go");
    if (host_classify6(&host, d->ip.dst) != HOST6_OWN)
        return refuse(log, IPV6_NOT_OURS, "TCP segment from %s to a group: TCP is for unicast "
                      "only", from);
    struct ipv6_header_fields header = {
        .traffic_class = d->ip.traffic_class & 0xfc,
        .hop_limit = REPLY_TTL,
        .next_header = IPV6_NEXT_TCP,
        .payload_len = TCP_HEADER_LEN,
    };
    memcpy(header.src, d->ip.dst, 16);
    memcpy(header.dst, d->ip.src, 16);
    uint8_t *out = d->reply + ipv6_write_header(d->reply, &header);
    write_reset(tcp, d->upper_len, out);
    write_be16(out + 16, (uint16_t)~pseudo_header_sum6(header.src, header.dst, IPV6_NEXT_TCP,
                                                       out, TCP_HEADER_LEN, TCP_HEADER_LEN));
    d->reply_len = IPV6_HEADER_LEN + TCP_HEADER_LEN;
    fprintf(log, "TCP %s port %u -> port %u, nobody listens: sent a reset\n", from,
            read_be16(tcp), read_be16(tcp + 2));
    return TCP_RESET_SENT;
}

/* PIM (103) over IPv6: Linux built with IPv6 multicast routing
 * (CONFIG_IPV6_PIMSM_V2, as the 6.18 kernel measured here is) has an
 * input for it, pim6_rcv(), which drops what is not a register for its
 * own multicast router without a word: no parameter problem, measured
 * (tests/fixtures/ipv6, ipv6-next-header-pim). */
static enum verdict multicast6_input(struct packet6 *d, FILE *log)
{
    char from[48];

    return refuse(log, MULTICAST_CONTROL, "PIM from %s: multicast control, nothing to answer",
                  text6(from, d->ip.src));
}

typedef enum verdict (*protocol_input6)(struct packet6 *d, FILE *log);

/* Like Linux's inet6_protos. A next header without an entry gets a
 * parameter problem, code 1, pointing at the byte that named it. */
static const protocol_input6 PROTOCOLS6[256] = {
    [IPV6_NEXT_TCP] = tcp6_input,
    [IPV6_NEXT_UDP] = udp6_input,
    [IPV6_NEXT_ICMPV6] = icmpv6_input,
    [IPV4_PROTOCOL_PIM] = multicast6_input,
    [IPV4_PROTOCOL_UDPLITE] = udplite6_input,
};

static enum verdict deliver6(struct packet6 *d, FILE *log)
{
    protocol_input6 input = PROTOCOLS6[d->walk.protocol];
    char from[48];

    if (input)
        return input(d, log);
    fprintf(log, "next header %s (%u) from %s, which we do not speak: ",
            ipv6_next_header_name(d->walk.protocol), d->walk.protocol, text6(from, d->ip.src));
    d->send_error = 1;
    d->error.type = ICMPV6_PARAMETER_PROBLEM;
    d->error.code = IPV6_PARAMETER_UNKNOWN_NEXT_HEADER;
    d->error.info = (uint32_t)d->walk.next_header_at;
    return IPV6_UNKNOWN_NEXT_HEADER;
}

/* ---- ICMPv6 errors ---------------------------------------------------------- */

/*
 * Sends the error asked for, unless RFC 4443 2.4 (e) forbids it or the rate
 * limit holds it back (Linux's icmp6_send): from the address it came to, or
 * one of ours Linux would pick; traffic class 0 and hop limit 64
 * (measured); as much of the packet as fits 1280 bytes.
 */
static enum verdict send_error6(struct packet6 *d, enum verdict due, FILE *log)
{
    char to[48];

    d->error.hop_limit = REPLY_TTL;
    d->error.traffic_class = 0;
    const char *forbidden = icmpv6_error_forbidden(&d->ip, &d->error,
                                                   d->walk.error_to_multicast);
    if (forbidden) {
        fprintf(log, "not sent: no error when %s (RFC 4443 2.4 (e))\n", forbidden);
        return IPV6_NO_ERROR;
    }
    d->error.src = our_source6(d);
    if (!d->error.src) {
        fputs("not sent: no address of ours to send it from\n", log);
        return IPV6_NO_ERROR;
    }
    switch (ratelimit_allow6(&buckets, &limits, d->ip.src, d->error.type, uptime_ms())) {
    case RATELIMIT_SEND:
        break;
    case RATELIMIT_GLOBAL:
        fprintf(log, "not sent: more than %u errors a second\n", limits.msgs_per_sec);
        return RATE_LIMITED;
    case RATELIMIT_PEER:
        fprintf(log, "not sent: one error every %u ms to %s\n", limits.ratelimit6_ms,
                text6(to, d->ip.src));
        return RATE_LIMITED;
    }
    struct ipv6_view quoted = d->ip;
    if (d->quote_payload > 0 && d->quote_payload < quoted.payload_bytes)
        quoted.payload_bytes = d->quote_payload;
    d->reply_len = icmpv6_error_write(d->reply, &quoted, d->packet,
                                      IPV6_HEADER_LEN + quoted.payload_bytes, &d->error);
    fprintf(log, "sent ICMPv6 %s (type %u, code %u) to %s\n", icmpv6_type_name(d->error.type),
            d->error.type, d->error.code, text6(to, d->ip.src));
    return due;
}

/* ---- IPv6 fragments ---------------------------------------------------------- */

/* IPv6's table takes the flags' bounds the first time it is needed (see
 * reassembly6_settings). */
static struct reassembly *fragments6_table(void)
{
    static const struct reassembly_settings IPV4_DEFAULTS = REASSEMBLY_LINUX_DEFAULTS;

    if (!fragments6) {
        reassembly6_settings.high_thresh = reassembly_settings.high_thresh;
        if (reassembly_settings.time_s != IPV4_DEFAULTS.time_s)
            reassembly6_settings.time_s = reassembly_settings.time_s;
        fragments6 = reassembly_new(&reassembly6_settings);
    }
    return fragments6;
}

/*
 * A fragment that climbed IPv6's ladder (its walk stopped at the Fragment
 * header) goes to IPv6's table, as Linux's ipv6_frag_rcv() takes it. The
 * outcomes are step 10's rungs, plus the parameter problems Linux sends
 * about a fragment that cannot be (reassembly.h says which). When the
 * packet is whole, it climbs the ladder again from its header, its walk
 * now going past where the Fragment header was, and goes on (DELIVER) to
 * its protocol.
 */
static enum verdict reassemble6(struct packet6 *d, FILE *log)
{
    static const enum verdict RUNGS[] = {
        [REASSEMBLY_HELD] = FRAGMENT_HELD,
        [REASSEMBLY_COMPLETE] = REASSEMBLED,
        [REASSEMBLY_DUPLICATE] = FRAGMENT_DUPLICATE,
        [REASSEMBLY_OVERLAP] = FRAGMENTS_OVERLAP,
        [REASSEMBLY_TOO_LONG] = DATAGRAM_TOO_LONG,
        [REASSEMBLY_INCONSISTENT] = FRAGMENTS_INCONSISTENT,
        [REASSEMBLY_NO_MEMORY] = REASSEMBLY_MEMORY_FULL,
        [REASSEMBLY_PARAMETER_PROBLEM] = IPV6_FRAGMENT_PROBLEM,
    };
    static uint8_t whole[IPV6_HEADER_LEN + 65535];      /* the packet made whole */
    size_t whole_len;
    struct reassembly_problem problem;
    const struct ipv6_fragment_header *f = &d->walk.fragment;
    char from[48];

    text6(from, d->ip.src);
    if (!fragments6_table())
        return refuse(log, REASSEMBLY_MEMORY_FULL, "IPv6 fragment from %s: no memory for the "
                      "reassembly table", from);
    enum reassembly_outcome outcome = reassembly_add6(fragments6, d->packet, &d->ip, &d->walk,
                                                      uptime_ms(), whole, &whole_len, &problem);
    fprintf(log, "IPv6 fragment id %u from %s (offset %u, %zu bytes, %s): ", f->identification,
            from, f->offset, IPV6_HEADER_LEN + d->ip.payload_bytes - d->walk.offset - 8,
            f->more_fragments ? "more follow" : "the last");
    if (outcome == REASSEMBLY_PARAMETER_PROBLEM) {
        fprintf(log, "%s, code %u pointer %u: ", reassembly_outcome_name(outcome), problem.code,
                problem.pointer);
        d->send_error = 1;
        d->error.type = ICMPV6_PARAMETER_PROBLEM;
        d->error.code = problem.code;
        d->error.info = problem.pointer;
        return RUNGS[outcome];
    }
    if (outcome != REASSEMBLY_COMPLETE) {
        fprintf(log, "%s (%zu packets, %zu bytes held)\n", reassembly_outcome_name(outcome),
                reassembly_count(fragments6), reassembly_memory(fragments6));
        return RUNGS[outcome];
    }
    counters[REASSEMBLED]++;
    fprintf(log, "packet whole again, %zu bytes; ", whole_len);
    struct packet6 again = {.packet = whole, .len = whole_len, .reply = d->reply};
    *d = again;
    enum verdict verdict = check_request6(whole, whole_len, d, log);
    /* A Fragment header inside the fragments' data: the table may not take
     * what it just wrote (and a host's own packets never nest). */
    if (verdict == DELIVER && d->walk.verdict == IPV6_WALK_FRAGMENT)
        return refuse(log, FRAGMENTS_INCONSISTENT, "a Fragment header inside a packet made "
                      "whole: dropped");
    return verdict;
}

/*
 * What we send over IPv6 goes out here. What fits the tun's MTU goes as it
 * is (an error is at most 1280 bytes, the least MTU IPv6 allows); an echo
 * reply as long as a request that came in fragments does not fit, and we
 * cut it ourselves, as Linux's ip6_fragment() does: in IPv6 only the
 * sender cuts, never a router (RFC 8200 4.5), so every fragment carries a
 * Fragment header with the identification of the packet it belongs to.
 */
static void send_ipv6_fragment(void *log, const uint8_t *fragment, size_t len)
{
    tun.send(tun.context, fragment, len, log);
}

static size_t send_ipv6(const uint8_t *packet, size_t len, FILE *log)
{
    if (tun.mtu < IPV6_MIN_MTU) {       /* the MTU fell while a reassembly waited */
        fprintf(log, "not sent: IPv6 needs a link MTU of 1280 bytes, and the tun's is %u\n",
                tun.mtu);
        return 0;
    }
    if (len <= tun.mtu) {
        tun.send(tun.context, packet, len, log);
        return 1;
    }
    size_t sent = ipv6_fragment(packet, len, tun.mtu, next_identification6++,
                                send_ipv6_fragment, log);
    if (sent == 0)
        fprintf(log, "not sent: an MTU of %u leaves no room for the headers, a Fragment "
                "header and 8 bytes of data\n", tun.mtu);
    return sent;
}

/* RFC 8200 5: every link that carries IPv6 carries 1280 bytes. Linux turns
 * IPv6 off on a device whose MTU is smaller (addrconf_notify() forgets its
 * addresses), and then takes no IPv6 packet from it and sends none: nor
 * do we, or a request on such a link would be answered in fragments no
 * IPv6 node expects (measured: a 65535-byte echo at MTU 1000, 69 of them,
 * and none from Linux). */
static int ipv6_link_too_small(FILE *log)
{
    if (tun.mtu >= IPV6_MIN_MTU)
        return 0;
    fprintf(log, "ignored: IPv6 needs a link MTU of 1280 bytes, and the tun's is %u: "
            "raise it (ip link set TUN mtu 1280) to speak IPv6\n", tun.mtu);
    return 1;
}

static size_t handle_ipv6(const uint8_t *packet, size_t len, uint8_t *reply, FILE *log)
{
    struct packet6 d = {.packet = packet, .len = len, .reply = reply};

    if (ipv6_link_too_small(log)) {
        counters[IPV6_LINK_TOO_SMALL]++;
        return 0;
    }
    enum verdict verdict = check_request6(packet, len, &d, log);
    /* Every fragment has climbed the ladder as a packet of its own. */
    if (verdict == DELIVER && d.walk.verdict == IPV6_WALK_FRAGMENT)
        verdict = reassemble6(&d, log);
    if (verdict == DELIVER)
        verdict = deliver6(&d, log);
    if (d.send_error)
        verdict = send_error6(&d, verdict, log);
    counters[verdict]++;
    if (d.reply_len > 0)
        send_ipv6(reply, d.reply_len, log);
    return 0;
}

/* One request must not make the host send without bound: at MTU 68 a
 * 65535-byte echo request with a full Record Route option would be answered
 * in 8185 fragments, to a source that may be forged. Linux builds a reply's
 * fragments in its ICMP socket's send buffer and sends none when they do not
 * fit (ipv4_fits_icmp_send_buffer()); so does the step, for IPv4. IPv6
 * needs no such bound: at 1280 bytes, its least MTU, the longest reply is
 * 54 fragments, a quarter of what that buffer holds. */
static int reply_too_fragmented(const uint8_t *reply, size_t len, FILE *log)
{
    size_t charge;
    if (ipv4_fits_icmp_send_buffer(reply, len, tun.mtu, &charge))
        return 0;
    fprintf(log, "not sent: a %zu-byte reply cut for an MTU of %u would take more than "
            "Linux's ICMP send buffer (%zu bytes of kernel buffers before its last fragment)\n",
            len, tun.mtu, charge);
    return 1;
}

static size_t handle_packet(const uint8_t *packet, size_t len, uint8_t *reply, FILE *log)
{
    struct datagram d = {.packet = packet, .reply = reply};

    /* The version says which ladder: 6 is IPv6's; anything else climbs
     * step 10's, which says what is not 4. */
    if (len > 0 && packet[0] >> 4 == 6)
        return handle_ipv6(packet, len, reply, log);

    enum verdict verdict = check_request(packet, len, &d, log);
    /* Every fragment has climbed the ladder as a packet of its own. */
    if (verdict == DELIVER && (d.ip.more_fragments || d.ip.fragment_offset != 0))
        verdict = reassemble(&d, log);
    if (verdict == DELIVER)
        verdict = deliver(&d, log);
    if (d.send_error)
        verdict = send_error(&d, verdict, log);
    if (d.reply_len > 0 && reply_too_fragmented(reply, d.reply_len, log)) {
        verdict = REPLY_TOO_FRAGMENTED;
        d.reply_len = 0;
    }
    counters[verdict]++;
    if (d.reply_len > 0)
        send_datagram(reply, d.reply_len, log);
    return 0;                       /* sent through the link */
}

/*
 * IPv6's table, at `now`: every packet whose time is up is freed, and if
 * its first fragment had come, its source gets an ICMPv6 time exceeded,
 * fragment reassembly time exceeded (RFC 4443 3.3, type 3 code 1) quoting
 * that fragment as it came, Fragment header and all, as Linux's
 * ip6frag_expire_frag_queue() sends it: by send_error6(), so rate limited
 * and never where RFC 4443 2.4 (e) forbids. Returns when the next is due.
 */
static uint64_t expire_reassembly6(uint64_t now, FILE *log)
{
    static uint8_t first[IPV6_HEADER_LEN + 65535], reply[STEP_MAX_PACKET];
    size_t first_len;

    while (fragments6 && reassembly_expire(fragments6, now, first, &first_len)) {
        if (first_len == 0) {
            counters[REASSEMBLY_TIMEOUT]++;
            fprintf(log, "IPv6 reassembly timed out after %u s, without its first fragment: "
                    "freed, no error\n", reassembly6_settings.time_s);
            continue;
        }
        /* The first fragment climbed the ladder once: again, for its view
         * and its walk (which the error's rules read). */
        struct packet6 d = {.packet = first, .len = first_len, .reply = reply};
        if (check_request6(first, first_len, &d, log) != DELIVER)
            continue;
        char from[48];
        fprintf(log, "IPv6 reassembly of id %u from %s timed out after %u s: ",
                d.walk.fragment.identification, text6(from, d.ip.src),
                reassembly6_settings.time_s);
        d.send_error = 1;
        d.error.type = ICMPV6_TIME_EXCEEDED;
        d.error.code = ICMPV6_TIME_EXCEEDED_REASSEMBLY;
        counters[send_error6(&d, REASSEMBLY_TIMEOUT, log)]++;
        if (d.reply_len > 0)
            send_ipv6(reply, d.reply_len, log);
    }
    return fragments6 ? reassembly_next_expiry(fragments6) : UINT64_MAX;
}

/*
 * The runner calls this when something is due, and after each packet
 * (tests and fuzzers through STEP_EXPIRE): every datagram whose
 * --ipfrag-time is up is freed, and if its first fragment had come, its
 * source gets a time exceeded, fragment reassembly (RFC 792 type 11, code
 * 1) quoting that fragment, as Linux's ip_expire() sends it: rate limited,
 * and never about an ICMP error. Returns the milliseconds until the next
 * is due, or -1: none is.
 */
static int expire_reassembly(FILE *log)
{
    static uint8_t first[STEP_MAX_PACKET], reply[STEP_MAX_PACKET];
    size_t first_len;
    char from[16];

    if ((!fragments || reassembly_count(fragments) == 0) &&
        (!fragments6 || reassembly_count(fragments6) == 0))
        return -1;                  /* nothing held: nothing can fall due */
    uint64_t now = uptime_ms();
    while (fragments && reassembly_expire(fragments, now, first, &first_len)) {
        if (first_len == 0) {
            counters[REASSEMBLY_TIMEOUT]++;
            fprintf(log, "reassembly timed out after %u s, without its first fragment: "
                    "freed, no error\n", reassembly_settings.time_s);
            continue;
        }
        /* The first fragment climbed the ladder once: again, for its view
         * and its options (the error's, and the quote's as they came). The
         * table kept its data cut to a multiple of 8 bytes, as Linux does,
         * under the header as it came: what its total length says past
         * that is zeros here, and never quoted. */
        size_t said = read_be16(first + 2);
        if (said > first_len)
            memset(first + first_len, 0, said - first_len);
        struct datagram d = {.packet = first, .reply = reply};
        if (check_request(first, said > first_len ? said : first_len, &d, log) != DELIVER)
            continue;
        fprintf(log, "reassembly of id %u from %s timed out after %u s: ", d.ip.identification,
                dotted(from, d.ip.src), reassembly_settings.time_s);
        d.send_error = 1;
        d.error.type = ICMP_TIME_EXCEEDED;
        d.error.code = ICMP_TIME_EXCEEDED_REASSEMBLY;
        d.quote_len = first_len;
        counters[send_error(&d, REASSEMBLY_TIMEOUT, log)]++;
        if (d.reply_len > 0)
            send_datagram(reply, d.reply_len, log);
    }
    uint64_t next = fragments ? reassembly_next_expiry(fragments) : UINT64_MAX;
    uint64_t next6 = expire_reassembly6(now, log);
    if (next6 < next)
        next = next6;
    if (next == UINT64_MAX)
        return -1;
    return next <= now ? 0 : next - now > 3600000 ? 3600000 : (int)(next - now);
}
#define STEP_EXPIRE expire_reassembly

/* On SIGUSR1 and at exit: how many packets ended on each rung. */
static void report_counters(FILE *out)
{
    fputs("11-ipv6: packets by verdict\n", out);
    for (int v = 0; v < VERDICT_COUNT; v++)
        fprintf(out, "  %-26s %lu\n", VERDICTS[v].name, counters[v]);
}

int main(int argc, char **argv)
{
    static const struct step step = {
        .name = "11-ipv6",
        .summary = "Step 11: step 10 for IPv4, and the same host for IPv6: ping -6 "
                   "answered (its checksum over the pseudo-header), extension headers "
                   "walked as RFC 8200 says, and ICMPv6 errors as Linux sends them.",
        .handle = handle_packet,
        .report = report_counters,
        .host = &host,
        .drops_privileges = 1,
        .ratelimit = &limits,
        .link = &tun,
        .expire = expire_reassembly,
        .reassembly = &reassembly_settings,
        .speaks_ipv6 = 1,
    };
    int status = step_run(&step, argc, argv);
    reassembly_free(fragments);
    reassembly_free(fragments6);
    return status;
}
