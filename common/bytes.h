/* Network byte order, spelled out. Packets are big-endian ("network order");
 * reading them byte by byte works the same on every CPU and never makes an
 * unaligned access. */
#ifndef ICMP_STEPS_BYTES_H
#define ICMP_STEPS_BYTES_H

#include <stdint.h>

static inline uint16_t read_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void write_be16(uint8_t *p, uint16_t value)
{
    p[0] = (uint8_t)(value >> 8);
    p[1] = (uint8_t)(value & 0xff);
}

static inline uint32_t read_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void write_be32(uint8_t *p, uint32_t value)
{
    write_be16(p, (uint16_t)(value >> 16));
    write_be16(p + 2, (uint16_t)(value & 0xffff));
}

#endif
