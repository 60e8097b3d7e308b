/* A read-only view of an ICMP message (RFC 792), with the fields of an echo
 * request or reply. */
#ifndef ICMP_STEPS_ICMP_H
#define ICMP_STEPS_ICMP_H

#include <stddef.h>
#include <stdint.h>

enum {
    ICMP_ECHO_REPLY = 0,
    ICMP_ECHO_REQUEST = 8,
    ICMP_ECHO_HEADER_LEN = 8,       /* type, code, checksum, id, sequence */
};

/*
 *   0      7 8     15 16            31
 *  +--------+--------+----------------+
 *  |  type  |  code  |    checksum    |
 *  +--------+--------+----------------+
 *  |   identifier    | sequence number|
 *  +-----------------+----------------+
 *  |  data ...
 */
struct icmp_view {
    uint8_t type;
    uint8_t code;
    uint16_t checksum;
    uint16_t identifier;            /* meaningful for echo messages only */
    uint16_t sequence;
    const uint8_t *data;            /* what follows the 8-byte header */
    size_t data_len;
};

/* Fills `view` from an ICMP message of `len` bytes. Returns 0, or -1 when
 * `len` is below the 8 bytes of the header (nothing is read then). */
int icmp_parse(const uint8_t *message, size_t len, struct icmp_view *view);

/* "echo reply", "destination unreachable", ... or "unknown". */
const char *icmp_type_name(uint8_t type);

#endif
