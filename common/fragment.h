/* Cutting a datagram that does not fit the link into fragments (RFC 791
 * section 3.2, "fragmentation"), as Linux does it: step 10 on. */
#ifndef ICMP_STEPS_FRAGMENT_H
#define ICMP_STEPS_FRAGMENT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Cuts `datagram` (a whole IPv4 datagram, header checked) into fragments of
 * at most `mtu` bytes as Linux's ip_do_fragment() does: the data of each but
 * the last a multiple of 8 bytes, as many as fit; More Fragments on all but
 * the last (and on the last too if `datagram` was itself a fragment that
 * was not the last); offsets in 8-byte units, counted from the datagram's
 * own; Don't Fragment clear; the first fragment with all the options, the
 * later ones with every option whose copy flag is clear replaced by NOPs
 * (ip_options_fragment(), so every header has the same length); each
 * header's checksum new. The identification is the datagram's: the caller
 * chooses it. Calls send() once for each fragment, in order.
 *
 * Returns the number of fragments (1, and `datagram` sent as it is, if it
 * fits), or 0 if it cannot be cut (the MTU leaves no room for a header and
 * 8 bytes of data), and then nothing is sent.
 */
size_t ipv4_fragment(const uint8_t *datagram, size_t len, unsigned mtu,
                     void (*send)(void *context, const uint8_t *fragment, size_t len),
                     void *context);

/*
 * IPv6 (RFC 8200 4.5), as Linux's ip6_fragment(): cuts `packet` (a whole
 * IPv6 packet, `len` bytes) into packets of at most `mtu` bytes, each made
 * of the unfragmentable part (the IPv6 header, hop-by-hop and routing
 * headers, and a destination options header unless a routing header came
 * before it: ip6_find_1stfragopt()), a Fragment header (identification
 * `identification`, the next header the unfragmentable part named), then
 * the data, a multiple of 8 bytes in every fragment but the last; the
 * unfragmentable part's last next header becomes 44 and each payload length
 * is the fragment's own. The caller chooses the identification (Linux:
 * ipv6_select_ident(), a keyed hash of the two addresses plus a counter).
 * Calls send() once for each fragment, in order.
 *
 * Returns the number of fragments (1, and `packet` sent as it is, if it
 * fits), or 0 if it cannot be cut (the MTU leaves no room for the
 * unfragmentable part, a Fragment header and 8 bytes of data; or the packet
 * is malformed), and then nothing is sent.
 */
size_t ipv6_fragment(const uint8_t *packet, size_t len, unsigned mtu, uint32_t identification,
                     void (*send)(void *context, const uint8_t *fragment, size_t len),
                     void *context);

/*
 * Whether Linux would send `datagram` (`len` bytes, IPv4) from its ICMP
 * socket on a link of `mtu` bytes: icmp_push_reply() builds the reply's
 * fragments with ip_append_data(), one kernel buffer (skb) each, and
 * __ip_append_data() builds another only while those before it take no
 * more than twice the socket's send buffer (2 * sk_sndbuf, which
 * icmp_init() sets to room for two 64 KiB packets: 264,448 bytes); if one
 * cannot be built, none is sent. Each buffer counts its truesize: its
 * bytes plus room for the link header and skb_shared_info, rounded up as
 * the kernel allocates (576, then powers of two), plus the struct sk_buff.
 * Returns 1 if it fits, 0 if not; *charge gets the bytes that would be
 * charged before the last fragment.
 */
int ipv4_fits_icmp_send_buffer(const uint8_t *datagram, size_t len, unsigned mtu,
                               size_t *charge);
/* ip_options_fragment(): in `options` (`len` bytes, a header's options),
 * every option that is not to be copied into fragments after the first
 * (the copy flag, the top bit of its type, is clear: Record Route and
 * Timestamp) becomes NOPs. Stops where Linux stops: at End of Options, or
 * at a length that cannot be. */
void ipv4_options_for_later_fragments(uint8_t *options, size_t len);

#endif
