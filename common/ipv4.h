/* A read-only view of an IPv4 header (RFC 791), and a writer for the plain
 * 20-byte header of a reply. This is the part of the project that plays the
 * role of the `etherparse` crate in the original post. */
#ifndef ICMP_STEPS_IPV4_H
#define ICMP_STEPS_IPV4_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
    IPV4_MIN_HEADER_LEN = 20,       /* IHL 5: no options */
    IPV4_MAX_HEADER_LEN = 60,       /* IHL 15: 40 bytes of options */
    IPV4_MAX_PACKET_LEN = 65535,    /* the total length field is 16 bits */
    IPV4_PROTOCOL_ICMP = 1,
};

/*
 * The fields of a header that ipv4_parse() accepted. `payload` points into
 * the packet, just past the header (and its options), and `payload_len` is
 * what the total length field says is left: bytes the link delivered beyond
 * the total length are padding, counted in `padding_len`, and never part of
 * the payload.
 */
struct ipv4_view {
    uint8_t version;
    size_t header_len;              /* IHL * 4, options included */
    uint8_t tos;
    uint16_t total_len;
    uint16_t identification;
    int dont_fragment;
    int more_fragments;
    uint16_t fragment_offset;       /* in bytes (the field counts 8-byte units) */
    uint8_t ttl;
    uint8_t protocol;
    uint16_t header_checksum;
    uint8_t src[4];
    uint8_t dst[4];
    const uint8_t *payload;
    size_t payload_len;
    size_t padding_len;
};

/* Why a packet is not a well-formed IPv4 packet, in the order that Linux's
 * ip_rcv_core() checks it. */
enum ipv4_status {
    IPV4_OK = 0,
    IPV4_TOO_SHORT,                 /* fewer than 20 bytes */
    IPV4_NOT_VERSION_4,             /* e.g. IPv6 (version 6) */
    IPV4_IHL_TOO_SMALL,             /* IHL below 5 */
    IPV4_HEADER_PAST_END,           /* IHL * 4 is more than we read */
    IPV4_TOTAL_LEN_PAST_END,        /* total length is more than we read */
    IPV4_TOTAL_LEN_BELOW_HEADER,    /* total length shorter than the header */
};

/* Checks the structure of `packet` (`len` bytes) and fills `view`.
 * Reads no byte at or past packet[len]. Does not check the header checksum. */
enum ipv4_status ipv4_parse(const uint8_t *packet, size_t len, struct ipv4_view *view);

/* Writes one line (no newline) saying why ipv4_parse() refused `packet`. */
void ipv4_explain(FILE *out, enum ipv4_status status, const uint8_t *packet, size_t len);

/* "ICMP", "UDP", ... or "unknown" for a protocol number. */
const char *ipv4_protocol_name(uint8_t protocol);

/* Prints an address in dotted decimal, e.g. 192.0.2.1. */
void ipv4_print_address(FILE *out, const uint8_t address[4]);

/* What a reply's header needs: the rest is fixed (see ipv4_write_header). */
struct ipv4_header_fields {
    uint8_t src[4];
    uint8_t dst[4];
    uint8_t tos;
    uint8_t ttl;
    uint8_t protocol;
    size_t payload_len;             /* header + payload_len <= 65535 */
    const uint8_t *options;         /* NULL, or options_len bytes of options */
    size_t options_len;             /* a multiple of 4, at most 40 */
};

/* Writes the header to `out` with a correct header checksum: version 4,
 * Don't Fragment set, identification 0, and the options if any. Returns its
 * length: 20 bytes plus the options. */
size_t ipv4_write_header(uint8_t *out, const struct ipv4_header_fields *fields);

#endif
