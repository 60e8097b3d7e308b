/*
 * inject: sends packets straight into a responder's read(), the way the
 * end-to-end tests feed it bad input, and counts what it writes back.
 *
 *   inject -i TUN --malformed REQUEST.pcap     every malformed shape of it
 *   inject -i TUN --ladder REQUEST.pcap        one packet for each rung of step
 *                                              07's ladder, in its order
 *   inject -i TUN --random N --seed S          N packets of random bytes
 *   inject -i TUN FILE.pcap                    the packets of a capture
 *   inject --to-dir DIR ...                    write each packet to a file in
 *                                              DIR instead (fuzzing seeds)
 *
 * An AF_PACKET socket bound to the tun with protocol ETH_P_IP transmits its
 * bytes out of the tun, that is, to the program reading the tun, with no
 * kernel check on the way: bad checksums, short headers and all. A second
 * AF_PACKET socket bound to the same tun sees every packet the responder
 * writes (they arrive as PACKET_HOST). Once everything is sent we count
 * those until the responder has been quiet for a moment; the last line says
 * how many packets were sent and how many replies came back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bytes.h"
#include "checksum.h"
#include "packet_socket.h"
#include "pcapfile.h"

enum { MAX_PACKET = 65535, WAIT_MS = 300 };

struct injector {
    const char *dir;                /* --to-dir: write files, send nothing */
    int sender, watcher;
    struct sockaddr_ll link;
    unsigned sent, replies;
};

/* Counts the packets the responder writes until it has been quiet for
 * WAIT_MS. */
static unsigned count_replies(struct injector *in)
{
    struct pollfd readable = {.fd = in->watcher, .events = POLLIN};
    static uint8_t buffer[MAX_PACKET];
    unsigned replies = 0;

    while (poll(&readable, 1, WAIT_MS) == 1) {
        struct sockaddr_ll from;
        socklen_t from_len = sizeof from;
        if (recvfrom(in->watcher, buffer, sizeof buffer, 0, (struct sockaddr *)&from,
                     &from_len) < 0)
            break;
        if (from.sll_pkttype == PACKET_HOST)
            replies++;
    }
    return replies;
}

static void write_packet(struct injector *in, const uint8_t *packet, size_t len)
{
    char path[4096];

    snprintf(path, sizeof path, "%s/injected-%03u", in->dir, in->sent);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(packet, 1, len, f) != len)
        fprintf(stderr, "inject: cannot write %s\n", path);
    if (f)
        fclose(f);
    in->sent++;
}

static void send_packet(struct injector *in, const uint8_t *packet, size_t len)
{
    if (in->dir) {
        write_packet(in, packet, len);
        return;
    }
    if (sendto(in->sender, packet, len, 0, (struct sockaddr *)&in->link, sizeof in->link) < 0) {
        fprintf(stderr, "inject: sending %zu bytes failed (%s)\n", len, strerror(errno));
        return;
    }
    in->sent++;
}

static void fix_header_checksum(uint8_t *packet, size_t header_len)
{
    write_be16(packet + 10, 0);
    write_be16(packet + 10, inet_checksum(packet, header_len));
}

/* Every malformed or unanswerable variant of a good echo request (IPv4, no
 * options). None of them may get a reply. */
static void send_malformed(struct injector *in, const uint8_t *request, size_t len)
{
    static uint8_t p[MAX_PACKET];
    const size_t cuts[] = {1, 2, 10, 19, 20, 21, 27};

    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        if (cuts[i] < len)
            send_packet(in, request, cuts[i]);          /* too short */
    send_packet(in, request, len - 1);                  /* total length past the end */

    const uint8_t first_bytes[] = {0x65, 0x55, 0xf5, 0x05, 0x40, 0x44, 0x4f};
    for (size_t i = 0; i < sizeof first_bytes; i++) {   /* version, IHL */
        memcpy(p, request, len);
        p[0] = first_bytes[i];
        send_packet(in, p, len);
    }

    const uint16_t total_lengths[] = {0, 19, 24, 27};   /* below header, short ICMP */
    for (size_t i = 0; i < sizeof total_lengths / sizeof total_lengths[0]; i++) {
        memcpy(p, request, len);
        write_be16(p + 2, total_lengths[i]);
        fix_header_checksum(p, 20);
        send_packet(in, p, len);
    }

    const uint16_t fragments[] = {0x2000, 0x2001, 0x0001, 0x00b9};  /* MF, offsets */
    for (size_t i = 0; i < sizeof fragments / sizeof fragments[0]; i++) {
        memcpy(p, request, len);
        write_be16(p + 6, fragments[i]);
        fix_header_checksum(p, 20);
        send_packet(in, p, len);
    }

    const uint8_t protocols[] = {6, 17, 58, 0};         /* not ICMP */
    for (size_t i = 0; i < sizeof protocols; i++) {
        memcpy(p, request, len);
        p[9] = protocols[i];
        fix_header_checksum(p, 20);
        send_packet(in, p, len);
    }

    const uint8_t types[] = {0, 3, 5, 11, 13, 255};     /* not an echo request */
    for (size_t i = 0; i < sizeof types; i++) {
        memcpy(p, request, len);
        p[20] = types[i];
        write_be16(p + 22, 0);
        write_be16(p + 22, inet_checksum(p + 20, len - 20));
        send_packet(in, p, len);
    }
}

/* Copies the request, adds options after the 20-byte header, fixes the
 * lengths and the header checksum; returns the new length. */
static size_t with_options(uint8_t *p, const uint8_t *request, size_t len,
                           const uint8_t *options, size_t options_len)
{
    memcpy(p, request, 20);
    memcpy(p + 20, options, options_len);
    memcpy(p + 20 + options_len, request + 20, len - 20);
    p[0] = (uint8_t)(0x40 | (20 + options_len) / 4);
    write_be16(p + 2, (uint16_t)(len + options_len));
    fix_header_checksum(p, 20 + options_len);
    return len + options_len;
}

/* One packet for each way step 07 refuses a request, in the order of its
 * ladder: each one is right but for the one thing its rung checks. The
 * request goes to the step's own address (192.0.2.2 in the lab), from
 * another (192.0.2.1). Step 06 reads no options: it answers the two with
 * options as step 05 would. */
static void send_ladder(struct injector *in, const uint8_t *request, size_t len)
{
    static uint8_t p[MAX_PACKET];
    const uint8_t bad_option[4] = {7, 3, 3, 0};             /* pointer below 4 */
    const uint8_t source_route[8] = {131, 7, 4, 192, 0, 2, 9, 0};

    send_packet(in, request, 19);                           /* too short */
    memcpy(p, request, len); p[0] = 0x65;
    send_packet(in, p, len);                                /* not IPv4 */
    memcpy(p, request, len); p[0] = 0x44;
    send_packet(in, p, len);                                /* IHL below 5 */
    memcpy(p, request, len); p[0] = 0x4f;
    send_packet(in, p, 40);                                 /* header past the end */
    send_packet(in, request, len - 1);                      /* total length past the end */
    memcpy(p, request, len); write_be16(p + 2, 19); fix_header_checksum(p, 20);
    send_packet(in, p, len);                                /* total length below header */
    memcpy(p, request, len); p[10] ^= 0x01;
    send_packet(in, p, len);                                /* bad header checksum */
    memcpy(p, request, len); write_be16(p + 6, 0x2000); fix_header_checksum(p, 20);
    send_packet(in, p, len);                                /* fragment */
    memcpy(p, request, len); p[12] = 224; fix_header_checksum(p, 20);
    send_packet(in, p, len);                                /* multicast source */
    memcpy(p, request, len); memcpy(p + 12, request + 16, 4); fix_header_checksum(p, 20);
    send_packet(in, p, len);                                /* from our own address: a martian */
    memcpy(p, request, len); memset(p + 16, 255, 4); fix_header_checksum(p, 20);
    send_packet(in, p, len);                                /* broadcast destination */
    memcpy(p, request, len); p[19] = 77; fix_header_checksum(p, 20);
    send_packet(in, p, len);                                /* another host's address */
    send_packet(in, p, with_options(p, request, len, bad_option, sizeof bad_option));
    send_packet(in, p, with_options(p, request, len, source_route, sizeof source_route));
    memcpy(p, request, len); p[9] = 17; fix_header_checksum(p, 20);
    send_packet(in, p, len);                                /* not ICMP */
    memcpy(p, request, len); write_be16(p + 2, 24); fix_header_checksum(p, 20);
    send_packet(in, p, 24);                                 /* ICMP too short */
    memcpy(p, request, len); p[22] ^= 0x80;
    send_packet(in, p, len);                                /* bad ICMP checksum */
    memcpy(p, request, len); p[20] = 0;
    write_be16(p + 22, 0); write_be16(p + 22, inet_checksum(p + 20, len - 20));
    send_packet(in, p, len);                                /* an echo reply */
}

/* xorshift: a tiny, seeded, repeatable generator. */
static uint32_t next_random(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

static void send_random(struct injector *in, unsigned count, uint32_t seed)
{
    static uint8_t p[MAX_PACKET];
    uint32_t state = seed ? seed : 1;

    for (unsigned n = 0; n < count; n++) {
        size_t len = 1 + next_random(&state) % 200;
        for (size_t i = 0; i < len; i++)
            p[i] = (uint8_t)next_random(&state);
        if (n % 2)                  /* half of them look like IPv4 at first */
            p[0] = (uint8_t)(0x40 | (p[0] & 0x0f));
        send_packet(in, p, len);
    }
}

static int send_each(void *context, const struct timeval *when, const uint8_t *packet, size_t len)
{
    (void)when;
    send_packet(context, packet, len);
    return 0;
}

int main(int argc, char **argv)
{
    static struct injector in;
    static uint8_t request[MAX_PACKET];
    char why[512] = "";

    if (argc < 4 || (strcmp(argv[1], "-i") != 0 && strcmp(argv[1], "--to-dir") != 0)) {
        fprintf(stderr, "usage: inject (-i TUN | --to-dir DIR) (--malformed REQUEST.pcap | "
                        "--ladder REQUEST.pcap | --random N --seed S | FILE.pcap)\n");
        return 2;
    }
    struct sockaddr_ll watch_link;
    if (strcmp(argv[1], "--to-dir") == 0)
        in.dir = argv[2];
    else {
        in.sender = open_packet_socket(argv[2], ETH_P_IP, &in.link);
        in.watcher = open_packet_socket(argv[2], ETH_P_ALL, &watch_link);
    }
    if (!in.dir && (in.sender < 0 || in.watcher < 0)) {
        fprintf(stderr, "inject: cannot open a packet socket on %s (%s): %s\n", argv[2],
                strerror(errno), errno == EPERM ? "it needs root, run it with sudo"
                : "is there a tun of that name?");
        return 1;
    }

    if (strcmp(argv[3], "--malformed") == 0 && argc == 5) {
        long len = pcap_read_first(argv[4], request, sizeof request, why, sizeof why);
        if (len < 28) {
            fprintf(stderr, "inject: %s\n", why[0] ? why : "no echo request in the capture");
            return 1;
        }
        send_malformed(&in, request, (size_t)len);
    } else if (strcmp(argv[3], "--ladder") == 0 && argc == 5) {
        long len = pcap_read_first(argv[4], request, sizeof request, why, sizeof why);
        if (len < 28) {
            fprintf(stderr, "inject: %s\n", why[0] ? why : "no echo request in the capture");
            return 1;
        }
        send_ladder(&in, request, (size_t)len);
    } else if (strcmp(argv[3], "--random") == 0 && argc == 7 && strcmp(argv[5], "--seed") == 0) {
        send_random(&in, (unsigned)strtoul(argv[4], NULL, 10),
                    (uint32_t)strtoul(argv[6], NULL, 10));
    } else if (argc == 4) {
        if (pcap_read_packets(argv[3], send_each, &in, why, sizeof why) < 0) {
            fprintf(stderr, "inject: %s\n", why);
            return 1;
        }
    } else {
        fprintf(stderr, "inject: unknown arguments: see the usage at the top of tools/inject.c\n");
        return 2;
    }
    if (in.dir) {
        printf("wrote %u packets to %s\n", in.sent, in.dir);
        return 0;
    }
    in.replies = count_replies(&in);
    printf("sent %u, replies %u\n", in.sent, in.replies);
    return 0;
}
