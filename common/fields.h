/* Header layouts as data: one row per field, with its place in bits. The
 * annotated packet view prints packets with them, the diagrams in docs/ are
 * drawn from them, and a unit test holds them to what ipv4_parse() and
 * icmp_parse() read, so that the pictures cannot drift from the code. */
#ifndef ICMP_STEPS_FIELDS_H
#define ICMP_STEPS_FIELDS_H

#include <stddef.h>
#include <stdint.h>

/* How the annotated view shows a field's value. */
enum field_format {
    FIELD_DECIMAL,
    FIELD_HEX,                      /* 0xc697 (50839) */
    FIELD_WORDS,                    /* IHL: 5 words = 20 bytes */
    FIELD_FLAGS,                    /* DF, MF */
    FIELD_ADDRESS,                  /* 192.0.2.1 */
    FIELD_PROTOCOL,                 /* 1 = ICMP */
    FIELD_ICMP_TYPE,                /* 8 = echo request */
    FIELD_CHECKSUM,                 /* 0xf2e0 (verifies) */
};

struct header_field {
    const char *name;
    unsigned bit_offset;            /* from the first bit of the header */
    unsigned bit_len;               /* 1 to 32 */
    enum field_format format;
    const char *meaning;            /* a few words for the diagrams */
};

extern const struct header_field IPV4_FIELDS[];
extern const size_t IPV4_FIELD_COUNT;
extern const struct header_field ICMP_ECHO_FIELDS[];
extern const size_t ICMP_ECHO_FIELD_COUNT;

/* The field's value in `header`, read big-endian; the caller makes sure the
 * header holds (bit_offset + bit_len) bits. */
uint32_t field_value(const struct header_field *field, const uint8_t *header);

#endif
