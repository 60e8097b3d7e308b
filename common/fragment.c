#include "fragment.h"

#include <string.h>

#include "bytes.h"
#include "checksum.h"
#include "ipv6.h"

enum { IPV4_MIN_HEADER = 20, IPOPT_END = 0, IPOPT_NOOP = 1, IPOPT_COPIED = 0x80,
       IP_MF = 0x2000, IP_OFFSET = 0x1fff, MAX_FRAGMENT = 65535,
       IPV6_FRAGMENT_HEADER_LEN = 8, IPV6_MF = 1 };

void ipv4_options_for_later_fragments(uint8_t *options, size_t len)
{
    size_t at = 0;

    while (at < len) {
        if (options[at] == IPOPT_END)
            return;
        if (options[at] == IPOPT_NOOP) {
            at++;
            continue;
        }
        size_t option_len = at + 1 < len ? options[at + 1] : 0;
        if (option_len < 2 || option_len > len - at)
            return;
        if (!(options[at] & IPOPT_COPIED))
            memset(options + at, IPOPT_NOOP, option_len);
        at += option_len;
    }
}

size_t ipv4_fragment(const uint8_t *datagram, size_t len, unsigned mtu,
                     void (*send)(void *context, const uint8_t *fragment, size_t len),
                     void *context)
{
    static uint8_t fragment[MAX_FRAGMENT];
    size_t header_len = (size_t)(datagram[0] & 0x0f) * 4;

    if (len <= mtu) {
        send(context, datagram, len);
        return 1;
    }
    if (mtu < header_len + 8)
        return 0;
    /* Linux's "data space": what is left of the MTU after the header. A
     * fragment that has another after it carries a multiple of 8 bytes,
     * since offsets count 8-byte units; the last may fill the space. */
    size_t space = mtu - header_len, room = space & ~(size_t)7;
    uint16_t flags_offset = read_be16(datagram + 6);
    size_t offset = (size_t)(flags_offset & IP_OFFSET) * 8;
    int more_after = (flags_offset & IP_MF) != 0;
    size_t count = 0;

    memcpy(fragment, datagram, header_len);
    for (size_t at = header_len, data_len; at < len; at += data_len) {
        data_len = len - at <= space ? len - at : room;
        int last = at + data_len == len;

        memcpy(fragment + header_len, datagram + at, data_len);
        write_be16(fragment + 2, (uint16_t)(header_len + data_len));
        write_be16(fragment + 6, (uint16_t)((offset + at - header_len) / 8 |
                                            (!last || more_after ? IP_MF : 0)));
        write_be16(fragment + 10, 0);
        write_be16(fragment + 10, inet_checksum(fragment, header_len));
        send(context, fragment, header_len + data_len);
        count++;
        /* After the first, the options not meant for every fragment go. */
        if (at == header_len)
            ipv4_options_for_later_fragments(fragment + IPV4_MIN_HEADER,
                                              header_len - IPV4_MIN_HEADER);
    }
    return count;
}

/* ip6_find_1stfragopt(): where the fragmentable part begins. The IPv6
 * header, a hop-by-hop header, a routing header and a destination options
 * header stay in every fragment, except a destination options header after
 * a routing header (meant for the final destination only, RFC 8200 4.1).
 * Returns 0 if a header runs past the packet. Sets *next_header_at to the
 * byte that names the first fragmentable header. */
static size_t unfragmentable_len(const uint8_t *packet, size_t len, size_t *next_header_at)
{
    size_t at = IPV6_HEADER_LEN;
    int routing_seen = 0;

    *next_header_at = 6;
    for (;;) {
        uint8_t next = packet[*next_header_at];
        if (next == IPV6_NEXT_ROUTING)
            routing_seen = 1;
        else if (next != IPV6_NEXT_HOP_BY_HOP &&
                 !(next == IPV6_NEXT_DESTINATION && !routing_seen))
            return at;
        if (at + 2 > len)
            return 0;
        *next_header_at = at;
        at += ((size_t)packet[at + 1] + 1) * 8;
        if (at > len)
            return 0;
    }
}

size_t ipv6_fragment(const uint8_t *packet, size_t len, unsigned mtu, uint32_t identification,
                     void (*send)(void *context, const uint8_t *fragment, size_t len),
                     void *context)
{
    static uint8_t fragment[MAX_FRAGMENT + IPV6_HEADER_LEN];
    size_t next_header_at;

    if (len <= mtu) {
        send(context, packet, len);
        return 1;
    }
    if (len < IPV6_HEADER_LEN || len > sizeof fragment)
        return 0;
    size_t header_len = unfragmentable_len(packet, len, &next_header_at);
    if (header_len == 0 || mtu < header_len + IPV6_FRAGMENT_HEADER_LEN + 8)
        return 0;
    /* As for IPv4: every fragment but the last carries a multiple of 8
     * bytes, as many as fit; the last may fill the space. */
    size_t space = mtu - header_len - IPV6_FRAGMENT_HEADER_LEN, room = space & ~(size_t)7;
    size_t count = 0;
    uint8_t *fragment_header = fragment + header_len;

    memcpy(fragment, packet, header_len);
    fragment_header[0] = packet[next_header_at];    /* what follows, named in here */
    fragment_header[1] = 0;                         /* reserved */
    write_be32(fragment_header + 4, identification);
    fragment[next_header_at] = IPV6_NEXT_FRAGMENT;
    for (size_t at = header_len, data_len; at < len; at += data_len) {
        data_len = len - at <= space ? len - at : room;
        int last = at + data_len == len;
        size_t fragment_len = header_len + IPV6_FRAGMENT_HEADER_LEN + data_len;

        memcpy(fragment_header + IPV6_FRAGMENT_HEADER_LEN, packet + at, data_len);
        write_be16(fragment + 4, (uint16_t)(fragment_len - IPV6_HEADER_LEN));
        write_be16(fragment_header + 2, (uint16_t)((at - header_len) | (last ? 0 : IPV6_MF)));
        send(context, fragment, fragment_len);
        count++;
    }
    return count;
}

/* ---- what Linux's ICMP socket can hold ------------------------------------ */

enum {
    /* Measured sizes on x86-64 Linux 6.x: SKB_DATA_ALIGN(sizeof(struct
     * sk_buff)) and of struct skb_shared_info, which every buffer carries. */
    SKB_STRUCT = 256,
    SKB_SHARED_INFO = 320,
    /* __ip_append_data(): alloc_extra, LL_RESERVED_SPACE() of a tun (16)
     * plus 15 for alignment. */
    SKB_HEADROOM = 16 + 15,
    /* kmalloc_reserve(): heads this small come from skb_small_head_cache. */
    SKB_SMALL_HEAD = 576,
    /* icmp_init(): sk_sndbuf = 2 * SKB_TRUESIZE(64 * 1024), "enough space
     * for 2 64K ICMP packets"; __ip_append_data() allows twice sk_sndbuf. */
    ICMP_SNDBUF = 2 * (64 * 1024 + SKB_STRUCT + SKB_SHARED_INFO),
    ICMP_SEND_LIMIT = 2 * ICMP_SNDBUF,
};

/* skb->truesize of a buffer built for `len` bytes of packet. */
static size_t kernel_buffer_truesize(size_t len)
{
    size_t wanted = len + SKB_HEADROOM + SKB_SHARED_INFO;
    size_t size = SKB_SMALL_HEAD;
    if (wanted > size)
        for (size = 1024; size < wanted; size *= 2)
            ;
    return size + SKB_STRUCT;
}

int ipv4_fits_icmp_send_buffer(const uint8_t *datagram, size_t len, unsigned mtu,
                               size_t *charge)
{
    size_t header_len = (size_t)(datagram[0] & 0x0f) * 4;
    /* sk_wmem_alloc starts at 1: the socket's own reference. */
    *charge = 1;
    if (len <= mtu || mtu < header_len + 8)
        return 1;               /* one buffer; or ipv4_fragment() refuses it */
    size_t per_fragment = (mtu - header_len) & ~(size_t)7;
    for (size_t data = len - header_len; data > per_fragment; data -= per_fragment) {
        /* A fragment follows this one: it is built only if all before it
         * take at most ICMP_SEND_LIMIT. */
        *charge += kernel_buffer_truesize(header_len + per_fragment);
        if (*charge > ICMP_SEND_LIMIT)
            return 0;
    }
    return 1;
}
