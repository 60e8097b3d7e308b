#include "fields.h"

/* RFC 791 section 3.1. */
const struct header_field IPV4_FIELDS[] = {
    {"Version",         0,   4,  FIELD_DECIMAL,  "4 for IPv4"},
    {"IHL",             4,   4,  FIELD_WORDS,    "header length in 32-bit words"},
    {"TOS",             8,   8,  FIELD_HEX,      "DSCP and ECN"},
    {"Total Length",    16,  16, FIELD_DECIMAL,  "bytes, header included"},
    {"Identification",  32,  16, FIELD_HEX,      "groups fragments"},
    {"Flags",           48,  3,  FIELD_FLAGS,    "0, DF, MF"},
    {"Fragment Offset", 51,  13, FIELD_DECIMAL,  "in 8-byte units"},
    {"TTL",             64,  8,  FIELD_DECIMAL,  "hops left"},
    {"Protocol",        72,  8,  FIELD_PROTOCOL, "1 = ICMP"},
    {"Header Checksum", 80,  16, FIELD_CHECKSUM, "RFC 1071, header only"},
    {"Source",          96,  32, FIELD_ADDRESS,  "who sent it"},
    {"Destination",     128, 32, FIELD_ADDRESS,  "who it is for"},
};
const size_t IPV4_FIELD_COUNT = sizeof IPV4_FIELDS / sizeof IPV4_FIELDS[0];

/* RFC 792, "Echo or Echo Reply Message". */
const struct header_field ICMP_ECHO_FIELDS[] = {
    {"Type",            0,   8,  FIELD_ICMP_TYPE, "8 request, 0 reply"},
    {"Code",            8,   8,  FIELD_DECIMAL,   "0"},
    {"Checksum",        16,  16, FIELD_CHECKSUM,  "RFC 1071, whole message"},
    {"Identifier",      32,  16, FIELD_DECIMAL,   "which ping"},
    {"Sequence Number", 48,  16, FIELD_DECIMAL,   "which request"},
};
const size_t ICMP_ECHO_FIELD_COUNT = sizeof ICMP_ECHO_FIELDS / sizeof ICMP_ECHO_FIELDS[0];

uint32_t field_value(const struct header_field *field, const uint8_t *header)
{
    uint32_t value = 0;

    for (unsigned bit = field->bit_offset; bit < field->bit_offset + field->bit_len; bit++) {
        unsigned byte_bit = 7 - bit % 8;        /* bit 0 is the most significant */
        value = value << 1 | ((header[bit / 8] >> byte_bit) & 1u);
    }
    return value;
}
