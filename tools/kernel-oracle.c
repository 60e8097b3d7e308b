/*
 * kernel-oracle: asks the Linux kernel how it answers each echo request of a
 * capture, so that tests can compare a step's reply with the kernel's own.
 *
 *   kernel-oracle -i TUN REQUESTS.pcap REPLIES.pcap
 *   kernel-oracle --all -i TUN REQUESTS.pcap REPLIES.pcap
 *
 * With --all, every IPv4 packet is asked, not only echo requests, and the
 * answer is the first IPv4 packet the kernel sends back to 198.51.100.2
 * (an ICMP error, a timestamp reply): each must have one (step 09's
 * fixtures). A UDP, UDP-Lite or TCP checksum, which covers the addresses, is moved
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
enum { REPLY_TIMEOUT_MS = 2000, MAX_PACKET = 65535, CARRIER_WAIT_MS = 3000 };

struct oracle {
    int all;                        /* --all: every IPv4 packet, any answer */
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

static int ask_kernel(void *context, const struct timeval *when,
                      const uint8_t *packet, size_t len)
{
    struct oracle *o = context;
    static uint8_t request[MAX_PACKET], reply[MAX_PACKET];
    struct icmp_view icmp;
    struct ipv4_view ip;

    int echo = is_echo(packet, len, ICMP_ECHO_REQUEST, &icmp);
    if (!echo && !(o->all && ipv4_parse(packet, len, &ip) == IPV4_OK))
        return 0;                   /* only echo requests have an answer */

    memcpy(request, packet, len);
    memcpy(request + 12, PEER, 4);
    memcpy(request + 16, KERNEL, 4);
    update_transport_checksum(request, len, packet + 12);
    write_be16(request + 10, 0);
    write_be16(request + 10, inet_checksum(request, (size_t)(request[0] & 0x0f) * 4));

    o->asked++;
    if (write(o->tun, request, len) != (ssize_t)len) {
        fprintf(stderr, "kernel-oracle: the kernel refused request %u (%s)\n", o->asked,
                strerror(errno));
        return -1;
    }
    ssize_t n = o->all ? await_any(o, reply) : await_reply(o, &icmp, reply);
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

    if (argc == 6 && strcmp(argv[1], "--all") == 0) {
        o.all = 1;
        argc--;
        argv++;
    }
    if (argc != 5 || strcmp(argv[1], "-i") != 0) {
        fprintf(stderr, "usage: kernel-oracle [--all] -i TUN REQUESTS.pcap REPLIES.pcap\n");
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
