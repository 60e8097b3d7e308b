/*
 * libFuzzer target: one step's packet function, built once per step with
 * -DSTEP_SOURCE='"NN-name/main.c"'. Whatever the bytes, the step must not
 * crash or read out of bounds, and a reply it sends must be an IPv4 packet
 * the kernel would take: a header checksum that verifies, a total length
 * equal to what it wrote, and an echo reply inside; from step 09 on also a
 * timestamp reply, an ICMP error (never about an ICMP error, never to an
 * address that is not one host, at most 576 bytes) or a TCP reset, each
 * with its checksum right. From step 10 on, what it sends through its link
 * (an MTU of 576, so that replies are often cut) must be fragments of at
 * most the MTU, each with a header that verifies, in order, the last
 * without More Fragments; put back together, one such reply; and the
 * clock moves on seven seconds an input, so reassemblies time out. From
 * step 11 on, an IPv6 packet sent must be an echo reply, an ICMPv6 error
 * (at most 1280 bytes, to one host, quoting an IPv6 packet from it) or a
 * TCP reset, its checksum right over RFC 8200's pseudo-header; one longer
 * than the MTU (1280 for an IPv6 input, the least IPv6 allows) comes as
 * fragments of it (RFC 8200 4.5), put back together.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int step_main(int argc, char **argv);
#define main step_main
#include STEP_SOURCE
#undef main

#include "bytes.h"
#include "checksum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* TCP's checksum, over a pseudo-header (RFC 793), verifies. */
static int tcp_checksum_ok(const uint8_t *ip, const uint8_t *tcp, size_t len)
{
    uint32_t sum = 6 + (uint32_t)len;

    for (int i = 12; i < 20; i += 2)
        sum += read_be16(ip + i);
    for (size_t i = 0; i < len; i += 2)
        sum += (uint32_t)tcp[i] << 8 | (i + 1 < len ? tcp[i + 1] : 0);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

/* An ICMP error (type 3, 11 or 12), checked: within 576 bytes, to one host,
 * and quoting an IPv4 header that is not itself an ICMP error's. */
static int error_ok(const uint8_t *reply, size_t reply_len, const uint8_t *icmp, size_t icmp_len)
{
    const uint8_t *quote = icmp + 8;
    size_t quote_len = icmp_len - 8;
    const uint8_t *to = reply + 16;

    if (reply_len > 576 || quote_len < 20 || (quote[0] >> 4) != 4)
        return 0;
    if (to[0] == 0 || to[0] == 127 || (to[0] >= 224 && to[0] <= 239) ||
        (to[0] == 255 && to[1] == 255 && to[2] == 255 && to[3] == 255))
        return 0;
    size_t quoted_header = (size_t)(quote[0] & 0x0f) * 4;
    if (quote[9] == 1 && quote_len > quoted_header) {
        uint8_t type = quote[quoted_header];
        if (type == 3 || type == 4 || type == 5 || type == 11 || type == 12 || type > 18)
            return 0;
    }
    return 1;
}

/* The checksum of an upper layer over IPv6 verifies: the pseudo-header
 * (both addresses, the length as 32 bits, the next header), then `len`
 * bytes (RFC 8200 8.1), summed here by hand. */
static int checksum6_ok(const uint8_t *ip, const uint8_t *upper, size_t len, uint8_t next)
{
    uint32_t sum = (uint32_t)len + next;

    for (int i = 8; i < 40; i += 2)
        sum += read_be16(ip + i);
    for (size_t i = 0; i < len; i += 2)
        sum += (uint32_t)upper[i] << 8 | (i + 1 < len ? upper[i + 1] : 0);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

/* What step 11 may send over IPv6: see the top of this file. */
static int reply_ok6(const uint8_t *reply, size_t reply_len, size_t size)
{
    static const uint8_t UNSPECIFIED[16];

    if (reply_len < 48 || (reply[0] >> 4) != 6 || read_be16(reply + 4) != reply_len - 40)
        return 0;
    if (reply[8] == 0xff || reply[24] == 0xff || memcmp(reply + 8, UNSPECIFIED, 16) == 0)
        return 0;
    const uint8_t *upper = reply + 40;
    size_t upper_len = reply_len - 40;
    if (reply[6] == 6)
        return upper_len == 20 && (upper[13] & 0x04) && checksum6_ok(reply, upper, 20, 6);
    if (reply[6] != 58 || !checksum6_ok(reply, upper, upper_len, 58))
        return 0;
    switch (upper[0]) {
    case 129:                       /* echo reply: never longer than the request */
        return reply_len <= size;
    case 1:
    case 3:
    case 4:                         /* errors: within 1280 bytes, about a packet from the
                                       host they go to, which was no ICMPv6 error */
        return reply_len <= 1280 && upper_len >= 8 + 40 && (upper[8] >> 4) == 6 &&
               memcmp(upper + 8 + 8, reply + 24, 16) == 0 &&
               !(upper[8 + 6] == 58 && upper_len > 8 + 40 && upper[8 + 40] < 128);
    default:
        return 0;
    }
}

/* What a step may send: see the top of this file. */
static int reply_ok(const uint8_t *reply, size_t reply_len, size_t size)
{
    if (reply_len > 0 && (reply[0] >> 4) == 6)
        return reply_ok6(reply, reply_len, size);
    size_t header_len = (size_t)(reply[0] & 0x0f) * 4;

    if (reply_len < header_len + 8 || header_len < 20 || (reply[0] >> 4) != 4 ||
        read_be16(reply + 2) != reply_len || !inet_checksum_ok(reply, header_len))
        return 0;
    const uint8_t *payload = reply + header_len;
    size_t payload_len = reply_len - header_len;
    if (reply[9] == 6)
        return payload_len == 20 && (payload[13] & 0x04) && reply_len <= size &&
               tcp_checksum_ok(reply, payload, payload_len);
    if (reply[9] != 1)
        return 0;
    switch (payload[0]) {
    case 0:                         /* echo reply: never longer than the request (its
                                       ICMP checksum is wrong before step 05) */
        return reply_len <= size;
    case 14:                        /* timestamp reply */
        return payload_len == 20 && inet_checksum_ok(payload, payload_len);
    case 3:
    case 11:                        /* from step 10 on: reassembly time exceeded */
    case 12:
        return inet_checksum_ok(payload, payload_len) &&
               error_ok(reply, reply_len, payload, payload_len);
    default:
        return 0;
    }
}

#ifdef STEP_CLOCK
/* A step that reads the clock reads this one: the same input, the same
 * reply, so that a finding can be replayed. */
static uint32_t stopped_clock(void)
{
    return 12345678;
}
#endif

#ifdef STEP_LINK
/* IPv4 is cut at 576 bytes, so that replies often are; IPv6 needs 1280
 * (RFC 8200 5: below it step 11, as Linux, speaks no IPv6), so an IPv6
 * input finds the link at 1280. */
enum { FUZZ_MTU = 576, FUZZ_MTU6 = 1280 };

/* What the step sent through its link for one input, put back together. */
static struct {
    uint8_t whole[STEP_MAX_REPLY];
    size_t end;                     /* bytes of `whole` so far */
    size_t count;
    int more;                       /* the last fragment had More Fragments */
    int bad;
    int ipv6;                       /* an IPv6 packet, as sent or put back together */
    uint8_t id6[4];                 /* its fragments' identification */
} link_out;

/* An IPv6 packet sent: whole, one an input, or the next fragment of one
 * (step 11 cuts a packet longer than the MTU with a Fragment header right
 * after the 40-byte header: what it sends has no other extension header),
 * each within the MTU, the data of all but the last a multiple of 8. */
static void link_send6(const uint8_t *packet, size_t len)
{
    if (len > STEP_LINK.mtu || len < 40 || read_be16(packet + 4) != len - 40) {
        link_out.bad = 1;
        return;
    }
    if (packet[6] != 44) {
        if (link_out.count > 0) {
            link_out.bad = 1;       /* one IPv6 packet an input */
            return;
        }
        memcpy(link_out.whole, packet, len);
        link_out.end = len;
        link_out.count = 1;
        link_out.ipv6 = 1;
        return;
    }
    size_t offset = len >= 48 ? read_be16(packet + 42) & 0xfff8u : 0;
    int more = len >= 48 && (packet[43] & 1);
    if (len < 48 || (more && (len - 48) % 8 != 0)) {
        link_out.bad = 1;
        return;
    }
    if (link_out.count == 0 && offset == 0) {
        memcpy(link_out.whole, packet, 40);
        link_out.whole[6] = packet[40];     /* the next header the fragments carry */
        link_out.end = 40;
        memcpy(link_out.id6, packet + 44, 4);
    } else if (link_out.count == 0 || !link_out.ipv6 || !link_out.more ||
               offset + 40 != link_out.end || memcmp(packet + 44, link_out.id6, 4) != 0) {
        link_out.bad = 1;           /* not the next fragment of the same packet */
        return;
    }
    memcpy(link_out.whole + link_out.end, packet + 48, len - 48);
    link_out.end += len - 48;
    link_out.more = more;
    link_out.ipv6 = 1;
    link_out.count++;
}

static size_t link_reply(uint8_t *reply);

/* While timeouts are expired, several errors may go (IPv4's table and
 * IPv6's may both have one due): each is checked when the next begins. */
static int link_many;

static void link_next(void)
{
    static uint8_t done[STEP_MAX_REPLY];

    if (!link_many || link_out.count == 0 || link_out.more || link_out.bad)
        return;
    size_t len = link_reply(done);
    if (!reply_ok(done, len, STEP_MAX_REPLY))
        __builtin_trap();
    link_out.count = 0;
    link_out.ipv6 = 0;
}

static void link_send(void *context, const uint8_t *packet, size_t len, FILE *log)
{
    (void)context;
    (void)log;
    link_next();
    if (len > 0 && (packet[0] >> 4) == 6) {
        link_send6(packet, len);
        return;
    }
    size_t header_len = len >= 20 ? (size_t)(packet[0] & 0x0f) * 4 : 0;
    if (len > FUZZ_MTU || header_len < 20 || len < header_len || (packet[0] >> 4) != 4 ||
        read_be16(packet + 2) != len || !inet_checksum_ok(packet, header_len)) {
        link_out.bad = 1;
        return;
    }
    size_t offset = (size_t)(read_be16(packet + 6) & 0x1fff) * 8;
    if (link_out.count == 0) {
        memcpy(link_out.whole, packet, header_len);
        link_out.end = header_len;
    } else if (link_out.more == 0 || offset + (size_t)(link_out.whole[0] & 0x0f) * 4 !=
               link_out.end || memcmp(packet + 4, link_out.whole + 4, 2) != 0) {
        link_out.bad = 1;           /* not the next fragment of the same datagram */
        return;
    }
    memcpy(link_out.whole + link_out.end, packet + header_len, len - header_len);
    link_out.end += len - header_len;
    link_out.more = (read_be16(packet + 6) & 0x2000) != 0;
    link_out.count++;
}

/* The same input, the same answer: a clock that moves only between
 * inputs, seven seconds each, so that --ipfrag-time's 30 s pass. */
static uint64_t fuzz_uptime = 1000000;
static uint64_t fuzz_clock(void)
{
    return fuzz_uptime;
}

/* What went out through the link, checked, and as one datagram. */
static size_t link_reply(uint8_t *reply)
{
    if (link_out.count == 0)
        return 0;
    if (link_out.bad || link_out.more)
        __builtin_trap();
    memcpy(reply, link_out.whole, link_out.end);
    if (link_out.ipv6) {
        write_be16(reply + 4, (uint16_t)(link_out.end - 40));
        return link_out.end;
    }
    write_be16(reply + 2, (uint16_t)link_out.end);
    write_be16(reply + 6, 0);
    write_be16(reply + 10, 0);
    write_be16(reply + 10, inet_checksum(reply, (size_t)(reply[0] & 0x0f) * 4));
    return link_out.end;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    static uint8_t reply[STEP_MAX_REPLY];

    if (!sink)
        sink = fopen("/dev/null", "w");
#ifdef STEP_CLOCK
    STEP_CLOCK = stopped_clock;
#endif
#ifdef STEP_HOST
    /* The lab's address, as the runner gives it when --address is left
     * out, and a second one in another subnet, so that the seeds
     * (scripts/make-fuzz-seeds.sh: address-*) reach every kind of address. */
    if (STEP_HOST.count == 0) {
        host_add_address(&STEP_HOST, HOST_DEFAULT_ADDRESS, NULL, 0);
        host_add_address(&STEP_HOST, "198.51.100.7/24", NULL, 0);
        /* Step 11's default IPv6 address (the steps before it never look). */
        host_add_address6(&STEP_HOST, HOST_DEFAULT_ADDRESS6, NULL, 0);
    }
#endif
#ifdef STEP_RATELIMIT
    /* No rate limit, so that every input that deserves an error gets one
     * (and a finding can be replayed): the limits have their own tests. */
    STEP_RATELIMIT.ratelimit_ms = 0;
    STEP_RATELIMIT.ratelimit6_ms = 0;
    STEP_RATELIMIT.msgs_per_sec = 0;
#endif
#ifdef STEP_LINK
    STEP_LINK.mtu = size > 0 && data[0] >> 4 == 6 ? FUZZ_MTU6 : FUZZ_MTU;
    STEP_LINK.send = link_send;
    STEP_UPTIME = fuzz_clock;
    link_out.count = 0;
    link_out.bad = link_out.more = link_out.ipv6 = 0;
    fuzz_uptime += 7000;
    /* Errors about datagrams that timed out, each checked. */
    link_many = 1;
    STEP_EXPIRE(sink);
    link_many = 0;
    size_t expired_len = link_reply(reply);
    if (expired_len > 0 && !reply_ok(reply, expired_len, STEP_MAX_REPLY))
        __builtin_trap();
    link_out.count = 0;
    link_out.bad = link_out.more = link_out.ipv6 = 0;
#endif
    /* Larger than any tun read, but --replay can deliver it: a capture's
     * record may hold more than 65535 bytes. */
    size_t reply_len = handle_packet(data, size, reply, sink);
#ifdef STEP_LINK
    reply_len = link_reply(reply);
    /* A reply to a datagram put together from several inputs may be
     * longer than this one input. */
    size = STEP_MAX_REPLY;
#endif
    if (reply_len == 0)
        return 0;
    if (!reply_ok(reply, reply_len, size))
        __builtin_trap();
    return 0;
}
