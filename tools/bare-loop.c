/*
 * bare-loop: the yardstick of `make bench`, the least a program can do to
 * answer ping through a tun: read a packet, turn an echo request into its
 * reply in place, write it back. No checks, no log, no signals, one read()
 * and one write() a packet. The steps are measured against it.
 *
 *   bare-loop [TUN]       (default tun0; stop it with a signal)
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tun.h"

int main(int argc, char **argv)
{
    static uint8_t p[65535];
    char why[512];
    int fd = tun_open(argc > 1 ? argv[1] : "tun0", why, sizeof why);

    if (fd < 0) {
        fprintf(stderr, "bare-loop: %s\n", why);
        return 1;
    }
    for (;;) {
        ssize_t n = read(fd, p, sizeof p);
        size_t ihl = n > 0 ? (size_t)(p[0] & 0x0f) * 4 : 0;
        if (n < 28 || (p[0] >> 4) != 4 || p[9] != 1 || (size_t)n < ihl + 8 || p[ihl] != 8)
            continue;                           /* not an echo request */
        uint8_t a[4];                           /* swap source and destination: */
        memcpy(a, p + 12, 4);                   /* the header's sum does not change */
        memcpy(p + 12, p + 16, 4);
        memcpy(p + 16, a, 4);
        p[ihl] = 0;                             /* echo reply: type 8 becomes 0, so */
        uint32_t sum = ((uint32_t)p[ihl + 2] << 8 | p[ihl + 3]) + 0x0800;  /* RFC 1624 */
        sum = (sum & 0xffff) + (sum >> 16);
        p[ihl + 2] = (uint8_t)(sum >> 8);
        p[ihl + 3] = (uint8_t)sum;
        if (write(fd, p, (size_t)n) < 0)
            perror("bare-loop: write");
    }
}
