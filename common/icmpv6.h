/* ICMPv6 (RFC 4443): its checksum over the pseudo-header (RFC 8200 8.1),
 * the echo reply, and error messages built as Linux's icmp6_send() builds
 * them (net/ipv6/icmp.c): step 11 on. An ICMPv6 message has the same 8-byte
 * header as an ICMP one (type, code, checksum, then identifier and sequence
 * or 4 bytes of "info"): icmp_parse() (icmp.h) reads both. */
#ifndef ICMP_STEPS_ICMPV6_H
#define ICMP_STEPS_ICMPV6_H

#include <stddef.h>
#include <stdint.h>

#include "ipv6.h"

enum {
    /* Errors: types 0 to 127 (RFC 4443 2.1). */
    ICMPV6_DESTINATION_UNREACHABLE = 1,
    ICMPV6_UNREACHABLE_NO_ROUTE = 0,        /* its codes */
    ICMPV6_UNREACHABLE_ADMINISTRATIVE = 1,
    ICMPV6_UNREACHABLE_ADDRESS = 3,
    ICMPV6_UNREACHABLE_PORT = 4,
    ICMPV6_PACKET_TOO_BIG = 2,
    ICMPV6_TIME_EXCEEDED = 3,
    ICMPV6_TIME_EXCEEDED_HOP_LIMIT = 0,
    ICMPV6_TIME_EXCEEDED_REASSEMBLY = 1,
    ICMPV6_PARAMETER_PROBLEM = 4,           /* codes: IPV6_PARAMETER_* in ipv6.h */
    /* Informational: 128 to 255. */
    ICMPV6_ECHO_REQUEST = 128,
    ICMPV6_ECHO_REPLY = 129,
    ICMPV6_MLD_QUERY = 130,                 /* Multicast Listener Discovery (RFC 2710) */
    ICMPV6_MLD_REPORT = 131,
    ICMPV6_MLD_DONE = 132,
    ICMPV6_ROUTER_SOLICITATION = 133,       /* Neighbor Discovery (RFC 4861) */
    ICMPV6_ROUTER_ADVERTISEMENT = 134,
    ICMPV6_NEIGHBOR_SOLICITATION = 135,
    ICMPV6_NEIGHBOR_ADVERTISEMENT = 136,
    ICMPV6_REDIRECT = 137,
    ICMPV6_MLD2_REPORT = 143,               /* MLDv2 (RFC 3810) */
    ICMPV6_HEADER_LEN = 8,
    /* RFC 4443 2.4 (c): an error is as long as it can be without its
     * packet exceeding the minimum IPv6 MTU, 1280 bytes. */
    ICMPV6_ERROR_MAX_LEN = IPV6_MIN_MTU,
};

/* "echo request", "router solicitation", ... or "unknown". */
const char *icmpv6_type_name(uint8_t type);

/* Is this type an error (RFC 4443 2.1: below 128)? Never answered with an
 * error (RFC 4443 2.4 (e.1)), and never with anything else either. */
static inline int icmpv6_type_is_error(uint8_t type)
{
    return type < 128;
}

/*
 * The ICMPv6 checksum of `message` (`len` bytes, its checksum field zero
 * while summing) sent from `src` to `dst`: the one's complement of the
 * one's complement sum of the pseudo-header (RFC 8200 8.1: source, then
 * destination address, then the upper-layer length as 32 bits, then three
 * zero bytes and the next header 58) and the message. Store it big-endian.
 */
uint16_t icmpv6_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *message,
                         size_t len);

/* True when `message`, checksum field included, sums with the pseudo-header
 * to 0xffff: the receiver's check (Linux icmpv6_rcv, csum_ipv6_magic). */
int icmpv6_checksum_ok(const uint8_t src[16], const uint8_t dst[16], const uint8_t *message,
                       size_t len);

/*
 * Writes to `out` the echo reply (type 129) to the echo request `request`
 * (`request_len` bytes of ICMPv6, its header first) that came to us at
 * `ip->dst` from `ip->src`: an IPv6 header from `src` (our address: for a
 * request to a multicast group, the unicast address Linux would pick) to
 * ip->src, with `hop_limit` and `traffic_class`, then the request's
 * identifier, sequence and data, and the checksum. Returns its length,
 * 40 + request_len.
 */
size_t icmpv6_echo_reply_write(uint8_t *out, const struct ipv6_view *ip, const uint8_t src[16],
                               const uint8_t *request, size_t request_len, uint8_t hop_limit,
                               uint8_t traffic_class);

/* The error to send. */
struct icmpv6_error {
    uint8_t type, code;
    uint32_t info;                  /* the 4 bytes after the checksum: the pointer of a
                                       parameter problem, the MTU of packet too big */
    uint8_t hop_limit;              /* Linux: the route's, 64 */
    uint8_t traffic_class;
    const uint8_t *src;             /* our address the error comes from: the
                                       destination the packet came to when it was one
                                       of ours, else the one Linux would pick */
};

/*
 * RFC 4443 2.4 (e), as Linux icmp6_send() applies it, in its order: may
 * `error` about the packet `ip` is a view of be sent? Not when that packet
 * went to a multicast address, unless the error is packet too big, or a
 * parameter problem code 2 about an option type 10xxxxxx
 * (`error_to_multicast`, from the walk) (e.3); not when its source is
 * unspecified or multicast (e.5, e.4); not when it is an ICMPv6 error, or an
 * ICMPv6 message too short to show its type (e.1; found past the extension
 * headers as Linux's ipv6_skip_exthdr() finds it). Returns NULL when it may,
 * else the reason in a few words. (The rate limit, e.6, is ratelimit.h's.)
 */
const char *icmpv6_error_forbidden(const struct ipv6_view *ip, const struct icmpv6_error *error,
                                   int error_to_multicast);

/*
 * Writes to `out` the error about `packet` (`packet_len` bytes, its IPv6
 * header first, as it came), which came from `ip->src`: an IPv6 header
 * from error->src back to ip->src (traffic class and hop limit from `error`,
 * flow label 0), the ICMPv6 header, and as much of the packet as keeps the
 * whole error within 1280 bytes (RFC 4443 2.4 (c)): its header and
 * ip->payload_bytes of payload at most, never the link's padding. Returns
 * its length, at most 1280.
 */
size_t icmpv6_error_write(uint8_t *out, const struct ipv6_view *ip, const uint8_t *packet,
                          size_t packet_len, const struct icmpv6_error *error);

#endif
