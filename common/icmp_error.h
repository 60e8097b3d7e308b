/* ICMP error messages (RFC 792, RFC 1122 3.2.2, RFC 1812 4.3.2.3), built as
 * Linux's __icmp_send() builds them (net/ipv4/icmp.c): step 09 on. */
#ifndef ICMP_STEPS_ICMP_ERROR_H
#define ICMP_STEPS_ICMP_ERROR_H

#include <stddef.h>
#include <stdint.h>

#include "ipv4.h"

enum {
    ICMP_DESTINATION_UNREACHABLE = 3,
    ICMP_UNREACHABLE_PROTOCOL = 2,  /* its codes */
    ICMP_UNREACHABLE_PORT = 3,
    ICMP_TIME_EXCEEDED = 11,
    ICMP_TIME_EXCEEDED_REASSEMBLY = 1,  /* its code: fragment reassembly time exceeded */
    ICMP_PARAMETER_PROBLEM = 12,
    ICMP_TIMESTAMP_REQUEST = 13,
    ICMP_TIMESTAMP_REPLY = 14,
    ICMP_TIMESTAMP_LEN = 20,        /* the 8-byte header and three times */
    ICMP_ERROR_HEADER_LEN = 8,      /* type, code, checksum, 4 bytes of "info" */
    /* RFC 1812 4.3.2.3: an error quotes as much of the datagram as fits in
     * 576 bytes, the size every host can reassemble (RFC 791). */
    ICMP_ERROR_MAX_LEN = 576,
    /* What Linux marks an error with: precedence 6, "internetwork control"
     * (RFC 791; RFC 1812 4.3.2.5, a router SHOULD). */
    ICMP_ERROR_PRECEDENCE = 0xc0,
};

/* Is an ICMP message of this type an error (never answered with an
 * error: RFC 1122 3.2.2)? Linux's icmp_pointers[].error: destination
 * unreachable, source quench, redirect, time exceeded, parameter problem;
 * and any type it does not know (above 18), "think about it". */
int icmp_type_is_error(uint8_t type);

/* The error to send, and about what. */
struct icmp_error {
    uint8_t type, code;
    uint32_t info;                  /* the 4 bytes after the checksum: for a
                                       parameter problem, the pointer << 24 */
    const uint8_t *options;         /* the error's own IP options (a reply's,
                                       ipv4_options_process), options_len bytes */
    size_t options_len;
    uint8_t ttl;
    uint16_t identification;        /* the error's own (it may be fragmented) */
    const uint8_t *to;              /* NULL: to the datagram's source; else the
                                       first hop of a source route (options) */
};

/* The TOS byte of an error about a datagram that came with `tos`. */
uint8_t icmp_error_tos(uint8_t tos);

/*
 * Writes to `out` the error about the `datagram_len` bytes of `datagram`
 * (its IP header first, exactly as it is to be quoted), which came to us
 * from `ip->src` at `ip->dst`: an IP header from ip->dst back to ip->src
 * (Don't Fragment clear, as Linux sends errors), then the ICMP header, then as much of the datagram as keeps the whole
 * error within 576 bytes. Returns its length (at most 576).
 */
size_t icmp_error_write(uint8_t *out, const struct ipv4_view *ip, const uint8_t *datagram,
                        size_t datagram_len, const struct icmp_error *error);

#endif
