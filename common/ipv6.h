/* A read-only view of an IPv6 header (RFC 8200 section 3), and the walk
 * along its chain of extension headers (RFC 8200 section 4), written as
 * Linux 6.18 does both (net/ipv6/ip6_input.c ip6_rcv_core() and
 * ip6_input_finish(), net/ipv6/exthdrs.c): step 11 on. */
#ifndef ICMP_STEPS_IPV6_H
#define ICMP_STEPS_IPV6_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
    IPV6_HEADER_LEN = 40,           /* fixed: no options in the header itself */
    IPV6_MIN_MTU = 1280,            /* RFC 8200 5: every link carries this much */
    IPV6_ADDRESS_LEN = 16,
    /* Next header values (IANA "Assigned Internet Protocol Numbers"). */
    IPV6_NEXT_HOP_BY_HOP = 0,
    IPV6_NEXT_TCP = 6,
    IPV6_NEXT_UDP = 17,
    IPV6_NEXT_ROUTING = 43,
    IPV6_NEXT_FRAGMENT = 44,
    IPV6_NEXT_ICMPV6 = 58,
    IPV6_NEXT_NONE = 59,            /* nothing follows this header */
    IPV6_NEXT_DESTINATION = 60,
};

/*
 * The fields of a header that ipv6_parse() accepted. `payload` points just
 * past the 40-byte header, and `payload_bytes` is how many bytes of payload
 * the packet holds: what the payload length field says (bytes read beyond
 * that are link padding, counted in `padding_len`, never part of the
 * payload: Linux trims them, pskb_trim_rcsum in ip6_rcv_core), except when
 * the field is 0 and a hop-by-hop header follows: then it may be a
 * jumbogram (RFC 2675), and Linux takes every byte read as payload, leaving
 * the hop-by-hop header's Jumbo Payload option to say more (the walk).
 */
struct ipv6_view {
    uint8_t version;
    uint8_t traffic_class;          /* DSCP << 2 | ECN */
    uint32_t flow_label;            /* 20 bits */
    uint16_t payload_len;           /* the field */
    uint8_t next_header;
    uint8_t hop_limit;
    uint8_t src[IPV6_ADDRESS_LEN];
    uint8_t dst[IPV6_ADDRESS_LEN];
    const uint8_t *payload;
    size_t payload_bytes;
    size_t padding_len;
};

/* Why a packet is not a well-formed IPv6 packet, in the order that Linux's
 * ip6_rcv_core() checks it. The address checks (multicast source and so
 * on) are the host's ladder, not the parser's. */
enum ipv6_status {
    IPV6_OK = 0,
    IPV6_TOO_SHORT,                 /* fewer than 40 bytes */
    IPV6_NOT_VERSION_6,
    IPV6_PAYLOAD_LEN_PAST_END,      /* 40 + payload length is more than we read */
};

/* Checks the structure of `packet` (`len` bytes) and fills `view`. Reads no
 * byte at or past packet[len]. */
enum ipv6_status ipv6_parse(const uint8_t *packet, size_t len, struct ipv6_view *view);

/* Writes one line (no newline) saying why ipv6_parse() refused a packet. */
void ipv6_explain(FILE *out, enum ipv6_status status, const uint8_t *packet, size_t len);

/* What the walk along the extension headers found. */
enum ipv6_walk_verdict {
    IPV6_WALK_UPPER,                /* an upper-layer header (ICMPv6, UDP, TCP, or one
                                       we do not know) at `offset`: its number is
                                       `protocol`, named by the byte at `next_header_at` */
    IPV6_WALK_NO_NEXT_HEADER,       /* next header 59: the packet ends there; Linux
                                       drops it without a word */
    IPV6_WALK_FRAGMENT,             /* a fragment header at `offset`: `fragment` says
                                       which; reassembly takes the packet from here */
    IPV6_WALK_PARAMETER_PROBLEM,    /* send ICMPv6 parameter problem (type 4) with
                                       `code` and `pointer`, then drop */
    IPV6_WALK_DROP,                 /* drop silently, for `drop_reason` */
};

/* ICMPv6 parameter problem codes (RFC 4443 3.4, RFC 7112). */
enum {
    IPV6_PARAMETER_ERRONEOUS_FIELD = 0,
    IPV6_PARAMETER_UNKNOWN_NEXT_HEADER = 1,
    IPV6_PARAMETER_UNKNOWN_OPTION = 2,
    IPV6_PARAMETER_FIRST_FRAGMENT_INCOMPLETE_CHAIN = 3,
};

/* Why the walk dropped a packet without an error. */
enum ipv6_drop_reason {
    IPV6_DROP_NONE = 0,
    IPV6_DROP_TRUNCATED,            /* an extension header runs past the payload */
    IPV6_DROP_UNKNOWN_OPTION,       /* unknown option type 01xxxxxx: discard silently,
                                       or 11xxxxxx to a multicast destination */
    IPV6_DROP_BAD_PADDING,          /* Pad1/PadN longer than 7 bytes in a row, or PadN
                                       carrying non-zero bytes (Linux ip6_parse_tlv) */
    IPV6_DROP_OPTION_PAST_END,      /* an option's length runs past its header */
    IPV6_DROP_TOO_MANY_OPTIONS,     /* more unknown options than Linux allows (8) */
    IPV6_DROP_ROUTING_TO_MULTICAST, /* any routing header to a multicast destination
                                       (RFC 4291 2.7; Linux ipv6_rthdr_rcv) */
    IPV6_DROP_ROUTING_DISABLED,     /* segment routing (type 4, RFC 8754) or RPL (type 3,
                                       RFC 6554): Linux drops them while
                                       net.ipv6.conf.*.seg6_enabled and
                                       rpl_seg_enabled are 0, as they are by default */
    IPV6_DROP_BAD_OPTION,           /* a router alert whose length is not 2, a
                                       jumbo payload option cut short or misaligned,
                                       an IOAM option off a 4-byte boundary */
    IPV6_DROP_CALIPSO,              /* a CALIPSO label (RFC 5570): Linux drops it for a
                                       domain of interpretation it does not know */
    IPV6_DROP_JUMBO_TRUNCATED,      /* a jumbo payload longer than what was read */
};

/* A fragment header's fields (RFC 8200 4.5). */
struct ipv6_fragment_header {
    uint8_t next_header;
    uint16_t offset;                /* in bytes (the field counts 8-byte units) */
    int more_fragments;
    uint32_t identification;
};

struct ipv6_walk {
    enum ipv6_walk_verdict verdict;
    uint8_t protocol;               /* UPPER: the upper-layer protocol number */
    size_t offset;                  /* UPPER, FRAGMENT: where that header starts,
                                       counted from the IPv6 header's first byte */
    size_t next_header_at;          /* the byte that named the header at `offset`
                                       (6 for the fixed header's next header field):
                                       the pointer of a code 1 parameter problem */
    uint8_t code;                   /* PARAMETER_PROBLEM: its code */
    uint32_t pointer;               /* PARAMETER_PROBLEM: the offending byte, counted
                                       from the IPv6 header's first byte */
    int error_to_multicast;         /* PARAMETER_PROBLEM code 2 from an option type
                                       10xxxxxx: sent even if the destination was
                                       multicast (RFC 4443 2.4 (e.3)) */
    enum ipv6_drop_reason drop_reason; /* DROP */
    int router_alert;               /* a hop-by-hop router alert option was seen */
    int atomic_fragment;            /* a fragment header with offset 0 and M 0 was
                                       walked past: the packet is whole (RFC 6946) */
    struct ipv6_fragment_header fragment; /* FRAGMENT, or the atomic fragment's */
    unsigned headers;               /* extension headers walked past */
};

/*
 * Walks the extension headers of the packet `ip` is a view of (ip->payload,
 * ip->payload_bytes bytes) in RFC 8200 section 4.1's rules, as Linux does:
 * hop-by-hop only first (anywhere else it is an unknown next header, code
 * 1); options by their type's top two bits (00 skip, 01 drop, 10 drop and
 * parameter problem code 2 at the type, 11 the same unless the destination
 * is multicast); routing headers with segments left 0 skipped, any other
 * (type 0: RFC 5095) a parameter problem code 0 at the type field;
 * destination options like hop-by-hop; a fragment header stops the walk
 * unless it is an atomic fragment (RFC 6946), whose header is walked past;
 * next header 59 ends it. A header cut short drops the packet, except a
 * fragment header: parameter problem code 0 pointing at it, as Linux's
 * ipv6_frag_rcv. At most 8 options that are not padding per header (Linux's
 * net.ipv6.max_hbh_opts_number and max_dst_opts_number). Fills `walk` and
 * returns walk->verdict.
 */
enum ipv6_walk_verdict ipv6_walk_headers(const struct ipv6_view *ip, struct ipv6_walk *walk);

/* "hop-by-hop", "ICMPv6", "UDP", ... or "unknown" for a next header value. */
const char *ipv6_next_header_name(uint8_t next_header);

/* One line (no newline) for a walk's verdict, e.g. "parameter problem code 2
 * pointer 42" or "dropped: unknown option type 0x40 (discard)". */
void ipv6_walk_explain(FILE *out, const struct ipv6_walk *walk);

/* Prints an address in RFC 5952 text form (2001:db8::1, ff02::1). */
void ipv6_print_address(FILE *out, const uint8_t address[16]);

/* Is this a multicast address (ff00::/8)? */
static inline int ipv6_is_multicast(const uint8_t address[16])
{
    return address[0] == 0xff;
}

/* Is this the unspecified address (::)? */
int ipv6_is_unspecified(const uint8_t address[16]);

/* What a reply's header needs: version 6 and these. */
struct ipv6_header_fields {
    uint8_t src[16];
    uint8_t dst[16];
    uint8_t traffic_class;
    uint32_t flow_label;            /* 20 bits; 0: none */
    uint8_t hop_limit;
    uint8_t next_header;
    size_t payload_len;             /* at most 65535 */
};

/* Writes the 40-byte header to `out`. Returns 40. */
size_t ipv6_write_header(uint8_t *out, const struct ipv6_header_fields *fields);

#endif
