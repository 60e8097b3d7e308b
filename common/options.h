/* IPv4 options in an echo reply (RFC 791 section 3.1; RFC 1122 3.2.2.6). */
#ifndef ICMP_STEPS_OPTIONS_H
#define ICMP_STEPS_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

enum {
    OPTION_END = 0,                 /* End of Option List */
    OPTION_NOP = 1,                 /* No Operation: padding */
    OPTION_RECORD_ROUTE = 7,
    OPTION_TIMESTAMP = 68,
    OPTION_LOOSE_SOURCE_ROUTE = 131,
    OPTION_STRICT_SOURCE_ROUTE = 137,
    OPTIONS_MAX_LEN = 40,
};

enum options_status {
    OPTIONS_OK = 0,
    OPTIONS_MALFORMED,              /* a length, pointer or flag that cannot be */
    OPTIONS_SOURCE_ROUTED,          /* LSRR or SSRR: not answered */
};

/*
 * Builds the options of the echo reply to a request whose options are the
 * `len` bytes at `options` (what follows the 20-byte header). As RFC 1122
 * 3.2.2.6 asks, Record Route and Timestamp are returned, updated with this
 * host's address `self` and the time that `clock_ms` tells (milliseconds
 * since midnight UT), so that the route or times cover the whole round
 * trip; the clock is read only when there are options. Other options
 * are not returned. Writes at most 40 bytes to `out`, padded to a multiple
 * of 4, and sets *out_len. Anything else: a status and one line in `why`.
 */
enum options_status ipv4_options_echo(const uint8_t *options, size_t len, const uint8_t self[4],
                                      uint32_t (*clock_ms)(void), uint8_t *out, size_t *out_len,
                                      char *why, size_t why_len);

/* Everything the first and second passes learn, for a host that also
 * sends errors (step 09 on). */
struct options_outcome {
    /* The options of a reply or error: for OPTIONS_MALFORMED, those of the
     * parameter problem (what passed before the bad option). */
    uint8_t reply[OPTIONS_MAX_LEN];
    size_t reply_len;
    /* The request's options as Linux leaves them in the datagram itself,
     * stamped on arrival: what an error quotes. */
    uint8_t arrived[OPTIONS_MAX_LEN];
    /* OPTIONS_MALFORMED: the offending byte, counted from the first byte of
     * the options (a parameter problem's pointer is 20 more), unless... */
    size_t problem;
    /* ...the reply's (or the parameter problem's) options cannot be built:
     * then Linux sends nothing at all. */
    int reply_impossible;
    int malformed;                  /* the request's options cannot be */
    /* A parameter problem about a datagram with a good source route goes
     * back along it reversed (given the datagram's source): then
     * source_routed is set, and the error goes to first_hop, not to the
     * source. */
    int source_routed;
    uint8_t first_hop[4];
};

/* ipv4_options_echo(), telling all it learnt in `outcome`; `source` is
 * the datagram's source address (NULL: no source route is reversed). */
enum options_status ipv4_options_process(const uint8_t *options, size_t len,
                                         const uint8_t self[4], const uint8_t *source,
                                         uint32_t (*clock_ms)(void),
                                         struct options_outcome *outcome, char *why,
                                         size_t why_len);

#endif
