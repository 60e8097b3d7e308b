#include "fragment.h"

#include <string.h>

#include "bytes.h"
#include "checksum.h"

enum { IPV4_MIN_HEADER = 20, IPOPT_END = 0, IPOPT_NOOP = 1, IPOPT_COPIED = 0x80,
       IP_MF = 0x2000, IP_OFFSET = 0x1fff, MAX_FRAGMENT = 65535 };

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

/* Not written yet: the API first, for step 11 to build on. */
size_t ipv6_fragment(const uint8_t *packet, size_t len, unsigned mtu, uint32_t identification,
                     void (*send)(void *context, const uint8_t *fragment, size_t len),
                     void *context)
{
    (void)packet, (void)len, (void)mtu, (void)identification, (void)send, (void)context;
    return 0;
}
