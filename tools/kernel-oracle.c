/*
 * kernel-oracle: asks the Linux kernel how it answers each echo request of a
 * capture, so that tests can compare a step's reply with the kernel's own.
 *
 *   kernel-oracle -i TUN REQUESTS.pcap REPLIES.pcap
 *   kernel-oracle --all -i TUN REQUESTS.pcap REPLIES.pcap
 *   kernel-oracle --all --or-silence -i TUN REQUESTS.pcap REPLIES.pcap
 *   kernel-oracle --every -i TUN REQUESTS.pcap REPLIES.pcap
 *
 * With --all, every IPv4 packet is asked, not only echo requests, and the
 * answer is the first IPv4 packet the kernel sends back to 198.51.100.2
 * (an ICMP error, a timestamp reply): each must have one (step 09's
 * fixtures). With --every, every IPv4 (and IPv6) packet is asked too, and the answer is
 * every packet the kernel sends to the peer until it has been quiet for
 * EVERY_QUIET_MS: none (a fragment the kernel holds), or several (a reply
 * it cut into fragments: step 10's fixtures). A UDP, UDP-Lite or TCP checksum, which covers the addresses, is moved
 * along with them (RFC 1624), so that a right one stays right.
 *
 * TUN must already exist, be up, and carry 198.51.100.1/24 (the test scripts
 * set that up inside a private network namespace). Each IPv4 echo request of
 * REQUESTS.pcap is rewritten to come from 198.51.100.2 and go to
 * 198.51.100.1, the tun's own address, and written into the tun: the kernel
 * takes it as received, answers it, and routes its reply back out of the
 * same tun, where we read it and save it to REPLIES.pcap in the same order.
 *
 * Changing the addresses leaves the ICMP message, and its checksum, as they
 * were: IPv4 has no pseudo-header, so the addresses are not part of the ICMP
 * checksum. Only the IPv4 header checksum is recomputed.
 *
 * IPv6 (step 11), with --all only: an IPv6 packet of REQUESTS.pcap is asked
 * the same way: 2001:db8::1 (the peer on the responder's side)
 * becomes 2001:db8:1::2 and 2001:db8::2 (the responder) 2001:db8:1::1,
 * wherever either stands at an even offset (the header, a routing header's
 * list, a neighbor solicitation's target); a multicast destination stays.
 * ICMPv6, UDP and TCP checksums cover the addresses (the pseudo-header,
 * RFC 8200 8.1), so each address changed there moves the checksum along
 * (RFC 1624): a right one stays right, a wrong one stays as wrong. The
 * answer is the first IPv6 packet the kernel sends to 2001:db8:1::2 or to
 * fe80::2 (a link-local peer). TUN must carry 2001:db8:1::1/64 (and
 * fe80::1/64), both usable at once (nodad).
 *
 * With --or-silence, a request the kernel does not answer within two
 * seconds is not a failure: nothing is written for it, and the line
 * "kernel-oracle: request N: silence" says so (the fixture scripts keep one
 * request per file, so an empty REPLIES.pcap is the kernel's silence).
 */
#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "checksum.h"
#include "icmp.h"
#include "ipv4.h"
#include "pcapfile.h"
#include "tun.h"

static const uint8_t PEER[4] = {198, 51, 100, 2};
static const uint8_t KERNEL[4] = {198, 51, 100, 1};
/* IPv6: the responder's side (tun0 in the lab) and the oracle's. */
static const uint8_t LAB_PEER6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};           /* 2001:db8::1 */
static const uint8_t LAB_HOST6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};           /* 2001:db8::2 */
static const uint8_t PEER6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2};         /* 2001:db8:1::2 */
static const uint8_t KERNEL6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1};       /* 2001:db8:1::1 */
static const uint8_t LINK_LOCAL_PEER6[16] = {0xfe, 0x80, [15] = 2};                 /* fe80::2 */
enum { REPLY_TIMEOUT_MS = 2000, MAX_PACKET = 65535, CARRIER_WAIT_MS = 3000,
       EVERY_QUIET_MS = 300 };

struct oracle {
    int all;                        /* --all: every IPv4 packet, any answer */
    int or_silence;                 /* --or-silence: no answer is an answer */
    int every;                      /* --every: every IPv4 packet, all answers */
    int tun;
    struct pcap_writer *replies;
    unsigned asked, answered;
};

static int is_echo(const uint8_t *packet, size_t len, uint8_t type, struct icmp_view *icmp)
{
    struct ipv4_view ip;

    return ipv4_parse(packet, len, &ip) == IPV4_OK && ip.protocol == IPV4_PROTOCOL_ICMP &&
           icmp_parse(ip.payload, ip.payload_len, icmp) == 0 && icmp->type == type;
}

/* Reads from the tun until the kernel's reply to `request` shows up. */
static ssize_t await_reply(struct oracle *o, const struct icmp_view *request, uint8_t *reply)
{
    struct pollfd readable = {.fd = o->tun, .events = POLLIN};
    struct icmp_view icmp;

    while (poll(&readable, 1, REPLY_TIMEOUT_MS) == 1) {
        ssize_t n = read(o->tun, reply, MAX_PACKET);
        if (n < 0)
            return -1;
        /* Skip what else the kernel sends (IPv6 chatter, say). */
        if (is_echo(reply, (size_t)n, ICMP_ECHO_REPLY, &icmp) &&
            icmp.identifier == request->identifier && icmp.sequence == request->sequence)
            return n;
    }
    return -1;
}

/* --all: the first IPv4 packet the kernel sends to the peer. */
static ssize_t await_any(struct oracle *o, uint8_t *reply)
{
    struct pollfd readable = {.fd = o->tun, .events = POLLIN};
    struct ipv4_view ip;

    while (poll(&readable, 1, REPLY_TIMEOUT_MS) == 1) {
        ssize_t n = read(o->tun, reply, MAX_PACKET);
        if (n < 0)
            return -1;
        if (ipv4_parse(reply, (size_t)n, &ip) == IPV4_OK && memcmp(ip.dst, PEER, 4) == 0)
            return n;
    }
    return -1;
}

/* TCP, UDP and UDP-Lite (136) checksums cover the addresses too (a
 * pseudo-header): RFC 1624's incremental update moves them along with the
 * addresses. */
static void update_transport_checksum(uint8_t *p, size_t len, const uint8_t old_addresses[8])
{
    size_t header_len = (size_t)(p[0] & 0x0f) * 4;
    size_t at = p[9] == 6 ? 16 : 6;

    if ((p[9] != 6 && p[9] != 17 && p[9] != 136) || (read_be16(p + 6) & 0x1fff) != 0 ||
        header_len + at + 2 > len)
        return;                     /* no transport header here */
    uint8_t *field = p + header_len + at;
    if (p[9] == 17 && read_be16(field) == 0)
        return;                     /* UDP without a checksum */
    uint32_t sum = (uint16_t)~read_be16(field);
    for (int i = 0; i < 8; i += 2)
        sum += (uint16_t)~read_be16(old_addresses + i) + (uint32_t)read_be16(p + 12 + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t updated = (uint16_t)~sum;
    write_be16(field, p[9] == 17 && updated == 0 ? 0xffff : updated);
}

/* --all for IPv6: the first IPv6 packet the kernel sends to the peer. */
static ssize_t await_any6(struct oracle *o, uint8_t *reply)
{
    struct pollfd readable = {.fd = o->tun, .events = POLLIN};

    while (poll(&readable, 1, REPLY_TIMEOUT_MS) == 1) {
        ssize_t n = read(o->tun, reply, MAX_PACKET);
        if (n < 0)
            return -1;
        if (n >= 40 && (reply[0] >> 4) == 6 &&
            (memcmp(reply + 24, PEER6, 16) == 0 || memcmp(reply + 24, LINK_LOCAL_PEER6, 16) == 0))
            return n;
    }
    return -1;
}

/* Where the upper-layer header of an IPv6 packet starts, and its number:
 * skips hop-by-hop, routing, destination options and a first fragment's
 * header, as Linux's ipv6_skip_exthdr() does. Returns 0 when there is none
 * to find (a later fragment, a header cut short). */
static size_t upper_layer6(const uint8_t *p, size_t len, uint8_t *protocol)
{
    size_t at = 40;
    uint8_t next = p[6];

    while (next == 0 || next == 43 || next == 60 || next == 44) {
        if (at + 8 > len)
            return 0;
        if (next == 44 && (read_be16(p + at + 2) & 0xfff8) != 0)
            return 0;               /* not the first fragment: no header here */
        size_t header_len = next == 44 ? 8 : ((size_t)p[at + 1] + 1) * 8;
        next = p[at];
        at += header_len;
    }
    *protocol = next;
    return at <= len ? at : 0;
}

/* Moves a checksum over a pseudo-header along with one 16-byte address
 * changed from `was` to `is` (RFC 1624 eqn. 3, one word at a time). A UDP
 * checksum of 0 means none, which IPv6 forbids: 0xffff stands for it. */
static void move_checksum(uint8_t *field, const uint8_t *was, const uint8_t *is, int udp)
{
    uint32_t sum = (uint16_t)~read_be16(field);
    for (int i = 0; i < 16; i += 2)
        sum += (uint16_t)~read_be16(was + i) + (uint32_t)read_be16(is + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t moved = (uint16_t)~sum;
    write_be16(field, udp && moved == 0 ? 0xffff : moved);
}

/* The lab's two addresses become the oracle's, wherever they stand. */
static void rewrite6(uint8_t *p, size_t len)
{
    uint8_t protocol = 0;
    size_t upper = upper_layer6(p, len, &protocol);
    uint8_t *field = NULL;

    if (upper && protocol == 58 && upper + 4 <= len)
        field = p + upper + 2;
    else if (upper && protocol == 17 && upper + 8 <= len && read_be16(p + upper + 6) != 0)
        field = p + upper + 6;
    else if (upper && protocol == 6 && upper + 18 <= len)
        field = p + upper + 16;
    for (size_t at = 8; at + 16 <= len; at += 2) {
        const uint8_t *is = memcmp(p + at, LAB_PEER6, 16) == 0   ? PEER6
                            : memcmp(p + at, LAB_HOST6, 16) == 0 ? KERNEL6
                                                                 : NULL;
        if (!is)
            continue;
        /* The pseudo-header holds the header's addresses; the message
         * holds what lies past `upper`. A routing header's list is in
         * neither. */
        if (field && (at == 8 || at == 24 || at >= upper))
            move_checksum(field, p + at, is, protocol == 17);
        memcpy(p + at, is, 16);
        at += 14;
    }
}

/* --every: all the packets the kernel sends to the peer (IPv4, or IPv6 to
 * the IPv6 peer), until it has been quiet for EVERY_QUIET_MS, each saved
 * with the request's time. */
static int save_every_answer(struct oracle *o, const struct timeval *when, uint8_t *reply)
{
    struct pollfd readable = {.fd = o->tun, .events = POLLIN};
    struct ipv4_view ip;

    while (poll(&readable, 1, EVERY_QUIET_MS) == 1) {
        ssize_t n = read(o->tun, reply, MAX_PACKET);
        if (n < 0)
            return -1;
        int to_peer6 = n >= 40 && (reply[0] >> 4) == 6 && memcmp(reply + 24, PEER6, 16) == 0;
        if (!to_peer6 &&
            (ipv4_parse(reply, (size_t)n, &ip) != IPV4_OK || memcmp(ip.dst, PEER, 4) != 0))
            continue;
        o->answered++;
        if (pcap_writer_add(o->replies, when, reply, (size_t)n) < 0)
            return -1;
    }
    return 0;
}

static int ask_kernel(void *context, const struct timeval *when,
                      const uint8_t *packet, size_t len)
{
    struct oracle *o = context;
    static uint8_t request[MAX_PACKET], reply[MAX_PACKET];
    struct icmp_view icmp;
    struct ipv4_view ip;

    /* IPv6 with --all or --every only: without them, a capture's IPv6 (the
     * kernel's router solicitations on tun0) is skipped, as it always was. */
    int ipv6 = (o->all || o->every) && len >= 40 && (packet[0] >> 4) == 6;
    int echo = !ipv6 && is_echo(packet, len, ICMP_ECHO_REQUEST, &icmp);
    if (!ipv6 && !echo && !((o->all || o->every) && ipv4_parse(packet, len, &ip) == IPV4_OK))
        return 0;                   /* only echo requests have an answer */

    memcpy(request, packet, len);
    if (ipv6) {
        rewrite6(request, len);
    } else {
        memcpy(request + 12, PEER, 4);
        memcpy(request + 16, KERNEL, 4);
        update_transport_checksum(request, len, packet + 12);
        write_be16(request + 10, 0);
        write_be16(request + 10, inet_checksum(request, (size_t)(request[0] & 0x0f) * 4));
    }

    o->asked++;
    if (write(o->tun, request, len) != (ssize_t)len) {
        fprintf(stderr, "kernel-oracle: the kernel refused request %u (%s)\n", o->asked,
                strerror(errno));
        return -1;
    }
    if (o->every)
        return save_every_answer(o, when, reply);
    ssize_t n = ipv6 ? await_any6(o, reply) : o->all ? await_any(o, reply)
                                                     : await_reply(o, &icmp, reply);
    if (n < 0 && o->or_silence) {
        fprintf(stderr, "kernel-oracle: request %u: silence\n", o->asked);
        return 0;
    }
    if (n < 0 && o->all) {
        fprintf(stderr, "kernel-oracle: no answer from the kernel to request %u\n", o->asked);
        return -1;
    }
    if (n < 0) {
        fprintf(stderr, "kernel-oracle: no reply from the kernel to request %u "
                "(id %u seq %u)\n", o->asked, icmp.identifier, icmp.sequence);
        return -1;
    }
    o->answered++;
    return pcap_writer_add(o->replies, when, reply, (size_t)n);
}

/*
 * Attaching to the tun turns its carrier on, but the kernel starts sending
 * through it only once its "linkwatch" work has run, up to a second later;
 * a reply sent before then is dropped (a TX drop on the tun). That work also
 * sets IFF_RUNNING, so wait for the flag (and a moment more).
 */
static void wait_for_carrier(const char *ifname)
{
    struct ifreq request;
    int probe = socket(AF_INET, SOCK_DGRAM, 0);

    memset(&request, 0, sizeof request);
    snprintf(request.ifr_name, sizeof request.ifr_name, "%s", ifname);
    for (int waited = 0; probe >= 0 && waited < CARRIER_WAIT_MS; waited += 10) {
        if (ioctl(probe, SIOCGIFFLAGS, &request) == 0 && (request.ifr_flags & IFF_RUNNING))
            break;
        usleep(10 * 1000);
    }
    usleep(20 * 1000);
    if (probe >= 0)
        close(probe);
}

int main(int argc, char **argv)
{
    struct oracle o = {0};
    char why[512] = "";

    if (argc >= 6 && strcmp(argv[1], "--all") == 0) {
        o.all = 1;
        argc--;
        argv++;
    }
    if (argc == 6 && o.all && strcmp(argv[1], "--or-silence") == 0) {
        o.or_silence = 1;
        argc--;
        argv++;
    }
    if (argc == 6 && !o.all && strcmp(argv[1], "--every") == 0) {
        o.every = 1;
        argc--;
        argv++;
    }
    if (argc != 5 || strcmp(argv[1], "-i") != 0) {
        fprintf(stderr, "usage: kernel-oracle [--all [--or-silence] | --every] -i TUN "
                "REQUESTS.pcap REPLIES.pcap\n");
        return 2;
    }
    o.tun = tun_open(argv[2], why, sizeof why);
    if (o.tun < 0) {
        fprintf(stderr, "kernel-oracle: %s\n", why);
        return 1;
    }
    wait_for_carrier(argv[2]);
    o.replies = pcap_writer_open(argv[4], why, sizeof why);
    if (!o.replies) {
        fprintf(stderr, "kernel-oracle: %s\n", why);
        return 1;
    }
    int status = pcap_read_packets(argv[3], ask_kernel, &o, why, sizeof why);
    if (status < 0 && why[0])
        fprintf(stderr, "kernel-oracle: %s\n", why);
    if (pcap_writer_close(o.replies, why, sizeof why) < 0) {
        fprintf(stderr, "kernel-oracle: %s\n", why);
        status = -1;
    }
    close(o.tun);
    fprintf(stderr, "kernel-oracle: %u requests, %u kernel replies\n", o.asked, o.answered);
    return status == 0 ? 0 : 1;
}
