/* The Internet checksum (RFC 1071), used by the IPv4 header and by ICMP. */
#ifndef ICMP_STEPS_CHECKSUM_H
#define ICMP_STEPS_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * The 16-bit one's complement of the one's complement sum of `data`,
 * read as big-endian 16-bit words. An odd trailing byte counts as the high
 * byte of a last word whose low byte is zero.
 *
 * The result is a number: store it big-endian (high byte first) in the
 * checksum field, which must be zero while the sum is taken.
 */
uint16_t inet_checksum(const uint8_t *data, size_t len);

/* True when `data`, checksum field included, sums to 0xffff: the receiver's
 * check. */
int inet_checksum_ok(const uint8_t *data, size_t len);

/* The one's complement sum of `data` added to `sum`, folded but not
 * complemented: to sum pieces that lie apart, such as the pseudo-header
 * and the segment of a UDP or TCP checksum (RFC 768, RFC 793). Every piece
 * but the last must be of even length. The checksum is ~ the final sum. */
uint16_t inet_sum(uint16_t sum, const uint8_t *data, size_t len);

#endif
