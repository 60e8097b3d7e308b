/* What difftest and compare share to move a packet between the step's
 * addresses (192.0.2.x) and the kernel's (198.51.100.x): the checksums
 * that cover addresses follow them by RFC 1624's incremental update, in
 * the packet and in the datagram an ICMP error quotes. Each tool says how
 * its addresses map (a header_mapper); the checksums are moved here. Test
 * tools only, so it lives here, not in common/. */
#ifndef ICMP_STEPS_MAPPING_H
#define ICMP_STEPS_MAPPING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bytes.h"

/* Maps the addresses of one IP header (`header_len` bytes: the source,
 * the destination, those inside its options). In the header an error
 * quotes, `arrived` (else NULL) is the copy the quoted header checksum is
 * moved from: Linux quotes the checksum the datagram arrived with, so a
 * slot it stamped on arrival was never covered; a mapper that maps such a
 * slot writes the mapped bytes into `arrived` too, and the checksum does
 * not move for them. */
typedef void (*header_mapper)(uint8_t *header, size_t header_len, uint8_t *arrived,
                              void *context);

/* UDP and UDP-Lite (RFC 3828) share a header: ports, a length (UDP-Lite:
 * how many bytes the checksum covers, 0 for all), a checksum. */
static inline int udp_like(uint8_t protocol)
{
    return protocol == 17 || protocol == 136;
}

/* One's complement sum of `len` bytes as 16-bit big-endian words. */
static inline uint32_t sum_words(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += read_be16(p + i);
    if (len % 2)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

/* RFC 1624's incremental update (HC' = ~(~HC + ~m + m')): the checksum
 * at `field` covered `before` and now covers `after` (the same `len`
 * bytes, from the same even offset of what it covers). A right checksum
 * stays right and a wrong one stays exactly as wrong, so whatever the
 * kernel wrote (even a stale checksum in a quote) survives the mapping.
 * UDP's field (`udp`) keeps 0 for "no checksum" and never becomes 0. */
static inline void move_checksum(uint8_t *field, const uint8_t *before, const uint8_t *after,
                                 size_t len, int udp)
{
    uint16_t old = read_be16(field);
    if (udp && old == 0)
        return;
    uint32_t sum = (uint16_t)~old + sum_words(after, len);
    uint32_t minus = sum_words(before, len);
    while (minus >> 16)
        minus = (minus & 0xffff) + (minus >> 16);
    sum += (uint16_t)~minus;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t updated = (uint16_t)~sum;
    write_be16(field, udp && updated == 0 ? 0xffff : updated);
}

/* Maps one IP header and what it carries: its addresses (by `map`), the
 * header checksum, and the TCP, UDP or UDP-Lite checksum (whose
 * pseudo-header holds the addresses) when the transport header is there
 * (`len` may end inside the datagram: a quote). Returns 0 when this is not
 * an IPv4 header it can read. `quoted`: the datagram an error quotes. */
static inline int map_datagram(uint8_t *p, size_t len, int quoted, header_mapper map,
                               void *context)
{
    if (len < 20 || (p[0] >> 4) != 4)
        return 0;
    size_t header_len = (size_t)(p[0] & 0x0f) * 4;
    if (header_len < 20 || header_len > len)
        return 0;
    uint8_t before[60];
    memcpy(before, p, header_len);
    map(p, header_len, quoted ? before : NULL, context);
    move_checksum(p + 10, before, p, header_len, 0);
    size_t at = p[9] == 6 ? 16 : 6;
    if ((p[9] == 6 || udp_like(p[9])) && (read_be16(p + 6) & 0x1fff) == 0 &&
        header_len + at + 2 <= len)
        move_checksum(p + header_len + at, before + 12, p + 12, 8, udp_like(p[9]));
    return 1;
}

/* The datagram an ICMP error quotes (`p` is the whole error, already
 * mapped) is mapped the same way, whose checksums move with it; then the
 * error's own ICMP checksum follows its changed quote. */
static inline void map_error_quote(uint8_t *p, size_t len, header_mapper map, void *context)
{
    if (len < 20 || (p[0] >> 4) != 4)
        return;
    size_t header_len = (size_t)(p[0] & 0x0f) * 4;
    if (header_len < 20 || header_len > len)
        return;
    uint8_t *icmp = p + header_len;
    size_t icmp_len = len - header_len;
    if (p[9] != 1 || icmp_len < 8 + 20 || (read_be16(p + 6) & 0x1fff) != 0)
        return;
    uint8_t type = icmp[0];
    if (type != 3 && type != 4 && type != 5 && type != 11 && type != 12)
        return;
    static uint8_t before[65535];
    memcpy(before, icmp, icmp_len);
    if (map_datagram(icmp + 8, icmp_len - 8, 1, map, context))
        move_checksum(icmp + 2, before, icmp, icmp_len, 0);
}

#endif
