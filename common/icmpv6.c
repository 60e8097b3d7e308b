#include "icmpv6.h"

#include <string.h>

#include "bytes.h"
#include "checksum.h"

const char *icmpv6_type_name(uint8_t type)
{
    switch (type) {
    case ICMPV6_DESTINATION_UNREACHABLE: return "destination unreachable";
    case ICMPV6_PACKET_TOO_BIG: return "packet too big";
    case ICMPV6_TIME_EXCEEDED: return "time exceeded";
    case ICMPV6_PARAMETER_PROBLEM: return "parameter problem";
    case ICMPV6_ECHO_REQUEST: return "echo request";
    case ICMPV6_ECHO_REPLY: return "echo reply";
    case ICMPV6_MLD_QUERY: return "multicast listener query";
    case ICMPV6_MLD_REPORT: return "multicast listener report";
    case ICMPV6_MLD_DONE: return "multicast listener done";
    case ICMPV6_ROUTER_SOLICITATION: return "router solicitation";
    case ICMPV6_ROUTER_ADVERTISEMENT: return "router advertisement";
    case ICMPV6_NEIGHBOR_SOLICITATION: return "neighbor solicitation";
    case ICMPV6_NEIGHBOR_ADVERTISEMENT: return "neighbor advertisement";
    case ICMPV6_REDIRECT: return "redirect";
    case ICMPV6_MLD2_REPORT: return "multicast listener report v2";
    default: return "unknown";
    }
}

/* The one's complement sum of the pseudo-header (RFC 8200 8.1):
 *
 *   +-------------------------------------------+
 *   |          source address (16 bytes)        |
 *   +-------------------------------------------+
 *   |       destination address (16 bytes)      |
 *   +-------------------------------------------+
 *   |        upper-layer packet length (32)     |
 *   +------------------------------+------------+
 *   |        zero (24 bits)        | next header|
 *   +------------------------------+------------+
 *
 * It is never sent: both ends build it from the IPv6 header, so a packet
 * delivered to the wrong address, or cut, fails the check. IPv6 has no
 * header checksum of its own; this is what protects its addresses. */
static uint16_t pseudo_header_sum(const uint8_t src[16], const uint8_t dst[16], size_t len,
                                  uint8_t next_header)
{
    uint8_t tail[8];

    write_be32(tail, (uint32_t)len);
    tail[4] = tail[5] = tail[6] = 0;
    tail[7] = next_header;
    uint16_t sum = inet_sum(0, src, 16);
    sum = inet_sum(sum, dst, 16);
    return inet_sum(sum, tail, sizeof tail);
}

uint16_t icmpv6_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *message,
                         size_t len)
{
    uint16_t sum = pseudo_header_sum(src, dst, len, IPV6_NEXT_ICMPV6);
    return (uint16_t)~inet_sum(sum, message, len);
}

int icmpv6_checksum_ok(const uint8_t src[16], const uint8_t dst[16], const uint8_t *message,
                       size_t len)
{
    uint16_t sum = pseudo_header_sum(src, dst, len, IPV6_NEXT_ICMPV6);
    return inet_sum(sum, message, len) == 0xffff;
}

/* The IPv6 header and the ICMPv6 checksum of a message of `len` bytes
 * already at out + 40, its checksum field zero. */
static size_t finish(uint8_t *out, const uint8_t src[16], const uint8_t dst[16],
                     uint8_t traffic_class, uint8_t hop_limit, size_t len)
{
    struct ipv6_header_fields header = {
        .traffic_class = traffic_class,
        .hop_limit = hop_limit,
        .next_header = IPV6_NEXT_ICMPV6,
        .payload_len = len,
    };
    memcpy(header.src, src, 16);
    memcpy(header.dst, dst, 16);
    ipv6_write_header(out, &header);
    uint8_t *message = out + IPV6_HEADER_LEN;
    write_be16(message + 2, icmpv6_checksum(src, dst, message, len));
    return IPV6_HEADER_LEN + len;
}

size_t icmpv6_echo_reply_write(uint8_t *out, const struct ipv6_view *ip, const uint8_t src[16],
                               const uint8_t *request, size_t request_len, uint8_t hop_limit,
                               uint8_t traffic_class)
{
    uint8_t *message = out + IPV6_HEADER_LEN;

    /* RFC 4443 4.2: identifier, sequence and data come back as they were. */
    memmove(message, request, request_len);
    message[0] = ICMPV6_ECHO_REPLY;
    message[1] = 0;
    write_be16(message + 2, 0);
    return finish(out, src, ip->src, traffic_class, hop_limit, request_len);
}

/* Where the ICMPv6 header of a packet is, found as Linux's
 * ipv6_skip_exthdr() finds it (hop-by-hop, routing and destination
 * options in any order, AH, a first fragment's header); 0 when there is
 * none, or when a header is cut short. `fragmented` is set when the
 * search passed a first fragment's header (offset 0, M set). */
static size_t find_icmpv6(const struct ipv6_view *ip, int *fragmented)
{
    const uint8_t *p = ip->payload - IPV6_HEADER_LEN;
    size_t end = IPV6_HEADER_LEN + ip->payload_bytes, at = IPV6_HEADER_LEN;
    uint8_t next = ip->next_header;

    *fragmented = 0;
    for (;;) {
        size_t len;
        switch (next) {
        case IPV6_NEXT_HOP_BY_HOP:
        case IPV6_NEXT_ROUTING:
        case IPV6_NEXT_DESTINATION:
            if (at + 2 > end)
                return 0;
            len = ((size_t)p[at + 1] + 1) * 8;
            break;
        case 51:                    /* AH: its length counts 4-byte units, minus 2 */
            if (at + 2 > end)
                return 0;
            len = ((size_t)p[at + 1] + 2) * 4;
            break;
        case IPV6_NEXT_FRAGMENT:
            /* Linux's ipv6_skip_exthdr reads only the next header and the
             * offset: a header cut after them is walked past. */
            if (at + 4 > end)
                return 0;
            if ((read_be16(p + at + 2) & 0xfff8) != 0)
                return 0;           /* a later fragment: no header of ours here */
            *fragmented = read_be16(p + at + 2) != 0;
            len = 8;
            break;
        case IPV6_NEXT_ICMPV6:
            return at;
        default:
            return 0;
        }
        next = p[at];
        at += len;
    }
}

const char *icmpv6_error_forbidden(const struct ipv6_view *ip, const struct icmpv6_error *error,
                                   int error_to_multicast)
{
    if (ipv6_is_multicast(ip->dst) && error->type != ICMPV6_PACKET_TOO_BIG &&
        !(error->type == ICMPV6_PARAMETER_PROBLEM &&
          error->code == IPV6_PARAMETER_UNKNOWN_OPTION && error_to_multicast))
        return "it went to a multicast address";
    if (ipv6_is_unspecified(ip->src))
        return "its source is the unspecified address";
    if (ipv6_is_multicast(ip->src))
        return "its source is a multicast address";
    int fragmented;
    size_t icmp = find_icmpv6(ip, &fragmented);
    if (icmp == 0)
        return NULL;                /* not ICMPv6, or we cannot tell */
    if (icmp + 1 > IPV6_HEADER_LEN + ip->payload_bytes) {
        /* RFC 8200 4.5: a first fragment may end before its ICMPv6 type;
         * Linux answers that one (is_ineligible). */
        return fragmented ? NULL : "it is an ICMPv6 message too short to show its type";
    }
    if (icmpv6_type_is_error(ip->payload[icmp - IPV6_HEADER_LEN]))
        return "it is an ICMPv6 error";
    return NULL;
}

size_t icmpv6_error_write(uint8_t *out, const struct ipv6_view *ip, const uint8_t *packet,
                          size_t packet_len, const struct icmpv6_error *error)
{
    uint8_t *message = out + IPV6_HEADER_LEN;
    size_t quote = IPV6_HEADER_LEN + ip->payload_bytes;

    if (quote > packet_len)
        quote = packet_len;
    /* RFC 4443 2.4 (c): the whole error within the minimum MTU, so it
     * reaches the source whatever the path (Linux: IPV6_MIN_MTU - 40 - 8). */
    if (quote > ICMPV6_ERROR_MAX_LEN - IPV6_HEADER_LEN - ICMPV6_HEADER_LEN)
        quote = ICMPV6_ERROR_MAX_LEN - IPV6_HEADER_LEN - ICMPV6_HEADER_LEN;
    memmove(message + ICMPV6_HEADER_LEN, packet, quote);
    message[0] = error->type;
    message[1] = error->code;
    write_be16(message + 2, 0);
    write_be32(message + 4, error->info);
    return finish(out, error->src, ip->src, error->traffic_class, error->hop_limit,
                  ICMPV6_HEADER_LEN + quote);
}
