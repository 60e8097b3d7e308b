#include "annotate.h"

#include "checksum.h"
#include "fields.h"
#include "icmp.h"
#include "ipv4.h"

enum { DATA_PREVIEW = 12 };

/* "2-3" for a field in bytes 2 and 3; offsets count from the packet start. */
static void print_offset(FILE *out, size_t first, size_t last)
{
    char text[48];

    if (first == last)
        snprintf(text, sizeof text, "%zu", first);
    else
        snprintf(text, sizeof text, "%zu-%zu", first, last);
    fprintf(out, "  %-8s", text);
}

static void print_bytes(FILE *out, const uint8_t *bytes, size_t n)
{
    int width = 0;

    for (size_t i = 0; i < n; i++)
        width += fprintf(out, i ? " %02x" : "%02x", bytes[i]);
    fprintf(out, "%*s", 14 - width, "");
}

static void print_value(FILE *out, const struct header_field *field, uint32_t value,
                        const uint8_t *checked, size_t checked_len)
{
    switch (field->format) {
    case FIELD_DECIMAL:
        fprintf(out, "%u", value);
        break;
    case FIELD_HEX:
        fprintf(out, "0x%0*x (%u)", (int)(field->bit_len + 3) / 4, value, value);
        break;
    case FIELD_WORDS:
        fprintf(out, "%u words = %u bytes", value, value * 4);
        break;
    case FIELD_FLAGS:
        fprintf(out, "%s%s%s", value & 2 ? "DF" : "", value == 3 ? ", " : "",
                value & 1 ? "MF" : "");
        if ((value & 3) == 0)
            fputs("none", out);
        if (value & 4)
            fputs(" (reserved bit set!)", out);
        break;
    case FIELD_ADDRESS:
        fprintf(out, "%u.%u.%u.%u", value >> 24, value >> 16 & 0xff, value >> 8 & 0xff,
                value & 0xff);
        break;
    case FIELD_PROTOCOL:
        fprintf(out, "%u = %s", value, ipv4_protocol_name((uint8_t)value));
        break;
    case FIELD_ICMP_TYPE:
        fprintf(out, "%u = %s", value, icmp_type_name((uint8_t)value));
        break;
    case FIELD_CHECKSUM:
        fprintf(out, "0x%04x (%s)", value,
                inet_checksum_ok(checked, checked_len) ? "verifies" : "WRONG");
        break;
    }
}

/* One line per field of `fields`, for the header at packet + start. */
static void print_fields(FILE *out, const struct header_field *fields, size_t count,
                         const uint8_t *packet, size_t start, size_t checked_len)
{
    const uint8_t *header = packet + start;

    for (size_t i = 0; i < count; i++) {
        const struct header_field *f = &fields[i];
        size_t first = f->bit_offset / 8, last = (f->bit_offset + f->bit_len - 1) / 8;

        print_offset(out, start + first, start + last);
        print_bytes(out, header + first, last - first + 1);
        fprintf(out, "%-17s", f->name);
        print_value(out, f, field_value(f, header), header, checked_len);
        fputc('\n', out);
    }
}

static void print_data(FILE *out, const uint8_t *data, size_t len, size_t start)
{
    char bytes[32];

    if (len == 0)
        return;
    print_offset(out, start, start + len - 1);
    snprintf(bytes, sizeof bytes, "(%zu bytes)", len);
    fprintf(out, "%-14s%-17s", bytes, "Data");
    for (size_t i = 0; i < len && i < DATA_PREVIEW; i++)
        fprintf(out, i ? " %02x" : "%02x", data[i]);
    fputs(len > DATA_PREVIEW ? " ...\n" : "\n", out);
}

void annotate_packet(FILE *out, const uint8_t *packet, size_t len)
{
    struct ipv4_view ip;
    struct icmp_view icmp;

    enum ipv4_status status = ipv4_parse(packet, len, &ip);
    if (status != IPV4_OK) {
        ipv4_explain(out, status, packet, len);
        fputc('\n', out);
        return;
    }
    fprintf(out, "  IPv4 header, %zu bytes\n", ip.header_len);
    print_fields(out, IPV4_FIELDS, IPV4_FIELD_COUNT, packet, 0, ip.header_len);
    if (ip.header_len > IPV4_MIN_HEADER_LEN) {
        print_offset(out, IPV4_MIN_HEADER_LEN, ip.header_len - 1);
        fprintf(out, "(%zu bytes)    %-17s\n", ip.header_len - IPV4_MIN_HEADER_LEN, "Options");
    }
    if (ip.protocol != IPV4_PROTOCOL_ICMP) {
        print_data(out, ip.payload, ip.payload_len, ip.header_len);
        return;
    }
    if (icmp_parse(ip.payload, ip.payload_len, &icmp) < 0) {
        fprintf(out, "  ICMP message of %zu bytes: too short for its 8-byte header\n",
                ip.payload_len);
        return;
    }
    fprintf(out, "  ICMP %s, %zu bytes\n", icmp_type_name(icmp.type), ip.payload_len);
    /* Identifier and sequence number belong to echo messages; other types
     * give those four bytes other meanings. */
    int is_echo = icmp.type == ICMP_ECHO_REQUEST || icmp.type == ICMP_ECHO_REPLY;
    print_fields(out, ICMP_ECHO_FIELDS, is_echo ? ICMP_ECHO_FIELD_COUNT : 3, packet,
                 ip.header_len, ip.payload_len);
    if (!is_echo) {
        print_offset(out, ip.header_len + 4, ip.header_len + 7);
        print_bytes(out, ip.payload + 4, 4);
        fprintf(out, "%-17s\n", "Rest of header");
    }
    print_data(out, icmp.data, icmp.data_len, ip.header_len + ICMP_ECHO_HEADER_LEN);
}
