#include "checksum.h"

/*
 * RFC 1071 in its plainest form. We add 16-bit words into a 32-bit
 * accumulator, so the carries out of bit 15 pile up in the high half instead
 * of being lost; folding them back in at the end ("end-around carry") gives
 * the same answer as adding each carry as it happens.
 *
 * A 32-bit accumulator cannot overflow here: an IPv4 datagram holds at most
 * 32767 words of at most 0xffff, which sums to less than 2^31.
 */
static uint32_t sum_words(const uint8_t *data, size_t len)
{
    uint32_t sum = 0;
    size_t i = 0;

    for (; i + 1 < len; i += 2)
        sum += (uint32_t)data[i] << 8 | data[i + 1];

    /* [exercise 05: this is the loop of the original post, which forgets something when len is odd: ping -s 57 finds it] */
    /* The odd byte is the HIGH half of a last word padded with zero.
     * Reading it as the low half is a classic bug (ping -s 57 finds it). */
    if (i < len)
        sum += (uint32_t)data[i] << 8;
    /* [end exercise] */

    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum > 0xffff)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

uint16_t inet_checksum(const uint8_t *data, size_t len)
{
    return (uint16_t)~fold(sum_words(data, len));
}

int inet_checksum_ok(const uint8_t *data, size_t len)
{
    return fold(sum_words(data, len)) == 0xffff;
}

uint16_t inet_sum(uint16_t sum, const uint8_t *data, size_t len)
{
    return fold(sum + sum_words(data, len));
}
