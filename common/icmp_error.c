#include "icmp_error.h"

#include <string.h>

#include "bytes.h"
#include "checksum.h"

int icmp_type_is_error(uint8_t type)
{
    switch (type) {
    case 3:                         /* destination unreachable */
    case 4:                         /* source quench */
    case 5:                         /* redirect */
    case 11:                        /* time exceeded */
    case 12:                        /* parameter problem */
        return 1;
    default:
        return type > 18;           /* NR_ICMP_TYPES */
    }
}

uint8_t icmp_error_tos(uint8_t tos)
{
    /* As Linux (__icmp_send, measured on 6.18): the request's bits of
     * IPTOS_TOS_MASK (0x1e, RFC 1349's four TOS bits) under precedence 6
     * (0xc0), the rest dropped. The mask is older than ECN, so ECN's 0x02
     * bit slips through: TOS 0xbb (ECN CE) gives 0xda. */
    return (uint8_t)((tos & 0x1e) | ICMP_ERROR_PRECEDENCE);
}

size_t icmp_error_write(uint8_t *out, const struct ipv4_view *ip, const uint8_t *datagram,
                        size_t datagram_len, const struct icmp_error *error)
{
    size_t room = ICMP_ERROR_MAX_LEN - IPV4_MIN_HEADER_LEN - error->options_len -
                  ICMP_ERROR_HEADER_LEN;
    size_t quoted = datagram_len < room ? datagram_len : room;
    struct ipv4_header_fields header = {
        .tos = icmp_error_tos(ip->tos),
        .ttl = error->ttl,
        .protocol = IPV4_PROTOCOL_ICMP,
        .payload_len = ICMP_ERROR_HEADER_LEN + quoted,
        .options = error->options,
        .options_len = error->options_len,
    };
    memcpy(header.src, ip->dst, 4);
    memcpy(header.dst, error->to ? error->to : ip->src, 4);
    size_t header_len = ipv4_write_header(out, &header);
    /* Linux sends errors with Don't Fragment clear (its ICMP socket's
     * IP_PMTUDISC_DONT): a 576-byte error must get through a link with a
     * smaller MTU too, in pieces, and so needs an identification of its
     * own (RFC 6864). */
    write_be16(out + 4, error->identification);
    write_be16(out + 6, 0);
    write_be16(out + 10, 0);
    write_be16(out + 10, inet_checksum(out, header_len));

    uint8_t *icmp = out + header_len;
    icmp[0] = error->type;
    icmp[1] = error->code;
    write_be16(icmp + 2, 0);
    write_be32(icmp + 4, error->info);
    memcpy(icmp + ICMP_ERROR_HEADER_LEN, datagram, quoted);
    write_be16(icmp + 2, inet_checksum(icmp, ICMP_ERROR_HEADER_LEN + quoted));
    return header_len + ICMP_ERROR_HEADER_LEN + quoted;
}
