#include "ipv4.h"

#include <string.h>

#include "bytes.h"
#include "checksum.h"

enum ipv4_status ipv4_parse(const uint8_t *packet, size_t len, struct ipv4_view *view)
{
    memset(view, 0, sizeof *view);

    /* Every check below reads only bytes that an earlier check proved are
     * there: first the fixed 20 bytes, then the options, then the payload. */
    if (len < IPV4_MIN_HEADER_LEN)
        return IPV4_TOO_SHORT;

    view->version = packet[0] >> 4;
    view->header_len = (size_t)(packet[0] & 0x0f) * 4;
    view->total_len = read_be16(packet + 2);
    /* [exercise 02: refuse, in this order, a version other than 4, a header length below 20, a header longer than len, a total length beyond len, and a total length shorter than the header] */
    if (view->version != 4)
        return IPV4_NOT_VERSION_4;
    if (view->header_len < IPV4_MIN_HEADER_LEN)
        return IPV4_IHL_TOO_SMALL;
    if (view->header_len > len)
        return IPV4_HEADER_PAST_END;
    if (view->total_len > len)
        return IPV4_TOTAL_LEN_PAST_END;
    if (view->total_len < view->header_len)
        return IPV4_TOTAL_LEN_BELOW_HEADER;
    /* [end exercise] */

    uint16_t flags_and_offset = read_be16(packet + 6);
    view->tos = packet[1];
    view->identification = read_be16(packet + 4);
    view->dont_fragment = (flags_and_offset & 0x4000) != 0;
    view->more_fragments = (flags_and_offset & 0x2000) != 0;
    view->fragment_offset = (uint16_t)((flags_and_offset & 0x1fff) * 8);
    view->ttl = packet[8];
    view->protocol = packet[9];
    view->header_checksum = read_be16(packet + 10);
    memcpy(view->src, packet + 12, 4);
    memcpy(view->dst, packet + 16, 4);
    view->payload = packet + view->header_len;
    view->payload_len = view->total_len - view->header_len;
    view->padding_len = len - view->total_len;
    return IPV4_OK;
}

void ipv4_explain(FILE *out, enum ipv4_status status, const uint8_t *packet, size_t len)
{
    switch (status) {
    case IPV4_OK:
        fprintf(out, "a well-formed IPv4 packet of %zu bytes", len);
        break;
    case IPV4_TOO_SHORT:
        if (len == 0)
            fputs("ignored: an empty packet", out);
        else
            fprintf(out, "ignored: %zu bytes is too short for an IPv4 header (20 at least)", len);
        break;
    case IPV4_NOT_VERSION_4:
        if (packet[0] >> 4 == 6)
            fprintf(out, "ignored: IPv6 packet (%zu bytes), this step speaks IPv4 only", len);
        else
            fprintf(out, "ignored: IP version %u is not 4 (%zu bytes)", packet[0] >> 4, len);
        break;
    case IPV4_IHL_TOO_SMALL:
        fprintf(out, "ignored: IPv4 header length %u bytes is below the minimum of 20",
                (packet[0] & 0x0f) * 4);
        break;
    case IPV4_HEADER_PAST_END:
        fprintf(out, "ignored: IPv4 header of %u bytes is longer than the %zu bytes read",
                (packet[0] & 0x0f) * 4, len);
        break;
    case IPV4_TOTAL_LEN_PAST_END:
        fprintf(out, "ignored: IPv4 total length %u is more than the %zu bytes read",
                read_be16(packet + 2), len);
        break;
    case IPV4_TOTAL_LEN_BELOW_HEADER:
        fprintf(out, "ignored: IPv4 total length %u is shorter than its %u-byte header",
                read_be16(packet + 2), (packet[0] & 0x0f) * 4);
        break;
    }
}

const char *ipv4_protocol_name(uint8_t protocol)
{
    /* The numbers come from IANA's "Assigned Internet Protocol Numbers". */
    switch (protocol) {
    case 1:   return "ICMP";
    case 2:   return "IGMP";
    case 4:   return "IPIP";
    case 6:   return "TCP";
    case 17:  return "UDP";
    case 41:  return "IPv6";
    case 47:  return "GRE";
    case 50:  return "ESP";
    case 51:  return "AH";
    case 89:  return "OSPF";
    case 103: return "PIM";
    case 112: return "VRRP";
    case 132: return "SCTP";
    case 136: return "UDP-Lite";
    default:  return "unknown";
    }
}

void ipv4_print_address(FILE *out, const uint8_t address[4])
{
    fprintf(out, "%u.%u.%u.%u", address[0], address[1], address[2], address[3]);
}

size_t ipv4_write_header(uint8_t *out, const struct ipv4_header_fields *fields)
{
    size_t header_len = IPV4_MIN_HEADER_LEN + fields->options_len;

    out[0] = (uint8_t)(0x40 | header_len / 4);  /* version 4, IHL in 32-bit words */
    out[1] = fields->tos;
    write_be16(out + 2, (uint16_t)(header_len + fields->payload_len));
    /* Don't Fragment makes this an "atomic" datagram, whose identification
     * may be anything (RFC 6864): 0 is as good as any. */
    write_be16(out + 4, 0);
    write_be16(out + 6, 0x4000);
    out[8] = fields->ttl;
    out[9] = fields->protocol;
    memcpy(out + 12, fields->src, 4);
    memcpy(out + 16, fields->dst, 4);
    if (fields->options_len > 0)
        memcpy(out + IPV4_MIN_HEADER_LEN, fields->options, fields->options_len);
    /* The kernel silently drops a packet whose header checksum is wrong, so
     * even the most naive reply must get this right. */
    write_be16(out + 10, 0);
    write_be16(out + 10, inet_checksum(out, header_len));
    return header_len;
}
